"""The official's desk (工作台): the work waiting for one office holder, and its count for the
header. Each section is one query whatever the amount of work; the header count is one query
for an office holder and none for anyone else.

A secretary or administrator sees the work of the communities they hold that office in (a
platform administrator: of every community); a representative sees their own studio sessions
whose receptions are not recorded and their own overdue reception matters.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l, lazy_ngettext as _ln
from sqlalchemy import Select, case, distinct, exists, func, or_, select, true
from sqlalchemy.orm import aliased

from consult.accounts.models import Role, RoleGrant, User
from consult.clock import utcnow
from consult.community.models import Building, Grid, Residency, ResidencyStatus, Unit
from consult.extensions import db
from consult.halls.models import AgendaResolution, Meeting, Minutes, MinutesRevision, ResolutionKind
from consult.outcomes.models import Objection, Outcome, OutcomeStatus
from consult.permissions import membership
from consult.studios.models import ReceptionRecord, Reservation, StudioSession
from consult.studios.queries import overdue_matters_query
from consult.studios.slots import local_date
from consult.topics.lifecycle import Stage
from consult.topics.models import Comment, CommentReport, Topic
from consult.votes.models import Vote

# The desk's sections, in the order the page shows them (what each line's work is).
KINDS = ("review", "reports", "residencies", "minutes", "votes", "outcomes", "objections",
         "implementations", "receptions", "matters")
MINUTES_DUE_AFTER = timedelta(days=1)  # minutes are due a day after the meeting ended
DECIDING = {Role.ADMIN.value, Role.SECRETARY.value}
Person = aliased(User)  # a resident named on a line (never the outer user of the header count)


@dataclass(frozen=True)
class Office:
    """Whose work a desk shows: the communities decided for (None: every community, for a
    platform administrator) and the representative's own user id."""

    communities: tuple[int, ...] | None
    representative_id: int | None
    # for the header count inside the user's own query: ``within`` a SQL condition instead
    sql_scope: object = None

    @property
    def decides(self) -> bool:
        return self.communities is None or bool(self.communities)

    @property
    def holds_office(self) -> bool:
        return self.decides or self.representative_id is not None


def office_of(user) -> Office:
    """The offices ``user`` holds, from the request's membership (no query of its own)."""
    m = membership(user)
    if m.user_id is None:
        return Office((), None)
    communities = None if m.platform_admin else tuple(
        sorted(cid for cid, roles in m.roles.items() if roles & DECIDING))
    rep = any(Role.REPRESENTATIVE.value in roles for roles in m.roles.values())
    return Office(communities, m.user_id if rep else None)


@dataclass(frozen=True)
class Line:
    """One piece of work: what, since when it waits, its deadline if any, and where it is
    done (an endpoint with its arguments and an optional anchor)."""

    what: str
    since: datetime | None
    endpoint: str
    args: dict = field(default_factory=dict)
    anchor: str | None = None
    deadline: datetime | None = None
    deadline_day: date | None = None
    ref: dict = field(default_factory=dict)  # ids of the item the anchor names (for the API)

    def age_days(self, now: datetime) -> int:
        return max(0, (now - self.since).days) if self.since else 0

    def overdue(self, now: datetime) -> bool:
        if self.deadline is not None:
            return self.deadline < now
        return self.deadline_day is not None and self.deadline_day < local_date(now)


@dataclass(frozen=True)
class Section:
    kind: str
    title: str
    empty: str
    lines: list[Line]


@dataclass(frozen=True)
class Desk:
    sections: list[Section]
    now: datetime

    @property
    def total(self) -> int:
        return sum(len(s.lines) for s in self.sections)


# --- the selects, shared by the page and the count -------------------------------------------

def _in(column, office: Office):
    if office.sql_scope is not None:
        return office.sql_scope(column)
    return true() if office.communities is None else column.in_(office.communities)


def _review(office: Office) -> Select:
    return (select(Topic.id, Topic.title, Topic.stage_changed_at)
            .where(Topic.stage == Stage.IN_REVIEW.value, _in(Topic.community_id, office))
            .order_by(Topic.stage_changed_at, Topic.id))


def _reports(office: Office) -> Select:
    first = func.min(CommentReport.created_at)
    return (select(Comment.id, Topic.id, Topic.title, first, func.count(CommentReport.id))
            .join(Topic, Topic.id == Comment.topic_id)
            .join(CommentReport, CommentReport.comment_id == Comment.id)
            .where(Comment.open_report_count > 0, CommentReport.resolved_at.is_(None),
                   _in(Topic.community_id, office))
            .group_by(Comment.id, Topic.id, Topic.title)
            .order_by(first, Comment.id))


def _residencies(office: Office) -> Select:
    return (select(Residency.id, Person.name, Residency.requested_at)
            .join(Person, Person.id == Residency.user_id)
            .join(Unit, Residency.unit_id == Unit.id)
            .join(Building, Unit.building_id == Building.id)
            .join(Grid, Building.grid_id == Grid.id)
            .where(Residency.status == ResidencyStatus.PENDING.value,
                   _in(Grid.community_id, office))
            .order_by(Residency.requested_at, Residency.id))


def _minutes(office: Office, now: datetime) -> Select:
    published = exists().where(Minutes.meeting_id == Meeting.id,
                               Minutes.first_published_at.is_not(None))
    return (select(Meeting.id, Meeting.title, Meeting.ends_at)
            .where(Meeting.cancelled_at.is_(None), Meeting.ends_at < now - MINUTES_DUE_AFTER,
                   ~published, _in(Meeting.community_id, office))
            .order_by(Meeting.ends_at, Meeting.id))


def _unopened_votes(office: Office) -> Select:
    """Topics still deliberating whose minutes, published since they came to deliberation,
    resolve to put them to a vote."""
    resolved = func.max(MinutesRevision.published_at)
    return (select(Topic.id, Topic.title, resolved)
            .join(AgendaResolution, AgendaResolution.topic_id == Topic.id)
            .join(MinutesRevision, MinutesRevision.id == AgendaResolution.revision_id)
            .where(Topic.stage == Stage.DELIBERATING.value,
                   AgendaResolution.kind == ResolutionKind.VOTE.value,
                   MinutesRevision.published_at.is_not(None),
                   MinutesRevision.published_at >= Topic.stage_changed_at,
                   _in(Topic.community_id, office))
            .group_by(Topic.id, Topic.title)
            .order_by(resolved, Topic.id))


def _unpublished_outcomes(office: Office, now: datetime) -> Select:
    has_outcome = exists().where(Outcome.topic_id == Vote.topic_id,
                                 Outcome.published_at >= Vote.closes_at)
    return (select(Vote.id, Topic.id, Topic.title, Vote.closes_at)
            .join(Topic, Topic.id == Vote.topic_id)
            .where(Vote.cancelled_at.is_(None), Vote.closes_at < now,
                   Topic.stage == Stage.VOTING.value, ~has_outcome,
                   _in(Vote.community_id, office))
            .order_by(Vote.closes_at, Vote.id))


def _objections(office: Office) -> Select:
    return (select(Objection.id, Topic.id, Topic.title, Objection.created_at,
                   Outcome.window_ends_at)
            .join(Outcome, Outcome.id == Objection.outcome_id)
            .join(Topic, Topic.id == Outcome.topic_id)
            .where(Objection.answered_at.is_(None), _in(Outcome.community_id, office))
            .order_by(Objection.created_at, Objection.id))


def _overdue_implementations(office: Office, today: date) -> Select:
    return (select(Outcome.id, Topic.id, Topic.title, Outcome.target_date)
            .join(Topic, Topic.id == Outcome.topic_id)
            .where(Outcome.act.is_(True), Outcome.done_at.is_(None),
                   Outcome.status == OutcomeStatus.EFFECTIVE.value,
                   Outcome.target_date < today, _in(Outcome.community_id, office))
            .order_by(Outcome.target_date, Outcome.id))


def _unrecorded(representative_id: int, now: datetime) -> Select:
    return (select(Reservation.id, Reservation.session_id, Person.name, Reservation.slot_end)
            .join(StudioSession, StudioSession.id == Reservation.session_id)
            .join(Person, Person.id == Reservation.resident_id)
            .outerjoin(ReceptionRecord, ReceptionRecord.reservation_id == Reservation.id)
            .where(ReceptionRecord.id.is_(None), Reservation.cancelled_at.is_(None),
                   StudioSession.cancelled_at.is_(None),
                   StudioSession.representative_id == representative_id,
                   Reservation.slot_end < now)
            .order_by(Reservation.slot_end, Reservation.id))


def _overdue_matters(representative_id: int, today: date) -> Select:
    return (overdue_matters_query(representative_id, today)
            .join(Person, Person.id == Reservation.resident_id)
            .with_only_columns(ReceptionRecord.id, Reservation.id, Reservation.session_id,
                               Person.name, ReceptionRecord.recorded_at, ReceptionRecord.due_on)
            .order_by(ReceptionRecord.due_on, ReceptionRecord.id))


def _counts(selects) -> object:
    """The sum of the rows of ``selects`` (each with the column that tells its rows apart),
    as one SQL value."""
    counts = [s.with_only_columns(func.count(distinct(key))).group_by(None).order_by(None)
              .scalar_subquery() for s, key in selects]
    total = counts[0]
    for c in counts[1:]:
        total = total + c
    return total


def _deciding_work(office: Office, now: datetime):
    today = local_date(now)
    return [(_review(office), Topic.id), (_reports(office), Comment.id),
            (_residencies(office), Residency.id), (_minutes(office, now), Meeting.id),
            (_unopened_votes(office), Topic.id), (_unpublished_outcomes(office, now), Vote.id),
            (_objections(office), Objection.id),
            (_overdue_implementations(office, today), Outcome.id)]


def _receiving_work(representative_id, now: datetime):
    return [(_unrecorded(representative_id, now), Reservation.id),
            (_overdue_matters(representative_id, local_date(now)), ReceptionRecord.id)]


def total_query(user):
    """The count of the work waiting for ``user`` as one SQL value, or None for someone who
    holds no office (then no query is needed at all)."""
    office = office_of(user)
    if not office.holds_office:
        return None
    now = utcnow()
    parts = []
    if office.decides:
        parts += _deciding_work(office, now)
    if office.representative_id is not None:
        parts += _receiving_work(office.representative_id, now)
    return _counts(parts)


def total_for(user) -> int:
    """How much work waits for ``user``: one query for an office holder, none otherwise."""
    total = total_query(user)
    return 0 if total is None else db.session.scalar(select(total)) or 0


def total_of_user_row(now: datetime | None = None):
    """The same count as a column of a query on ``users`` (the logged-in user's own query,
    see consult/security.py), scoped in SQL by the user's role grants; 0 at once for whoever
    holds no office, without counting anything."""
    now = now or utcnow()

    def grants(*roles):
        return (select(RoleGrant.community_id)
                .where(RoleGrant.user_id == User.id, RoleGrant.role.in_(roles)))

    deciding = grants(*DECIDING)
    office = Office((), None, sql_scope=lambda column: or_(User.is_platform_admin,
                                                           column.in_(deciding)))
    decides = or_(User.is_platform_admin, exists(deciding))
    represents = exists(grants(Role.REPRESENTATIVE.value))
    return (case((decides, _counts(_deciding_work(office, now))), else_=0)
            + case((represents, _counts(_receiving_work(User.id, now))), else_=0))


def desk_for(user) -> Desk:
    """The desk of ``user``: one query per section."""
    office = office_of(user)
    now = utcnow()
    today = local_date(now)
    sections: list[Section] = []
    rows = lambda s: db.session.execute(s).all()  # noqa: E731
    if office.decides:
        sections.append(Section("review", _l("Proposals waiting for review"),
                                _l("No proposal waits for review."), [
            Line(title, since, "topics.show", {"topic_id": tid})
            for tid, title, since in rows(_review(office))]))
        sections.append(Section("reports", _l("Reported comments"),
                                _l("No reported comment waits."), [
            Line(_ln("Comment on “%(title)s” (%(num)d report)",
                     "Comment on “%(title)s” (%(num)d reports)", n, title=title), first,
                 "comments.moderation", anchor=f"queue-{cid}")
            for cid, _tid, title, first, n in rows(_reports(office))]))
        sections.append(Section("residencies", _l("Residency requests"),
                                _l("No residency request waits."), [
            Line(name, since, "community.verifications")
            for _rid, name, since in rows(_residencies(office))]))
        sections.append(Section("minutes", _l("Minutes not published"),
                                _l("Every meeting's minutes are published."), [
            Line(title, ended, "halls.edit_minutes", {"meeting_id": mid},
                 deadline=ended + MINUTES_DUE_AFTER)
            for mid, title, ended in rows(_minutes(office, now))]))
        sections.append(Section("votes", _l("Put to a vote, no vote opened"),
                                _l("Every topic put to a vote has its vote."), [
            Line(title, resolved, "votes.open_vote", {"topic_id": tid})
            for tid, title, resolved in rows(_unopened_votes(office))]))
        sections.append(Section("outcomes", _l("Closed votes without a published outcome"),
                                _l("Every closed vote has its outcome."), [
            Line(title, closed, "outcomes.publish", {"topic_id": tid})
            for _vid, tid, title, closed in rows(_unpublished_outcomes(office, now))]))
        sections.append(Section("objections", _l("Unanswered objections"),
                                _l("No objection waits for an answer."), [
            Line(title, since, "topics.show", {"topic_id": tid}, anchor=f"objection-{oid}",
                 deadline=window, ref={"objection_id": oid})
            for oid, tid, title, since, window in rows(_objections(office))]))
        sections.append(Section("implementations", _l("Overdue implementations"),
                                _l("No implementation is overdue."), [
            Line(title, None, "topics.show", {"topic_id": tid}, deadline_day=target)
            for _oid, tid, title, target in rows(_overdue_implementations(office, today))]))
    if office.representative_id is not None:
        rep = office.representative_id
        sections.append(Section("receptions", _l("Receptions without a record"),
                                _l("Every reception is recorded."), [
            Line(name, ended, "studios.session", {"session_id": sid},
                 anchor=f"reservation-{rid}", ref={"reservation_id": rid})
            for rid, sid, name, ended in rows(_unrecorded(rep, now))]))
        sections.append(Section("matters", _l("Reception matters past their promised date"),
                                _l("No reception matter is overdue."), [
            Line(name, recorded, "studios.session", {"session_id": sid},
                 anchor=f"reservation-{rid}", deadline_day=due, ref={"reservation_id": rid})
            for _mid, rid, sid, name, recorded, due in rows(_overdue_matters(rep, today))]))
    return Desk(sections, now)
