"""Who may use the administration pages, built from the app's own URL map: a new admin route
without an entry in ``EXPECTED`` fails here until someone says who may use it."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from consult.accounts.models import Role, RoleGrant
from consult.audit.models import AuditEntry
from consult.community.models import Building, Community, Grid, Ownership, Unit
from consult.extensions import db
from tests import factories

ENTER, CREATE, MANAGE = "enter", "create", "manage"

# endpoint -> (which permission it needs, form data for a POST that would succeed)
EXPECTED = {
    "admin.index": (ENTER, None),
    "admin.create_community": (CREATE, {"name": "入侵社区", "cosign_threshold": "10"}),
    "admin.community": (MANAGE, {"community-name": "改名社区",
                                 "community-cosign_threshold": "3"}),
    "admin.add_grid": (MANAGE, {"grid-name": "入侵网格"}),
    "admin.grid": (MANAGE, {"name": "改名网格"}),
    "admin.delete_grid": (MANAGE, {}),
    "admin.add_building": (MANAGE, {"building-grid": "{grid_id}",
                                    "building-name": "入侵栋"}),
    "admin.building": (MANAGE, {"building-name": "改名栋"}),
    "admin.delete_building": (MANAGE, {}),
    "admin.add_unit": (MANAGE, {"unit-number": "9999", "unit-area_m2": "50"}),
    "admin.unit": (MANAGE, {"number": "9998", "area_m2": "51"}),
    "admin.delete_unit": (MANAGE, {}),
    "admin.roles": (MANAGE, {"identifier": "13500000000", "role": "admin"}),
    "admin.revoke": (MANAGE, {}),
}

PERSONAS = ["anonymous", "no_roles", "resident", "secretary", "representative",
            "admin_of_other", "admin", "platform_admin"]


def allowed(persona: str, need: str) -> bool:
    if persona == "platform_admin":
        return True
    if persona == "admin":
        return need in (ENTER, MANAGE)
    if persona == "admin_of_other":
        return need == ENTER
    return False


def snapshot() -> tuple[int, ...]:
    return tuple(db.session.scalar(select(func.count()).select_from(m))
                 for m in (Community, Grid, Building, Unit, Ownership, RoleGrant, AuditEntry))


def admin_routes(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint.startswith("admin.")]


def test_every_admin_route_has_an_expected_answer(app):
    endpoints = {r.endpoint for r in admin_routes(app)}
    assert endpoints == set(EXPECTED), (
        f"say who may use {sorted(endpoints - set(EXPECTED))}; "
        f"drop {sorted(set(EXPECTED) - endpoints)}")


@pytest.fixture
def world(app):
    a = factories.community("幸福社区", grids=1, buildings=1, units=2)
    b = factories.community("和谐社区")
    # Every id in the URLs belongs to community A, and a home in it is empty, so any POST
    # that got through would write something.
    people = {
        "no_roles": factories.user("路人"),
        "resident": factories.resident(a, "居民"),
        "secretary": factories.office_holder(a, Role.SECRETARY, "秘书"),
        "representative": factories.office_holder(a, Role.REPRESENTATIVE, "代表"),
        "admin_of_other": factories.office_holder(b, Role.ADMIN, "别社区管理"),
        "admin": factories.office_holder(a, Role.ADMIN, "管理"),
        "platform_admin": factories.user("平台", platform_admin=True),
    }
    factories.user("候选人", phone="13500000000")
    grid = a.grids[0]
    building = grid.buildings[0]
    empty_unit = building.units[1]
    grant = db.session.scalar(select(RoleGrant).where(
        RoleGrant.user_id == people["secretary"].id))
    db.session.commit()
    ids = {"community_id": a.id, "grid_id": grid.id, "building_id": building.id,
           "unit_id": empty_unit.id, "grant_id": grant.id}
    return people, ids


@pytest.mark.parametrize("persona", PERSONAS)
def test_access_matrix(app, world, login, persona):
    people, ids = world
    wrong = []
    for rule in admin_routes(app):
        need, data = EXPECTED[rule.endpoint]
        url = rule.build({k: v for k, v in ids.items() if k in rule.arguments})[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            client = app.test_client()
            client.set_cookie("lang", "en")
            if persona != "anonymous":
                login(people[persona], client)
            before = snapshot()
            if method == "GET":
                response = client.get(url)
            else:
                form = {k: v.format(**ids) for k, v in (data or {}).items()}
                response = client.post(url, data=form)
            status = response.status_code
            if persona == "anonymous":
                ok = status == 302 and "/login" in response.headers["Location"]
            elif allowed(persona, need):
                ok = status in (200, 302)
            else:
                ok = status == 403
            if not allowed(persona, need) and snapshot() != before:
                wrong.append((method, url, "wrote to the database"))
            if not ok:
                wrong.append((method, url, status))
            # A refused or successful POST must not leave the next one confused.
            db.session.rollback()
    assert wrong == []


@pytest.mark.parametrize("persona", ["no_roles", "resident", "secretary", "admin_of_other"])
def test_refusals_say_why(app, world, login, client, persona):
    people, ids = world
    client.set_cookie("lang", "en")
    login(people[persona])
    response = client.get(f"/admin/communities/{ids['community_id']}")
    assert response.status_code == 403
    expected = ("Only an administrator of this community may do this."
                if persona == "admin_of_other" else "Only an administrator may do this.")
    assert expected in response.get_data(as_text=True)


def test_community_admin_cannot_create_communities(app, world, login, client):
    people, _ids = world
    client.set_cookie("lang", "en")
    login(people["admin"])
    response = client.get("/admin/communities/new")
    assert response.status_code == 403
    assert "Only a platform administrator may do this." in response.get_data(as_text=True)
