"""Paper ballots under concurrency, on PostgreSQL: one paper confirmed by two people at the same
instant counts once; two people printing the same building at once give each elector one
paper."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from consult import clock
from consult.accounts.models import Role, User
from consult.extensions import db
from consult.refusals import Refused
from consult.votes import paper, service
from consult.votes.models import Ballot, Vote
from consult.votes.paper_models import PaperBallot, PaperEntry
from consult.votes.service import VoteSpec
from tests import factories
from tests.conftest import ON_POSTGRES
from tests.races import race

pytestmark = [pytest.mark.postgres_only,
              pytest.mark.skipif(not ON_POSTGRES, reason="races are tested on PostgreSQL"),
              pytest.mark.usefixtures("english")]  # the threads' refusals are read in English
NOW = datetime(2026, 12, 1, 2, 0)
THREADS = 6


@pytest.fixture
def app_config():
    return {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": THREADS + 4, "max_overflow": 4}}


@pytest.fixture(autouse=True)
def frozen_now():
    clock.set_frozen(NOW)  # module-wide, so the threads see it too
    yield
    clock.set_frozen(None)


@pytest.fixture
def world(app, monkeypatch):
    monkeypatch.setattr(service, "vote_resolution_of", lambda topic: object())
    c = factories.community("并发纸票社区", grids=1, buildings=1, units=3)
    for i, unit in enumerate(c.grids[0].buildings[0].units):
        factories.owner(factories.user(f"业主{i}", password=None), unit)
    secretary = factories.office_holder(c, Role.SECRETARY, "秘书")
    workers = [factories.grid_worker(c.grids[0], f"网格员{i}") for i in range(THREADS + 1)]
    topic = factories.topic(c, stage="deliberating")
    vote = service.open_vote(secretary, topic, VoteSpec(
        # a simple majority opens at once (a Civil Code vote would need 15 days' notice)
        question="是否同意？", electorate="owners", rule="simple_majority",
        scope_key=f"community:{c.id}", opens_at=NOW, closes_at=NOW + timedelta(days=7)))
    db.session.commit()
    return c, vote, secretary, workers


def test_one_paper_confirmed_by_several_people_at_once_counts_once(app, world):
    c, vote, secretary, workers = world
    paper.print_papers(secretary, vote)
    db.session.commit()
    serial = db.session.scalar(select(PaperBallot.serial).limit(1))
    paper.enter(workers[0], vote, serial, "agree")
    db.session.commit()
    vote_id, worker_ids = vote.id, [w.id for w in workers[1:]]

    def confirm(i):
        return paper.enter(db.session.get(User, worker_ids[i]), db.session.get(Vote, vote_id),
                           serial, "agree").step

    results = race(app, THREADS, confirm, Refused)
    assert sorted(results, key=str).count("agree") == 1, results
    refused = [r for r in results if r != "agree"]
    assert len(refused) == THREADS - 1
    assert all(isinstance(r, str) and ("already entered" in r or "same moment" in r)
               for r in refused), refused
    db.session.rollback()
    assert db.session.scalar(select(func.count(Ballot.id))) == 1
    assert db.session.scalar(select(func.count(PaperEntry.id))) == 2
    assert db.session.scalar(select(PaperBallot.status).where(
        PaperBallot.serial == serial)) == "counted"


def test_two_printing_at_once_give_one_paper_per_elector(app, world):
    c, vote, secretary, workers = world
    vote_id, worker_ids = vote.id, [w.id for w in workers[:2]]
    building_id = c.grids[0].buildings[0].id

    def print_building(i):
        from consult.community.models import Building

        return paper.print_papers(db.session.get(User, worker_ids[i]),
                                  db.session.get(Vote, vote_id),
                                  db.session.get(Building, building_id))

    results = race(app, 2, print_building, Refused)
    db.session.rollback()
    assert sorted(results) == [0, 3] or sum(results) == 3, results
    assert db.session.scalar(select(func.count(PaperBallot.id))) == 3
