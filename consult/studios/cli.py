import click
from flask.cli import AppGroup

from consult import unit_of_work

studios_cli = AppGroup("studios", help="Representative studios.")


@studios_cli.command("remind")
@unit_of_work.command
def remind_command():
    """Send the day-before reminders of tomorrow's sessions (each once; safe to run hourly)."""
    from consult.database import begin_write
    from consult.studios.reminders import send_reminders

    begin_write()
    sent = send_reminders()
    click.echo(f"Studio reminders sent: {sent}.")
