"""Opening a vote, freezing its electorate, casting ballots, closing and tallying.

Plain functions like every rule module here: they check permissions and input, change the
session, write the audit log, and raise :class:`Refused` (a message and the form field it
concerns) before changing anything they refuse. The caller commits.
"""
from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, bindparam, delete, exists, func, null, select
from sqlalchemy.exc import IntegrityError

from consult.audit.log import record
from consult.clock import utcnow
from consult.database import begin_write
from consult.community.models import (
    Building, Grid, Ownership, Residency, ResidencyStatus, Unit,
)
from consult.extensions import db
from consult.i18n import local_datetime
from consult.jobs import enqueue, job
from consult.notifications import kinds
from consult.notifications.service import notify
from consult.permissions import check
from consult.topics import lifecycle
from consult.topics.lifecycle import Stage
from consult.refusals import Refused
from consult.topics.models import Topic
from consult.votes import co_owners
from consult.votes import rules
from consult.votes import tally as tallying
from consult.votes.freeze import store_electorate
from consult.votes.models import (
    Ballot, Channel, Elector, ElectorMember, Electorate, Vote, VoteProxy,
)
from consult.votes.tally import CIVIL_CODE_RULES, YES_NO_OPTIONS, Rule

# How long ballots accepted just before a vote's closing time may still be committing (a request
# lives at most gunicorn's 30 s timeout). Until the close has stored the result, or this has
# passed, readers are shown "being counted", never a tally that could still change.
SETTLE = timedelta(minutes=2)

QUESTION_MAX = 500
OPTION_MAX = 80
MAX_OPTIONS = 8
MAX_DAYS = rules.MAX_DAYS
CANCEL_REASON_MIN, CANCEL_REASON_MAX = 10, 1000
TRACKER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud, typed back


def vote_resolution_of(topic: Topic):
    """The "put to a vote" resolution of the topic's latest published minutes, or None."""
    from consult.halls.minutes import vote_resolution

    return vote_resolution(topic)


def minutes_resolved_a_vote(topic: Topic, context: dict) -> str | None:
    resolution = vote_resolution_of(topic)
    if resolution is None:
        return _l("A vote can only be opened once the meeting minutes are published and "
                  "resolve to put this topic to a vote.")
    # Minutes from before the topic last came (back) to deliberation, e.g. before an upheld
    # objection sent it back, do not count: a new meeting must resolve it again.
    published = getattr(getattr(resolution, "revision", None), "published_at", None)
    if published is not None and published < _entered_deliberation(topic):
        return _l("The topic came back to deliberation after those minutes: a new meeting "
                  "must resolve to put it to a vote.")
    return None


def _entered_deliberation(topic: Topic) -> datetime:
    from consult.topics.models import StageChange

    return db.session.scalar(
        select(func.max(StageChange.at)).where(StageChange.topic_id == topic.id,
                                               StageChange.to_stage == Stage.DELIBERATING.value)
    ) or datetime.min


@dataclass
class VoteSpec:
    """What the secretary chose when opening a vote."""

    question: str
    electorate: str
    rule: str
    scope_key: str  # "community:ID", "grid:ID" or "building:ID"
    opens_at: datetime  # naive UTC
    closes_at: datetime
    options: tuple[str, ...] = YES_NO_OPTIONS
    quorum_percent: int | None = None
    secret: bool = False


def latest_vote(topic_id: int) -> Vote | None:
    return db.session.scalar(_latest_vote_statement(), {"topic_id": topic_id})


@functools.cache
def _latest_vote_statement():
    # Built once (every topic page asks): a statement used again skips building and keying.
    return (select(Vote).where(Vote.topic_id == bindparam("topic_id", type_=Integer))
            .order_by(Vote.id.desc()).limit(1))


def may_rerun(topic: Topic, now: datetime | None = None) -> bool:
    """A vote that closed without a valid quorum, or that was cancelled, may be run again
    (as a new vote)."""
    if topic.stage != Stage.VOTING.value:
        return False
    last = latest_vote(topic.id)
    now = now or utcnow()
    if last is not None and last.cancelled:
        return True
    if last is None or not last.is_closed(now):
        return False
    result = result_of(last, now)
    return result is not None and not result["valid"]


def may_open_vote(actor, topic: Topic) -> bool:
    """May ``actor`` open a vote on ``topic`` now (or run an invalid one again)?"""
    return (lifecycle.refusal(actor, topic, "open_vote") is None
            or (may_rerun(topic) and check(actor, "topic.manage", topic) is None))


def open_vote(actor, topic: Topic, spec: VoteSpec) -> Vote:
    """Create a vote on ``topic`` (or run again a vote that was not valid or was cancelled),
    which announces it (公告), and queue the freezing of its electorate (the job
    ``votes.freeze``, :func:`freeze_job`): this returns at once, whatever the size of the
    community. An empty electorate is refused here (one COUNT). Until the job is done the vote
    is "preparing": it takes no ballots and its page shows the progress. The job then tells the
    electors that voting is open when it opens at once, and that it is announced when it opens
    later (then ``flask vote notify`` tells them when it opens). Nothing of the vote changes
    afterwards."""
    if (r := check(actor, "topic.manage", topic)) is not None:
        raise Refused.forbidden(r.message, r.code)
    lifecycle.lock(topic)
    rerun = may_rerun(topic)
    if rerun:
        close(latest_vote(topic.id))  # the invalid result is stored before the new vote
    elif (why := lifecycle.refusal(actor, topic, "open_vote")) is not None:
        raise Refused(why)
    now = utcnow()
    spec = _validated(topic, spec, now)
    grid_id, building_id = _scope_ids(topic, spec.scope_key)
    opens_now = spec.opens_at <= now
    settings = vote_settings(topic) if rules.is_civil_code(spec.rule) else None
    vote = Vote(topic_id=topic.id, community_id=topic.community_id, grid_id=grid_id,
                building_id=building_id, question=spec.question, options=list(spec.options),
                electorate=spec.electorate, rule=spec.rule, quorum_percent=spec.quorum_percent,
                secret=spec.secret, opens_at=spec.opens_at, closes_at=spec.closes_at,
                created_by_id=actor.id, announced_at=now,
                opening_told_at=now if opens_now else None,
                notice_days=settings.notice_days if settings else None,
                min_open_days=settings.min_open_days if settings else None,
                electorate_prepared=0,
                # null(), not None: None would take the column's default (ready)
                electorate_ready_at=null())
    vote.electorate_expected = expected_electorate(vote)
    if vote.electorate_expected == 0:
        raise Refused(_l("Nobody in this area can vote in this electorate; choose another "
                           "area or electorate."), "scope")
    db.session.add(vote)
    db.session.flush()
    record("vote.open", topic, actor=actor, community_id=topic.community_id, details={
        "vote_id": vote.id, "question": vote.question, "electorate": vote.electorate,
        "rule": vote.rule, "electorate_expected": vote.electorate_expected,
        "rerun": rerun, "announced_at": vote.announced_at.isoformat(),
        "opens_at": vote.opens_at.isoformat(), "closes_at": vote.closes_at.isoformat()})
    if not rerun:
        # Followers who will be electors have their own notice from the freeze job.
        followers = lifecycle.follower_ids(topic.id)
        lifecycle.apply(actor, topic, "open_vote", told=electors_among(vote, followers))
    enqueue("votes.freeze", vote_id=vote.id)
    return vote


def vote_settings(topic_or_community) -> rules.Settings:
    """The notice and length settings of the community of a topic (or of a community)."""
    community = getattr(topic_or_community, "community", topic_or_community)
    return rules.Settings.of(community)


def _validated(topic: Topic, spec: VoteSpec, now: datetime) -> VoteSpec:
    question = " ".join((spec.question or "").split())
    if not question:
        raise Refused(_l("Write the question residents will answer."), "question")
    if len(question) > QUESTION_MAX:
        raise Refused(_l("The question can be at most %(n)d characters.", n=QUESTION_MAX),
                        "question")
    options = tuple(" ".join(o.split()) for o in spec.options if o and o.strip())
    if options != YES_NO_OPTIONS:
        if len(options) < 2 or len(options) > MAX_OPTIONS:
            raise Refused(_l("A choice vote has from 2 to %(n)d options.", n=MAX_OPTIONS),
                            "options")
        if len(set(options)) != len(options):
            raise Refused(_l("Two options are the same."), "options")
        if any(len(o) > OPTION_MAX for o in options):
            raise Refused(_l("An option can be at most %(n)d characters.", n=OPTION_MAX),
                            "options")
    if spec.electorate not in {e.value for e in Electorate}:
        raise Refused(_l("Choose who votes."), "electorate")
    if spec.rule not in {r.value for r in Rule}:
        raise Refused(_l("Choose the rule."), "rule")
    rule = Rule(spec.rule)
    if rule in CIVIL_CODE_RULES and spec.electorate != Electorate.OWNERS.value:
        raise Refused(_l("The Civil Code rules apply to votes of the owners only."), "rule")
    if rule in CIVIL_CODE_RULES and options != YES_NO_OPTIONS:
        raise Refused(_l("A Civil Code vote asks agree, oppose or abstain."), "options")
    quorum = spec.quorum_percent
    if quorum is not None:
        if rule in CIVIL_CODE_RULES:
            raise Refused(_l("The Civil Code rules set their own participation threshold; "
                               "leave the quorum empty."), "quorum_percent")
        if not 1 <= quorum <= 100:
            raise Refused(_l("The quorum is a percentage from 1 to 100."), "quorum_percent")
    if spec.closes_at <= spec.opens_at:
        raise Refused(_l("The vote must close after it opens."), "closes_at")
    if spec.closes_at <= now:
        raise Refused(_l("The closing time has already passed."), "closes_at")
    why = rules.times_refusal(spec.rule, now, spec.opens_at, spec.closes_at,
                              vote_settings(topic))
    if why is not None:
        raise Refused(why.message, why.field)
    return VoteSpec(question, spec.electorate, spec.rule, spec.scope_key, spec.opens_at,
                    spec.closes_at, options, quorum, bool(spec.secret))


def scope_choices(topic: Topic) -> list[tuple[str, str]]:
    """The areas a vote on ``topic`` may cover: the topic's scope and the parts within it."""
    from consult.community.queries import community_tree

    tree = community_tree(topic.community_id)
    choices = []
    if topic.grid_id is None:
        choices.append((f"community:{tree.id}", str(_l("Whole community: %(c)s", c=tree.name))))
    for grid in tree.grids:
        if topic.grid_id not in (None, grid.id):
            continue
        if topic.building_id is None:
            choices.append((f"grid:{grid.id}", str(_l("Grid: %(g)s", g=grid.name))))
        for b in grid.buildings:
            if topic.building_id in (None, b.id):
                choices.append((f"building:{b.id}",
                                str(_l("Building: %(g)s %(b)s", g=grid.name, b=b.name))))
    return choices


def _scope_ids(topic: Topic, scope_key: str) -> tuple[int | None, int | None]:
    if scope_key not in {k for k, _ in scope_choices(topic)}:
        raise Refused(_l("Choose an area within the topic's scope."), "scope")
    kind, _, raw = scope_key.partition(":")
    if kind == "building":
        building = db.session.get(Building, int(raw))
        return building.grid_id, building.id
    if kind == "grid":
        return int(raw), None
    return None, None


def _units_in_scope(vote: Vote):
    conditions = [Grid.community_id == vote.community_id]
    if vote.building_id is not None:
        conditions.append(Unit.building_id == vote.building_id)
    elif vote.grid_id is not None:
        conditions.append(Building.grid_id == vote.grid_id)
    return conditions


def _verified_in_scope(vote: Vote):
    return (select(Residency.user_id, Residency.unit_id).join(Unit, Residency.unit_id == Unit.id)
            .join(Building, Unit.building_id == Building.id)
            .join(Grid, Building.grid_id == Grid.id)
            .where(*_units_in_scope(vote), Residency.status == ResidencyStatus.VERIFIED.value))


def _units_in_scope_query(vote: Vote):
    return (select(Unit.id).join(Building, Unit.building_id == Building.id)
            .join(Grid, Building.grid_id == Grid.id).where(*_units_in_scope(vote)))


def expected_electorate(vote: Vote) -> int:
    """What freezing the electorate of ``vote`` goes through, counted in one query: the homes
    in its area (owners, households), or the verified residents (residents). Zero exactly when
    the electorate would be empty."""
    if vote.electorate == Electorate.RESIDENTS.value:
        people = _verified_in_scope(vote).with_only_columns(Residency.user_id).distinct()
        return db.session.scalar(select(func.count()).select_from(people.subquery())) or 0
    return db.session.scalar(select(func.count()).select_from(
        _units_in_scope_query(vote).subquery())) or 0


def electors_among(vote: Vote, user_ids) -> list[int]:
    """Those of ``user_ids`` (a few: a topic's followers) who will be in the electorate of
    ``vote`` once it is frozen, by the rules of :func:`electorate_rows`."""
    user_ids = sorted(set(user_ids))
    if not user_ids:
        return []
    if vote.electorate == Electorate.OWNERS.value:
        query = (_units_in_scope_query(vote).with_only_columns(Ownership.owner_id)
                 .join(Ownership, Ownership.unit_id == Unit.id)
                 .where(Ownership.owner_id.in_(user_ids)))
    else:
        query = (_verified_in_scope(vote).with_only_columns(Residency.user_id)
                 .where(Residency.user_id.in_(user_ids)))
    return sorted(set(db.session.scalars(query.distinct())))


def freeze_electorate(vote: Vote) -> None:
    """Store who may vote, with each elector's headcount and area, all at once: a few
    set-based statements whatever the size of the community (:mod:`consult.votes.freeze`)."""
    frozen = store_electorate(vote)
    vote.electorate_size, vote.area_total = frozen.electors, frozen.area


@job("votes.freeze")
def freeze_job(vote_id: int) -> None:
    """Freeze the electorate of a vote opened by :func:`open_vote`, then tell its electors.

    In one transaction, the vote's row locked, in a few set-based statements
    (:mod:`consult.votes.freeze`); the vote takes no ballots until it is ready. Idempotent: a
    run after a failure starts over (whatever a failed run stored was rolled back with it), a
    run on a ready vote only tells whoever was not told yet (the notices' dedup keys), a
    cancelled vote is left alone. A second run at the same time waits for the vote's row, then
    finds it ready."""
    _prepare(vote_id)


def freeze_now(vote: Vote) -> None:
    """What the job does, at once and in the caller's transaction: for a small community built
    in one transaction, the demo's. The job queued by the opening then finds the vote ready and
    tells nobody twice."""
    _prepare(vote.id)


def _prepare(vote_id: int) -> None:
    vote = _claimed(vote_id)
    if vote is None:
        return
    if not vote.ready:
        _forget_electorate(vote)  # an older freeze's rows, if any were ever committed
        frozen = store_electorate(vote)
        # What the roster holds now (the count at opening was a moment earlier).
        vote.electorate_expected = vote.electorate_prepared = frozen.homes
        vote.electorate_size, vote.area_total = frozen.electors, frozen.area
        vote.electorate_ready_at = utcnow()
        vote.electorate_run = None
    _tell_electors(vote)
    db.session.flush()


def _claimed(vote_id: int) -> Vote | None:
    """The vote under a row lock: None once it is gone or cancelled (then the rows of an
    unfinished freeze, if any, are deleted)."""
    begin_write()
    db.session.execute(select(Vote.id).where(Vote.id == vote_id).with_for_update())
    vote = db.session.get(Vote, vote_id, populate_existing=True)
    if vote is None:
        return None
    if vote.cancelled:
        if not vote.ready:
            _forget_electorate(vote)
        return None
    return vote


def _forget_electorate(vote: Vote) -> None:
    """Delete what an unfinished freeze of ``vote`` stored."""
    db.session.execute(delete(ElectorMember).where(ElectorMember.vote_id == vote.id))
    db.session.execute(delete(Elector).where(Elector.vote_id == vote.id))


def _tell_electors(vote: Vote) -> int:
    """Tell the electors of a ready vote that voting is open (it opened: at once, or while its
    electorate was being frozen) or that it is announced; each once (dedup keys)."""
    electors = db.session.scalars(select(ElectorMember.user_id).distinct()
                                  .where(ElectorMember.vote_id == vote.id))
    now = utcnow()
    if vote.opening_told_at is not None or vote.opens_at <= now:
        if vote.closes_at <= now:
            return 0  # closed meanwhile: nothing to vote in any more
        vote.opening_told_at = vote.opening_told_at or now
        return notify(electors, "vote.opened", notice_params(vote), vote_url(vote),
                      dedup_key=opened_key(vote))
    return notify(electors, "vote.announced", notice_params(vote), vote_url(vote),
                  dedup_key=f"vote-{vote.id}-announced")


# --- telling the electors ------------------------------------------------------------------

kinds.register("vote.opened", _l(
    "You may vote on “%(question)s”. Voting closes at %(closes)s."))
kinds.register("vote.announced", _l(
    "A vote on “%(question)s” is announced. Voting opens at %(opens)s and closes at "
    "%(closes)s."))
kinds.register("vote.cancelled", _l(
    "The vote on “%(question)s” was cancelled: %(reason)s"))
kinds.register("vote.closing_soon", _l(
    "Voting on “%(question)s” closes at %(closes)s and you have not voted yet."))


def notice_params(vote: Vote) -> dict:
    return {"question": vote.question, "opens": local_datetime(vote.opens_at, "short"),
            "closes": local_datetime(vote.closes_at, "short"), "vote_id": vote.id}


def opened_key(vote: Vote) -> str:
    return f"vote-{vote.id}-opened"


def vote_url(vote: Vote) -> str:
    return f"/votes/{vote.id}"


def _not_yet_cast():
    """The condition "this membership's elector has no counted ballot yet", for a query on
    :class:`ElectorMember`."""
    return ~exists().where(Ballot.elector_id == ElectorMember.elector_id,
                           Ballot.counted.is_(True))


def votes_to_cast(viewer, now: datetime | None = None, limit: int = 20) -> list[Vote]:
    """The open votes ``viewer`` may cast a ballot in and has not yet (for at least one of
    their electors), soonest closing first: one query, however many votes there are."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return []
    now = now or utcnow()
    pending = (select(ElectorMember.id).where(ElectorMember.vote_id == Vote.id,
                                              ElectorMember.user_id == viewer.id,
                                              _not_yet_cast()))
    return list(db.session.scalars(
        select(Vote).where(Vote.closes_at > now, Vote.cancelled_at.is_(None),
                           Vote.electorate_ready_at.is_not(None),
                           (pending.exists() & (Vote.opens_at <= now))
                           | _proxy_to_do(viewer, now).exists())
        .order_by(Vote.closes_at, Vote.id).limit(limit)))


def _proxy_to_do(viewer, now: datetime):
    """A live authorisation naming ``viewer`` (consult/votes/proxies.py) to accept, or, the vote
    being open, to vote under while the homes have no counted ballot."""
    naming = VoteProxy.proxy_user_id == viewer.id
    if getattr(viewer, "phone", None):
        naming = naming | ((VoteProxy.proxy_phone == viewer.phone)
                           & VoteProxy.proxy_user_id.is_(None))
    unvoted = ~exists().where(Ballot.elector_id == VoteProxy.elector_id, Ballot.counted.is_(True))
    return select(VoteProxy.id).where(
        VoteProxy.vote_id == Vote.id, VoteProxy.revoked_at.is_(None), naming,
        VoteProxy.accepted_at.is_(None) | ((Vote.opens_at <= now) & unvoted))


def notify_opened_votes(now: datetime | None = None) -> int:
    """Tell the electors of every vote that has opened since its announcement that voting is
    open: once per vote and person, however often this runs (run from cron). Returns how many
    were told."""
    begin_write()
    now = now or utcnow()
    votes = db.session.scalars(select(Vote).where(
        Vote.opening_told_at.is_(None), Vote.cancelled_at.is_(None), Vote.opens_at <= now,
        Vote.closes_at > now, Vote.electorate_ready_at.is_not(None)).order_by(Vote.id)).all()
    sent = 0
    for vote in votes:
        electors = db.session.scalars(select(ElectorMember.user_id).distinct()
                                      .where(ElectorMember.vote_id == vote.id))
        sent += notify(electors, "vote.opened", notice_params(vote), vote_url(vote),
                       dedup_key=opened_key(vote))
        vote.opening_told_at = now
    db.session.flush()
    return sent


def remind_electors(hours: int = 24, now: datetime | None = None) -> int:
    """Tell every elector who has not voted in a vote closing within ``hours`` that it is
    closing; once per person and vote, however often this runs. Returns how many were sent."""
    now = now or utcnow()
    votes = db.session.scalars(select(Vote).where(
        Vote.opens_at <= now, Vote.closes_at > now, Vote.cancelled_at.is_(None),
        Vote.electorate_ready_at.is_not(None),
        Vote.closes_at <= now + timedelta(hours=hours)).order_by(Vote.id)).all()
    sent = 0
    for vote in votes:
        waiting = db.session.scalars(
            select(ElectorMember.user_id).distinct()
            .where(ElectorMember.vote_id == vote.id, _not_yet_cast()))
        sent += notify(waiting, "vote.closing_soon", notice_params(vote), vote_url(vote),
                       dedup_key=f"vote-{vote.id}-closing-soon")
    return sent


# --- casting --------------------------------------------------------------------------------

def electors_of(viewer, vote: Vote) -> list[Elector]:
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return []
    return list(db.session.scalars(_electors_statement(),
                                   {"vote_id": vote.id, "user_id": viewer.id}))


@functools.cache
def _electors_statement():
    # Built once (every vote page asks): a statement used again skips building and keying.
    return (select(Elector).join(ElectorMember, ElectorMember.elector_id == Elector.id)
            .where(ElectorMember.vote_id == bindparam("vote_id", type_=Integer),
                   ElectorMember.user_id == bindparam("user_id", type_=Integer))
            .order_by(Elector.id))


PREPARING = _l("The list of electors of this vote is being prepared; ballots are taken once "
               "it is ready, in a few minutes.")


def cast_refusal(actor, vote: Vote, now: datetime | None = None) -> str | None:
    now = now or utcnow()
    if actor is None or not getattr(actor, "is_authenticated", False):
        return _l("Please log in first.")
    if vote.cancelled:
        return _l("This vote was cancelled; it takes no ballots.")
    if not vote.ready:
        return PREPARING
    if now < vote.opens_at:
        return _l("Voting has not opened yet.")
    if now >= vote.closes_at:
        return _l("Voting has closed.")
    return None


def cast(actor, vote: Vote, option: str, *, replace_other: bool = False,
         for_user=None) -> list[Ballot]:
    """Cast (or change) ``actor``'s ballot: one ballot per elector they belong to, each with a
    receipt. The previous ballot stays in the history, no longer counted. Replacing a ballot
    someone else cast (a co-owner, a proxy, on paper) needs ``replace_other``, and they are told
    (consult/votes/co_owners.py).

    ``for_user``: a grid worker casting for a resident under the resident's consent
    (consult/grids/service.py checks it): the resident's electors, the same rules, the ballots
    marked ``assisted_by`` the worker.

    The vote's row is held shared until the ballot commits, and the closing time is checked
    after taking it: :func:`close` (which takes the row exclusively) waits for a ballot accepted
    before the closing time, and a ballot arriving after a close finds it closed."""
    voter = for_user or actor
    _hold_open(vote)
    if (why := cast_refusal(voter, vote)) is not None:
        raise Refused(why)
    if option not in vote.options:
        raise Refused(_l("Choose one of the options."), "option")
    # The voter's electors, their rows locked at once (one statement), and their counted
    # ballots read once for both the check and the recording: nothing can be cast for these
    # electors between this look and the ballot (every channel locks the elector first).
    electors = _locked_electors_of(voter, vote)
    if not electors:
        if for_user is not None:
            raise Refused(_l("This resident is not on the list of voters of this vote (it "
                             "was fixed when the vote opened)."))
        raise Refused.forbidden(_l("You are not on the list of voters of this vote (it was "
                                   "fixed when the vote opened)."), "not_elector")
    counted = {b.elector_id: b for b in db.session.scalars(select(Ballot).where(
        Ballot.vote_id == vote.id, Ballot.elector_id.in_([e.id for e in electors]),
        Ballot.counted.is_(True)))}
    co_owners.check_replacing(voter, vote, electors, replace_other,
                              helper=actor if for_user is not None else None,
                              counted=list(counted.values()))
    now = utcnow()
    assisted = {"assisted_by_id": actor.id} if for_user is not None else {}
    cast_ = [record_ballot(vote, elector, option, actor=actor, now=now, locked=True,
                           counted=counted.get(elector.id), **assisted)
             for elector in electors]
    for elector, (new, old) in zip(electors, cast_):
        tell_replaced(vote, elector, old, new)  # a ballot of another channel replaced
    co_owners.tell_replaced(voter, vote, [old for _new, old in cast_ if old is not None])
    return [new for new, _old in cast_]


def _locked_electors_of(voter, vote: Vote) -> list[Elector]:
    """:func:`electors_of`, their rows locked for update in id order (PostgreSQL; on SQLite
    the writer's lock is held already)."""
    return list(db.session.scalars(
        select(Elector).join(ElectorMember, ElectorMember.elector_id == Elector.id)
        .where(ElectorMember.vote_id == vote.id, ElectorMember.user_id == voter.id)
        .order_by(Elector.id).with_for_update(of=Elector)))


_UNREAD = object()


def record_ballot(vote: Vote, elector: Elector, option: str, *, actor, now: datetime,
                  channel: str = Channel.ONLINE.value, locked: bool = False,
                  counted=_UNREAD, **extra) -> tuple[Ballot, Ballot | None]:
    """Store ``elector``'s ballot, whatever the channel: the one counted ballot of the elector
    becomes this one (the last cast counts), the earlier one stays in the history. Returns the
    new ballot and the one it replaced (None for a first ballot). The caller has checked that
    the vote is open (:func:`_hold_open`) and who may cast; ``extra`` sets further columns of
    the ballot (e.g. what a channel records).

    The elector's row is locked first: two casts of one household, two co-owners, an owner and
    their proxy, or two entries of one paper ballot queue here, and the partial unique index is
    the last word if anything slips past.

    ``locked``: the caller holds the elector's lock already; ``counted``: and has read the
    elector's counted ballot under it (None: none), so neither is done again."""
    if not locked:
        db.session.execute(select(Elector.id).where(Elector.id == elector.id).with_for_update())
    for attempt in range(3):
        try:
            with db.session.begin_nested():
                if attempt == 0 and counted is not _UNREAD:
                    replaced = counted
                else:
                    replaced = db.session.scalar(
                        select(Ballot).where(Ballot.vote_id == vote.id,
                                             Ballot.elector_id == elector.id,
                                             Ballot.counted.is_(True)))
                if replaced is not None:
                    replaced.counted = False
                    db.session.flush()
                ballot = Ballot(vote_id=vote.id, elector_id=elector.id, option=option,
                                cast_at=now, cast_by_id=actor.id if actor is not None else None,
                                tracker=new_tracker(), channel=channel, **extra)
                db.session.add(ballot)
                db.session.flush()
            return ballot, replaced
        except IntegrityError:
            if attempt == 2:
                raise Refused(_l("Your ballot could not be recorded; please try "
                                 "again.")) from None
    raise AssertionError("unreachable")


kinds.register("vote.ballot_replaced_by_paper", _l(
    "A paper ballot for you in “%(question)s” was entered and now counts instead of your "
    "earlier ballot. If you did not hand in a paper ballot, tell the community's secretary."))
kinds.register("vote.ballot_replaced_by_online", _l(
    "An online ballot for you in “%(question)s” now counts instead of your earlier paper or "
    "proxy ballot."))
kinds.register("vote.ballot_replaced_by_proxy", _l(
    "A ballot cast by your proxy in “%(question)s” now counts instead of your earlier ballot."))


def tell_replaced(vote: Vote, elector: Elector, replaced: Ballot | None, ballot: Ballot) -> int:
    """Tell the elector's people when their counted ballot was replaced by one of another
    channel (a paper ballot over an online one, an online one over a paper one...): nobody's
    ballot changes channel unnoticed."""
    if replaced is None or replaced.channel == ballot.channel:
        return 0
    return notify(db.session.scalars(select(ElectorMember.user_id).where(
        ElectorMember.elector_id == elector.id,
        ElectorMember.user_id != (ballot.cast_by_id or 0))),  # not who just cast it
        f"vote.ballot_replaced_by_{ballot.channel}", notice_params(vote), vote_url(vote))


def new_tracker() -> str:
    code = "".join(secrets.choice(TRACKER_ALPHABET) for _ in range(8))
    return f"{code[:4]}-{code[4:]}"


def my_ballots(viewer, vote: Vote) -> list[Ballot]:
    """The counted ballots of the viewer's electors, one per elector, whoever cast them: a
    co-owner, a proxy or a paper ballot may have (consult/votes/co_owners.py says who)."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return []
    return list(db.session.scalars(_my_ballots_statement(),
                                   {"vote_id": vote.id, "user_id": viewer.id}))


@functools.cache
def _my_ballots_statement():
    # Built once (every vote page asks): a statement used again skips building and keying.
    return (select(Ballot).join(ElectorMember, ElectorMember.elector_id == Ballot.elector_id)
            .where(Ballot.vote_id == bindparam("vote_id", type_=Integer),
                   Ballot.counted.is_(True),
                   ElectorMember.user_id == bindparam("user_id", type_=Integer))
            .order_by(Ballot.elector_id))


def find_receipt(vote: Vote, code: str) -> Ballot | None:
    code = (code or "").strip().upper().replace(" ", "")
    if len(code) == 8:
        code = f"{code[:4]}-{code[4:]}"
    return db.session.scalar(select(Ballot).where(Ballot.vote_id == vote.id,
                                                  Ballot.tracker == code))


def closed_figures(vote: Vote) -> dict | None:
    """What was stored with the result of ``vote`` (:func:`figures`), or None: open, not yet
    tallied, or tallied before they were stored (the next ``flask vote close`` stores them)."""
    if vote.result is None:
        return None
    return vote.closed_figures


def turnout(vote: Vote) -> int:
    """Electors who have voted (headcount), not how: shown while the vote is open."""
    if (stored := closed_figures(vote)) is not None:
        return stored["turnout"]
    return turnout_of_ballots(vote)


def turnout_by_building(vote: Vote) -> list[tuple[str, int, int]]:
    """(building, electors, voted) for every building of the electorate."""
    if (stored := closed_figures(vote)) is not None:
        return [tuple(row) for row in stored["by_building"]]
    return _turnout_by_building_of([vote.id])[vote.id]


def turnout_by_building_of(votes: list[Vote]) -> dict[int, list[tuple[str, int, int]]]:
    """:func:`turnout_by_building` of several votes: what was stored for the tallied ones (one
    query), three queries for the others whatever their number."""
    ids = [v.id for v in votes]
    stored = {i: [tuple(row) for row in f["by_building"]] for i, f in db.session.execute(
        select(Vote.id, Vote.closed_figures).where(Vote.id.in_(ids), Vote.result.is_not(None),
                                                   Vote.closed_figures.is_not(None)))
              if f is not None} if ids else {}
    rest = [i for i in ids if i not in stored]
    return stored | (_turnout_by_building_of(rest) if rest else {})


def _turnout_by_building_of(ids: list[int]) -> dict[int, list[tuple[str, int, int]]]:
    """Counted from the electors and ballots, in three queries."""
    totals = db.session.execute(
        select(Elector.vote_id, Elector.building_id, func.sum(Elector.headcount))
        .where(Elector.vote_id.in_(ids)).group_by(Elector.vote_id, Elector.building_id)).all()
    voted = {(v, b): n for v, b, n in db.session.execute(
        select(Elector.vote_id, Elector.building_id, func.sum(Elector.headcount))
        .join(Ballot, Ballot.elector_id == Elector.id)
        .where(Ballot.vote_id.in_(ids), Ballot.counted.is_(True))
        .group_by(Elector.vote_id, Elector.building_id))}
    buildings = {b for _, b, _ in totals if b is not None}
    names = dict(db.session.execute(
        select(Building.id, Grid.name + " " + Building.name).join(Grid)
        .where(Building.id.in_(buildings))).all()) if buildings else {}
    result: dict[int, list[tuple[str, int, int]]] = {i: [] for i in ids}
    for vote_id, b, n in totals:
        result[vote_id].append((names.get(b, "—"), int(n), int(voted.get((vote_id, b), 0))))
    return {i: sorted(rows, key=lambda row: row[0]) for i, rows in result.items()}


def figures(vote: Vote) -> dict:
    """What a closed vote's page and API show besides the result, counted from its ballots,
    to be stored with the result (``Vote.closed_figures``): nothing of it changes once the
    result is stored (no ballot is taken then, :func:`_hold_open`)."""
    return {"turnout": turnout_of_ballots(vote), "counted": _counted_ballots(vote),
            "channels": count_channels(vote),
            "by_building": [list(row) for row in _turnout_by_building_of([vote.id])[vote.id]]}


def count_channels(vote: Vote) -> dict[str, int]:
    """Counted ballots per channel (online, paper, proxy), counted from the ballots."""
    found = dict(db.session.execute(
        select(Ballot.channel, func.count()).where(Ballot.vote_id == vote.id,
                                                   Ballot.counted.is_(True))
        .group_by(Ballot.channel)).all())
    return {c.value: int(found.get(c.value, 0)) for c in Channel}


def turnout_of_ballots(vote: Vote) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(Elector.headcount), 0))
        .join(Ballot, Ballot.elector_id == Elector.id)
        .where(Ballot.vote_id == vote.id, Ballot.counted.is_(True))) or 0


# --- closing and the result -------------------------------------------------------------------

def compute(vote: Vote) -> tallying.Result:
    """Tally the counted ballots against the frozen electorate (two queries)."""
    electors = [tallying.Elector(key, headcount, area) for key, headcount, area in
                db.session.execute(select(Elector.id, Elector.headcount, Elector.area)
                                   .where(Elector.vote_id == vote.id))]
    ballots = dict(db.session.execute(
        select(Ballot.elector_id, Ballot.option)
        .where(Ballot.vote_id == vote.id, Ballot.counted.is_(True))).all())
    return tallying.tally(vote.rule, electors, ballots, options=vote.options,
                          quorum_percent=vote.quorum_percent)


def result_of(vote: Vote, now: datetime | None = None) -> dict | None:
    """The result of a closed vote, for reading: the one stored when it was closed, or, once
    :data:`SETTLE` has passed since the closing time without the scheduled close having stored
    it, the same result computed from the ballots, storing nothing. None while the vote is open
    and while it is being counted (:func:`counting`): a ballot that was accepted just before the
    closing time may still be committing then, and no reader may see a tally that later changes.
    Pages and the API read this; it never writes."""
    now = now or utcnow()
    if not vote.is_closed(now) or not vote.ready:
        return None
    if vote.result is not None:
        return vote.result
    if now < vote.closes_at + SETTLE:
        return None
    return compute(vote).as_dict()


def counting(vote: Vote, now: datetime | None = None) -> bool:
    """Closed, and no result can be shown yet (see :func:`result_of`)."""
    now = now or utcnow()
    return vote.is_closed(now) and result_of(vote, now) is None


def close(vote: Vote, now: datetime | None = None) -> dict | None:
    """Store the result of a closed vote, once: the first call tallies and records
    ``vote.close`` in the audit log, later calls return what was stored. Run by ``flask vote
    close`` (cron) and by the writes that need a stored result; the caller commits. None while
    the vote is open."""
    if not vote.is_closed(now or utcnow()):
        return None
    _lock(vote)
    if vote.cancelled:  # cancelled while we waited for the lock
        return None
    if not vote.ready:  # its electorate is still being frozen: the tally waits
        return None
    if vote.result is None:
        result = compute(vote)
        vote.result = result.as_dict()
        vote.closed_figures = figures(vote)
        vote.tallied_at = utcnow()
        record("vote.close", vote.topic, actor=None, community_id=vote.community_id,
               details={"vote_id": vote.id, "valid": result.valid, "passed": result.passed,
                        "votes": result.as_dict()["votes"]})
    return vote.result


def tally(actor, vote: Vote) -> dict:
    """Store the result of a vote whose set end has passed now, rather than waiting for the
    cron job (``flask vote close``), for a secretary who wants to publish the outcome. A vote
    ends at its set time (that is the law of the vote, announced with it): there is no
    closing it early. Refused before the end, for a cancelled vote and while its electorate is
    still being frozen."""
    if (r := check(actor, "topic.manage", vote.topic)) is not None:
        raise Refused.forbidden(r.message, r.code)
    if vote.cancelled:
        raise Refused(_l("This vote was cancelled; it has no result."))
    if not vote.is_closed(utcnow()):
        raise Refused(_l("The vote closes at %(when)s, as announced; it cannot be closed "
                         "earlier.", when=local_datetime(vote.closes_at, "short")))
    result = close(vote)
    if result is None:
        raise Refused(_l("The list of electors is still being prepared; the result is "
                         "counted when it is ready."))
    return result


def _hold_open(vote: Vote) -> None:
    """Share-lock the vote's row (PostgreSQL; on SQLite the writer's lock) and see a stored
    result: once one is stored, no ballot is taken whatever the clock says."""
    begin_write()
    # One statement: the row share-locked (FOR SHARE; SQLite has no row locks) as it is read.
    db.session.refresh(vote, attribute_names=["result", "cancelled_at", "electorate_ready_at"],
                       with_for_update={"read": True})
    if vote.cancelled:
        raise Refused(_l("This vote was cancelled; it takes no ballots."))
    if not vote.ready:
        raise Refused(PREPARING)
    if vote.result is not None:
        raise Refused(_l("Voting has closed."))


def hold_open(vote: Vote) -> None:
    """:func:`_hold_open`, for the callers outside this module that record a ballot through
    :func:`record_ballot` (a grid worker's assisted ballot, consult.grids.service): call it
    before checking that the vote is open."""
    _hold_open(vote)


def _lock(vote: Vote) -> None:
    """Re-read the vote's result under a row lock (PostgreSQL), so that two closings cannot
    both tally; on SQLite the writer's lock (BEGIN IMMEDIATE) already serialises them."""
    begin_write()
    db.session.flush()
    if db.session.get_bind().dialect.name == "sqlite":
        return
    db.session.execute(select(Vote.id).where(Vote.id == vote.id).with_for_update())
    db.session.refresh(vote, attribute_names=["result", "tallied_at", "cancelled_at",
                                              "electorate_ready_at"])


def close_due_votes() -> int:
    """Store the result of every vote whose closing time has passed (run from cron)."""
    begin_write()  # SQLite: the writer's lock before the first read, as a writing request
    due = db.session.scalars(select(Vote).where(Vote.closes_at <= utcnow(),
                                                Vote.cancelled_at.is_(None),
                                                Vote.electorate_ready_at.is_not(None),
                                                Vote.result.is_(None))).all()
    for vote in due:
        close(vote)
    # Votes tallied before their figures were stored (migration 0029): stored now, once.
    for vote in db.session.scalars(select(Vote).where(Vote.result.is_not(None),
                                                      Vote.closed_figures.is_(None))):
        vote.closed_figures = figures(vote)
    return len(due)


def ballot_rows(vote: Vote, *, limit: int | None = None,
                offset: int = 0) -> list[tuple[str, str, str, str]]:
    """The public ballot list after closing: (tracker, option, units for named ballots,
    channel), by tracker; ``limit``/``offset`` page it in SQL."""
    stmt = (select(Ballot.tracker, Ballot.option, Elector.units_label, Ballot.channel)
            .join(Elector, Ballot.elector_id == Elector.id)
            .where(Ballot.vote_id == vote.id, Ballot.counted.is_(True))
            .order_by(Ballot.tracker).limit(limit).offset(offset or None))
    return [(t, o, "" if vote.secret else units, channel)
            for t, o, units, channel in db.session.execute(stmt)]


def counted_ballots(vote: Vote) -> int:
    if (stored := closed_figures(vote)) is not None:
        return stored["counted"]
    return _counted_ballots(vote)


def _counted_ballots(vote: Vote) -> int:
    return db.session.scalar(select(func.count(Ballot.id)).where(
        Ballot.vote_id == vote.id, Ballot.counted.is_(True))) or 0


# --- cancelling -------------------------------------------------------------------------------

def vote_may_be_cancelled(topic: Topic, context: dict) -> str | None:
    """The lifecycle's guard of "cancel_vote": the topic's latest vote is announced or open."""
    vote = context.get("vote") or latest_vote(topic.id)
    if vote is None:
        return _l("There is no vote to cancel.")
    if vote.cancelled:
        return _l("This vote is already cancelled.")
    if utcnow() >= vote.closes_at or vote.result is not None:
        return _l("A closed vote cannot be cancelled; its result stands.")
    return None


def cancel_vote(actor, vote: Vote, reason: str) -> Vote:
    """Cancel an announced or open vote with a public reason: it takes no more ballots and is
    never tallied; the topic stays in voting and a new vote may be opened on it. Its electors
    are told; the topic's timeline and the audit log show it with the reason."""
    topic = vote.topic
    if (r := check(actor, "topic.manage", topic)) is not None:
        raise Refused.forbidden(r.message, r.code)
    reason = " ".join((reason or "").split())
    if not reason:
        raise Refused(_l("Give the reason for cancelling; it is shown publicly."), "reason")
    if len(reason) < CANCEL_REASON_MIN:
        raise Refused(_l("Give a reason of at least %(n)d characters; it is shown publicly.",
                         n=CANCEL_REASON_MIN), "reason")
    if len(reason) > CANCEL_REASON_MAX:
        raise Refused(_l("The reason can be at most %(n)d characters.", n=CANCEL_REASON_MAX),
                      "reason")
    lifecycle.lock(topic)
    _lock(vote)  # a close or a ballot waits, then sees the vote cancelled
    if (why := vote_may_be_cancelled(topic, {"vote": vote})) is not None:
        raise Refused(why)
    # Electors of a vote still being prepared were not told of it: only its followers are.
    electors = list(db.session.scalars(select(ElectorMember.user_id).distinct()
                                       .where(ElectorMember.vote_id == vote.id))) \
        if vote.ready else []
    # The topic's timeline and audit log (topic.cancel_vote, with the reason); its followers
    # who are not electors (the electors are told below).
    lifecycle.apply(actor, topic, "cancel_vote", reason=reason, vote=vote, told=electors)
    vote.cancelled_at = utcnow()
    vote.cancelled_by_id = actor.id
    vote.cancel_reason = reason
    db.session.flush()
    notify(electors, "vote.cancelled", {**notice_params(vote), "reason": reason},
           vote_url(vote), dedup_key=f"vote-{vote.id}-cancelled")
    record("vote.cancel", vote, actor=actor, community_id=topic.community_id, details={
        "topic_id": topic.id, "question": vote.question, "reason": reason})
    return vote
