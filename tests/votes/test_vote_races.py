"""Concurrent ballots on PostgreSQL: 200 owners, three ballots each, cast from 16 threads at
once, with each owner's ballots racing one another. Every ballot is kept, exactly one per owner
counts (the last committed), and the tally equals those counted ballots."""
from __future__ import annotations

import queue
import random
import threading
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from consult import clock
from consult.accounts.models import Role, User
from consult.database import begin_write
from consult.extensions import db
from consult.refusals import Refused
from consult.votes import service
from consult.votes.models import Ballot, Vote
from consult.votes.service import VoteSpec
from tests import factories
from tests.conftest import ON_POSTGRES

pytestmark = [pytest.mark.postgres_only,
              pytest.mark.skipif(not ON_POSTGRES, reason="races are tested on PostgreSQL")]
NOW = datetime(2026, 12, 1, 2, 0)
VOTERS, BALLOTS_EACH, THREADS = 200, 3, 16


@pytest.fixture
def app_config():
    return {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": THREADS + 4, "max_overflow": 4}}


@pytest.fixture(autouse=True)
def frozen_now():
    clock.set_frozen(NOW)  # module-wide, so the threads see it too
    yield
    clock.set_frozen(None)


def owners_vote(monkeypatch, name: str, buildings: int, owners_each: int, closes_at):
    """An owners' vote open at NOW over ``buildings`` × ``owners_each`` homes, one owner each."""
    monkeypatch.setattr(service, "vote_resolution_of", lambda topic: object())
    c = factories.community(name, grids=1, buildings=buildings, units=owners_each)
    units = [u for b in c.grids[0].buildings for u in b.units]
    owners = [factories.user(f"业主{i}", password=None) for i in range(len(units))]
    for owner, unit in zip(owners, units):
        factories.owner(owner, unit)
    secretary = factories.office_holder(c, Role.SECRETARY, "秘书")
    topic = factories.topic(c, stage="deliberating")
    # Open at NOW and at least the 7 days a Civil Code vote stays open, announced the 15 days'
    # notice before its opening.
    opens = min(NOW, closes_at - timedelta(days=7))
    with clock.frozen(opens - timedelta(days=15)):
        vote = service.open_vote(secretary, topic, VoteSpec(
            question="是否同意？", electorate="owners", rule="civil_code_ordinary",
            scope_key=f"community:{c.id}", opens_at=opens, closes_at=closes_at))
        db.session.commit()  # its electorate is frozen by the job when this commits
    return vote, owners


def test_concurrent_ballots_leave_one_counted_ballot_per_owner(app, monkeypatch):
    vote, owners = owners_vote(monkeypatch, "并发社区", 4, VOTERS // 4, NOW + timedelta(days=1))
    db.session.commit()
    vote_id, owner_ids = vote.id, [o.id for o in owners]

    rng = random.Random(7)
    tasks: queue.Queue = queue.Queue()
    for owner_id in owner_ids:  # an owner's ballots are next to each other: they race
        for _ in range(BALLOTS_EACH):
            tasks.put((owner_id, rng.choice(["agree", "oppose", "abstain"])))
    errors: list = []
    barrier = threading.Barrier(THREADS)

    def worker():
        barrier.wait(timeout=30)
        while True:
            try:
                owner_id, option = tasks.get_nowait()
            except queue.Empty:
                return
            with app.app_context():
                try:
                    begin_write()
                    service.cast(db.session.get(User, owner_id), db.session.get(Vote, vote_id),
                                 option)
                    db.session.commit()
                except (Refused, Exception) as error:  # noqa: BLE001 - asserted below
                    db.session.rollback()
                    errors.append(error)
                finally:
                    db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads)
    assert errors == []

    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == VOTERS * BALLOTS_EACH
    counted = db.session.execute(select(Ballot.elector_id, Ballot.id, Ballot.option)
                                 .where(Ballot.counted.is_(True))).all()
    assert len(counted) == VOTERS == len({e for e, _, _ in counted})
    last = dict(db.session.execute(select(Ballot.elector_id, func.max(Ballot.id))
                                   .group_by(Ballot.elector_id)).all())
    assert all(last[elector] == ballot_id for elector, ballot_id, _ in counted)

    with clock.frozen(NOW + timedelta(days=1)):
        result = service.close(db.session.get(Vote, vote_id))
    assert result["votes"] == dict(Counter(o for _, _, o in counted))
    assert result["headcount_participating"] == VOTERS


def test_concurrent_closings_tally_once_with_one_audit_entry(app, monkeypatch):
    """The scheduled close and writes that need the result (publishing an outcome, running an
    invalid vote again) may close the same vote at once: one tallies and records, the others
    wait for its row lock and return what it stored."""
    from consult.audit.models import AuditEntry
    from tests.races import race

    vote, owners = owners_vote(monkeypatch, "并发关闭社区", 1, 6, NOW + timedelta(hours=1))
    for owner in owners[:5]:
        service.cast(owner, vote, "agree")
    db.session.commit()
    vote_id = vote.id
    before = db.session.scalar(select(func.count()).select_from(AuditEntry))

    with clock.frozen(NOW + timedelta(hours=2)):
        results = race(app, 8, lambda i: service.close(db.session.get(Vote, vote_id)),
                       Refused)
    assert all(isinstance(r, dict) for r in results), results
    assert all(r == results[0] for r in results)
    db.session.expire_all()
    closes = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "vote.close")).all()
    assert len(closes) == 1
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == before + 1
    assert db.session.get(Vote, vote_id).result == results[0]
    assert results[0]["valid"] is True and results[0]["passed"] is True


@pytest.mark.usefixtures("english")
def test_ballots_and_first_views_across_the_close_show_one_stable_result(app, monkeypatch):
    """Concurrent ballots and first views (page and API) before the closing time, at it and
    after it, with the scheduled close running among them: the views write nothing and show no
    result until the close has stored one, ballots after the close are refused, the vote is
    closed once (one audit entry), every result shown afterwards is the stored one, and
    `flask vote verify` recomputes it from the ballots."""
    from consult.audit.models import AuditEntry
    from tests.races import race

    vote, owners = owners_vote(monkeypatch, "跨截止社区", 2, 8, NOW + timedelta(hours=1))
    db.session.commit()
    vote_id = vote.id
    clients = [app.test_client() for _ in range(4)]

    def view(i: int):
        client = clients[i % len(clients)]
        page = client.get(f"/votes/{vote_id}")
        api = client.get(f"/api/v1/votes/{vote_id}")
        assert page.status_code == 200 and api.status_code == 200
        return ("counting" if 'id="counting"' in page.get_data(as_text=True) else "page",
                api.get_json()["result"])

    def ballot(i: int):
        return service.cast(db.session.get(User, owners[i].id),
                            db.session.get(Vote, vote_id), "agree" if i % 3 else "oppose")

    def mixed(ballots: range, views: int, closing: int = 0):
        people = list(ballots)

        def attempt(i: int):
            if i < len(people):
                return ballot(people[i])
            if i < len(people) + views:
                return view(i)
            return service.close(db.session.get(Vote, vote_id))

        return race(app, len(people) + views + closing, attempt, Refused)

    # Open: ballots and views together; views show no result.
    clock.set_frozen(NOW + timedelta(minutes=30))
    before = mixed(range(0, 8), 6)
    assert all(isinstance(r, list) for r in before[:8]), before[:8]
    assert all(r[1] is None for r in before[8:]), before[8:]
    # The closing moment: late ballots, first views and the scheduled close all at once.
    clock.set_frozen(NOW + timedelta(hours=1, seconds=1))
    across = mixed(range(8, 14), 6, closing=2)
    assert all(r == "Voting has closed." for r in across[:6]), across[:6]
    closes = [r for r in across[12:]]
    assert all(isinstance(r, dict) for r in closes) and closes[0] == closes[1], closes
    stored = closes[0]
    for shown in across[6:12]:  # before the close committed: "being counted"; after: stored
        assert shown[1] in (None, stored), shown
        assert shown[0] == "counting" or shown[1] == stored
    # Later, everyone sees the stored result; nothing changed it.
    clock.set_frozen(NOW + timedelta(hours=2))
    after = mixed(range(14, 16), 6)
    assert all(r == "Voting has closed." for r in after[:2])
    assert all(r[1] == stored for r in after[2:])
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "vote.close")) == 1
    assert db.session.get(Vote, vote_id).result == stored
    assert stored["headcount_participating"] == 8
    verify = app.test_cli_runner().invoke(args=["vote", "verify", str(vote_id)])
    assert verify.exit_code == 0 and "matches the 8 ballots" in verify.output, verify.output


def test_a_ballot_accepted_before_the_close_is_in_the_stored_result(app, monkeypatch):
    """A ballot that passed the time check a moment before closing but commits after the close
    began: the close waits for it, so the stored tally includes it, and a reader in between is
    told the vote is being counted rather than shown a tally without it."""
    import threading

    vote, owners = owners_vote(monkeypatch, "在途选票社区", 1, 4, NOW + timedelta(hours=1))
    service.cast(owners[0], vote, "agree")
    db.session.commit()
    vote_id, late_owner = vote.id, owners[1].id
    inside, release = threading.Event(), threading.Event()
    real_tracker = service.new_tracker

    def slow_tracker():  # the ballot has passed every check and is about to be written
        inside.set()
        release.wait(timeout=30)
        return real_tracker()

    outcome = {}

    def late_ballot():
        with app.app_context():
            try:
                monkeypatch.setattr(service, "new_tracker", slow_tracker)
                service.cast(db.session.get(User, late_owner), db.session.get(Vote, vote_id),
                             "oppose")
                db.session.commit()
                outcome["ballot"] = "kept"
            finally:
                db.session.remove()

    def closer():
        with app.app_context():
            try:
                outcome["result"] = service.close(db.session.get(Vote, vote_id))
                db.session.commit()
            finally:
                db.session.remove()

    clock.set_frozen(NOW + timedelta(minutes=59, seconds=59))
    first = threading.Thread(target=late_ballot)
    first.start()
    assert inside.wait(timeout=30)
    clock.set_frozen(NOW + timedelta(hours=1, seconds=1))
    second = threading.Thread(target=closer)
    second.start()
    second.join(timeout=2)
    assert second.is_alive()  # the close waits for the ballot in flight
    with app.app_context():
        reader = db.session.get(Vote, vote_id)
        assert service.result_of(reader) is None and service.counting(reader)
        db.session.remove()
    release.set()
    first.join(timeout=30)
    second.join(timeout=30)
    assert outcome["ballot"] == "kept"
    assert outcome["result"]["headcount_participating"] == 2  # the late ballot counted


def test_two_cancels_at_once_cancel_once(app, monkeypatch):
    """Two secretaries cancel the same vote at the same moment: one cancels it (one timeline
    step, one audit entry, one notice per elector), the other is told it is already
    cancelled."""
    from consult.notifications.models import Notification
    from consult.topics.models import StageChange
    from tests.races import race

    vote, owners = owners_vote(monkeypatch, "并发撤销社区", 1, 5, NOW + timedelta(days=3))
    second = factories.office_holder(vote.topic.community, Role.SECRETARY, "秘书二")
    db.session.commit()
    vote_id, people = vote.id, [vote.created_by_id, second.id]
    db.session.remove()

    def attempt(i):
        return service.cancel_vote(db.session.get(User, people[i]),
                                   db.session.get(Vote, vote_id), f"撤销理由第{i}份，重新公告。").id

    results = race(app, 2, attempt, Refused)
    assert vote_id in results, results
    refusal = results[1 - results.index(vote_id)]
    assert isinstance(refusal, str), results  # the refusal's message, not an error
    cancelled = db.session.get(Vote, vote_id)
    assert cancelled.cancelled_at is not None
    assert db.session.scalar(select(func.count()).select_from(StageChange).where(
        StageChange.transition == "cancel_vote")) == 1
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == "vote.cancelled")) == len(owners)
