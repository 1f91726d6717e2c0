"""What the grid pages read, each in a fixed number of queries whatever the grid's size.

The grid page never reads how anyone voted: only whether an elector has a counted ballot.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import exists, or_, select

from consult.accounts.models import User
from consult.clock import utcnow
from consult.community.models import Building, Community, Grid, Ownership, Unit
from consult.disclosures.rules import NOT_VOTED, PHONE
from consult.extensions import db
from consult.grids import rules
from consult.grids.models import AssistedAct, Consent
from consult.permissions import in_scope, membership
from consult.topics.lifecycle import Stage
from consult.topics.models import Topic
from consult.votes.models import Ballot, Elector, ElectorMember, Vote

SHOWS = ("all", "not_voted")


@dataclass
class Owner:
    user_id: int
    name: str
    phone: str | None
    activated: bool  # has set a password (an account they use), or only on the roster


@dataclass
class Home:
    unit_id: int
    number: str
    owners: list[Owner] = field(default_factory=list)


@dataclass
class BuildingRow:
    id: int
    name: str
    homes: list[Home] = field(default_factory=list)


@dataclass
class Person:
    user_id: int
    name: str
    phone: str | None


@dataclass
class ElectorRow:
    id: int
    building: str
    label: str  # the units, for households and owners
    voted: bool
    people: list[Person] = field(default_factory=list)


@dataclass
class VoteSection:
    vote: Vote
    announced: bool  # not open yet
    electors: list[ElectorRow]  # filtered by ``show``
    by_building: list[tuple[str, int, int]]  # (building, electors, voted), whole grid
    total: int = 0
    voted: int = 0


@dataclass
class GridPage:
    grid: Grid
    community: Community
    buildings: list[BuildingRow]
    votes: list[VoteSection]
    consents: dict[int, Consent]  # resident id -> their active consent for this grid
    show: str = "all"

    @property
    def homes(self) -> int:
        return sum(len(b.homes) for b in self.buildings)


def grids_for(viewer) -> list[tuple[Grid, Community]]:
    """The grids ``viewer`` works in, and all grids of the communities they run (a platform
    administrator: every grid): one query."""
    m = membership(viewer)
    q = select(Grid, Community).join(Community, Community.id == Grid.community_id)
    if not m.platform_admin:
        offices = [cid for cid, roles in m.roles.items() if roles & {"admin", "secretary"}]
        q = q.where(or_(Grid.id.in_(list(m.worker_grids)), Grid.community_id.in_(offices)))
    return [(g, c) for g, c in db.session.execute(q.order_by(Community.name, Grid.name))]


def covering_votes(grid: Grid, now: datetime) -> list[Vote]:
    """The community's votes announced or open that cover ``grid`` (the whole community, the
    grid, or one of its buildings)."""
    return list(db.session.scalars(
        select(Vote).where(Vote.community_id == grid.community_id, Vote.closes_at > now,
                           or_(Vote.grid_id.is_(None), Vote.grid_id == grid.id))
        .order_by(Vote.closes_at, Vote.id)))


def _voted():
    return exists().where(Ballot.elector_id == Elector.id, Ballot.counted.is_(True))


def grid_page(viewer, grid: Grid, show: str = "all") -> GridPage:
    """The grid page: buildings, homes and their owners of record (1 query), the votes that
    cover the grid (1), their electors in the grid with voted / not voted and who they are
    (1), and the active consents of the grid's residents (1)."""
    show = show if show in SHOWS else "all"
    now = utcnow()
    buildings: dict[int, BuildingRow] = {}
    homes: dict[int, Home] = {}
    rows = db.session.execute(
        select(Building.id, Building.name, Unit.id, Unit.number, User.id, User.name,
               User.phone, User.password_hash.is_not(None))
        .select_from(Building).outerjoin(Unit, Unit.building_id == Building.id)
        .outerjoin(Ownership, Ownership.unit_id == Unit.id)
        .outerjoin(User, User.id == Ownership.owner_id)
        .where(Building.grid_id == grid.id)
        .order_by(Building.name, Unit.number, User.name, User.id))
    for b_id, b_name, u_id, number, user_id, name, phone, activated in rows:
        building = buildings.setdefault(b_id, BuildingRow(b_id, b_name))
        if u_id is None:
            continue
        if u_id not in homes:
            homes[u_id] = Home(u_id, number)
            building.homes.append(homes[u_id])
        if user_id is not None:
            homes[u_id].owners.append(Owner(user_id, name, phone, bool(activated)))
    votes = covering_votes(grid, now)
    sections = []
    if votes:
        electors: dict[tuple[int, int], ElectorRow] = {}
        per_vote: dict[int, list[ElectorRow]] = {v.id: [] for v in votes}
        rows = db.session.execute(
            select(Elector.vote_id, Elector.id, Elector.building_id, Elector.units_label,
                   _voted().label("voted"), User.id, User.name, User.phone)
            .join(Building, Building.id == Elector.building_id)
            .outerjoin(ElectorMember, ElectorMember.elector_id == Elector.id)
            .outerjoin(User, User.id == ElectorMember.user_id)
            .where(Elector.vote_id.in_([v.id for v in votes]), Building.grid_id == grid.id)
            .order_by(Elector.vote_id, Building.name, Elector.units_label, Elector.id, User.name))
        for vote_id, e_id, b_id, label, voted, user_id, name, phone in rows:
            key = (vote_id, e_id)
            if key not in electors:
                name_of_building = buildings[b_id].name if b_id in buildings else "—"
                electors[key] = ElectorRow(e_id, name_of_building, label, bool(voted))
                per_vote[vote_id].append(electors[key])
            if user_id is not None:
                electors[key].people.append(Person(user_id, name, phone))
        for vote in votes:
            everyone = per_vote[vote.id]
            counts: dict[str, list[int]] = {}
            for e in everyone:
                c = counts.setdefault(e.building, [0, 0])
                c[0] += 1
                c[1] += e.voted
            shown = [e for e in everyone if not e.voted] if show == "not_voted" else everyone
            sections.append(VoteSection(
                vote, now < vote.opens_at, shown,
                [(name, n, v) for name, (n, v) in sorted(counts.items())],
                total=len(everyone), voted=sum(e.voted for e in everyone)))
    consents = {}
    for consent in db.session.scalars(
            select(Consent).where(Consent.grid_id == grid.id, Consent.revoked_at.is_(None),
                                  Consent.starts_at <= now, Consent.ends_at > now)
            .order_by(Consent.created_at)):
        consents[consent.resident_id] = consent
    return GridPage(grid, grid.community, list(buildings.values()), sections, consents, show)


def shown_on_grid_page(page: GridPage, phones: bool) -> dict[int, set[str]]:
    """What the grid page shows of whom, for the access record: the phone of each owner and
    elector listed (when ``phones``, whole numbers are shown), and "has not voted" of each
    person of an elector who has not voted in an open vote (an announced vote's list says
    nothing: nobody has voted yet)."""
    shown: dict[int, set[str]] = {}
    if phones:
        for building in page.buildings:
            for home in building.homes:
                for owner in home.owners:
                    if owner.phone:
                        shown.setdefault(owner.user_id, set()).add(PHONE)
    for section in page.votes:
        for elector in section.electors:
            for person in elector.people:
                if phones and person.phone:
                    shown.setdefault(person.user_id, set()).add(PHONE)
                if not section.announced and not elector.voted:
                    shown.setdefault(person.user_id, set()).add(NOT_VOTED)
    return shown


def not_voted_rows(grid: Grid, vote: Vote) -> list[tuple[str, str, str, str, int | None]]:
    """(building, units, name, phone, user id) of each elector of ``vote`` in ``grid`` who has
    not voted, one line per person who may cast the elector's ballot: one query."""
    rows = db.session.execute(
        select(Building.name, Elector.units_label, User.name, User.phone, User.id)
        .join(Building, Building.id == Elector.building_id)
        .outerjoin(ElectorMember, ElectorMember.elector_id == Elector.id)
        .outerjoin(User, User.id == ElectorMember.user_id)
        .where(Elector.vote_id == vote.id, Building.grid_id == grid.id, ~_voted())
        .order_by(Building.name, Elector.units_label, Elector.id, User.name))
    return [(b, label or "", name or "", phone or "", user_id)
            for b, label, name, phone, user_id in rows]


# --- the grid worker's page for one resident ------------------------------------------------

@dataclass
class ResidentPage:
    resident: User
    grid: Grid
    homes: list[str]
    consents: list[Consent]  # for this grid, newest first
    active: dict[str, Consent | None]  # act -> the consent that allows it now, or None
    votes: list[tuple[Vote, bool]]  # open votes the resident may vote in, and voted or not
    topics: list[Topic]  # topics open for comment the resident may comment on
    acts: list[AssistedAct]


def resident_page(viewer, grid: Grid, resident: User) -> ResidentPage:
    now = utcnow()
    homes = db.session.execute(
        select(Building.name, Unit.number).join(Unit, Unit.building_id == Building.id)
        .where(Building.grid_id == grid.id,
               Unit.id.in_([u[0] for u in membership(resident).verified_units]))
        .order_by(Building.name, Unit.number)).all()
    consents = list(db.session.scalars(
        select(Consent).where(Consent.resident_id == resident.id, Consent.grid_id == grid.id)
        .order_by(Consent.created_at.desc(), Consent.id.desc())))
    active = {act.value: next((c for c in consents if rules.act_refusal(c, act.value, now)
                               is None), None) for act in rules.Act}
    voted = (select(Ballot.id).where(Ballot.elector_id == ElectorMember.elector_id,
                                     Ballot.counted.is_(True)).exists())
    open_votes = [(v, bool(done)) for v, done in db.session.execute(
        select(Vote, voted).join(ElectorMember, ElectorMember.vote_id == Vote.id)
        .where(ElectorMember.user_id == resident.id, Vote.opens_at <= now, Vote.closes_at > now)
        .order_by(Vote.closes_at, Vote.id))]
    m = membership(resident)
    topics = [t for t in db.session.scalars(
        select(Topic).where(Topic.community_id == grid.community_id,
                            Topic.stage == Stage.COMMENTING.value)
        .order_by(Topic.title)) if in_scope(m, t)]
    acts = list(db.session.scalars(
        select(AssistedAct).where(AssistedAct.resident_id == resident.id)
        .order_by(AssistedAct.at.desc(), AssistedAct.id.desc()).limit(50)))
    return ResidentPage(resident, grid, [f"{b} {n}" for b, n in homes], consents, active,
                        open_votes, topics, acts)


# --- the resident's own page ----------------------------------------------------------------

@dataclass
class AssistancePage:
    grids: list[Grid]  # the grids the reader lives in
    consents: list[tuple[Consent, str]]  # with the grid's name, newest first
    acts: list[tuple[AssistedAct, str]]  # with the worker's name, newest first


def assistance_page(viewer) -> AssistancePage:
    """The reader's consents and what grid workers did for them: three queries (and the
    reader's homes, cached for the request)."""
    grid_ids = sorted({u[2] for u in membership(viewer).verified_units})
    grids = list(db.session.scalars(select(Grid).where(Grid.id.in_(grid_ids))
                                    .order_by(Grid.name))) if grid_ids else []
    consents = [(c, name) for c, name in db.session.execute(
        select(Consent, Grid.name).join(Grid, Grid.id == Consent.grid_id)
        .where(Consent.resident_id == viewer.id)
        .order_by(Consent.created_at.desc(), Consent.id.desc()))]
    acts = [(a, name or "—") for a, name in db.session.execute(
        select(AssistedAct, User.name).outerjoin(User, User.id == AssistedAct.worker_id)
        .where(AssistedAct.resident_id == viewer.id)
        .order_by(AssistedAct.at.desc(), AssistedAct.id.desc()).limit(200))]
    return AssistancePage(grids, consents, acts)
