"""Managing communities, grids, buildings and homes in the browser."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from consult.accounts.models import Role
from consult.audit.models import AuditEntry
from consult.community.models import (
    Building, Community, Grid, ResidencyStatus, Unit,
)
from consult.extensions import db
from tests import factories


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def snapshot() -> tuple[int, ...]:
    """Everything an admin page could write."""
    return tuple(count(m) for m in (Community, Grid, Building, Unit, AuditEntry))


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
    """Community A (one grid, one building, two homes) with its admin; community B alongside."""
    a = factories.community("幸福社区", grids=1, buildings=1, units=2)
    b = factories.community("和谐社区", grids=1, buildings=1, units=1)
    admin = factories.office_holder(a, Role.ADMIN, "王管理")
    db.session.commit()

    class Site:
        pass

    s = Site()
    s.a, s.b, s.admin = a, b, admin
    s.grid = a.grids[0]
    s.building = s.grid.buildings[0]
    s.unit = s.building.units[0]
    s.base = f"/admin/communities/{a.id}"
    return s


@pytest.fixture
def as_admin(site, client, login):
    login(site.admin)
    return client


# --- index and creating a community --------------------------------------------------------

def test_index_links_the_communities_an_admin_manages(site, as_admin):
    html = main_of(as_admin.get("/admin/"))
    assert "幸福社区" in html and "和谐社区" not in html
    assert f'href="{site.base}"' in html
    assert f'href="{site.base}/roles"' in html
    assert "/admin/communities/new" not in html  # only platform admins create


def test_platform_admin_sees_all_communities_and_can_create_one(site, client, login):
    login(factories.user("平台", platform_admin=True))
    db.session.commit()
    html = main_of(client.get("/admin/"))
    assert "幸福社区" in html and "和谐社区" in html
    assert 'href="/admin/communities/new"' in html
    assert client.get("/admin/communities/new").status_code == 200
    response = client.post("/admin/communities/new", data={
        "name": " 平安社区 ", "district": "朝阳区", "street_office": "和平街道",
        "cosign_threshold": "15"})
    created = db.session.scalar(select(Community).where(Community.name == "平安社区"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/communities/{created.id}")
    assert (created.district, created.street_office, created.cosign_threshold) == \
        ("朝阳区", "和平街道", 15)
    page = client.get(response.headers["Location"])
    assert "The community 平安社区 is created" in text_of(page)
    assert "<h1>Manage 平安社区</h1>" in text_of(page)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "community.create"))
    assert entry.community_id == created.id


@pytest.mark.parametrize("data, message", [
    ({"name": ""}, "Please fill this in."),
    ({"name": "长" * 81}, "At most 80 characters."),
    ({"name": "幸福社区"}, "A community with this name already exists."),
    ({"district": "区" * 81}, "At most 80 characters."),
    ({"cosign_threshold": "abc"}, "Enter a whole number."),
    ({"cosign_threshold": "0"}, "Choose a number from 1 to 500."),
    ({"cosign_threshold": "501"}, "Choose a number from 1 to 500."),
    ({"cosign_threshold": ""}, "Enter a whole number."),
])
def test_create_community_bad_input_keeps_what_was_typed(site, client, login, data, message):
    login(factories.user("平台", platform_admin=True))
    db.session.commit()
    before = snapshot()
    form = {"name": "新社区", "district": "东城区", "street_office": "东街道",
            "cosign_threshold": "12", **data}
    response = client.post("/admin/communities/new", data=form)
    html = main_of(response)
    assert response.status_code == 200
    assert message in html
    assert 'aria-invalid="true"' in html
    for value in form.values():
        if value:
            assert f'value="{value}"' in html
    assert snapshot() == before


# --- the community page --------------------------------------------------------------------

def test_community_page_shows_the_tree_with_home_counts(site, as_admin):
    html = main_of(as_admin.get(site.base))
    assert "和谐社区" not in html
    assert html.count("<h1>") == 1
    assert "<h1>Manage 幸福社区</h1>" in html
    assert "1网格" in html
    assert re.search(r'<th scope="row"><a href="[^"]+/buildings/%d">1栋</a></th>\s*<td>2</td>'
                     % site.building.id, html)
    assert f'href="{site.base}/grids/{site.grid.id}"' in html
    assert 'class="table-wrap"' in html
    # The details form is filled in.
    assert 'id="community-name"' in html and 'value="幸福社区"' in html
    assert 'value="10"' in html


def test_edit_community_details(site, as_admin):
    response = as_admin.post(site.base, data={
        "community-name": "幸福社区", "community-district": "海淀区",
        "community-street_office": "中关村街道", "community-cosign_threshold": "30"})
    assert response.status_code == 302
    assert "The details are saved." in text_of(as_admin.get(site.base))
    c = db.session.get(Community, site.a.id)
    assert (c.district, c.street_office, c.cosign_threshold) == ("海淀区", "中关村街道", 30)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "community.update"))
    assert entry.details["changes"]["cosign_threshold"] == [10, 30]
    assert entry.actor_id == site.admin.id


@pytest.mark.parametrize("data, message", [
    ({"community-name": ""}, "Please fill this in."),
    ({"community-name": "和谐社区"}, "A community with this name already exists."),
    ({"community-cosign_threshold": "abc"}, "Enter a whole number."),
    ({"community-cosign_threshold": "0"}, "Choose a number from 1 to 500."),
])
def test_edit_community_bad_input(site, as_admin, data, message):
    before = snapshot()
    form = {"community-name": "新名字", "community-district": "区",
            "community-street_office": "街道", "community-cosign_threshold": "20", **data}
    response = as_admin.post(site.base, data=form)
    html = main_of(response)
    assert response.status_code == 200 and message in html
    assert "<h1>Manage 幸福社区</h1>" in html  # the heading keeps the saved name
    for value in form.values():
        if value:
            assert f'value="{value}"' in html
    assert snapshot() == before
    assert db.session.get(Community, site.a.id).cosign_threshold == 10


def test_add_grid(site, as_admin):
    response = as_admin.post(f"{site.base}/grids", data={"grid-name": " 2网格 "})
    grid = db.session.scalar(select(Grid).where(Grid.name == "2网格"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{site.base}#grid-{grid.id}")
    page = text_of(as_admin.get(site.base))
    assert "The grid 2网格 is added." in page
    assert f'<h3 id="grid-{grid.id}-title">2网格</h3>' in page
    assert db.session.scalar(select(AuditEntry.action)) == "grid.create"


@pytest.mark.parametrize("name, message", [
    ("", "Please fill this in."),
    ("   ", "Please fill this in."),
    ("格" * 81, "At most 80 characters."),
    ("1网格", "This community already has a grid with this name."),
])
def test_add_grid_bad_input(site, as_admin, name, message):
    before = snapshot()
    response = as_admin.post(f"{site.base}/grids", data={"grid-name": name})
    html = main_of(response)
    assert response.status_code == 200 and message in html
    assert 'id="grid-name-error"' in html
    if name.strip():
        assert f'value="{name}"' in html
    assert snapshot() == before


def test_grid_page_rename_and_duplicate(site, as_admin):
    url = f"{site.base}/grids/{site.grid.id}"
    html = main_of(as_admin.get(url))
    assert "<h1>Grid 1网格</h1>" in html and "1栋" in html
    db.session.add(Grid(community_id=site.a.id, name="西区"))
    db.session.commit()
    before = snapshot()
    response = as_admin.post(url, data={"name": "西区"})
    assert "already has a grid with this name" in main_of(response)
    assert 'value="西区"' in main_of(response)
    assert snapshot() == before
    response = as_admin.post(url, data={"name": "东区"})
    assert response.status_code == 302
    assert "The grid is renamed." in text_of(as_admin.get(url))
    assert db.session.get(Grid, site.grid.id).name == "东区"


def test_delete_empty_grid(site, as_admin):
    grid = Grid(community_id=site.a.id, name="空网格")
    db.session.add(grid)
    db.session.commit()
    response = as_admin.post(f"{site.base}/grids/{grid.id}/delete")
    assert response.status_code == 302 and response.headers["Location"].endswith(site.base)
    assert "The grid 空网格 is deleted." in text_of(as_admin.get(site.base))
    assert db.session.get(Grid, grid.id) is None
    assert db.session.scalar(select(AuditEntry.action)) == "grid.delete"


def test_delete_grid_with_owners_is_refused_with_a_clear_message(site, as_admin):
    factories.owner(factories.user("业主"), site.unit)
    db.session.commit()
    before = snapshot()
    url = f"{site.base}/grids/{site.grid.id}"
    response = as_admin.post(f"{url}/delete")
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    html = text_of(as_admin.get(url))
    assert "The grid 1网格 cannot be deleted" in html
    assert "(owners of record: 1, verified residents: 0, waiting for verification: 0)" in html
    assert snapshot() == before


# --- buildings -----------------------------------------------------------------------------

def test_add_building_then_see_its_page(site, as_admin):
    response = as_admin.post(f"{site.base}/buildings",
                             data={"building-grid": str(site.grid.id), "building-name": "2栋"})
    building = db.session.scalar(select(Building).where(Building.name == "2栋"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{site.base}/buildings/{building.id}")
    html = text_of(as_admin.get(response.headers["Location"]))
    assert "The building 2栋 is added." in html and "No homes yet." in html
    assert building.grid_id == site.grid.id


@pytest.mark.parametrize("name, message", [
    ("", "Please fill this in."),
    ("楼" * 81, "At most 80 characters."),
    ("1栋", "This grid already has a building with this name."),
])
def test_add_building_bad_input(site, as_admin, name, message):
    before = snapshot()
    response = as_admin.post(f"{site.base}/buildings",
                             data={"building-grid": str(site.grid.id), "building-name": name})
    html = main_of(response)
    assert response.status_code == 200 and message in html
    if name:
        assert f'value="{name}"' in html
    assert snapshot() == before


@pytest.mark.parametrize("grid", ["other", "abc", ""])
def test_add_building_refuses_a_grid_of_another_community(site, as_admin, grid):
    before = snapshot()
    value = str(site.b.grids[0].id) if grid == "other" else grid
    response = as_admin.post(f"{site.base}/buildings",
                             data={"building-grid": value, "building-name": "9栋"})
    assert response.status_code == 200
    assert "Choose" in main_of(response)
    assert snapshot() == before


def test_building_page_lists_homes_with_area_and_people(site, as_admin):
    factories.owner(factories.user("业主甲"), site.unit)
    factories.owner(factories.user("业主乙"), site.unit)
    factories.resident(site.a, unit=site.unit)
    factories.resident(site.a, unit=site.unit, status=ResidencyStatus.PENDING)
    db.session.commit()
    html = main_of(as_admin.get(f"{site.base}/buildings/{site.building.id}"))
    assert html.count("<h1>") == 1
    assert re.search(r'<th scope="row">0101</th>\s*<td>88.50</td>\s*<td>2</td>\s*<td>1</td>',
                     html)
    assert re.search(r'<th scope="row">0201</th>\s*<td>88.50</td>\s*<td>0</td>\s*<td>0</td>',
                     html)
    # Only the empty home offers a delete button.
    assert f"/units/{site.building.units[1].id}/delete" in html
    assert f"/units/{site.unit.id}/delete" not in html
    assert 'class="table-wrap"' in html and '<th scope="col">' in html


def test_rename_building(site, as_admin):
    url = f"{site.base}/buildings/{site.building.id}"
    db.session.add(Building(grid_id=site.grid.id, name="2栋"))
    db.session.commit()
    before = snapshot()
    response = as_admin.post(url, data={"building-name": "2栋"})
    html = main_of(response)
    assert "This grid already has a building with this name." in html
    assert 'id="building-name"' in html and 'value="2栋"' in html
    assert snapshot() == before
    response = as_admin.post(url, data={"building-name": "甲栋"})
    assert response.status_code == 302
    assert "The building is renamed." in text_of(as_admin.get(url))
    assert db.session.get(Building, site.building.id).name == "甲栋"


def test_delete_building_with_verified_resident_is_refused(site, as_admin):
    factories.resident(site.a, unit=site.unit)
    db.session.commit()
    before = snapshot()
    url = f"{site.base}/buildings/{site.building.id}"
    response = as_admin.post(f"{url}/delete")
    assert response.headers["Location"].endswith(url)
    html = text_of(as_admin.get(url))
    assert "The building 1栋 cannot be deleted" in html
    assert "verified residents: 1" in html
    assert snapshot() == before


def test_delete_building_without_people(site, as_admin):
    response = as_admin.post(f"{site.base}/buildings/{site.building.id}/delete")
    assert response.headers["Location"].endswith(site.base)
    assert "The building 1网格 1栋 is deleted." in text_of(as_admin.get(site.base))
    assert db.session.get(Building, site.building.id) is None
    assert count(Unit) == 1  # community B's home is untouched


# --- homes ---------------------------------------------------------------------------------

def test_add_unit(site, as_admin):
    url = f"{site.base}/buildings/{site.building.id}"
    response = as_admin.post(f"{url}/units", data={"unit-number": "0301",
                                                   "unit-area_m2": "96.5"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{url}#add-unit")
    html = text_of(as_admin.get(url))
    assert "The home 0301 is added." in html
    assert re.search(r'<th scope="row">0301</th>\s*<td>96.50</td>', html)
    unit = db.session.scalar(select(Unit).where(Unit.number == "0301"))
    assert unit.area_m2 == Decimal("96.50")
    entry = db.session.scalar(select(AuditEntry))
    assert (entry.action, entry.details["area_m2"]) == ("unit.create", "96.50")


@pytest.mark.parametrize("number, area, field, message", [
    ("0301", "12.345", "area_m2", "The area can have at most two decimal places"),
    ("0301", "0", "area_m2", "The area must be more than 0."),
    ("0301", "abc", "area_m2", "Enter the area as a number in square metres"),
    ("0301", "-3", "area_m2", "Enter the area as a number in square metres"),
    ("0301", "", "area_m2", "Enter the floor area in square metres."),
    ("", "80", "number", "Please fill this in."),
    ("号" * 41, "80", "number", "At most 40 characters."),
    ("0101", "80", "number", "This building already has a home with this number."),
])
def test_add_unit_bad_input_keeps_what_was_typed(site, as_admin, number, area, field, message):
    before = snapshot()
    response = as_admin.post(f"{site.base}/buildings/{site.building.id}/units",
                             data={"unit-number": number, "unit-area_m2": area})
    html = main_of(response)
    assert response.status_code == 200
    assert re.search(r'<p class="error" id="unit-%s-error">%s' % (field, re.escape(message)),
                     html)
    if number:
        assert f'value="{number}"' in html
    if area:
        assert f'value="{area}"' in html
    assert snapshot() == before


def test_edit_unit(site, as_admin):
    url = f"{site.base}/units/{site.unit.id}"
    html = main_of(as_admin.get(url))
    assert "<h1>Home 0101</h1>" in html and 'value="88.50"' in html
    response = as_admin.post(url, data={"number": "0102", "area_m2": "90"})
    assert response.headers["Location"].endswith(f"{site.base}/buildings/{site.building.id}")
    assert "The home is saved." in text_of(as_admin.get(response.headers["Location"]))
    unit = db.session.get(Unit, site.unit.id)
    assert (unit.number, unit.area_m2) == ("0102", Decimal("90.00"))
    entry = db.session.scalar(select(AuditEntry))
    assert entry.details["changes"] == {"number": ["0101", "0102"],
                                        "area_m2": ["88.50", "90.00"]}


@pytest.mark.parametrize("number, area, message", [
    ("0101", "12.345", "at most two decimal places"),
    ("0101", "0", "more than 0"),
    ("0101", "abc", "as a number"),
    ("0201", "80", "already has a home with this number"),
    ("", "80", "Please fill this in."),
])
def test_edit_unit_bad_input(site, as_admin, number, area, message):
    before = snapshot()
    response = as_admin.post(f"{site.base}/units/{site.unit.id}",
                             data={"number": number, "area_m2": area})
    html = main_of(response)
    assert response.status_code == 200 and message in html
    assert f'value="{area}"' in html
    assert snapshot() == before
    unit = db.session.get(Unit, site.unit.id)
    assert (unit.number, unit.area_m2) == ("0101", Decimal("88.50"))


def test_delete_unit(site, as_admin):
    empty = site.building.units[1]
    back = f"{site.base}/buildings/{site.building.id}"
    response = as_admin.post(f"{site.base}/units/{empty.id}/delete")
    assert response.headers["Location"].endswith(back)
    assert "The home 0201 is deleted." in text_of(as_admin.get(back))
    assert db.session.get(Unit, empty.id) is None


def test_delete_unit_with_an_owner_is_refused(site, as_admin):
    factories.owner(factories.user("业主"), site.unit)
    db.session.commit()
    before = snapshot()
    back = f"{site.base}/buildings/{site.building.id}"
    response = as_admin.post(f"{site.base}/units/{site.unit.id}/delete")
    assert response.headers["Location"].endswith(back)
    html = text_of(as_admin.get(back))
    assert "The home 0101 cannot be deleted: people are recorded in it (owners of record: 1" in html
    assert snapshot() == before


# --- ids of another community --------------------------------------------------------------

def test_ids_of_another_community_under_this_community_are_404(site, as_admin):
    b_grid = site.b.grids[0]
    b_building = b_grid.buildings[0]
    b_unit = b_building.units[0]
    before = snapshot()
    for method, url, data in [
        ("get", f"{site.base}/grids/{b_grid.id}", None),
        ("post", f"{site.base}/grids/{b_grid.id}", {"name": "x"}),
        ("post", f"{site.base}/grids/{b_grid.id}/delete", {}),
        ("get", f"{site.base}/buildings/{b_building.id}", None),
        ("post", f"{site.base}/buildings/{b_building.id}", {"building-name": "x"}),
        ("post", f"{site.base}/buildings/{b_building.id}/delete", {}),
        ("post", f"{site.base}/buildings/{b_building.id}/units",
         {"unit-number": "9", "unit-area_m2": "9"}),
        ("get", f"{site.base}/units/{b_unit.id}", None),
        ("post", f"{site.base}/units/{b_unit.id}", {"number": "9", "area_m2": "9"}),
        ("post", f"{site.base}/units/{b_unit.id}/delete", {}),
        ("get", "/admin/communities/999999", None),
        ("get", f"{site.base}/grids/999999", None),
    ]:
        response = getattr(as_admin, method)(url, data=data)
        assert response.status_code == 404, (method, url)
    assert snapshot() == before
    assert db.session.get(Grid, b_grid.id).name == "1网格"


def test_the_whole_community_of_another_admin_is_403(site, as_admin):
    base_b = f"/admin/communities/{site.b.id}"
    building = site.b.grids[0].buildings[0]
    for url in [base_b, f"{base_b}/roles", f"{base_b}/buildings/{building.id}"]:
        response = as_admin.get(url)
        assert response.status_code == 403
        assert "Only an administrator of this community may do this." in text_of(response)


# --- a fixed number of queries -------------------------------------------------------------

def _queries_for(client, count_queries, url) -> int:
    db.session.expire_all()  # count the loading a real request does
    with count_queries() as n:
        response = client.get(url)
    assert response.status_code == 200
    return n.count


def _grow(site, buildings: int, units: int) -> None:
    grid2 = Grid(community_id=site.a.id, name="2网格")
    db.session.add(grid2)
    for i in range(buildings):
        grid = site.grid if i % 2 else grid2
        grid.buildings.append(Building(name=f"新{i}栋"))
    for i in range(units):
        unit = Unit(building_id=site.building.id, number=f"9{i:03d}", area_m2=Decimal("70"))
        db.session.add(unit)
        db.session.flush()
        if i % 3 == 0:
            factories.owner(factories.user(f"业主{i}"), unit)
        if i % 4 == 0:
            factories.resident(site.a, unit=unit)
    db.session.commit()


def test_community_and_building_pages_run_a_fixed_number_of_queries(
        site, as_admin, count_queries):
    urls = [site.base, f"{site.base}/buildings/{site.building.id}",
            f"{site.base}/grids/{site.grid.id}", "/admin/"]
    small = [_queries_for(as_admin, count_queries, u) for u in urls]
    _grow(site, buildings=40, units=40)
    large = [_queries_for(as_admin, count_queries, u) for u in urls]
    assert small == large, (small, large)
    html = main_of(as_admin.get(site.base))
    assert html.count('<th scope="row">') == 41
    html = main_of(as_admin.get(f"{site.base}/buildings/{site.building.id}"))
    assert html.count('<th scope="row">') == 42
