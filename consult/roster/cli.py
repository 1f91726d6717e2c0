"""``flask --app consult roster import FILE.csv --community NAME``."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import force_locale
from sqlalchemy.exc import IntegrityError

from consult import unit_of_work
from consult.roster.importer import COMMUNITY_NAME_MAX, ImportReport, import_roster
from consult.roster.parsing import RosterError, parse_roster

roster_cli = AppGroup("roster", help="The roster of owners (花名册).")

SUMMARY = (
    ("grids_created", "grids created"),
    ("buildings_created", "buildings created"),
    ("units_created", "units created"),
    ("units_updated", "units updated"),
    ("units_unchanged", "units unchanged"),
    ("owners_created", "owner accounts created"),
    ("owners_linked", "existing accounts linked"),
    ("ownerships_added", "ownerships added"),
    ("ownerships_removed", "ownerships removed"),
)


@roster_cli.command("import")
@click.argument("path", metavar="FILE.csv",
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--community", "community_name", required=True,
              help="Name of the community; it is created if it does not exist.")
@unit_of_work.command
def import_command(path: Path, community_name: str):
    """Import a roster CSV file into a community. Nothing is written if any line is wrong."""
    community_name = community_name.strip()
    if not community_name or len(community_name) > COMMUNITY_NAME_MAX:
        raise click.BadParameter(f"give 1 to {COMMUNITY_NAME_MAX} characters",
                                 param_hint="--community")
    try:
        roster = parse_roster(path.read_bytes())
        with click.progressbar(length=len(roster.rows), label="Writing units") as bar:
            report = import_roster(community_name, roster,
                                   progress=lambda done: bar.update(done - bar.pos))
    except RosterError as error:
        _fail(error)  # raises SystemExit: the command's unit of work rolls back
    except IntegrityError:
        # Another import or a registration wrote the same unit or phone meanwhile.
        click.echo("The data changed while importing; nothing was written. Run it again.",
                   err=True)
        raise SystemExit(1)
    _print_report(community_name, report)


def _fail(error: RosterError):
    # Operators read the terminal in English; the web page shows the same errors translated.
    with force_locale("en"):
        for e in error.errors:
            where = f"line {e.line}, column {e.column}" if e.column else f"line {e.line}"
            click.echo(f"{where}: {e.message}", err=True)
    if error.truncated:
        click.echo(f"... and {error.total - len(error.errors)} more problems.", err=True)
    click.echo(f"Nothing was imported: {error.total} problem(s) in the file.", err=True)
    raise SystemExit(1)


def _print_report(community_name: str, report: ImportReport) -> None:
    counts = report.counts()
    created = " (new community)" if report.community_created else ""
    click.echo(f"Imported into {community_name}{created}:")
    for key, label in SUMMARY:
        click.echo(f"  {label}: {counts[key]}")
    if not report.changed:
        click.echo("Nothing changed.")
