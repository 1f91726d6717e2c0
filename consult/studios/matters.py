"""The matter raised at a reception, followed to the end: the representative marks it "being
handled", sets or moves the date they promised an answer by, writes the answer (the resident is
told); the resident rates the answer. The steps themselves are in :mod:`consult.studios.rules`.

Only the representative who holds the session acts on its matters; only the resident who raised
one rates it. A record of a resident who did not come holds no matter.
"""
from __future__ import annotations

from datetime import date

from flask import url_for
from flask_babel import lazy_gettext as _l

from consult.audit.log import record
from consult.clock import utcnow
from consult.extensions import db
from consult.notifications.kinds import register
from consult.notifications.service import notify
from consult.permissions import check
from consult.refusals import Refused
from consult.studios import rules
from consult.studios.booking import when
from consult.studios.models import Attendance, ReceptionRecord
from consult.studios.slots import local_date

register("studio.matter_answered", _l("%(representative)s answered the matter you raised at "
                                      "%(studio)s on %(date)s."))
register("studio.matter_reopened", _l("A resident is not satisfied with your answer to the "
                                      "matter raised on %(date)s at %(studio)s; it is being "
                                      "handled again."))


def today() -> date:
    """Today in local time: due dates are local dates."""
    return local_date(utcnow())


def _refuse(refusal: rules.MatterRefusal | None) -> None:
    if refusal is not None:
        raise Refused(refusal.message, refusal.field)


def _own_matter(actor, entry: ReceptionRecord) -> None:
    session = entry.reservation.session
    if refusal := check(actor, "studio.record", session):
        raise Refused.forbidden(refusal.message, refusal.code)
    if entry.attendance != Attendance.ATTENDED.value:
        raise Refused(_l("The resident did not come: there is no matter to follow."))


def _log(action: str, actor, entry: ReceptionRecord, **details) -> None:
    # The words of the answer and the reason stay out of the log, like the matter itself.
    record(action, entry, actor=actor,
           community_id=entry.reservation.session.studio.community_id,
           details={"reservation_id": entry.reservation_id, **details})


def start_handling(actor, entry: ReceptionRecord) -> None:
    _own_matter(actor, entry)
    _refuse(rules.start_handling_refusal(entry.matter_status))
    entry.matter_status = rules.HANDLING
    db.session.flush()
    _log("reception.matter_handling", actor, entry)


def parse_due(text) -> date | None:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def set_due_date(actor, entry: ReceptionRecord, text) -> None:
    _own_matter(actor, entry)
    due = parse_due(text)
    _refuse(rules.due_date_refusal(entry.matter_status, due, today()))
    entry.due_on = due
    db.session.flush()
    _log("reception.matter_due", actor, entry, due_on=due.isoformat())


def answer(actor, entry: ReceptionRecord, text) -> None:
    """The answer the resident reads; the resident is told, and may rate it."""
    _own_matter(actor, entry)
    text = (text or "").strip()
    _refuse(rules.answer_refusal(entry.matter_status, text))
    entry.answer, entry.answered_at = text, utcnow()
    entry.matter_status = rules.ANSWERED
    # A new answer is rated afresh (after a reopening the first reason stays in reopen_reason).
    entry.rating, entry.rating_reason, entry.rated_at = None, "", None
    db.session.flush()
    _log("reception.matter_answer", actor, entry)
    reservation = entry.reservation
    session = reservation.session
    notify([reservation.resident_id], "studio.matter_answered",
           {"representative": session.representative.name, "studio": session.studio.name,
            **when(session)}, url_for("studios.my_reservations", _anchor=f"reservation-{reservation.id}"),
           # At most two answers: the first, and one after the matter was reopened.
           dedup_key=f"studio.matter_answered:{entry.id}:{int(entry.reopened_at is not None)}")


def rate(resident, entry: ReceptionRecord, rating, reason) -> bool:
    """The resident rates the answer; returns whether the rating reopened the matter."""
    reservation = entry.reservation
    if resident is None or reservation.resident_id != getattr(resident, "id", None):
        raise Refused(_l("Only the resident who raised this matter may rate its answer."),
                      kind="forbidden")
    reason = (reason or "").strip()
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = None
    _refuse(rules.rating_refusal(entry.matter_status, entry.rating is not None, rating,
                                 reason))
    entry.rating, entry.rating_reason, entry.rated_at = rating, reason, utcnow()
    reopened = rules.reopens(rating, entry.reopened_at is not None)
    entry.matter_status = rules.status_after_rating(rating, entry.reopened_at is not None)
    if reopened:
        entry.reopened_at, entry.reopen_reason = utcnow(), reason
    db.session.flush()
    _log("reception.matter_rate", resident, entry, rating=rating, reopened=reopened)
    if reopened:
        session = reservation.session
        notify([session.representative_id], "studio.matter_reopened",
               {"studio": session.studio.name, **when(session)},
               url_for("studios.record", session_id=session.id, reservation_id=reservation.id),
               dedup_key=f"studio.matter_reopened:{entry.id}")
    return reopened
