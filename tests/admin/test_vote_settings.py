"""The community's notice and length of owners' votes, set by its administrators."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from consult.accounts.models import Role
from consult.audit.models import AuditEntry
from consult.community.models import Community
from consult.extensions import db
from tests import factories


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("lang", "en")


@pytest.fixture
def site(app):
    a = factories.community("幸福社区")
    b = factories.community("和谐社区")
    people = {
        "admin": factories.office_holder(a, Role.ADMIN, "王管理"),
        "secretary": factories.office_holder(a, Role.SECRETARY, "李秘书"),
        "representative": factories.office_holder(a, Role.REPRESENTATIVE, "张代表"),
        "other_admin": factories.office_holder(b, Role.ADMIN, "外社区管理"),
        "resident": factories.resident(a, "居民"),
    }
    db.session.commit()
    return a, people


def post(client, community, notice, days):
    return client.post(f"/admin/communities/{community.id}/vote-settings", data={
        "votes-vote_notice_days": notice, "votes-vote_min_open_days": days})


def settings_of(community):
    db.session.expire_all()
    c = db.session.get(Community, community.id)
    return c.vote_notice_days, c.vote_min_open_days


def test_the_defaults_and_the_form_on_the_community_page(site, client, login):
    a, people = site
    assert settings_of(a) == (15, 7)
    login(people["admin"])
    html = client.get(f"/admin/communities/{a.id}").get_data(as_text=True)
    assert 'id="vote-settings-form"' in html
    assert 'name="votes-vote_notice_days"' in html and 'value="15"' in html
    assert 'name="votes-vote_min_open_days"' in html and 'value="7"' in html


@pytest.mark.parametrize("notice, days", [("5", "3"), ("60", "60"), ("20", "10")])
def test_an_administrator_sets_them_within_the_bounds_and_it_is_audited(
        site, client, login, notice, days):
    a, people = site
    login(people["admin"])
    response = post(client, a, notice, days)
    assert response.status_code == 302
    assert settings_of(a) == (int(notice), int(days))
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "community.vote_settings"))
    assert entry.actor_id == people["admin"].id
    assert entry.details["changes"]["vote_notice_days"] == [15, int(notice)]
    # the same values again: nothing changed, nothing audited
    assert "Nothing was changed." in client.post(
        f"/admin/communities/{a.id}/vote-settings", data={
            "votes-vote_notice_days": notice, "votes-vote_min_open_days": days},
        follow_redirects=True).get_data(as_text=True)
    assert len(db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "community.vote_settings")).all()) == 1


@pytest.mark.parametrize("notice, days, message", [
    ("4", "7", "Choose a number of days from 5 to 60."),
    ("61", "7", "Choose a number of days from 5 to 60."),
    ("15", "2", "Choose a number of days from 3 to 60."),
    ("15", "61", "Choose a number of days from 3 to 60."),
    ("十五", "7", "Enter a whole number of days."),
    ("15", "", "Enter a whole number of days."),
    ("15.5", "7", "Enter a whole number of days."),
])
def test_out_of_range_input_is_refused_next_to_its_field_and_keeps_what_was_typed(
        site, client, login, notice, days, message):
    a, people = site
    login(people["admin"])
    response = post(client, a, notice, days)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    bad = "vote_notice_days" if notice != "15" else "vote_min_open_days"
    error = html.split(f'id="votes-{bad}-error"', 1)[1].split("</p>", 1)[0]
    assert message in error
    if notice:
        assert f'value="{notice}"' in html
    assert settings_of(a) == (15, 7)
    assert db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "community.vote_settings")) is None


@pytest.mark.parametrize("who", ["secretary", "representative", "other_admin", "resident"])
def test_only_its_administrators_change_them(site, client, login, who):
    a, people = site
    login(people[who])
    assert post(client, a, "20", "10").status_code == 403
    assert settings_of(a) == (15, 7)


def test_a_visitor_is_sent_to_log_in(site, client):
    a, _ = site
    response = post(client, a, "20", "10")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert settings_of(a) == (15, 7)


def test_the_service_refuses_what_the_form_would_not_send(site):
    from consult.admin import service
    from consult.refusals import Refused

    a, people = site
    for notice, days, field in [(4, 7, "vote_notice_days"), (15, 61, "vote_min_open_days"),
                                ("15", 7, "vote_notice_days")]:
        with pytest.raises(Refused) as refused:
            service.update_vote_settings(people["admin"], a, notice_days=notice,
                                         min_open_days=days)
        assert refused.value.field == field
