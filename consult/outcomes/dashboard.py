"""The community dashboard: pictures as server-side SVG (drawn by consult/charts.py), readable
without colour — every bar carries its label and its number as text, and each picture has a
title for screen readers."""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from fractions import Fraction

from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from consult.charts import bar_chart
from consult.extensions import db
from consult.outcomes import service
from consult.outcomes.models import Outcome
from consult.topics import lifecycle
from consult.topics.models import Topic
from consult.written import KeptByKey


@dataclass
class Chart:
    title: str
    note: str
    svg: Markup | None


_KEPT = KeptByKey(seconds=30, size=64)


def charts(community_id: int) -> list[Chart]:
    """The dashboard's pictures, kept per community and language until something is written
    (consult/written.py): each reads and draws a whole estate's figures."""
    return _KEPT.get((community_id, str(get_locale())), lambda: [
        _by_stage(community_id), _days_to_outcome(community_id), _turnout(community_id),
        _satisfaction(community_id)])


def _by_stage(community_id: int) -> Chart:
    from consult.topics.queries import counts_by_stage

    counts = counts_by_stage(community_id)
    rows = [(lifecycle.stage_label(s.value), counts.get(s.value, 0), str(counts.get(s.value, 0)))
            for s in lifecycle.PUBLIC_STAGES_ORDERED]
    title = _("Topics by stage")
    return Chart(title, _("%(n)d topics in all.", n=sum(counts.values())),
                 bar_chart(title, rows) if any(counts.values()) else None)


def _days_to_outcome(community_id: int) -> Chart:
    first = (select(Outcome.topic_id, func.min(Outcome.published_at).label("at"))
             .where(Outcome.community_id == community_id).group_by(Outcome.topic_id).subquery())
    rows = db.session.execute(
        select(Topic.title, Topic.submitted_at, first.c.at)
        .join(first, first.c.topic_id == Topic.id).order_by(first.c.at.desc()).limit(12)).all()
    days = [(title, Fraction(int((at - sub).total_seconds()), 86400)) for title, sub, at in rows
            if sub is not None]
    title = _("Days from proposal to publicised outcome")
    if not days:
        return Chart(title, "", None)
    median = statistics.median(d for _, d in days)
    return Chart(title, _("Median: %(days)s days, over %(n)d topics.",
                          days=f"{float(median):.1f}", n=len(days)),
                 bar_chart(title, [(t, float(d), f"{float(d):.1f}") for t, d in days]))


def _turnout(community_id: int) -> Chart:
    from consult.votes import service as votes
    from consult.votes.models import Vote

    title = _("Turnout of the last votes by building")
    closed = db.session.scalars(select(Vote).where(Vote.community_id == community_id,
                                                   Vote.result.is_not(None))
                                .options(joinedload(Vote.topic))
                                .order_by(Vote.closes_at.desc()).limit(3)).all()
    turnout = votes.turnout_by_building_of(closed)
    rows = []
    for vote in closed:
        for building, electors, voted in turnout[vote.id]:
            share = Fraction(voted, electors) if electors else Fraction(0)
            rows.append((f"{vote.topic.title} · {building}", float(share * 100),
                         f"{voted}/{electors} ({float(share * 100):.0f}%)"))
    return Chart(title, _("Each bar: who voted of those who could, per building."),
                 bar_chart(title, rows))


def _satisfaction(community_id: int) -> Chart:
    title = _("Satisfaction with closed topics")
    outcomes = db.session.scalars(
        select(Outcome).join(Topic, Topic.id == Outcome.topic_id)
        .where(Outcome.community_id == community_id, Topic.stage == "closed",
               Outcome.done_at.is_not(None))
        .options(joinedload(Outcome.topic)).order_by(Outcome.done_at.desc()).limit(12)).all()
    summaries = service.rating_summaries([o.id for o in outcomes])
    rows = []
    for o in outcomes:
        s = summaries[o.id]
        if s.count:
            rows.append((o.topic.title, float(s.average),
                         _("%(avg)s of 5 (%(n)d ratings)", avg=s.average_display, n=s.count)))
    return Chart(title, _("Average stars, from 1 to 5."), bar_chart(title, rows))
