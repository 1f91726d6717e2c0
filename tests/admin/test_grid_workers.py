"""Grid workers (网格员): granted per grid, and what the permission table lets them do."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from consult.accounts.models import Role, RoleGrant
from consult.audit.models import AuditEntry
from consult.extensions import db
from consult.permissions import forget_memberships, membership, may
from tests import factories


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("lang", "en")


@pytest.fixture
def site(app, client, login):
    a = factories.community("幸福社区", grids=2, buildings=1, units=2)
    b = factories.community("和谐社区", grids=1, buildings=1, units=1)
    admin = factories.office_holder(a, Role.ADMIN, "王管理")
    worker = factories.user("赵网格员", phone="13700000007")
    db.session.commit()
    login(admin)

    class Site:
        pass

    s = Site()
    s.a, s.b, s.admin, s.worker = a, b, admin, worker
    s.g1, s.g2 = a.grids
    s.url = f"/admin/communities/{a.id}/roles"
    return s


def grants(user) -> list[RoleGrant]:
    return list(db.session.scalars(select(RoleGrant).where(RoleGrant.user_id == user.id)
                                   .order_by(RoleGrant.grid_id)))


def post(client, site, **data):
    return client.post(site.url, data={"identifier": "13700000007", "role": "grid_worker",
                                       **data}, follow_redirects=True)


def test_a_grid_worker_is_granted_in_one_grid_and_the_page_names_it(client, site):
    response = post(client, site, grid=str(site.g2.id))
    html = response.get_data(as_text=True)
    assert "now holds the role “Grid worker”" in html
    [grant] = grants(site.worker)
    assert (grant.role, grant.grid_id, grant.community_id) == ("grid_worker", site.g2.id,
                                                               site.a.id)
    table = html[html.index('id="role-grid_worker"'):]
    assert "赵网格员" in table and site.g2.name in table.split("</table>")[0]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "role.grant"))
    assert entry.details["grid_id"] == site.g2.id


def test_a_grid_worker_without_a_grid_is_refused_and_the_form_keeps_what_was_typed(client, site):
    html = post(client, site).get_data(as_text=True)
    assert "Choose the grid this grid worker serves." in html
    assert 'value="13700000007"' in html
    assert grants(site.worker) == []


def test_a_grid_of_another_community_is_not_a_choice(client, site):
    html = post(client, site, grid=str(site.b.grids[0].id)).get_data(as_text=True)
    assert "Choose one of the grids of this community." in html
    assert grants(site.worker) == []


def test_the_same_grid_twice_is_refused_another_grid_is_a_second_grant(client, site):
    post(client, site, grid=str(site.g1.id))
    html = post(client, site, grid=str(site.g1.id)).get_data(as_text=True)
    assert "赵网格员 already holds this role in this grid." in html
    post(client, site, grid=str(site.g2.id))
    assert [g.grid_id for g in grants(site.worker)] == sorted([site.g1.id, site.g2.id])


def test_other_roles_ignore_a_grid_and_stay_one_per_community(client, site):
    post(client, site, role="secretary", grid=str(site.g1.id))
    [grant] = grants(site.worker)
    assert (grant.role, grant.grid_id) == ("secretary", None)
    html = post(client, site, role="secretary").get_data(as_text=True)
    assert "already holds this role in this community." in html
    assert len(grants(site.worker)) == 1


def test_the_permission_table_knows_the_grid(app, site):
    factories.grant(site.worker, site.a, Role.GRID_WORKER, site.g1)
    db.session.commit()
    forget_memberships()
    m = membership(site.worker)
    assert m.works_grid(site.g1.id) and not m.works_grid(site.g2.id)
    assert m.works_in(site.a.id) and not m.works_in(site.b.id)
    own, other = site.g1.buildings[0], site.g2.buildings[0]
    assert may(site.worker, "grid.work", own)
    assert may(site.worker, "grid.work", own.units[0])
    assert not may(site.worker, "grid.work", other)
    assert not may(site.worker, "grid.work", site.b.grids[0])
    assert may(site.worker, "grid.work_any", site.a)
    assert not may(site.worker, "grid.work_any", site.b)
    # A grid worker is no secretary: topics, verification and administration stay closed.
    assert not may(site.worker, "topic.manage", site.a)
    assert not may(site.worker, "residency.review_any")
    assert not may(site.worker, "community.manage", site.a)
    # Secretaries and administrators may do what a grid worker may, in every grid.
    assert may(site.admin, "grid.work", other)
    assert may(site.admin, "grid.work_any", site.a)
