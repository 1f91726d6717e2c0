"""A topic whose vote has closed, for the outcome tests: one grid of two buildings, residents
in both, a secretary, and a resident of another community."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from consult import clock
from consult.accounts.models import Role
from consult.community.models import ResidencyStatus
from consult.extensions import db
from consult.votes import service as votes
from consult.votes.service import VoteSpec
from tests import factories

T0 = datetime(2026, 12, 1, 1, 0)  # the vote opens
CLOSED = T0 + timedelta(days=7, hours=1)  # an hour after it closed


@dataclass
class World:
    community: object
    topic: object
    vote: object
    people: dict


def build(monkeypatch, *, agree: int = 3, building_scope: bool = False,
          stay_home: tuple = ()) -> World:
    monkeypatch.setattr(votes, "vote_resolution_of", lambda topic: object())
    c = factories.community("幸福里社区", grids=1, buildings=2, units=3)
    b1, b2 = c.grids[0].buildings
    people = {}
    for i, unit in enumerate(b1.units):
        people[f"r{i}"] = factories.resident(c, f"一栋居民{i}", unit=unit)
    people["b2"] = factories.resident(c, "二栋居民", unit=b2.units[0])
    people["pending"] = factories.resident(c, "待认证", unit=b2.units[1],
                                           status=ResidencyStatus.PENDING)
    people["secretary"] = factories.office_holder(c, Role.SECRETARY, "秘书")
    people["representative"] = factories.office_holder(c, Role.REPRESENTATIVE, "代表")
    other = factories.community("别的社区")
    people["elsewhere"] = factories.resident(other, "外社区居民")
    people["other_secretary"] = factories.office_holder(other, Role.SECRETARY, "外社区秘书")
    people["logged_in"] = factories.user("路人")
    topic = factories.topic(c, people["r0"], stage="deliberating", title="楼道加装扶手",
                            building=b1 if building_scope else None)
    db.session.commit()
    scope = f"building:{b1.id}" if building_scope else f"community:{c.id}"
    with clock.frozen(T0):
        vote = votes.open_vote(people["secretary"], topic, VoteSpec(
            question="是否同意加装楼道扶手？", electorate="residents", rule="simple_majority",
            scope_key=scope, opens_at=T0, closes_at=T0 + timedelta(days=7)))
        db.session.commit()
    voters = [people[k] for k in ("r0", "r1", "r2", "b2")]
    with clock.frozen(T0 + timedelta(hours=1)):
        for i, person in enumerate(voters):
            if (building_scope and person is people["b2"]) or person.name in stay_home:
                continue
            votes.cast(person, vote, "agree" if i < agree else "oppose")
        db.session.commit()
    return World(c, topic, vote, people)
