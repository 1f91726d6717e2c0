"""The rules of administering the community tree and role grants, without HTTP."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from consult.accounts.models import Role, RoleGrant
from consult.admin import service
from consult.refusals import Refused
from consult.audit.log import verify_chain
from consult.audit.models import AuditEntry
from consult.community.models import (
    Building, Community, Grid, Residency, ResidencyStatus, Unit,
)
from consult.extensions import db
from consult.permissions import may
from tests import factories

# These tests check messages in English, the language the texts are written in.
pytestmark = pytest.mark.usefixtures("english")


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


@pytest.fixture
def actor(app):
    return factories.user("管理员", platform_admin=True)


# --- input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("88.5", "88.50"), ("88.50", "88.50"), ("120", "120.00"), (" 66.66 ", "66.66"),
    ("0.01", "0.01"), ("99999999.99", "99999999.99"), (Decimal("72.3"), "72.30"),
])
def test_parse_area_accepts_positive_numbers_with_two_places(app, raw, expected):
    assert service.parse_area(raw) == Decimal(expected)
    assert str(service.parse_area(raw)) == expected


@pytest.mark.parametrize("raw, message", [
    ("12.345", "at most two decimal places"),
    ("0", "more than 0"),
    ("0.00", "more than 0"),
    ("abc", "as a number"),
    ("", "Enter the floor area"),
    ("   ", "Enter the floor area"),
    (None, "Enter the floor area"),
    ("-5", "as a number"),
    ("1e3", "as a number"),
    ("12,5", "as a number"),
    ("NaN", "as a number"),
    ("88.", "as a number"),
    ("100000000", "too large"),
])
def test_parse_area_refuses_bad_areas_with_a_message_on_the_area_field(app, raw, message):
    with pytest.raises(Refused) as error:
        service.parse_area(raw)
    assert error.value.field == "area_m2"
    assert message in str(error.value)


def test_clean_text_refuses_empty_and_over_long(app):
    assert service.clean_text("  一网格 ") == "一网格"
    with pytest.raises(Refused, match="fill this in") as error:
        service.clean_text("   ")
    assert error.value.field == "name"
    with pytest.raises(Refused, match="At most 80"):
        service.clean_text("长" * 81)
    assert service.clean_text("长" * 80) == "长" * 80
    assert service.clean_text("", "district", required=False) == ""


@pytest.mark.parametrize("value", [0, 501, -3, True, "10", None, 10.0])
def test_threshold_must_be_a_whole_number_from_1_to_500(app, value):
    with pytest.raises(Refused) as error:
        service.check_threshold(value)
    assert error.value.field == "cosign_threshold"


def test_threshold_bounds_are_included(app):
    assert service.check_threshold(1) == 1
    assert service.check_threshold(500) == 500


# --- communities ---------------------------------------------------------------------------

def test_create_community_writes_it_and_the_audit_log(actor):
    c = service.create_community(actor, name=" 幸福社区 ", district="朝阳区",
                                 street_office="和平街道", cosign_threshold=25)
    db.session.commit()
    assert (c.name, c.district, c.street_office, c.cosign_threshold) == \
        ("幸福社区", "朝阳区", "和平街道", 25)
    entry = db.session.scalar(select(AuditEntry))
    assert (entry.action, entry.object_id, entry.community_id, entry.actor_id) == \
        ("community.create", c.id, c.id, actor.id)
    assert entry.details["cosign_threshold"] == 25
    assert service.create_community(actor, name="二社区").cosign_threshold == 10


def test_community_names_are_unique(actor):
    service.create_community(actor, name="幸福社区")
    db.session.commit()
    with pytest.raises(Refused, match="already exists") as error:
        service.create_community(actor, name="幸福社区")
    assert error.value.field == "name"
    db.session.rollback()
    assert count(Community) == 1


def test_update_community_returns_changes_and_audits_only_real_changes(actor):
    c = factories.community("幸福社区")
    other = factories.community("和谐社区")
    changes = service.update_community(actor, c, name="幸福社区", district="朝阳区",
                                       street_office="", cosign_threshold=12)
    assert changes == {"district": ["", "朝阳区"], "cosign_threshold": [10, 12]}
    assert audit_actions() == ["community.update"]
    assert service.update_community(actor, c, name="幸福社区", district="朝阳区",
                                    street_office="", cosign_threshold=12) == {}
    assert audit_actions() == ["community.update"]
    with pytest.raises(Refused, match="already exists"):
        service.update_community(actor, c, name=other.name, district="", street_office="",
                                 cosign_threshold=10)


# --- grids, buildings, units ---------------------------------------------------------------

def test_grid_names_are_unique_within_their_community_only(actor):
    a = factories.community("甲社区", grids=1)
    b = factories.community("乙社区", grids=0)
    db.session.commit()
    taken = a.grids[0].name
    with pytest.raises(Refused, match="already has a grid") as error:
        service.add_grid(actor, a, f"  {taken} ")
    assert error.value.field == "name"
    db.session.rollback()
    grid = service.add_grid(actor, b, taken)  # another community may use the same name
    assert grid.community_id == b.id
    assert audit_actions() == ["grid.create"]


def test_rename_grid(actor):
    c = factories.community(grids=2)
    db.session.commit()
    first, second = c.grids
    assert service.rename_grid(actor, first, first.name) is False  # nothing to do
    with pytest.raises(Refused, match="already has a grid"):
        service.rename_grid(actor, first, second.name)
    db.session.rollback()
    assert service.rename_grid(actor, first, "东区") is True
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "grid.rename"))
    assert entry.details == {"old": "1网格", "new": "东区"}


def test_building_names_are_unique_within_their_grid_only(actor):
    c = factories.community(grids=2, buildings=1)
    db.session.commit()
    g1, g2 = c.grids
    with pytest.raises(Refused, match="already has a building"):
        service.add_building(actor, g1, "1栋")
    db.session.rollback()
    service.add_building(actor, g1, "2栋")
    with pytest.raises(Refused, match="already has a building"):
        service.rename_building(actor, g1.buildings[0], "2栋")
    db.session.rollback()
    assert count(Building) == 2


def test_unit_numbers_are_unique_within_their_building(actor):
    c = factories.community(units=2)
    db.session.commit()
    building = c.grids[0].buildings[0]
    first, second = building.units
    with pytest.raises(Refused, match="already has a home") as error:
        service.add_unit(actor, building, first.number, "50")
    assert error.value.field == "number"
    db.session.rollback()
    with pytest.raises(Refused, match="already has a home"):
        service.update_unit(actor, first, second.number, "50")
    db.session.rollback()
    assert count(Unit) == 2


def test_add_and_update_unit_store_exact_areas(actor):
    c = factories.community(units=0)
    building = c.grids[0].buildings[0]
    unit = service.add_unit(actor, building, "0301", "88.5")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Unit, unit.id).area_m2 == Decimal("88.50")
    changes = service.update_unit(actor, unit, "0302", "90.25")
    assert changes == {"number": ["0301", "0302"], "area_m2": ["88.50", "90.25"]}
    with pytest.raises(Refused, match="two decimal"):
        service.update_unit(actor, unit, "0302", "90.255")
    with pytest.raises(Refused, match="more than 0"):
        service.add_unit(actor, building, "0401", "0")
    assert audit_actions() == ["unit.create", "unit.update"]


def test_a_concurrent_duplicate_is_refused_by_the_database_with_the_same_message(
        actor, monkeypatch):
    """Two requests can both pass the Python check; the UNIQUE constraint decides."""
    c = factories.community(grids=1, units=1)
    db.session.commit()
    monkeypatch.setattr(service, "_grid_name_taken", lambda *a, **k: False)
    monkeypatch.setattr(service, "_unit_number_taken", lambda *a, **k: False)
    with pytest.raises(Refused, match="already has a grid") as error:
        service.add_grid(actor, c, c.grids[0].name)
    assert error.value.field == "name"
    db.session.rollback()
    building = c.grids[0].buildings[0]
    with pytest.raises(Refused, match="already has a home") as error:
        service.add_unit(actor, building, building.units[0].number, "40")
    assert error.value.field == "number"
    db.session.rollback()
    assert (count(Grid), count(Unit), count(AuditEntry)) == (1, 1, 0)


# --- deletes that would lose people's data -------------------------------------------------

@pytest.fixture
def tree(app):
    c = factories.community(grids=1, buildings=2, units=2)
    return c, c.grids[0], c.grids[0].buildings[0], c.grids[0].buildings[0].units[0]


@pytest.mark.parametrize("who", ["owner", "verified", "pending"])
def test_nothing_with_people_in_it_can_be_deleted(actor, tree, who):
    c, grid, building, unit = tree
    person = factories.user("业主")
    if who == "owner":
        factories.owner(person, unit)
    else:
        status = ResidencyStatus.VERIFIED if who == "verified" else ResidencyStatus.PENDING
        factories.resident(c, unit=unit, status=status)
    db.session.commit()
    expected = {"owner": r"owners of record: 1, verified residents: 0, waiting for "
                         r"verification: 0\)",
                "verified": r"owners of record: 0, verified residents: 1, waiting",
                "pending": r"verified residents: 0, waiting for verification: 1\)"}[who]
    for delete, obj in [(service.delete_unit, unit), (service.delete_building, building),
                        (service.delete_grid, grid)]:
        with pytest.raises(Refused, match=expected) as error:
            delete(actor, obj)
        assert error.value.field is None
        db.session.rollback()
    assert (count(Grid), count(Building), count(Unit)) == (1, 2, 4)
    assert count(AuditEntry) == 0


def test_empty_things_are_deleted_with_an_audit_entry(actor, tree):
    c, grid, building, unit = tree
    # A refused request does not hold a home back: it is history, not a resident.
    factories.resident(c, unit=unit, status=ResidencyStatus.REFUSED)
    service.delete_unit(actor, unit)
    db.session.commit()
    assert count(Unit) == 3 and count(Residency) == 0
    service.delete_building(actor, db.session.get(Building, building.id))
    db.session.commit()
    assert (count(Building), count(Unit)) == (1, 2)
    service.delete_grid(actor, db.session.get(Grid, grid.id))
    db.session.commit()
    assert (count(Grid), count(Building), count(Unit)) == (0, 0, 0)
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == ["unit.delete", "building.delete", "grid.delete"]
    assert entries[1].details["units"] == 1
    assert entries[2].details == {"name": "1网格", "buildings": 1, "units": 2}
    assert all(e.community_id == c.id for e in entries)
    assert verify_chain().ok


def test_people_elsewhere_do_not_block_a_delete(actor, tree):
    c, grid, building, unit = tree
    other_building = grid.buildings[1]
    factories.owner(factories.user(), other_building.units[0])
    service.delete_building(actor, building)
    db.session.commit()
    assert count(Building) == 1


# --- role grants ---------------------------------------------------------------------------

def test_grant_by_phone_in_any_format_or_email_and_forget_memberships(actor):
    c = factories.community()
    secretary = factories.user("秘书", phone="13800138000")
    helper = factories.user("助手", email="helper@example.org")
    db.session.commit()
    assert not may(secretary, "residency.decide", c)  # cached for this app context now
    grant = service.grant_role(actor, c, "+86 138-0013-8000", "secretary")
    assert (grant.user_id, grant.role, grant.granted_by_id) == (secretary.id, "secretary",
                                                                actor.id)
    assert may(secretary, "residency.decide", c)  # the cache was dropped
    service.grant_role(actor, c, " Helper@Example.ORG ", "admin")
    db.session.commit()
    assert may(helper, "community.manage", c)
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.details["user_id"], e.details["role"], e.community_id)
            for e in entries] == [("role.grant", secretary.id, "secretary", c.id),
                                  ("role.grant", helper.id, "admin", c.id)]


@pytest.mark.parametrize("identifier, role, field, message", [
    ("13900000000", "secretary", "identifier", "No account"),
    ("nobody@example.org", "secretary", "identifier", "No account"),
    ("", "secretary", "identifier", "fill this in"),
    ("13800138000", "mayor", "role", "Choose a role"),
    ("13800138000", "resident", "role", "Choose a role"),
    ("13800138000", "representative", "identifier", "already holds this role"),
])
def test_grant_refusals(actor, identifier, role, field, message):
    c = factories.community()
    person = factories.user("代表", phone="13800138000")
    factories.grant(person, c, Role.REPRESENTATIVE)
    db.session.commit()
    with pytest.raises(Refused, match=message) as error:
        service.grant_role(actor, c, identifier, role)
    assert error.value.field == field
    db.session.rollback()
    assert count(RoleGrant) == 1 and count(AuditEntry) == 0


def test_the_same_person_may_hold_several_roles_and_in_several_communities(actor):
    a, b = factories.community(), factories.community()
    factories.user("多面手", phone="13800138000")
    for c, role in [(a, "secretary"), (a, "representative"), (b, "secretary")]:
        service.grant_role(actor, c, "13800138000", role)
    assert count(RoleGrant) == 3


def test_an_admin_cannot_revoke_their_own_admin_grant(app):
    c = factories.community()
    admin = factories.office_holder(c, Role.ADMIN)
    db.session.commit()
    own = db.session.scalar(select(RoleGrant).where(RoleGrant.user_id == admin.id))
    assert service.may_revoke(admin, own) is False
    with pytest.raises(Refused, match="cannot revoke your own") as error:
        service.revoke_grant(admin, own)
    assert error.value.field is None
    db.session.rollback()
    assert count(RoleGrant) == 1
    # ... but their other roles, and other admins' grants, they can.
    other_admin = factories.office_holder(c, Role.ADMIN, "另一位管理员")
    own_secretary = factories.grant(admin, c, Role.SECRETARY)
    other = db.session.scalar(select(RoleGrant).where(RoleGrant.user_id == other_admin.id))
    service.revoke_grant(admin, own_secretary)
    service.revoke_grant(admin, other)
    db.session.commit()
    assert not may(other_admin, "community.manage", c)
    assert [e.details["role"] for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "role.revoke"))] == ["secretary", "admin"]


def test_a_platform_admin_can_revoke_their_own_admin_grant(actor):
    c = factories.community()
    own = factories.grant(actor, c, Role.ADMIN)
    assert service.may_revoke(actor, own)
    service.revoke_grant(actor, own)
    db.session.commit()
    assert count(RoleGrant) == 0
