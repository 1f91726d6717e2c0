"""Command-line entry points: ``flask --app consult ...``."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from consult import unit_of_work

audit_cli = AppGroup("audit", help="The audit log.")


@audit_cli.command("verify")
@unit_of_work.command
def audit_verify():
    """Recompute every hash of the audit chain and report the first break."""
    from consult.audit.log import verify_chain

    report = verify_chain()
    if report.ok:
        click.echo(f"Audit chain intact: {report.entries} entries.")
    else:
        click.echo(f"Audit chain BROKEN at entry {report.first_bad_id}: {report.problem}", err=True)
        raise SystemExit(1)


topics_cli = AppGroup("topics", help="Topics.")


@topics_cli.command("remind")
@unit_of_work.command
def topics_remind():
    """Tell followers of topics whose comment period ends within 24 hours (run hourly)."""
    from consult.topics.service import send_comment_period_reminders

    sent = send_comment_period_reminders()
    click.echo(f"{sent} reminders sent.")


@topics_cli.command("settle")
@unit_of_work.command
def topics_settle():
    """Move agenda topics whose comment period has ended on to deliberation (run every 5
    minutes)."""
    from consult.halls.service import settle_agenda_topics

    moved = settle_agenda_topics()
    click.echo(f"{moved} topics moved to deliberation.")


def init_app(app: Flask) -> None:
    from consult.votes.cli import vote_cli

    app.cli.add_command(vote_cli)
    from consult.outcomes.cli import outcomes_cli

    app.cli.add_command(outcomes_cli)
    app.cli.add_command(topics_cli)
    app.cli.add_command(audit_cli)
    from consult.retention.cli import retention_cli

    app.cli.add_command(retention_cli)
    from consult.demo.cli import demo_cli

    app.cli.add_command(demo_cli)
    from consult.roster.cli import roster_cli

    app.cli.add_command(roster_cli)
    from consult.studios.cli import studios_cli

    app.cli.add_command(studios_cli)
    from consult.activation.cli import activation_cli

    app.cli.add_command(activation_cli)
    from consult.backup.cli import backup_command, restore_command

    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    from consult.jobs.cli import jobs_cli

    app.cli.add_command(jobs_cli)
    from consult.messages.cli import messages_cli

    app.cli.add_command(messages_cli)
    from consult.mydata.cli import mydata_cli

    app.cli.add_command(mydata_cli)
