"""Day-before reminders (in-app) for residents with a reservation and for the representative.

Run ``flask --app consult studios remind`` from cron, e.g. every hour: each reminder carries a
dedup key, so however often it runs, each person is reminded once per reception.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from consult.clock import local_to_utc, to_local, utcnow
from consult.extensions import db
from consult.notifications.kinds import register
from consult.notifications.service import notify
from consult.studios.booking import session_url, when
from consult.studios.models import Reservation, StudioSession
from consult.studios.slots import hhmm

register("studio.reminder", _l("Reminder: tomorrow, %(date)s at %(time)s, you meet "
                               "%(representative)s at %(studio)s (%(room)s)."))
register("studio.reminder_representative", _l(
    "Reminder: tomorrow, %(date)s, %(time)s, you receive residents at %(studio)s (%(room)s). "
    "Reserved slots: %(count)d."))


def tomorrow_bounds(now: datetime) -> tuple[datetime, datetime]:
    """Tomorrow in Asia/Shanghai, as a naive-UTC half-open range."""
    tomorrow = to_local(now).date() + timedelta(days=1)
    start = local_to_utc(datetime.combine(tomorrow, time()))
    return start, start + timedelta(days=1)


def send_reminders(now: datetime | None = None) -> int:
    """Remind everyone about tomorrow's live sessions; returns how many notifications were
    sent (zero for those already reminded). Runs in the caller's transaction."""
    start, end = tomorrow_bounds(now or utcnow())
    sessions = db.session.scalars(
        select(StudioSession)
        .where(StudioSession.cancelled_at.is_(None), StudioSession.starts_at >= start,
               StudioSession.starts_at < end)
        .options(joinedload(StudioSession.studio), joinedload(StudioSession.room),
                 joinedload(StudioSession.representative))).all()
    if not sessions:
        return 0
    reservations = db.session.scalars(select(Reservation).where(
        Reservation.session_id.in_([s.id for s in sessions]),
        Reservation.cancelled_at.is_(None))).all()
    by_session: dict[int, list[Reservation]] = {}
    for r in reservations:
        by_session.setdefault(r.session_id, []).append(r)
    sent = 0
    for s in sessions:
        place = {"studio": s.studio.name, "room": s.room.name,
                 "representative": s.representative.name}
        mine = by_session.get(s.id, [])
        sent += notify([s.representative_id], "studio.reminder_representative",
                       {**place, **when(s), "count": len(mine)}, session_url(s.id),
                       dedup_key=f"studio.reminder:session:{s.id}")
        for r in mine:
            sent += notify([r.resident_id], "studio.reminder",
                           {**place, "date": when(s)["date"], "time": hhmm(r.slot_start)},
                           session_url(s.id), dedup_key=f"studio.reminder:reservation:{r.id}")
    return sent
