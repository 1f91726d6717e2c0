"""Reading halls and meetings for pages and feeds: each function runs a fixed number of
queries, whatever the data."""
from __future__ import annotations

import calendar as pycalendar
import functools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Integer, bindparam, func, select
from sqlalchemy.orm import joinedload, selectinload

from consult.clock import local_to_utc, to_local, utcnow
from consult.extensions import db
from consult.halls.models import (
    AgendaItem, Hall, Meeting, Minutes, MinutesRevision, Registration, RegistrationStatus,
    RevisionStatus,
)

LIST_LIMIT = 20
FEED_HISTORY_DAYS = 90


def halls_of(community_id: int) -> list[Hall]:
    return list(db.session.scalars(select(Hall).where(Hall.community_id == community_id)
                                   .order_by(Hall.name)))


def hall_by_id(hall_id: int) -> Hall | None:
    return db.session.scalar(select(Hall).where(Hall.id == hall_id)
                             .options(joinedload(Hall.community)))


def meeting_by_id(meeting_id: int) -> Meeting | None:
    """The meeting with its hall, community-free; agenda topics in a second query."""
    return db.session.scalar(
        select(Meeting).where(Meeting.id == meeting_id)
        .options(joinedload(Meeting.hall),
                 selectinload(Meeting.agenda).joinedload(AgendaItem.topic)))


def _meetings(*conditions, order, limit=None, offset=0) -> list[Meeting]:
    stmt = (select(Meeting).where(*conditions).options(joinedload(Meeting.hall))
            .order_by(*order, Meeting.id))
    if limit:
        stmt = stmt.limit(limit)
    if offset:
        stmt = stmt.offset(offset)
    return list(db.session.scalars(stmt))


def _when(upcoming_: bool, hall_id, community_id) -> tuple:
    scope = Meeting.hall_id == hall_id if hall_id else Meeting.community_id == community_id
    return scope, (Meeting.ends_at > utcnow() if upcoming_ else Meeting.ends_at <= utcnow())


def upcoming(*, hall_id=None, community_id=None, limit=LIST_LIMIT, offset=0) -> list[Meeting]:
    return _meetings(*_when(True, hall_id, community_id), order=(Meeting.starts_at,),
                     limit=limit, offset=offset)


def past(*, hall_id=None, community_id=None, limit=LIST_LIMIT, offset=0) -> list[Meeting]:
    return _meetings(*_when(False, hall_id, community_id),
                     order=(Meeting.starts_at.desc(),), limit=limit, offset=offset)


def count_meetings(*, upcoming_: bool, hall_id=None, community_id=None) -> int:
    """How many meetings :func:`upcoming` (or :func:`past`) would list without a limit."""
    return db.session.scalar(select(func.count(Meeting.id))
                             .where(*_when(upcoming_, hall_id, community_id))) or 0


def feed_meetings(*, hall_id=None, community_id=None) -> list[Meeting]:
    scope = Meeting.hall_id == hall_id if hall_id else Meeting.community_id == community_id
    return _meetings(scope, Meeting.ends_at > utcnow() - timedelta(days=FEED_HISTORY_DAYS),
                     order=(Meeting.starts_at,))


def published_meeting_ids(meeting_ids) -> set[int]:
    """Which of these meetings have published minutes. One query."""
    ids = list(meeting_ids)
    if not ids:
        return set()
    return set(db.session.scalars(
        select(Minutes.meeting_id).join(MinutesRevision, MinutesRevision.minutes_id == Minutes.id)
        .where(Minutes.meeting_id.in_(ids),
               MinutesRevision.status == RevisionStatus.PUBLISHED.value).distinct()))


# --- the month calendar --------------------------------------------------------------------

@dataclass
class Month:
    first: date
    weeks: list[list[date | None]]  # Monday first; None outside the month
    meetings: dict[date, list[Meeting]]

    @property
    def previous(self) -> date:
        return (self.first - timedelta(days=1)).replace(day=1)

    @property
    def next(self) -> date:
        return (self.first + timedelta(days=32)).replace(day=1)

    @property
    def key(self) -> str:
        return self.first.strftime("%Y-%m")


def parse_month(raw) -> date:
    """``YYYY-MM`` to the first of the month; this month for anything else."""
    try:
        year, month = (int(p) for p in str(raw or "").split("-"))
        return date(year, month, 1)
    except ValueError:
        return to_local(utcnow()).date().replace(day=1)


def month(first: date, hall_id: int) -> Month:
    """The hall's meetings of one local month, by local day. One query."""
    last = (first + timedelta(days=32)).replace(day=1)
    start = local_to_utc(datetime.combine(first, time()))
    end = local_to_utc(datetime.combine(last, time()))
    by_day: dict[date, list[Meeting]] = {}
    for m in _meetings(Meeting.hall_id == hall_id, Meeting.starts_at >= start,
                       Meeting.starts_at < end, order=(Meeting.starts_at,)):
        by_day.setdefault(to_local(m.starts_at).date(), []).append(m)
    weeks = [[d if d.month == first.month else None for d in week]
             for week in pycalendar.Calendar(firstweekday=0).monthdatescalendar(
                 first.year, first.month)]
    return Month(first, weeks, by_day)


# --- registrations -------------------------------------------------------------------------

@dataclass
class Seats:
    capacity: int
    confirmed: int
    waiting: int

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.confirmed)


def seats(meeting: Meeting) -> Seats:
    counts = dict(db.session.execute(
        select(Registration.status, func.count()).where(Registration.meeting_id == meeting.id)
        .group_by(Registration.status)).all())
    return Seats(meeting.hall.capacity, counts.get(RegistrationStatus.CONFIRMED.value, 0),
                 counts.get(RegistrationStatus.WAITING.value, 0))


def registrations(meeting_id: int) -> list[Registration]:
    """Everyone registered, seats first then the waiting list in order (for the secretary)."""
    return list(db.session.scalars(
        select(Registration).where(Registration.meeting_id == meeting_id)
        .options(joinedload(Registration.user))
        .order_by(Registration.status, Registration.created_at, Registration.id)))


# --- the topic page's section --------------------------------------------------------------

@dataclass
class TopicMeeting:
    meeting: Meeting
    has_minutes: bool


def topic_meetings(topic_id: int) -> list[TopicMeeting]:
    """The meetings a topic was on, newest first, and whether their minutes are published.
    One query, for the topic page."""
    rows = db.session.execute(_topic_meetings_statement(), {"topic_id": topic_id}).all()
    return [TopicMeeting(m, bool(has)) for m, has in rows]


@functools.cache
def _topic_meetings_statement():
    # Built once (every topic page asks): a statement used again skips building and keying.
    published = (select(MinutesRevision.id)
                 .join(Minutes, MinutesRevision.minutes_id == Minutes.id)
                 .where(Minutes.meeting_id == Meeting.id,
                        MinutesRevision.status == RevisionStatus.PUBLISHED.value)
                 .exists())
    return (select(Meeting, published.label("has_minutes"))
            .join(AgendaItem, AgendaItem.meeting_id == Meeting.id)
            .where(AgendaItem.topic_id == bindparam("topic_id", type_=Integer))
            .options(joinedload(Meeting.hall))
            .order_by(Meeting.starts_at.desc()))
