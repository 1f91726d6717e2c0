"""Command-line entry points: ``flask --app consult ...``."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

audit_cli = AppGroup("audit", help="The audit log.")


@audit_cli.command("verify")
def audit_verify():
    """Recompute every hash of the audit chain and report the first break."""
    from consult.audit.log import verify_chain

    report = verify_chain()
    if report.ok:
        click.echo(f"Audit chain intact: {report.entries} entries.")
    else:
        click.echo(f"Audit chain BROKEN at entry {report.first_bad_id}: {report.problem}", err=True)
        raise SystemExit(1)


def init_app(app: Flask) -> None:
    app.cli.add_command(audit_cli)
    from consult.demo.cli import demo_cli

    app.cli.add_command(demo_cli)
    from consult.roster.cli import roster_cli

    app.cli.add_command(roster_cli)
