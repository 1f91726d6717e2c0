"""Halls, scheduling meetings, and registering to attend.

Plain functions like the rest of the app: each checks the permission and the input, changes
the session, writes the audit log and raises :class:`Refused` (a message and its field)
before changing anything it refuses. The request's unit of work commits or rolls back.

Clashes: :func:`find_clash` names the meeting a new time would overlap; the database refuses an
overlap that slips past it (two secretaries at the same moment), and that refusal is turned
into the same message. Seats: the meeting row is locked (PostgreSQL; SQLite's BEGIN IMMEDIATE
already serialises writers) while seats are counted, so two residents never take the last seat.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app, has_request_context, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from consult.audit.log import record
from consult.clock import to_local, utcnow
from consult.community.models import Community
from consult.extensions import db
from consult.refusals import Refused
from consult.halls.models import (
    AgendaItem, Hall, Meeting, Minutes, Registration, RegistrationStatus, RevisionStatus,
    MinutesRevision,
)
from consult.notifications.kinds import register as register_kind
from consult.notifications.service import notify
from consult.permissions import check
from consult.studios.slots import hhmm, local_range, parse_date, parse_time
from consult.i18n import local_datetime
from consult.topics import lifecycle, rules
from consult.topics.lifecycle import Stage
from consult.topics.models import Topic

NAME_MAX, ADDRESS_MAX, ACCESSIBILITY_MAX = 80, 200, 1000
CAPACITY_MAX = 2000
TITLE_MIN, TITLE_MAX = 2, 120
REASON_MAX = 500
AGENDA_MAX = 10

register_kind("meeting.rescheduled", _l(
    "The meeting “%(title)s” you registered for was moved to %(date)s, %(time)s, in %(hall)s."))
register_kind("meeting.cancelled", _l(
    "The meeting “%(title)s” on %(date)s, %(time)s, is cancelled. Reason: %(reason)s"))
register_kind("meeting.seat", _l(
    "A seat became free: you can now attend the meeting “%(title)s” on %(date)s, %(time)s."))


def meeting_url(meeting_id: int) -> str:
    if has_request_context():
        return url_for("halls.meeting", meeting_id=meeting_id)
    return current_app.url_map.bind("localhost").build("halls.meeting",
                                                       {"meeting_id": meeting_id})


def when(meeting: Meeting) -> dict[str, str]:
    return {"date": to_local(meeting.starts_at).date().isoformat(),
            "time": f"{hhmm(meeting.starts_at)}–{hhmm(meeting.ends_at)}"}


def _require(actor, action: str, obj) -> None:
    if refusal := check(actor, action, obj):
        raise Refused.forbidden(refusal.message, refusal.code)


# --- halls ---------------------------------------------------------------------------------

def _hall_fields(name, address, capacity, accessibility) -> dict:
    name = " ".join((name or "").split())
    address = (address or "").strip()
    accessibility = (accessibility or "").strip()
    if not name:
        raise Refused(_l("Give the hall a name."), "name")
    if len(name) > NAME_MAX:
        raise Refused(_l("At most %(max)d characters.", max=NAME_MAX), "name")
    if len(address) > ADDRESS_MAX:
        raise Refused(_l("At most %(max)d characters.", max=ADDRESS_MAX), "address")
    if not isinstance(capacity, int) or not 1 <= capacity <= CAPACITY_MAX:
        raise Refused(_l("The capacity is a number of seats from 1 to %(max)d.",
                           max=CAPACITY_MAX), "capacity")
    if len(accessibility) > ACCESSIBILITY_MAX:
        raise Refused(_l("At most %(max)d characters.", max=ACCESSIBILITY_MAX),
                        "accessibility")
    return {"name": name, "address": address, "capacity": capacity,
            "accessibility": accessibility}


def _name_taken(community_id: int, name: str, hall_id: int | None = None) -> bool:
    stmt = select(Hall.id).where(Hall.community_id == community_id, Hall.name == name)
    if hall_id is not None:
        stmt = stmt.where(Hall.id != hall_id)
    return db.session.scalar(stmt) is not None


def create_hall(actor, community: Community, *, name, address, capacity,
                accessibility="") -> Hall:
    _require(actor, "hall.manage", community)
    fields = _hall_fields(name, address, capacity, accessibility)
    if _name_taken(community.id, fields["name"]):
        raise Refused(_l("This community already has a hall of that name."), "name")
    hall = Hall(community_id=community.id, **fields)
    try:
        with db.session.begin_nested():
            db.session.add(hall)
            db.session.flush()
    except IntegrityError:
        raise Refused(_l("This community already has a hall of that name."), "name") from None
    record("hall.create", hall, actor=actor, community_id=community.id, details=fields)
    return hall


def update_hall(actor, hall: Hall, *, name, address, capacity, accessibility="") -> Hall:
    _require(actor, "hall.manage", hall)
    fields = _hall_fields(name, address, capacity, accessibility)
    if _name_taken(hall.community_id, fields["name"], hall.id):
        raise Refused(_l("This community already has a hall of that name."), "name")
    for key, value in fields.items():
        setattr(hall, key, value)
    db.session.flush()
    record("hall.update", hall, actor=actor, community_id=hall.community_id, details=fields)
    return hall


# --- clashes -------------------------------------------------------------------------------

def find_clash(hall_id: int, starts_at: datetime, ends_at: datetime,
               except_id: int | None = None) -> str | None:
    """The message naming the first live meeting of the hall that overlaps ``[starts, ends)``;
    back-to-back is not a clash. One query."""
    stmt = (select(Meeting.title, Meeting.starts_at, Meeting.ends_at, Hall.name)
            .join(Hall, Meeting.hall_id == Hall.id)
            .where(Meeting.hall_id == hall_id, Meeting.cancelled_at.is_(None),
                   Meeting.starts_at < ends_at, Meeting.ends_at > starts_at)
            .order_by(Meeting.starts_at).limit(1))
    if except_id is not None:
        stmt = stmt.where(Meeting.id != except_id)
    row = db.session.execute(stmt).first()
    if row is None:
        return None
    return str(_l("%(hall)s is already booked on %(date)s, %(start)s–%(end)s, for the meeting "
                  "“%(title)s”.", hall=row[3], date=to_local(row[1]).date().isoformat(),
                  start=hhmm(row[1]), end=hhmm(row[2]), title=row[0]))


def _is_deadlock(error: OperationalError) -> bool:
    return getattr(error.orig, "sqlstate", None) == "40P01"


def _write_guarded(change, hall_id, starts_at, ends_at, except_id=None, tries: int = 3):
    """Run ``change()`` (an insert or update of a meeting) and flush it in a savepoint; turn
    the database's refusal of an overlap into the clash message."""
    for attempt in range(1, tries + 1):
        try:
            with db.session.begin_nested():
                result = change()
                db.session.flush()
            return result
        except IntegrityError:
            raise Refused(find_clash(hall_id, starts_at, ends_at, except_id)
                            or _l("This time in this hall was just booked by someone else."),
                            "start", conflict=True) from None
        except OperationalError as error:
            # PostgreSQL may abort one of two overlapping writes as a deadlock (each waits on
            # the other's exclusion check): try again, it then waits and sees the outcome.
            if _is_deadlock(error) and attempt < tries:
                continue
            raise
    raise RuntimeError("not reached")


# --- scheduling ----------------------------------------------------------------------------

@dataclass(frozen=True)
class When:
    starts_at: datetime
    ends_at: datetime


def _parse_when(day, start, end) -> When:
    parsed_day = parse_date(day)
    if parsed_day is None:
        raise Refused(_l("Enter a date like 2026-12-01."), "day")
    start_t, end_t = parse_time(start), parse_time(end)
    if start_t is None:
        raise Refused(_l("Enter a time like 19:00."), "start")
    if end_t is None:
        raise Refused(_l("Enter a time like 21:00."), "end")
    if end_t <= start_t:
        raise Refused(_l("The end must be after the start."), "end")
    try:
        starts_at, ends_at = local_range(parsed_day, start_t, end_t)
    except OverflowError:  # the calendar's first day, before UTC's: long past
        raise Refused(_l("Choose a time in the future."), "day") from None
    if starts_at <= utcnow():
        raise Refused(_l("Choose a time in the future."), "day")
    return When(starts_at, ends_at)


def _title(title) -> str:
    title = " ".join((title or "").split())
    if len(title) < TITLE_MIN:
        raise Refused(_l("Give the meeting a title."), "title")
    if len(title) > TITLE_MAX:
        raise Refused(_l("At most %(max)d characters.", max=TITLE_MAX), "title")
    return title


def _hall_of(community_id: int, hall_id) -> Hall:
    hall = db.session.get(Hall, hall_id) if isinstance(hall_id, int) else None
    if hall is None or hall.community_id != community_id:
        raise Refused(_l("Choose one of the halls of this community."), "hall")
    return hall


def agenda_candidates(community_id: int) -> list[Topic]:
    """Topics that may go on a new agenda: open for comment (their period must end before the
    meeting starts, checked when it is scheduled), or already in deliberation (e.g. their
    meeting was cancelled, or they came back). One query."""
    return list(db.session.scalars(
        select(Topic).where(
            Topic.community_id == community_id,
            Topic.stage.in_([Stage.COMMENTING.value, Stage.DELIBERATING.value]))
        .order_by(Topic.comment_until, Topic.id)))


def _agenda(community_id: int, topic_ids) -> list[Topic]:
    ids = []
    for raw in topic_ids or []:
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise Refused(_l("Choose topics from the list."), "topics") from None
        if value not in ids:
            ids.append(value)
    if not ids:
        raise Refused(_l("Put at least one topic on the agenda."), "topics")
    if len(ids) > AGENDA_MAX:
        raise Refused(_l("At most %(max)d topics per meeting.", max=AGENDA_MAX), "topics")
    topics = {t.id: t for t in db.session.scalars(select(Topic).where(Topic.id.in_(ids)))}
    ordered = []
    for topic_id in ids:
        topic = topics.get(topic_id)
        if topic is None or topic.community_id != community_id:
            raise Refused(_l("Choose topics of this community."), "topics")
        ordered.append(topic)
    return ordered


def schedule_meeting(actor, community: Community, *, hall_id, day, start, end, title,
                     topic_ids) -> Meeting:
    """Schedule a meeting with an agenda; each agenda topic still open for comment (its period
    over) moves to deliberation. Refuses a clash in the hall, naming the other meeting."""
    _require(actor, "meeting.manage", community)
    hall = _hall_of(community.id, hall_id)
    title = _title(title)
    at = _parse_when(day, start, end)
    topics = _agenda(community.id, topic_ids)
    if (clash := find_clash(hall.id, at.starts_at, at.ends_at)) is not None:
        raise Refused(clash, "start", conflict=True)
    now = utcnow()
    meeting = Meeting(hall_id=hall.id, community_id=community.id, title=title,
                      starts_at=at.starts_at, ends_at=at.ends_at, created_by_id=actor.id,
                      created_at=now, updated_at=now, cancel_reason="")
    # The meeting first: if the hall is taken, nothing else has happened (or is locked).
    _write_guarded(lambda: db.session.add(meeting), hall.id, at.starts_at, at.ends_at)
    for position, topic in enumerate(topics):
        _put_on_agenda(actor, meeting, topic, position)
    record("meeting.schedule", meeting, actor=actor, community_id=community.id,
           details={"hall": hall.name, "title": title, "starts_at": at.starts_at,
                    "ends_at": at.ends_at, "topics": [t.id for t in topics]})
    return meeting


def _put_on_agenda(actor, meeting: Meeting, topic: Topic, position: int) -> None:
    """A topic whose comment period is over moves to deliberation now; one whose period ends
    before the meeting starts stays open for comment until then and moves on when its period
    ends (:func:`settle_agenda_topics`)."""
    lifecycle.lock(topic)
    if topic.stage == Stage.COMMENTING.value and not lifecycle.comment_period_over(topic):
        if not rules.may_go_on_agenda(topic.comment_until, meeting.starts_at):
            raise Refused(_l(
                "“%(title)s”: its comment period runs until %(until)s, after the meeting starts. "
                "Choose a later time, or close its comment period early.", title=topic.title,
                until=local_datetime(topic.comment_until, "short")), "topics")
    elif topic.stage == Stage.COMMENTING.value:
        try:
            lifecycle.apply(actor, topic, "deliberate")
        except Refused as error:
            raise Refused(_l("“%(title)s”: %(why)s", title=topic.title,
                               why=str(error.message)), "topics") from None
    elif topic.stage != Stage.DELIBERATING.value:
        raise Refused(_l("“%(title)s” cannot go on an agenda: it is at the stage “%(stage)s”.",
                           title=topic.title, stage=lifecycle.stage_label(topic.stage)),
                        "topics")
    db.session.add(AgendaItem(meeting_id=meeting.id, topic_id=topic.id, position=position))


def agenda_end_refusal(topic: Topic, until) -> str | None:
    """Why the comment period of ``topic`` may not run until ``until``: it is on the agenda of
    a meeting that starts before then (its comments must close by the meeting)."""
    starts_at = db.session.scalar(
        select(func.min(Meeting.starts_at)).join(AgendaItem, AgendaItem.meeting_id == Meeting.id)
        .where(AgendaItem.topic_id == topic.id, Meeting.cancelled_at.is_(None),
               Meeting.starts_at > utcnow()))
    if starts_at is not None and until is not None and until > starts_at:
        return _l("The topic is on the agenda of a meeting on %(when)s; its comments must close "
                  "before the meeting starts.", when=local_datetime(starts_at, "short"))
    return None


def on_agenda_and_period_over(topic: Topic, context: dict) -> str | None:
    """The guard of ``agenda_deliberate``: the topic is on a live meeting's agenda and its
    comment period is over."""
    if not lifecycle.comment_period_over(topic):
        return _l("The comment period is not over yet.")
    on_agenda = db.session.scalar(
        select(AgendaItem.id).join(Meeting, AgendaItem.meeting_id == Meeting.id)
        .where(AgendaItem.topic_id == topic.id, Meeting.cancelled_at.is_(None)).limit(1))
    if on_agenda is None:
        return _l("The topic is on no meeting's agenda.")
    return None


def settle_agenda_topics(meeting: Meeting | None = None) -> int:
    """Move the agenda topics (of ``meeting``, or of every meeting) whose comment period has
    ended on to deliberation. Run from cron (``flask topics settle``) and before minutes are
    written; the caller commits. Returns how many moved."""
    stmt = (select(Topic).join(AgendaItem, AgendaItem.topic_id == Topic.id)
            .join(Meeting, AgendaItem.meeting_id == Meeting.id)
            .where(Topic.stage == Stage.COMMENTING.value, Topic.comment_until <= utcnow(),
                   Meeting.cancelled_at.is_(None)).order_by(Topic.id).distinct())
    if meeting is not None:
        stmt = stmt.where(Meeting.id == meeting.id)
    moved = 0
    for topic in db.session.scalars(stmt).all():
        lifecycle.lock(topic)
        if lifecycle.refusal(None, topic, "agenda_deliberate") is None:
            lifecycle.apply(None, topic, "agenda_deliberate")
            moved += 1
    return moved


def _editable(meeting: Meeting) -> None:
    if meeting.is_cancelled:
        raise Refused(_l("This meeting is cancelled."))
    if meeting.starts_at <= utcnow():
        raise Refused(_l("This meeting has already begun; it can no longer be changed."))


def attendee_ids(meeting_id: int) -> list[int]:
    return list(db.session.scalars(select(Registration.user_id).where(
        Registration.meeting_id == meeting_id)))


def reschedule_meeting(actor, meeting: Meeting, *, hall_id, day, start, end, title) -> int:
    """Move a meeting (time, hall, title); registered residents are told. Returns how many."""
    _require(actor, "meeting.manage", meeting)
    _editable(meeting)
    hall = _hall_of(meeting.community_id, hall_id)
    title = _title(title)
    at = _parse_when(day, start, end)
    if (clash := find_clash(hall.id, at.starts_at, at.ends_at, meeting.id)) is not None:
        raise Refused(clash, "start", conflict=True)
    _agenda_fits(meeting, at.starts_at)
    before = {"hall_id": meeting.hall_id, "starts_at": meeting.starts_at,
              "ends_at": meeting.ends_at, "title": meeting.title}
    moved = (before["hall_id"], before["starts_at"], before["ends_at"]) != (
        hall.id, at.starts_at, at.ends_at)

    def change():
        meeting.hall_id, meeting.hall = hall.id, hall
        meeting.starts_at, meeting.ends_at, meeting.title = at.starts_at, at.ends_at, title
        meeting.updated_at = utcnow()
        meeting.sequence = meeting.sequence + 1

    _write_guarded(change, hall.id, at.starts_at, at.ends_at, meeting.id)
    record("meeting.reschedule", meeting, actor=actor, community_id=meeting.community_id,
           details={"before": before, "hall": hall.name, "starts_at": at.starts_at,
                    "ends_at": at.ends_at, "title": title})
    if before["hall_id"] != hall.id:
        fill_seats(meeting)  # a bigger hall: the waiting list moves up
    if not moved:
        return 0
    return notify(attendee_ids(meeting.id), "meeting.rescheduled",
                  {"title": title, "hall": hall.name, **when(meeting)},
                  meeting_url(meeting.id), skip=[actor.id])


def _agenda_fits(meeting: Meeting, starts_at: datetime) -> None:
    """A meeting may not move to start before the comment period of an agenda topic ends (as
    when it is scheduled, :func:`_put_on_agenda`): its comments must close by the meeting."""
    for item in meeting.agenda:
        topic = item.topic
        if (topic.stage == Stage.COMMENTING.value and not lifecycle.comment_period_over(topic)
                and not rules.may_go_on_agenda(topic.comment_until, starts_at)):
            raise Refused(_l(
                "“%(title)s”: its comment period runs until %(until)s, after the meeting would "
                "start. Choose a later time, or close its comment period early.",
                title=topic.title, until=local_datetime(topic.comment_until, "short")),
                "day", conflict=True)


def cancel_meeting(actor, meeting: Meeting, reason) -> int:
    """Cancel with a public reason; the agenda topics stay in deliberation (they can go on
    another agenda). Registered residents are told. Returns how many."""
    _require(actor, "meeting.manage", meeting)
    _editable(meeting)
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_l("Say why the meeting is cancelled; residents will see it."),
                        "reason")
    if len(reason) > REASON_MAX:
        raise Refused(_l("At most %(max)d characters.", max=REASON_MAX), "reason")
    meeting.cancelled_at = utcnow()
    meeting.cancelled_by_id = actor.id
    meeting.cancel_reason = reason
    meeting.sequence = meeting.sequence + 1
    db.session.flush()
    record("meeting.cancel", meeting, actor=actor, community_id=meeting.community_id,
           details={"reason": reason})
    return notify(attendee_ids(meeting.id), "meeting.cancelled",
                  {"title": meeting.title, "reason": reason, **when(meeting)},
                  meeting_url(meeting.id), skip=[actor.id])


# --- registration --------------------------------------------------------------------------

def lock_meeting(meeting: Meeting) -> Meeting:
    """Re-read the meeting under a row lock (PostgreSQL): seats are counted one request at a
    time. On SQLite the request's BEGIN IMMEDIATE already serialises writers."""
    db.session.flush()
    db.session.execute(select(Meeting.id).where(Meeting.id == meeting.id).with_for_update())
    db.session.refresh(meeting, attribute_names=["cancelled_at", "starts_at", "ends_at",
                                                 "hall_id"])
    return meeting


def _confirmed_count(meeting_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Registration).where(
        Registration.meeting_id == meeting_id,
        Registration.status == RegistrationStatus.CONFIRMED.value)) or 0


def own_registration(meeting_id: int, user_id: int) -> Registration | None:
    return db.session.scalar(select(Registration).where(Registration.meeting_id == meeting_id,
                                                        Registration.user_id == user_id))


def register(actor, meeting: Meeting) -> Registration:
    """Register ``actor`` to attend: a seat while the hall has room, else the waiting list."""
    _require(actor, "meeting.attend", meeting)
    lock_meeting(meeting)
    if meeting.is_cancelled:
        raise Refused(_l("This meeting is cancelled."))
    if meeting.starts_at <= utcnow():
        raise Refused(_l("This meeting has already begun; registration is closed."))
    if own_registration(meeting.id, actor.id) is not None:
        raise Refused(_l("You are already registered for this meeting."), conflict=True)
    capacity = db.session.get(Hall, meeting.hall_id).capacity
    status = (RegistrationStatus.CONFIRMED if _confirmed_count(meeting.id) < capacity
              else RegistrationStatus.WAITING)
    registration = Registration(meeting_id=meeting.id, user_id=actor.id, status=status.value,
                                created_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(registration)
            db.session.flush()
    except IntegrityError:  # the same person twice at the same moment
        raise Refused(_l("You are already registered for this meeting."),
                        conflict=True) from None
    record("meeting.register", meeting, actor=actor, community_id=meeting.community_id,
           details={"status": status.value})
    return registration


def unregister(actor, meeting: Meeting) -> Registration | None:
    """Give up a seat or a place on the waiting list. When a seat frees, the first on the
    waiting list gets it and is told. Returns that person's registration, if any."""
    lock_meeting(meeting)
    mine = own_registration(meeting.id, actor.id)
    if mine is None:
        raise Refused(_l("You are not registered for this meeting."))
    if meeting.starts_at <= utcnow():
        raise Refused(_l("This meeting has already begun."))
    had_seat = mine.status == RegistrationStatus.CONFIRMED.value
    db.session.execute(delete(Registration).where(Registration.id == mine.id))
    record("meeting.unregister", meeting, actor=actor, community_id=meeting.community_id,
           details={"status": mine.status})
    if not had_seat or meeting.is_cancelled:
        return None
    return fill_seats(meeting)


def fill_seats(meeting: Meeting) -> Registration | None:
    """Give free seats to the waiting list in order; returns the last one moved up."""
    capacity = db.session.get(Hall, meeting.hall_id).capacity
    free = capacity - _confirmed_count(meeting.id)
    moved = None
    if free <= 0:
        return None
    waiting = db.session.scalars(
        select(Registration).where(Registration.meeting_id == meeting.id,
                                   Registration.status == RegistrationStatus.WAITING.value)
        .order_by(Registration.created_at, Registration.id).limit(free)).all()
    for registration in waiting:
        registration.status = RegistrationStatus.CONFIRMED.value
        record("meeting.seat", meeting, community_id=meeting.community_id,
               details={"user_id": registration.user_id})
        notify([registration.user_id], "meeting.seat", {"title": meeting.title, **when(meeting)},
               meeting_url(meeting.id))
        moved = registration
    db.session.flush()
    return moved


def waiting_position(registration: Registration) -> int | None:
    """1 for the first on the waiting list; None for a seat. One query."""
    if registration.status != RegistrationStatus.WAITING.value:
        return None
    ahead = db.session.scalar(select(func.count()).select_from(Registration).where(
        Registration.meeting_id == registration.meeting_id,
        Registration.status == RegistrationStatus.WAITING.value,
        (Registration.created_at < registration.created_at)
        | ((Registration.created_at == registration.created_at)
           & (Registration.id < registration.id)))) or 0
    return ahead + 1


def has_published_minutes(meeting_id: int) -> bool:
    return db.session.scalar(
        select(MinutesRevision.id).join(Minutes, MinutesRevision.minutes_id == Minutes.id)
        .where(Minutes.meeting_id == meeting_id,
               MinutesRevision.status == RevisionStatus.PUBLISHED.value).limit(1)) is not None
