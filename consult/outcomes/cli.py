import click
from flask.cli import AppGroup

from consult import unit_of_work

outcomes_cli = AppGroup("outcomes", help="Publicised outcomes and implementation.")


@outcomes_cli.command("settle")
@unit_of_work.command
def outcomes_settle():
    """Outcomes whose publicity window ended take effect; topics whose rating period ended
    close (run every few minutes from cron)."""
    from consult.outcomes.service import settle_due_outcomes

    n = settle_due_outcomes()
    click.echo(f"{n} outcomes settled.")
