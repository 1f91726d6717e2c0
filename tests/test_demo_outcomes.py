"""The demo covers every stage from proposal to closed with ratings."""
from __future__ import annotations

import feedparser
from sqlalchemy import select

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
