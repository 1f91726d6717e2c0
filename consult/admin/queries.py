"""Reads for the administration pages.

Every id that comes from a URL or a form is looked up *within* the community being managed:
an id belonging to another community finds nothing, and the view answers 404. Each helper runs
a fixed number of queries whatever the size of the data.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, joinedload

from consult.accounts.models import RoleGrant, User
from consult.community.models import (
    Building, Grid, Ownership, Residency, ResidencyStatus, Unit,
)
from consult.extensions import db


def grid_in(community_id: int, grid_id: int | None) -> Grid | None:
    if grid_id is None:
        return None
    return db.session.scalar(
        select(Grid).where(Grid.id == grid_id, Grid.community_id == community_id))


def building_in(community_id: int, building_id: int) -> Building | None:
    return db.session.scalar(
        select(Building).join(Grid, Building.grid_id == Grid.id)
        .where(Building.id == building_id, Grid.community_id == community_id)
        .options(contains_eager(Building.grid)))


def unit_in(community_id: int, unit_id: int) -> Unit | None:
    return db.session.scalar(
        select(Unit).join(Building, Unit.building_id == Building.id)
        .join(Grid, Building.grid_id == Grid.id)
        .where(Unit.id == unit_id, Grid.community_id == community_id)
        .options(contains_eager(Unit.building).contains_eager(Building.grid)))


def grant_in(community_id: int, grant_id: int) -> RoleGrant | None:
    return db.session.scalar(
        select(RoleGrant).where(RoleGrant.id == grant_id, RoleGrant.community_id == community_id)
        .options(joinedload(RoleGrant.user)))


def grants_of(community_id: int) -> list[RoleGrant]:
    """The role grants of a community with their holders (one query)."""
    return list(db.session.scalars(
        select(RoleGrant).join(User, RoleGrant.user_id == User.id)
        .where(RoleGrant.community_id == community_id)
        .options(contains_eager(RoleGrant.user))
        .order_by(User.name, User.id)))


def buildings_of_grid(grid_id: int) -> list[Building]:
    return list(db.session.scalars(
        select(Building).where(Building.grid_id == grid_id).order_by(Building.name)))


def people_counts_by_unit(building_id: int) -> tuple[dict[int, int], dict[int, int]]:
    """Owners of record and verified residents per unit of a building (two queries)."""
    owners = dict(db.session.execute(
        select(Ownership.unit_id, func.count(Ownership.id))
        .join(Unit, Ownership.unit_id == Unit.id)
        .where(Unit.building_id == building_id)
        .group_by(Ownership.unit_id)).all())
    verified = dict(db.session.execute(
        select(Residency.unit_id, func.count(Residency.id))
        .join(Unit, Residency.unit_id == Unit.id)
        .where(Unit.building_id == building_id,
               Residency.status == ResidencyStatus.VERIFIED.value)
        .group_by(Residency.unit_id)).all())
    return owners, verified
