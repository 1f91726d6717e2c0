"""Granting and revoking roles in a community."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from consult.accounts.models import Role, RoleGrant
from consult.audit.models import AuditEntry
from consult.extensions import db
from tests import factories


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def text_of(response) -> str:
    return response.get_data(as_text=True)


def main_of(response) -> str:
    html = text_of(response)
    return html[html.index('<main'):html.index('</main>')]


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("lang", "en")


@pytest.fixture
def site(app):
    a = factories.community("幸福社区")
    b = factories.community("和谐社区")
    admin = factories.office_holder(a, Role.ADMIN, "王管理", phone="13800000001")
    secretary = factories.office_holder(a, Role.SECRETARY, "李秘书", phone="13912345678",
                                        email="li@example.org")
    other = factories.office_holder(b, Role.SECRETARY, "外社区秘书")
    db.session.commit()

    class Site:
        pass

    s = Site()
    s.a, s.b, s.admin, s.secretary, s.other = a, b, admin, secretary, other
    s.url = f"/admin/communities/{a.id}/roles"
    return s


@pytest.fixture
def as_admin(site, client, login):
    login(site.admin)
    return client


def grant_of(user, community, role) -> RoleGrant | None:
    return db.session.scalar(select(RoleGrant).where(
        RoleGrant.user_id == user.id, RoleGrant.community_id == community.id,
        RoleGrant.role == role.value))


def test_roles_page_lists_holders_with_masked_phones_only(site, as_admin):
    html = main_of(as_admin.get(site.url))
    assert html.count("<h1>") == 1 and "<h1>Role grants in 幸福社区</h1>" in html
    for heading in ("Secretary", "Representative", "Administrator"):
        assert f">{heading}</h2>" in html
    assert '<th scope="row">李秘书</th>' in html and "139****5678" in html
    assert "13912345678" not in html and "li@example.org" not in html
    assert "王管理" in html and "138****0001" in html
    assert "外社区秘书" not in html  # another community's grants
    assert "Nobody holds this role." in html  # no representative yet
    # The admin's own admin grant has no revoke button.
    own = grant_of(site.admin, site.a, Role.ADMIN)
    assert f"/roles/{own.id}/revoke" not in html
    secretary = grant_of(site.secretary, site.a, Role.SECRETARY)
    assert f"/roles/{secretary.id}/revoke" in html



def test_the_holders_are_headed_with_a_persons_name_in_chinese(site, as_admin):
    """'Name' is a person's name here (姓名), not the name of a thing such as a grid (名称)."""
    as_admin.set_cookie("lang", "zh_Hans")
    html = main_of(as_admin.get(site.url))
    assert '<th scope="col">姓名</th>' in html
    assert '<th scope="col">名称</th>' not in html

def test_grant_a_role_by_phone(site, as_admin, client):
    person = factories.user("赵代表", phone="13700001111")
    db.session.commit()
    response = as_admin.post(site.url, data={"identifier": "137 0000 1111",
                                             "role": "representative"})
    assert response.status_code == 302 and response.headers["Location"].endswith(site.url)
    html = text_of(as_admin.get(site.url))
    assert "赵代表 now holds the role “Representative” in this community." in html
    assert re.search(r'id="role-representative">Representative</h2>.*赵代表', html, re.S)
    grant = grant_of(person, site.a, Role.REPRESENTATIVE)
    assert grant.granted_by_id == site.admin.id
    entry = db.session.scalar(select(AuditEntry))
    assert (entry.action, entry.community_id, entry.actor_id, entry.details) == \
        ("role.grant", site.a.id, site.admin.id,
         {"user_id": person.id, "role": "representative"})


def test_a_new_admin_can_enter_at_once(site, as_admin, app, login):
    person = factories.user("新管理", email="new@example.org")
    db.session.commit()
    assert as_admin.post(site.url, data={"identifier": "new@example.org",
                                         "role": "admin"}).status_code == 302
    other_client = app.test_client()
    login(person, other_client)
    assert other_client.get(f"/admin/communities/{site.a.id}").status_code == 200


@pytest.mark.parametrize("identifier, role, message", [
    ("", "secretary", "Enter a phone number or an e-mail address."),
    ("13600000000", "secretary", "No account has this phone number or e-mail address."),
    ("nobody@example.org", "admin", "No account has this phone number or e-mail address."),
    ("13912345678", "secretary", "李秘书 already holds this role in this community."),
    ("13912345678", "", "Choose a role."),
    ("13912345678", "mayor", "Choose a role."),
    ("x" * 255, "secretary", "At most 254 characters."),
])
def test_grant_bad_input_keeps_what_was_typed(site, as_admin, identifier, role, message):
    before = (count(RoleGrant), count(AuditEntry))
    response = as_admin.post(site.url, data={"identifier": identifier, "role": role})
    html = main_of(response)
    assert response.status_code == 200 and message in html
    if identifier:
        assert f'value="{identifier}"' in html
    if role in ("secretary", "admin"):
        assert re.search(r'checked[^>]*value="%s"|value="%s"[^>]*checked' % (role, role), html)
    assert (count(RoleGrant), count(AuditEntry)) == before


def test_revoke_a_grant(site, as_admin):
    grant = grant_of(site.secretary, site.a, Role.SECRETARY)
    response = as_admin.post(f"{site.url}/{grant.id}/revoke")
    assert response.status_code == 302 and response.headers["Location"].endswith(site.url)
    html = text_of(as_admin.get(site.url))
    assert "李秘书 no longer holds the role “Secretary” in this community." in html
    assert grant_of(site.secretary, site.a, Role.SECRETARY) is None
    entry = db.session.scalar(select(AuditEntry))
    assert (entry.action, entry.details) == \
        ("role.revoke", {"user_id": site.secretary.id, "role": "secretary"})


def test_revoke_takes_effect_on_the_next_request(site, as_admin, app, login):
    other_admin = factories.office_holder(site.a, Role.ADMIN, "副管理")
    db.session.commit()
    other_client = app.test_client()
    login(other_admin, other_client)
    assert other_client.get(f"/admin/communities/{site.a.id}").status_code == 200
    grant = grant_of(other_admin, site.a, Role.ADMIN)
    assert as_admin.post(f"{site.url}/{grant.id}/revoke").status_code == 302
    assert other_client.get(f"/admin/communities/{site.a.id}").status_code == 403


def test_an_admin_cannot_revoke_their_own_admin_grant(site, as_admin):
    own = grant_of(site.admin, site.a, Role.ADMIN)
    before = (count(RoleGrant), count(AuditEntry))
    response = as_admin.post(f"{site.url}/{own.id}/revoke")
    assert response.status_code == 302
    html = text_of(as_admin.get(site.url))
    assert "You cannot revoke your own administrator role." in html
    assert (count(RoleGrant), count(AuditEntry)) == before


def test_a_platform_admin_can_revoke_their_own_admin_grant(site, client, login):
    platform = factories.user("平台", platform_admin=True)
    own = factories.grant(platform, site.a, Role.ADMIN)
    db.session.commit()
    login(platform)
    assert f"/roles/{own.id}/revoke" in text_of(client.get(site.url))
    assert client.post(f"{site.url}/{own.id}/revoke").status_code == 302
    assert grant_of(platform, site.a, Role.ADMIN) is None
    assert client.get(site.url).status_code == 200  # still a platform admin


def test_a_grant_of_another_community_is_404_here(site, as_admin):
    foreign = grant_of(site.other, site.b, Role.SECRETARY)
    response = as_admin.post(f"{site.url}/{foreign.id}/revoke")
    assert response.status_code == 404
    assert grant_of(site.other, site.b, Role.SECRETARY) is not None
    assert as_admin.post(f"{site.url}/999999/revoke").status_code == 404


def test_roles_page_runs_a_fixed_number_of_queries(site, as_admin, count_queries):
    def queries() -> int:
        db.session.expire_all()
        with count_queries() as n:
            assert as_admin.get(site.url).status_code == 200
        return n.count

    small = queries()
    for i in range(30):
        person = factories.user(f"代表{i}", phone=f"1370000{i:04d}")
        factories.grant(person, site.a, Role.REPRESENTATIVE)
    db.session.commit()
    assert queries() == small
    assert main_of(as_admin.get(site.url)).count("****") == 32
