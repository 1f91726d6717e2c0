"""The one clock of the app.

Times are stored as naive UTC in the database (the same on SQLite and PostgreSQL) and shown in
Asia/Shanghai. Tests move time with :func:`frozen` instead of sleeping.
"""
from __future__ import annotations

import contextlib
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")

_frozen_at: datetime | None = None


def utcnow() -> datetime:
    """Current time as naive UTC."""
    if _frozen_at is not None:
        return _frozen_at
    return datetime.now(timezone.utc).replace(tzinfo=None)


def to_local(value: datetime) -> datetime:
    """Naive UTC from the database to an aware Asia/Shanghai time."""
    return value.replace(tzinfo=timezone.utc).astimezone(LOCAL_TZ)


def local_to_utc(value: datetime) -> datetime:
    """A naive Asia/Shanghai time typed by a user to naive UTC for storage."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_TZ)
    return value.astimezone(timezone.utc).replace(tzinfo=None)


@contextlib.contextmanager
def frozen(at: datetime):
    """Pin :func:`utcnow` to ``at`` (naive UTC) inside the block."""
    global _frozen_at
    previous, _frozen_at = _frozen_at, at
    try:
        yield
    finally:
        _frozen_at = previous


def set_frozen(at: datetime | None) -> None:
    """Pin or release the clock outside a ``with`` block (for a test's live server)."""
    global _frozen_at
    _frozen_at = at
