"""``flask --app consult activation issue --community NAME [--grid G] [--building B] --csv FILE``:
activation codes for the owners of a scope who have no account, into a CSV file for a mail
merge or an SMS gateway. The file holds live codes: it is created readable by its owner only
(mode 0600) and never overwrites one that exists."""
from __future__ import annotations

import csv
import os
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from consult import unit_of_work
from consult.activation import service
from consult.community.models import Building, Community, Grid
from consult.csvfiles import safe_cell
from consult.extensions import db

activation_cli = AppGroup("activation", help="Activation codes for roster owners (账号激活).")

HEADER = ("phone", "email", "name", "units", "code", "link")


def _fail(message: str):
    click.echo(message, err=True)
    raise SystemExit(1)


def resolve_scope(community_name: str, grid_name: str | None,
                  building_name: str | None) -> service.Scope:
    """The scope the options name; a clear message and exit status 1 when they name none (or,
    a building name without --grid, several)."""
    community = db.session.scalar(select(Community).where(Community.name == community_name))
    if community is None:
        _fail(f"No community is called {community_name!r}.")
    grid = None
    if grid_name is not None:
        grid = db.session.scalar(select(Grid).where(Grid.community_id == community.id,
                                                    Grid.name == grid_name))
        if grid is None:
            _fail(f"{community_name} has no grid called {grid_name!r}.")
    if building_name is None:
        return service.Scope(community, grid=grid)
    query = (select(Building).join(Grid, Building.grid_id == Grid.id)
             .where(Grid.community_id == community.id, Building.name == building_name))
    if grid is not None:
        query = query.where(Grid.id == grid.id)
    found = db.session.scalars(query).all()
    if not found:
        where = f"grid {grid_name}" if grid is not None else community_name
        _fail(f"{where} has no building called {building_name!r}.")
    if len(found) > 1:
        grids = ", ".join(sorted(b.grid.name for b in found))
        _fail(f"Several grids have a building called {building_name!r} ({grids}): say which "
              f"with --grid.")
    return service.Scope(community, grid=found[0].grid, building=found[0])


@activation_cli.command("issue")
@click.option("--community", "community_name", required=True, help="Name of the community.")
@click.option("--grid", "grid_name", help="Only the owners of this grid (by name).")
@click.option("--building", "building_name",
              help="Only the owners of this building (by name; add --grid when several grids "
                   "have a building of this name).")
@click.option("--csv", "csv_path", required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="The CSV file to create (it must not exist yet).")
@unit_of_work.command
def issue_command(community_name: str, grid_name: str | None, building_name: str | None,
                  csv_path: Path):
    """Issue activation codes for the owners with no account yet, into a new CSV file
    (phone,email,name,units,code,link). Each owner's earlier code stops working."""
    scope = resolve_scope(community_name, grid_name, building_name)
    try:
        fd = os.open(csv_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        _fail(f"{csv_path} exists already; nothing was issued. Give a new file name (the old "
              f"file's codes stay valid until you issue again).")
    except OSError as error:
        _fail(f"Cannot create {csv_path}: {error.strerror}; nothing was issued.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            issued = service.issue_to_file(scope)
            writer = csv.writer(fh)
            writer.writerow(HEADER)
            for letter in issued.letters:
                writer.writerow([safe_cell(letter.phone or ""), safe_cell(letter.email or ""),
                                 safe_cell(letter.name), safe_cell("; ".join(letter.homes)),
                                 letter.code, letter.link])
    except BaseException:
        csv_path.unlink(missing_ok=True)  # the codes are rolled back: the file would lie
        raise
    click.echo(f"Issued {issued.count} activation codes for {scope.label} ({community_name}); "
               f"written to {csv_path} (readable by you only). Each owner's earlier code no "
               f"longer works.")
