"""Sending and reading notifications. Sending happens inside the caller's transaction, so a
notification exists exactly when the change it announces was committed."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select, update

from consult.clock import utcnow
from consult.database import insert_on_conflict
from consult.extensions import db
from consult.notifications.kinds import render
from consult.notifications.models import Notification

PAGE_SIZE = 30
DEDUP_SLICE = 1000  # rows per insert that skips those already sent


def notify(user_ids: Iterable[int], kind: str, params: dict | None = None, url: str = "", *,
           skip: Iterable[int] = (), dedup_key: str | None = None) -> int:
    """Queue ``kind`` for every user in ``user_ids`` except those in ``skip`` (usually the
    actor: nobody needs to be told what they just did). With ``dedup_key``, a user who already
    has a notification with that key gets no second one. Returns how many were sent."""
    skip = set(skip)
    targets = sorted({uid for uid in user_ids if uid is not None} - skip)
    if not targets:
        return 0
    now = utcnow()
    rows = [{"user_id": uid, "kind": kind, "params": params or {}, "url": url,
             "dedup_key": dedup_key, "created_at": now} for uid in targets]
    table = Notification.__table__
    if dedup_key is None:
        ids = list(db.session.scalars(table.insert().returning(table.c.id), rows))
        _to_channels(ids)
        return len(rows)
    # Count what RETURNING gives back: psycopg reports no rowcount for this statement.
    # In slices: one multi-row VALUES statement may carry only so many parameters (SQLite).
    ids = []
    for start in range(0, len(rows), DEDUP_SLICE):
        ids += db.session.scalars(
            insert_on_conflict(db.session, table).values(rows[start:start + DEDUP_SLICE])
            .on_conflict_do_nothing(index_elements=["user_id", "dedup_key"])
            .returning(table.c.id)).all()
    _to_channels(ids)
    return len(ids)


def _to_channels(ids: list[int]) -> None:
    """Those who want a kind at once get an SMS or e-mail too (after the commit, as jobs)."""
    from consult.messages.service import notifications_queued

    notifications_queued(ids)


def unread_count_query(user_id):
    """The count of ``user_id``'s unread notifications (a value or a column)."""
    return (select(func.count()).select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None)))


def unread_count(user_id: int) -> int:
    return db.session.scalar(unread_count_query(user_id)) or 0


def recent(user_id: int, limit: int = PAGE_SIZE) -> list[tuple[Notification, str]]:
    """The newest notifications with their text, newest first."""
    items = db.session.scalars(
        select(Notification).where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)).all()
    return [(n, render(n.kind, n.params)) for n in items]


def mark_read(user_id: int, notification_id: int | None = None) -> None:
    """Mark one (or, without an id, every) notification of ``user_id`` read."""
    stmt = update(Notification).where(Notification.user_id == user_id,
                                      Notification.read_at.is_(None))
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    db.session.execute(stmt.values(read_at=utcnow()))
