"""``flask retention purge [--dry-run]``: remove what is past its retention period."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from consult import unit_of_work

retention_cli = AppGroup("retention", help="Retention periods of personal data.")


@retention_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Say what would be removed; remove nothing.")
@unit_of_work.command
def purge_command(dry_run: bool):
    from consult.retention.service import purge

    result = purge(dry_run=dry_run)
    if dry_run:
        # Nothing was written; the unit of work commits nothing.
        click.echo("Dry run: nothing removed. Would remove:")
    else:
        click.echo("Removed:")
    for what, n in result.counts.items():
        click.echo(f"  {what}: {n}")
    for path in result.files:
        click.echo(f"  file {path}")
