"""A community for the activation tests: 2 grids × 2 buildings × 2 units, each unit with a roster
owner who has no account (one of them owns two homes, one has only an e-mail address, one
neither phone nor e-mail), a verified resident who co-owns a home and has an account, and the
people who may or may not issue codes."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from consult.accounts.models import Role, User
from consult.activation import service
from consult.community.models import Building, Community, Grid
from consult.extensions import db
from tests import factories


@dataclass
class World:
    community: Community
    other: Community
    grids: list[Grid]
    buildings: list[Building]  # 1网格 1栋, 1网格 2栋, 2网格 1栋, 2网格 2栋
    owners: list[User]  # roster owners without an account, one per unit, in unit order
    resident: User  # verified, co-owner of the first unit, has an account
    secretary: User
    admin: User
    representative: User
    other_secretary: User
    ids: dict = field(default_factory=dict)

    def scope(self, key: str = "community") -> service.Scope:
        return service.scope_of(self.community, key)

    def issue(self, key: str = "community", channel: str = service.LETTER) -> service.Issued:
        issued = service.issue(self.secretary, self.scope(key), channel)
        db.session.commit()
        return issued

    def letter_of(self, issued: service.Issued, owner: User) -> service.Letter:
        return next(l for l in issued.letters + issued.sent if l.owner_id == owner.id)


def roster_owner(name: str, phone: str | None = None, email: str | None = None) -> User:
    user = User(name=name, phone=phone, email=email, password_hash=None)
    db.session.add(user)
    db.session.flush()
    return user


@pytest.fixture
def w(app) -> World:
    a = factories.community("幸福社区", grids=2, buildings=2, units=2)
    b = factories.community("和谐社区", grids=1, buildings=1, units=1)
    grids = list(a.grids)
    buildings = [bd for g in grids for bd in g.buildings]
    units = [u for bd in buildings for u in bd.units]
    owners = []
    for i, unit in enumerate(units):
        if i == 1:
            owner = roster_owner(f"业主{i}", email="owner1@example.org")
        elif i == 2:
            owner = roster_owner(f"业主{i}")  # no phone, no e-mail on the roster
        else:
            owner = roster_owner(f"业主{i}", phone=f"1390000{i:04d}")
        factories.owner(owner, unit)
        owners.append(owner)
    factories.owner(owners[0], units[5])  # the first owner has a second home, in 2网格
    resident = factories.resident(a, "王居民", unit=units[0], phone="13800000001")
    factories.owner(resident, units[0])
    secretary = factories.user("秘书", phone="13800000002")
    factories.grant(secretary, a, Role.SECRETARY)
    admin = factories.office_holder(a, Role.ADMIN, "管理员")
    representative = factories.user("代表")
    factories.grant(representative, a, Role.REPRESENTATIVE)
    other_secretary = factories.user("别人的秘书")
    factories.grant(other_secretary, b, Role.SECRETARY)
    db.session.commit()
    return World(a, b, grids, buildings, owners, resident, secretary, admin, representative,
                 other_secretary)
