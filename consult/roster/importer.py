"""Writing a checked roster (花名册) into the community tree.

One call is one unit of work in the caller's transaction: the caller commits, or rolls back when
this raises, and then nothing at all is written. The existing tree and owners of the community
are read into dicts with a handful of queries and the changes are written with bulk inserts and
updates, so a roster of 20,000 units imports in seconds rather than minutes.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, delete, insert, select, update

from consult.accounts.models import User
from consult.audit.log import record
from consult.community.models import Building, Community, Grid, Ownership, Unit
from consult.database import begin_write
from consult.extensions import db
from consult.roster.parsing import Owner, ParsedRoster, RosterError, RosterRow, RowError

WRITE_BATCH = 1000  # roster rows written per round (and per progress step)
LOOKUP_CHUNK = 500  # phone numbers or e-mail addresses per IN (...) query
COMMUNITY_NAME_MAX = 80

T = TypeVar("T")


@dataclass
class ImportReport:
    """What an import did. Re-importing the same file leaves every count but
    ``units_unchanged`` at zero."""

    community_id: int
    community_created: bool = False
    grids_created: int = 0
    buildings_created: int = 0
    units_created: int = 0
    units_updated: int = 0  # floor area or owners changed
    units_unchanged: int = 0
    owners_created: int = 0  # new accounts, not yet able to log in
    owners_linked: int = 0  # accounts that existed and were given a unit
    ownerships_added: int = 0
    ownerships_removed: int = 0

    def counts(self) -> dict[str, int]:
        return {k: int(v) for k, v in asdict(self).items() if k != "community_id"}

    @property
    def changed(self) -> bool:
        return any(v for k, v in self.counts().items() if k != "units_unchanged")


def import_roster(community_name: str, roster: ParsedRoster, *, actor=None,
                  progress: Callable[[int], None] | None = None) -> ImportReport:
    """Create or update the community ``community_name`` from ``roster``.

    Grids, buildings and units are matched by name and created when missing; a listed unit
    gets the roster's floor area and exactly the roster's owners. Units not in the file are left
    alone. Owners are matched to accounts by phone or e-mail, or get a new account without a
    password. ``progress(n)`` is called with the number of rows written so far.

    Raises :class:`RosterError` when the roster and the accounts disagree on who is who (an
    owner's phone and e-mail belong to two accounts, or two owners named differently are one
    account); nothing has been written then.
    """
    name = community_name.strip()
    if not name or len(name) > COMMUNITY_NAME_MAX:
        raise ValueError(f"a community name has 1 to {COMMUNITY_NAME_MAX} characters")
    begin_write()
    # Every read comes first, so a refusal below happens before anything is written. The row
    # lock makes two imports into one community on PostgreSQL wait for each other.
    community = db.session.scalar(
        select(Community).where(Community.name == name).with_for_update())
    tree = _Tree.load(community.id) if community is not None else _Tree()
    accounts = _find_accounts(roster.owners)

    created = community is None
    if created:
        community = Community(name=name)
        db.session.add(community)
        db.session.flush()
    report = ImportReport(community_id=community.id, community_created=created)

    _add_grids(community.id, roster.rows, tree, report)
    _add_buildings(roster.rows, tree, report)
    owner_ids = _add_owners(roster.owners, accounts, report)

    linked: set[int] = set()
    created_ids = set(owner_ids.values()) - set(accounts.values())
    done = 0
    for batch in _chunks(roster.rows, WRITE_BATCH):
        _write_units(batch, tree, owner_ids, report, linked)
        done += len(batch)
        if progress is not None:
            progress(done)
    report.owners_linked = len(linked - created_ids)

    if report.changed:
        record("roster.import", community, actor=actor, community_id=community.id,
               details=report.counts())
    return report


class _Tree:
    """What the community holds already, keyed the way roster rows name it."""

    def __init__(self):
        self.grids: dict[str, int] = {}
        self.buildings: dict[tuple[int, str], int] = {}  # (grid id, name) → id
        self.units: dict[tuple[int, str], tuple[int, Decimal]] = {}  # (building id, number)
        self.owners: dict[int, dict[int, int]] = {}  # unit id → {owner id: ownership id}

    @classmethod
    def load(cls, community_id: int) -> _Tree:
        tree = cls()
        session = db.session
        in_community = Grid.community_id == community_id
        tree.grids = {n: i for i, n in session.execute(
            select(Grid.id, Grid.name).where(in_community))}
        tree.buildings = {(g, n): i for i, g, n in session.execute(
            select(Building.id, Building.grid_id, Building.name)
            .join(Grid, Building.grid_id == Grid.id).where(in_community))}
        tree.units = {(b, n): (i, a) for i, b, n, a in session.execute(
            select(Unit.id, Unit.building_id, Unit.number, Unit.area_m2)
            .join(Building, Unit.building_id == Building.id)
            .join(Grid, Building.grid_id == Grid.id).where(in_community))}
        for i, unit_id, owner_id in session.execute(
                select(Ownership.id, Ownership.unit_id, Ownership.owner_id)
                .join(Unit, Ownership.unit_id == Unit.id)
                .join(Building, Unit.building_id == Building.id)
                .join(Grid, Building.grid_id == Grid.id).where(in_community)):
            tree.owners.setdefault(unit_id, {})[owner_id] = i
        return tree


def _find_accounts(owners: list[Owner]) -> dict[Owner, int]:
    """The existing account of each roster owner who has one, found by phone or e-mail."""
    by_phone: dict[str, int] = {}
    by_email: dict[str, int] = {}
    phones = [o.phone for o in owners if o.phone]
    emails = [o.email for o in owners if o.email]
    for chunk in _chunks(phones, LOOKUP_CHUNK):
        by_phone.update((phone, user_id) for user_id, phone in db.session.execute(
            select(User.id, User.phone).where(_among(User.phone, chunk))))
    for chunk in _chunks(emails, LOOKUP_CHUNK):
        by_email.update((email, user_id) for user_id, email in db.session.execute(
            select(User.id, User.email).where(_among(User.email, chunk))))

    found: dict[Owner, int] = {}
    claimed: dict[int, Owner] = {}  # account id → the roster owner matched to it
    errors: list[RowError] = []
    for owner in owners:
        phone_account = by_phone.get(owner.phone) if owner.phone else None
        email_account = by_email.get(owner.email) if owner.email else None
        if phone_account and email_account and phone_account != email_account:
            # The message names no account holder: the uploader need not learn who they are.
            errors.append(RowError(owner.email_line or owner.line, "owner_email", _l(
                "The phone number and the e-mail address of %(name)s belong to two different "
                "accounts. Correct the roster, or ask a platform administrator to check the "
                "accounts.", name=owner.name)))
            continue
        account = phone_account or email_account
        if account is None:
            continue
        # One owner given by phone on some lines and by e-mail on others is one account; two
        # differently named owners cannot be.
        other = claimed.setdefault(account, owner)
        if other is not owner and other.name != owner.name:
            errors.append(RowError(owner.line, "owner_name", _l(
                "%(name)s and %(other)s (line %(other_line)d) are given the phone number and "
                "the e-mail address of one and the same account.", name=owner.name,
                other=other.name, other_line=other.line)))
            continue
        found[owner] = account
    if errors:
        raise RosterError(sorted(errors, key=lambda e: e.line))
    return found


def _add_grids(community_id: int, rows: list[RosterRow], tree: _Tree,
               report: ImportReport) -> None:
    missing = _unique(r.grid for r in rows if r.grid not in tree.grids)
    if missing:
        for grid_id, name in db.session.execute(
                insert(Grid).returning(Grid.id, Grid.name),
                [{"community_id": community_id, "name": n} for n in missing]):
            tree.grids[name] = grid_id
        report.grids_created = len(missing)


def _add_buildings(rows: list[RosterRow], tree: _Tree, report: ImportReport) -> None:
    missing = _unique((tree.grids[r.grid], r.building) for r in rows
                      if (tree.grids[r.grid], r.building) not in tree.buildings)
    if missing:
        for building_id, grid_id, name in db.session.execute(
                insert(Building).returning(Building.id, Building.grid_id, Building.name),
                [{"grid_id": g, "name": n} for g, n in missing]):
            tree.buildings[(grid_id, name)] = building_id
        report.buildings_created = len(missing)


def _add_owners(owners: list[Owner], accounts: dict[Owner, int],
                report: ImportReport) -> dict[Owner, int]:
    """The account id of every roster owner, creating the accounts that do not exist.

    New accounts have no password: the owner cannot log in until the account is activated."""
    ids = dict(accounts)
    new = [o for o in owners if o not in accounts]
    by_phone = {o.phone: o for o in new if o.phone}
    by_email = {o.email: o for o in new if o.email}
    for batch in _chunks(new, WRITE_BATCH):
        for user_id, phone, email in db.session.execute(
                # NULLs rendered, not left out: otherwise owners with and without an e-mail
                # go in different statements, which splits batches into a few rows each.
                insert(User).returning(User.id, User.phone, User.email)
                .execution_options(render_nulls=True),
                [{"name": o.name, "phone": o.phone, "email": o.email, "password_hash": None}
                 for o in batch]):
            ids[by_phone[phone] if phone else by_email[email]] = user_id
    report.owners_created = len(new)
    return ids


def _write_units(rows: list[RosterRow], tree: _Tree, owner_ids: dict[Owner, int],
                 report: ImportReport, linked: set[int]) -> None:
    """Insert or update one batch of units, then set their owners."""
    new_units, area_changes = [], []
    for row in rows:
        building_id = tree.buildings[(tree.grids[row.grid], row.building)]
        existing = tree.units.get((building_id, row.unit))
        if existing is None:
            new_units.append({"building_id": building_id, "number": row.unit,
                              "area_m2": row.area_m2})
        elif existing[1] != row.area_m2:
            area_changes.append({"id": existing[0], "area_m2": row.area_m2})
    created: set[int] = set()
    if new_units:
        for unit_id, building_id, number, area in db.session.execute(
                insert(Unit).returning(Unit.id, Unit.building_id, Unit.number, Unit.area_m2),
                new_units):
            tree.units[(building_id, number)] = (unit_id, area)
            created.add(unit_id)
    if area_changes:
        db.session.execute(update(Unit), area_changes)  # bulk UPDATE by primary key
    changed_areas = {c["id"] for c in area_changes}

    added, removed = [], []
    for row in rows:
        building_id = tree.buildings[(tree.grids[row.grid], row.building)]
        unit_id = tree.units[(building_id, row.unit)][0]
        current = tree.owners.get(unit_id, {})
        wanted = {owner_ids[o] for o in row.owners}
        to_add = wanted - current.keys()
        to_remove = current.keys() - wanted
        added += [{"unit_id": unit_id, "owner_id": o} for o in to_add]
        removed += [current[o] for o in to_remove]
        linked |= to_add
        if unit_id in created:
            report.units_created += 1
        elif to_add or to_remove or unit_id in changed_areas:
            report.units_updated += 1
        else:
            report.units_unchanged += 1
    for chunk in _chunks(removed, LOOKUP_CHUNK):
        db.session.execute(delete(Ownership).where(_among(Ownership.id, chunk)),
                           execution_options={"synchronize_session": False})
    if added:
        db.session.execute(insert(Ownership), added)
    report.ownerships_added += len(added)
    report.ownerships_removed += len(removed)


def _among(column, values: list):
    """``column IN (...)`` with the values written into the SQL. As bound parameters, the
    PostgreSQL driver prepares the repeated statement after a few chunks, and the generic plan
    can scan the whole table per chunk (right after a big import, before ANALYZE has run)."""
    return column.in_(bindparam(None, values, expanding=True, literal_execute=True))


def _chunks(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _unique(items: Iterable[T]) -> list[T]:
    """Distinct items in first-seen order (so ids follow the file's order)."""
    return list(dict.fromkeys(items))
