"""Proposals and co-signing (提议与附议), review, following.

Plain functions: each checks permission and input, changes the session, writes the audit log
and raises :class:`Refused` (a message and the field it concerns) before changing anything
it refuses. It never commits: the unit of work of the request or command does
(:mod:`consult.unit_of_work`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from consult.accounts.models import Role, RoleGrant
from consult.audit.log import record
from consult.clock import utcnow
from consult.community.models import Building, Community, Grid
from consult.extensions import db
from consult.notifications import kinds
from consult.notifications.service import notify
from consult.permissions import check, membership
from consult.text import render_markdown
from consult.topics import lifecycle
from consult.topics.lifecycle import Stage
from consult.refusals import Refused
from consult.topics.models import Category, Cosignature, Follow, ScopeLevel, Topic

TITLE_MIN, TITLE_MAX = 5, 80
DESCRIPTION_MAX = 10_000

kinds.register("topic.needs_review", _l(
    "“%(title)s” has enough co-signatures and waits for your review."))


@dataclass(frozen=True)
class Scope:
    """Where a topic applies: the community, one grid, or one building of it."""

    level: ScopeLevel
    community_id: int
    grid_id: int | None = None
    building_id: int | None = None

    @property
    def key(self) -> str:
        if self.level is ScopeLevel.BUILDING:
            return f"building:{self.building_id}"
        if self.level is ScopeLevel.GRID:
            return f"grid:{self.grid_id}"
        return f"community:{self.community_id}"


def scopes_for(user) -> list[tuple[Scope, str]]:
    """The scopes ``user`` may propose in, with labels: for each home they are verified to,
    its community, its grid and its building."""
    m = membership(user)
    unit_places = {(b, g, c) for _u, b, g, c in m.verified_units}
    if not unit_places:
        return []
    building_ids = {b for b, _g, _c in unit_places}
    rows = db.session.execute(
        select(Building.id, Building.name, Grid.id, Grid.name, Community.id, Community.name)
        .join(Grid, Building.grid_id == Grid.id).join(Community, Grid.community_id == Community.id)
        .where(Building.id.in_(building_ids)).order_by(Community.name, Grid.name, Building.name)
    ).all()
    seen, options = set(), []
    for b_id, b_name, g_id, g_name, c_id, c_name in rows:
        for scope, label in (
            (Scope(ScopeLevel.COMMUNITY, c_id), _l("Whole community: %(c)s", c=c_name)),
            (Scope(ScopeLevel.GRID, c_id, g_id), _l("Grid: %(c)s %(g)s", c=c_name, g=g_name)),
            (Scope(ScopeLevel.BUILDING, c_id, g_id, b_id),
             _l("Building: %(c)s %(g)s %(b)s", c=c_name, g=g_name, b=b_name)),
        ):
            if scope.key not in seen:
                seen.add(scope.key)
                options.append((scope, str(label)))
    return options


def _validate(title: str, description: str, category: str) -> tuple[str, str]:
    title = " ".join((title or "").split())
    description = (description or "").strip()
    if len(title) < TITLE_MIN:
        raise Refused(_l("The title needs at least %(n)d characters.", n=TITLE_MIN), "title")
    if len(title) > TITLE_MAX:
        raise Refused(_l("The title can be at most %(n)d characters.", n=TITLE_MAX), "title")
    if not description:
        raise Refused(_l("Describe the matter: what is the problem and what do you propose?"),
                         "description")
    if len(description) > DESCRIPTION_MAX:
        raise Refused(_l("The description can be at most %(n)d characters.",
                            n=DESCRIPTION_MAX), "description")
    if category not in {c.value for c in Category}:
        raise Refused(_l("Choose a category."), "category")
    return title, description


def _scope_of(user, scope_key: str) -> Scope:
    for scope, _label in scopes_for(user):
        if scope.key == scope_key:
            return scope
    raise Refused(_l("Choose where the topic applies: your community, grid or building."),
                     "scope")


def save_draft(user, *, title: str, description: str, category: str, scope_key: str,
               topic: Topic | None = None) -> Topic:
    """Create or update a draft. Only a verified resident proposes, and only in a scope they
    live in; a draft is visible to its author alone."""
    if (r := check(user, "topic.propose")) is not None:  # verified anywhere, before the scope
        raise Refused.forbidden(r.message, r.code)
    scope = _scope_of(user, scope_key)
    if (r := check(user, "topic.propose", scope.community_id)) is not None:
        raise Refused.forbidden(r.message, r.code)
    if topic is not None:
        if (r := check(user, "topic.edit_draft", topic)) is not None:
            raise Refused(r.message)
        if topic.stage != Stage.DRAFT.value:
            raise Refused(_l("Only a draft can be edited; this proposal is already public."))
    title, description = _validate(title, description, category)
    if topic is None:
        topic = Topic(proposer_id=user.id, stage=Stage.DRAFT.value)
        db.session.add(topic)
    topic.community_id = scope.community_id
    topic.grid_id = scope.grid_id
    topic.building_id = scope.building_id
    topic.title = title
    topic.description = description
    topic.description_html = render_markdown(description)
    topic.category = category
    topic.updated_at = utcnow()
    db.session.flush()
    return topic


def submit(actor, topic: Topic) -> None:
    """Make a draft public as a proposal; the proposer follows it from now on."""
    # A draft saved before may no longer be valid (e.g. the proposer moved away).
    _scope_of(actor, scope_of_topic(topic).key)
    lifecycle.apply(actor, topic, "submit")
    topic.submitted_at = topic.stage_changed_at
    follow(actor, topic)


def scope_of_topic(topic: Topic) -> Scope:
    return Scope(topic.scope_level, topic.community_id, topic.grid_id, topic.building_id)


def cosign(actor, topic: Topic) -> bool:
    """附议 once; returns True when this co-signature sent the proposal to review."""
    lifecycle.lock(topic)
    if topic.stage != Stage.PROPOSED.value:
        raise Refused(_l("Co-signing is closed: the proposal is no longer gathering "
                            "co-signatures."))
    if (r := check(actor, "topic.participate", topic)) is not None:
        raise Refused.forbidden(r.message, r.code)
    if topic.proposer_id == actor.id:
        raise Refused(_l("You proposed this topic; co-signatures come from other residents."))
    if _has_cosigned(topic, actor):
        raise Refused(_l("You have already co-signed this proposal."))
    try:
        with db.session.begin_nested():
            db.session.add(Cosignature(topic_id=topic.id, user_id=actor.id))
    except IntegrityError:  # the same person twice at the same moment
        raise Refused(_l("You have already co-signed this proposal.")) from None
    topic.cosign_count = _count_cosignatures(topic)
    record("topic.cosign", topic, actor=actor, community_id=topic.community_id,
           details={"cosignatures": topic.cosign_count})
    follow(actor, topic)
    if lifecycle.refusal(None, topic, "reach_threshold") is None:
        lifecycle.apply(actor, topic, "reach_threshold")
        notify(secretary_ids(topic.community_id), "topic.needs_review",
               lifecycle.notice_params(topic), lifecycle.topic_url(topic))
        return True
    return False


def withdraw_cosignature(actor, topic: Topic) -> None:
    lifecycle.lock(topic)
    if topic.stage != Stage.PROPOSED.value:
        raise Refused(_l("A co-signature can only be withdrawn while the proposal is "
                            "gathering co-signatures."))
    if not _has_cosigned(topic, actor):
        raise Refused(_l("You have not co-signed this proposal."))
    db.session.execute(delete(Cosignature).where(Cosignature.topic_id == topic.id,
                                                 Cosignature.user_id == actor.id))
    topic.cosign_count = _count_cosignatures(topic)
    record("topic.cosign_withdrawn", topic, actor=actor, community_id=topic.community_id,
           details={"cosignatures": topic.cosign_count})


def _has_cosigned(topic: Topic, user) -> bool:
    return db.session.scalar(select(Cosignature.id).where(
        Cosignature.topic_id == topic.id, Cosignature.user_id == user.id)) is not None


def _count_cosignatures(topic: Topic) -> int:
    return db.session.scalar(select(func.count()).select_from(Cosignature)
                             .where(Cosignature.topic_id == topic.id))


def accept(actor, topic: Topic, days: int) -> None:
    lifecycle.apply(actor, topic, "accept", days=days, field="days")


def reject(actor, topic: Topic, reason: str) -> None:
    lifecycle.apply(actor, topic, "reject", reason=reason, field="reason")


def withdraw(actor, topic: Topic, reason: str = "") -> None:
    lifecycle.apply(actor, topic, "withdraw", reason=reason, field="reason")


def move_to_deliberation(actor, topic: Topic) -> None:
    lifecycle.apply(actor, topic, "deliberate")


def close_comments_early(actor, topic: Topic, reason: str) -> None:
    """Close the comment period now (no sooner than three days after it opened), with a public
    reason; the topic then waits for a meeting's agenda."""
    lifecycle.apply(actor, topic, "close_comments", reason=reason, field="reason")


def extend_comments(actor, topic: Topic, until: datetime | None, reason: str) -> None:
    """Keep comments open until ``until`` (later than now planned, by at most 30 days), with a
    public reason."""
    lifecycle.apply(actor, topic, "extend_comments", until=until, reason=reason,
                    field=lifecycle.reason_or(reason, "until"))


def follow(actor, topic: Topic) -> None:
    if (r := check(actor, "topic.follow", topic)) is not None:
        raise Refused(r.message)
    exists = db.session.scalar(select(Follow.id).where(Follow.topic_id == topic.id,
                                                       Follow.user_id == actor.id))
    if exists is None:
        try:
            with db.session.begin_nested():
                db.session.add(Follow(topic_id=topic.id, user_id=actor.id))
        except IntegrityError:
            pass  # followed in a parallel request: the wish is fulfilled


def unfollow(actor, topic: Topic) -> None:
    db.session.execute(delete(Follow).where(Follow.topic_id == topic.id,
                                            Follow.user_id == actor.id))


def secretary_ids(community_id: int) -> list[int]:
    return list(db.session.scalars(select(RoleGrant.user_id).where(
        RoleGrant.community_id == community_id, RoleGrant.role == Role.SECRETARY.value)))


def send_comment_period_reminders(hours: int = 24) -> int:
    """Tell followers that a topic's comment period ends within ``hours`` (once each).
    Run from cron: ``flask --app consult topics remind``."""
    from datetime import timedelta

    now = utcnow()
    topics = db.session.scalars(select(Topic).where(
        Topic.stage == Stage.COMMENTING.value, Topic.comment_until > now,
        Topic.comment_until <= now + timedelta(hours=hours))).all()
    sent = 0
    for topic in topics:
        sent += notify(lifecycle.follower_ids(topic.id), "topic.comment_period_ending",
                       lifecycle.notice_params(topic), lifecycle.topic_url(topic),
                       dedup_key=f"topic-{topic.id}-comment-period-ending")
    return sent


kinds.register("topic.comment_period_ending", _l(
    "Comments on “%(title)s” close at %(until)s. Say what you think before then."))
