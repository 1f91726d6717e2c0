"""Booking and cancelling studio sessions.

The clash check here gives the representative a message that names the clash; the database
(exclusion constraints on PostgreSQL, triggers on SQLite, see migration 0003) refuses an
overlap that slips past it, e.g. two representatives booking the same room at the same moment.
Such a refusal is caught and turned into the same kind of message.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from functools import partial

from flask import current_app, has_request_context, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from consult.accounts.models import User
from consult.audit.log import record
from consult.clock import utcnow
from consult.extensions import db
from consult.notifications.kinds import register
from consult.notifications.service import notify
from consult.permissions import check
from consult.refusals import Refused
from consult.studios.models import Reservation, Room, Studio, StudioSession
from consult.studios.slots import (
    hhmm, local_date, local_range, parse_date, parse_time, within_hours,
)

SLOT_MIN, SLOT_MAX, SLOT_DEFAULT = 10, 60, 20
WEEKS_MAX = 12
FOCUS_MAX = 200
REASON_MAX = 500
BOOK_AHEAD = timedelta(days=366)  # the first date of a booking, at most this far ahead

register("studio.cancelled", _l("The reception of %(representative)s at %(studio)s on "
                                "%(date)s, %(time)s, is cancelled. Reason: %(reason)s"))


def session_url(session_id: int) -> str:
    """The session page's path, also from the command line (reminders) where no request is."""
    if has_request_context():
        return url_for("studios.session", session_id=session_id)
    return current_app.url_map.bind("localhost").build("studios.session",
                                                       {"session_id": session_id})


def when(session: StudioSession) -> dict[str, str]:
    """Date and local time range of a session, for messages and notifications."""
    return {"date": local_date(session.starts_at).isoformat(),
            "time": f"{hhmm(session.starts_at)}–{hhmm(session.ends_at)}"}


# --- clashes -------------------------------------------------------------------------------

def _overlapping(starts_at, ends_at):
    return (StudioSession.cancelled_at.is_(None), StudioSession.starts_at < ends_at,
            StudioSession.ends_at > starts_at)


def find_clash(room_id: int, representative_id: int, starts_at, ends_at) -> tuple[str, str] | None:
    """``(field, message)`` for the first live session that overlaps in the same room or with
    the same representative; back-to-back is not a clash. Two queries at most."""
    row = db.session.execute(
        select(StudioSession.starts_at, StudioSession.ends_at, Room.name, User.name)
        .join(Room, StudioSession.room_id == Room.id)
        .join(User, StudioSession.representative_id == User.id)
        .where(StudioSession.room_id == room_id, *_overlapping(starts_at, ends_at))
        .order_by(StudioSession.starts_at).limit(1)).first()
    if row is not None:
        return "room", str(_l("%(room)s is already booked %(start)s–%(end)s by %(name)s.",
                              room=row[2], start=hhmm(row[0]), end=hhmm(row[1]), name=row[3]))
    row = db.session.execute(
        select(StudioSession.starts_at, StudioSession.ends_at, Studio.name, Room.name, User.name)
        .join(Studio, StudioSession.studio_id == Studio.id)
        .join(Room, StudioSession.room_id == Room.id)
        .join(User, StudioSession.representative_id == User.id)
        .where(StudioSession.representative_id == representative_id,
               *_overlapping(starts_at, ends_at))
        .order_by(StudioSession.starts_at).limit(1)).first()
    if row is not None:
        return "start", str(_l("%(name)s is already booked %(start)s–%(end)s at %(studio)s "
                               "(%(room)s).", name=row[4], start=hhmm(row[0]),
                               end=hhmm(row[1]), studio=row[2], room=row[3]))
    return None


# --- booking -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Skipped:
    day: date
    message: str


@dataclass
class Booking:
    sessions: list[StudioSession] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


@dataclass(frozen=True)
class _Request:
    room: Room
    day: date
    start: time
    end: time
    focus: str
    slot_minutes: int
    weeks: int


def _validate(studio: Studio, room_id, day, start, end, focus, slot_minutes, weeks) -> _Request:
    room = next((r for r in studio.rooms if r.id == room_id), None)
    if room is None:
        raise Refused(_l("Choose one of the rooms of this studio."), "room")
    parsed_day = parse_date(day)
    if parsed_day is None:
        raise Refused(_l("Enter a date like 2026-12-01."), "day")
    today = local_date(utcnow())
    if parsed_day < today:
        raise Refused(_l("Choose a time in the future."), "day")
    if parsed_day > today + BOOK_AHEAD:
        raise Refused(_l("Sessions are booked at most a year ahead."), "day")
    start_t, end_t = parse_time(start), parse_time(end)
    if start_t is None:
        raise Refused(_l("Enter a time like 09:00."), "start")
    if end_t is None:
        raise Refused(_l("Enter a time like 11:00."), "end")
    if end_t <= start_t:
        raise Refused(_l("The end must be after the start."), "end")
    if not isinstance(slot_minutes, int) or not SLOT_MIN <= slot_minutes <= SLOT_MAX:
        raise Refused(_l("Choose a slot length from %(min)d to %(max)d minutes.",
                             min=SLOT_MIN, max=SLOT_MAX), "slot_minutes")
    minutes = (end_t.hour * 60 + end_t.minute) - (start_t.hour * 60 + start_t.minute)
    if minutes < slot_minutes:
        raise Refused(_l("The session must be at least one slot (%(n)d minutes) long.",
                             n=slot_minutes), "end")
    if not isinstance(weeks, int) or not 1 <= weeks <= WEEKS_MAX:
        raise Refused(_l("Choose from 1 to %(max)d weeks.", max=WEEKS_MAX), "weeks")
    focus = (focus or "").strip()
    if len(focus) > FOCUS_MAX:
        raise Refused(_l("At most %(max)d characters.", max=FOCUS_MAX), "focus")
    if not within_hours(studio.hours, parsed_day.weekday(), start_t, end_t):
        raise Refused(_l("The studio is not open for all of this time on that day. Its "
                             "opening hours are listed on the page."), "start")
    if local_range(parsed_day, start_t, end_t)[0] <= utcnow():
        raise Refused(_l("Choose a time in the future."), "day")
    return _Request(room, parsed_day, start_t, end_t, focus, slot_minutes, weeks)


def _is_deadlock(error: OperationalError) -> bool:
    return getattr(error.orig, "sqlstate", None) == "40P01"


def _insert(make, tries: int = 3) -> tuple[StudioSession | None, tuple[str, str] | None]:
    """Insert ``make()`` in a savepoint: ``(session, None)``, or ``(None, (field, message))``
    when the database refuses an overlap."""
    for attempt in range(1, tries + 1):
        session = make()
        try:
            with db.session.begin_nested():
                db.session.add(session)
                db.session.flush()
        except IntegrityError:
            return None, (find_clash(session.room_id, session.representative_id,
                                     session.starts_at, session.ends_at)
                          or ("start", str(_l("This time was just booked by someone else."))))
        except OperationalError as error:
            # Two overlapping inserts can wait on each other's exclusion check; PostgreSQL
            # then aborts one. Tried again, it waits for the other and sees its outcome.
            if _is_deadlock(error) and attempt < tries:
                continue
            raise
        return session, None
    raise RuntimeError("not reached: the last try returns or raises")


def book_sessions(actor, studio: Studio, *, room_id, day, start, end, focus="",
                  slot_minutes=SLOT_DEFAULT, weeks=1) -> Booking:
    """Book a session for ``actor`` (a representative attached to ``studio``), repeated on the
    same weekday for ``weeks`` weeks. The dates that clash are skipped and listed; if none can
    be booked, nothing is written and the (first) clash is the error.

    A skipped date is not a refusal of the booking: each insert runs in a savepoint of its own
    (:func:`_insert`), so a clash the database finds undoes that date alone, and the dates
    booked before and after it stay in the caller's unit of work to be committed with it."""
    if refusal := check(actor, "studio.book", studio):
        raise Refused.forbidden(refusal.message, refusal.code)
    req = _validate(studio, room_id, day, start, end, focus, slot_minutes, weeks)
    series = secrets.token_hex(8) if req.weeks > 1 else None
    booking = Booking()
    first_clash = None
    for week in range(req.weeks):
        on = req.day + timedelta(weeks=week)
        starts_at, ends_at = local_range(on, req.start, req.end)
        clash = find_clash(req.room.id, actor.id, starts_at, ends_at)
        if clash is None:
            session, clash = _insert(partial(
                StudioSession, studio_id=studio.id, room_id=req.room.id,
                representative_id=actor.id, starts_at=starts_at, ends_at=ends_at,
                focus=req.focus, slot_minutes=req.slot_minutes, series=series))
        if clash is not None:
            first_clash = first_clash or clash
            booking.skipped.append(Skipped(on, clash[1]))
            continue
        booking.sessions.append(session)
        record("studio_session.book", session, actor=actor, community_id=studio.community_id,
               details={"studio": studio.name, "room": req.room.name,
                        "starts_at": starts_at, "ends_at": ends_at, "series": series})
    if not booking.sessions:
        field_name, message = first_clash
        if req.weeks > 1:
            message = str(_l("None of the dates could be booked. First clash: %(clash)s",
                             clash=message))
        raise Refused(message, field_name)
    return booking


# --- cancelling ----------------------------------------------------------------------------

def cancel_session(actor, session: StudioSession, reason) -> int:
    """Cancel a session that has not started; residents holding a slot (and the representative,
    when an admin cancels) are told why. Returns how many were notified."""
    if refusal := check(actor, "studio.cancel", session):
        raise Refused(refusal.message)
    if session.is_cancelled:
        raise Refused(_l("This session is already cancelled."))
    if session.starts_at <= utcnow():
        raise Refused(_l("This session has already begun; it can no longer be cancelled."))
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_l("Say why the session is cancelled; residents will see it."),
                          "reason")
    if len(reason) > REASON_MAX:
        raise Refused(_l("At most %(max)d characters.", max=REASON_MAX), "reason")
    session.cancelled_at = utcnow()
    session.cancelled_by_id = actor.id
    session.cancel_reason = reason
    db.session.flush()
    record("studio_session.cancel", session, actor=actor,
           community_id=session.studio.community_id, details={"reason": reason})
    residents = db.session.scalars(select(Reservation.resident_id).where(
        Reservation.session_id == session.id, Reservation.cancelled_at.is_(None))).all()
    return notify([*residents, session.representative_id], "studio.cancelled",
                  {"studio": session.studio.name, "representative": session.representative.name,
                   "reason": reason, **when(session)},
                  session_url(session.id), skip=[actor.id])
