"""Values kept per key until something is written (consult/written.py's KeptByKey): the topic
list per filter is one."""
from __future__ import annotations

from sqlalchemy import text

from consult import written
from consult.extensions import db


def test_a_value_is_kept_per_key_until_a_write(app):
    kept = written.KeptByKey(seconds=30, size=8)
    computed = []

    def compute(value):
        def run():
            computed.append(value)
            return value
        return run

    assert kept.get("a", compute(1)) == 1
    assert kept.get("a", compute(2)) == 1  # kept
    assert kept.get("b", compute(3)) == 3  # another key, its own value
    db.session.execute(text("UPDATE topics SET title = title WHERE id = -1"))  # a write
    assert kept.get("a", compute(4)) == 4 and kept.get("b", compute(5)) == 5
    db.session.rollback()
    assert computed == [1, 3, 4, 5]


def test_the_oldest_read_key_goes_first_and_values_expire(app, monkeypatch):
    kept = written.KeptByKey(seconds=30, size=2)
    kept.get("a", lambda: 1)
    kept.get("b", lambda: 2)
    kept.get("a", lambda: 0)  # read: "b" is now the oldest
    kept.get("c", lambda: 3)
    assert kept.get("a", lambda: -1) == 1 and kept.get("b", lambda: -2) == -2
    now = written.time.monotonic()
    monkeypatch.setattr(written.time, "monotonic", lambda: now + 31)
    assert kept.get("a", lambda: 9) == 9  # older than its 30 seconds


def test_another_database_is_never_served_a_kept_value(app, monkeypatch):
    kept = written.KeptByKey()
    assert kept.get("a", lambda: "first") == "first"
    monkeypatch.setitem(app.config, "SQLALCHEMY_DATABASE_URI", "sqlite:///elsewhere.sqlite3")
    assert kept.get("a", lambda: "second") == "second"
