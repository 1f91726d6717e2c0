"""Officials' follow-up in the API (issue 15): a representative books studio sessions, records
receptions and follows the matters raised at them to the end; the resident who raised a matter
reads it and rates the answer; an official reads their desk (我的工作台).

Each write calls the service the pages call (:mod:`consult.studios.booking`,
:mod:`consult.studios.reception`, :mod:`consult.studios.matters`), which checks the permission
table (403) and the rules: a moment or a state that does not allow it is 409, input that breaks
the document 422. The desk is :func:`consult.desk.queries.desk_for`, as the page shows it.
"""
from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

from consult.api import schemas as s
from consult.api.core import TOKEN, answer, bp, not_found, read, refused_as, require_user, write
from consult.api.reads import person, session_shape
from consult.api.schemas import (
    BookingBody, DueBody, MatterAnswerBody, MatterRatingBody, ReceptionPath, RecordBody,
    ReservationPath, StudioPath,
)
from consult.extensions import db
from consult.permissions import check
from consult.refusals import Refused
from consult.studios.models import Attendance


# --- shapes -----------------------------------------------------------------------------------

def matter_shape(r, today) -> s.ReceptionMatter:
    """A reservation with its reception record and the matter's state."""
    from consult.studios import rules

    entry, session = r.record, r.session
    follows = entry is not None and entry.attendance == Attendance.ATTENDED.value
    status = entry.matter_status if follows else None
    return s.ReceptionMatter(
        reservation_id=r.id, session_id=r.session_id, studio=session.studio.name,
        representative=person(session.representative), resident=person(r.resident),
        slot_start=r.slot_start, category=r.category, matter=r.matter,
        attendance=entry.attendance if entry is not None else None,
        raised=entry.raised if entry is not None else None,
        follow_up=entry.follow_up if entry is not None else None,
        recorded_at=entry.recorded_at if entry is not None else None,
        status=status, due_on=entry.due_on if follows else None,
        overdue=follows and rules.is_overdue(status, entry.due_on, today),
        answer=entry.answer or None if follows else None,
        answered_at=entry.answered_at if follows else None,
        rating=entry.rating if follows else None,
        rating_reason=entry.rating_reason or None if follows else None,
        rated_at=entry.rated_at if follows else None,
        reopened=follows and entry.reopened_at is not None)


# --- booking ------------------------------------------------------------------------------------

@bp.post("/studios/<int:studio_id>/sessions", **write(
    s.BookingResult, "Studios", "Book reception sessions in one of the studio's rooms "
    "(representatives attached to the studio)", description=s.BookingResult.__doc__))
@refused_as(room="conflict", day="conflict", start="conflict", end="conflict")
def book_sessions(path: StudioPath, body: BookingBody):
    from consult.studios import booking, queries

    user = require_user()
    studio = queries.studio_by_id(path.studio_id) or not_found(_("There is no such studio."))
    result = booking.book_sessions(
        user, studio, room_id=body.room_id, day=body.day.isoformat(), start=body.start,
        end=body.end, focus=body.focus, slot_minutes=body.slot_minutes, weeks=body.weeks)
    views = queries.session_views(result.sessions)
    return answer(s.BookingResult(
        sessions=[session_shape(v) for v in views],
        skipped=[s.SkippedDay(day=k.day, reason=str(k.message)) for k in result.skipped]), 201)


# --- receptions and their matters ---------------------------------------------------------------

def _reception(session_id: int, reservation_id: int):
    """The user, and a reservation of a session they may record (403 before anything of the
    session's reservations is told, as the page)."""
    from consult.studios import queries

    user = require_user()
    session = queries.session_by_id(session_id) or not_found(_("There is no such session."))
    if (r := check(user, "studio.record", session)) is not None:
        raise Refused.forbidden(r.message, r.code)
    reservation = queries.reservation_in(session.id, reservation_id) or not_found(
        _("There is no such reservation."))
    return user, reservation


def _matter_answer(reservation):
    from consult.studios import matters

    return answer(matter_shape(reservation, matters.today()))


def _entry(reservation):
    if reservation.record is None:
        raise Refused(_("Nothing is recorded yet: there is no matter to follow."))
    return reservation.record


@bp.put("/studio-sessions/<int:session_id>/reservations/<int:reservation_id>/record",
        **write(s.ReceptionMatter, "Studios", "Record (or correct) a reception once its slot "
                "has begun; the resident is told (the session's representative)",
                status="200"))
def record_reception(path: ReceptionPath, body: RecordBody):
    from consult.studios import reception

    user, reservation = _reception(path.session_id, path.reservation_id)
    reception.record_reception(user, reservation, body.attendance, body.raised,
                               body.follow_up)
    return _matter_answer(reservation)


@bp.post("/studio-sessions/<int:session_id>/reservations/<int:reservation_id>/handling",
         **write(s.ReceptionMatter, "Studios", "Mark the matter raised at the reception as "
                 "being handled (the session's representative)", status="200"))
def handle_matter(path: ReceptionPath):
    from consult.studios import matters

    user, reservation = _reception(path.session_id, path.reservation_id)
    matters.start_handling(user, _entry(reservation))
    return _matter_answer(reservation)


@bp.put("/studio-sessions/<int:session_id>/reservations/<int:reservation_id>/due",
        **write(s.ReceptionMatter, "Studios", "Set or move the date the answer is promised by "
                "(the session's representative)", status="200"))
@refused_as(due_on="conflict")  # in the past or more than a year ahead, as of today
def matter_due(path: ReceptionPath, body: DueBody):
    from consult.studios import matters

    user, reservation = _reception(path.session_id, path.reservation_id)
    matters.set_due_date(user, _entry(reservation), body.due_on.isoformat())
    return _matter_answer(reservation)


@bp.post("/studio-sessions/<int:session_id>/reservations/<int:reservation_id>/answer",
         **write(s.ReceptionMatter, "Studios", "Answer the matter; the resident is told and "
                 "may rate the answer (the session's representative)", status="200"))
def answer_matter(path: ReceptionPath, body: MatterAnswerBody):
    from consult.studios import matters

    user, reservation = _reception(path.session_id, path.reservation_id)
    matters.answer(user, _entry(reservation), body.answer)
    return _matter_answer(reservation)


@bp.put("/reservations/<int:reservation_id>/rating", **write(
    s.ReceptionMatter, "Studios", "Rate the answer to the matter one raised (1-5, once); 1 or "
    "2 with a reason sends it back to the representative, once", status="200"))
def rate_matter(path: ReservationPath, body: MatterRatingBody):
    from consult.studios import matters
    from consult.studios.models import Reservation

    user = require_user()
    r = db.session.get(Reservation, path.reservation_id)
    if r is None or r.resident_id != user.id or r.record is None:
        not_found(_("There is no such reservation."))  # another resident's: not even that
    matters.rate(user, r.record, body.rating, body.reason)
    return _matter_answer(r)


@bp.get("/me/reception-matters", **read(
    s.ReceptionMatterList, "Studios", "The receptions one had recorded and the matters raised "
    "at them, newest first", not_found=False, security=TOKEN))
def my_matters():
    from consult.studios import matters, queries

    user = require_user()
    today = matters.today()
    return answer(s.ReceptionMatterList(items=[
        matter_shape(r, today) for r in queries.reservations_of(user.id)
        if r.record is not None]))


@bp.get("/me/studio-matters", **read(
    s.ReceptionMatterList, "Studios", "A representative's recorded receptions and their "
    "matters, newest first (empty for anyone else)", not_found=False, security=TOKEN))
def representative_matters():
    from consult.studios import matters, queries

    user = require_user()
    today = matters.today()
    return answer(s.ReceptionMatterList(items=[
        matter_shape(r, today) for r in queries.receptions_held_by(user.id)]))


# --- the desk -----------------------------------------------------------------------------------

# The API operation that does a desk line's work, where there is one: endpoint and the ids it
# takes from the line.
DESK_API = {
    "review": ("api.accept_proposal", ("topic_id",)),  # or api.reject_proposal, same id
    "minutes": ("api.save_minutes_draft", ("meeting_id",)),  # then api.publish_minutes
    "votes": ("api.open_vote", ("topic_id",)),
    "outcomes": ("api.publish_outcome", ("topic_id",)),
    "objections": ("api.answer_objection", ("objection_id",)),
    "implementations": ("api.post_progress", ("topic_id",)),
    "receptions": ("api.record_reception", ("session_id", "reservation_id")),
    "matters": ("api.answer_matter", ("session_id", "reservation_id")),
}


def _api_path(kind: str, line) -> str | None:
    if kind not in DESK_API:
        return None
    endpoint, names = DESK_API[kind]
    ids = {**line.args, **line.ref}
    return url_for(endpoint, **{n: ids[n] for n in names})


@bp.get("/me/desk", **read(
    s.Desk, "Desk", "The official's desk (我的工作台): what waits for the caller, oldest "
    "first in each section (403 for someone who holds no office)", not_found=False,
    extra=("403",), security=TOKEN))
def desk():
    from consult.desk import queries

    user = require_user()
    if (r := check(user, "desk.enter")) is not None:
        raise Refused.forbidden(r.message, r.code)
    found = queries.desk_for(user)
    now = found.now
    return answer(s.Desk(
        total=found.total,
        sections=[s.DeskSection(kind=sec.kind, title=str(sec.title), count=len(sec.lines))
                  for sec in found.sections],
        items=[s.DeskItem(
            kind=sec.kind, what=str(line.what), since=line.since, age_days=line.age_days(now),
            deadline=line.deadline, deadline_day=line.deadline_day,
            overdue=line.overdue(now),
            url=url_for(line.endpoint, **line.args, _anchor=line.anchor),
            api=_api_path(sec.kind, line)) for sec in found.sections for line in sec.lines]))
