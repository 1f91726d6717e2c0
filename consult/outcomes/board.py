"""The outcomes board (公示栏) of a community and its Atom feed."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timezone

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from consult.clock import utcnow
from consult.extensions import db
from consult.outcomes import service
from consult.outcomes.models import Outcome, OutcomeStatus, ProgressUpdate, Rating
from consult.topics.lifecycle import Stage, stage_label


@dataclass
class Entry:
    outcome: Outcome
    percent: int | None
    ratings: service.RatingSummary
    current: bool  # in its publicity window
    overdue: bool

    @property
    def status(self) -> str:
        """The outcome's status now: a window that has ended shows its effect at once, before
        the scheduled settling stores it (an upheld objection sends it back at once)."""
        o = self.outcome
        if (o.status == OutcomeStatus.PUBLICISED.value and not self.current
                and o.topic.stage == Stage.PUBLICISED.value):
            return OutcomeStatus.EFFECTIVE.value
        return o.status

    @property
    def stage(self) -> str:
        o = self.outcome
        if self.status != o.status:  # in effect, not yet settled
            return Stage.IMPLEMENTING.value if o.act else Stage.CLOSED.value
        return o.topic.stage

    @property
    def key(self) -> tuple:
        """Every value the board's card of this entry shows, for keeping the card rendered
        (consult/fragments.py)."""
        o = self.outcome
        return ("outcome_card", o.id, o.topic_id, o.topic.title, o.status, self.status,
                self.stage, self.current, self.overdue, self.percent, o.published_at,
                o.window_ends_at, o.decision, o.act, o.responsible, o.target_date, o.done_at,
                self.ratings.count, self.ratings.average)

    @property
    def status_text(self) -> str:
        if self.outcome.status == OutcomeStatus.SENT_BACK.value:
            return _("Sent back to deliberation after an upheld objection")
        if self.current:
            return _("Publicised: objections possible")
        return stage_label(self.stage)


def entries(community_id: int, limit: int = 200) -> list[Entry]:
    """Current and past outcomes, newest first, in three queries."""
    outcomes = list(db.session.scalars(
        select(Outcome).where(Outcome.community_id == community_id)
        .options(joinedload(Outcome.topic))
        .order_by(Outcome.published_at.desc(), Outcome.id.desc()).limit(limit)))
    ids = [o.id for o in outcomes]
    latest = {}
    ratings: dict[int, dict[int, int]] = {}
    if ids:
        last = (select(ProgressUpdate.outcome_id, func.max(ProgressUpdate.id).label("last_id"))
                .where(ProgressUpdate.outcome_id.in_(ids))
                .group_by(ProgressUpdate.outcome_id).subquery())
        latest = dict(db.session.execute(
            select(ProgressUpdate.outcome_id, ProgressUpdate.percent)
            .join(last, ProgressUpdate.id == last.c.last_id)).all())
        for outcome_id, stars, n in db.session.execute(
                select(Rating.outcome_id, Rating.stars, func.count())
                .where(Rating.outcome_id.in_(ids))
                .group_by(Rating.outcome_id, Rating.stars)):
            ratings.setdefault(outcome_id, {})[int(stars)] = int(n)
    now = utcnow()
    from collections import Counter

    return [Entry(o, latest.get(o.id), service.summarise(Counter(ratings.get(o.id, {}))),
                  service.window_open(o, now), service.is_overdue(o, now)) for o in outcomes]


def atom(community, items: list[Entry], root: str) -> bytes:
    """The community's outcomes as an Atom feed."""
    from feedgen.feed import FeedGenerator

    board_url = f"{root}/communities/{community.id}/outcomes"
    fg = FeedGenerator()
    fg.id(f"{board_url}.atom")
    fg.title(_("Outcomes of %(community)s", community=community.name))
    fg.link(href=board_url, rel="alternate")
    fg.link(href=f"{board_url}.atom", rel="self")
    fg.language("zh-Hans")
    fg.author({"name": community.name})
    updated = max((e.outcome.published_at for e in items), default=None) or utcnow()
    fg.updated(updated.replace(tzinfo=timezone.utc))
    for e in reversed(items):  # feedgen prepends: add oldest first to list newest first
        o = e.outcome
        fe = fg.add_entry()
        url = f"{root}/topics/{o.topic_id}#outcome"
        fe.id(f"{root}/outcomes/{o.id}")
        fe.title(o.topic.title)
        fe.link(href=url, rel="alternate")
        fe.published(o.published_at.replace(tzinfo=timezone.utc))
        fe.updated((o.settled_at or o.published_at).replace(tzinfo=timezone.utc))
        fe.content(f"{o.decision}\n\n{e.status_text}", type="text")
    return fg.atom_str(pretty=True)
