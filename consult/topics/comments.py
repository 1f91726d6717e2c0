"""Open comment (公开征求意见): the rules for comments, replies, reactions, reports and moderation,
and :func:`thread`, everything the topic page shows of them.

Each rule checks permission, stage and input first and raises :class:`Refused` (a message a
resident understands, and the form field it concerns) before changing anything; the
request's unit of work commits or rolls back (:mod:`consult.unit_of_work`). Refusals by the
permission table raise :class:`Refused` (a ``Refused`` the views answer with 403).

Choices made here:

* **Replies** are one level deep: a reply to a reply is attached to the top-level comment.
* **Editing** is for the author, within :data:`EDIT_WINDOW` of posting and while comments are
  open; an edited comment says so.
* **Withdrawing** blanks the text and keeps the row, so replies keep their place and the page
  says "comment withdrawn". Authors may withdraw at any time.
* **Reactions** (agree / disagree / pass) are open while comments are, to residents in scope,
  on comments that are neither withdrawn nor hidden, and not on one's own comment. Reacting
  with the value one already gave *keeps* it (a double click changes nothing);
  ``react(..., "none")`` takes the reaction back. The counters on :class:`Comment` change in
  SQL (``n = n + 1``) in the same transaction as the reaction row, which is locked first, so
  they stay exact under concurrent requests.
* **Reports**: once per person and comment, with a reason; a moderator hides the comment with a
  public reason, or dismisses the reports. Hiding, restoring and dismissing resolve the open
  reports.
* **Rate limit**: at most :data:`RATE_LIMITS` comments per person, counted in the database.
* ``Topic.comment_count`` counts the comments and replies that are not withdrawn.
* **Officials** (secretaries, representatives, administrators of the topic's community) comment
  and reply while comments are open without a residency; their comments carry their role
  (``Comment.author_role``, kept as it was when they posted). They do not mark comments
  (agreement is the residents'), nor report them (they moderate).
* **Official answers** (官方回复): an official's comment (an answer to the topic) or reply (an
  answer to that comment) flagged ``official``. The thread pins them at its top; the topic
  keeps ``answered_at`` (the first one still shown) and a timeline step; the answered
  comment's author and the topic's followers are told.

Every change writes the audit log on the *topic* (so the topic's public log shows it) with the
comment's id in the details.
"""
from __future__ import annotations

import enum
import functools
import math
import sys
import threading
import time
from array import array
from bisect import bisect_left
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Integer, bindparam, event, func, inspect, literal, null, or_, select, tuple_, union_all,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from consult.accounts.models import User
from consult.audit.log import record
from consult.clock import utcnow
from consult.database import insert_on_conflict
from consult.extensions import db
from consult.jobs import enqueue, job
from consult.notifications import kinds
from consult.notifications.service import notify
from consult.accounts.models import Role
from consult.permissions import check, membership, speaking_role
from consult import written
from consult.topics import consensus, lifecycle
from consult.topics.lifecycle import Stage
from consult.topics.models import (
    Comment, CommentReport, Reaction, ReactionValue, StageChange, StoredRanking, Topic,
)
from consult.topics.service import follow
from consult.refusals import Refused

BODY_MAX = 2000
REASON_MAX = 500
EDIT_WINDOW = timedelta(minutes=15)
# (window, most comments allowed in it), per person, across all topics.
RATE_LIMITS = ((timedelta(minutes=1), 5), (timedelta(hours=1), 30))
SORTS = ("newest", "oldest", "consensus")
DEFAULT_SORT = "newest"
# Top-level comments per page, each with all its replies: a long thread stays readable on a
# phone and its page light; "Show more comments" brings the next ones.
THREADS_PER_PAGE = 30
REACTION_VALUES = tuple(v.value for v in ReactionValue)
CLEAR = "none"  # react(..., CLEAR) takes one's reaction back

# For the topic's public audit log (merge into consult.topics.queries.AUDIT_LABELS).
AUDIT_LABELS = {
    "topic.comment": _l("commented"),
    "topic.comment_reply": _l("replied to a comment"),
    "topic.comment_edit": _l("edited a comment"),
    "topic.comment_withdraw": _l("withdrew a comment"),
    "topic.comment_report": _l("reported a comment to the moderators"),
    "topic.comment_hide": _l("hid a comment"),
    "topic.comment_restore": _l("restored a hidden comment"),
    "topic.comment_dismiss": _l("dismissed the reports on a comment"),
    "topic.official_answer": _l("posted an official answer"),
}

# The badge next to an official's name in the thread.
ROLE_BADGES = {
    Role.SECRETARY.value: _l("Community secretary"),
    Role.REPRESENTATIVE.value: _l("People's representative"),
    Role.ADMIN.value: _l("Community administrator"),
}
# The timeline step an official answer leaves (StageChange.transition, stage unchanged).
OFFICIAL_ANSWER = "official_answer"
TIMELINE_LABELS = {OFFICIAL_ANSWER: _l("Official answer")}
NOTE_MAX = 120  # characters of the answer quoted in the timeline

kinds.register("topic.reply", _l("%(name)s replied to your comment on “%(title)s”."))
kinds.register("topic.official_answer", _l(
    "%(name)s (%(role)s) posted an official answer on “%(title)s”."))
kinds.register("topic.comment_hidden", _l(
    "Your comment on “%(title)s” was hidden by the moderator: %(note)s"))


# --- reading the rules ---------------------------------------------------------------------

class Closed(str, enum.Enum):
    NOT_YET = "not_yet"  # the topic has not reached open comment
    ENDED = "ended"  # the period is over, or the topic moved on
    NEVER = "never"  # rejected, withdrawn, draft


def closed_reason(topic: Topic) -> tuple[Closed, object] | None:
    """Why comments on ``topic`` are closed now, or ``None`` while they are open."""
    stage = Stage(topic.stage)
    if stage is Stage.COMMENTING:
        if lifecycle.comment_period_over(topic):
            return Closed.ENDED, _l("The comment period has ended and comments are closed.")
        return None
    if stage in (Stage.PROPOSED, Stage.IN_REVIEW):
        return Closed.NOT_YET, _l("Comments open when the community office accepts the topic.")
    if stage in (Stage.DRAFT, Stage.REJECTED, Stage.WITHDRAWN):
        return Closed.NEVER, _l("This topic is not open for comment.")
    return Closed.ENDED, _l("The comment period has ended and comments are closed.")


def comment_refusal(actor, topic: Topic, *,
                    residents_only: bool = False) -> tuple[str, object] | None:
    """Why ``actor`` may not comment on ``topic`` now, as ``(code, message)``; ``None`` when
    they may: a resident in scope, or an official of the community (unless
    ``residents_only``: marking comments). Codes: ``not_yet``, ``ended``, ``never``,
    ``login_required``, ``not_verified``, ``forbidden`` (outside the topic's scope)."""
    if (closed := closed_reason(topic)) is not None:
        return closed[0].value, closed[1]
    if (r := check(actor, "topic.participate", topic)) is not None:
        if not residents_only and check(actor, "topic.speak", topic) is None:
            return None
        return r.code, r.message
    return None


def may_answer(actor, topic: Topic) -> bool:
    """May ``actor`` post an official answer on ``topic`` (no query beyond their roles)?"""
    return check(actor, "topic.speak", topic) is None


def role_badge(role: str | None):
    return ROLE_BADGES.get(role) if role else None


def _require_open(topic: Topic, user, *, residents_only: bool = False) -> None:
    if (why := comment_refusal(user, topic, residents_only=residents_only)) is not None:
        code, message = why
        if code in (c.value for c in Closed):
            raise Refused(message)
        raise Refused.forbidden(message, code)


def _require_moderator(topic: Topic, user) -> None:
    if (r := check(user, "topic.moderate", topic)) is not None:
        raise Refused.forbidden(r.message, r.code)


def can_edit(actor, comment: Comment, now: datetime | None = None) -> bool:
    """Without queries: the author, within the edit window, comment still showing."""
    return (actor is not None and getattr(actor, "is_authenticated", False)
            and comment.author_id == actor.id and comment.withdrawn_at is None
            and comment.hidden_at is None
            and (now or utcnow()) < comment.created_at + EDIT_WINDOW)


def _clean_body(body: str | None) -> str:
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise Refused(_l("Write your comment first: the text is empty."), "body")
    if len(body) > BODY_MAX:
        raise Refused(_l("A comment can be at most %(n)d characters; yours has %(have)d.",
                            n=BODY_MAX, have=len(body)), "body")
    return body


def _clean_reason(reason: str | None, missing) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise Refused(missing, "reason")
    if len(reason) > REASON_MAX:
        raise Refused(_l("The reason can be at most %(n)d characters.", n=REASON_MAX),
                         "reason")
    return reason


def _lock_user(user) -> None:
    """Serialise one person's posts on PostgreSQL so the rate limit counts exactly (SQLite:
    the request's BEGIN IMMEDIATE already does)."""
    if db.session.get_bind().dialect.name == "sqlite":
        return
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update())


def _check_rate(user) -> None:
    if not current_app.config.get("COMMENT_FLOOD_CHECK", True):  # off for the page benchmark
        return
    now = utcnow()
    (short, short_max), (long, long_max) = RATE_LIMITS
    recent, total = db.session.execute(
        select(func.count().filter(Comment.created_at > now - short), func.count())
        .where(Comment.author_id == user.id, Comment.created_at > now - long)).one()
    if recent >= short_max:
        raise Refused(_l(
            "You are posting very quickly: at most %(n)d comments a minute. Please wait a "
            "minute and post again; your text is kept below.", n=short_max), "body")
    if total >= long_max:
        raise Refused(_l(
            "You have posted %(n)d comments in the last hour, the most allowed. Please wait "
            "a while and post again; your text is kept below.", n=long_max), "body")


def _audit(action: str, topic: Topic, actor, comment: Comment, **details) -> None:
    record(action, topic, actor=actor, community_id=topic.community_id,
           details={"comment_id": comment.id, **details})


def comment_url(comment: Comment) -> str:
    return f"/topics/{comment.topic_id}#comment-{comment.id}"


def _require_author(comment: Comment, user, message) -> None:
    if comment.author_id == getattr(user, "id", None):
        return
    if not getattr(user, "is_authenticated", False):
        raise Refused.forbidden(_l("Please log in first."), "login_required")
    raise Refused.forbidden(message)


# --- writing --------------------------------------------------------------------------------

def _lock_topic(topic: Topic) -> None:
    """Lock the topic's row (PostgreSQL) so a comment and a change of stage do not cross, and
    read its stage again. A plain SELECT: ``FOR UPDATE`` may not reach the outer joins a page
    loaded the topic with. (SQLite: the request's BEGIN IMMEDIATE serialises writers.)"""
    db.session.flush()
    if db.session.get_bind().dialect.name == "sqlite":
        return
    # Lock and re-read in one statement; the fresh values replace the loaded ones.
    row = db.session.execute(
        select(Topic.stage, Topic.comment_until, Topic.comment_count)
        .where(Topic.id == topic.id).with_for_update()).one()
    for name, value in row._mapping.items():
        set_committed_value(topic, name, value)


def post(actor, topic: Topic, body: str, parent_id: int | None = None, *,
         on_behalf_of=None, official: bool = False) -> Comment:
    """Comment on ``topic``, or reply to one of its comments (``parent_id``).

    ``official``: an official of the topic's community posts the official answer to the topic
    (or, replying, to that comment); anyone else is refused (403).

    ``on_behalf_of``: a grid worker (``actor``) posts for that resident, who is the author;
    the comment is marked ``assisted_by`` the worker. Only consult.grids.service.comment_for
    passes it, having checked the resident's consent; here the resident must be one who may
    comment, and the actor a grid worker of the community."""
    _lock_topic(topic)
    if official and (on_behalf_of is not None or not may_answer(actor, topic)):
        raise Refused.forbidden(_l(
            "Only a secretary, representative or administrator of this community can post "
            "an official answer."))
    if on_behalf_of is not None:
        if not membership(actor).works_in(topic.community_id):
            raise Refused.forbidden(_l("Only a grid worker may comment for a resident."))
        actor, worker = on_behalf_of, actor
    else:
        worker = None
    _require_open(topic, actor)
    body = _clean_body(body)
    parent = None
    if parent_id is not None:
        parent = db.session.get(Comment, parent_id)
        if parent is None or parent.topic_id != topic.id:
            raise Refused(_l("The comment you are replying to is not on this topic."), "body")
        if parent.withdrawn_at is not None or parent.hidden_at is not None:
            raise Refused(_l("The comment you are replying to is no longer shown; "
                                "post a comment of your own instead."), "body")
        if parent.parent_id is not None:  # one level: a reply to a reply joins the thread
            parent = db.session.get(Comment, parent.parent_id)
    _lock_user(actor)
    _check_rate(actor)
    role = speaking_role(membership(actor), topic.community_id)
    comment = Comment(topic_id=topic.id, author_id=actor.id, body=body,
                      parent_id=parent.id if parent else None, created_at=utcnow(),
                      assisted_by_id=worker.id if worker is not None else None,
                      official=official, author_role=role)
    db.session.add(comment)
    db.session.flush()
    _bump_comment_count(topic, +1)
    _audit("topic.comment_reply" if parent else "topic.comment", topic, worker or actor,
           comment, **({"parent_id": parent.id} if parent else {}),
           **({"on_behalf_of": actor.id} if worker is not None else {}),
           **({"official": True} if official else {}))
    follow(actor, topic)
    if official:
        _answered(actor, topic, comment, parent)
    elif parent is not None:
        notify([parent.author_id], "topic.reply",
               {"title": topic.title, "name": actor.name, "topic_id": topic.id},
               comment_url(comment), skip=[actor.id])
    return comment


def _answered(actor, topic: Topic, comment: Comment, parent: Comment | None) -> None:
    """An official answer was posted: the topic is answered, the timeline says so, the
    answered comment's author and the followers are told (the actor follows already)."""
    if topic.answered_at is None:
        topic.answered_at = comment.created_at
    note = comment.body if len(comment.body) <= NOTE_MAX else comment.body[:NOTE_MAX] + "…"
    db.session.add(StageChange(topic_id=topic.id, transition=OFFICIAL_ANSWER,
                               from_stage=topic.stage, to_stage=topic.stage,
                               at=comment.created_at, actor_id=actor.id, note=note))
    _audit("topic.official_answer", topic, actor, comment)
    told = set(lifecycle.follower_ids(topic.id))
    if parent is not None:
        told.add(parent.author_id)
    notify(told, "topic.official_answer",
           {"title": topic.title, "name": actor.name, "role": str(role_badge(
               comment.author_role) or ""), "topic_id": topic.id},
           comment_url(comment), skip=[actor.id])


def _recount_answered(topic: Topic) -> None:
    """After an official answer is withdrawn, hidden or shown again: ``answered_at`` is the
    first official answer still shown, or empty."""
    db.session.flush()
    topic.answered_at = db.session.scalar(
        select(func.min(Comment.created_at)).where(
            Comment.topic_id == topic.id, Comment.official.is_(True),
            Comment.withdrawn_at.is_(None), Comment.hidden_at.is_(None)))


def _bump_comment_count(topic: Topic, delta: int) -> None:
    db.session.execute(update(Topic).where(Topic.id == topic.id)
                       .values(comment_count=Topic.comment_count + delta)
                       .execution_options(synchronize_session=False))
    db.session.expire(topic, ["comment_count"])


def _topic_of(comment: Comment) -> Topic:
    return db.session.get(Topic, comment.topic_id)


def edit_refusal(actor, comment: Comment) -> Refused | None:
    """Why ``actor`` may not edit ``comment`` now (the error :func:`edit` would raise), or
    ``None``."""
    try:
        _require_author(comment, actor, _l("Only the author of a comment can edit it."))
        if comment.withdrawn_at is not None:
            raise Refused(_l("This comment was withdrawn and cannot be edited."))
        if comment.hidden_at is not None:
            raise Refused(_l("This comment was hidden by the moderator and cannot be "
                                "edited."))
        _require_open(_topic_of(comment), actor)
        if utcnow() >= comment.created_at + EDIT_WINDOW:
            raise Refused(_l(
                "A comment can be edited for %(n)d minutes after posting; that time has "
                "passed. You can withdraw it and post a new one.",
                n=int(EDIT_WINDOW.total_seconds() // 60)), "body")
    except Refused as error:
        return error
    return None


def edit(actor, comment: Comment, body: str) -> None:
    """The author corrects their comment within :data:`EDIT_WINDOW` of posting."""
    if (error := edit_refusal(actor, comment)) is not None:
        raise error
    topic = _topic_of(comment)
    body = _clean_body(body)
    if body == comment.body:
        return
    comment.body = body
    comment.edited_at = utcnow()
    _audit("topic.comment_edit", topic, actor, comment)


def withdraw(actor, comment: Comment) -> None:
    """The author takes their comment back: the text is removed, "comment withdrawn" stays."""
    _require_author(comment, actor, _l("Only the author of a comment can withdraw it."))
    if comment.withdrawn_at is not None:
        raise Refused(_l("This comment is already withdrawn."))
    topic = _topic_of(comment)
    comment.body = ""
    comment.withdrawn_at = utcnow()
    _bump_comment_count(topic, -1)
    _resolve_reports(comment)  # nothing is left to moderate
    _audit("topic.comment_withdraw", topic, actor, comment)
    if comment.official:
        _recount_answered(topic)


_COUNTER = {ReactionValue.AGREE.value: "agree_count",
            ReactionValue.DISAGREE.value: "disagree_count",
            ReactionValue.PASS.value: "pass_count"}


def react(actor, comment: Comment, value: str) -> str | None:
    """Set the user's reaction to ``value`` (agree / disagree / pass), or take it back with
    :data:`CLEAR`. Giving the value one already gave keeps it. Returns the reaction now."""
    if value not in (*REACTION_VALUES, CLEAR):
        raise Refused(_l("Choose agree, disagree or pass."), "value")
    topic = _topic_of(comment)
    _require_open(topic, actor, residents_only=True)
    if comment.withdrawn_at is not None:
        raise Refused(_l("This comment was withdrawn; it can no longer be marked."))
    if comment.hidden_at is not None:
        raise Refused(_l("This comment is hidden by the moderator; it can no longer be "
                            "marked."))
    if comment.author_id == actor.id:
        raise Refused(_l("This is your own comment; agreement comes from other residents."))
    for _attempt in range(2):
        existing = db.session.scalar(
            select(Reaction).where(Reaction.comment_id == comment.id,
                                   Reaction.user_id == actor.id).with_for_update())
        before = existing.value if existing is not None else None
        if before == value or (before is None and value == CLEAR):
            return before
        changes: dict[str, int] = {}
        if existing is None:
            try:
                with db.session.begin_nested():
                    db.session.add(Reaction(comment_id=comment.id, topic_id=comment.topic_id,
                                            user_id=actor.id, value=value, at=utcnow()))
            except IntegrityError:
                continue  # the same person in a parallel request: read theirs and go on
            changes[_COUNTER[value]] = +1
        elif value == CLEAR:
            db.session.delete(existing)
            changes[_COUNTER[before]] = -1
        else:
            existing.value = value
            existing.at = utcnow()
            changes[_COUNTER[before]] = -1
            changes[_COUNTER[value]] = +1
        db.session.execute(
            update(Comment).where(Comment.id == comment.id)
            .values({getattr(Comment, name): getattr(Comment, name) + delta
                     for name, delta in changes.items()})
            .execution_options(synchronize_session=False))
        db.session.flush()
        db.session.expire(comment, list(_COUNTER.values()))
        return None if value == CLEAR else value
    raise Refused(_l("Your reaction could not be saved. Please try again."))


def report(actor, comment: Comment, reason: str) -> CommentReport:
    """Tell the moderators that a comment breaks the rules, once per person."""
    topic = _topic_of(comment)
    if (r := check(actor, "topic.participate", topic)) is not None:
        raise Refused.forbidden(r.message, r.code)
    if comment.withdrawn_at is not None:
        raise Refused(_l("This comment was withdrawn; there is nothing left to report."))
    if comment.hidden_at is not None:
        raise Refused(_l("This comment is already hidden by the moderator."))
    if comment.author_id == actor.id:
        raise Refused(_l("This is your own comment. You can edit or withdraw it instead."))
    reason = _clean_reason(reason, _l("Say what is wrong with this comment."))
    already = db.session.scalar(select(CommentReport.id).where(
        CommentReport.comment_id == comment.id, CommentReport.reporter_id == actor.id))
    if already is not None:
        raise Refused(_l("You have already reported this comment. The moderators will look "
                            "at it."))
    entry = CommentReport(comment_id=comment.id, reporter_id=actor.id, reason=reason,
                          created_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(entry)
    except IntegrityError:  # the same person twice at the same moment
        raise Refused(_l("You have already reported this comment. The moderators will "
                            "look at it.")) from None
    db.session.execute(update(Comment).where(Comment.id == comment.id)
                       .values(open_report_count=Comment.open_report_count + 1)
                       .execution_options(synchronize_session=False))
    db.session.expire(comment, ["open_report_count"])
    _audit("topic.comment_report", topic, actor, comment, reason=reason)
    return entry


def _resolve_reports(comment: Comment) -> int:
    now = utcnow()
    result = db.session.execute(
        update(CommentReport).where(CommentReport.comment_id == comment.id,
                                    CommentReport.resolved_at.is_(None))
        .values(resolved_at=now).execution_options(synchronize_session=False))
    comment.open_report_count = 0
    return result.rowcount or 0


def hide(actor, comment: Comment, reason: str) -> None:
    """A moderator hides a comment; the public sees "hidden by the moderator: <reason>"."""
    topic = _topic_of(comment)
    _require_moderator(topic, actor)
    if comment.withdrawn_at is not None:
        raise Refused(_l("This comment was withdrawn by its author; there is nothing to "
                            "hide."))
    if comment.hidden_at is not None:
        raise Refused(_l("This comment is already hidden."))
    reason = _clean_reason(reason, _l("Give a reason for hiding the comment. It is shown in "
                                      "its place."))
    comment.hidden_at = utcnow()
    comment.hidden_by_id = actor.id
    comment.hidden_reason = reason
    resolved = _resolve_reports(comment)
    _audit("topic.comment_hide", topic, actor, comment, reason=reason, reports_resolved=resolved)
    if comment.official:
        _recount_answered(topic)
    notify([comment.author_id], "topic.comment_hidden",
           {"title": topic.title, "note": reason, "topic_id": topic.id},
           comment_url(comment), skip=[actor.id])


def restore(actor, comment: Comment) -> None:
    """A moderator shows a hidden comment again."""
    topic = _topic_of(comment)
    _require_moderator(topic, actor)
    if comment.hidden_at is None:
        raise Refused(_l("This comment is not hidden."))
    reason = comment.hidden_reason
    comment.hidden_at = None
    comment.hidden_by_id = None
    comment.hidden_reason = ""
    resolved = _resolve_reports(comment)
    _audit("topic.comment_restore", topic, actor, comment, hidden_reason=reason,
           reports_resolved=resolved)
    if comment.official:
        _recount_answered(topic)


def dismiss_reports(actor, comment: Comment) -> None:
    """A moderator looked at the reports and keeps the comment as it is."""
    topic = _topic_of(comment)
    _require_moderator(topic, actor)
    if comment.open_report_count == 0:
        raise Refused(_l("This comment has no open reports."))
    resolved = _resolve_reports(comment)
    _audit("topic.comment_dismiss", topic, actor, comment, reports_resolved=resolved)


# --- reading for pages --------------------------------------------------------------------

VISIBLE, HIDDEN, WITHDRAWN = "visible", "hidden", "withdrawn"


@dataclass
class CommentView:
    """One comment as the viewer sees it. ``show_body``: the text is on the page (for a
    hidden comment only to moderators, marked)."""

    comment: Comment
    state: str
    show_body: bool
    mine: bool
    my_reaction: str | None = None
    reported: bool = False  # the viewer reported it
    can_edit: bool = False
    can_withdraw: bool = False
    can_react: bool = False
    can_report: bool = False
    can_moderate: bool = False
    support: consensus.Support | None = None
    replies: list["CommentView"] = field(default_factory=list)
    # The names of its author, hider and grid worker when the thread's query read them as
    # columns (no User loaded per comment); else they come from the comment's relationships.
    names: tuple[str | None, str | None, str | None] | None = None

    @property
    def id(self) -> int:
        return self.comment.id

    @property
    def author_name(self) -> str:
        return self.names[0] if self.names is not None else self.comment.author.name

    @property
    def hidden_by_name(self) -> str | None:
        if self.names is not None:
            return self.names[1]
        return self.comment.hidden_by.name if self.comment.hidden_by else None

    @property
    def assisted_by_name(self) -> str | None:
        if self.names is not None:
            return self.names[2]
        return self.comment.assisted_by.name if self.comment.assisted_by else None

    @property
    def is_reply(self) -> bool:
        return self.comment.parent_id is not None

    @property
    def official(self) -> bool:
        return self.comment.official

    @property
    def role_badge(self):
        return role_badge(self.comment.author_role)


@dataclass
class Thread:
    topic: Topic
    sort: str
    comments: list[CommentView]  # top level, in the chosen order; replies inside
    count: int  # comments and replies on the page, withdrawn and hidden included
    refusal: tuple[str, object] | None  # why the viewer cannot comment (code, message)
    can_moderate: bool
    groups: int = 0  # opinion groups found by the broad-support ranking (consensus sort)
    page: int = 1  # the last page of top-level comments shown
    has_more: bool = False  # more top-level comments after this page
    # The official answers still shown, oldest first, pinned at the top of the thread.
    answers: list[CommentView] = field(default_factory=list)
    can_answer: bool = False  # the viewer may post official answers

    @property
    def can_comment(self) -> bool:
        return self.refusal is None

    @property
    def refusal_code(self) -> str | None:
        return self.refusal[0] if self.refusal else None

    @property
    def refusal_message(self):
        return self.refusal[1] if self.refusal else None


def normalise_sort(sort: str | None) -> str:
    return sort if sort in SORTS else DEFAULT_SORT


class _Viewer:
    """The viewer's standing on one topic, computed once and applied to each comment."""

    def __init__(self, topic: Topic, user):
        self.user_id = user.id if user is not None and getattr(
            user, "is_authenticated", False) else None
        self.user = user
        self.can_moderate = self.user_id is not None and check(
            user, "topic.moderate", topic) is None
        self.refusal = comment_refusal(user, topic)
        self.participant = self.user_id is not None and check(
            user, "topic.participate", topic) is None
        self.can_answer = self.user_id is not None and may_answer(user, topic)
        self.now = utcnow()

    def view(self, c: Comment, reactions: dict[int, str], reported: set[int],
             names: tuple | None = None) -> CommentView:
        state = WITHDRAWN if c.withdrawn_at else HIDDEN if c.hidden_at else VISIBLE
        mine = self.user_id is not None and c.author_id == self.user_id
        live = state == VISIBLE
        open_ = self.refusal is None  # comments open and the viewer may take part
        return CommentView(
            comment=c, state=state,
            show_body=state == VISIBLE or (state == HIDDEN and self.can_moderate),
            mine=mine, my_reaction=reactions.get(c.id), reported=c.id in reported,
            can_edit=mine and open_ and can_edit(self.user, c, self.now),
            can_withdraw=mine and state != WITHDRAWN,
            can_react=live and open_ and self.participant and not mine,
            can_report=live and self.participant and not mine and c.id not in reported,
            can_moderate=self.can_moderate and state != WITHDRAWN, names=names,
        )


def _viewer_rows(topic_id: int, user_id: int | None,
                 comment_ids: list[int] | None = None) -> tuple[dict[int, str], set[int]]:
    """The viewer's reactions and reports on the topic (or on ``comment_ids``): one query."""
    if user_id is None:
        return {}, set()
    mine: dict[int, str] = {}
    reported: set[int] = set()
    for comment_id, value in db.session.execute(
            _viewer_statement(comment_ids is not None),
            {"user_id": user_id, "topic_id": topic_id, "ids": comment_ids or []}):
        if value == _REPORTED:
            reported.add(comment_id)
        else:
            mine[comment_id] = value
    return mine, reported


@functools.cache
def _viewer_statement(of_comments: bool):
    """:func:`_viewer_rows`' union, built once for the comments named (``ids``) or for the
    whole topic (``topic_id``); the viewer is ``user_id``."""
    user_id = bindparam("user_id", type_=Integer)
    reactions = select(Reaction.comment_id, Reaction.value).where(Reaction.user_id == user_id)
    reports = select(CommentReport.comment_id, literal(_REPORTED)).where(
        CommentReport.reporter_id == user_id)
    if of_comments:
        ids = bindparam("ids", expanding=True, type_=Integer)
        reactions = reactions.where(Reaction.comment_id.in_(ids))
        reports = reports.where(CommentReport.comment_id.in_(ids))
    else:
        topic_id = bindparam("topic_id", type_=Integer)
        reactions = reactions.where(Reaction.topic_id == topic_id)
        reports = reports.join(Comment, Comment.id == CommentReport.comment_id).where(
            Comment.topic_id == topic_id)
    return union_all(reactions, reports)


_REPORTED = "reported"  # marks the report rows of _viewer_rows' union; not a reaction value


def thread(viewer, topic: Topic, sort: str = DEFAULT_SORT, pages: int = 1,
           first_page: int = 1, per_page: int = THREADS_PER_PAGE) -> Thread:
    """The comment section: pages ``first_page`` to ``pages`` of top-level comments
    (``per_page`` each, THREADS_PER_PAGE on the topic page) with all their replies, in a fixed
    number of queries whatever the number of comments:
    the page's comments with their replies and authors (1), the viewer's reactions and
    reports on them (1), plus the viewer's roles and homes (2, cached for the request). The
    official answers pinned at the top come with the page's comments (same query). The "broad
    support" order takes the page's comment ids from the topic's kept ranking
    (:func:`kept_ranking`); when it ranks the topic afresh, the one query that reads every
    comment and mark brings the viewer's marks and reports too."""
    sort = normalise_sort(sort)
    who = _Viewer(topic, viewer)
    first_page, pages, per_page = max(1, first_page), max(1, pages), max(1, per_page)
    skip, size = (first_page - 1) * per_page, (pages - first_page + 1) * per_page
    groups = 0
    names: dict[int, tuple] = {}  # read as columns by the other orders' query
    if sort == "consensus":
        kept, viewer_marks = _kept_ranking(topic, who.user_id, may_trail=True)
        groups = kept.groups
        page_ids = kept.tops[skip:skip + size].tolist()
        has_more = len(kept.tops) > skip + size
        found = _comments(Comment.topic_id == topic.id, or_(
            Comment.id.in_(page_ids), Comment.parent_id.in_(page_ids),
            Comment.official.is_(True)), oldest_first=True) if page_ids else _comments(
            Comment.topic_id == topic.id, Comment.official.is_(True), oldest_first=True)
        by_id = {c.id: c for c in found}
        tops = [by_id[i] for i in page_ids if i in by_id]
        shown = {c.id for c in tops}
        replies = [c for c in found if c.parent_id in shown]
        pinned = [c for c in found if c.official]
        if viewer_marks is None:  # the ranking was kept: the viewer's marks on the page
            viewer_marks = _viewer_rows(topic.id, who.user_id,
                                        [c.id for c in tops] + [c.id for c in replies])
    else:
        # One query: the page's top-level comments (and one more, to know if more follow)
        # with their replies; then each kind in its order.
        oldest_first = sort == "oldest"
        found = db.session.execute(_page_statement(oldest_first), {
            "topic_id": topic.id, "skip": skip, "size": size + 1}).all()
        names = {c.id: person_names for c, _page, *person_names in found}
        rows = [c for c, page, *_names in found if page]
        pinned = [c for c, _page, *_names in found if c.official]
        tops = [c for c in rows if c.parent_id is None]
        if not oldest_first:
            tops.reverse()
        has_more = len(tops) > size
        tops = tops[:size]
        shown = {c.id for c in tops}
        replies = [c for c in rows if c.parent_id in shown]
        viewer_marks = _viewer_rows(topic.id, who.user_id,
                                    [c.id for c in tops] + [c.id for c in replies])
    reactions, reported = viewer_marks
    views = {c.id: who.view(c, reactions, reported, names.get(c.id)) for c in tops}
    for r in replies:  # oldest first: replies stay in the order they were written
        views[r.parent_id].replies.append(who.view(r, reactions, reported, names.get(r.id)))
    if sort == "consensus":
        for v in [*views.values(), *(r for v in views.values() for r in v.replies)]:
            v.support = kept.support(v.id)
    answers = [who.view(c, reactions, reported, names.get(c.id)) for c in pinned
               if c.withdrawn_at is None and c.hidden_at is None]
    return Thread(topic=topic, sort=sort, comments=[views[c.id] for c in tops],
                  count=len(tops) + len(replies), refusal=who.refusal,
                  can_moderate=who.can_moderate, groups=groups, page=pages,
                  has_more=has_more, answers=answers, can_answer=who.can_answer)


def thread_page(comment: Comment, sort: str = DEFAULT_SORT) -> int:
    """The page of threads (1, 2, ...) that shows ``comment`` in the ``sort`` order: two
    queries at most (the "broad support" order: none while the topic's ranking is kept, else
    the ranking's inputs)."""
    sort = normalise_sort(sort)
    top = comment if comment.parent_id is None else db.session.get(Comment, comment.parent_id)
    if sort == "consensus":
        before = kept_ranking(db.session.get(Topic, top.topic_id)).tops.index(top.id)
    else:
        earlier = tuple_(Comment.created_at, Comment.id) < tuple_(top.created_at, top.id)
        later = tuple_(Comment.created_at, Comment.id) > tuple_(top.created_at, top.id)
        before = db.session.scalar(
            select(func.count()).select_from(Comment)
            .where(Comment.topic_id == top.topic_id, Comment.parent_id.is_(None),
                   earlier if sort == "oldest" else later))
    return before // THREADS_PER_PAGE + 1


# --- the broad-support ranking, kept per worker -------------------------------------------------

RANKINGS_KEPT = 64  # topics whose ranking each worker keeps, the least recently read dropped


class KeptRanking:
    """What the page needs of one topic's broad-support ranking, in flat arrays rather than
    objects (a few bytes per comment: about 30 KiB for 1,000 comments):

    - ``tops``: the top-level comments' ids in the order of the page; withdrawn and hidden
      comments go last, their text is not on the page to support;
    - ``ids`` (ascending) and ``counts``: every comment's (agrees, marks) in each opinion group,
      ``2 * groups`` numbers per comment, from which :meth:`support` rebuilds its
      :class:`~consult.topics.consensus.Support`;
    - ``token``: the topic's ``ranking_token`` it was computed for.
    """

    __slots__ = ("token", "where", "groups", "tops", "ids", "counts")

    def __init__(self, token: int | None, ranking: consensus.Ranking, rows) -> None:
        self.token = token
        self.where = written.database()  # a topic id and token say nothing of another
        self.groups = ranking.groups
        position = {cid: i for i, cid in enumerate(ranking.order)}
        self.tops = array("q", (r.id for r in sorted(
            (r for r in rows if r.parent_id is None),
            key=lambda r: (r.withdrawn_at is not None or r.hidden_at is not None,
                           position.get(r.id, len(position))))))
        ids = sorted(ranking.support)
        self.ids = array("q", ids)
        self.counts = array("i", (x for cid in ids for g in ranking.support[cid].groups
                                  for x in g))

    def support(self, comment_id: int) -> consensus.Support | None:
        i = bisect_left(self.ids, comment_id)
        if i == len(self.ids) or self.ids[i] != comment_id:
            return None
        width = 2 * self.groups
        flat = self.counts[i * width:(i + 1) * width]
        return consensus.support_of(tuple(zip(flat[::2], flat[1::2])))

    def nbytes(self) -> int:
        """The bytes of the arrays (what grows with the thread)."""
        return sum(a.buffer_info()[1] * a.itemsize for a in (self.tops, self.ids, self.counts))

    def stored(self, topic_id: int) -> dict:
        """The columns of a :class:`StoredRanking` row holding this ranking."""
        return {"topic_id": topic_id, "token": self.token, "groups": self.groups,
                "tops": _to_bytes(self.tops), "ids": _to_bytes(self.ids),
                "counts": _to_bytes(self.counts), "ranked_at": utcnow()}

    @classmethod
    def from_stored(cls, token: int, groups: int, tops: bytes, ids: bytes, counts: bytes
                    ) -> KeptRanking | None:
        """The ranking a :class:`StoredRanking` row holds; None when its arrays do not fit
        together (a row written by another version, or damaged): the caller ranks afresh."""
        kept = cls.__new__(cls)
        kept.token, kept.where, kept.groups = token, written.database(), groups
        try:
            kept.tops, kept.ids, kept.counts = (
                _from_bytes("q", tops), _from_bytes("q", ids), _from_bytes("i", counts))
        except ValueError:
            return None
        if groups < 1 or len(kept.counts) != 2 * groups * len(kept.ids):
            return None
        return kept


def _to_bytes(values: array) -> bytes:
    if sys.byteorder == "little":
        return values.tobytes()
    swapped = array(values.typecode, values)
    swapped.byteswap()
    return swapped.tobytes()


def _from_bytes(typecode: str, data: bytes) -> array:
    values = array(typecode)
    values.frombytes(data)  # ValueError unless a whole number of items
    if sys.byteorder != "little":
        values.byteswap()
    return values


_kept: OrderedDict[int, KeptRanking] = OrderedDict()  # topic id -> its ranking, LRU order
_kept_lock = threading.Lock()


_refreshing: set[int] = set()  # topics whose ranking a thread of this worker is computing
_refreshers: list[threading.Thread] = []  # those threads (wait_for_refreshes)


def kept_ranking(topic: Topic) -> KeptRanking:
    """``topic``'s broad-support ranking: the one this worker keeps while the topic's
    ``ranking_token`` is the one it was computed for (no query), else ranked afresh from
    every comment and mark of the topic (one query) and kept.

    The token is read (with the topic) before the marks: a ranking can only be kept under a
    token older than its marks, never the reverse, so a ranking kept for the token read is
    never stale. A transaction that changed the topic's comments or marks and has not
    committed yet ranks what it sees and keeps nothing (its token moves on when it commits)."""
    return _kept_ranking(topic, None)[0]


def _kept_ranking(topic: Topic, viewer_id: int | None, *, may_trail: bool = False
                  ) -> tuple[KeptRanking, tuple[dict[int, str], set[int]] | None]:
    """:func:`kept_ranking`, and when it ranks afresh, the viewer's marks and reports on the
    topic as :func:`_viewer_rows` gives them (read by the same query), else None.

    ``may_trail`` (the thread's page): with ``RANKING_REFRESH_IN_BACKGROUND`` on, a kept
    ranking of an older token is returned at once and a thread of this worker ranks the topic
    afresh (one at a time per topic); later reads get the new ranking when it is done. On a
    busy topic every mark moves the token, and ranking 5,000 comments and 250,000 marks costs
    about 1.5 s: the reader gets the order of a moment ago instead of waiting for it. The
    page's comments, their counts and states are read afresh all the same; only their order
    and support figures trail, and a comment posted since joins the order when the ranking is
    done. A comment's place (:func:`thread_page`) never trails."""
    session = db.session()
    session.flush()  # nothing to write on a page; in a transaction that wrote, note its changes
    if topic.id in session.info.get(_CHANGED, ()):
        return _rank(topic, None, viewer_id)
    token = topic.ranking_token
    trail = may_trail and current_app.config.get("RANKING_REFRESH_IN_BACKGROUND", False)
    here = written.database()
    start = False
    with _kept_lock:
        kept = _kept.get(topic.id)
        if kept is not None and kept.where != here:
            kept = None
        if kept is not None and kept.token == token:
            _kept.move_to_end(topic.id)
            return kept, None
        if kept is not None and trail:
            _kept.move_to_end(topic.id)
            start = topic.id not in _refreshing
            _refreshing.add(topic.id)
    if kept is not None and trail:
        if start:
            _refresh_later(topic.id)
        return kept, None
    if kept is None:
        stored = _from_store(topic, token, trail)
        if stored is not None:
            return stored, None
    kept, viewer_marks = _rank(topic, token, viewer_id)
    _keep(topic.id, kept)
    return kept, viewer_marks


def _keep(topic_id: int, kept: KeptRanking) -> None:
    # A ranking finished in the background may replace a newer one kept meanwhile: the next
    # read sees its token differ and ranks again. (Tokens are not compared by size: a
    # database restored in place goes back to smaller ones.)
    with _kept_lock:
        _kept[topic_id] = kept
        _kept.move_to_end(topic_id)
        while len(_kept) > RANKINGS_KEPT:
            _kept.popitem(last=False)


def _refresh_later(topic_id: int) -> None:
    """Rank ``topic_id`` afresh in a thread of this worker, with its own session."""
    app = current_app._get_current_object()

    def refresh() -> None:
        try:
            with app.app_context():
                try:
                    topic = db.session.get(Topic, topic_id)
                    if topic is not None:
                        _keep(topic_id, _rank(topic, topic.ranking_token, None)[0])
                finally:
                    db.session.remove()
        except Exception:  # the next read tries again; the page kept its ranking meanwhile
            app.logger.exception("ranking topic %s afresh failed", topic_id)
        finally:
            with _kept_lock:
                _refreshing.discard(topic_id)

    worker = threading.Thread(target=refresh, name=f"rank-topic-{topic_id}", daemon=True)
    with _kept_lock:
        _refreshers[:] = [t for t in _refreshers if t.is_alive()]
        _refreshers.append(worker)
    try:
        worker.start()
    except RuntimeError:  # no thread to be had: the next read tries again
        app.logger.exception("could not start ranking topic %s afresh", topic_id)
        with _kept_lock:
            _refreshing.discard(topic_id)
            _refreshers.remove(worker)


def wait_for_refreshes(timeout: float = 30.0) -> None:
    """Wait until the rankings being computed in the background are kept (tests, benchmarks)."""
    with _kept_lock:
        workers = list(_refreshers)
    for worker in workers:
        worker.join(timeout)


# --- the ranking stored for every worker ----------------------------------------------------
#
# A worker that keeps no ranking of a topic (just started, or the topic fell out of its 64)
# would rank it afresh on its first read: 0.26 s at 1,000 comments, 1.3 s at 5,000. For a
# topic of ``RANKING_STORED_FROM`` comments or more, the commit that changes its marks or
# comments queues the job ``topics.rank``, which stores the ranking (``topic_rankings``); such
# a worker reads it in one query. At most one job per topic every ``RANKING_STORE_SECONDS`` from
# each process: on a busy topic the stored ranking may trail by a few marks, and is then
# served only where a ranking may trail (the thread's page, ``RANKING_REFRESH_IN_BACKGROUND``)
# while this worker ranks the topic afresh.

_store_queued: dict[int, float] = {}  # topic id -> when this process last queued its job


def _from_store(topic: Topic, token: int, trail: bool) -> KeptRanking | None:
    """For a worker that keeps no ranking of ``topic``: the one a job stored (one query),
    kept from now on, if it is current or may trail (then ranked afresh in a thread); else
    None. Topics of fewer comments than ``RANKING_STORED_FROM`` have none: no query."""
    least = current_app.config.get("RANKING_STORED_FROM", 0)
    if not least or topic.comment_count < least:
        return None
    row = db.session.execute(_stored_statement(), {"topic_id": topic.id}).first()
    kept = None if row is None else KeptRanking.from_stored(*row)
    if kept is None or (kept.token != token and not trail):
        return None
    with _kept_lock:
        start = kept.token != token and topic.id not in _refreshing
        if start:
            _refreshing.add(topic.id)
    _keep(topic.id, kept)
    if start:
        _refresh_later(topic.id)
    return kept


@functools.cache
def _stored_statement():
    t = StoredRanking.__table__.c
    return select(t.token, t.groups, t.tops, t.ids, t.counts).where(
        t.topic_id == bindparam("topic_id", type_=Integer))


def _queue_storing(topics: list[tuple[int, int]]) -> None:
    """After the commit that moved these (topic id, comment count) tokens: queue the job that
    stores the ranking of each topic with enough comments, at most once every
    ``RANKING_STORE_SECONDS`` per topic from this process."""
    config = current_app.config
    least = config.get("RANKING_STORED_FROM", 0)
    if not least:
        return
    every = config.get("RANKING_STORE_SECONDS", 10.0)
    now = time.monotonic()
    for topic_id, comments in topics:
        if comments < least or now - _store_queued.get(topic_id, -math.inf) < every:
            continue
        _store_queued[topic_id] = now
        enqueue("topics.rank", topic_id=topic_id)
    if len(_store_queued) > 4 * RANKINGS_KEPT:
        for topic_id, at in list(_store_queued.items()):
            if now - at >= every:
                del _store_queued[topic_id]


@job("topics.rank")
def store_ranking(topic_id: int) -> None:
    """Store ``topic_id``'s ranking as its marks and comments are now (nothing when the stored
    one is current, or the topic is gone); keep it in this worker too."""
    topic = db.session.get(Topic, topic_id)
    if topic is None:
        return
    row = db.session.execute(_stored_statement(), {"topic_id": topic_id}).first()
    if row is not None and row.token == topic.ranking_token:
        return
    kept = _rank(topic, topic.ranking_token, None)[0]
    values = kept.stored(topic_id)
    statement = insert_on_conflict(db.session, StoredRanking.__table__).values(values)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=["topic_id"],
        set_={name: statement.excluded[name] for name in values if name != "topic_id"}))
    _keep(topic_id, kept)


def _rank(topic: Topic, token: int | None, viewer_id: int | None
          ) -> tuple[KeptRanking, tuple[dict[int, str], set[int]] | None]:
    """Rank ``topic`` from its comments and marks, read in one query as plain rows (the
    tables' columns, not the ORM's): a row per comment (no user), a row per mark, and a row
    per report of the viewer (the value ``_REPORTED``). The rows are taken one by one as bare
    tuples: building tens of thousands of SQLAlchemy rows at once cost twice as much."""
    comment, mark = Comment.__table__.c, Reaction.__table__.c
    parts = [
        select(comment.id, comment.created_at, comment.parent_id, comment.withdrawn_at,
               comment.hidden_at, null().label("user_id"), null().label("value"))
        .where(comment.topic_id == topic.id),
        select(mark.comment_id, null(), null(), null(), null(), mark.user_id, mark.value)
        .where(mark.topic_id == topic.id)]
    if viewer_id is not None:
        report = CommentReport.__table__.c
        parts.append(
            select(report.comment_id, null(), null(), null(), null(), report.reporter_id,
                   literal(_REPORTED))
            .join_from(CommentReport.__table__, Comment.__table__, comment.id == report.comment_id)
            .where(comment.topic_id == topic.id, report.reporter_id == viewer_id))
    found = [tuple(r) for r in db.session.connection().execute(union_all(*parts))]
    # (id, created_at, parent_id, withdrawn_at, hidden_at) of each comment, oldest first
    rows = sorted((_RankedComment(*r[:5]) for r in found if r[5] is None),
                  key=lambda r: (r.created_at, r.id))
    votes = [(r[0], r[5], r[6]) for r in found if r[5] is not None and r[6] != _REPORTED]
    kept = KeptRanking(token, consensus.rank(votes, [(r.id, r.created_at) for r in rows]), rows)
    if viewer_id is None:
        return kept, None
    return kept, ({cid: value for cid, user, value in votes if user == viewer_id},
                  {r[0] for r in found if r[5] == viewer_id and r[6] == _REPORTED})


class _RankedComment(NamedTuple):
    id: int
    created_at: datetime
    parent_id: int | None
    withdrawn_at: datetime | None
    hidden_at: datetime | None


# The ranking token moves on by itself: whatever writes comments or marks through the ORM (the
# rules above, the demo, tests) notes the topics it changed after each flush, and the commit
# raises their tokens as its last statement, in the same transaction. Last, so that the topic
# row is locked after the comment and mark rows in every writer (no lock-order deadlock with a
# parallel withdrawal or mark). What the ranking reads of a comment:
_CHANGED = "consult.topics.ranking_changed"  # Session.info: ids of the topics changed
_RANKED_COLUMNS = ("topic_id", "parent_id", "created_at", "withdrawn_at", "hidden_at")


@event.listens_for(Session, "after_flush")
def _note_ranking_changes(session, _context) -> None:
    changed = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Reaction):
            pass
        elif isinstance(obj, Comment):
            state = inspect(obj)
            if obj in session.dirty and not any(
                    state.attrs[name].history.has_changes() for name in _RANKED_COLUMNS):
                continue  # an edit of the text, a report counted: the ranking is the same
        else:
            continue
        state = inspect(obj)
        # The topic, and the one it was on if it moved (the old value of a changed column).
        changed.update(t for t in (state.dict.get("topic_id"),
                                   state.committed_state.get("topic_id"))
                       if isinstance(t, int))
    if changed:
        session.info.setdefault(_CHANGED, set()).update(changed)


@event.listens_for(Session, "before_commit")
def _move_ranking_tokens(session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the outer commit raises the tokens
    session.flush()
    topic_ids = session.info.pop(_CHANGED, None)
    if topic_ids:
        moved = session.execute(update(Topic).where(Topic.id.in_(sorted(topic_ids)))
                                .values(ranking_token=Topic.ranking_token + 1)
                                .returning(Topic.id, Topic.comment_count)
                                .execution_options(synchronize_session=False)).all()
        if has_app_context() and session is db.session():
            _queue_storing([tuple(r) for r in moved])


@event.listens_for(Session, "after_transaction_end")
def _forget_ranking_changes(session, transaction) -> None:
    if transaction.parent is None:  # the whole transaction ended (a rollback: nothing changed)
        session.info.pop(_CHANGED, None)


def forget_rankings() -> None:
    """Drop every kept ranking (benchmarks, tests), and forget when jobs were queued."""
    with _kept_lock:
        _kept.clear()
    _store_queued.clear()


@functools.cache
def _page_statement(oldest_first: bool):
    """The page's top-level comments (and one more, to know if more follow) with their
    replies and the pinned official answers, each row marked whether it is on the page:
    built once per order, its values bound (``topic_id``, ``skip``, ``size``). A statement
    used again skips building and SQLAlchemy's keying of it."""
    order = (Comment.created_at, Comment.id)
    topic_id = bindparam("topic_id", type_=Integer)
    page_ids = (select(Comment.id)
                .where(Comment.topic_id == topic_id, Comment.parent_id.is_(None))
                .order_by(*(order if oldest_first else (o.desc() for o in order)))
                .offset(bindparam("skip", type_=Integer))
                .limit(bindparam("size", type_=Integer)))
    on_page = or_(Comment.id.in_(page_ids), Comment.parent_id.in_(page_ids))
    # The three people's names as columns of the row: loading a User for each comment cost
    # more than the comments themselves on a page of a hundred.
    author, hider, helper = aliased(User), aliased(User), aliased(User)
    return (select(Comment, on_page.label("on_page"), author.name, hider.name, helper.name)
            .join(author, author.id == Comment.author_id)
            .outerjoin(hider, hider.id == Comment.hidden_by_id)
            .outerjoin(helper, helper.id == Comment.assisted_by_id)
            .where(Comment.topic_id == topic_id, or_(on_page, Comment.official.is_(True)))
            .order_by(Comment.created_at, Comment.id))


def _comments_query(*where, oldest_first: bool, offset: int = 0, limit: int | None = None):
    order = (Comment.created_at, Comment.id) if oldest_first else (
        Comment.created_at.desc(), Comment.id.desc())
    # The thread shows only the names of a comment's author, hider and grid worker: the rest
    # of those users' columns (sign-in, privacy, closing) would be read for every row.
    return (select(Comment).where(*where)
            .options(*(joinedload(person).load_only(User.name) for person in (
                Comment.author, Comment.hidden_by, Comment.assisted_by)))
            .order_by(*order).offset(offset).limit(limit))


def _comments(*where, oldest_first: bool, offset: int = 0, limit: int | None = None):
    return db.session.scalars(_comments_query(*where, oldest_first=oldest_first, offset=offset,
                                              limit=limit)).all()


def official_answers(viewer, topic: Topic) -> list[CommentView]:
    """The official answers still shown on ``topic``, oldest first, as pinned at the top of
    its thread (for a fragment answer after an official answer changed): one query, plus the
    viewer's roles (cached for the request)."""
    who = _Viewer(topic, viewer)
    rows = _comments(Comment.topic_id == topic.id, Comment.official.is_(True),
                     Comment.withdrawn_at.is_(None), Comment.hidden_at.is_(None),
                     oldest_first=True)
    return [who.view(c, {}, set()) for c in rows]


def comment_view(viewer, comment: Comment, *, new: bool = False) -> CommentView:
    """One comment for a fragment answer (after an action in place): without its replies.
    ``new``: the viewer just wrote it, so has neither marked nor reported it."""
    topic = _topic_of(comment)
    who = _Viewer(topic, viewer)
    reactions, reported = ({}, set()) if new else _viewer_rows(topic.id, who.user_id,
                                                               [comment.id])
    return who.view(comment, reactions, reported)


@dataclass
class QueueItem:
    comment: Comment
    topic: Topic
    reports: list[tuple[CommentReport, str]]  # each open report with the reporter's name


def moderation_queue(user) -> list[QueueItem]:
    """Comments with open reports in the communities ``user`` moderates, most reported first,
    each with its open reports: two queries."""
    m = membership(user)
    q = (select(Comment, Topic).join(Topic, Topic.id == Comment.topic_id)
         .where(Comment.open_report_count > 0)
         .options(joinedload(Comment.author))
         .order_by(Comment.open_report_count.desc(), Comment.id))
    if not m.platform_admin:
        allowed = [cid for cid, roles in m.roles.items() if roles & {"admin", "secretary"}]
        q = q.where(Topic.community_id.in_(allowed))
    items = {c.id: QueueItem(c, t, []) for c, t in db.session.execute(q).all()}
    if items:
        for r, name in db.session.execute(
                select(CommentReport, User.name).join(User, User.id == CommentReport.reporter_id)
                .where(CommentReport.comment_id.in_(list(items)),
                       CommentReport.resolved_at.is_(None))
                .order_by(CommentReport.created_at, CommentReport.id)):
            items[r.comment_id].reports.append((r, name))
    return list(items.values())
