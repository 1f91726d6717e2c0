"""Demo studios (示范代表工作室): two studios with rooms and opening hours, the three demo
representatives with public profiles, two weeks of sessions from the seed day on, some slots
reserved by demo residents, and one session of last week already held and recorded.

Everything goes through the real rules (last week's session with the clock moved back), so
the audit log and notifications are what real use leaves.
"""
from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from consult import clock
from consult.clock import local_to_utc, to_local, utcnow
from consult.permissions import forget_memberships
from consult.studios import booking, reception, service
from consult.studios.models import StudioSession
from consult.studios.slots import slots_of

# (kind, name, address, rooms, opening hours as (weekdays, opens, closes))
STUDIOS = [
    ("peoples_congress", "幸福里社区人大代表工作室", "幸福里社区党群服务中心二楼",
     ["接待室一", "接待室二"],
     [(range(5), "09:00", "12:00"), (range(5), "14:00", "17:30"), ([5], "09:00", "12:00")]),
    ("cppcc", "东风街道政协委员工作室", "东风街道办事处一楼东侧",
     ["委员会客室"], [(range(5), "09:00", "12:00"), (range(5), "14:00", "17:00")]),
]
# Per representative (in OFFICE_HOLDERS order): studio, body, area served, bio
PROFILES = [
    (0, "district_pc", "和平区第十二选区（幸福里社区、和平里社区）",
     "区人大代表，社区卫生服务中心医生。关注老旧小区改造、加装电梯和社区医疗。"),
    (0, "city_pc", "和平区东风街道",
     "市人大代表，中学教师。关注停车难、校园周边交通安全和青少年活动场所。"),
    (1, "district_cppcc", "东风街道",
     "区政协委员，律师。关注物业纠纷、养老服务和法律援助。"),
]
# Weekly sessions: (representative index, studio, room, weekday, start, end, focus, slot)
PLANS = [
    (0, 0, 0, 1, "09:00", "11:00", "加装电梯与老旧小区改造", 20),
    (1, 0, 0, 3, "14:30", "16:30", "停车与交通", 20),
    (2, 1, 0, 2, "09:30", "11:30", "物业纠纷与养老服务", 30),
    (0, 0, 1, 5, "09:00", "11:00", "", 20),
]
MATTERS = [
    ("property", "3栋电梯每周都要停运两三次，老人上下楼很困难，希望推动维修或更换。"),
    ("parking", "晚上小区外道路两侧停满车，消防通道被占，希望协调划线和错峰停车。"),
    ("elderly_children", "希望社区食堂增加老年助餐的送餐服务，行动不便的老人吃饭难。"),
    ("environment", "北门垃圾站夏天气味很大，清运次数不够。"),
    ("safety", "5栋楼道里堆放了很多杂物和电动车，有消防隐患。"),
    ("property", "物业费上涨没有公示明细，业主有意见，想了解怎么依法协商。"),
    ("other", "想咨询一下办理居住证明需要哪些材料。"),
]


def _next(weekday: int, after: datetime) -> str:
    """The first local date on ``weekday`` strictly after the day of ``after``."""
    day = to_local(after).date() + timedelta(days=1)
    return (day + timedelta(days=(weekday - day.weekday()) % 7)).isoformat()


def _studios(admin, community):
    made = []
    for kind, name, address, rooms, hours in STUDIOS:
        studio = service.create_studio(admin, community, kind=kind, name=name, address=address)
        for room in rooms:
            service.add_room(admin, studio, room)
        for weekdays, opens, closes in hours:
            for weekday in weekdays:
                service.add_hours(admin, studio, weekday, opens, closes)
        made.append(studio)
    return made


def _representatives(admin, community, studios, representatives) -> None:
    for user, (studio, body, area, bio) in zip(representatives, PROFILES):
        service.attach(admin, studios[studio], user.id)
        service.save_profile(admin, community, user, body=body, area_served=area, bio=bio)


def _book(representatives, studios, start_after: datetime, weeks: int) -> list[StudioSession]:
    sessions = []
    for rep, studio, room, weekday, start, end, focus, slot in PLANS:
        place = studios[studio]
        sessions += booking.book_sessions(
            representatives[rep], place, room_id=place.rooms[room].id,
            day=_next(weekday, start_after), start=start, end=end, focus=focus,
            slot_minutes=slot, weeks=weeks).sessions
    return sessions


def _reserve(session, residents, rng: random.Random, n: int):
    made = []
    free = slots_of(session)
    for slot, resident in zip(rng.sample(free, min(n, len(free))), residents):
        category, matter = rng.choice(MATTERS)
        made.append(reception.reserve(resident, session, slot.key, category, matter))
    return made


def _held_last_week(studios, representatives, residents, rng) -> StudioSession:
    """The Tuesday session of last week: reserved beforehand, recorded afterwards."""
    rep, studio = representatives[0], studios[0]
    today = to_local(utcnow()).date()
    day = today - timedelta(days=7 + (today.weekday() - 1) % 7)
    with clock.frozen(local_to_utc(datetime.combine(day - timedelta(days=1), time(10)))):
        (session,) = booking.book_sessions(
            rep, studio, room_id=studio.rooms[0].id, day=day.isoformat(), start="09:00",
            end="11:00", focus="社区居民议事", slot_minutes=30).sessions
        made = _reserve(session, residents, rng, len(residents))
    with clock.frozen(session.ends_at + timedelta(hours=1)):
        for r in made[:-1]:
            reception.record_reception(rep, r, "attended", r.matter,
                                       "已转交社区居委会和物业，两周内电话答复。")
        reception.record_reception(rep, made[-1], "no_show", "", "")
    return session


def seed_studios(community, admin, representatives, residents, rng: random.Random) -> int:
    """Returns how many sessions were booked."""
    forget_memberships()  # the representatives' roles were granted in this transaction
    studios = _studios(admin, community)
    _representatives(admin, community, studios, representatives)
    pool = list(residents)
    rng.shuffle(pool)
    _held_last_week(studios, representatives, pool[:3], rng)
    sessions = _book(representatives, studios, utcnow(), weeks=2)
    # Some slots of the first week reserved; each demo resident holds at most one.
    taken = 3
    for session in sorted(sessions, key=lambda s: s.starts_at)[:4]:
        _reserve(session, pool[taken:taken + 2], rng, 2)
        taken += 2
    return len(sessions) + 1
