"""Freezing a vote's electorate in the database: a few set-based statements, no row in Python.

What is stored is what :mod:`consult.votes.electorate` defines (and the offline tool computes in
Python with :func:`~consult.votes.electorate.owner_electors`):

* ``owners``: the units that share an owner, directly or through co-owners, are one elector
  (the connected parts of the graph of owners and units in the vote's area), numbered
  ``owner:1``, ``owner:2``... in the order of their first unit; the area is that of all their
  units, the building that of the first unit; every owner of those units is a member. The
  units without an owner are one more elector, ``developer``, stored last, with no member.
* ``households``: one elector per unit (``unit:<id>``), its verified residents the members.
* ``residents``: one elector per verified resident (``user:<id>``), in the building of their
  first home.

The grouping of owners is a label propagation in a temporary table: every owned unit starts
with its own id as label, then each round gives every unit the smallest label of the units that
share an owner with it, until a round changes nothing. Each round is one ``UPDATE``; a unit's
label only ever decreases, and at the end every unit carries the smallest unit id of its
connected part. Most estates need one round (nobody owns two homes) or two.

Units are listed by id, members by user id, as the Python version did, so the rows (and their
ids) come out in the same order. The caller locks the vote and commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import text

from consult.extensions import db
from consult.votes.models import Electorate, Vote

GROUPS = "freeze_unit_groups"


@dataclass
class Frozen:
    electors: int  # headcount total (every elector counts one)
    area: Decimal
    homes: int  # homes (owners, households) or people (residents) gone through


def _scope(vote: Vote) -> tuple[str, dict]:
    """SQL conditions on ``u`` (units), ``b`` (buildings), ``g`` (grids) for the vote's area."""
    where = "g.community_id = :community_id"
    params = {"community_id": vote.community_id, "vote_id": vote.id}
    if vote.building_id is not None:
        where += " AND u.building_id = :building_id"
        params["building_id"] = vote.building_id
    elif vote.grid_id is not None:
        where += " AND b.grid_id = :grid_id"
        params["grid_id"] = vote.grid_id
    return where, params


BG = "JOIN buildings b ON b.id = u.building_id JOIN grids g ON g.id = b.grid_id"
UNITS = f"units u {BG}"
LABEL = "g.name || b.name || u.number"  # as consult.votes.service._units_label


def _key(prefix: str, column: str) -> str:
    return f"'{prefix}' || CAST({column} AS TEXT)"


def _execute(sql: str, params: dict):
    return db.session.execute(text(sql), params)


def store_electorate(vote: Vote) -> Frozen:
    """Insert the electors of ``vote`` and their members; return the totals."""
    db.session.flush()
    where, params = _scope(vote)
    if vote.electorate == Electorate.OWNERS.value:
        _store_owners(vote, where, params)
    elif vote.electorate == Electorate.HOUSEHOLDS.value:
        _store_households(where, params)
    else:
        _store_residents(where, params)
    size, area = _execute("SELECT count(*), coalesce(sum(area), 0) FROM vote_electors "
                          "WHERE vote_id = :vote_id", params).one()
    if vote.electorate == Electorate.RESIDENTS.value:
        homes = size
    else:
        homes = _execute(f"SELECT count(*) FROM {UNITS} WHERE {where}", params).scalar()
    return Frozen(int(size), Decimal(str(area)).quantize(Decimal("0.01")), int(homes))


def _labels_by_group(dialect: str, group: str, order: str) -> str:
    """An aggregate: the units' labels of a group, in ``order``, joined with 、."""
    if dialect == "postgresql":
        return f"string_agg({LABEL}, '、' ORDER BY {order})"
    # SQLite before 3.44 has no ORDER BY in group_concat; as a window function over an ordered
    # window its order is defined. Every row of the group carries the whole list.
    return (f"group_concat({LABEL}, '、') OVER (PARTITION BY {group} ORDER BY {order} "
            f"ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)")


def _store_owners(vote: Vote, where: str, params: dict) -> None:
    dialect = db.session.get_bind().dialect.name
    _execute(f"DROP TABLE IF EXISTS {GROUPS}", {})
    _execute(f"CREATE TEMPORARY TABLE {GROUPS} (unit_id INTEGER PRIMARY KEY, "
             f"grp INTEGER NOT NULL)", {})
    try:
        _execute(f"INSERT INTO {GROUPS} (unit_id, grp) SELECT u.id, u.id FROM {UNITS} "
                 f"WHERE {where} AND EXISTS (SELECT 1 FROM ownerships o WHERE o.unit_id = u.id)",
                 params)
        if dialect == "postgresql":
            _execute(f"ANALYZE {GROUPS}", {})  # its size, for the plans below
        # Rounds of label propagation, until one changes nothing.
        while _execute(
                f"UPDATE {GROUPS} SET grp = m.grp FROM ("
                f" SELECT f1.unit_id, min(f2.grp) AS grp FROM {GROUPS} f1"
                f" JOIN ownerships o1 ON o1.unit_id = f1.unit_id"
                f" JOIN ownerships o2 ON o2.owner_id = o1.owner_id AND o2.unit_id <> o1.unit_id"
                f" JOIN {GROUPS} f2 ON f2.unit_id = o2.unit_id"
                f" WHERE f2.grp < f1.grp GROUP BY f1.unit_id) m"
                f" WHERE m.unit_id = {GROUPS}.unit_id",
                {}).rowcount:
            pass
        # One elector per group, numbered in the order of the groups' first units.
        if dialect == "postgresql":
            grouped = (f"SELECT f.grp, sum(u.area_m2) AS area, "
                       f"{_labels_by_group(dialect, 'f.grp', 'u.id')} AS label "
                       f"FROM {GROUPS} f JOIN units u ON u.id = f.unit_id {BG} GROUP BY f.grp")
        else:
            grouped = (f"SELECT grp, sum(area_m2) AS area, max(label) AS label FROM ("
                       f" SELECT f.grp, u.area_m2, "
                       f"{_labels_by_group(dialect, 'f.grp', 'u.id')} AS label"
                       f" FROM {GROUPS} f JOIN units u ON u.id = f.unit_id {BG}) GROUP BY grp")
        _execute(
            "INSERT INTO vote_electors (vote_id, key, headcount, area, units_label, building_id) "
            f"SELECT :vote_id, {_key('owner:', 'n')}, 1, area, label, building_id FROM ("
            f" SELECT row_number() OVER (ORDER BY t.grp) AS n, t.grp, round(t.area, 2) AS area,"
            f" t.label, first.building_id FROM ({grouped}) t"
            f" JOIN units first ON first.id = t.grp) numbered ORDER BY n", params)
        # The developer: every unit of the area without an owner, last.
        unsold = (f"{UNITS} WHERE {where} AND NOT EXISTS "
                  f"(SELECT 1 FROM ownerships o WHERE o.unit_id = u.id)")
        if dialect == "postgresql":
            developer = (f"SELECT sum(u.area_m2) AS area, min(u.id) AS first_id, "
                         f"{_labels_by_group(dialect, '', 'u.id')} AS label FROM {unsold}")
        else:
            developer = (f"SELECT sum(area_m2) AS area, min(id) AS first_id, max(label) AS label "
                         f"FROM (SELECT u.id, u.area_m2, group_concat({LABEL}, '、') OVER "
                         f"(ORDER BY u.id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED "
                         f"FOLLOWING) AS label FROM {unsold})")
        _execute(
            "INSERT INTO vote_electors (vote_id, key, headcount, area, units_label, building_id) "
            f"SELECT :vote_id, 'developer', 1, round(d.area, 2), d.label, first.building_id "
            f"FROM ({developer}) d JOIN units first ON first.id = d.first_id", params)
        # Members: every owner of the group's units, once.
        _execute(
            "INSERT INTO vote_elector_members (vote_id, elector_id, user_id) "
            "SELECT DISTINCT :vote_id, e.id, o.owner_id FROM ("
            f" SELECT grp, row_number() OVER (ORDER BY grp) AS n FROM {GROUPS} GROUP BY grp) r"
            f" JOIN {GROUPS} f ON f.grp = r.grp"
            " JOIN ownerships o ON o.unit_id = f.unit_id"
            f" JOIN vote_electors e ON e.vote_id = :vote_id AND e.key = {_key('owner:', 'r.n')}"
            " ORDER BY e.id, o.owner_id", params)
    finally:
        _execute(f"DROP TABLE IF EXISTS {GROUPS}", {})


VERIFIED = "r.status = 'verified'"


def _store_households(where: str, params: dict) -> None:
    _execute(
        "INSERT INTO vote_electors (vote_id, key, headcount, area, units_label, building_id) "
        f"SELECT :vote_id, {_key('unit:', 'u.id')}, 1, 0, {LABEL}, u.building_id FROM {UNITS} "
        f"WHERE {where} ORDER BY u.id", params)
    # The electors are the units of the area: joining them keeps the residents to the area.
    _execute(
        "INSERT INTO vote_elector_members (vote_id, elector_id, user_id) "
        "SELECT :vote_id, e.id, r.user_id FROM residencies r "
        f"JOIN vote_electors e ON e.vote_id = :vote_id AND e.key = {_key('unit:', 'r.unit_id')} "
        f"WHERE {VERIFIED} ORDER BY r.user_id, r.unit_id", params)


def _store_residents(where: str, params: dict) -> None:
    _execute(
        "INSERT INTO vote_electors (vote_id, key, headcount, area, units_label, building_id) "
        f"SELECT :vote_id, {_key('user:', 'p.user_id')}, 1, 0, '', first.building_id FROM ("
        f" SELECT r.user_id, min(u.id) AS unit_id FROM residencies r"
        f" JOIN units u ON u.id = r.unit_id {BG} WHERE {where} AND {VERIFIED}"
        f" GROUP BY r.user_id) p JOIN units first ON first.id = p.unit_id ORDER BY p.user_id",
        params)
    _execute(
        "INSERT INTO vote_elector_members (vote_id, elector_id, user_id) "
        "SELECT :vote_id, e.id, CAST(substr(e.key, 6) AS INTEGER) FROM vote_electors e "
        "WHERE e.vote_id = :vote_id ORDER BY e.id", params)
