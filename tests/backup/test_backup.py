"""``flask backup`` and ``flask restore``: the demo data make the round trip, on SQLite and
PostgreSQL alike, and every refusal says why and exits non-zero."""
from __future__ import annotations

import sqlite3
import stat
import threading
import time

import pytest
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import delete, func, inspect, select, table, text
from sqlalchemy.exc import DBAPIError

from consult import create_app
from consult.audit.log import record, verify_chain
from consult.audit.models import AuditEntry
from consult.database import begin_write
from consult.demo.seed import seed
from consult.extensions import db
from consult.topics.models import Reaction, Topic
from consult.votes.models import Ballot
from tests import factories
from tests.conftest import ON_POSTGRES, base_config

sqlite_only = pytest.mark.skipif(ON_POSTGRES, reason="SQLite's online backup")
postgres_only = pytest.mark.skipif(not ON_POSTGRES, reason="pg_dump and pg_restore")


def invoke(app, *args):
    db.session.remove()  # the command runs in this app context: start it without our locks
    return app.test_cli_runner().invoke(args=[str(a) for a in args])


def row_counts() -> dict[str, int]:
    with db.engine.connect() as conn:
        return {t: conn.execute(select(func.count()).select_from(table(t))).scalar_one()
                for t in inspect(conn).get_table_names()}


def schema() -> list:
    """Everything the migrations made, as the database describes it."""
    with db.engine.connect() as conn:
        if not ON_POSTGRES:
            return conn.execute(text(
                "SELECT type, name, tbl_name, sql FROM sqlite_master "
                "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")).all()
        queries = [
            "SELECT table_name, column_name, data_type, is_nullable, column_default "
            "FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2",
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2",
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1",
            "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal "
            "ORDER BY 1",
            "SELECT extname FROM pg_extension ORDER BY 1",
        ]
        return [conn.execute(text(q)).all() for q in queries]


def head() -> str:
    return ScriptDirectory(current_app.extensions["migrate"].directory).get_current_head()


def set_revision(revision: str) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


@pytest.fixture
def demo(app):
    seed(echo=lambda _: None)
    db.session.commit()


@pytest.fixture
def some_data(app):
    """Enough to make the database not empty, cheaper than the demo."""
    factories.community()
    db.session.commit()


@pytest.mark.usefixtures("english")
def test_the_demo_data_survive_a_backup_damage_and_restore(app, tmp_path):
    migrated = schema()
    seed(echo=lambda _: None)
    db.session.commit()
    before = row_counts()
    topic_id, title = db.session.execute(select(Topic.id, Topic.title).order_by(Topic.id)).first()
    ballots = db.session.scalar(select(func.count()).select_from(Ballot))
    assert ballots > 0 and before["comment_reactions"] > 0
    path = tmp_path / "nightly.backup"

    result = invoke(app, "backup", path)

    assert result.exit_code == 0, result.output
    assert f"Backup written: {path}" in result.output
    assert f"Schema revision: {head()}" in result.output
    assert f"ballots {ballots}" in result.output
    assert f"audit_entries {before['audit_entries']}" in result.output
    # It holds residents' personal data: only its owner may read it.
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    # Someone renames a topic, wipes reactions and ballots, and the log grows.
    db.session.get(Topic, topic_id).title = "Vandalised"
    db.session.execute(delete(Reaction))
    db.session.execute(delete(Ballot))
    record("test.after_backup")
    db.session.commit()
    assert row_counts() != before

    refused = invoke(app, "restore", path)
    assert refused.exit_code != 0
    assert "not empty" in refused.output and "--force" in refused.output
    assert db.session.get(Topic, topic_id).title == "Vandalised"  # refused means untouched

    result = invoke(app, "restore", "--force", path)

    assert result.exit_code == 0, result.output
    assert f"Restored from {path}" in result.output
    assert f"ballots {ballots}" in result.output
    db.session.remove()
    assert row_counts() == before
    assert db.session.get(Topic, topic_id).title == title
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == ballots
    report = verify_chain()
    assert report.ok and report.entries == before["audit_entries"]
    assert schema() == migrated  # tables, constraints, indexes, triggers as migrations made them

    # The restored database goes on working: ids continue, the chain grows and holds.
    entry = record("test.after_restore")
    db.session.commit()
    assert entry.id > before["audit_entries"]
    assert verify_chain().ok
    with pytest.raises(DBAPIError, match="append-only"):
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE audit_entries SET action = 'forged'"))


@sqlite_only
def test_a_backup_taken_while_another_connection_writes_is_one_consistent_moment(
        app, demo, tmp_path):
    """The writer appends audit entries two per transaction; every copy must hold whole
    transactions only, every one committed before it began, and a chain that verifies."""
    base = row_counts()["audit_entries"]
    stop = threading.Event()
    commits = [0]
    errors: list[Exception] = []

    def writer():
        with app.app_context():
            try:
                while not stop.is_set():
                    begin_write()
                    record("test.pair", details={"half": 1})
                    record("test.pair", details={"half": 2})
                    db.session.commit()
                    commits[0] += 1
            except Exception as exc:  # noqa: BLE001 - asserted below
                errors.append(exc)
            finally:
                db.session.remove()

    def committed_entries() -> int:
        with db.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(AuditEntry)).scalar_one()

    thread = threading.Thread(target=writer)
    thread.start()
    copies = []
    try:
        def writer_passes(count: int) -> None:
            # However busy the machine, let the writer commit between two copies, so that the
            # copies are taken among writes (a fixed sleep would depend on the machine's speed).
            deadline = time.monotonic() + 60
            while commits[0] < count and not errors and time.monotonic() < deadline:
                time.sleep(0.01)

        writer_passes(3)
        commits_before = commits[0]
        for i in range(5):
            writer_passes(commits[0] + 1)
            floor = committed_entries()
            path = tmp_path / f"copy{i}.sqlite3"
            result = invoke(app, "backup", path)
            assert result.exit_code == 0, result.output
            copies.append((floor, path))
        commits_during = commits[0] - commits_before
    finally:
        stop.set()
        thread.join(30)
    assert not errors
    assert commits_during > 0, "the writer never wrote while the backups ran"
    final = committed_entries()

    for floor, path in copies:
        with sqlite3.connect(path) as conn:
            entries = conn.execute("SELECT count(*) FROM audit_entries").fetchone()[0]
        assert floor <= entries <= final, "the copy lost entries committed before it began"
        assert (entries - base) % 2 == 0, "the copy holds half a transaction"
        copy_app = create_app(base_config(f"sqlite:///{path}"))
        with copy_app.app_context():
            assert verify_chain().ok
            db.engine.dispose()


@pytest.mark.usefixtures("english")
def test_a_file_that_is_no_backup_is_refused(app, some_data, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("minutes of the meeting\n", encoding="utf-8")

    result = invoke(app, "restore", "--force", path)

    assert result.exit_code != 0
    assert "not a Consult backup" in result.output
    assert row_counts()["units"] > 0


@pytest.mark.usefixtures("english")
def test_a_backup_of_the_other_kind_of_database_is_refused(app, some_data, tmp_path):
    path = tmp_path / "other.backup"
    if ON_POSTGRES:
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE alembic_version (version_num TEXT)")
        expected = "is a SQLite backup, but this Consult runs on PostgreSQL"
    else:
        path.write_bytes(b"PGDMP\x01\x0e\x00" + b"\x00" * 64)
        expected = "is a PostgreSQL backup, but this Consult runs on SQLite"

    result = invoke(app, "restore", "--force", path)

    assert result.exit_code != 0
    assert expected in result.output


@pytest.mark.usefixtures("english")
def test_a_backup_from_a_newer_schema_is_refused(app, tmp_path):
    path = tmp_path / "future.backup"
    set_revision("9999_from_the_future")
    try:
        assert invoke(app, "backup", path).exit_code == 0

        result = invoke(app, "restore", path)

        assert result.exit_code != 0
        assert "9999_from_the_future" in result.output and "newer version" in result.output
    finally:
        set_revision(head())


@pytest.mark.usefixtures("english")
def test_a_backup_from_an_older_schema_is_restored_with_a_reminder_to_upgrade(app, tmp_path):
    older = ScriptDirectory(current_app.extensions["migrate"].directory) \
        .get_revision(head()).down_revision
    path = tmp_path / "older.backup"
    set_revision(older)
    try:
        assert invoke(app, "backup", path).exit_code == 0
        set_revision(head())

        result = invoke(app, "restore", path)

        assert result.exit_code == 0, result.output
        assert f"older than this code's {head()}" in result.output
        assert "db upgrade" in result.output
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == older
    finally:
        set_revision(head())


@pytest.mark.usefixtures("english")
def test_backup_into_a_missing_directory_says_so(app, tmp_path):
    result = invoke(app, "backup", tmp_path / "nowhere" / "x.backup")

    assert result.exit_code != 0
    assert "does not exist" in result.output


@sqlite_only
@pytest.mark.usefixtures("english")
def test_backup_refuses_to_overwrite_the_live_database(app):
    live = db.engine.url.database
    result = invoke(app, "backup", live)

    assert result.exit_code != 0
    assert "live database" in result.output


@postgres_only
@pytest.mark.usefixtures("english")
def test_backup_without_pg_dump_says_what_to_install(app, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))

    result = invoke(app, "backup", tmp_path / "x.backup")

    assert result.exit_code != 0
    assert "pg_dump was not found" in result.output and "postgresql-client" in result.output
    assert not (tmp_path / "x.backup").exists()


@postgres_only
@pytest.mark.usefixtures("english")
def test_backup_with_a_pg_dump_older_than_the_server_is_refused(app, tmp_path, monkeypatch):
    fake = tmp_path / "pg_dump"
    fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))

    result = invoke(app, "backup", tmp_path / "x.backup")

    assert result.exit_code != 0
    assert "PostgreSQL 9, older than the server" in result.output
    assert not (tmp_path / "x.backup").exists()
