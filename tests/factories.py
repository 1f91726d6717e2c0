"""Small builders for test data. Each flushes so ids exist; tests commit when they need to."""
from __future__ import annotations

import csv
import io
import itertools
from decimal import Decimal

from consult.accounts.models import Role, RoleGrant, User
from consult.accounts.passwords import hash_password
from consult.community.models import (
    Building, Community, Grid, Ownership, Residency, ResidencyStatus, Unit,
)
from consult.extensions import db

PASSWORD = "correct horse 42"
_seq = itertools.count(1)


def user(name: str = "测试用户", *, email: str | None = None, phone: str | None = None,
         password: str | None = PASSWORD, platform_admin: bool = False) -> User:
    n = next(_seq)
    u = User(name=name, email=email if email is not None else f"user{n}@example.org",
             phone=phone, password_hash=hash_password(password) if password else None,
             is_platform_admin=platform_admin)
    db.session.add(u)
    db.session.flush()
    return u


def community(name: str | None = None, *, grids: int = 1, buildings: int = 1, units: int = 2,
              area: str = "88.50") -> Community:
    """A community with ``grids`` × ``buildings`` × ``units`` homes."""
    c = Community(name=name or f"测试社区{next(_seq)}")
    db.session.add(c)
    for g in range(1, grids + 1):
        grid = Grid(name=f"{g}网格")
        c.grids.append(grid)
        for b in range(1, buildings + 1):
            building = Building(name=f"{b}栋")
            grid.buildings.append(building)
            for u in range(1, units + 1):
                building.units.append(Unit(number=f"{u:02d}01", area_m2=Decimal(area)))
    db.session.flush()
    return c


def units_of(c: Community) -> list[Unit]:
    return [u for g in c.grids for b in g.buildings for u in b.units]


def grant(u: User, c: Community, role: Role) -> RoleGrant:
    g = RoleGrant(user_id=u.id, community_id=c.id, role=role.value)
    db.session.add(g)
    db.session.flush()
    return g


def resident(c: Community, name: str = "居民", *, unit: Unit | None = None,
             status: ResidencyStatus = ResidencyStatus.VERIFIED, **kwargs) -> User:
    """A user with a residency in ``c`` (verified by default)."""
    u = user(name, **kwargs)
    unit = unit or units_of(c)[0]
    db.session.add(Residency(user_id=u.id, unit_id=unit.id, relation="owner",
                             status=status.value))
    db.session.flush()
    return u


def owner(u: User, unit: Unit) -> Ownership:
    o = Ownership(unit_id=unit.id, owner_id=u.id)
    db.session.add(o)
    db.session.flush()
    return o


ROSTER_HEADER = ("grid", "building", "unit", "area_m2", "owner_name", "owner_phone",
                 "owner_email")


def roster_csv(*rows, header=ROSTER_HEADER, bom: bool = False) -> bytes:
    """A roster (花名册) CSV file: ``rows`` are tuples in ``header`` order."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8")


def big_roster_rows(n: int) -> list[tuple]:
    """``n`` units, 100 to a building and 20 buildings to a grid. Every 10th unit is unsold,
    every 7th has a co-owner, and every 50th belongs to the owner of the unit two before."""
    rows = []
    for i in range(n):
        number = f"{i % 100 // 4 + 1:02d}{i % 4 + 1:02d}"  # floor 01-25, door 01-04
        place = (f"{i // 2000 + 1}网格", f"{i // 100 + 1}栋", number, f"{60 + i % 90}.{i % 100:02d}")
        if i % 10 == 0:
            rows.append((*place, "", "", ""))
            continue
        person = i - 2 if i % 50 == 3 else i
        name, phone, email = f"业主{person}", f"139{person:08d}", ""
        if i % 7 == 0:
            name, phone, email = f"{name};共有人{i}", f"{phone};", f";co{i}@example.org"
        rows.append((*place, name, phone, email))
    return rows


def office_holder(c: Community, role: Role = Role.ADMIN, name: str = "管理员", **kwargs) -> User:
    """A user holding ``role`` in community ``c``."""
    u = user(name, **kwargs)
    grant(u, c, role)
    return u
