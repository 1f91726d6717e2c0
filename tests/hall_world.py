"""A small world for the hall tests: one community with a hall of two seats, office holders of
every kind, residents, a topic whose comment period has ended, and another community.

Time: the tests run at NOW, Monday 2026-11-30 10:00 in Shanghai (02:00 UTC).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from consult import clock
from consult.accounts.models import Role, User
from consult.clock import local_to_utc
from consult.community.models import Community, ResidencyStatus
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
    hall: object
    big_hall: object
    topic: object  # commenting, period ended yesterday
    open_topic: object  # commenting, period running
    secretary: User
    secretary_elsewhere: User
    admin: User
    representative: User
    residents: list[User]
    pending: User
    outsider: User


def build(n_residents: int = 4, capacity: int = 2) -> World:
    with clock.frozen(NOW):
        c = factories.community("幸福社区", grids=1, buildings=1, units=max(2, n_residents))
        other = factories.community("别的社区")
        hall = factories.hall(c, "居民议事厅", capacity=capacity)
        big_hall = factories.hall(c, "大会议室", capacity=100)
        units = factories.units_of(c)
        residents = [factories.resident(c, f"居民{i}", unit=units[i % len(units)])
                     for i in range(n_residents)]
        topic = factories.topic(c, residents[0], title="楼道加装扶手", days=-1)
        open_topic = factories.topic(c, residents[0], title="夜间广场舞音量", days=5)
        world = World(
            community=c, other=other, hall=hall, big_hall=big_hall, topic=topic,
            open_topic=open_topic,
            secretary=factories.office_holder(c, Role.SECRETARY, "钱秘书", phone="13800000001"),
            secretary_elsewhere=factories.office_holder(other, Role.SECRETARY, "外社区秘书"),
            admin=factories.office_holder(c, Role.ADMIN, "管理员"),
            representative=factories.office_holder(c, Role.REPRESENTATIVE, "李代表"),
            residents=residents,
            pending=factories.resident(c, "待认证", status=ResidencyStatus.PENDING),
            outsider=factories.resident(other, "外社区居民"))
        db.session.commit()
    return world
