"""``flask --app consult backup PATH`` and ``flask --app consult restore PATH``.

Unlike the other commands these are not wrapped in :func:`consult.unit_of_work.command`: they
write nothing through the app's session. A backup reads one snapshot on a connection of its own
(or pg_dump's); a restore drops the session and the pool and replaces the whole database with
SQLite's backup API or pg_restore's single transaction. A commit or rollback of the session
around them would have nothing to do.
"""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext


def _size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return ""  # not reached


def _echo_report(heading: str, report) -> None:
    click.echo(f"{heading} {report.path} ({_size(report.size)})")
    click.echo(f"Schema revision: {report.revision}")
    click.echo("Rows: " + ", ".join(f"{t} {n}" for t, n in report.counts.items()))
    for note in report.notes:
        click.echo(note)


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
@with_appcontext
def backup_command(path: Path):
    """Write a consistent copy of the whole database to PATH while the app keeps running
    (SQLite: a database file; PostgreSQL: a pg_dump custom-format file)."""
    from consult.backup.service import BackupError, backup

    try:
        report = backup(path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    _echo_report("Backup written:", report)


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True,
              help="Replace the data of a database that is not empty.")
@with_appcontext
def restore_command(path: Path, force: bool):
    """Replace the whole database with the backup at PATH (made by `backup`)."""
    from consult.backup.service import BackupError, restore

    try:
        report = restore(path, force=force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    _echo_report("Restored from", report)
