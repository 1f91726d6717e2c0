"""SQLite under concurrent writers: WAL and a busy timeout make the second writer wait for the
first instead of failing with "database is locked"."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from consult.database import IMMEDIATE_OPTION, SQLITE_BUSY_TIMEOUT_MS
from consult.extensions import db
from tests.conftest import ON_POSTGRES

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="SQLite's journal and locking")

HOLD_SECONDS = 0.5


def test_the_apps_sqlite_connections_use_wal_and_a_busy_timeout(app):
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == SQLITE_BUSY_TIMEOUT_MS
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_a_second_writer_waits_for_the_first_and_both_succeed(app):
    engine = db.engine
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE scratch (writer TEXT NOT NULL)"))

    first = engine.connect()
    first.execution_options(**{IMMEDIATE_OPTION: True})
    first.begin()  # BEGIN IMMEDIATE: holds the write lock until commit
    first.execute(text("INSERT INTO scratch VALUES ('first')"))

    outcome: dict = {}
    attempting = threading.Event()

    def second_writer():
        try:
            # An ordinary transaction, as any request would run it.
            with engine.begin() as conn:
                attempting.set()
                conn.execute(text("INSERT INTO scratch VALUES ('second')"))
            outcome["done_at"] = time.monotonic()
        except Exception as exc:  # noqa: BLE001 - asserted below
            outcome["error"] = exc

    thread = threading.Thread(target=second_writer)
    thread.start()
    assert attempting.wait(5)
    time.sleep(HOLD_SECONDS)
    still_waiting = thread.is_alive()
    committed_at = time.monotonic()
    first.commit()
    first.close()
    thread.join(SQLITE_BUSY_TIMEOUT_MS / 1000)

    assert "error" not in outcome, outcome.get("error")
    assert still_waiting, "the second writer did not wait for the first"
    assert outcome["done_at"] >= committed_at
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT writer FROM scratch ORDER BY writer")).scalars().all()
    assert rows == ["first", "second"]


def _holds_writer_lock(path: str) -> bool:
    """Whether some connection holds the writer queue's lock file (a probe that never waits)."""
    import fcntl
    import os

    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # also lets go of the lock if the probe took it
    return False


def _writer(engine):
    conn = engine.connect()
    conn.execution_options(**{IMMEDIATE_OPTION: True})
    conn.begin()
    return conn


def test_writers_queue_on_a_lock_file_that_a_commit_or_a_rollback_lets_go(app):
    """A writing transaction holds ``<database>.writer-lock`` from its BEGIN IMMEDIATE to its
    commit or rollback; a second writer waits on it (not in SQLite's sleeping busy handler)
    and goes on as soon as the first commits."""
    engine = db.engine
    lock = f"{engine.url.database}.writer-lock"
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE scratch (writer TEXT NOT NULL)"))
    assert not _holds_writer_lock(lock)

    first = _writer(engine)
    first.execute(text("INSERT INTO scratch VALUES ('first')"))
    assert _holds_writer_lock(lock)

    done = threading.Event()

    def second_writer():
        with engine.connect() as conn:
            conn.execution_options(**{IMMEDIATE_OPTION: True})
            with conn.begin():
                conn.execute(text("INSERT INTO scratch VALUES ('second')"))
        done.set()

    thread = threading.Thread(target=second_writer)
    thread.start()
    assert not done.wait(HOLD_SECONDS), "the second writer did not wait for the first"
    first.commit()
    first.close()
    assert done.wait(5), "the second writer was not let through after the commit"
    thread.join(5)
    assert not _holds_writer_lock(lock)

    rolled_back = _writer(engine)
    rolled_back.execute(text("INSERT INTO scratch VALUES ('rolled back')"))
    rolled_back.rollback()
    rolled_back.close()
    assert not _holds_writer_lock(lock)
    with engine.connect() as conn:
        assert sorted(conn.execute(text("SELECT writer FROM scratch")).scalars()) == [
            "first", "second"]


def test_a_write_inside_a_write_of_the_same_thread_does_not_wait_for_itself(app):
    """A second connection opened by the thread that holds the queue's lock skips the queue
    (it would wait for itself): SQLite's busy timeout applies to it, as it did before."""
    engine = db.engine
    first = _writer(engine)
    try:
        second = engine.connect()
        second.exec_driver_sql("PRAGMA busy_timeout = 200")
        second.commit()
        second.execution_options(**{IMMEDIATE_OPTION: True})
        started = time.monotonic()
        with pytest.raises(Exception, match="locked"):
            second.begin()
        assert time.monotonic() - started < 5  # the busy timeout, not a wait on itself
        second.invalidate()  # its shortened busy timeout goes with it
        second.close()
    finally:
        first.rollback()
        first.close()
