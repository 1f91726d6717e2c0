"""Has anything been written since? A generation for values kept in the worker between requests.

Every statement that inserts, updates or deletes (through the ORM, Core or plain SQL text, on
any engine of this process) and every commit after one bumps :func:`generation`. A value kept
under it is computed again after any write of this process; the page cache's generation
(consult/pagecache.py, when the page cache is on) brings the other workers' writes, and a
short lifetime bounds what is left.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.engine import Engine

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "TRUNCATE", "ALTER", "DROP", "CREATE")
_generation = 0
_epoch = 0  # counts databases put in place of others (tests), which no statement shows


def generation() -> int:
    return _generation


def epoch() -> int:
    """Changes only when :func:`written_elsewhere` is called: a key for values that never
    change once written (a tallied vote's result) but must not outlive their database."""
    return _epoch


def database() -> tuple:
    """Which database the app reads now: its address, and the count of databases put in place
    of others. A key for values kept in the worker that must not outlive their database (an
    id of another database says nothing about this one's)."""
    return (_epoch, _database())


def _bump() -> None:
    global _generation
    _generation += 1


def written_elsewhere() -> None:
    """Count a write these events cannot see (a database file put in place of another, or
    emptied behind the app's back)."""
    global _epoch
    _epoch += 1
    _bump()


def _executed(conn, _cursor, statement, _parameters, _context, _executemany) -> None:
    if statement.lstrip()[:8].upper().startswith(_WRITES):
        conn.info["consult_wrote"] = True
        _bump()


def _committed(conn) -> None:
    if conn.info.pop("consult_wrote", False):
        _bump()  # what other requests computed meanwhile saw the rows before the commit


def _rolled_back(conn) -> None:
    if conn.info.pop("consult_wrote", False):
        _bump()


def _rolled_back_to_savepoint(conn, _name, _context) -> None:
    if conn.info.get("consult_wrote"):
        _bump()  # the rows written since the savepoint are gone


event.listen(Engine, "after_cursor_execute", _executed)
event.listen(Engine, "commit", _committed)
event.listen(Engine, "rollback", _rolled_back)
event.listen(Engine, "rollback_savepoint", _rolled_back_to_savepoint)


def _stamp() -> tuple:
    """What a value kept now was read under: this process's writes, the other workers' (the
    page cache's generation) and the database."""
    return (_generation, _page_generation(), _database())


class KeptByKey:
    """Values kept per key (the ``size`` most recently read) until this process writes,
    another worker writes (seen through the page cache's generation) or ``seconds`` pass."""

    def __init__(self, seconds: float = 30.0, size: int = 256):
        self.seconds, self.size = seconds, size
        self._kept: OrderedDict = OrderedDict()  # key -> (stamp, expires, value)
        self._lock = threading.Lock()

    def get(self, key, compute):
        stamp = _stamp()
        now = time.monotonic()
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None and kept[0] == stamp and kept[1] > now:
                self._kept.move_to_end(key)
                return kept[2]
        value = compute()
        # The stamp read before computing: a write meanwhile makes the next call compute again.
        with self._lock:
            self._kept[key] = (stamp, now + self.seconds, value)
            self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


class Kept(KeptByKey):
    """One value kept the same way."""

    def __init__(self, seconds: float = 30.0):
        super().__init__(seconds, size=1)

    def get(self, compute):
        return super().get(None, compute)


def _page_generation():
    if not has_app_context():
        return None
    cache = current_app.extensions.get("consult_page_cache")
    if cache is None:
        return None
    known = cache.generation_if_known()
    # Unknown (Redis down): other workers' writes cannot be seen, so match nothing kept.
    return object() if known is None else known


def _database():
    return current_app.config.get("SQLALCHEMY_DATABASE_URI") if has_app_context() else None
