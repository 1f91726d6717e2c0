"""Rules for administering the community tree and the role grants.

Plain functions, no HTTP: each validates its input, changes the session and appends an audit
entry in the same transaction, or raises :class:`Refused` (a message and the form field it
concerns) before changing anything. The caller commits or rolls back. Who may call them is
decided by the permission table (:mod:`consult.permissions`) in the views.

Uniqueness is checked in Python for a clear message, and again by the database's UNIQUE
constraints: two requests racing past the check get the same message, not a server error.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from consult.accounts.models import GRID_ROLES, Role, RoleGrant
from consult.accounts.queries import find_by_identifier
from consult.audit.log import record
from consult.community.models import (
    Building, Community, Grid, Ownership, Residency, ResidencyStatus, Unit,
)
from consult.extensions import db
from consult.permissions import forget_memberships
from consult.refusals import Refused
from consult.votes import rules as vote_rules

NAME_MAX = 80  # community, grid and building names, district, street office
UNIT_NUMBER_MAX = 40
THRESHOLD_MIN, THRESHOLD_MAX = 1, 500
DEFAULT_THRESHOLD = 10
# units.area_m2 is NUMERIC(10, 2): at most 8 digits before the point.
AREA_LIMIT = Decimal("100000000")
_AREA = re.compile(r"(\d+)(?:\.(\d+))?")


# --- input ---------------------------------------------------------------------------------

def clean_text(raw, field: str = "name", *, max_len: int = NAME_MAX,
               required: bool = True) -> str:
    text = (raw or "").strip()
    if required and not text:
        raise Refused(_l("Please fill this in."), field)
    if len(text) > max_len:
        raise Refused(_l("At most %(max)d characters.", max=max_len), field)
    return text


def parse_area(raw, field: str = "area_m2") -> Decimal:
    """A floor area in m²: a positive number with at most two decimal places, written with a
    point ("88.5", "88.50", "120"). Exponents, signs, commas and text are refused."""
    text = str(raw if raw is not None else "").strip()
    if not text:
        raise Refused(_l("Enter the floor area in square metres."), field)
    match = _AREA.fullmatch(text)
    if match is None:
        raise Refused(_l("Enter the area as a number in square metres, for example 88.50."),
                         field)
    if match.group(2) is not None and len(match.group(2)) > 2:
        raise Refused(_l("The area can have at most two decimal places, for example 88.50."),
                         field)
    area = Decimal(text)
    if area <= 0:
        raise Refused(_l("The area must be more than 0."), field)
    if area >= AREA_LIMIT:
        raise Refused(_l("This area is too large."), field)
    return area.quantize(Decimal("0.01"))


def check_threshold(value, field: str = "cosign_threshold") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Refused(_l("Enter a whole number."), field)
    if not THRESHOLD_MIN <= value <= THRESHOLD_MAX:
        raise Refused(_l("Choose a number from %(min)d to %(max)d.",
                            min=THRESHOLD_MIN, max=THRESHOLD_MAX), field)
    return value


def _flush_unique(message, field: str) -> None:
    """Write pending changes; a UNIQUE violation (a concurrent request won the race) becomes
    the same refusal the Python check gives."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Refused(message, field) from None


# --- communities ---------------------------------------------------------------------------

_COMMUNITY_TAKEN = _l("A community with this name already exists.")


def _community_name_taken(name: str, except_id: int | None = None) -> bool:
    query = select(Community.id).where(Community.name == name)
    if except_id is not None:
        query = query.where(Community.id != except_id)
    return db.session.scalar(query.limit(1)) is not None


def _community_fields(name, district, street_office, cosign_threshold) -> dict:
    return {
        "name": clean_text(name, "name"),
        "district": clean_text(district, "district", required=False),
        "street_office": clean_text(street_office, "street_office", required=False),
        "cosign_threshold": check_threshold(cosign_threshold),
    }


def create_community(actor, *, name, district="", street_office="",
                     cosign_threshold=DEFAULT_THRESHOLD) -> Community:
    fields = _community_fields(name, district, street_office, cosign_threshold)
    if _community_name_taken(fields["name"]):
        raise Refused(_COMMUNITY_TAKEN, "name")
    community = Community(**fields)
    db.session.add(community)
    _flush_unique(_COMMUNITY_TAKEN, "name")
    record("community.create", community, actor=actor, community_id=community.id,
           details=fields)
    return community


def update_community(actor, community: Community, *, name, district, street_office,
                     cosign_threshold) -> dict:
    """Change the community's fields; returns ``{field: [old, new]}`` (empty: nothing
    changed, nothing written)."""
    fields = _community_fields(name, district, street_office, cosign_threshold)
    if fields["name"] != community.name and _community_name_taken(fields["name"], community.id):
        raise Refused(_COMMUNITY_TAKEN, "name")
    changes = {key: [getattr(community, key), value] for key, value in fields.items()
               if getattr(community, key) != value}
    if not changes:
        return changes
    for key, (_old, new) in changes.items():
        setattr(community, key, new)
    _flush_unique(_COMMUNITY_TAKEN, "name")
    record("community.update", community, actor=actor, community_id=community.id,
           details={"changes": changes})
    return changes


def update_vote_settings(actor, community: Community, *, notice_days,
                         min_open_days) -> dict:
    """Change the notice (days between a Civil Code vote's announcement and its opening) and
    the shortest voting time of the community's owners' votes; returns ``{field: [old, new]}``
    (empty: nothing changed, nothing written). Votes already announced keep theirs."""
    if (why := vote_rules.settings_refusal(notice_days, min_open_days)) is not None:
        raise Refused(why.message, why.field)
    fields = {"vote_notice_days": notice_days, "vote_min_open_days": min_open_days}
    changes = {key: [getattr(community, key), value] for key, value in fields.items()
               if getattr(community, key) != value}
    if not changes:
        return changes
    for key, (_old, new) in changes.items():
        setattr(community, key, new)
    db.session.flush()
    record("community.vote_settings", community, actor=actor, community_id=community.id,
           details={"changes": changes})
    return changes


# --- who would lose their data -------------------------------------------------------------

@dataclass(frozen=True)
class People:
    """People attached to a set of homes: owners of record, verified residents and residents
    waiting for verification."""

    owners: int = 0
    verified: int = 0
    pending: int = 0

    @property
    def any(self) -> bool:
        return bool(self.owners or self.verified or self.pending)

    def counts(self) -> dict[str, int]:
        return {"owners": self.owners, "verified": self.verified, "pending": self.pending}


def people_in(*, unit_id: int | None = None, building_id: int | None = None,
              grid_id: int | None = None) -> People:
    """Two queries, whatever the size of the scope."""
    def scoped(query):
        if unit_id is not None:
            return query.where(Unit.id == unit_id)
        if building_id is not None:
            return query.where(Unit.building_id == building_id)
        return query.join(Building, Unit.building_id == Building.id).where(
            Building.grid_id == grid_id)

    owners = db.session.scalar(scoped(
        select(func.count(Ownership.id)).join(Unit, Ownership.unit_id == Unit.id)))
    by_status = dict(db.session.execute(scoped(
        select(Residency.status, func.count(Residency.id))
        .join(Unit, Residency.unit_id == Unit.id)
        .where(Residency.status.in_([ResidencyStatus.VERIFIED.value,
                                     ResidencyStatus.PENDING.value]))
        .group_by(Residency.status))).all())
    return People(owners=owners or 0,
                  verified=by_status.get(ResidencyStatus.VERIFIED.value, 0),
                  pending=by_status.get(ResidencyStatus.PENDING.value, 0))


def _unit_count(*, building_id: int | None = None, grid_id: int | None = None) -> int:
    query = select(func.count(Unit.id))
    if building_id is not None:
        query = query.where(Unit.building_id == building_id)
    else:
        query = query.join(Building, Unit.building_id == Building.id).where(
            Building.grid_id == grid_id)
    return db.session.scalar(query) or 0


# --- grids ---------------------------------------------------------------------------------

_GRID_TAKEN = _l("This community already has a grid with this name.")


def _grid_name_taken(community_id: int, name: str, except_id: int | None = None) -> bool:
    query = select(Grid.id).where(Grid.community_id == community_id, Grid.name == name)
    if except_id is not None:
        query = query.where(Grid.id != except_id)
    return db.session.scalar(query.limit(1)) is not None


def add_grid(actor, community: Community, name) -> Grid:
    name = clean_text(name, "name")
    if _grid_name_taken(community.id, name):
        raise Refused(_GRID_TAKEN, "name")
    grid = Grid(community_id=community.id, name=name)
    db.session.add(grid)
    _flush_unique(_GRID_TAKEN, "name")
    record("grid.create", grid, actor=actor, community_id=community.id,
           details={"name": name})
    return grid


def rename_grid(actor, grid: Grid, name) -> bool:
    """Returns whether anything changed."""
    name = clean_text(name, "name")
    if name == grid.name:
        return False
    if _grid_name_taken(grid.community_id, name, grid.id):
        raise Refused(_GRID_TAKEN, "name")
    old, grid.name = grid.name, name
    _flush_unique(_GRID_TAKEN, "name")
    record("grid.rename", grid, actor=actor, community_id=grid.community_id,
           details={"old": old, "new": name})
    return True


def delete_grid(actor, grid: Grid) -> None:
    """Refused while any of its homes has owners or (verified or waiting) residents."""
    people = people_in(grid_id=grid.id)
    if people.any:
        raise Refused(_l(
            "The grid %(name)s cannot be deleted: people are recorded in its homes (owners "
            "of record: %(owners)d, verified residents: %(verified)d, waiting for "
            "verification: %(pending)d). Deleting it would remove their data.",
            name=grid.name, **people.counts()))
    buildings = db.session.scalar(
        select(func.count(Building.id)).where(Building.grid_id == grid.id)) or 0
    record("grid.delete", grid, actor=actor, community_id=grid.community_id,
           details={"name": grid.name, "buildings": buildings,
                    "units": _unit_count(grid_id=grid.id)})
    db.session.delete(grid)
    db.session.flush()


# --- buildings -----------------------------------------------------------------------------

_BUILDING_TAKEN = _l("This grid already has a building with this name.")


def _building_name_taken(grid_id: int, name: str, except_id: int | None = None) -> bool:
    query = select(Building.id).where(Building.grid_id == grid_id, Building.name == name)
    if except_id is not None:
        query = query.where(Building.id != except_id)
    return db.session.scalar(query.limit(1)) is not None


def add_building(actor, grid: Grid, name) -> Building:
    name = clean_text(name, "name")
    if _building_name_taken(grid.id, name):
        raise Refused(_BUILDING_TAKEN, "name")
    building = Building(grid_id=grid.id, name=name)
    db.session.add(building)
    _flush_unique(_BUILDING_TAKEN, "name")
    record("building.create", building, actor=actor, community_id=grid.community_id,
           details={"grid": grid.name, "name": name})
    return building


def rename_building(actor, building: Building, name) -> bool:
    name = clean_text(name, "name")
    if name == building.name:
        return False
    if _building_name_taken(building.grid_id, name, building.id):
        raise Refused(_BUILDING_TAKEN, "name")
    old, building.name = building.name, name
    _flush_unique(_BUILDING_TAKEN, "name")
    record("building.rename", building, actor=actor, community_id=building.grid.community_id,
           details={"grid": building.grid.name, "old": old, "new": name})
    return True


def delete_building(actor, building: Building) -> None:
    people = people_in(building_id=building.id)
    if people.any:
        raise Refused(_l(
            "The building %(name)s cannot be deleted: people are recorded in its homes "
            "(owners of record: %(owners)d, verified residents: %(verified)d, waiting for "
            "verification: %(pending)d). Deleting it would remove their data.",
            name=building.name, **people.counts()))
    record("building.delete", building, actor=actor, community_id=building.grid.community_id,
           details={"grid": building.grid.name, "name": building.name,
                    "units": _unit_count(building_id=building.id)})
    db.session.delete(building)
    db.session.flush()


# --- units ---------------------------------------------------------------------------------

_UNIT_TAKEN = _l("This building already has a home with this number.")


def _unit_number_taken(building_id: int, number: str, except_id: int | None = None) -> bool:
    query = select(Unit.id).where(Unit.building_id == building_id, Unit.number == number)
    if except_id is not None:
        query = query.where(Unit.id != except_id)
    return db.session.scalar(query.limit(1)) is not None


def add_unit(actor, building: Building, number, area) -> Unit:
    number = clean_text(number, "number", max_len=UNIT_NUMBER_MAX)
    area_m2 = parse_area(area)
    if _unit_number_taken(building.id, number):
        raise Refused(_UNIT_TAKEN, "number")
    unit = Unit(building_id=building.id, number=number, area_m2=area_m2)
    db.session.add(unit)
    _flush_unique(_UNIT_TAKEN, "number")
    record("unit.create", unit, actor=actor, community_id=building.grid.community_id,
           details={"building": f"{building.grid.name} {building.name}", "number": number,
                    "area_m2": str(area_m2)})
    return unit


def update_unit(actor, unit: Unit, number, area) -> dict:
    """Returns ``{field: [old, new]}``; empty when nothing changed."""
    number = clean_text(number, "number", max_len=UNIT_NUMBER_MAX)
    area_m2 = parse_area(area)
    if number != unit.number and _unit_number_taken(unit.building_id, number, unit.id):
        raise Refused(_UNIT_TAKEN, "number")
    changes = {}
    if number != unit.number:
        changes["number"] = [unit.number, number]
    if area_m2 != unit.area_m2:
        changes["area_m2"] = [str(unit.area_m2), str(area_m2)]
    if not changes:
        return changes
    unit.number, unit.area_m2 = number, area_m2
    _flush_unique(_UNIT_TAKEN, "number")
    record("unit.update", unit, actor=actor, community_id=unit.building.grid.community_id,
           details={"unit": unit.label, "changes": changes})
    return changes


def delete_unit(actor, unit: Unit) -> None:
    people = people_in(unit_id=unit.id)
    if people.any:
        raise Refused(_l(
            "The home %(number)s cannot be deleted: people are recorded in it (owners of "
            "record: %(owners)d, verified residents: %(verified)d, waiting for verification: "
            "%(pending)d). Deleting it would remove their data.",
            number=unit.number, **people.counts()))
    record("unit.delete", unit, actor=actor, community_id=unit.building.grid.community_id,
           details={"unit": unit.label, "area_m2": str(unit.area_m2)})
    db.session.delete(unit)
    db.session.flush()


# --- role grants ---------------------------------------------------------------------------

GRANTABLE = (Role.SECRETARY.value, Role.REPRESENTATIVE.value, Role.ADMIN.value,
             Role.GRID_WORKER.value)


def grant_role(actor, community: Community, identifier, role: str,
               grid: Grid | None = None) -> RoleGrant:
    """Give an existing account a role in ``community``, found by phone or e-mail. A grid
    worker's role is held in one ``grid`` of the community; the other roles in none."""
    if role not in GRANTABLE:
        raise Refused(_l("Choose a role."), "role")
    if role in GRID_ROLES:
        if grid is None or grid.community_id != community.id:
            raise Refused(_l("Choose the grid this grid worker serves."), "grid")
    else:
        grid = None
    identifier = clean_text(identifier, "identifier", max_len=254)
    user = find_by_identifier(identifier)
    if user is None:
        raise Refused(_l("No account has this phone number or e-mail address. The person "
                            "must register first."), "identifier")
    taken = (_l("%(name)s already holds this role in this grid.", name=user.name)
             if grid is not None else
             _l("%(name)s already holds this role in this community.", name=user.name))
    exists = db.session.scalar(select(RoleGrant.id).where(
        RoleGrant.user_id == user.id, RoleGrant.community_id == community.id,
        RoleGrant.role == role,
        RoleGrant.grid_id == grid.id if grid is not None else RoleGrant.grid_id.is_(None))
        .limit(1))
    if exists is not None:
        raise Refused(taken, "identifier")
    grant = RoleGrant(user_id=user.id, community_id=community.id, role=role,
                      grid_id=grid.id if grid is not None else None,
                      granted_by_id=actor.id if actor is not None else None)
    db.session.add(grant)
    _flush_unique(taken, "identifier")
    record("role.grant", grant, actor=actor, community_id=community.id,
           details={"user_id": user.id, "role": role,
                    **({"grid_id": grid.id} if grid is not None else {})})
    forget_memberships()
    return grant


def may_revoke(actor, grant: RoleGrant) -> bool:
    """False only for an administrator's own administrator grant (platform admins excepted):
    the person doing the work never locks themselves out by accident."""
    return not (grant.role == Role.ADMIN.value and actor is not None
                and grant.user_id == actor.id and not actor.is_platform_admin)


def revoke_grant(actor, grant: RoleGrant) -> None:
    """Take a role away. Administrators of a community cannot take away their own
    administrator role (someone else must); platform administrators can."""
    if not may_revoke(actor, grant):
        raise Refused(_l("You cannot revoke your own administrator role. Ask another "
                            "administrator of this community or a platform administrator."))
    record("role.revoke", grant, actor=actor, community_id=grant.community_id,
           details={"user_id": grant.user_id, "role": grant.role})
    db.session.delete(grant)
    db.session.flush()
    forget_memberships()

