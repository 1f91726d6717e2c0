"""The roster upload page (/admin/roster/): who may use it, and what it shows."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from consult.accounts.models import Role, User
from consult.community.models import Community, Unit
from consult.extensions import db
from tests import factories
from tests.factories import roster_csv

# These tests check messages in English, the language the texts are written in.
pytestmark = pytest.mark.usefixtures("english")

URL = "/admin/roster/"
ROWS = (
    ("1网格", "1栋", "0101", "88.50", "张三", "13800138000", ""),
    ("1网格", "1栋", "0102", "120", "李四;王五", "13900139000;", ";wang@example.org"),
)


def upload(client, data: bytes, filename: str = "roster.csv", **fields):
    return client.post(URL, data={"file": (io.BytesIO(data), filename), **fields},
                       content_type="multipart/form-data")


def units_in(community: Community) -> int:
    return len(factories.units_of(db.session.get(Community, community.id)))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def community():
    c = factories.community("幸福社区", units=1)
    db.session.commit()
    return c


@pytest.fixture
def other_community():
    c = factories.community("和谐社区", units=1)
    db.session.commit()
    return c


@pytest.fixture
def platform_admin():
    u = factories.user("平台管理员", platform_admin=True)
    db.session.commit()
    return u


@pytest.fixture
def community_admin(community):
    u = factories.user("社区管理员")
    factories.grant(u, community, Role.ADMIN)
    db.session.commit()
    return u


# --- who may ----------------------------------------------------------------------------------

def test_anonymous_is_sent_to_log_in(client, community):
    for response in (client.get(URL), upload(client, roster_csv(*ROWS),
                                             community=str(community.id))):
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
    assert units_in(community) == 1


def test_a_plain_user_is_refused(client, login, community):
    login(factories.user("居民"))
    db.session.commit()
    assert client.get(URL).status_code == 403
    assert upload(client, roster_csv(*ROWS), community=str(community.id)).status_code == 403
    assert units_in(community) == 1


def test_a_secretary_is_refused(client, login, community):
    secretary = factories.user("秘书")
    factories.grant(secretary, community, Role.SECRETARY)
    db.session.commit()
    login(secretary)
    assert client.get(URL).status_code == 403
    assert upload(client, roster_csv(*ROWS), community=str(community.id)).status_code == 403
    assert units_in(community) == 1


def test_an_admin_of_another_community_is_refused(client, login, community, other_community):
    admin_elsewhere = factories.user("别的管理员")
    factories.grant(admin_elsewhere, other_community, Role.ADMIN)
    db.session.commit()
    login(admin_elsewhere)

    page = client.get(URL).get_data(as_text=True)
    assert "和谐社区" in page and "幸福社区" not in page  # only their own community is offered

    response = upload(client, roster_csv(*ROWS), community=str(community.id))
    assert response.status_code == 403
    assert units_in(community) == 1
    assert count(User) == 1  # nobody created from the roster


def test_a_community_admin_cannot_create_a_community(client, login, community_admin):
    login(community_admin)
    assert 'name="new_community"' not in client.get(URL).get_data(as_text=True)
    # The field is not on their form: a forged value is ignored, and without a community
    # chosen nothing is imported.
    response = upload(client, roster_csv(*ROWS), community="", new_community="新社区")
    assert response.status_code == 200
    assert db.session.scalar(select(Community).where(Community.name == "新社区")) is None


def test_an_unknown_community_id_is_not_found(client, login, platform_admin):
    login(platform_admin)
    assert upload(client, roster_csv(*ROWS), community="9999").status_code == 404


# --- what it does ------------------------------------------------------------------------------

def test_community_admin_imports_into_their_community(client, login, community,
                                                      community_admin):
    login(community_admin)
    page = client.get(URL)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<h1>' in html and 'enctype="multipart/form-data"' in html
    assert 'name="new_community"' not in html

    response = upload(client, roster_csv(*ROWS), community=str(community.id))
    assert response.status_code == 302 and response.headers["Location"].endswith(URL)

    html = client.get(URL).get_data(as_text=True)
    assert "幸福社区" in html and 'role="status"' in html  # the flash
    assert re.search(r'<th scope="row">Units created</th><td>1</td>', html)
    assert re.search(r'<th scope="row">Units updated</th><td>1</td>', html)
    assert re.search(r'<th scope="row">Owner accounts created \(not yet activated\)</th>'
                     r'<td>3</td>', html)
    assert units_in(community) == 2
    # The report is shown once.
    assert "Units created" not in client.get(URL).get_data(as_text=True)


def test_platform_admin_imports_into_a_new_community(client, login, platform_admin, community):
    login(platform_admin)
    html = client.get(URL).get_data(as_text=True)
    assert 'name="new_community"' in html and "幸福社区" in html

    response = upload(client, roster_csv(*ROWS), community="", new_community=" 新社区 ")
    assert response.status_code == 302
    created = db.session.scalars(select(Community).where(Community.name == "新社区")).one()
    assert units_in(created) == 2
    assert "Imported into 新社区" in client.get(URL).get_data(as_text=True)


def test_platform_admin_imports_into_any_community(client, login, platform_admin, community):
    login(platform_admin)
    assert upload(client, roster_csv(*ROWS), community=str(community.id)).status_code == 302
    assert units_in(community) == 2


def test_choosing_both_or_neither_is_a_form_error(client, login, platform_admin, community):
    login(platform_admin)
    both = upload(client, roster_csv(*ROWS), community=str(community.id), new_community="新社区")
    neither = upload(client, roster_csv(*ROWS), community="")
    for response in (both, neither):
        assert response.status_code == 200
        assert 'id="community-error"' in response.get_data(as_text=True)
    assert count(Community) == 1


def test_file_must_be_a_csv(client, login, community_admin, community):
    login(community_admin)
    response = upload(client, roster_csv(*ROWS), filename="roster.xlsx",
                      community=str(community.id))
    assert response.status_code == 200
    assert 'id="file-error"' in response.get_data(as_text=True)
    missing = client.post(URL, data={"community": str(community.id)},
                          content_type="multipart/form-data")
    assert 'id="file-error"' in missing.get_data(as_text=True)
    assert units_in(community) == 1


def test_errors_are_listed_by_line_and_the_community_kept(client, login, community_admin,
                                                          community):
    login(community_admin)
    data = roster_csv(*ROWS, ("1网格", "1栋", "0103", "12.345", "", "", ""),
                      ("1网格", "1栋", "0101", "80", "", "", ""))
    response = upload(client, data, community=str(community.id))

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<th scope="col">Line</th>' in html
    assert re.search(r"<tr><td>4</td><td><code>area_m2</code></td>", html)
    assert re.search(r"<tr><td>5</td><td><code>unit</code></td><td>[^<]*line 2", html)
    assert f'<option selected value="{community.id}">幸福社区</option>' in html
    assert units_in(community) == 1
    assert count(User) == 1


def test_a_file_that_is_not_utf8_is_explained(client, login, community_admin, community):
    login(community_admin)
    data = ",".join(factories.ROSTER_HEADER).encode() + "\n1网格,1栋,0101,1,,,\n".encode("gbk")
    html = upload(client, data, community=str(community.id)).get_data(as_text=True)
    assert "UTF-8" in html and "<tr><td>2</td><td>—</td>" in html


def test_a_clash_with_a_concurrent_writer_is_a_409(client, login, community_admin, community,
                                                   monkeypatch):
    from sqlalchemy.exc import IntegrityError

    from consult.roster import views

    def clashing_import(*args, **kwargs):
        raise IntegrityError("INSERT INTO units ...", {}, Exception("unique constraint"))

    monkeypatch.setattr(views, "import_roster", clashing_import)
    login(community_admin)
    response = upload(client, roster_csv(*ROWS), community=str(community.id))
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert 'class="flash flash-error"' in html and 'name="file"' in html


def test_upload_page_query_count_is_constant(client, login, platform_admin, count_queries):
    login(platform_admin)

    def measure():
        db.session.remove()  # each request starts with an empty session, as in production
        with count_queries() as counter:
            html = client.get(URL).get_data(as_text=True)
        return counter.count, html.count("<option ")

    factories.community("社区一")
    db.session.commit()
    few, options = measure()
    assert options == 2  # "Choose…" and the community
    for i in range(5):
        factories.community(f"社区{i + 2}")
    db.session.commit()
    assert measure() == (few, 7)


def test_admin_index_links_to_the_upload(client, login, community_admin):
    login(community_admin)
    assert f'href="{URL}"' in client.get("/admin/").get_data(as_text=True)


def test_units_table_unchanged_for_a_refused_post(client, login, community, other_community):
    """The refusal happens before the file is read: not one unit is written anywhere."""
    admin_elsewhere = factories.user("别的管理员")
    factories.grant(admin_elsewhere, other_community, Role.ADMIN)
    db.session.commit()
    login(admin_elsewhere)
    before = count(Unit)
    upload(client, roster_csv(*ROWS), community=str(community.id))
    assert count(Unit) == before


def test_cells_quoted_in_messages_are_escaped(client, login, community_admin, community):
    login(community_admin)
    data = roster_csv(("1网格", "1栋", "0101", "<img src=x onerror=alert(1)>", "", "", ""))
    html = upload(client, data, community=str(community.id)).get_data(as_text=True)
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
