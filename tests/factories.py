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
from consult.privacy import rules as privacy_rules

PASSWORD = "correct horse 42"
_seq = itertools.count(1)


def user(name: str = "测试用户", *, email: str | None = None, phone: str | None = None,
         password: str | None = PASSWORD, platform_admin: bool = False,
         privacy_agreed: bool = True) -> User:
    """An account; one with a password has agreed to the privacy notice in force unless
    ``privacy_agreed`` is false (tests/privacy tries the account that has not)."""
    n = next(_seq)
    agreed = privacy_rules.current().id if password and privacy_agreed else None
    u = User(name=name, email=email if email is not None else f"user{n}@example.org",
             phone=phone, password_hash=hash_password(password) if password else None,
             is_platform_admin=platform_admin, privacy_version=agreed)
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


def grant(u: User, c: Community, role: Role, grid: Grid | None = None) -> RoleGrant:
    g = RoleGrant(user_id=u.id, community_id=c.id, role=role.value,
                  grid_id=grid.id if grid is not None else None)
    db.session.add(g)
    db.session.flush()
    return g


def grid_worker(grid: Grid, name: str = "网格员", **kwargs) -> User:
    """A user holding the grid worker (网格员) role in ``grid``."""
    u = user(name, **kwargs)
    grant(u, grid.community, Role.GRID_WORKER, grid)
    return u


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


# --- studios ---------------------------------------------------------------------------------

def studio(c: Community, name: str | None = None, *, rooms=("接待室一",),
           hours=((0, "08:00", "21:00"), (1, "08:00", "21:00"), (2, "08:00", "21:00"),
                  (3, "08:00", "21:00"), (4, "08:00", "21:00"), (5, "08:00", "21:00"),
                  (6, "08:00", "21:00")),
           kind: str = "peoples_congress", address: str = "社区服务中心二楼"):
    """A studio of ``c`` with rooms and opening hours ``(weekday, opens, closes)``."""
    from datetime import time

    from consult.studios.models import OpeningHours, Room, Studio

    s = Studio(community_id=c.id, name=name or f"代表工作室{next(_seq)}", kind=kind,
               address=address)
    s.rooms = [Room(name=r) for r in rooms]
    s.hours = [OpeningHours(weekday=d, opens=time.fromisoformat(o), closes=time.fromisoformat(e))
               for d, o, e in hours]
    db.session.add(s)
    db.session.flush()
    return s


def representative(c: Community, name: str = "代表", *, studios=(), body: str | None = None,
                   **kwargs) -> User:
    """A representative of ``c``, attached to ``studios``; with a profile when ``body``."""
    from consult.studios.models import RepresentativeProfile, StudioRepresentative

    u = office_holder(c, Role.REPRESENTATIVE, name, **kwargs)
    for s in studios:
        db.session.add(StudioRepresentative(studio_id=s.id, user_id=u.id))
    if body:
        db.session.add(RepresentativeProfile(user_id=u.id, community_id=c.id, body=body,
                                             area_served="第一选区"))
    db.session.flush()
    return u


def studio_session(s, rep: User, starts_at, *, minutes: int = 120, slot_minutes: int = 20,
                   room=None, **kwargs):
    """A session inserted directly (no booking rules), ``starts_at`` naive UTC."""
    from datetime import timedelta

    from consult.studios.models import StudioSession

    session = StudioSession(studio_id=s.id, room_id=(room or s.rooms[0]).id,
                            representative_id=rep.id, starts_at=starts_at,
                            ends_at=starts_at + timedelta(minutes=minutes),
                            slot_minutes=slot_minutes, **kwargs)
    db.session.add(session)
    db.session.flush()
    return session


def topic(c: Community, proposer: User | None = None, *, title: str = "小区加装电梯",
          stage: str = "commenting", grid=None, building=None, days: int = 7,
          category: str = "property", description: str = "三号楼老人多，上下楼不便。"):
    """A public topic of ``c`` at ``stage`` (default: open for comment for ``days`` more days),
    made directly, without the lifecycle. ``grid`` / ``building`` narrow its scope."""
    from datetime import timedelta

    from consult.clock import utcnow
    from consult.text import render_markdown
    from consult.topics.models import Topic

    proposer = proposer or resident(c, "提议人")
    if building is not None and grid is None:
        grid = building.grid
    now = utcnow()
    t = Topic(community_id=c.id, grid_id=grid.id if grid is not None else None,
              building_id=building.id if building is not None else None,
              proposer_id=proposer.id, title=title, description=description,
              description_html=render_markdown(description), category=category, stage=stage,
              created_at=now, updated_at=now, stage_changed_at=now,
              submitted_at=None if stage == "draft" else now,
              comment_until=now + timedelta(days=days) if stage == "commenting" else None)
    db.session.add(t)
    db.session.flush()
    return t


# --- halls -----------------------------------------------------------------------------------

def hall(c: Community, name: str | None = None, *, capacity: int = 30,
         address: str = "社区党群服务中心一楼", accessibility: str = "无障碍坡道，轮椅可达"):
    from consult.halls.models import Hall

    h = Hall(community_id=c.id, name=name or f"议事厅{next(_seq)}", capacity=capacity,
             address=address, accessibility=accessibility)
    db.session.add(h)
    db.session.flush()
    return h


def meeting(h, starts_at=None, *, minutes: int = 120, title: str = "居民议事会", topics=(),
            **kwargs):
    """A meeting inserted directly (no scheduling rules), ``starts_at`` naive UTC (default: in
    three days); ``topics`` go on its agenda as they are."""
    from datetime import timedelta

    from consult.clock import utcnow
    from consult.halls.models import AgendaItem, Meeting

    starts_at = starts_at or utcnow().replace(microsecond=0) + timedelta(days=3)
    m = Meeting(hall_id=h.id, community_id=h.community_id, title=title, starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=minutes), cancel_reason="", **kwargs)
    m.agenda = [AgendaItem(topic_id=t.id, position=i) for i, t in enumerate(topics)]
    db.session.add(m)
    db.session.flush()
    return m


def consent() -> dict:
    """What a registration or activation form sends when the privacy notice's box is ticked."""
    return {"privacy": "y", "privacy_version": privacy_rules.current().id}
