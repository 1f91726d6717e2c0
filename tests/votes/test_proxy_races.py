"""Proxies on PostgreSQL: an owner and their proxy voting at the same moment leave exactly one
counted ballot; owners naming one proxy at once never pass the limit; revoking while the proxy
votes either withdraws the authorisation or keeps the ballot, never both."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consult import clock
from consult.extensions import db
from consult.refusals import Refused
from consult.votes import proxies, service
from consult.votes.models import Ballot, Vote, VoteProxy
from tests import factories
from tests.conftest import ON_POSTGRES
from tests.races import race
from tests.votes.test_vote_races import NOW, owners_vote

pytestmark = [pytest.mark.postgres_only,
              pytest.mark.skipif(not ON_POSTGRES, reason="races are tested on PostgreSQL"),
              pytest.mark.usefixtures("english")]  # the threads' refusals are read in English
PHONE = "13800000001"


@pytest.fixture(autouse=True)
def frozen_now():
    clock.set_frozen(NOW)  # module-wide, so the threads see it too
    yield
    clock.set_frozen(None)


def setting(monkeypatch, owners_n=4):
    vote, owners = owners_vote(monkeypatch, "委托社区", 1, owners_n, NOW + timedelta(days=1))
    for i, owner in enumerate(owners):
        owner.phone = f"1390000{i:04d}"
    proxy_user = factories.user("代理", phone=PHONE)
    db.session.commit()
    return vote, owners, proxy_user


@pytest.mark.parametrize("round_", range(5))
def test_owner_and_proxy_at_once_leave_one_counted_ballot(app, monkeypatch, round_):
    vote, owners, proxy_user = setting(monkeypatch, 1)
    owner = owners[0]
    proxy, _r, _k = proxies.grant(owner, vote, service.electors_of(owner, vote)[0], "代理", PHONE)
    proxies.accept(proxy_user, proxy)
    db.session.commit()
    ids = (vote.id, owner.id, proxy_user.id, proxy.id)

    def attempt(i):
        from consult.accounts.models import User

        vote_ = db.session.get(Vote, ids[0])
        if i == 0:
            return service.cast(db.session.get(User, ids[1]), vote_, "agree",
                                replace_other=True)
        return proxies.cast(db.session.get(User, ids[2]), db.session.get(VoteProxy, ids[3]),
                            "oppose")

    results = race(app, 2, attempt, Refused)
    assert not any(isinstance(r, Exception) for r in results), results
    db.session.expire_all()
    counted = db.session.scalars(select(Ballot).where(Ballot.vote_id == ids[0],
                                                      Ballot.counted.is_(True))).all()
    assert len(counted) == 1
    if isinstance(results[1], str):  # the owner was first: the proxy is refused
        assert "voted themself" in results[1] and counted[0].cast_by_id == ids[1]
    else:  # the proxy was first: the owner's ballot replaced it, both are kept
        assert counted[0].cast_by_id == ids[1]
        assert db.session.scalar(select(func.count(Ballot.id))) == 2


def test_owners_naming_one_proxy_at_once_stay_within_the_limit(app, monkeypatch):
    vote, owners, _proxy_user = setting(monkeypatch, 6)
    ids = [(o.id, service.electors_of(o, vote)[0].id) for o in owners]
    vote_id = vote.id

    def attempt(i):
        from consult.accounts.models import User
        from consult.votes.models import Elector

        user_id, elector_id = ids[i]
        return proxies.grant(db.session.get(User, user_id), db.session.get(Vote, vote_id),
                             db.session.get(Elector, elector_id), "代理", PHONE)[0].id

    results = race(app, len(ids), attempt, Refused)
    assert not any(isinstance(r, Exception) for r in results), results
    assert sum(isinstance(r, int) for r in results) == 3
    assert all("already the proxy of 3 homes" in r for r in results if isinstance(r, str))
    db.session.expire_all()
    assert db.session.scalar(select(func.count(VoteProxy.id))
                             .where(VoteProxy.revoked_at.is_(None))) == 3


def test_revoking_while_the_proxy_votes(app, monkeypatch):
    vote, owners, proxy_user = setting(monkeypatch, 1)
    owner = owners[0]
    proxy, _r, _k = proxies.grant(owner, vote, service.electors_of(owner, vote)[0], "代理", PHONE)
    proxies.accept(proxy_user, proxy)
    db.session.commit()
    ids = (owner.id, proxy_user.id, proxy.id)

    def attempt(i):
        from consult.accounts.models import User

        p = db.session.get(VoteProxy, ids[2])
        if i == 0:
            return proxies.revoke(db.session.get(User, ids[0]), p).id
        return proxies.cast(db.session.get(User, ids[1]), p, "agree").id

    results = race(app, 2, attempt, Refused)
    assert not any(isinstance(r, Exception) for r in results), results
    db.session.expire_all()
    p = db.session.get(VoteProxy, ids[2])
    ballots = db.session.scalar(select(func.count(Ballot.id)))
    assert (p.revoked_at is None) == (ballots == 1)  # exactly one of the two happened
    assert sum(isinstance(r, int) for r in results) == 1
