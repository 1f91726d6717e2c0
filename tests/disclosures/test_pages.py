"""What a resident reads of the record about them, the administrators' CSV export, and least
exposure on each page of the inventory (whole number present or absent, per role)."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from consult import clock
from consult.accounts.models import Role
from consult.community.models import Community, Residency, ResidencyStatus
from consult.disclosures import queries
from consult.disclosures.models import DataView
from consult.extensions import db
from tests import factories
from tests.grids.world import T0

pytestmark = pytest.mark.usefixtures("english", "at_t0")


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


# --- the resident sees who looked ----------------------------------------------------------

def test_the_resident_sees_who_looked_at_their_phone_and_voting_status(estate, client,
                                                                      login):
    p = estate.people
    login(p["worker"])
    client.get(f"/grids/{estate.grid.id}")
    # 李 is only on the roster: the record is their account's, read once they activate
    db.session.rollback()
    assert [v.viewer_name for v in queries.views_of(p["li"].id)] == ["网格员甲"]
    login(p["wang"])
    html = client.get("/me/data/views").get_data(as_text=True)
    assert "网格员甲" in html and "Grid worker" in html
    assert "Grid page: owners, phones and who has voted" in html
    assert "phone number" in html and "has not voted yet" in html
    assert estate.grid.name in html


def test_a_resident_nobody_looked_at_is_told_so_and_sees_nobody_elses(estate, client, login):
    p = estate.people
    login(p["worker"])
    client.get(f"/grids/{estate.grid.id}")
    login(p["far"])  # lives in the other grid
    html = client.get("/me/data/views").get_data(as_text=True)
    assert "No official has looked at" in html and "网格员甲" not in html


def test_views_of_is_newest_first_and_limited(estate, client, login):
    p = estate.people
    login(p["worker"])
    client.get(f"/grids/{estate.grid.id}")
    login(p["secretary"])
    with clock.frozen(T0 + timedelta(hours=1)):
        client.get(f"/grids/{estate.grid.id}")
    db.session.rollback()
    seen = queries.views_of(p["li"].id)
    assert [v.viewer_name for v in seen] == ["秘书", "网格员甲"]
    assert seen[0].role == "Secretary" and "phone number" in seen[0].fields
    assert [v.viewer_name for v in queries.views_of(p["li"].id, limit=1)] == ["秘书"]


def test_the_views_page_needs_a_login(client):
    response = client.get("/me/data/views")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- the administrators' export ------------------------------------------------------------

EXPORT = "/admin/data-views.csv?start=2026-11-01&end=2026-12-31"


def _looked(estate, client, login):
    login(estate.people["worker"])
    client.get(f"/grids/{estate.grid.id}")


def test_the_community_admin_exports_the_record_with_headers_in_their_language(estate, client,
                                                                               login):
    _looked(estate, client, login)
    login(estate.people["admin"])
    index = client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/data-views"' in index
    assert client.get("/admin/data-views").status_code == 200
    response = client.get(EXPORT)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = _csv(response)
    assert rows[0][:4] == ["When", "Viewer id", "Viewer", "Role"]
    assert {r[5] for r in rows[1:]} >= {"李业主", "王业主"}
    assert {r[2] for r in rows[1:]} == {"网格员甲"}
    li = next(r for r in rows[1:] if r[5] == "李业主")
    assert li[3] == "Grid worker" and li[8] == "grids.show"
    assert "phone number" in li[11] and "has not voted yet" in li[11]
    assert "13900000012" not in response.get_data(as_text=True)  # the record holds no phones


def test_the_export_holds_only_the_readers_communities_and_the_chosen_period(estate, client,
                                                                             login):
    _looked(estate, client, login)
    other = db.session.scalars(select(Community).where(
        Community.id != estate.community.id)).first()
    other_admin = factories.office_holder(other, Role.ADMIN, "外社区管理员")
    db.session.commit()
    login(other_admin)
    assert _csv(client.get(EXPORT))[1:] == []
    # asking for A by its id is refused, not answered
    response = client.get(EXPORT + f"&community={estate.community.id}")
    assert response.status_code == 422 and "Choose one of your communities" in \
        response.get_data(as_text=True)
    login(estate.people["admin"])
    assert _csv(client.get("/admin/data-views.csv?start=2026-12-02&end=2026-12-31"))[1:] == []
    platform = factories.user("平台管理员", platform_admin=True)
    db.session.commit()
    login(platform)
    assert len(_csv(client.get(EXPORT))) > 1


@pytest.mark.parametrize("query, message", [
    ("?start=&end=2026-12-31", "Give the first day"),
    ("?start=2026-12-31&end=2026-12-01", "The last day is before the first day"),
    ("?start=2025-01-01&end=2026-12-31", "at most 366 days"),
    ("?start=not-a-day&end=2026-12-31", "Not a valid date value"),
])
def test_a_bad_period_is_said_and_the_form_keeps_what_was_typed(estate, client, login, query,
                                                                 message):
    login(estate.people["admin"])
    response = client.get("/admin/data-views.csv" + query)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html
    assert 'value="2026-12-31"' in html or 'value="2026-12-01"' in html


@pytest.mark.parametrize("who", ["secretary", "worker", "wang", "representative"])
def test_the_export_is_refused_to_non_admins(estate, client, login, who):
    _looked(estate, client, login)
    login(estate.people[who])
    for path in ("/admin/data-views", EXPORT):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "李业主" not in response.get_data(as_text=True)


# --- least exposure, page by page ----------------------------------------------------------

@pytest.mark.parametrize("who, whole", [("worker", True), ("secretary", True),
                                        ("admin", False), ("platform_admin", False)])
def test_grid_page_and_csv_show_whole_numbers_only_to_who_phones(estate, client, login, who,
                                                                 whole):
    viewer = estate.people.get(who) or factories.user("平台管理员", platform_admin=True)
    db.session.commit()
    login(viewer)
    html = client.get(f"/grids/{estate.grid.id}").get_data(as_text=True)
    text = client.get(f"/grids/{estate.grid.id}/votes/{estate.vote.id}/not-voted.csv"
                      ).get_data(as_text=True)
    for body in (html, text):
        assert ("13900000012" in body) is whole
        assert ("139****0012" in body) is not whole
    assert ('href="tel:13900000012"' in html) is whole


def test_the_residents_page_shows_the_whole_number_to_the_grid_worker_only(estate, client,
                                                                           login):
    p = estate.people
    path = f"/grids/{estate.grid.id}/residents/{p['wang'].id}"
    login(p["worker"])
    assert "tel:13900000011" in client.get(path).get_data(as_text=True)
    for who in ("secretary", "admin", "other_worker"):
        login(p[who])
        response = client.get(path)
        assert response.status_code == 403 and "13900000011" not in response.get_data(
            as_text=True)


def test_the_verification_queue_masks_phones_and_records_nothing(estate, client, login):
    p = estate.people
    claimant = factories.user("申请人", phone="13800138000", email="zhang@example.com")
    db.session.add(Residency(user_id=claimant.id, unit_id=estate.grid.buildings[0].units[0].id,
                             relation="tenant", status=ResidencyStatus.PENDING.value))
    db.session.commit()
    login(p["secretary"])
    html = client.get("/verifications").get_data(as_text=True)
    assert "申请人" in html and "138****8000" in html and "13800138000" not in html
    assert "139****0011" in html and "13900000011" not in html  # the roster's owner
    db.session.rollback()
    assert db.session.scalars(select(DataView)).all() == []


def test_role_grants_show_masked_numbers(estate, client, login):
    p = estate.people
    p["worker"].phone = "13900000077"
    db.session.commit()
    login(p["admin"])
    html = client.get(f"/admin/communities/{estate.community.id}/roles").get_data(as_text=True)
    assert "139****0077" in html and "13900000077" not in html


def test_the_mask_filters(app):
    template = app.jinja_env.from_string("{{ p|mask_phone }} {{ e|mask_email }}")
    assert template.render(p="13800000001", e="zhang@example.com") == \
        "138****0001 z***@example.com"
