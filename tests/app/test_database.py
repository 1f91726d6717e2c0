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
