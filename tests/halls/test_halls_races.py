"""Races on PostgreSQL, with real threads, each with its own app context, session and
connection, against committed data: the database, not the Python check, has the last word."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from consult import clock
from consult.accounts.models import Role, User
from consult.community.models import Community
from consult.extensions import db
from consult.halls import service
from consult.refusals import Refused
from consult.halls.models import Meeting, Registration
from consult.topics.models import Topic
from tests import factories
from tests.conftest import ON_POSTGRES
from tests.races import race
from tests.hall_world import NOW, TUESDAY, build

pytestmark = [pytest.mark.postgres_only,
              pytest.mark.skipif(not ON_POSTGRES, reason="races are tested on PostgreSQL")]


@pytest.fixture
def app_config():
    return {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 15, "max_overflow": 5}}


@pytest.fixture(autouse=True)
def frozen_now():
    clock.set_frozen(NOW)  # module-wide, so the threads see it too
    yield
    clock.set_frozen(None)


def test_two_secretaries_scheduling_one_hall_leave_one_meeting(app, english):
    world = build()
    second = factories.office_holder(world.community, Role.SECRETARY, "孙秘书")
    db.session.commit()
    community_id, hall_id = world.community.id, world.hall.id
    secretaries = [world.secretary.id, second.id]

    for round_ in range(5):  # a few rounds, so both orders of arrival get tried
        topics = [factories.topic(world.community, title=f"议题{round_}-{i}", days=-1).id
                  for i in range(2)]
        db.session.commit()

        def attempt(i):
            return service.schedule_meeting(
                db.session.get(User, secretaries[i]), db.session.get(Community, community_id),
                hall_id=hall_id, day=TUESDAY, start="09:00", end="10:00",
                title=f"会议{i}", topic_ids=[str(topics[i])]).id

        results = race(app, 2, attempt, Refused)
        booked = [r for r in results if isinstance(r, int)]
        refused = [r for r in results if isinstance(r, str)]
        assert len(booked) == 1 and len(refused) == 1, results
        assert refused[0].startswith("居民议事厅 is already booked on 2026-12-01, 09:00–10:00, "
                                     "for the meeting “会议")
        db.session.rollback()
        assert db.session.scalar(select(func.count(Meeting.id))) == 1
        # The loser's topic did not move: its transaction rolled back whole.
        stages = sorted(db.session.scalars(select(Topic.stage).where(Topic.id.in_(topics))))
        assert stages == ["commenting", "deliberating"]
        db.session.execute(Meeting.__table__.delete())
        db.session.commit()


def test_twelve_residents_racing_for_two_seats(app, english):
    world = build(n_residents=12, capacity=2)
    meeting = factories.meeting(world.hall, topics=[world.topic])
    db.session.commit()
    meeting_id = meeting.id
    people = [r.id for r in world.residents]

    def attempt(i):
        return service.register(db.session.get(User, people[i]),
                                db.session.get(Meeting, meeting_id)).status

    results = race(app, 12, attempt, Refused)
    assert sorted(results) == ["confirmed"] * 2 + ["waiting"] * 10, results
    db.session.rollback()
    assert db.session.scalar(select(func.count(Registration.id)).where(
        Registration.status == "confirmed")) == 2
