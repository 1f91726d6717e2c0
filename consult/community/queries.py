"""Read helpers for the community tree, each a fixed number of queries."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from consult.community.models import (
    Building, Community, Grid, Ownership, Residency, ResidencyStatus, Unit,
)
from consult.extensions import db
from consult.written import Kept


def all_communities() -> list[Community]:
    return list(db.session.scalars(select(Community).order_by(Community.name)))


_NAMES = Kept(seconds=30)


def community_names() -> list[tuple[int, str]]:
    """Every community's id and name, by name: what a filter's choices need, without loading
    the communities; kept until something is written (consult/written.py)."""
    return _NAMES.get(lambda: [tuple(row) for row in db.session.execute(
        select(Community.id, Community.name).order_by(Community.name))])


def community_tree(community_id: int) -> Community | None:
    """A community with its grids and buildings loaded (units are counted, not loaded)."""
    return db.session.scalar(
        select(Community).where(Community.id == community_id)
        .options(selectinload(Community.grids).selectinload(Grid.buildings))
    )


def unit_counts_by_building(community_id: int) -> dict[int, int]:
    rows = db.session.execute(
        select(Unit.building_id, func.count(Unit.id))
        .join(Building, Unit.building_id == Building.id)
        .join(Grid, Building.grid_id == Grid.id)
        .where(Grid.community_id == community_id)
        .group_by(Unit.building_id)
    )
    return dict(rows.all())


_ALL_STATS = Kept(seconds=30)


def community_stats(community_ids: list[int] | None = None) -> dict[int, dict[str, int]]:
    """Per community: grids, buildings, units, owned units and verified residents. Those of
    every community (the home page) are kept until something is written (consult/written.py):
    counting the distinct verified residents was most of the home page's SQL."""
    if community_ids is None:
        return _ALL_STATS.get(_community_stats)
    return _community_stats(community_ids)


def _community_stats(community_ids: list[int] | None = None) -> dict[int, dict[str, int]]:
    stats: dict[int, dict[str, int]] = {}

    def put(key, rows):
        for cid, n in rows:
            stats.setdefault(cid, {"grids": 0, "buildings": 0, "units": 0, "residents": 0})
            stats[cid][key] = n

    put("grids", db.session.execute(
        select(Grid.community_id, func.count(Grid.id)).group_by(Grid.community_id)))
    put("buildings", db.session.execute(
        select(Grid.community_id, func.count(Building.id))
        .join(Building, Building.grid_id == Grid.id).group_by(Grid.community_id)))
    put("units", db.session.execute(
        select(Grid.community_id, func.count(Unit.id))
        .join(Building, Building.grid_id == Grid.id).join(Unit, Unit.building_id == Building.id)
        .group_by(Grid.community_id)))
    put("residents", db.session.execute(
        select(Grid.community_id, func.count(func.distinct(Residency.user_id)))
        .join(Building, Building.grid_id == Grid.id).join(Unit, Unit.building_id == Building.id)
        .join(Residency, Residency.unit_id == Unit.id)
        .where(Residency.status == ResidencyStatus.VERIFIED.value)
        .group_by(Grid.community_id)))
    return stats


def units_of_building(building_id: int) -> list[Unit]:
    return list(db.session.scalars(
        select(Unit).where(Unit.building_id == building_id).order_by(Unit.number)))


def owner_counts(unit_ids: list[int]) -> dict[int, int]:
    if not unit_ids:
        return {}
    return dict(db.session.execute(
        select(Ownership.unit_id, func.count(Ownership.id))
        .where(Ownership.unit_id.in_(unit_ids)).group_by(Ownership.unit_id)).all())
