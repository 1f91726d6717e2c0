"""``flask --app consult messages ...``: send what is due, the daily digest, and an SMS opt-out
("T" answered to a message) for deployments without the queue's scheduler."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from consult import unit_of_work

messages_cli = AppGroup("messages", help="SMS and e-mail: due messages, digests, opt-outs.")


@messages_cli.command("send")
@unit_of_work.command
def send_command():
    """Send the messages whose time has come: held for quiet hours or waiting to be tried
    again (run every minute from cron without Redis)."""
    from consult.messages.service import send_due

    click.echo(f"{send_due()} messages queued.")


@messages_cli.command("digest")
@unit_of_work.command
def digest_command():
    """Make today's digests (run once a day in the evening from cron without Redis)."""
    from consult.messages.service import send_digests

    click.echo(f"{send_digests()} digests made.")


@messages_cli.command("stop")
@click.argument("phone")
@unit_of_work.command
def stop_command(phone: str):
    """The person with PHONE answered "T" (回T退订): only in-site notifications from now on,
    except one-time codes."""
    from consult.messages.service import opt_out_phone

    user = opt_out_phone(phone)
    if user is None:
        raise click.ClickException(f"No account has the phone number {phone}.")
    click.echo(f"Account {user.id} now gets no SMS or e-mail notifications.")
