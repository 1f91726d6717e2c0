"""Races on PostgreSQL, with real threads, each with its own app context, session and
connection, against committed data: the database, not the Python check, has the last word."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from consult import clock
from consult.extensions import db
from consult.studios.booking import book_sessions
from consult.refusals import Refused
from consult.studios.models import Reservation, Studio, StudioSession
from consult.studios.reception import reserve
from consult.accounts.models import User
from tests.conftest import ON_POSTGRES
from tests.races import race
from tests.studio_world import NOW, TUESDAY, build, local, session_at

pytestmark = [pytest.mark.postgres_only,
              pytest.mark.skipif(not ON_POSTGRES, reason="races are tested on PostgreSQL")]


@pytest.fixture
def app_config():
    """A connection for each of the twenty racers, so they all race at once."""
    return {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 25, "max_overflow": 5}}


@pytest.fixture(autouse=True)
def frozen_now():
    clock.set_frozen(NOW)  # module-wide, so the threads see it too
    yield
    clock.set_frozen(None)


def test_two_representatives_booking_one_room_leave_one_session(app, english):
    world = build()
    studio_id, room_id = world.studio.id, world.room.id
    reps = [world.rep.id, world.rep2.id]

    def attempt(i):
        studio = db.session.get(Studio, studio_id)
        result = book_sessions(db.session.get(User, reps[i]), studio, room_id=room_id,
                               day=TUESDAY, start="09:00", end="11:00")
        return result.sessions[0].id

    for _ in range(5):  # a few rounds, so both orders of arrival get tried
        results = race(app, 2, attempt, Refused)
        booked = [r for r in results if isinstance(r, int)]
        refused = [r for r in results if isinstance(r, str)]
        assert len(booked) == 1 and len(refused) == 1, results
        assert "接待室一 is already booked 09:00–11:00 by" in refused[0]
        assert db.session.scalar(select(func.count(StudioSession.id)).where(
            StudioSession.cancelled_at.is_(None))) == 1
        db.session.execute(StudioSession.__table__.delete())
        db.session.commit()


def test_twenty_residents_racing_for_one_slot(app, english):
    world = build(n_residents=20)
    session = session_at(world, f"{TUESDAY} 09:00")
    db.session.commit()
    session_id = session.id
    people = [r.id for r in world.residents]
    slot = local(f"{TUESDAY} 09:20").strftime("%Y-%m-%dT%H:%M")

    def attempt(i):
        s = db.session.get(StudioSession, session_id)
        return reserve(db.session.get(User, people[i]), s, slot, "other", "事情").id

    results = race(app, 20, attempt, Refused)
    won = [r for r in results if isinstance(r, int)]
    lost = [r for r in results if not isinstance(r, int)]
    assert len(won) == 1, results
    assert lost == ["That slot was just taken. Please choose another one."] * 19
    assert db.session.scalar(select(func.count(Reservation.id))) == 1


def test_one_resident_racing_for_five_sessions_gets_three(app, english):
    world = build()
    days = ["2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04", "2026-12-05"]
    sessions = [session_at(world, f"{d} 09:00").id for d in days]
    db.session.commit()
    resident_id = world.residents[0].id

    def attempt(i):
        s = db.session.get(StudioSession, sessions[i])
        slot = local(f"{days[i]} 09:00").strftime("%Y-%m-%dT%H:%M")
        return reserve(db.session.get(User, resident_id), s, slot, "other", "事情").id

    results = race(app, 5, attempt, Refused)
    assert sum(isinstance(r, int) for r in results) == 3, results
    assert db.session.scalar(select(func.count(Reservation.id))) == 3
