import click
from flask.cli import AppGroup

studios_cli = AppGroup("studios", help="Representative studios.")


@studios_cli.command("remind")
def remind_command():
    """Send the day-before reminders of tomorrow's sessions (each once; safe to run hourly)."""
    from consult.database import begin_write
    from consult.extensions import db
    from consult.studios.reminders import send_reminders

    begin_write()
    sent = send_reminders()
    db.session.commit()
    click.echo(f"Studio reminders sent: {sent}.")
