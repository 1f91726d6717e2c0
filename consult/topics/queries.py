"""Reading topics for pages: each function runs a fixed number of queries, whatever the data."""
from __future__ import annotations

import functools
from dataclasses import astuple, dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, bindparam, func, or_, select
from sqlalchemy.orm import joinedload

from consult.audit.models import AuditEntry
from consult.clock import utcnow
from consult.community.models import Building, Community, Grid
from consult.extensions import db
from consult.permissions import LOGIN_REQUIRED, Refusal, check, may, membership
from consult.topics import comments, lifecycle
from consult.topics.lifecycle import PUBLIC_STAGES, Stage
from consult.topics.models import (Comment, Cosignature, Follow, ScopeLevel, StageChange,
                                   Topic)
from consult.written import KeptByKey

PAGE_SIZE = 20


@dataclass
class TopicFilter:
    q: str = ""
    stage: str = ""
    category: str = ""
    community_id: int | None = None
    area: str = ""  # "community", "grid:ID", "building:ID", "mine"
    sort: str = "newest"
    page: int = 1
    per_page: int = PAGE_SIZE  # the API lets clients choose (at most 100)


@dataclass(frozen=True, slots=True)
class TopicCard:
    """A topic as lists show it: its own columns and the names of its place, read as plain
    values in the list's one statement (no Topic loaded). Equal cards show the same."""
    id: int
    title: str
    category: str
    stage: str
    community_id: int
    grid_id: int | None
    building_id: int | None
    cosign_count: int
    comment_count: int
    answered_at: datetime | None
    submitted_at: datetime | None
    stage_changed_at: datetime | None
    comment_until: datetime | None
    community_name: str
    cosign_threshold: int
    grid_name: str | None
    building_name: str | None

    @property
    def scope_level(self) -> ScopeLevel:
        return ScopeLevel.of(self.grid_id, self.building_id)


def _card_columns():
    return (Topic.id, Topic.title, Topic.category, Topic.stage, Topic.community_id,
            Topic.grid_id, Topic.building_id, Topic.cosign_count, Topic.comment_count,
            Topic.answered_at, Topic.submitted_at, Topic.stage_changed_at, Topic.comment_until,
            Community.name, Community.cosign_threshold, Grid.name, Building.name)


@dataclass
class TopicPage:
    topics: list[TopicCard]
    total: int
    page: int
    pages: int


def _area_condition(area: str, viewer):
    if area == "community":
        return Topic.grid_id.is_(None)
    kind, _, raw = area.partition(":")
    if kind in ("grid", "building") and raw.isdigit():
        column = Topic.grid_id if kind == "grid" else Topic.building_id
        return column == int(raw)
    if area == "mine":
        units = membership(viewer).verified_units
        if not units:
            return Topic.id.is_(None)
        # A topic concerns me when its scope contains one of my homes.
        return or_(*[
            (Topic.community_id == c) & (Topic.grid_id.is_(None) | (Topic.grid_id == g))
            & (Topic.building_id.is_(None) | (Topic.building_id == b))
            for _u, b, g, c in units])
    return None


_NOT_LISTED = sorted(s.value for s in set(Stage) - PUBLIC_STAGES)  # drafts


_LISTS = KeptByKey(seconds=30, size=256)


def list_topics(viewer, f: TopicFilter) -> TopicPage:
    """Public topics (every stage but draft) matching ``f``: two queries (count and page),
    or none while the same list is kept (per filter, until something is written:
    consult/written.py). Only "concerning my home" depends on the reader; it is not kept."""
    if f.area == "mine":
        return _list_topics(viewer, f)
    return _LISTS.get(astuple(f), lambda: _list_topics(None, f))


def _list_topics(viewer, f: TopicFilter) -> TopicPage:
    # "Not in the stages that are not public", not "stage IN (the ten public ones)": SQLite
    # would read the IN through the index on (stage, ...) and sort every public topic; with
    # NOT IN it walks the submitted_at index newest first and stops after one page.
    conditions = [Topic.stage.not_in(_NOT_LISTED)]
    if f.stage:
        conditions.append(Topic.stage == f.stage)
    if f.category:
        conditions.append(Topic.category == f.category)
    if f.community_id:
        conditions.append(Topic.community_id == f.community_id)
    if f.area and (cond := _area_condition(f.area, viewer)) is not None:
        conditions.append(cond)
    if q := f.q.strip():
        # Chinese has no word breaks: a substring match is what residents expect.
        for word in q.split()[:5]:
            conditions.append(or_(Topic.title.icontains(word, autoescape=True),
                                  Topic.description.icontains(word, autoescape=True)))
    total = db.session.scalar(select(func.count()).select_from(Topic).where(*conditions)) or 0
    size = max(1, f.per_page or PAGE_SIZE)
    pages = max(1, -(-total // size))
    page = min(max(1, f.page), pages)
    order = {
        "cosigned": (Topic.cosign_count.desc(), Topic.id.desc()),
        # Open comment periods first, the nearest end first; the rest by newest.
        "closing": ((Topic.stage != Stage.COMMENTING.value), Topic.comment_until.asc(),
                    Topic.id.desc()),
    }.get(f.sort, (Topic.submitted_at.desc(), Topic.id.desc()))
    rows = db.session.execute(
        select(*_card_columns())
        .outerjoin(Community, Community.id == Topic.community_id)
        .outerjoin(Grid, Grid.id == Topic.grid_id)
        .outerjoin(Building, Building.id == Topic.building_id)
        .where(*conditions).order_by(*order).limit(size).offset((page - 1) * size))
    return TopicPage([TopicCard(*row) for row in rows], total, page, pages)


def drafts_of(user) -> list[tuple[int, str]]:
    """The user's drafts, last changed first: each one's id and title (the list links them)."""
    return [tuple(row) for row in db.session.execute(_drafts_statement(), {"user_id": user.id})]


@functools.cache
def _drafts_statement():
    # Built once (every logged-in topic list asks): reused, it skips building and keying.
    return (select(Topic.id, Topic.title)
            .where(Topic.proposer_id == bindparam("user_id", type_=Integer),
                   Topic.stage == Stage.DRAFT.value)
            .order_by(Topic.updated_at.desc()))


def topic_for_page(topic_id: int) -> Topic | None:
    """The topic with what its page shows around it, its timeline included: one query."""
    return db.session.scalars(_topic_statement(), {"topic_id": topic_id}).unique().first()


@functools.cache
def _topic_statement():
    # Built once (its value bound): a statement used again skips building and SQLAlchemy's
    # keying of it, a fair part of a query's cost on a page of many.
    return (select(Topic).where(Topic.id == bindparam("topic_id", type_=Integer))
            .options(joinedload(Topic.community), joinedload(Topic.grid),
                     joinedload(Topic.building), joinedload(Topic.proposer),
                     joinedload(Topic.stage_changes).joinedload(StageChange.actor)))


@dataclass
class CommentPage:
    thread: comments.Thread  # the page's top-level comments with their replies
    total: int  # top-level comments of the topic, withdrawn and hidden included
    count: int  # comments and replies of the topic, withdrawn and hidden included


def comment_page(viewer, topic: Topic, sort: str, page: int, per_page: int) -> CommentPage:
    """Page ``page`` of ``topic``'s top-level comments, ``per_page`` each, with all their
    replies, as :func:`consult.topics.comments.thread` shows them to ``viewer``, and the
    totals: the thread's queries and one count, whatever the thread's length. A page past the
    end has no comments."""
    total, count = db.session.execute(
        select(func.count().filter(Comment.parent_id.is_(None)), func.count())
        .select_from(Comment).where(Comment.topic_id == topic.id)).one()
    shown = comments.thread(viewer, topic, sort, pages=page, first_page=page, per_page=per_page)
    return CommentPage(shown, total or 0, count or 0)


AUDIT_LABELS = {
    "topic.submit": _l("proposed the topic"),
    "topic.cosign": _l("co-signed"),
    "topic.cosign_withdrawn": _l("withdrew a co-signature"),
    "topic.reach_threshold": _l("brought the co-signatures to the threshold"),
    "topic.accept": _l("accepted the topic and opened comments"),
    "topic.reject": _l("rejected the topic"),
    "topic.withdraw": _l("withdrew the topic"),
    "topic.deliberate": _l("put the topic on a meeting agenda"),
    "topic.agenda_deliberate": _l("the comment period ended; the topic is on a meeting agenda"),
    "topic.close_comments": _l("closed the comment period early"),
    "topic.extend_comments": _l("extended the comment period"),
    "topic.extend_publicity": _l("extended the publicity window"),
    # The outcome of the vote (consult/outcomes): its transitions and its own actions.
    "topic.publish_outcome": _l("published the outcome"),
    "topic.uphold_objection": _l("upheld an objection and sent the topic back to deliberation"),
    "topic.outcome_effective": _l("the outcome took effect"),
    "topic.outcome_no_action": _l("the outcome took effect; nothing to do"),
    "topic.implementation_done": _l("marked the implementation done"),
    "topic.close": _l("closed the topic"),
    "outcome.objection": _l("lodged an objection"),
    "outcome.answer": _l("answered an objection"),
    "outcome.plan": _l("named who is responsible and the target date"),
    "outcome.progress": _l("posted implementation progress"),
    **comments.AUDIT_LABELS,
}
# Actions shown without who did them or why: naming who reported a neighbour invites
# retaliation. The moderators see reports in their queue.
ANONYMOUS_AUDIT_ACTIONS = frozenset({"topic.comment_report"})


def audit_entries(topic_id: int, limit: int = 200) -> list[AuditEntry]:
    """The topic's public audit log, newest first."""
    return list(db.session.scalars(_audit_statement(), {"topic_id": topic_id, "limit": limit}))


@functools.cache
def _audit_statement():
    return (select(AuditEntry)
            .where(AuditEntry.object_type == Topic.__tablename__,
                   AuditEntry.object_id == bindparam("topic_id", type_=Integer))
            .options(joinedload(AuditEntry.actor))
            .order_by(AuditEntry.id.desc()).limit(bindparam("limit", type_=Integer)))


@dataclass
class ViewerState:
    cosigned: bool = False
    following: bool = False


def viewer_state(viewer, topic_id: int) -> ViewerState:
    if viewer is None or not viewer.is_authenticated:
        return ViewerState()
    row = db.session.execute(_viewer_state_statement(),
                             {"topic_id": topic_id, "user_id": viewer.id}).one()
    return ViewerState(cosigned=bool(row[0]), following=bool(row[1]))


@functools.cache
def _viewer_state_statement():
    topic_id = bindparam("topic_id", type_=Integer)
    user_id = bindparam("user_id", type_=Integer)
    return select(
        select(Cosignature.id).where(Cosignature.topic_id == topic_id,
                                     Cosignature.user_id == user_id).exists(),
        select(Follow.id).where(Follow.topic_id == topic_id, Follow.user_id == user_id).exists())


def counts_by_stage(community_id: int | None = None) -> dict[str, int]:
    stmt = select(Topic.stage, func.count()).group_by(Topic.stage)
    if community_id:
        stmt = stmt.where(Topic.community_id == community_id)
    return {stage: n for stage, n in db.session.execute(stmt)
            if stage != Stage.DRAFT.value}


def closing_soon(limit: int = 5) -> list[Topic]:
    return list(db.session.scalars(
        select(Topic).where(Topic.stage == Stage.COMMENTING.value, Topic.comment_until > utcnow())
        .options(joinedload(Topic.community))
        .order_by(Topic.comment_until).limit(limit)))


def newest_proposals(limit: int = 5) -> list[Topic]:
    """Proposals still gathering co-signatures, newest first."""
    return list(db.session.scalars(
        select(Topic).where(Topic.stage == Stage.PROPOSED.value)
        .options(joinedload(Topic.community))
        .order_by(Topic.submitted_at.desc(), Topic.id.desc()).limit(limit)))


# --- the topic page ------------------------------------------------------------------------------

# What the reader of a topic page can do now: its one main action, by kind.
COSIGN, COMMENT, VOTE, OBJECT, RATE = "cosign", "comment", "vote", "object", "rate"
REVIEW = "review"  # the office's: accept or reject a proposal waiting for review
# How that action stands for the reader.
OPEN = "open"  # they may do it now
DONE = "done"  # they did it and may take it back (a co-signature)
OWN = "own"  # it is their own proposal: a proposer does not co-sign it
LOGIN = "login"  # a visitor: log in first
REFUSED = "refused"  # they may not; the refusal says why
OFFICE = "office"  # they may not, but run the topic for the office: the page shows their tools

# The panel under the road, by the stored stage (stages without one show none).
PANELS = {Stage.DRAFT: "edit_draft", Stage.PROPOSED: "cosign", Stage.IN_REVIEW: "review",
          Stage.COMMENTING: "comment", Stage.REJECTED: "ended", Stage.CLOSED: "ended",
          Stage.WITHDRAWN: "ended"}
# The heading of the "ended" panel, above the reason the topic ended with.
ENDED_TITLES = {
    Stage.REJECTED: _l("Not accepted. Reason given by the community office:"),
    Stage.CLOSED: _l("Closed."),
    Stage.WITHDRAWN: _l("Withdrawn by the proposer."),
}
# Stages whose page has no comment section: comments open only once the office accepts.
NO_COMMENTS = frozenset({Stage.DRAFT, Stage.PROPOSED, Stage.IN_REVIEW, Stage.REJECTED,
                         Stage.WITHDRAWN})


@dataclass(frozen=True)
class Action:
    """The one thing the page asks its reader to do now, and how it stands for them."""
    kind: str = ""  # COSIGN, COMMENT, VOTE, OBJECT, RATE, REVIEW; "" when nothing to do
    state: str = ""  # OPEN, DONE, OWN, LOGIN, REFUSED or OFFICE
    refusal: Refusal | None = None  # why not (LOGIN, REFUSED, OFFICE)

    @property
    def message(self):
        return self.refusal.message if self.refusal is not None else ""


NO_ACTION = Action()


@dataclass(frozen=True)
class RoadStep:
    stage: str
    state: str  # "done", "current" or "todo"


@dataclass(frozen=True)
class TopicPageModel:
    """What the topic page shows, decided once from the stage and the reader."""
    stage: str  # the stage as of now (an outcome whose window has ended shows its effect)
    road: tuple[RoadStep, ...]  # the main road, each stage done, current or to do
    panel: str  # the status panel: "edit_draft", "cosign", "review", "comment", "ended" or ""
    ended_title: object  # the "ended" panel's heading
    action: Action  # the reader's main action now
    period_over: bool  # the comment period has ended
    show_comments: bool  # the page has a comment section
    show_vote: bool  # the page has a vote section: a vote, or the office may open one
    can_review: bool  # accept or reject the proposal (the office)
    can_deliberate: bool  # put it on a meeting agenda (the office)
    can_time_comments: bool  # close the open comment period early or extend it (the office)
    can_open_vote: bool
    can_withdraw: bool  # the proposer withdraws a public proposal
    can_follow: bool
    following: bool


def road(stage: str) -> tuple[RoadStep, ...]:
    """The main road as of ``stage``: done before it, current, to do after; all to do when the
    topic is off the road (a draft, rejected, withdrawn)."""
    stages = [s.value for s in lifecycle.MAIN_ROAD]
    passed = stage not in stages
    steps = []
    for s in stages:
        if s == stage:
            steps.append(RoadStep(s, "current"))
            passed = True
        else:
            steps.append(RoadStep(s, "todo" if passed else "done"))
    return tuple(steps)


def _standing(kind: str, refusal: Refusal | None, office: bool = False) -> Action:
    """The action ``kind`` as ``refusal`` leaves it: open, log in first (only when logging in
    is what is missing), or refused; ``office``: refused to someone who runs the topic."""
    if refusal is None:
        return Action(kind, OPEN)
    if refusal.code == LOGIN_REQUIRED:
        return Action(kind, LOGIN, refusal)
    return Action(kind, OFFICE if office else REFUSED, refusal)


def _action(topic: Topic, reader, me: ViewerState, thread, outcome, vote,
            now: datetime) -> Action:
    stage = Stage(topic.stage)
    if stage is Stage.PROPOSED:
        if me.cosigned:
            return Action(COSIGN, DONE)
        if getattr(reader, "is_authenticated", False) and topic.proposer_id == reader.id:
            return Action(COSIGN, OWN)
        return _standing(COSIGN, check(reader, "topic.participate", topic))
    if stage is Stage.COMMENTING:
        why = thread.refusal if thread is not None else comments.comment_refusal(reader, topic)
        return _standing(COMMENT, Refusal(*why) if why else None)
    if stage is Stage.VOTING and vote is not None and vote.is_open(now):
        # Logging in is all the page can ask: who is on the list of voters (fixed when the
        # vote opened) is the vote page's to say. "topic.follow" is any account.
        return _standing(VOTE, check(reader, "topic.follow", topic))
    if outcome is not None and outcome.window_open:
        return _standing(OBJECT, outcome.may_object, outcome.may_manage)
    if outcome is not None and outcome.ratings_open:
        return _standing(RATE, outcome.may_rate, outcome.may_manage)
    return NO_ACTION


def topic_page(reader, topic: Topic, *, me: ViewerState, thread=None, outcome=None, vote=None,
               can_open_vote: bool = False, now: datetime | None = None) -> TopicPageModel:
    """The topic page's model for ``reader``, from what the page has read already: ``me``
    (:func:`viewer_state`), the comment ``thread``, the ``outcome`` section
    (consult.outcomes.service.section), the latest ``vote`` and whether the reader may open
    one. Runs no query of its own (the reader's standing is cached for the request)."""
    now = now or utcnow()
    stage = Stage(topic.stage)
    now_stage = (outcome.stage if outcome is not None else "") or topic.stage
    public = stage is not Stage.DRAFT
    can_review = bool(lifecycle.available(reader, topic, ["accept", "reject"]))
    return TopicPageModel(
        stage=now_stage,
        road=road(now_stage),
        panel=PANELS.get(stage, ""),
        ended_title=ENDED_TITLES.get(stage, ""),
        action=(Action(REVIEW, OPEN) if can_review
                else _action(topic, reader, me, thread, outcome, vote, now)),
        period_over=lifecycle.comment_period_over(topic),
        show_comments=stage not in NO_COMMENTS,
        show_vote=vote is not None or can_open_vote,
        can_review=can_review,
        can_deliberate=lifecycle.refusal(reader, topic, "deliberate") is None,
        can_time_comments=(stage is Stage.COMMENTING and not lifecycle.comment_period_over(topic)
                           and may(reader, "topic.manage", topic)),
        can_open_vote=can_open_vote,
        can_withdraw=public and lifecycle.refusal(reader, topic, "withdraw") is None,
        can_follow=public and may(reader, "topic.follow", topic),
        following=me.following,
    )
