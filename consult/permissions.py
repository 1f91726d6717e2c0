"""The one permission table: may this user do this action on this object?

Views and templates ask :func:`may` / :func:`check` and never test roles themselves. Each rule
returns ``None`` to allow or a :class:`Refusal` whose message says why in words a resident or a
secretary understands. Later features add their actions to ``RULES``.
"""
from __future__ import annotations

import functools

from dataclasses import dataclass, field
from typing import Callable

from flask import g, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, String, bindparam, cast, null, select, union_all

from consult.accounts.models import Role, RoleGrant
from consult.extensions import db


@dataclass(frozen=True)
class Refusal:
    code: str  # stable: "login_required", "not_verified", "forbidden", ...
    message: str


LOGIN_REQUIRED = "login_required"
NOT_VERIFIED = "not_verified"
FORBIDDEN = "forbidden"


@dataclass
class Membership:
    """What one user is, loaded once per request: platform admin flag, granted roles per
    community, and the units they are verified to."""

    user_id: int | None
    platform_admin: bool = False
    roles: dict[int, set[str]] = field(default_factory=dict)
    # (unit_id, building_id, grid_id, community_id) for each verified residency
    verified_units: list[tuple[int, int, int, int]] = field(default_factory=list)
    # grid id -> community id of each grid the user is a grid worker (网格员) of
    worker_grids: dict[int, int] = field(default_factory=dict)

    def has_role(self, community_id: int | None, *roles: Role) -> bool:
        held = self.roles.get(community_id, set())
        return any(r.value in held for r in roles)

    def verified_in(self, community_id: int) -> bool:
        return any(u[3] == community_id for u in self.verified_units)

    @property
    def verified_anywhere(self) -> bool:
        return bool(self.verified_units)

    def works_grid(self, grid_id: int | None) -> bool:
        return grid_id is not None and grid_id in self.worker_grids

    def works_in(self, community_id: int | None) -> bool:
        return community_id is not None and community_id in self.worker_grids.values()

    @property
    def communities(self) -> set[int]:
        return set(self.roles) | {u[3] for u in self.verified_units}


ANONYMOUS = Membership(user_id=None)


def membership(user) -> Membership:
    """The :class:`Membership` of ``user``, cached for the request."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    cache = g.setdefault("_memberships", {}) if has_app_context() else {}
    if user.id not in cache:
        cache[user.id] = load_membership(user)
    return cache[user.id]


def forget_memberships() -> None:
    """Drop cached memberships after a change of roles or residency in this request."""
    if has_app_context():
        g.pop("_memberships", None)


def load_membership(user) -> Membership:
    """The user's roles and verified homes: one query (it runs on every logged-in page)."""
    m = Membership(user_id=user.id, platform_admin=bool(user.is_platform_admin))
    for community_id, role, unit_id, building_id, grid_id in db.session.execute(
            _membership_statement(), {"user_id": user.id}):
        if role is not None:
            m.roles.setdefault(community_id, set()).add(role)
            if role == Role.GRID_WORKER.value and grid_id is not None:
                m.worker_grids[grid_id] = community_id
        else:
            m.verified_units.append((unit_id, building_id, grid_id, community_id))
    return m


@functools.cache
def _membership_statement():
    """:func:`load_membership`'s union, built once (every logged-in page runs it): a
    statement used again skips building and SQLAlchemy's keying of it."""
    from consult.community.models import Building, Grid, Residency, ResidencyStatus, Unit

    user_id = bindparam("user_id", type_=Integer)
    no_id, no_role = cast(null(), Integer), cast(null(), String)
    roles = select(RoleGrant.community_id, RoleGrant.role, no_id, no_id,
                   RoleGrant.grid_id).where(RoleGrant.user_id == user_id)
    homes = (select(Grid.community_id, no_role, Unit.id, Building.id, Grid.id)
             .join(Residency, Residency.unit_id == Unit.id)
             .join(Building, Unit.building_id == Building.id)
             .join(Grid, Building.grid_id == Grid.id)
             .where(Residency.user_id == user_id,
                    Residency.status == ResidencyStatus.VERIFIED.value))
    return union_all(roles, homes)


# --- helpers for rules --------------------------------------------------------------------

def community_id_of(obj) -> int | None:
    """The community an object belongs to, for the objects the rules receive."""
    from consult.community.models import Building, Community, Grid, Residency, Unit

    if obj is None:
        return None
    if isinstance(obj, int):
        return obj
    if isinstance(obj, Community):
        return obj.id
    if isinstance(obj, Grid):
        return obj.community_id
    if isinstance(obj, Building):
        return obj.grid.community_id
    if isinstance(obj, Unit):
        return obj.building.grid.community_id
    if isinstance(obj, Residency):
        return community_id_of(obj.unit)
    return getattr(obj, "community_id", None)


def grid_id_of(obj) -> int | None:
    """The grid an object lies in, when it lies in one grid: a grid, a building, a unit, a
    residency, or anything with a ``grid_id`` (a topic or vote scoped to a grid)."""
    from consult.community.models import Building, Grid, Residency, Unit

    if isinstance(obj, Grid):
        return obj.id
    if isinstance(obj, Building):
        return obj.grid_id
    if isinstance(obj, Unit):
        return obj.building.grid_id
    if isinstance(obj, Residency):
        return grid_id_of(obj.unit)
    return getattr(obj, "grid_id", None)


def _login(m: Membership) -> Refusal | None:
    if m.user_id is None:
        return Refusal(LOGIN_REQUIRED, _l("Please log in first."))
    return None


def _admin_of(m: Membership, obj) -> Refusal | None:
    if refusal := _login(m):
        return refusal
    if m.platform_admin or m.has_role(community_id_of(obj), Role.ADMIN):
        return None
    return Refusal(FORBIDDEN, _l("Only an administrator of this community may do this."))


def _platform_admin(m: Membership, obj) -> Refusal | None:
    if refusal := _login(m):
        return refusal
    if m.platform_admin:
        return None
    return Refusal(FORBIDDEN, _l("Only a platform administrator may do this."))


def _any_admin(m: Membership, obj) -> Refusal | None:
    if refusal := _login(m):
        return refusal
    if m.platform_admin or any(Role.ADMIN.value in r for r in m.roles.values()):
        return None
    return Refusal(FORBIDDEN, _l("Only an administrator may do this."))


def _office_holder_of(m: Membership, obj) -> Refusal | None:
    """Admin or secretary of the object's community."""
    if refusal := _login(m):
        return refusal
    if m.platform_admin or m.has_role(community_id_of(obj), Role.ADMIN, Role.SECRETARY):
        return None
    return Refusal(FORBIDDEN, _l("Only a secretary or administrator of this community may do this."))


def _residency_decider(m: Membership, obj) -> Refusal | None:
    """An admin or secretary of the home's community, deciding someone else's request: nobody
    verifies their own residency (a secretary would make themself an elector)."""
    if refusal := _office_holder_of(m, obj):
        return refusal
    if getattr(obj, "user_id", None) is not None and obj.user_id == m.user_id and \
            hasattr(obj, "unit_id"):
        return Refusal(FORBIDDEN, _l("Nobody decides their own request: another official or "
                                     "an administrator of the community verifies it."))
    return None


def _any_office_holder(m: Membership, obj) -> Refusal | None:
    if refusal := _login(m):
        return refusal
    if m.platform_admin or any(r & {Role.ADMIN.value, Role.SECRETARY.value}
                               for r in m.roles.values()):
        return None
    return Refusal(FORBIDDEN, _l("Only a secretary or administrator may do this."))


def _any_official(m: Membership, obj) -> Refusal | None:
    """A secretary, administrator or representative of some community, or a platform
    administrator: someone work waits for."""
    if refusal := _login(m):
        return refusal
    if m.platform_admin or any(r & {Role.ADMIN.value, Role.SECRETARY.value,
                                    Role.REPRESENTATIVE.value} for r in m.roles.values()):
        return None
    return Refusal(FORBIDDEN, _l("Only a secretary, administrator or representative has a "
                                 "desk."))


def _grid_worker_of(m: Membership, obj) -> Refusal | None:
    """A grid worker of the object's grid, or a secretary or administrator of its community."""
    if refusal := _login(m):
        return refusal
    if _office_holder_of(m, obj) is None or m.works_grid(grid_id_of(obj)):
        return None
    return Refusal(FORBIDDEN, _l("Only a grid worker of this grid or a secretary of this "
                                 "community may do this."))


def _grid_worker_in(m: Membership, obj) -> Refusal | None:
    """A grid worker of any grid of the object's community, or a secretary or administrator
    of it: for pages that list, grid by grid, what each may see."""
    if refusal := _login(m):
        return refusal
    if _office_holder_of(m, obj) is None or m.works_in(community_id_of(obj)):
        return None
    return Refusal(FORBIDDEN, _l("Only a grid worker or a secretary of this community may do "
                                 "this."))


def _grid_worker_only(m: Membership, obj) -> Refusal | None:
    """A grid worker of the object's grid, and nobody else: acting for a resident who
    consented is the grid worker's errand (the consent names the grid's workers)."""
    if refusal := _login(m):
        return refusal
    if m.works_grid(grid_id_of(obj)):
        return None
    return Refusal(FORBIDDEN, _l("Only a grid worker of this grid may do this."))


def _grid_phone_reader(m: Membership, obj) -> Refusal | None:
    """A grid worker of the object's grid or a secretary of its community: who phones the
    grid's owners (least exposure: administrators see the numbers masked)."""
    if refusal := _login(m):
        return refusal
    if m.works_grid(grid_id_of(obj)) or m.has_role(community_id_of(obj), Role.SECRETARY):
        return None
    return Refusal(FORBIDDEN, _l("Only a grid worker of this grid or a secretary of this "
                                 "community sees whole phone numbers."))


def _any_grid_worker(m: Membership, obj) -> Refusal | None:
    if refusal := _login(m):
        return refusal
    if m.worker_grids:
        return None
    return Refusal(FORBIDDEN, _l("Only a grid worker may do this."))


def _logged_in(m: Membership, obj) -> Refusal | None:
    return _login(m)


def _verified_resident_of(m: Membership, obj) -> Refusal | None:
    """A verified resident of the object's community (or anywhere, when no object is given)."""
    if refusal := _login(m):
        return refusal
    cid = community_id_of(obj)
    if (m.verified_in(cid) if cid is not None else m.verified_anywhere):
        return None
    return Refusal(NOT_VERIFIED, _l(
        "Only verified residents of this community can do this. Ask to be verified to your "
        "home on the “My residency” page."))


# --- topics ---------------------------------------------------------------------------------

def in_scope(m: Membership, topic) -> bool:
    """Is the user verified to a home inside the topic's scope (community, grid or building)?"""
    for _unit, building_id, grid_id, community_id in m.verified_units:
        if community_id != topic.community_id:
            continue
        if topic.building_id is not None:
            if building_id == topic.building_id:
                return True
        elif topic.grid_id is not None:
            if grid_id == topic.grid_id:
                return True
        else:
            return True
    return False


def _topic_participant(m: Membership, topic) -> Refusal | None:
    """A verified resident living inside the topic's scope: co-sign, comment, react, report."""
    if refusal := _verified_resident_of(m, topic):
        return refusal
    if in_scope(m, topic):
        return None
    return Refusal(FORBIDDEN, _l(
        "This topic concerns another part of the community; only its residents can take part."))


# The roles that speak for a community in its topics' threads, the one residents know best
# first: a comment shows the first of these its author holds.
SPEAKING_ROLES = (Role.SECRETARY, Role.REPRESENTATIVE, Role.ADMIN)


def speaking_role(m: Membership, community_id: int | None) -> str | None:
    """The role ``m`` speaks with in ``community_id``'s topics, or ``None``."""
    held = m.roles.get(community_id, set())
    return next((r.value for r in SPEAKING_ROLES if r.value in held), None)


def _community_official(m: Membership, obj) -> Refusal | None:
    """A secretary, representative or administrator of the object's community (a platform
    administrator without a role there is not one: they do not speak for it)."""
    if refusal := _login(m):
        return refusal
    if speaking_role(m, community_id_of(obj)) is not None:
        return None
    return Refusal(FORBIDDEN, _l("Only a secretary, representative or administrator of this "
                                 "community may do this."))


def _proposer(m: Membership, topic) -> Refusal | None:
    if refusal := _login(m):
        return refusal
    if topic.proposer_id == m.user_id:
        return None
    return Refusal(FORBIDDEN, _l("Only the resident who proposed this topic may do this."))


# --- studios (代表工作室) ------------------------------------------------------------------

def _representative_of(m: Membership, obj) -> Refusal | None:
    """A representative of the object's community; on a studio, one attached to it; on a
    session, the representative who holds it."""
    if refusal := _login(m):
        return refusal
    if not m.has_role(community_id_of(obj), Role.REPRESENTATIVE):
        return Refusal(FORBIDDEN, _l("Only a representative of this community may do this."))
    holder = getattr(obj, "representative_id", None)
    if holder is not None and holder != m.user_id:
        return Refusal(FORBIDDEN, _l("Only the representative who holds this session may do "
                                     "this."))
    attached = getattr(obj, "representative_ids", None)
    if attached is not None and m.user_id not in attached:
        return Refusal(FORBIDDEN, _l("You are not attached to this studio. Ask an "
                                     "administrator of the community to attach you."))
    return None


def _session_holder_or_admin(m: Membership, obj) -> Refusal | None:
    if refusal := _login(m):
        return refusal
    if m.platform_admin or m.has_role(community_id_of(obj), Role.ADMIN):
        return None
    if _representative_of(m, obj) is None:
        return None
    return Refusal(FORBIDDEN, _l("Only the representative of this session or an "
                                 "administrator of the community may do this."))


# --- votes ----------------------------------------------------------------------------------

def _elector_member(m: Membership, seat) -> Refusal | None:
    """A person who may cast the elector's ballot (an owner of its homes): ``seat`` has the
    ``member_ids`` of the elector (consult/votes/proxies.py)."""
    if refusal := _login(m):
        return refusal
    if m.user_id in getattr(seat, "member_ids", ()):
        return None
    return Refusal(FORBIDDEN, _l("Only an owner of these homes, on the list of voters of this "
                                 "vote, may do this."))


Rule = Callable[[Membership, object], "Refusal | None"]

RULES: dict[str, Rule] = {
    "community.create": _platform_admin,
    "community.manage": _admin_of,  # edit the tree, halls, settings; import rosters
    "admin.enter": _any_admin,  # see the administration section at all
    "roles.manage": _admin_of,
    "residency.request": _logged_in,
    "residency.review_any": _any_office_holder,  # see the verification queue
    "residency.decide": _residency_decider,  # obj: a residency (or its community)
    "resident.act": _verified_resident_of,
    # grid workers (网格员); obj: a grid, building, unit or residency (grid.work), or the
    # community (grid.work_any: pages that then show each person only their grids)
    "grid.work": _grid_worker_of,
    "grid.work_any": _grid_worker_in,
    # the names and phones of a grid's owners, who has voted there (never how), the list of
    # those who have not (obj: the grid)
    "grid.enter": _any_grid_worker,  # the "My grid" link in the header
    "grid.see_people": _grid_worker_of,
    # ... with whole phone numbers (others with grid.see_people see them masked)
    "grid.see_phones": _grid_phone_reader,
    # record a consent given in person, cast a ballot or comment for a resident who consented
    # (obj: the grid; the consent itself is checked by consult.grids.service)
    "grid.act_for": _grid_worker_only,
    # topics (议题)
    "topic.propose": _verified_resident_of,  # obj: the community
    "topic.edit_draft": _proposer,
    "topic.withdraw": _proposer,
    "topic.participate": _topic_participant,  # co-sign, comment, react, report
    # comment and reply without a residency, marked with the role; post official answers
    "topic.speak": _community_official,
    "topic.manage": _office_holder_of,  # accept or reject proposals, move topics between stages
    "topic.moderate": _office_holder_of,  # hide and restore comments, see hidden ones
    "topic.moderate_any": _any_office_holder,  # see the moderation queue
    "topic.follow": _logged_in,
    "desk.enter": _any_official,  # the official's desk (我的工作台) and its count in the header
    # studios (代表工作室); obj: the community, a studio or a session
    "studio.manage": _admin_of,  # studios, rooms, opening hours, attachments, profiles
    "studio.book": _representative_of,  # book sessions (on a studio: attached to it)
    "studio.cancel": _session_holder_or_admin,
    "studio.reserve": _verified_resident_of,  # reserve a reception slot
    "studio.record": _representative_of,  # see a session's reservations, record receptions
    # deliberation halls (议事厅); obj: the community, a hall or a meeting
    "hall.manage": _admin_of,  # create and edit halls
    "meeting.manage": _office_holder_of,  # schedule, reschedule, cancel; write and publish minutes
    "meeting.attend": _verified_resident_of,  # register to attend a meeting
    # paper ballots (书面表决票): entering and confirming a paper, printing a building's papers
    # (obj: the elector's building, or the community for an elector without one); the paper
    # desk of a vote (obj: its community); resolving disagreements and seeing photos of papers
    # (obj: the vote). Printing the whole electorate is topic.manage.
    "vote.paper": _grid_worker_of,
    "vote.paper_desk": _grid_worker_in,
    "vote.paper_resolve": _office_holder_of,
    "vote.paper_photo": _office_holder_of,
    # outcomes (结果公示与落实); obj: the topic. Publishing, answering, progress: topic.manage
    "outcome.object": _topic_participant,  # lodge an objection during the publicity window
    "outcome.rate": _topic_participant,  # rate satisfaction once implementation is done
    # activation of roster owners (账号激活); obj: the community, a grid or a building
    "activation.issue": _grid_worker_of,  # issue codes and letters, see how far it has come
    # votes (表决); proxies (委托投票)
    "vote.proxy_grant": _elector_member,  # obj: a seat (elector + member ids): authorise, revoke
    "vote.proxy_record": _office_holder_of,  # obj: the vote: record paper ones, see the scans
    # the access record (查阅记录): export it (a platform administrator: every community; an
    # administrator of a community: theirs)
    "disclosures.export": _any_admin,
}


def check(user, action: str, obj=None) -> Refusal | None:
    try:
        rule = RULES[action]
    except KeyError:  # an unknown action is a programming error, never an allow
        raise KeyError(f"no permission rule for {action!r}") from None
    return rule(membership(user), obj)


def may(user, action: str, obj=None) -> bool:
    return check(user, action, obj) is None
