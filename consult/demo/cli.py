import click
from flask.cli import AppGroup

from consult import unit_of_work

demo_cli = AppGroup("demo", help="Demonstration data.")


@demo_cli.command("seed")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database has users already.")
@unit_of_work.command
def seed_command(if_empty: bool):
    """Fill the database with the demo community and print the demo accounts."""
    from consult.demo.seed import seed

    seed(if_empty=if_empty, echo=click.echo)
