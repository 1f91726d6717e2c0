"""Backing up and restoring the whole database.

SQLite: the online backup API copies one consistent snapshot while the app goes on writing
(WAL), and restores the same way into the live file. PostgreSQL: ``pg_dump`` in custom format,
run inside a snapshot that the printed row counts share, and ``pg_restore --clean`` in one
transaction, so a failed restore leaves the database as it was.

The schema revision travels inside the backup (the ``alembic_version`` table); a backup from a
revision this code does not know, i.e. made by a newer version of Consult, is refused.
"""
from __future__ import annotations

import os
import re
import shutil
import sqlite3
# Only pg_dump and pg_restore, by absolute path, never through a shell.
import subprocess  # nosec B404
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import Connection, MetaData, Table, column, create_engine, func, inspect, \
    literal, select, table, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from consult.database import SQLITE_BUSY_TIMEOUT_MS
from consult.extensions import db

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"
VERSION_TABLE = "alembic_version"
# Counted in every report: enough to recognise the data at a glance.
KEY_TABLES = ("users", "topics", "comments", "ballots", "audit_entries")
# Query parameters of a PostgreSQL URL that libpq also reads from the environment.
_LIBPQ_ENV = {
    "host": "PGHOST", "port": "PGPORT", "sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY", "connect_timeout": "PGCONNECT_TIMEOUT",
    "application_name": "PGAPPNAME", "options": "PGOPTIONS", "passfile": "PGPASSFILE",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
}
# pg_restore gives up instead of waiting forever behind a connection that holds a table.
RESTORE_LOCK_TIMEOUT = "60s"


class BackupError(Exception):
    """A refusal or failure, worded for the operator."""


@dataclass
class Report:
    path: Path
    size: int
    revision: str | None
    counts: dict[str, int]
    notes: list[str] = field(default_factory=list)


def backup(path: str | os.PathLike) -> Report:
    """Write a consistent copy of the whole database to ``path`` (replacing a file there).

    The copy is written beside ``path`` under a temporary name, readable by its owner only,
    and renamed into place when complete: ``path`` never holds half a backup.
    """
    path = Path(path)
    kind = _kind()
    if path.is_dir():
        raise BackupError(f"{path} is a directory; give the backup file's name.")
    if not path.parent.is_dir():
        raise BackupError(f"The directory {path.parent} does not exist.")
    if kind == "sqlite" and path.resolve() == _sqlite_path():
        raise BackupError(f"{path} is the live database itself; choose another file.")
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    os.close(fd)
    partial = Path(partial)
    try:
        if kind == "sqlite":
            revision, counts = _sqlite_backup(partial)
        else:
            revision, counts = _pg_backup(partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return Report(path, path.stat().st_size, revision, counts)


def restore(path: str | os.PathLike, *, force: bool = False) -> Report:
    """Replace the whole database with the backup at ``path``.

    Refuses a file that is not a backup of the configured kind of database, a backup from a
    newer schema revision than this code knows, and (without ``force``) a database that has
    rows in any table.
    """
    path = Path(path)
    kind = _kind()
    if not path.is_file():
        raise BackupError(f"{path} is not a file.")
    if kind == "sqlite":
        revision, notes = _sqlite_restore(path, force)
    else:
        revision, notes = _pg_restore(path, force)
    with db.engine.connect() as conn:
        counts = _counts(conn, inspect(conn).get_table_names())
    return Report(path, path.stat().st_size, revision, counts, notes)


# --- shared -------------------------------------------------------------------------------

def _kind() -> str:
    name = db.engine.dialect.name
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"Backups of {name} databases are not supported.")
    return name


def _counts(conn: Connection, tables) -> dict[str, int]:
    return {t: conn.execute(select(func.count()).select_from(table(t))).scalar_one()
            for t in KEY_TABLES if t in tables}


def _revision(conn: Connection, tables) -> str | None:
    if VERSION_TABLE not in tables:
        return None
    return conn.execute(select(column("version_num")).select_from(table(VERSION_TABLE))).scalar()


def _check_revision(revision: str | None, path: Path) -> list[str]:
    """Refuse a backup the code cannot run on; say when it needs ``db upgrade`` after."""
    if revision is None:
        raise BackupError(f"{path} has no schema revision (no {VERSION_TABLE} row): "
                          "it is not a Consult backup.")
    script = ScriptDirectory(current_app.extensions["migrate"].directory)
    known = {s.revision for s in script.walk_revisions()}
    if revision not in known:
        raise BackupError(
            f"{path} is at schema revision {revision}, which this version of Consult does not "
            "know: it was made by a newer version. Install that version (or newer) to restore it.")
    head = script.get_current_head()
    if revision != head:
        return [f"The backup is at schema revision {revision}, older than this code's {head}: "
                "run `flask --app consult db upgrade` now."]
    return []


def _refuse_non_empty(force: bool) -> None:
    with db.engine.connect() as conn:
        filled = [t for t in sorted(inspect(conn).get_table_names()) if t != VERSION_TABLE
                  and conn.execute(select(literal(1)).select_from(table(t)).limit(1)).first()]
    if filled and not force:
        shown = ", ".join(filled[:3]) + (", ..." if len(filled) > 3 else "")
        raise BackupError(
            f"The database is not empty: {len(filled)} tables have rows ({shown}). Restoring "
            "replaces everything in it; run again with --force to do that.")


def _file_start(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(len(SQLITE_MAGIC))


# --- SQLite -------------------------------------------------------------------------------

def _sqlite_path() -> Path:
    database = db.engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError("Only a SQLite database in a file can be backed up or restored.")
    return Path(database).resolve()


def _sqlite_readonly(path: Path):
    """An engine that reads ``path`` and cannot change it."""
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    return create_engine("sqlite://", poolclass=NullPool,
                         creator=lambda: sqlite3.connect(uri, uri=True))


def _sqlite_backup(partial: Path) -> tuple[str | None, dict[str, int]]:
    source = sqlite3.connect(_sqlite_path(), timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
    target = sqlite3.connect(partial)
    try:
        # All pages in one step: one read transaction, hence one snapshot, while writers go on.
        source.backup(target)
        # A backup is one self-contained file, without -wal and -shm beside it.
        target.execute("PRAGMA journal_mode = DELETE")
        check = target.execute("PRAGMA quick_check").fetchone()[0]
    finally:
        target.close()
        source.close()
    if check != "ok":
        raise BackupError(f"The copy failed its integrity check: {check}")
    engine = _sqlite_readonly(partial)
    try:
        with engine.connect() as conn:
            tables = inspect(conn).get_table_names()
            return _revision(conn, tables), _counts(conn, tables)
    finally:
        engine.dispose()


def _sqlite_backup_revision(path: Path) -> str | None:
    start = _file_start(path)
    if start.startswith(PG_CUSTOM_MAGIC):
        raise BackupError(f"{path} is a PostgreSQL backup, but this Consult runs on SQLite.")
    if start != SQLITE_MAGIC:
        raise BackupError(f"{path} is not a Consult backup (not a SQLite database file).")
    engine = _sqlite_readonly(path)
    try:
        with engine.connect() as conn:
            check = conn.exec_driver_sql("PRAGMA quick_check").scalar()
            if check != "ok":
                raise BackupError(f"{path} is damaged: {check}")
            return _revision(conn, inspect(conn).get_table_names())
    except DBAPIError as exc:
        raise BackupError(f"{path} cannot be read as a SQLite database: {exc.orig}") from None
    finally:
        engine.dispose()


def _sqlite_restore(path: Path, force: bool) -> tuple[str | None, list[str]]:
    live = _sqlite_path()
    if path.resolve() == live:
        raise BackupError(f"{path} is the live database itself.")
    revision = _sqlite_backup_revision(path)
    notes = _check_revision(revision, path)
    _refuse_non_empty(force)
    # Our own pooled connections would otherwise keep reading through stale state.
    db.session.remove()
    db.engine.dispose()
    source = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)
    target = sqlite3.connect(live, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
    try:
        # Takes the write lock: other writers wait (busy timeout), readers see old or new.
        source.backup(target)
    except sqlite3.Error as exc:
        raise BackupError(f"Restoring into {live} failed: {exc}") from None
    finally:
        target.close()
        source.close()
    db.engine.dispose()
    return revision, notes


# --- PostgreSQL ---------------------------------------------------------------------------

def _pg_env() -> dict[str, str]:
    """libpq settings from the configured URL, as environment variables: nothing secret ever
    appears on a command line (where other users of the machine could read it)."""
    url = db.engine.url
    env = dict(os.environ)
    for name, value in (("PGHOST", url.host), ("PGPORT", url.port), ("PGUSER", url.username),
                        ("PGPASSWORD", url.password), ("PGDATABASE", url.database)):
        if value is not None:
            env[name] = str(value)
    for key, value in url.query.items():
        if key not in _LIBPQ_ENV:
            raise BackupError(f"The database URL's parameter {key!r} cannot be passed to the "
                              "PostgreSQL tools; set the matching PG* environment variable.")
        env[_LIBPQ_ENV[key]] = value if isinstance(value, str) else value[-1]
    return env


def _pg_tool(name: str, server_major: int | None = None) -> str:
    exe = shutil.which(name)
    if exe is None:
        raise BackupError(f"{name} was not found on PATH. Install the PostgreSQL client tools "
                          "(on Debian: postgresql-client) of the server's version or newer.")
    out = _run([exe, "--version"], os.environ.copy())
    match = re.search(r"PostgreSQL\)\s+(\d+)", out)
    if not match:
        raise BackupError(f"Could not tell the version of {exe} from {out.strip()!r}.")
    major = int(match.group(1))
    if server_major is not None and major < server_major:
        raise BackupError(
            f"{exe} is PostgreSQL {major}, older than the server ({server_major}); it cannot "
            f"dump that server. Install the version {server_major} client tools or newer.")
    return exe


def _run(command: list[str], env: dict[str, str]) -> str:
    # A fixed argument list, no shell; the password travels in env only.
    result = subprocess.run(command, env=env, capture_output=True, text=True,  # nosec B603
                            check=False)
    if result.returncode != 0:
        problem = result.stderr.strip() or f"exit status {result.returncode}"
        raise BackupError(f"{Path(command[0]).name} failed: {problem}")
    return result.stdout


def _pg_backup(partial: Path) -> tuple[str | None, dict[str, int]]:
    env = _pg_env()
    with db.engine.connect() as conn:
        conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            server_major = int(conn.execute(text("SHOW server_version_num")).scalar()) // 10000
            pg_dump = _pg_tool("pg_dump", server_major)
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar()
            tables = inspect(conn).get_table_names()
            revision, counts = _revision(conn, tables), _counts(conn, tables)
            # pg_dump reads the snapshot this transaction holds open: the counts are the dump's.
            _run([pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={partial}"],
                 env)
    return revision, counts


def _pg_dump_revision(pg_restore: str, path: Path, env) -> str | None:
    script = _run([pg_restore, "--data-only", f"--table={VERSION_TABLE}", "--file=-",
                   str(path)], env)
    lines = script.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("COPY ") and VERSION_TABLE in line and i + 1 < len(lines):
            row = lines[i + 1]
            return None if row == "\\." else row.split("\t")[0]
    return None


def _pg_restore(path: Path, force: bool) -> tuple[str | None, list[str]]:
    start = _file_start(path)
    if start == SQLITE_MAGIC:
        raise BackupError(f"{path} is a SQLite backup, but this Consult runs on PostgreSQL.")
    if not start.startswith(PG_CUSTOM_MAGIC):
        raise BackupError(f"{path} is not a Consult backup (not a pg_dump custom-format file).")
    pg_restore = _pg_tool("pg_restore")
    env = _pg_env()
    contents = _run([pg_restore, "--list", str(path)], env)
    revision = _pg_dump_revision(pg_restore, path, env)
    notes = _check_revision(revision, path)
    _refuse_non_empty(force)

    db.session.remove()
    with db.engine.begin() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar()
        in_dump = {name for s, name in re.findall(r"^\d+; \d+ \d+ TABLE (\S+) (\S+) ", contents,
                                                  re.MULTILINE) if s == schema}
        # Tables of a newer schema than the backup's: the restored database has none, and
        # --clean would not drop them (nor could it drop a table they reference).
        quote_table = conn.dialect.identifier_preparer.format_table
        dropped = sorted(set(inspect(conn).get_table_names()) - in_dump)
        for name in dropped:
            conn.execute(text(f"DROP TABLE {quote_table(Table(name, MetaData(), schema=schema))}"
                              " CASCADE"))
    db.engine.dispose()  # hold no locks that pg_restore's DROPs would wait for

    # Only the extension's owner may comment on it; the comment is not ours to restore.
    wanted = "".join(line + "\n" for line in contents.splitlines()
                     if " COMMENT - EXTENSION " not in line)
    env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} -c lock_timeout={RESTORE_LOCK_TIMEOUT}".strip()
    with tempfile.NamedTemporaryFile("w", suffix=".list", delete=False) as fh:
        fh.write(wanted)
    try:
        _run([pg_restore, "--clean", "--if-exists", "--no-owner", "--single-transaction",
              f"--use-list={fh.name}", f"--dbname={_conninfo_value(env.get('PGDATABASE', ''))}",
              str(path)], env)
    except BackupError as exc:
        hint = (" Another connection holds a table: stop the app and try again."
                if "lock timeout" in str(exc) else "")
        left = (f" Tables not in the backup were dropped ({', '.join(dropped)}); the rest is as"
                " it was." if dropped else " The database was left as it was.")
        raise BackupError(f"{exc}{hint}{left}") from None
    finally:
        os.unlink(fh.name)
    db.engine.dispose()
    return revision, notes


def _conninfo_value(value: str) -> str:
    """``dbname='...'`` so a database name with spaces or '=' is not read as settings."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"dbname='{escaped}'"
