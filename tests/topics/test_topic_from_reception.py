"""A matter raised at a representative's reception becomes a topic proposal, linked both ways."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from consult import clock
from consult.extensions import db
from consult.notifications.models import Notification
from consult.studios.reception import record_reception, reserve
from consult.studios.slots import SLOT_KEY_FORMAT
from consult.refusals import Refused
from consult.topics.from_reception import propose_from_reception
from consult.topics.models import Topic
from tests.studio_world import NOW, TUESDAY, build, local, session_at

pytestmark = pytest.mark.usefixtures("english")
MATTER = "7栋北侧路灯坏了三个月，晚上老人出门不安全"


@pytest.fixture
def recorded(app):
    with clock.frozen(NOW):
        world = build()
        session = session_at(world, f"{TUESDAY} 09:00")
        db.session.commit()
        reservation = reserve(world.residents[0], session,
                              local(f"{TUESDAY} 09:00").strftime(SLOT_KEY_FORMAT), "safety",
                              MATTER)
        db.session.commit()
    with clock.frozen(local(f"{TUESDAY} 09:30")):
        rec = record_reception(world.rep, reservation, "attended", "已联系物业", "两周内答复")
        db.session.commit()
    return world, session, rec


def test_in_the_residents_name_a_draft_waits_for_their_confirmation(recorded):
    world, _, rec = recorded
    topic = propose_from_reception(world.rep, rec, "resident")
    db.session.commit()
    assert topic.stage == "draft" and topic.proposer_id == world.residents[0].id
    assert topic.title.startswith("7栋北侧路灯") and topic.category == "safety"
    assert "李代表" in topic.description and rec.topic_id == topic.id
    note = db.session.scalar(select(Notification).where(
        Notification.user_id == world.residents[0].id,
        Notification.kind == "topic.draft_from_reception"))
    assert note.url == f"/topics/{topic.id}"


def test_in_the_representatives_name_it_is_public_at_once(recorded):
    world, _, rec = recorded
    topic = propose_from_reception(world.rep, rec, "representative")
    db.session.commit()
    assert topic.stage == "proposed" and topic.proposer_id == world.rep.id


def test_only_the_sessions_representative_and_only_once(recorded):
    world, _, rec = recorded
    for who in (world.rep2, world.residents[0], world.secretary):
        with pytest.raises(Refused):
            propose_from_reception(who, rec, "representative")
        db.session.rollback()
    propose_from_reception(world.rep, rec, "representative")
    db.session.commit()
    with pytest.raises(Refused, match="already"):
        propose_from_reception(world.rep, rec, "resident")
    db.session.rollback()
    assert db.session.scalar(select(Topic.id).where(Topic.proposer_id == world.residents[0].id)) \
        is None


def test_the_pages_link_both_ways(recorded, client, login):
    world, session, rec = recorded
    login(world.rep)
    with clock.frozen(local(f"{TUESDAY} 12:00")):
        page = client.get(f"/studio-sessions/{session.id}").get_data(as_text=True)
        assert f'id="propose-as-me-{rec.reservation_id}"' in page
        response = client.post(f"/reception-records/{rec.id}/topic",
                               data={"proposer": "representative"})
        topic = db.session.scalar(select(Topic))
        assert response.headers["Location"] == f"/topics/{topic.id}"
        html = client.get(f"/topics/{topic.id}").get_data(as_text=True)
        assert "raised at a reception by representative 李代表" in html
        assert f"/studio-sessions/{session.id}" in html
        page = client.get(f"/studio-sessions/{session.id}").get_data(as_text=True)
        assert f'href="/topics/{topic.id}"' in page
