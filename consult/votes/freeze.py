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

GROUPS = "freeze_unit_groups"  # unit sharing an owner -> its group (its smallest unit id)
KEYS = "freeze_group_keys"  # SQLite: group -> its elector's key


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
    if db.session.get_bind().dialect.name == "postgresql":
        # Sorts of 100,000 rows in memory rather than on disk; for this transaction only.
        _execute("SET LOCAL work_mem = '64MB'", {})
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


DEVELOPER_GROUP = 2 ** 62  # sorts after every unit id: the developer's elector comes last


def _store_owners(vote: Vote, where: str, params: dict) -> None:
    dialect = db.session.get_bind().dialect.name
    params = params | {"developer": DEVELOPER_GROUP}
    owned = "u.id IN (SELECT unit_id FROM ownerships)"  # one hashed set, not a probe per unit
    _execute(f"DROP TABLE IF EXISTS {GROUPS}", {})
    _execute(f"CREATE TEMPORARY TABLE {GROUPS} (unit_id INTEGER PRIMARY KEY, "
             f"grp INTEGER NOT NULL)", {})
    # The units that share an owner with another unit of the area: the only ones whose group
    # is not the unit itself (co-owners of one unit alone need no grouping).
    owned_in_scope = f"ownerships o JOIN units u ON u.id = o.unit_id {BG} WHERE {where}"
    _execute(f"INSERT INTO {GROUPS} (unit_id, grp) SELECT DISTINCT o.unit_id, o.unit_id "
             f"FROM {owned_in_scope} AND o.owner_id IN (SELECT o.owner_id FROM "
             f"{owned_in_scope} GROUP BY o.owner_id HAVING count(*) > 1)", params)
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
    # Every unit of the area with its group: its own id, its group's first unit, or the
    # developer's for an unsold unit.
    units = (f"SELECT CASE WHEN {owned} THEN coalesce(f.grp, u.id) ELSE :developer END AS grp, "
             f"u.id, u.area_m2, {LABEL} AS label FROM {UNITS} "
             f"LEFT JOIN {GROUPS} f ON f.unit_id = u.id WHERE {where}")
    if dialect == "postgresql":
        grouped = (f"SELECT grp, sum(area_m2) AS area, min(id) AS first_id, "
                   f"string_agg(label, '、' ORDER BY id) AS label FROM ({units}) x GROUP BY grp")
    else:
        # SQLite before 3.44 has no ORDER BY in group_concat; as a window function over an
        # ordered window its order is defined, and every row of the group has the whole list.
        grouped = (f"SELECT grp, sum(area_m2) AS area, min(id) AS first_id, max(labels) AS label "
                   f"FROM (SELECT x.*, group_concat(label, '、') OVER (PARTITION BY grp "
                   f"ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) "
                   f"AS labels FROM ({units}) x) y GROUP BY grp")
    _execute(
        "INSERT INTO vote_electors (vote_id, key, headcount, area, units_label, building_id) "
        "SELECT :vote_id, CASE WHEN t.grp = :developer THEN 'developer' ELSE "
        f"{_key('owner:', 'row_number() OVER (ORDER BY t.grp)')} END, 1, round(t.area, 2), "
        f"t.label, first.building_id FROM ({grouped}) t "
        "JOIN units first ON first.id = t.first_id ORDER BY t.grp", params)
    # Members: every owner of a group's units, once. The owners' electors are numbered as
    # above (the developer's, last, changes no number).
    keys = (f"SELECT grp, {_key('owner:', 'row_number() OVER (ORDER BY grp)')} AS key FROM ("
            f"SELECT DISTINCT coalesce(f.grp, u.id) AS grp FROM {UNITS} "
            f"LEFT JOIN {GROUPS} f ON f.unit_id = u.id WHERE {where} AND {owned}) d")
    if dialect == "sqlite":
        # SQLite would scan the numbered groups once per ownership: they go in a table first.
        _execute(f"DROP TABLE IF EXISTS {KEYS}", {})
        _execute(f"CREATE TEMPORARY TABLE {KEYS} (grp INTEGER PRIMARY KEY, key TEXT NOT NULL)",
                 {})
        _execute(f"INSERT INTO {KEYS} (grp, key) {keys}", params)
        keys = f"SELECT grp, key FROM {KEYS}"
    _execute(
        "INSERT INTO vote_elector_members (vote_id, elector_id, user_id) "
        f"SELECT DISTINCT :vote_id, e.id, o.owner_id FROM ownerships o"
        f" LEFT JOIN {GROUPS} f ON f.unit_id = o.unit_id"
        f" JOIN ({keys}) k ON k.grp = coalesce(f.grp, o.unit_id)"
        " JOIN vote_electors e ON e.vote_id = :vote_id AND e.key = k.key"
        " ORDER BY e.id, o.owner_id", params)
    # A failure rolls the table back with the rest; on success it goes now (SQLite keeps
    # temporary tables until the connection closes).
    _execute(f"DROP TABLE IF EXISTS {GROUPS}", {})
    _execute(f"DROP TABLE IF EXISTS {KEYS}", {})


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
