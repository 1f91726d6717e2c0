"""Who may vote (选民): building the electorate of a vote from the community's roster.

For ``owners`` (业主共同决定) the headcount rules of the judicial interpretation apply:

* one unit counts as one owner however many co-owners it has;
* one owner with several units counts once, with the area of all of them;
* all units not yet sold (no owner of record) count together as one owner, the developer,
  whose area is in the total.

Units that share an owner are therefore one elector: the connected parts of the graph of owners
and units. Such an elector casts one ballot; any of its owners may cast it, and the last one
counts. The pure function :func:`owner_electors` does this grouping for the site and for the
auditor's offline tally alike.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

DEVELOPER = "developer"


@dataclass(frozen=True)
class UnitRecord:
    unit_id: object  # a database id, or (grid, building, unit) in the offline tool
    area: Decimal
    owners: tuple = ()  # owner identities: user ids, or phones/e-mails/names offline
    building: object = None


@dataclass
class OwnerElector:
    key: str
    unit_ids: list = field(default_factory=list)
    owners: set = field(default_factory=set)
    area: Decimal = Decimal("0")
    headcount: int = 1

    @property
    def is_developer(self) -> bool:
        return self.key == DEVELOPER


def owner_electors(units: Iterable[UnitRecord]) -> list[OwnerElector]:
    """Group units into owner electors (see the module docstring). Deterministic order."""
    parent: dict = {}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a, b):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb, key=repr)] = min(ra, rb, key=repr)

    units = list(units)
    developer = OwnerElector(DEVELOPER)
    for u in units:
        if not u.owners:
            continue
        node = ("unit", u.unit_id)
        parent.setdefault(node, node)
        for owner in u.owners:
            o = ("owner", owner)
            parent.setdefault(o, o)
            union(node, o)
    groups: dict = {}
    for u in units:
        if not u.owners:
            developer.unit_ids.append(u.unit_id)
            developer.area += u.area
            continue
        root = find(("unit", u.unit_id))
        elector = groups.get(root)
        if elector is None:
            elector = groups[root] = OwnerElector(f"owner:{len(groups) + 1}")
        elector.unit_ids.append(u.unit_id)
        elector.owners.update(u.owners)
        elector.area += u.area
    electors = list(groups.values())
    if developer.unit_ids:
        electors.append(developer)
    return electors
