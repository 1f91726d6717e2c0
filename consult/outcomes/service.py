"""The rules of a publicised outcome, its objections, implementation and satisfaction ratings.

Lifecycle transitions registered here (all go through :func:`consult.topics.lifecycle.apply`)::

    voting ─publish_outcome (secretary; the latest vote closed and valid)→ publicised
    publicised ─uphold_objection (secretary; window open, an objection to uphold, public
                reason)→ deliberating
    publicised ─outcome_effective (system; window ended, no upheld objection, decision to
                act)→ implementing
    publicised ─outcome_no_action (system; window ended, no upheld objection, decision to do
                nothing)→ closed
    implementing ─implementation_done (secretary; not yet done)→ implementing (ratings open
                for RATING_DAYS)
    implementing ─close (system; done and the rating period over)→ closed

The system transitions are made by :func:`settle_due_outcomes` (``flask outcomes settle``,
cron) and by :func:`settled` at the start of a write that depends on them; reads never settle
(:func:`section` shows a due outcome as it will be).

Plain functions like every rule module here: they check permissions and input, change the
session, write the audit log, and raise :class:`Refused` (a message and the form field it
concerns) before changing anything they refuse. They never commit: the unit of work of the
request or command does (:mod:`consult.unit_of_work`).
"""
from __future__ import annotations

from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, literal, null, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from consult.audit.log import record
from consult.clock import frozen, to_local, utcnow
from consult.database import begin_write
from consult.extensions import db
from consult.i18n import local_datetime
from consult.notifications import kinds
from consult.notifications.service import notify
from consult.permissions import check
from consult.topics import lifecycle
from consult.topics.lifecycle import Stage
from consult.refusals import Refused
from consult.topics.models import Topic
from consult.outcomes.models import Objection, Outcome, OutcomeStatus, ProgressUpdate, Rating

WINDOW_DAYS_DEFAULT, WINDOW_DAYS_MIN, WINDOW_DAYS_MAX = 7, 5, 30
RATING_DAYS = 14
DECISION_MAX = 5000
TEXT_MAX = 2000
RESPONSIBLE_MAX = 200


# --- reading -----------------------------------------------------------------------------------

def current_outcome(topic_id: int) -> Outcome | None:
    return db.session.scalar(select(Outcome).where(Outcome.topic_id == topic_id)
                             .order_by(Outcome.id.desc()).limit(1))


def window_open(outcome: Outcome, now: datetime | None = None) -> bool:
    return (outcome.status == OutcomeStatus.PUBLICISED.value
            and (now or utcnow()) < outcome.window_ends_at)


def ratings_open(outcome: Outcome, now: datetime | None = None) -> bool:
    return (outcome.done_at is not None and outcome.ratings_until is not None
            and (now or utcnow()) < outcome.ratings_until)


def is_overdue(outcome: Outcome, now: datetime | None = None) -> bool:
    """An implementation target date passed (Asia/Shanghai calendar) and not done."""
    if outcome.target_date is None or outcome.done_at is not None or not outcome.act:
        return False
    if outcome.status != OutcomeStatus.EFFECTIVE.value:
        return False
    return to_local(now or utcnow()).date() > outcome.target_date


def _upheld(outcome: Outcome) -> bool:
    return bool(db.session.scalar(select(
        select(Objection.id).where(Objection.outcome_id == outcome.id,
                                   Objection.upheld.is_(True)).exists())))


# --- guards and effects --------------------------------------------------------------------------

def vote_closed_and_valid(topic: Topic, context: dict) -> str | None:
    from consult.votes import service as votes

    vote = votes.latest_vote(topic.id)
    result = votes.result_of(vote) if vote is not None else None
    if result is None:
        return _l("The outcome can be published once the vote has closed.")
    if not result["valid"]:
        return _l("The vote was not valid; run it again instead of publishing an outcome.")
    days = context.get("days", WINDOW_DAYS_DEFAULT)
    if not isinstance(days, int) or not WINDOW_DAYS_MIN <= days <= WINDOW_DAYS_MAX:
        return _l("The publicity window is from %(min)d to %(max)d days.",
                  min=WINDOW_DAYS_MIN, max=WINDOW_DAYS_MAX)
    return None


def may_uphold(topic: Topic, context: dict) -> str | None:
    outcome = current_outcome(topic.id)
    objection = context.get("objection")
    if outcome is None or objection is None or objection.outcome_id != outcome.id:
        return _l("Choose an objection to this outcome to uphold.")
    if not window_open(outcome):
        return _l("The publicity window has ended; the outcome is in effect.")
    return None


def may_extend_window(topic: Topic, context: dict) -> str | None:
    from consult.topics import rules

    outcome = current_outcome(topic.id)
    if outcome is None or outcome.status != OutcomeStatus.PUBLICISED.value:
        return _l("There is no publicised outcome.")
    if _upheld(outcome):
        return _l("An objection was upheld.")
    return rules.extension_refusal(outcome.window_ends_at, context.get("until"), utcnow())


def extend_window(topic: Topic, context: dict) -> None:
    current_outcome(topic.id).window_ends_at = context["until"]


def send_back(topic: Topic, context: dict) -> None:
    outcome = current_outcome(topic.id)
    outcome.status = OutcomeStatus.SENT_BACK.value
    outcome.settled_at = utcnow()


def _window_ended(act: bool):
    def guard(topic: Topic, context: dict) -> str | None:
        outcome = current_outcome(topic.id)
        if outcome is None or outcome.status != OutcomeStatus.PUBLICISED.value:
            return _l("There is no publicised outcome.")
        if utcnow() < outcome.window_ends_at:
            return _l("The publicity window runs until %(until)s.",
                      until=local_datetime(outcome.window_ends_at, "short"))
        if _upheld(outcome):
            return _l("An objection was upheld.")
        if bool(outcome.act) != act:
            return (_l("The decision was to act.") if outcome.act
                    else _l("The decision was to do nothing."))
        return None
    return guard


def make_effective(topic: Topic, context: dict) -> None:
    outcome = current_outcome(topic.id)
    outcome.status = OutcomeStatus.EFFECTIVE.value
    outcome.settled_at = utcnow()
    if not outcome.act:
        topic.closing_reason = outcome.decision


def not_done(topic: Topic, context: dict) -> str | None:
    outcome = current_outcome(topic.id)
    if outcome is None or outcome.status != OutcomeStatus.EFFECTIVE.value:
        return _l("There is no outcome in effect.")
    if outcome.done_at is not None:
        return _l("The implementation is already marked done.")
    return None


def mark_implementation_done(topic: Topic, context: dict) -> None:
    outcome = current_outcome(topic.id)
    now = utcnow()
    outcome.done_at = now
    outcome.ratings_until = now + timedelta(days=RATING_DAYS)


def rating_period_over(topic: Topic, context: dict) -> str | None:
    outcome = current_outcome(topic.id)
    if outcome is None or outcome.done_at is None:
        return _l("The implementation is not done yet.")
    if utcnow() < outcome.ratings_until:
        return _l("Residents can rate the implementation until %(until)s.",
                  until=local_datetime(outcome.ratings_until, "short"))
    return None


def keep_decision(topic: Topic, context: dict) -> None:
    outcome = current_outcome(topic.id)
    if outcome is not None and not topic.closing_reason:
        topic.closing_reason = outcome.decision


# The guards and effects of the outcome's transitions (listed in consult/topics/lifecycle.py).
window_ended_to_act = _window_ended(True)
window_ended_no_action = _window_ended(False)

kinds.register("outcome.progress",
               _l("Progress on “%(title)s”: %(percent)s%% done. %(text)s"))
kinds.register("outcome.answer",
               _l("Your objection to the outcome of “%(title)s” was answered."))

# --- the decision pre-filled from the vote -----------------------------------------------------

@dataclass
class Draft:
    decision: str
    act: bool


def draft_decision(topic: Topic) -> Draft:
    """The decision text pre-filled from the vote: question, verdict, the result's sentences."""
    from consult.votes import service as votes
    from consult.votes.labels import option_label

    vote = votes.latest_vote(topic.id)
    result = votes.result_of(vote) if vote is not None else None
    if vote is None or result is None:
        return Draft("", True)
    lines = [str(_l("Question put to the vote: %(q)s", q=vote.question))]
    if result.get("passed") is True:
        lines.append(str(_l("Verdict: passed.")))
    elif result.get("passed") is False:
        lines.append(str(_l("Verdict: not passed.")))
    elif result.get("winners"):
        lines.append(str(_l("Verdict: %(options)s.", options="、".join(
            option_label(w) for w in result["winners"]))))
    lines += list(result.get("sentences") or [])
    return Draft("\n".join(lines), result.get("passed") is not False)


# --- publishing, objections, answers -------------------------------------------------------------

def _clean(text: str | None, max_len: int, field_name: str, empty_message) -> str:
    text = (text or "").strip()
    if not text:
        raise Refused(empty_message, field_name)
    if len(text) > max_len:
        raise Refused(_l("At most %(n)d characters.", n=max_len), field_name)
    return text


def publish(actor, topic: Topic, decision: str, days: int = WINDOW_DAYS_DEFAULT,
            act: bool = True) -> Outcome:
    """Publish the outcome of the topic's closed, valid vote for a publicity window."""
    from consult.votes import service as votes

    lifecycle.lock(topic)
    if (r := check(actor, "topic.manage", topic)) is not None:
        raise Refused.forbidden(r.message, r.code)
    if (why := lifecycle.refusal(actor, topic, "publish_outcome", {"days": days})) is not None:
        days_ok = isinstance(days, int) and WINDOW_DAYS_MIN <= days <= WINDOW_DAYS_MAX
        raise Refused(why, None if days_ok else "days")
    decision = _clean(decision, DECISION_MAX, "decision", _l("Write the decision."))
    now = utcnow()
    vote = votes.latest_vote(topic.id)
    votes.close(vote)  # the outcome rests on the stored result, tallied once
    outcome = Outcome(topic_id=topic.id, community_id=topic.community_id, vote_id=vote.id,
                      decision=decision, act=bool(act), status=OutcomeStatus.PUBLICISED.value,
                      published_at=now, window_ends_at=now + timedelta(days=days),
                      published_by_id=actor.id)
    db.session.add(outcome)
    db.session.flush()
    lifecycle.apply(actor, topic, "publish_outcome", days=days)
    record("outcome.publish", topic, actor=actor, community_id=topic.community_id, details={
        "outcome_id": outcome.id, "vote_id": vote.id, "act": outcome.act,
        "window_ends_at": outcome.window_ends_at.isoformat()})
    return outcome


def lodge_objection(actor, topic: Topic, body: str) -> Objection:
    if (r := check(actor, "outcome.object", topic)) is not None:
        raise Refused.forbidden(r.message, r.code)
    outcome = current_outcome(topic.id)
    if topic.stage != Stage.PUBLICISED.value or outcome is None or not window_open(outcome):
        raise Refused(_l("Objections can only be lodged while the outcome is publicised."))
    body = _clean(body, TEXT_MAX, "objection", _l("Write the reasons for your objection."))
    objection = Objection(outcome_id=outcome.id, author_id=actor.id, body=body,
                          created_at=utcnow())
    db.session.add(objection)
    db.session.flush()
    record("outcome.objection", topic, actor=actor, community_id=topic.community_id,
           details={"outcome_id": outcome.id, "objection_id": objection.id})
    return objection


def answer_objection(actor, objection: Objection, answer: str, uphold: bool = False) -> None:
    """Answer an objection publicly; with ``uphold``, send the topic back to deliberation with
    the answer as the public reason."""
    outcome = db.session.get(Outcome, objection.outcome_id)
    topic = outcome.topic
    if (r := check(actor, "topic.manage", topic)) is not None:
        raise Refused.forbidden(r.message, r.code)
    answer = _clean(answer, TEXT_MAX, "answer", _l("Write the answer."))
    if objection.answered_at is not None and not uphold:
        raise Refused(_l("This objection is already answered."), "answer")
    if uphold:
        objection.upheld = True
        lifecycle.apply(actor, topic, "uphold_objection", reason=answer[:lifecycle.REASON_MAX],
                        objection=objection, field="answer")
    now = utcnow()
    objection.answer = answer
    objection.answered_at = now
    objection.answered_by_id = actor.id
    record("outcome.answer", topic, actor=actor, community_id=topic.community_id,
           details={"outcome_id": outcome.id, "objection_id": objection.id,
                    "upheld": bool(uphold)})
    notify([objection.author_id], "outcome.answer", {"title": topic.title, "topic_id": topic.id},
           lifecycle.topic_url(topic), skip=[actor.id])


# --- settling: the window's end and the rating period's ------------------------------------------

def settle(topic: Topic) -> str | None:
    """Make the due system transition of ``topic``, if any; returns its name."""
    if current_outcome(topic.id) is None:
        return None
    for name in ("outcome_effective", "outcome_no_action", "close"):
        if lifecycle.refusal(None, topic, name) is None:
            lifecycle.apply(None, topic, name)
            return name
    return None


def _is_due(topic: Topic, outcome: Outcome, now: datetime | None = None) -> bool:
    now = now or utcnow()
    if topic.stage == Stage.PUBLICISED.value:
        return (outcome.status == OutcomeStatus.PUBLICISED.value
                and outcome.window_ends_at <= now)
    return (topic.stage == Stage.IMPLEMENTING.value and outcome.ratings_until is not None
            and outcome.ratings_until <= now)


def due_topic_ids(now: datetime | None = None, community_id: int | None = None) -> list[int]:
    now = now or utcnow()
    stmt = (select(Outcome.topic_id).join(Topic, Topic.id == Outcome.topic_id).where(
        ((Topic.stage == Stage.PUBLICISED.value)
         & (Outcome.status == OutcomeStatus.PUBLICISED.value)
         & (Outcome.window_ends_at <= now))
        | ((Topic.stage == Stage.IMPLEMENTING.value) & (Outcome.ratings_until <= now))))
    if community_id is not None:
        stmt = stmt.where(Outcome.community_id == community_id)
    return sorted(set(db.session.scalars(stmt)))


def settle_due_outcomes(now: datetime | None = None, community_id: int | None = None) -> int:
    """Outcomes whose window ended take effect; done implementations whose rating period is
    over close. Run from cron (``flask outcomes settle``), which commits."""
    begin_write()  # SQLite: the writer's lock before the first read, as a writing request
    settled = 0
    with (frozen(now) if now is not None else nullcontext()):
        for topic_id in due_topic_ids(now, community_id):
            topic = db.session.get(Topic, topic_id)
            if settle(topic) is not None:
                settled += 1
    return settled


def extend_publicity(actor, topic: Topic, until: datetime | None, reason: str) -> Outcome:
    """Move the end of the outcome's publicity window later, with a public reason: objections
    may be lodged until then. A window that has already ended settles first."""
    settled(topic)
    lifecycle.apply(actor, topic, "extend_publicity", until=until, reason=reason,
                    field=lifecycle.reason_or(reason, "until"))
    return current_outcome(topic.id)


# --- implementation --------------------------------------------------------------------------------

def settled(topic: Topic) -> Topic:
    """Lock ``topic`` and make its due system transition first (a window that ended, a rating
    period that is over), so that a write acts on the state the page showed. Reads never settle:
    the scheduled ``flask outcomes settle`` and these writes do."""
    lifecycle.lock(topic)
    settle(topic)
    return topic


def _implementing(topic: Topic, actor) -> Outcome:
    settled(topic)
    if (r := check(actor, "topic.manage", topic)) is not None:
        raise Refused.forbidden(r.message, r.code)
    outcome = current_outcome(topic.id)
    if (topic.stage != Stage.IMPLEMENTING.value or outcome is None
            or outcome.done_at is not None):
        raise Refused(_l("This can only be done while the outcome is being implemented."))
    return outcome


def plan(actor, topic: Topic, responsible: str, target_date: date | None) -> Outcome:
    """Name who is responsible for the implementation and the target date."""
    outcome = _implementing(topic, actor)
    responsible = _clean(responsible, RESPONSIBLE_MAX, "responsible",
                         _l("Name who is responsible."))
    if target_date is None:
        raise Refused(_l("Enter the target date like 2026-12-31."), "target_date")
    outcome.responsible = responsible
    outcome.target_date = target_date
    record("outcome.plan", topic, actor=actor, community_id=topic.community_id, details={
        "outcome_id": outcome.id, "responsible": responsible,
        "target_date": target_date.isoformat()})
    return outcome


def post_progress(actor, topic: Topic, body: str, percent: int | None) -> ProgressUpdate:
    outcome = _implementing(topic, actor)
    if not isinstance(percent, int) or not 0 <= percent <= 100:
        raise Refused(_l("The percentage done is from 0 to 100."), "percent")
    body = _clean(body, TEXT_MAX, "progress", _l("Say what has been done."))
    update = ProgressUpdate(outcome_id=outcome.id, author_id=actor.id, body=body,
                            percent=percent, at=utcnow())
    db.session.add(update)
    db.session.flush()
    record("outcome.progress", topic, actor=actor, community_id=topic.community_id,
           details={"outcome_id": outcome.id, "percent": percent})
    notify(lifecycle.follower_ids(topic.id), "outcome.progress",
           {"title": topic.title, "percent": percent, "text": body[:200], "topic_id": topic.id},
           lifecycle.topic_url(topic), skip=[actor.id])
    return update


def mark_done(actor, topic: Topic, note: str = "") -> None:
    settled(topic)
    lifecycle.apply(actor, topic, "implementation_done", reason=(note or "").strip()[:1000])


# --- ratings ---------------------------------------------------------------------------------------

def rate(actor, topic: Topic, stars: int | None, comment: str = "") -> Rating:
    """Rate the implementation 1-5 stars; a second rating by the same resident replaces the
    first while ratings are open."""
    settled(topic)
    if (r := check(actor, "outcome.rate", topic)) is not None:
        raise Refused.forbidden(r.message, r.code)
    outcome = current_outcome(topic.id)
    if (outcome is None or topic.stage != Stage.IMPLEMENTING.value
            or not ratings_open(outcome)):
        raise Refused(_l("Ratings are open for %(n)d days once the implementation is "
                              "done.", n=RATING_DAYS))
    if not isinstance(stars, int) or not 1 <= stars <= 5:
        raise Refused(_l("Choose from 1 to 5 stars."), "stars")
    comment = (comment or "").strip()
    if len(comment) > TEXT_MAX:
        raise Refused(_l("At most %(n)d characters.", n=TEXT_MAX), "comment")
    now = utcnow()
    for attempt in range(2):
        rating = db.session.scalar(select(Rating).where(Rating.outcome_id == outcome.id,
                                                        Rating.user_id == actor.id))
        try:
            with db.session.begin_nested():
                if rating is None:
                    rating = Rating(outcome_id=outcome.id, user_id=actor.id, stars=stars,
                                    comment=comment, created_at=now, updated_at=now)
                    db.session.add(rating)
                else:
                    rating.stars, rating.comment, rating.updated_at = stars, comment, now
                db.session.flush()
            break
        except IntegrityError:  # a parallel first rating by the same resident: update it
            if attempt == 1:
                raise Refused(_l("Your rating could not be saved; please try again."))
    record("outcome.rate", rating, actor=actor, community_id=topic.community_id,
           details={"outcome_id": outcome.id, "topic_id": topic.id, "stars": stars})
    return rating


@dataclass
class RatingSummary:
    count: int = 0
    distribution: dict[int, int] = field(default_factory=lambda: {s: 0 for s in range(5, 0, -1)})
    average: Fraction | None = None

    @property
    def average_display(self) -> str:
        if self.average is None:
            return ""
        value = Decimal(self.average.numerator) / Decimal(self.average.denominator)
        return str(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def rating_summary(outcome_id: int) -> RatingSummary:
    return rating_summaries([outcome_id])[outcome_id]


def rating_summaries(outcome_ids: list[int]) -> dict[int, RatingSummary]:
    """The rating summary of each outcome, in one query."""
    counts: dict[int, Counter] = {i: Counter() for i in outcome_ids}
    for outcome_id, stars, n in db.session.execute(
            select(Rating.outcome_id, Rating.stars, func.count())
            .where(Rating.outcome_id.in_(outcome_ids))
            .group_by(Rating.outcome_id, Rating.stars)):
        counts[outcome_id][int(stars)] = int(n)
    return {i: summarise(c) for i, c in counts.items()}


def _ratings_with_mine(outcome_id: int, user) -> tuple[RatingSummary, Rating | None]:
    """The rating summary and ``user``'s own rating, in one query: the ratings counted by
    stars, and the user's own row when there is one (marked by its id). The own rating is
    returned as a detached copy, for reading."""
    mine_id = user.id if getattr(user, "is_authenticated", False) else -1
    nothing = null()
    counts = (select(Rating.stars, func.count().label("n"), nothing.label("id"),
                     nothing.label("comment"), nothing.label("created_at"),
                     nothing.label("updated_at"))
              .where(Rating.outcome_id == outcome_id).group_by(Rating.stars))
    own = select(Rating.stars, literal(0).label("n"), Rating.id, Rating.comment,
                 Rating.created_at, Rating.updated_at).where(
        Rating.outcome_id == outcome_id, Rating.user_id == mine_id)
    rows = db.session.execute(union_all(own, counts)).all()
    summary = summarise(Counter({int(r.stars): int(r.n) for r in rows if r.id is None}))
    mine = next((Rating(id=r.id, outcome_id=outcome_id, user_id=mine_id, stars=r.stars,
                        comment=r.comment, created_at=r.created_at, updated_at=r.updated_at)
                 for r in rows if r.id is not None), None)
    return summary, mine


def summarise(counts: Counter) -> RatingSummary:
    summary = RatingSummary()
    for stars, n in counts.items():
        summary.distribution[stars] = n
    summary.count = sum(counts.values())
    if summary.count:
        summary.average = Fraction(sum(s * n for s, n in counts.items()), summary.count)
    return summary


# --- the topic page's section ------------------------------------------------------------------

@dataclass
class Section:
    outcome: Outcome | None = None
    objections: list = field(default_factory=list)
    progress: list = field(default_factory=list)
    ratings: RatingSummary | None = None
    my_rating: Rating | None = None
    draft: Draft | None = None  # for the secretary's publish form
    may_manage: bool = False
    may_object: object = None  # None: allowed, else the refusal
    may_rate: object = None
    window_open: bool = False
    ratings_open: bool = False
    overdue: bool = False
    # The outcome's status and whether it is being implemented, as of now: a window that has
    # ended shows its effect at once, before the scheduled settling stores it.
    status: str = ""
    implementing: bool = False
    stage: str = ""  # the topic's stage as of now, by the same reckoning; "" before an outcome

    @property
    def percent(self) -> int:
        return self.progress[-1].percent if self.progress else 0


_EARLY = {Stage.DRAFT.value, Stage.PROPOSED.value, Stage.IN_REVIEW.value,
          Stage.COMMENTING.value, Stage.REJECTED.value, Stage.WITHDRAWN.value}


def _outcome_for_page(topic_id: int) -> Outcome | None:
    """The current outcome with its objections and progress, and their authors: one query."""
    return db.session.scalars(
        select(Outcome).where(Outcome.topic_id == topic_id)
        .options(joinedload(Outcome.objections).joinedload(Objection.author),
                 joinedload(Outcome.progress_updates).joinedload(ProgressUpdate.author))
        .order_by(Outcome.id.desc()).limit(1)).unique().first()


def _status_now(topic: Topic, outcome: Outcome) -> str:
    """The outcome's status as settling would leave it now (reads only)."""
    if (topic.stage == Stage.PUBLICISED.value and _is_due(topic, outcome)
            and not any(o.upheld for o in outcome.objections)):
        return OutcomeStatus.EFFECTIVE.value
    return outcome.status


def section(viewer, topic: Topic) -> Section:
    """Everything the topic page shows of the outcome, in a fixed number of queries. Writes
    nothing: an outcome whose window has ended is shown in effect before it is settled."""
    if topic.stage in _EARLY:
        return Section()
    s = Section(may_manage=check(viewer, "topic.manage", topic) is None)
    if topic.stage == Stage.VOTING.value:
        if s.may_manage and lifecycle.refusal(viewer, topic, "publish_outcome") is None:
            s.draft = draft_decision(topic)
        return s
    outcome = _outcome_for_page(topic.id)
    if outcome is None:
        return s
    s.outcome = outcome
    s.objections = list(outcome.objections)
    s.progress = list(outcome.progress_updates)
    s.status = _status_now(topic, outcome)
    s.implementing = outcome.act and s.status == OutcomeStatus.EFFECTIVE.value and (
        topic.stage == Stage.PUBLICISED.value
        or (topic.stage == Stage.IMPLEMENTING.value and not _is_due(topic, outcome)))
    s.stage = topic.stage
    if _is_due(topic, outcome):
        if topic.stage == Stage.IMPLEMENTING.value:
            s.stage = Stage.CLOSED.value  # the rating period of a done implementation is over
        elif s.status == OutcomeStatus.EFFECTIVE.value:
            s.stage = Stage.IMPLEMENTING.value if outcome.act else Stage.CLOSED.value
    s.window_open = window_open(outcome) and topic.stage == Stage.PUBLICISED.value
    s.overdue = is_overdue(outcome)
    if outcome.done_at is not None:
        s.ratings, s.my_rating = _ratings_with_mine(outcome.id, viewer)
        s.ratings_open = ratings_open(outcome) and topic.stage == Stage.IMPLEMENTING.value
    s.may_object = check(viewer, "outcome.object", topic)
    s.may_rate = check(viewer, "outcome.rate", topic)
    return s
