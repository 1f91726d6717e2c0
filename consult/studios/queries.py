"""Reads for the studio pages, each a fixed number of queries whatever the data size.

The public reads never load who reserved a slot: only which slot starts are taken, and
counts of receptions held.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from consult.accounts.models import Role, RoleGrant, User
from consult.clock import utcnow
from consult.community.models import Community
from consult.extensions import db
from consult.studios.models import (
    Attendance, MatterStatus, ReceptionRecord, RepresentativeProfile, Reservation, Studio,
    StudioRepresentative, StudioSession,
)
from consult.studios.slots import Slot, local_date, slots_of, week_bounds

UPCOMING_LIMIT = 10


def _with_places(query):
    return query.options(joinedload(StudioSession.studio), joinedload(StudioSession.room),
                         joinedload(StudioSession.representative))


def studios_by_community() -> list[tuple[Community, list[Studio]]]:
    """Every studio with its attached representatives, grouped by community (two queries)."""
    studios = db.session.scalars(
        select(Studio).join(Community, Studio.community_id == Community.id)
        .options(joinedload(Studio.community),
                 selectinload(Studio.attachments).joinedload(StudioRepresentative.user))
        .order_by(Community.name, Studio.name)).unique().all()
    grouped: dict[int, tuple[Community, list[Studio]]] = {}
    for s in studios:
        grouped.setdefault(s.community_id, (s.community, []))[1].append(s)
    return list(grouped.values())


def studio_by_id(studio_id: int) -> Studio | None:
    """A studio with its community, rooms, hours and attached representatives."""
    return db.session.scalar(
        select(Studio).where(Studio.id == studio_id)
        .options(joinedload(Studio.community), selectinload(Studio.rooms),
                 selectinload(Studio.hours),
                 selectinload(Studio.attachments).joinedload(StudioRepresentative.user)))


def session_by_id(session_id: int) -> StudioSession | None:
    return db.session.scalar(_with_places(
        select(StudioSession).where(StudioSession.id == session_id)))


def sessions(*, start: datetime, end: datetime | None = None, studio_id: int | None = None,
             representative_id: int | None = None, community_id: int | None = None,
             limit: int | None = None) -> list[StudioSession]:
    query = _with_places(select(StudioSession).where(StudioSession.starts_at >= start))
    if end is not None:
        query = query.where(StudioSession.starts_at < end)
    if studio_id is not None:
        query = query.where(StudioSession.studio_id == studio_id)
    if representative_id is not None:
        query = query.where(StudioSession.representative_id == representative_id)
    if community_id is not None:
        query = query.join(Studio, StudioSession.studio_id == Studio.id).where(
            Studio.community_id == community_id)
    query = query.order_by(StudioSession.starts_at, StudioSession.id)
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def taken_slots(session_ids: list[int]) -> dict[int, set[datetime]]:
    """Which slot starts are held, per session: no names (one query)."""
    if not session_ids:
        return {}
    taken: dict[int, set[datetime]] = {}
    for session_id, start in db.session.execute(
            select(Reservation.session_id, Reservation.slot_start)
            .where(Reservation.session_id.in_(session_ids),
                   Reservation.cancelled_at.is_(None))):
        taken.setdefault(session_id, set()).add(start)
    return taken


@dataclass(frozen=True)
class Held:
    attended: int = 0
    no_show: int = 0


def reception_counts(session_ids: list[int]) -> dict[int, Held]:
    """Public counts of receptions recorded per session (one query)."""
    if not session_ids:
        return {}
    counts: dict[int, dict[str, int]] = {}
    for session_id, attendance, n in db.session.execute(
            select(Reservation.session_id, ReceptionRecord.attendance,
                   func.count(ReceptionRecord.id))
            .join(ReceptionRecord, ReceptionRecord.reservation_id == Reservation.id)
            .where(Reservation.session_id.in_(session_ids), Reservation.cancelled_at.is_(None))
            .group_by(Reservation.session_id, ReceptionRecord.attendance)):
        counts.setdefault(session_id, {})[attendance] = n
    return {sid: Held(c.get(Attendance.ATTENDED.value, 0), c.get(Attendance.NO_SHOW.value, 0))
            for sid, c in counts.items()}


@dataclass
class SessionView:
    """A session with its slots marked free or taken, for schedules."""

    session: StudioSession
    slots: list[Slot]
    held: Held = field(default_factory=Held)

    @property
    def free(self) -> int:
        return sum(not s.taken for s in self.slots)


def session_views(items: list[StudioSession]) -> list[SessionView]:
    """Two queries for any number of sessions."""
    ids = [s.id for s in items]
    taken, held = taken_slots(ids), reception_counts(ids)
    return [SessionView(s, slots_of(s, taken.get(s.id, set())), held.get(s.id, Held()))
            for s in items]


@dataclass
class Week:
    monday: date
    days: list[tuple[date, list[SessionView]]]

    @property
    def previous(self) -> date:
        return self.monday - timedelta(days=7)

    @property
    def next(self) -> date:
        return self.monday + timedelta(days=7)

    @property
    def empty(self) -> bool:
        return not any(views for _day, views in self.days)


def week_and_upcoming(monday: date, upcoming: int = UPCOMING_LIMIT,
                      **scope) -> tuple[Week, list[SessionView]]:
    """The sessions of one local week by day (``scope``: studio_id, or representative_id and
    community_id) and the next ``upcoming`` sessions from now, as on a studio's or a
    representative's page: four queries (the slots of both lists are read together)."""
    start, end = week_bounds(monday)
    in_week = sessions(start=start, end=end, **scope)
    coming = sessions(start=utcnow(), limit=upcoming, **scope)
    views = {v.session.id: v for v in session_views(list({s.id: s for s in
                                                           [*in_week, *coming]}.values()))}
    days = [(monday + timedelta(days=i), []) for i in range(7)]
    for s in in_week:
        days[(local_date(s.starts_at) - monday).days][1].append(views[s.id])
    return Week(monday, days), [views[s.id] for s in coming]


# --- people --------------------------------------------------------------------------------

def representative(community_id: int, user_id: int) -> tuple[User, RepresentativeProfile | None] | None:
    """A representative of the community and their profile, or ``None`` (one query). Someone
    whose role has ended keeps a page while they have a profile or sessions here, so links
    from past sessions still lead somewhere."""
    holds_role = exists().where(RoleGrant.user_id == User.id,
                                RoleGrant.community_id == community_id,
                                RoleGrant.role == Role.REPRESENTATIVE.value)
    held_sessions = exists().where(StudioSession.representative_id == User.id,
                                   StudioSession.studio_id == Studio.id,
                                   Studio.community_id == community_id)
    row = db.session.execute(
        select(User, RepresentativeProfile)
        .outerjoin(RepresentativeProfile,
                   (RepresentativeProfile.user_id == User.id)
                   & (RepresentativeProfile.community_id == community_id))
        .where(User.id == user_id,
               or_(holds_role, held_sessions, RepresentativeProfile.id.is_not(None)))).first()
    return (row[0], row[1]) if row is not None else None


def studios_of_representative(community_id: int, user_id: int) -> list[Studio]:
    return list(db.session.scalars(
        select(Studio).join(StudioRepresentative, StudioRepresentative.studio_id == Studio.id)
        .where(Studio.community_id == community_id, StudioRepresentative.user_id == user_id)
        .order_by(Studio.name)))


def profiles(community_id: int) -> dict[int, RepresentativeProfile]:
    return {p.user_id: p for p in db.session.scalars(select(RepresentativeProfile).where(
        RepresentativeProfile.community_id == community_id))}


def session_reservations(session_id: int) -> list[Reservation]:
    """For the session's representative: who reserved, the matter and the record."""
    return list(db.session.scalars(
        select(Reservation)
        .where(Reservation.session_id == session_id, Reservation.cancelled_at.is_(None))
        .options(joinedload(Reservation.resident), joinedload(Reservation.record))
        .order_by(Reservation.slot_start)))


def reservation_in(session_id: int, reservation_id: int) -> Reservation | None:
    return db.session.scalar(
        select(Reservation)
        .where(Reservation.id == reservation_id, Reservation.session_id == session_id)
        .options(joinedload(Reservation.resident), joinedload(Reservation.record)))


def own_reservation(session_id: int, resident_id: int) -> Reservation | None:
    return db.session.scalar(
        select(Reservation)
        .where(Reservation.session_id == session_id, Reservation.resident_id == resident_id,
               Reservation.cancelled_at.is_(None))
        .options(joinedload(Reservation.record)))


def reservations_of(resident_id: int) -> list[Reservation]:
    """A resident's reservations, newest slot first, with session, place and record."""
    return list(db.session.scalars(
        select(Reservation).where(Reservation.resident_id == resident_id)
        .options(joinedload(Reservation.record),
                 joinedload(Reservation.session).joinedload(StudioSession.studio),
                 joinedload(Reservation.session).joinedload(StudioSession.room),
                 joinedload(Reservation.session).joinedload(StudioSession.representative))
        .order_by(Reservation.slot_start.desc())))


def reservation_counts(session_ids: list[int]) -> dict[int, tuple[int, int]]:
    """For a representative's own list: (reserved, recorded) per session (one query)."""
    if not session_ids:
        return {}
    return {sid: (n, recorded) for sid, n, recorded in db.session.execute(
        select(Reservation.session_id, func.count(Reservation.id),
               func.count(ReceptionRecord.id))
        .outerjoin(ReceptionRecord, ReceptionRecord.reservation_id == Reservation.id)
        .where(Reservation.session_id.in_(session_ids), Reservation.cancelled_at.is_(None))
        .group_by(Reservation.session_id))}


# --- matters followed up -------------------------------------------------------------------

def _overdue(today: date):
    """Matters (records of residents who came) whose due date has passed, not answered."""
    return (ReceptionRecord.attendance == Attendance.ATTENDED.value,
            ReceptionRecord.matter_status != MatterStatus.ANSWERED.value,
            ReceptionRecord.due_on < today)


def _active_reception():
    return (select(ReceptionRecord)
            .join(Reservation, ReceptionRecord.reservation_id == Reservation.id)
            .join(StudioSession, Reservation.session_id == StudioSession.id)
            .where(Reservation.cancelled_at.is_(None), StudioSession.cancelled_at.is_(None)))


def overdue_matters(representative, today: date | None = None) -> list[ReceptionRecord]:
    """The representative's overdue matters, the longest overdue first, each with its
    reservation, resident, session and studio (one query): for their desk."""
    today = today or local_date(utcnow())
    return list(db.session.scalars(
        overdue_matters_query(representative.id, today)
        .join(User, Reservation.resident_id == User.id)
        .join(Studio, StudioSession.studio_id == Studio.id)
        .options(contains_eager(ReceptionRecord.reservation)
                 .options(contains_eager(Reservation.resident),
                          contains_eager(Reservation.session)
                          .contains_eager(StudioSession.studio)))
        .order_by(ReceptionRecord.due_on, ReceptionRecord.id)))


def overdue_matters_query(representative_id: int, today: date):
    """The select of one representative's overdue matters (records joined to their reservation
    and session), for a list or a count."""
    return _active_reception().where(StudioSession.representative_id == representative_id,
                                     *_overdue(today))


def overdue_count(studio_id: int, today: date | None = None) -> int:
    """How many matters raised at the studio are overdue: a count, never who (one query)."""
    today = today or local_date(utcnow())
    return db.session.scalar(
        _active_reception().with_only_columns(func.count(ReceptionRecord.id))
        .where(StudioSession.studio_id == studio_id, *_overdue(today))) or 0


def receptions_held_by(representative_id: int) -> list[Reservation]:
    """The recorded receptions of the representative's sessions, newest slot first, each with
    its record, resident, session and studio (one query): their matters, followed to the end."""
    return list(db.session.scalars(
        select(Reservation)
        .join(StudioSession, Reservation.session_id == StudioSession.id)
        .join(ReceptionRecord, ReceptionRecord.reservation_id == Reservation.id)
        .where(StudioSession.representative_id == representative_id,
               Reservation.cancelled_at.is_(None))
        .options(contains_eager(Reservation.record), joinedload(Reservation.resident),
                 joinedload(Reservation.session).joinedload(StudioSession.studio),
                 joinedload(Reservation.session).joinedload(StudioSession.representative))
        .order_by(Reservation.slot_start.desc(), Reservation.id)))
