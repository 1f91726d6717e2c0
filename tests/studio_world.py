"""A small studio world shared by the studio tests: one community with a studio, two rooms,
two representatives, residents, an admin, and another community.

Time: the tests run at NOW, Monday 2026-11-30 10:00 in Shanghai (02:00 UTC).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from consult.accounts.models import Role, User
from consult.clock import local_to_utc
from consult.community.models import Community
from consult.extensions import db
from tests import factories

NOW = datetime(2026, 11, 30, 2, 0)  # UTC; 10:00 local, a Monday
TUESDAY = "2026-12-01"


def local(text: str) -> datetime:
    """``"2026-12-01 09:00"`` local time as naive UTC."""
    return local_to_utc(datetime.fromisoformat(text))


@dataclass
class World:
    community: Community
    other: Community
    studio: object
    rep: User
    rep2: User
    residents: list[User]
    outsider: User  # verified in the other community
    admin: User
    secretary: User

    @property
    def room(self):
        return self.studio.rooms[0]

    @property
    def room2(self):
        return self.studio.rooms[1]


def build(n_residents: int = 5) -> World:
    c = factories.community("幸福社区", grids=1, buildings=1, units=max(2, n_residents))
    other = factories.community("别的社区")
    studio = factories.studio(c, "幸福社区人大代表工作室", rooms=("接待室一", "接待室二"),
                              hours=[(d, "09:00", "12:00") for d in range(7)]
                              + [(d, "14:00", "17:30") for d in range(5)])
    rep = factories.representative(c, "李代表", studios=[studio], body="district_pc",
                                   phone="13800000011")
    rep2 = factories.representative(c, "周代表", studios=[studio], body="city_pc")
    units = factories.units_of(c)
    residents = [factories.resident(c, f"居民{i}", unit=units[i % len(units)])
                 for i in range(n_residents)]
    outsider = factories.resident(other, "外社区居民")
    admin = factories.office_holder(c, Role.ADMIN, "管理员")
    secretary = factories.office_holder(c, Role.SECRETARY, "秘书")
    db.session.commit()
    return World(c, other, studio, rep, rep2, residents, outsider, admin, secretary)


def session_at(world: World, start: str, minutes: int = 120, rep=None, room=None, **kwargs):
    return factories.studio_session(world.studio, rep or world.rep, local(start),
                                    minutes=minutes, room=room, **kwargs)


def later(hours: float) -> datetime:
    return NOW + timedelta(hours=hours)
