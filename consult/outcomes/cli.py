import click
from flask.cli import AppGroup

outcomes_cli = AppGroup("outcomes", help="Publicised outcomes and implementation.")


@outcomes_cli.command("settle")
def outcomes_settle():
    """Outcomes whose publicity window ended take effect; topics whose rating period ended
    close (run every few minutes from cron)."""
    from consult.extensions import db
    from consult.outcomes.service import settle_due_outcomes

    n = settle_due_outcomes()
    db.session.commit()
    click.echo(f"{n} outcomes settled.")
