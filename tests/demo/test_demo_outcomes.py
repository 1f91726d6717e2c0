"""The demo covers every stage from proposal to closed with ratings."""
from __future__ import annotations

import feedparser
import pytest
from sqlalchemy import func, select

from consult.audit.log import verify_chain
from consult.demo.seed import seed
from consult.extensions import db
from consult.outcomes import service
from consult.outcomes.models import Outcome, ProgressUpdate, Rating
from consult.topics.models import Topic


def test_demo_outcomes(app, client):
    assert seed(echo=lambda _: None) is True
    db.session.commit()  # seed() only flushes (``flask demo seed`` commits); the pages read
    stages = set(db.session.scalars(select(Topic.stage)))
    assert {"publicised", "implementing", "closed", "voting"} <= stages
    outcomes = db.session.scalars(select(Outcome)).all()
    assert len(outcomes) == 3
    implementing = next(o for o in outcomes if o.topic.stage == "implementing")
    assert service.is_overdue(implementing)
    assert db.session.query(ProgressUpdate).count() >= 4
    assert db.session.query(Rating).count() >= 5
    assert verify_chain().ok
    community_id = outcomes[0].community_id
    board = client.get(f"/communities/{community_id}/outcomes")
    assert board.status_code == 200
    parsed = feedparser.parse(client.get(f"/communities/{community_id}/outcomes.atom").data)
    assert not parsed.bozo and len(parsed.entries) == 3
    for o in outcomes:
        assert client.get(f"/topics/{o.topic_id}").status_code == 200


@pytest.mark.parametrize("local_time", ["00:20", "14:00", "23:50"])
def test_demo_votes_are_made_by_the_real_rules_whatever_the_hour(app, local_time):
    """Demo vote 4 once stored a result while still open and went on accepting ballots
    (stored 27/8/1, counted 26/9/1): its story ran on a frozen clock past "now". Seeded at any
    hour, every closed vote's result must verify from its ballots, no open vote has a result,
    nothing happened after now, and the audit chain holds."""
    from datetime import datetime

    from consult import clock
    from consult.audit.models import AuditEntry
    from consult.votes.models import Ballot, Vote

    day = datetime(2026, 12, 6)
    hour, minute = map(int, local_time.split(":"))
    now = clock.local_to_utc(day.replace(hour=hour, minute=minute))
    with clock.frozen(now):
        assert seed(echo=lambda _: None) is True
        votes = db.session.scalars(select(Vote).order_by(Vote.id)).all()
        assert len(votes) >= 4
        runner = app.test_cli_runner()
        for vote in votes:
            if vote.closes_at <= now:
                result = runner.invoke(args=["vote", "verify", str(vote.id)])
                assert result.exit_code == 0, result.output
                assert "matches the" in result.output
            else:
                assert vote.result is None, f"vote {vote.id} is open but has a stored result"
        assert db.session.scalar(select(func.max(Ballot.cast_at))) <= now
        assert db.session.scalar(select(func.max(AuditEntry.at))) <= now
        assert verify_chain().ok
