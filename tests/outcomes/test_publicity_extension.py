"""The secretary extends an outcome's publicity window with a public reason."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from consult import clock
from consult.audit.models import AuditEntry
from consult.extensions import db
from consult.outcomes import service
from consult.refusals import Refused
from consult.topics.models import StageChange
from tests import outcome_world as ow

pytestmark = pytest.mark.usefixtures("english")
DAY = timedelta(days=1)


def test_the_publicity_window_is_extended_later_with_a_reason(app, monkeypatch):
    w = ow.build(monkeypatch)
    secretary = w.people["secretary"]
    with clock.frozen(ow.CLOSED):
        outcome = service.publish(secretary, w.topic, "决定加装扶手。", 7)
        db.session.commit()
    end = outcome.window_ends_at
    with clock.frozen(ow.CLOSED + DAY):
        for who in ("r0", "representative"):
            with pytest.raises(Refused):
                service.extend_publicity(w.people[who], w.topic, end + DAY, "理由")
            db.session.rollback()
        with pytest.raises(Refused, match="later") as refused:
            service.extend_publicity(secretary, w.topic, end, "理由")
        assert refused.value.field == "until"
        db.session.rollback()
        with pytest.raises(Refused, match="reason"):
            service.extend_publicity(secretary, w.topic, end + DAY, "")
        db.session.rollback()
        service.extend_publicity(secretary, w.topic, end + 3 * DAY, "春节期间居民不在家")
        db.session.commit()
    assert outcome.window_ends_at == end + 3 * DAY and w.topic.stage == "publicised"
    step = db.session.scalars(select(StageChange).where(
        StageChange.transition == "extend_publicity")).one()
    assert step.note == "春节期间居民不在家"
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "topic.extend_publicity")).one()
    assert entry.details["until"] == (end + 3 * DAY).isoformat()
    # The old end has passed, the new one not: the outcome does not take effect yet.
    with clock.frozen(end + DAY):
        assert service.settle_due_outcomes() == 0
    with clock.frozen(end + 3 * DAY):
        assert service.settle_due_outcomes() == 1
