"""Reception reservations (预约接待) and reception records.

One active reservation per slot and per resident in a session is enforced by partial unique
indexes (migration 0003); the checks here only give the clear message first. Two residents
racing for one slot both pass the check on PostgreSQL; the index lets one in and the other is
told the slot was just taken.
"""
from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from consult.accounts.models import User
from consult.audit.log import record
from consult.clock import utcnow
from consult.extensions import db
from consult.notifications.kinds import register
from consult.notifications.service import notify
from consult.permissions import check
from consult.studios.booking import session_url, when
from consult.refusals import Refused
from consult.studios.labels import CATEGORY_LABELS
from consult.studios.models import (
    Attendance, ReceptionRecord, Reservation, StudioSession,
)
from consult.studios.slots import parse_slot_key, slot_starts

MAX_UPCOMING = 3
CANCEL_NOTICE = timedelta(hours=2)
MATTER_MAX = 500
RECORD_MAX = 2000

register("studio.recorded", _l("%(representative)s recorded your reception of %(date)s at "
                               "%(studio)s."))

_SLOT_TAKEN = _l("That slot was just taken. Please choose another one.")
_ALREADY_HOLD = _l("You already hold a slot in this session.")


def _holds_slot_in(session_id: int, resident_id: int) -> bool:
    return db.session.scalar(select(Reservation.id).where(
        Reservation.session_id == session_id, Reservation.resident_id == resident_id,
        Reservation.cancelled_at.is_(None)).limit(1)) is not None


def _slot_taken(session_id: int, slot_start) -> bool:
    return db.session.scalar(select(Reservation.id).where(
        Reservation.session_id == session_id, Reservation.slot_start == slot_start,
        Reservation.cancelled_at.is_(None)).limit(1)) is not None


def upcoming_count(resident_id: int) -> int:
    """Active reservations in sessions not cancelled whose slot is still to come."""
    return db.session.scalar(
        select(func.count(Reservation.id))
        .join(StudioSession, Reservation.session_id == StudioSession.id)
        .where(Reservation.resident_id == resident_id, Reservation.cancelled_at.is_(None),
               StudioSession.cancelled_at.is_(None), Reservation.slot_start > utcnow())) or 0


def _lock_resident(resident_id: int) -> None:
    """Serialise one resident's reservations, so two at once cannot both pass the limit of
    upcoming slots (on SQLite the write transaction already does)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(User.id).where(User.id == resident_id).with_for_update())


def _check_matter(category, matter) -> str:
    if category not in CATEGORY_LABELS:
        raise Refused(_l("Choose what the matter is about."), "category")
    matter = (matter or "").strip()
    if not matter:
        raise Refused(_l("Say in a few words what you want to raise."), "matter")
    if len(matter) > MATTER_MAX:
        raise Refused(_l("At most %(max)d characters.", max=MATTER_MAX), "matter")
    return matter


def reserve(actor, session: StudioSession, slot_key, category, matter) -> Reservation:
    if refusal := check(actor, "studio.reserve", session):
        raise Refused.forbidden(refusal.message, refusal.code)
    if session.is_cancelled:
        raise Refused(_l("This session is cancelled."))
    if session.representative_id == actor.id:
        raise Refused(_l("You cannot reserve a slot in your own session."))
    slot_start = parse_slot_key(slot_key)
    if slot_start not in slot_starts(session.starts_at, session.ends_at, session.slot_minutes):
        raise Refused(_l("Choose one of the free slots."), "slot")
    if slot_start <= utcnow():
        raise Refused(_l("This slot has already begun. Please choose a later one."), "slot")
    matter = _check_matter(category, matter)
    _lock_resident(actor.id)
    if _holds_slot_in(session.id, actor.id):
        raise Refused(_ALREADY_HOLD, "slot", conflict=True)
    if upcoming_count(actor.id) >= MAX_UPCOMING:
        raise Refused(_l("You already hold %(n)d upcoming slots, the most anyone may. "
                             "Cancel one to reserve another.", n=MAX_UPCOMING), "slot")
    if _slot_taken(session.id, slot_start):
        raise Refused(_SLOT_TAKEN, "slot", conflict=True)
    reservation = Reservation(
        session_id=session.id, resident_id=actor.id, slot_start=slot_start,
        slot_end=slot_start + timedelta(minutes=session.slot_minutes), category=category,
        matter=matter)
    try:
        with db.session.begin_nested():
            db.session.add(reservation)
            db.session.flush()
    except IntegrityError:
        raise Refused(_ALREADY_HOLD if _holds_slot_in(session.id, actor.id)
                          else _SLOT_TAKEN, "slot", conflict=True) from None
    # What the matter is stays out of the log: the log is about who did what, not private words.
    record("reservation.create", reservation, actor=actor,
           community_id=session.studio.community_id,
           details={"session_id": session.id, "slot_start": slot_start})
    return reservation


def cancel_reservation(actor, reservation: Reservation) -> None:
    """The resident gives the slot back, up to two hours before it begins."""
    if actor is None or reservation.resident_id != getattr(actor, "id", None):
        raise Refused(_l("Only the resident who reserved this slot may cancel it."))
    if not reservation.is_active:
        raise Refused(_l("This reservation is already cancelled."))
    if utcnow() > reservation.slot_start - CANCEL_NOTICE:
        raise Refused(_l("A reservation can be cancelled until two hours before the slot. "
                             "Please tell the studio instead."))
    reservation.cancelled_at = utcnow()
    db.session.flush()
    record("reservation.cancel", reservation, actor=actor,
           community_id=reservation.session.studio.community_id,
           details={"session_id": reservation.session_id})


def record_reception(actor, reservation: Reservation, attendance, raised,
                     follow_up) -> ReceptionRecord:
    """Write (or correct) what happened at a reception; the resident is told the first time."""
    session = reservation.session
    if refusal := check(actor, "studio.record", session):
        raise Refused.forbidden(refusal.message, refusal.code)
    if not reservation.is_active or session.is_cancelled:
        raise Refused(_l("This reservation was cancelled; there is nothing to record."))
    if reservation.slot_start > utcnow():
        raise Refused(_l("A reception can be recorded once its slot has begun."))
    if attendance not in {a.value for a in Attendance}:
        raise Refused(_l("Say whether the resident came."), "attendance")
    raised, follow_up = (raised or "").strip(), (follow_up or "").strip()
    if attendance == Attendance.ATTENDED.value and not raised:
        raise Refused(_l("Write down what the resident raised."), "raised")
    for name, text in (("raised", raised), ("follow_up", follow_up)):
        if len(text) > RECORD_MAX:
            raise Refused(_l("At most %(max)d characters.", max=RECORD_MAX), name)
    entry = reservation.record or ReceptionRecord()
    entry.attendance, entry.raised, entry.follow_up = attendance, raised, follow_up
    entry.recorded_at, entry.recorded_by_id = utcnow(), actor.id
    reservation.record = entry
    db.session.flush()
    record("reception.record", entry, actor=actor, community_id=session.studio.community_id,
           details={"reservation_id": reservation.id, "attendance": attendance})
    notify([reservation.resident_id], "studio.recorded",
           {"representative": session.representative.name, "studio": session.studio.name,
            **when(session)}, session_url(session.id),
           dedup_key=f"studio.recorded:{reservation.id}")
    return entry
