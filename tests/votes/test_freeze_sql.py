"""The set-based freeze (consult/votes/freeze.py) stores exactly what the Python freeze it
replaced stored: the same electors (keys, headcounts, areas, labels, buildings, in the same
order) and the same members, for owners, households and residents, in every kind of area, on a
roster that tries the grouping: co-owners, owners of several homes, chains of co-ownership that
take several rounds to join, an owner whose homes lie in two grids, an owner with a home in
another community, unsold units, pending and refused residencies. The reference is the Python
version, kept here as it was (it grouped units with
:func:`consult.votes.electorate.owner_electors`, which the offline tool still uses)."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, inspect, select
from sqlalchemy.exc import IntegrityError

from consult.community.models import (
    Building, Grid, Ownership, Residency, ResidencyStatus, Unit,
)
from consult.extensions import db
from consult.votes import service
from consult.votes.electorate import UnitRecord, owner_electors
from consult.votes.models import Elector, ElectorMember, Electorate, Vote
from tests import factories

T0 = datetime(2026, 12, 1, 1, 0)


# --- the Python freeze as it was (the reference) ----------------------------------------------

def _units_label(rows) -> str:
    return "、".join(f"{r.grid_name}{r.name}{r.number}" for r in rows)


def reference_rows(vote: Vote) -> tuple[list[dict], list[tuple[str, int]]]:
    """Who may vote in ``vote``, read from the roster in a fixed number of queries: the
    electors (dicts of :class:`Elector` columns, and ``"done"``, the homes or people each one
    accounts for in :func:`expected_electorate`'s count) and the members (elector key, user
    id)."""
    in_scope = service._units_in_scope(vote)
    base = (select(Unit.id, Unit.number, Unit.area_m2, Unit.building_id, Building.name,
                   Grid.name.label("grid_name"))
            .join(Building, Unit.building_id == Building.id)
            .join(Grid, Building.grid_id == Grid.id).where(*in_scope))
    electors: list[dict] = []
    members: list[tuple[str, int]] = []  # (elector key, user id)
    if vote.electorate == Electorate.OWNERS.value:
        rows = db.session.execute(base.add_columns(Ownership.owner_id)
                                  .outerjoin(Ownership, Ownership.unit_id == Unit.id)
                                  .order_by(Unit.id, Ownership.owner_id)).all()
        info, owners = {}, {}
        for r in rows:
            info[r.id] = r
            owners.setdefault(r.id, [])
            if r.owner_id is not None:
                owners[r.id].append(r.owner_id)
        records = [UnitRecord(uid, info[uid].area_m2, tuple(owners[uid]),
                              info[uid].building_id) for uid in info]
        for e in owner_electors(records):
            first = info[e.unit_ids[0]]
            electors.append({"key": e.key, "headcount": e.headcount, "area": e.area,
                             "building_id": first.building_id,
                             "units_label": _units_label(info[u] for u in e.unit_ids),
                             "done": len(e.unit_ids)})
            members += [(e.key, uid) for uid in sorted(e.owners)]
    else:
        verified = db.session.execute(
            service._verified_in_scope(vote).order_by(Residency.user_id, Residency.unit_id)).all()
        if vote.electorate == Electorate.HOUSEHOLDS.value:
            for r in db.session.execute(base.order_by(Unit.id)).all():
                electors.append({"key": f"unit:{r.id}", "headcount": 1, "area": Decimal("0"),
                                 "building_id": r.building_id, "units_label": _units_label([r]),
                                 "done": 1})
            members = [(f"unit:{unit_id}", user_id) for user_id, unit_id in verified]
        else:
            buildings = dict(db.session.execute(base.with_only_columns(
                Unit.id, Unit.building_id)).all())
            seen = set()
            for user_id, unit_id in verified:
                if user_id in seen:
                    continue
                seen.add(user_id)
                electors.append({"key": f"user:{user_id}", "headcount": 1, "area": Decimal("0"),
                                 "building_id": buildings[unit_id], "units_label": "",
                                 "done": 1})
                members.append((f"user:{user_id}", user_id))
    return electors, members


def insert_electors(vote: Vote, electors: list[dict], members: list[tuple[str, int]]) -> None:
    """Store ``electors`` of :func:`electorate_rows` and those of ``members`` who belong to
    them (bulk inserts)."""
    if not electors:
        return
    ids = dict(db.session.execute(
        insert(Elector).returning(Elector.key, Elector.id, sort_by_parameter_order=True),
        [{k: v for k, v in e.items() if k != "done"} | {"vote_id": vote.id}
         for e in electors]).all())
    rows = [{"vote_id": vote.id, "elector_id": ids[key], "user_id": uid}
            for key, uid in members if key in ids]
    if rows:
        db.session.execute(insert(ElectorMember), rows)


# --- the roster -------------------------------------------------------------------------------

AREAS = ["100.00", "80.50", "60.25", "33.33", "66.67", "0.01", "90.00", "120.10",
         "45.55", "77.77", "88.88", "99.99", "10.10", "20.20", "30.30", "40.40"]


@pytest.fixture
def roster(app):
    """Two grids of two buildings of four units (u[0]..u[15], ids in that order)."""
    c = factories.community("交错社区", grids=2, buildings=2, units=4)
    u = [unit for g in c.grids for b in g.buildings for unit in b.units]
    for unit, area in zip(u, AREAS):
        unit.area_m2 = Decimal(area)
    db.session.flush()
    people = {n: factories.user(n) for n in "ABCDEFGHIJKLM"}

    def own(name, *units):
        for unit in units:
            factories.owner(people[name], u[unit])

    own("A", 0, 5)  # two homes, two buildings: one elector
    own("B", 1)
    own("C", 1, 7)  # co-owner of u1 with B, owns u7 too
    own("D", 7, 3)  # joins u7 to u3
    own("E", 3, 2)  # co-owner of u3, owns u2: u1, u2, u3, u7 are one elector
    own("F", 15, 14)  # a chain from the highest unit down: several rounds to join
    own("G", 14, 13)
    own("H", 13, 12)
    own("I", 4, 11)  # one home in each grid
    own("J", 9)
    own("K", 8)
    # u6 and u10 are unsold: the developer's
    other = factories.community("别的社区", grids=1, buildings=1, units=2)
    factories.owner(people["J"], other.grids[0].buildings[0].units[0])  # elsewhere: no join
    factories.owner(people["L"], other.grids[0].buildings[0].units[1])

    def live(name, unit, status=ResidencyStatus.VERIFIED):
        db.session.add(Residency(user_id=people[name].id, unit_id=u[unit].id, relation="owner",
                                 status=status.value))

    live("A", 0)
    live("A", 5)  # lives in two homes: one resident, in the building of the first
    live("B", 1)
    live("C", 1)
    live("M", 6)  # a tenant of an unsold unit
    live("M", 12)
    live("F", 15)
    live("G", 14, ResidencyStatus.PENDING)
    live("H", 13, ResidencyStatus.REFUSED)
    live("L", 10)
    db.session.flush()
    topic = factories.topic(c, people["A"], stage="voting")
    db.session.commit()
    return c, topic, u


def scopes(c):
    g1, g2 = c.grids
    return [("community", None, None), ("grid 1", g1.id, None), ("grid 2", g2.id, None),
            ("building", g2.id, g2.buildings[1].id), ("building", g1.id, g1.buildings[0].id)]


def stored(vote):
    electors = db.session.execute(
        select(Elector.key, Elector.headcount, Elector.area, Elector.units_label,
               Elector.building_id).where(Elector.vote_id == vote.id).order_by(Elector.id)).all()
    members = db.session.execute(
        select(Elector.key, ElectorMember.user_id)
        .join(Elector, Elector.id == ElectorMember.elector_id)
        .where(ElectorMember.vote_id == vote.id)
        .order_by(ElectorMember.id)).all()
    return [tuple(e) for e in electors], [tuple(m) for m in members]


@pytest.mark.parametrize("electorate", [e.value for e in Electorate])
def test_the_set_based_freeze_stores_what_the_python_freeze_stored(roster, electorate):
    c, topic, u = roster
    for name, grid_id, building_id in scopes(c):
        vote = Vote(topic_id=topic.id, community_id=c.id, grid_id=grid_id,
                    building_id=building_id, question=f"{electorate} {name}",
                    options=["agree", "oppose", "abstain"], electorate=electorate,
                    rule="simple_majority", opens_at=T0, closes_at=T0 + timedelta(days=7))
        db.session.add(vote)
        db.session.flush()
        electors, members = reference_rows(vote)
        service.freeze_electorate(vote)
        db.session.flush()
        got_electors, got_members = stored(vote)
        want = [(e["key"], e["headcount"], Decimal(e["area"]), e["units_label"],
                 e["building_id"]) for e in electors]
        assert [(k, h, Decimal(a), lbl, b) for k, h, a, lbl, b in got_electors] == want, name
        # The same members, stored in the same order (those of an elector of the vote).
        keys = {e["key"] for e in electors}
        assert got_members == [m for m in members if m[0] in keys], name
        assert vote.electorate_size == sum(e["headcount"] for e in electors)
        assert vote.area_total == sum((e["area"] for e in electors), Decimal("0"))
    db.session.rollback()


def test_the_grouping_on_the_tricky_roster(roster):
    """What the reference computes there, said plainly (so both cannot be wrong alike)."""
    c, topic, u = roster
    vote = Vote(topic_id=topic.id, community_id=c.id, question="全体业主",
                options=["agree", "oppose", "abstain"], electorate="owners",
                rule="civil_code_ordinary", opens_at=T0, closes_at=T0 + timedelta(days=7))
    db.session.add(vote)
    db.session.flush()
    service.freeze_electorate(vote)
    electors, _members = stored(vote)
    labels = {key: label for key, _h, _a, label, _b in electors}
    one, two = c.grids
    name = {unit.id: f"{g.name}{b.name}{unit.number}"
            for g in c.grids for b in g.buildings for unit in b.units}
    assert list(labels) == [f"owner:{n}" for n in range(1, 7)] + ["developer"]
    assert labels["owner:1"] == "、".join(name[u[i].id] for i in (0, 5))  # A
    assert labels["owner:2"] == "、".join(name[u[i].id] for i in (1, 2, 3, 7))  # B C D E
    assert labels["owner:3"] == "、".join(name[u[i].id] for i in (4, 11))  # I
    assert labels["owner:4"] == name[u[8].id]  # K
    assert labels["owner:5"] == name[u[9].id]  # J
    assert labels["owner:6"] == "、".join(name[u[i].id] for i in (12, 13, 14, 15))  # F G H
    assert labels["developer"] == "、".join(name[u[i].id] for i in (6, 10))
    assert vote.electorate_size == 7
    assert vote.area_total == sum((Decimal(a) for a in AREAS), Decimal("0"))
    db.session.rollback()


def _frozen_vote(c, topic, question: str) -> Vote:
    vote = Vote(topic_id=topic.id, community_id=c.id, question=question,
                options=["agree", "oppose", "abstain"], electorate="owners",
                rule="civil_code_ordinary", opens_at=T0, closes_at=T0 + timedelta(days=7))
    db.session.add(vote)
    db.session.flush()
    service.freeze_electorate(vote)
    db.session.commit()
    return vote


def test_a_member_is_of_its_electors_vote_and_goes_with_it(roster):
    """Migration 0033: one key (elector, vote) for a member. The database refuses a member
    whose vote is not its elector's, and deleting a vote deletes its members with its
    electors."""
    c, topic, u = roster
    first, second = _frozen_vote(c, topic, "一"), _frozen_vote(c, topic, "二")
    elector = db.session.scalars(select(Elector).where(Elector.vote_id == first.id)).first()
    user_id = db.session.scalars(select(ElectorMember.user_id)
                                 .where(ElectorMember.elector_id == elector.id)).first()
    db.session.add(ElectorMember(vote_id=second.id, elector_id=elector.id, user_id=user_id))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    before = db.session.scalar(select(func.count()).select_from(ElectorMember)
                               .where(ElectorMember.vote_id == second.id))
    assert before == 11  # the owners A..K
    db.session.execute(delete(Vote).where(Vote.id == first.id))
    db.session.commit()
    left = db.session.execute(select(ElectorMember.vote_id, func.count())
                              .group_by(ElectorMember.vote_id)).all()
    assert left == [(second.id, before)]
    assert db.session.scalar(select(func.count()).select_from(Elector)
                             .where(Elector.vote_id == first.id)) == 0


def test_migration_0033_keeps_the_frozen_members(roster, database_url):
    """Down to the two keys and up again on a database with a frozen vote: every member is
    still there, and the one key is back."""
    from flask_migrate import downgrade, upgrade

    c, topic, u = roster
    vote = _frozen_vote(c, topic, "迁移")
    members = stored(vote)[1]
    db.session.remove()
    try:
        downgrade(revision="0032_topics_stage_index")
        keys = {fk["name"] for fk in inspect(db.engine).get_foreign_keys("vote_elector_members")}
        assert "fk_vote_elector_members_vote_id_votes" in keys
        assert stored(vote)[1] == members
        db.session.remove()
    finally:
        upgrade()
    keys = {fk["name"] for fk in inspect(db.engine).get_foreign_keys("vote_elector_members")}
    assert "fk_vote_elector_members_elector_vote_vote_electors" in keys
    assert "fk_vote_elector_members_vote_id_votes" not in keys
    assert stored(vote)[1] == members
