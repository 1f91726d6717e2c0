"""The demo community (示范社区): a realistic roster, residents, office holders.

The roster goes through the real roster importer, so the demo exercises the same path a
community office uses. Everything is generated from a fixed seed: the same data every time.
"""
from __future__ import annotations

import csv
import io
import random
from decimal import Decimal

from sqlalchemy import func, select

from consult.accounts.models import Role, RoleGrant, User
from consult.accounts.passwords import hash_password
from consult.audit.log import record
from consult.clock import utcnow
from consult.community.models import (
    Building, Community, Grid, Ownership, Residency, ResidencyStatus, Unit,
)
from consult.database import begin_write
from consult.extensions import db

COMMUNITY = "幸福里社区"
DISTRICT = "和平区"
STREET_OFFICE = "东风街道"
GRIDS = {"第一网格（锦绣苑）": ["1栋", "2栋", "3栋"], "第二网格（翠湖苑）": ["5栋", "6栋", "7栋"]}
FLOORS = 5
UNITS_PER_FLOOR = 4
DEMO_PASSWORD = "consult-demo-2026"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = ["秀英", "桂英", "建国", "建华", "国强", "志强", "丽娟", "海燕", "淑珍", "德明", "玉兰",
         "文华", "晓东", "春梅", "明辉", "婷婷", "子涵", "浩然", "雨欣", "思远", "立新", "红梅",
         "凤英", "永刚", "玉梅", "振华", "桂兰", "俊杰", "欣怡", "嘉怡", "宇航", "佳琪", "学军",
         "秋菊", "金凤", "卫东", "淑华", "国庆", "美玲", "志明"]

# Office holders: (name, phone, e-mail, role or None for the platform admin)
OFFICE_HOLDERS = [
    ("赵建国", "13800000000", "admin@example.org", None),
    ("钱淑芬", "13800000001", "secretary1@example.org", Role.SECRETARY),
    ("孙立平", "13800000002", "secretary2@example.org", Role.SECRETARY),
    ("李卫国", "13800000011", "rep1@example.org", Role.REPRESENTATIVE),
    ("周慧敏", "13800000012", "rep2@example.org", Role.REPRESENTATIVE),
    ("吴海波", "13800000013", "rep3@example.org", Role.REPRESENTATIVE),
]
RESIDENT_COUNT = 60
PENDING_COUNT = 4


def _names(rng: random.Random, n: int) -> list[str]:
    return [rng.choice(SURNAMES) + rng.choice(GIVEN) for _ in range(n)]


def demo_roster_csv(rng: random.Random | None = None) -> bytes:
    """The demo community's roster in the import format: 120 homes of 58-145 m², most sold,
    a few owners with two homes, a few co-owned homes, a few unsold (developer's)."""
    rng = rng or random.Random(20261122)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["grid", "building", "unit", "area_m2", "owner_name", "owner_phone",
                     "owner_email"])
    owner_no = 0
    repeat_owner = None
    for grid, buildings in GRIDS.items():
        for building in buildings:
            # Each building has its own layouts: two sizes per floor plate.
            layouts = [Decimal(rng.randint(5800, 9800)) / 100, Decimal(rng.randint(9000, 14500)) / 100]
            for floor in range(1, FLOORS + 1):
                for door in range(1, UNITS_PER_FLOOR + 1):
                    unit = f"{floor}{door:02d}"
                    area = layouts[(door - 1) % 2]
                    roll = rng.random()
                    if roll < 0.05:
                        writer.writerow([grid, building, unit, area, "", "", ""])
                        continue
                    if roll < 0.10 and repeat_owner:
                        name, phone = repeat_owner  # an owner with a second home
                        writer.writerow([grid, building, unit, area, name, phone, ""])
                        continue
                    owner_no += 1
                    name, phone = _names(rng, 1)[0], f"139{owner_no:08d}"
                    if roll > 0.93:
                        owner_no += 1
                        partner = _names(rng, 1)[0]
                        writer.writerow([grid, building, unit, area, f"{name};{partner}",
                                         f"{phone};139{owner_no:08d}", ""])
                    else:
                        writer.writerow([grid, building, unit, area, name, phone, ""])
                    if repeat_owner is None or rng.random() < 0.2:
                        repeat_owner = (name, phone)
    return out.getvalue().encode("utf-8")


def seed(if_empty: bool = False, echo=print) -> bool:
    """Create the demo data. Returns False (and does nothing) when ``if_empty`` and the
    database already has accounts.

    Like a service it flushes and never commits: the ``flask demo seed`` command commits it
    all at once (some 2,300 rows: small enough for one transaction)."""
    from consult.roster.importer import import_roster
    from consult.roster.parsing import parse_roster

    if if_empty and db.session.scalar(select(func.count(User.id))):
        echo("Demo data: the database already has accounts; nothing added.")
        print_accounts(echo)
        return False
    rng = random.Random(20261122)
    begin_write()
    password_hash = hash_password(DEMO_PASSWORD)  # one hash for every demo account: fast

    admin = None
    holders = []
    for name, phone, email, role in OFFICE_HOLDERS:
        user = User(name=name, phone=phone, email=email, password_hash=password_hash,
                    is_platform_admin=role is None)
        db.session.add(user)
        holders.append((user, role))
        admin = admin or user
    db.session.flush()

    report = import_roster(COMMUNITY, parse_roster(demo_roster_csv(rng)), actor=admin)
    community = db.session.scalar(select(Community).where(Community.name == COMMUNITY))
    community.district, community.street_office = DISTRICT, STREET_OFFICE
    for user, role in holders:
        if role is not None:
            db.session.add(RoleGrant(user_id=user.id, community_id=community.id,
                                     role=role.value, granted_by_id=admin.id))
            record("role.grant", community, actor=admin, community_id=community.id,
                   details={"user_id": user.id, "role": role.value})

    residents = _residents(rng, community, password_hash, admin)
    db.session.flush()
    from consult.demo.gridwork import seed_grid_workers

    workers = seed_grid_workers(community, admin, password_hash)
    from consult.demo.topics import seed_topics

    secretary = next(user for user, role in holders if role is Role.SECRETARY)
    topics = seed_topics(community, residents, secretary, rng)
    from consult.demo.studios import seed_studios

    representatives = [user for user, role in holders if role is Role.REPRESENTATIVE]
    sessions = seed_studios(community, admin, representatives, residents, rng)
    echo(f"Demo studios: 2 studios, {sessions} reception sessions.")
    from consult.demo.halls import seed_halls

    meetings = seed_halls(community, admin, secretary, residents)
    echo(f"Demo halls: 2 deliberation halls, {meetings} meetings.")
    from consult.demo.votes import seed_votes

    ballots = seed_votes(community, secretary, rng)
    echo(f"Demo vote: {ballots} owners have voted online so far.")
    from consult.demo.gridwork import seed_vote_channels
    from consult.demo.votes import VOTE_TOPIC

    secretaries = [user for user, role in holders if role is Role.SECRETARY]
    channels = seed_vote_channels(community, VOTE_TOPIC, secretaries, workers, residents)
    if channels.vote_id is not None:
        echo(f"Demo vote: {channels.counted} paper ballots counted, "
             f"{1 if channels.proxy_voter else 0} by proxy, "
             f"{1 if channels.assisted else 0} cast by a grid worker for a resident.")
    from consult.demo.votes import seed_announced_vote

    seed_announced_vote(community, residents, secretary)
    echo("Demo vote: an owners' vote announced, opening in about nine days (and the "
         "cancelled announcement it corrects).")
    from consult.demo.outcomes import seed_outcomes

    outcomes = seed_outcomes(community, residents, secretary, random.Random(20261206))
    echo(f"Demo outcomes: {outcomes} topics publicised, being implemented or closed.")

    _agree_to_privacy()
    echo(f"Demo community {COMMUNITY}: {report.units_created} homes imported, "
         f"{len(residents)} residents, {len(topics)} topics.")
    print_accounts(echo)
    _activation_codes(community, secretary, echo)
    from consult.demo.gridwork import print_try

    print_try(channels, community, secretary, echo)
    return True


def _agree_to_privacy() -> None:
    """Every demo account with a password has agreed to the privacy notice in force, as a
    registration or an activation would have recorded (the roster owners left to activate
    agree when they do)."""
    from consult.privacy import rules as privacy_rules
    from consult.privacy import service as privacy

    version = privacy_rules.current().id
    for user in db.session.scalars(select(User).where(User.password_hash.is_not(None))
                                   .order_by(User.id)):
        privacy.record(user, version, "demo")


def _activation_codes(community: Community, secretary: User, echo) -> None:
    """Activation codes for the owners without an account in the building that has most of
    them, issued by the secretary as on the activation page; a few printed to try."""
    from consult.activation import service as activation

    building_id = db.session.execute(
        select(Building.id).join(Grid, Building.grid_id == Grid.id)
        .join(Unit, Unit.building_id == Building.id)
        .join(Ownership, Ownership.unit_id == Unit.id)
        .join(User, User.id == Ownership.owner_id)
        .where(Grid.community_id == community.id, User.password_hash.is_(None))
        .group_by(Building.id).order_by(func.count(Ownership.owner_id).desc(), Building.id)
        .limit(1)).scalar()
    if building_id is None:
        return
    scope = activation.scope_of(community, f"building:{building_id}")
    issued = activation.issue(secretary, scope, activation.LETTER)
    echo(f"Demo activation: {issued.count} owners of {scope.label} without an account have "
         f"activation codes (valid {activation.lifetime().days} days). Try one at /activate:")
    # Owners whose home has not voted yet first: activated, they find the open vote in "My
    # to-do" on the home page.
    from consult.votes.service import votes_to_cast

    letters = sorted(issued.letters, key=lambda letter: not votes_to_cast(
        db.session.get(User, letter.owner_id), limit=1))
    for letter in letters[:3]:
        echo(f"  {letter.name}  {letter.phone or letter.email}  code {letter.code}  "
             f"{letter.link}")


def print_accounts(echo=print) -> None:
    echo(f"Demo accounts (log in with the phone number; password for all: {DEMO_PASSWORD}):")
    for name, phone, _email, role in OFFICE_HOLDERS:
        echo(f"  {(role.value if role else 'platform admin'):<15} {name}  {phone}")
    from consult.demo.gridwork import GRID_WORKERS

    grids = list(GRIDS)
    for name, phone, _email, index in GRID_WORKERS:
        echo(f"  {'grid worker':<15} {name}  {phone}  {grids[index]}")
    echo(f"  {'residents':<15} owners 13900000001 and up, family and tenants 13700000001 "
         f"and up")


def _residents(rng: random.Random, community: Community, password_hash: str, admin: User):
    """Verified residents: owners of record who activated their accounts, plus family members
    and tenants; and a few requests still waiting for the office."""
    units = db.session.execute(
        select(Unit.id, Ownership.owner_id).outerjoin(Ownership, Ownership.unit_id == Unit.id)
        .order_by(Unit.id)).all()
    owners = db.session.scalars(
        select(User).where(User.id.in_({o for _, o in units if o})).order_by(User.phone)).all()
    residents = []
    now = utcnow()
    owner_units = {}
    for unit_id, owner_id in units:
        if owner_id:
            owner_units.setdefault(owner_id, unit_id)
    # Two thirds of the residents are owners who set a password; the rest family or tenants.
    for owner in owners[: RESIDENT_COUNT * 2 // 3]:
        owner.password_hash = password_hash
        db.session.add(Residency(user_id=owner.id, unit_id=owner_units[owner.id],
                                 relation="owner", status=ResidencyStatus.VERIFIED.value,
                                 requested_at=now, decided_at=now, decided_by_id=admin.id))
        residents.append(owner)
    unit_ids = [u for u, _ in units]
    others = RESIDENT_COUNT - len(residents)
    for i in range(others + PENDING_COUNT):
        pending = i >= others
        user = User(name=_names(rng, 1)[0], phone=f"137{i + 1:08d}", password_hash=password_hash)
        db.session.add(user)
        db.session.flush()
        db.session.add(Residency(
            user_id=user.id, unit_id=rng.choice(unit_ids),
            relation=rng.choice(["family", "tenant"]),
            status=(ResidencyStatus.PENDING if pending else ResidencyStatus.VERIFIED).value,
            note="我是这户的租户，2023年起居住" if pending else "",
            requested_at=now, decided_at=None if pending else now,
            decided_by_id=None if pending else admin.id))
        if not pending:
            residents.append(user)
    return residents
