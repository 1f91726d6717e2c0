"""The topic lifecycle (议题流程) in one place: the stages, every allowed transition, who may make
it and what must be true first. Nothing changes a topic's stage except :func:`apply`.

::

    draft → proposed ─(co-sign threshold)→ in_review ─(accept)→ commenting → deliberating → voting
          → publicised → implementing → closed
    in_review ─(reject, public reason)→ rejected
    draft, proposed, in_review ─(proposer withdraws)→ withdrawn

Every transition is in :data:`LIFECYCLE`, including those whose guard lives in the halls, votes
or outcomes package (opening a vote is guarded by published minutes). :func:`apply` checks the transition, records the step in the topic's
timeline and in the audit log, and notifies the topic's followers, all in the caller's
transaction.
"""
from __future__ import annotations

import enum
import importlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from consult.audit.log import record
from consult.clock import utcnow
from consult.extensions import db
from consult.i18n import local_datetime
from consult.notifications import kinds
from consult.notifications.service import notify
from consult.permissions import check
from consult.topics import rules
from consult.topics.models import Follow, StageChange, Topic
from consult.refusals import Refused


class Stage(str, enum.Enum):
    DRAFT = "draft"  # 草稿
    PROPOSED = "proposed"  # 提议（征集附议）
    IN_REVIEW = "in_review"  # 审核中
    COMMENTING = "commenting"  # 公开征求意见
    DELIBERATING = "deliberating"  # 议事会议
    VOTING = "voting"  # 表决
    PUBLICISED = "publicised"  # 结果公示
    IMPLEMENTING = "implementing"  # 落实
    CLOSED = "closed"  # 办结
    REJECTED = "rejected"  # 未予受理
    WITHDRAWN = "withdrawn"  # 已撤回


STAGE_LABELS = {
    Stage.DRAFT: _l("Draft"),
    Stage.PROPOSED: _l("Gathering co-signatures"),
    Stage.IN_REVIEW: _l("In review"),
    Stage.COMMENTING: _l("Open for comment"),
    Stage.DELIBERATING: _l("In deliberation"),
    Stage.VOTING: _l("Voting"),
    Stage.PUBLICISED: _l("Outcome publicised"),
    Stage.IMPLEMENTING: _l("Being implemented"),
    Stage.CLOSED: _l("Closed"),
    Stage.REJECTED: _l("Not accepted"),
    Stage.WITHDRAWN: _l("Withdrawn"),
}
# The main road, in order, for the timeline; rejected and withdrawn leave it.
MAIN_ROAD = [Stage.PROPOSED, Stage.IN_REVIEW, Stage.COMMENTING, Stage.DELIBERATING,
             Stage.VOTING, Stage.PUBLICISED, Stage.IMPLEMENTING, Stage.CLOSED]
PUBLIC_STAGES = frozenset(Stage) - {Stage.DRAFT}
PUBLIC_STAGES_ORDERED = [*MAIN_ROAD, Stage.REJECTED, Stage.WITHDRAWN]
FINISHED_STAGES = frozenset({Stage.CLOSED, Stage.REJECTED, Stage.WITHDRAWN})

COMMENT_DAYS_MIN, COMMENT_DAYS_MAX, COMMENT_DAYS_DEFAULT = 3, 30, 7
REASON_MAX = 1000


def stage_label(stage) -> str:
    return str(STAGE_LABELS[Stage(stage)])


Guard = Callable[[Topic, dict], "str | None"]
Effect = Callable[[Topic, dict], None]


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[Stage]
    target: Stage
    verb: object  # what the button says / the timeline shows ("accept", ...)
    notice: object  # the followers' notification, with %(title)s, %(note)s, %(until)s
    permission: str | None = None  # a RULES action; None: made by the system, not a person
    guard: Guard | str | None = None  # a function, or "module:function" in another package
    effect: Effect | str | None = None  # changes that go with the step (the comment period...)
    needs_reason: bool = False  # a public reason is required

    @property
    def kind(self) -> str:
        return f"topic.{self.name}"


def _resolved(ref):
    """A guard or effect: the function itself, or its "module:function" name looked up."""
    if ref is None or callable(ref):
        return ref
    found = _FOUND.get(ref)
    if found is None:
        module, _sep, name = ref.partition(":")
        found = _FOUND[ref] = getattr(importlib.import_module(module), name)
    return found


_FOUND: dict[str, Callable] = {}


def refusal(actor, topic: Topic, name: str, context: dict | None = None) -> str | None:
    """Why ``actor`` may not make transition ``name`` on ``topic`` now, or ``None``."""
    t = TRANSITIONS[name]
    context = context or {}
    if Stage(topic.stage) not in t.sources:
        return _l("This cannot be done now: the topic is at the stage “%(stage)s”.",
                  stage=stage_label(topic.stage))
    if t.permission is not None:
        if (r := check(actor, t.permission, topic)) is not None:
            return r.message
    if t.needs_reason:
        reason = (context.get("reason") or "").strip()
        if not reason:
            return _l("Give a reason. It will be shown on the topic page.")
        if len(reason) > REASON_MAX:
            return _l("The reason can be at most %(n)d characters.", n=REASON_MAX)
    if t.guard is not None:
        return _resolved(t.guard)(topic, context)
    return None


def _refused(actor, topic: Topic, t: Transition, why, field: str | None) -> Refused:
    """The refusal of ``why`` with its kind: a stage the transition does not start from is a
    conflict (409 in the API), the permission table's refusal is forbidden (403) and comes
    first; the rest (a
    missing reason, a guard) concerns ``field``. The web shows each where it showed it before:
    the stage's next to the field, the permission table's at the top."""
    if t.permission is not None and (r := check(actor, t.permission, topic)) is not None:
        return Refused.forbidden(r.message, r.code)  # not this person, whatever the stage
    if Stage(topic.stage) not in t.sources:
        return Refused(why, field, conflict=True)
    return Refused(why, field)


def reason_or(reason: str | None, field: str) -> str:
    """The form field a refusal concerns: the reason while it is missing or too long, else
    ``field`` (e.g. the new end of a period)."""
    reason = (reason or "").strip()
    return "reason" if not reason or len(reason) > REASON_MAX else field


def available(actor, topic: Topic, names: list[str]) -> list[Transition]:
    """Of ``names``, the transitions ``actor`` could make now (ignoring a missing reason)."""
    return [TRANSITIONS[n] for n in names
            if refusal(actor, topic, n, {"reason": "-", **_defaults(n)}) is None]


def _defaults(name: str) -> dict:
    return {"days": COMMENT_DAYS_DEFAULT} if name == "accept" else {}


def lock(topic: Topic) -> Topic:
    """Re-read the topic under a row lock (PostgreSQL) so two requests cannot both move it.
    On SQLite the request's BEGIN IMMEDIATE already serialises writers."""
    db.session.flush()
    if db.session.get_bind().dialect.name == "sqlite":
        return topic  # one writer at a time already: nothing can have moved it
    # Lock with a bare SELECT: the topic may have been loaded with outer joins (its page), and
    # PostgreSQL refuses FOR UPDATE on the nullable side of an outer join.
    db.session.execute(select(Topic.id).where(Topic.id == topic.id).with_for_update())
    db.session.refresh(topic, attribute_names=_MUTABLE_COLUMNS)
    return topic


# What other requests may have changed while we waited for the lock.
_MUTABLE_COLUMNS = ["stage", "stage_changed_at", "comment_until", "closing_reason",
                    "cosign_count", "comment_count", "updated_at"]


def apply(actor, topic: Topic, name: str, **context) -> StageChange:
    """Make transition ``name`` or raise :class:`Refused`. The caller commits."""
    t = TRANSITIONS[name]
    if topic.id is not None:
        lock(topic)
    if (why := refusal(actor, topic, name, context)) is not None:
        raise _refused(actor, topic, t, why, context.get("field"))
    note = (context.get("reason") or "").strip()
    before = topic.stage
    if t.effect is not None:
        _resolved(t.effect)(topic, context)
    now = utcnow()
    topic.stage = t.target.value
    topic.stage_changed_at = now
    topic.updated_at = now
    step = StageChange(topic_id=topic.id, transition=name, from_stage=before,
                       to_stage=t.target.value, at=now,
                       actor_id=actor.id if actor is not None else None, note=note)
    db.session.add(step)
    details = {"from": before, "to": t.target.value}
    if note:
        details["reason"] = note
    if topic.comment_until is not None and t.target is Stage.COMMENTING:
        details["comment_until"] = topic.comment_until.isoformat()
    params = notice_params(topic, note)
    if isinstance(until := context.get("until"), datetime):  # a new end (an extension)
        details["until"] = until.isoformat()
        params["until"] = local_datetime(until, "short")
    record(f"topic.{name}", topic, actor=actor, community_id=topic.community_id,
           details=details)
    # Nobody is told twice: the actor knows, and ``told`` (e.g. a vote's electors) had a
    # notice of their own about this step.
    skip = {actor.id} if actor is not None else set()
    notify(follower_ids(topic.id), t.kind, params, topic_url(topic),
           skip=skip | set(context.get("told", ())))
    return step


def notice_params(topic: Topic, note: str = "") -> dict:
    until = local_datetime(topic.comment_until, "short") if topic.comment_until else ""
    return {"title": topic.title, "note": note, "until": until, "topic_id": topic.id}


def topic_url(topic: Topic) -> str:
    return f"/topics/{topic.id}"


def follower_ids(topic_id: int) -> list[int]:
    return list(db.session.scalars(select(Follow.user_id).where(Follow.topic_id == topic_id)))


# --- guards and effects ------------------------------------------------------------------

def _threshold_reached(topic: Topic, context: dict) -> str | None:
    threshold = topic.community.cosign_threshold
    if topic.cosign_count < threshold:
        return _l("The proposal has %(have)d of the %(need)d co-signatures it needs.",
                  have=topic.cosign_count, need=threshold)
    return None


def _valid_comment_days(topic: Topic, context: dict) -> str | None:
    days = context.get("days")
    if not isinstance(days, int) or not COMMENT_DAYS_MIN <= days <= COMMENT_DAYS_MAX:
        return _l("The comment period is from %(min)d to %(max)d days.",
                  min=COMMENT_DAYS_MIN, max=COMMENT_DAYS_MAX)
    return None


def _open_comment_period(topic: Topic, context: dict) -> None:
    topic.comment_until = utcnow() + timedelta(days=context["days"])


def _keep_reason(topic: Topic, context: dict) -> None:
    topic.closing_reason = (context.get("reason") or "").strip()


def comment_period_over(topic: Topic) -> bool:
    return topic.comment_until is not None and utcnow() >= topic.comment_until


def _comment_period_ended(topic: Topic, context: dict) -> str | None:
    if not comment_period_over(topic):
        return _l("The comment period runs until %(until)s; residents may still comment.",
                  until=local_datetime(topic.comment_until, "short"))
    return None


def comment_opened_at(topic: Topic) -> datetime | None:
    """When the topic's current comment period opened: its last step into commenting from
    another stage (accepted, or sent back by a meeting). One query."""
    return db.session.scalar(
        select(StageChange.at).where(StageChange.topic_id == topic.id,
                                     StageChange.to_stage == Stage.COMMENTING.value,
                                     StageChange.from_stage != Stage.COMMENTING.value)
        .order_by(StageChange.at.desc(), StageChange.id.desc()).limit(1))


def _may_close_early(topic: Topic, context: dict) -> str | None:
    opened = comment_opened_at(topic) or topic.stage_changed_at  # a topic made without steps
    return rules.early_close_refusal(opened, topic.comment_until, utcnow())


def _close_comments_now(topic: Topic, context: dict) -> None:
    topic.comment_until = utcnow()


def _may_extend_comments(topic: Topic, context: dict) -> str | None:
    until = context.get("until")
    if (why := rules.extension_refusal(topic.comment_until, until, utcnow())) is not None:
        return why
    # A topic already on a meeting's agenda must have its comments closed when it starts.
    return _resolved("consult.halls.service:agenda_end_refusal")(topic, until)


def _extend_comments(topic: Topic, context: dict) -> None:
    topic.comment_until = context["until"]


# --- the lifecycle, every transition in one list -----------------------------------------------
# Read it as: name, from which stages, to which stage, what the button and the timeline say,
# the followers' notice, who may (a RULES action; None: the system), what must be true first
# (guard), and what changes with the step (effect). A guard or effect that lives in another
# package is named "module:function" and looked up on first use, so this list imports nothing
# above the topics package and no module registers anything when imported.

LIFECYCLE: tuple[Transition, ...] = (
    Transition(
        "submit", frozenset({Stage.DRAFT}), Stage.PROPOSED, _l("Submit the proposal"),
        _l("“%(title)s” is now public and gathering co-signatures."),
        permission="topic.edit_draft"),
    Transition(
        "submit_from_reception", frozenset({Stage.DRAFT}), Stage.PROPOSED,
        _l("Proposed from a studio reception"),
        _l("“%(title)s” is now public and gathering co-signatures."),
        permission=None),
    Transition(
        "reach_threshold", frozenset({Stage.PROPOSED}), Stage.IN_REVIEW,
        _l("Enough co-signatures: sent to review"),
        _l("“%(title)s” has enough co-signatures and goes to the community office for review."),
        guard=_threshold_reached),
    Transition(
        "accept", frozenset({Stage.IN_REVIEW}), Stage.COMMENTING, _l("Accept"),
        _l("“%(title)s” was accepted. Comments are open until %(until)s."),
        permission="topic.manage", guard=_valid_comment_days, effect=_open_comment_period),
    Transition(
        "reject", frozenset({Stage.IN_REVIEW}), Stage.REJECTED, _l("Reject"),
        _l("“%(title)s” was not accepted: %(note)s"),
        permission="topic.manage", needs_reason=True, effect=_keep_reason),
    Transition(
        "withdraw", frozenset({Stage.DRAFT, Stage.PROPOSED, Stage.IN_REVIEW}), Stage.WITHDRAWN,
        _l("Withdraw"), _l("“%(title)s” was withdrawn by its proposer."),
        permission="topic.withdraw", effect=_keep_reason),
    Transition(
        "deliberate", frozenset({Stage.COMMENTING}), Stage.DELIBERATING,
        _l("Put on a meeting agenda"),
        _l("“%(title)s” is on the agenda of a deliberation meeting."),
        permission="topic.manage", guard=_comment_period_ended),
    # The office moves the end of the comment period, with a public reason (the topic stays
    # open for comment; closed early, it waits for a meeting's agenda).
    Transition(
        "close_comments", frozenset({Stage.COMMENTING}), Stage.COMMENTING,
        _l("Comment period closed early"),
        _l("Comments on “%(title)s” were closed early: %(note)s"),
        permission="topic.manage", needs_reason=True, guard=_may_close_early,
        effect=_close_comments_now),
    Transition(
        "extend_comments", frozenset({Stage.COMMENTING}), Stage.COMMENTING,
        _l("Comment period extended"),
        _l("Comments on “%(title)s” stay open longer, until %(until)s: %(note)s"),
        permission="topic.manage", needs_reason=True, guard=_may_extend_comments,
        effect=_extend_comments),
    # A topic put on a meeting's agenda before its comment period ended moves on when it ends
    # (consult/halls: the scheduled ``topics settle`` and the meeting's minutes).
    Transition(
        "agenda_deliberate", frozenset({Stage.COMMENTING}), Stage.DELIBERATING,
        _l("Comment period over: on a meeting agenda"),
        _l("Comments on “%(title)s” have closed; it is on the agenda of a deliberation "
           "meeting."),
        guard="consult.halls.service:on_agenda_and_period_over"),
    # The meeting's published minutes decide what follows deliberation (consult/halls).
    Transition(
        "send_back", frozenset({Stage.DELIBERATING}), Stage.COMMENTING,
        _l("Send back for more comment"),
        _l("The meeting sent “%(title)s” back for more comment. Comments are open until "
           "%(until)s."),
        permission="topic.manage", guard="consult.halls.minutes:minutes_send_back",
        effect="consult.halls.minutes:reopen_comments"),
    Transition(
        "close_no_action", frozenset({Stage.DELIBERATING}), Stage.CLOSED,
        _l("Close without further action"),
        _l("The meeting decided no further action on “%(title)s”: %(note)s"),
        permission="topic.manage", needs_reason=True,
        guard="consult.halls.minutes:minutes_no_action", effect=_keep_reason),
    Transition(
        "open_vote", frozenset({Stage.DELIBERATING}), Stage.VOTING, _l("Open a vote"),
        _l("A vote on “%(title)s” is announced: its page says when voting opens and closes."),
        permission="topic.manage", guard="consult.votes.service:minutes_resolved_a_vote"),
    Transition(
        "cancel_vote", frozenset({Stage.VOTING}), Stage.VOTING, _l("Cancel the vote"),
        _l("The vote on “%(title)s” was cancelled: %(note)s"),
        permission="topic.manage", needs_reason=True,
        guard="consult.votes.service:vote_may_be_cancelled"),
    # The outcome of the vote (consult/outcomes).
    Transition(
        "publish_outcome", frozenset({Stage.VOTING}), Stage.PUBLICISED,
        _l("Publish the outcome"),
        _l("The outcome of “%(title)s” is publicised; residents may lodge objections during "
           "the publicity window."),
        permission="topic.manage", guard="consult.outcomes.service:vote_closed_and_valid"),
    Transition(
        "uphold_objection", frozenset({Stage.PUBLICISED}), Stage.DELIBERATING,
        _l("Uphold an objection"),
        _l("An objection to the outcome of “%(title)s” was upheld; it goes back to "
           "deliberation: %(note)s"),
        permission="topic.manage", needs_reason=True,
        guard="consult.outcomes.service:may_uphold", effect="consult.outcomes.service:send_back"),
    Transition(
        "extend_publicity", frozenset({Stage.PUBLICISED}), Stage.PUBLICISED,
        _l("Publicity window extended"),
        _l("The publicity window of the outcome of “%(title)s” is extended until %(until)s: "
           "%(note)s"),
        permission="topic.manage", needs_reason=True,
        guard="consult.outcomes.service:may_extend_window",
        effect="consult.outcomes.service:extend_window"),
    Transition(
        "outcome_effective", frozenset({Stage.PUBLICISED}), Stage.IMPLEMENTING,
        _l("The outcome takes effect"),
        _l("The outcome of “%(title)s” is in effect and is being implemented."),
        guard="consult.outcomes.service:window_ended_to_act",
        effect="consult.outcomes.service:make_effective"),
    Transition(
        "outcome_no_action", frozenset({Stage.PUBLICISED}), Stage.CLOSED,
        _l("The outcome takes effect: nothing to do"),
        _l("The outcome of “%(title)s” is in effect; nothing is to be done and the topic is "
           "closed."),
        guard="consult.outcomes.service:window_ended_no_action",
        effect="consult.outcomes.service:make_effective"),
    Transition(
        "implementation_done", frozenset({Stage.IMPLEMENTING}), Stage.IMPLEMENTING,
        _l("Implementation done"),
        _l("The implementation of “%(title)s” is done. Please rate it."),
        permission="topic.manage", guard="consult.outcomes.service:not_done",
        effect="consult.outcomes.service:mark_implementation_done"),
    Transition(
        "close", frozenset({Stage.IMPLEMENTING}), Stage.CLOSED, _l("Close"),
        _l("“%(title)s” is closed."), guard="consult.outcomes.service:rating_period_over",
        effect="consult.outcomes.service:keep_decision"),
)

TRANSITIONS: dict[str, Transition] = {t.name: t for t in LIFECYCLE}
for _t in LIFECYCLE:  # each step's notice to the topic's followers
    kinds.register(_t.kind, _t.notice)
