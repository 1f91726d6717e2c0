"""What the secretary's activation page reads: how far activation has come, per building, and
the scopes codes can be issued for."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, distinct, func, select
from sqlalchemy.orm import selectinload

from consult.accounts.models import User
from consult.activation.models import ActivationCode
from consult.clock import utcnow
from consult.community.models import Building, Community, Grid, Ownership, Unit
from consult.extensions import db
from consult.permissions import may, membership


@dataclass(frozen=True)
class BuildingCount:
    building_id: int
    grid: str
    building: str
    owners: int  # roster owners (co-owners each count)
    activated: int  # of them, able to log in (activated, or an account of their own)
    outstanding: int  # of the others, with a live code (a letter or message on its way)
    never: int  # of the others, with no live code: never activated

    @property
    def waiting(self) -> int:
        return self.owners - self.activated


def _visible_grids(viewer, community: Community) -> set[int] | None:
    """None when ``viewer`` may issue for the whole community (a secretary or administrator);
    else the grids of the community they are a grid worker of."""
    if may(viewer, "activation.issue", community):
        return None
    m = membership(viewer)
    return {g for g, c in m.worker_grids.items() if c == community.id}


def counts(viewer, community: Community) -> list[BuildingCount]:
    """Per building of ``community`` (of the viewer's grids, for a grid worker): roster
    owners, activated, codes outstanding, never activated. One query, whatever the
    community's size."""
    grids = _visible_grids(viewer, community)
    now = utcnow()
    live = (select(ActivationCode.user_id)
            .where(ActivationCode.used_at.is_(None), ActivationCode.voided_at.is_(None),
                   ActivationCode.expires_at > now,
                   ActivationCode.community_id == community.id)
            .distinct().subquery())
    owner = Ownership.owner_id
    no_password = User.password_hash.is_(None)
    rows = db.session.execute(
        select(Building.id, Grid.name, Building.name,
               func.count(distinct(owner)),
               func.count(distinct(case((User.password_hash.is_not(None), owner)))),
               func.count(distinct(case((and_(no_password, live.c.user_id.is_not(None)),
                                         owner)))))
        .join(Grid, Building.grid_id == Grid.id)
        .outerjoin(Unit, Unit.building_id == Building.id)
        .outerjoin(Ownership, Ownership.unit_id == Unit.id)
        .outerjoin(User, User.id == owner)
        .outerjoin(live, live.c.user_id == owner)
        .where(Grid.community_id == community.id,
               *([Grid.id.in_(grids)] if grids is not None else []))
        .group_by(Building.id, Grid.name, Building.name)
        .order_by(Grid.name, Building.name))
    return [BuildingCount(building_id=b_id, grid=grid, building=name, owners=owners,
                          activated=activated, outstanding=outstanding,
                          never=owners - activated - outstanding)
            for b_id, grid, name, owners, activated, outstanding in rows]


def grids_of(viewer, community: Community) -> list[Grid]:
    """The community's grids (those the viewer works in, for a grid worker) with their
    buildings (two queries), for the scope choice."""
    grids = _visible_grids(viewer, community)
    return list(db.session.scalars(
        select(Grid).where(Grid.community_id == community.id,
                           *([Grid.id.in_(grids)] if grids is not None else []))
        .options(selectinload(Grid.buildings)).order_by(Grid.name)))
