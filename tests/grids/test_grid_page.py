"""The grid page (我的网格): who lives where, who has voted (never how), the not-voted list;
for the grid's workers and the community office only."""
from __future__ import annotations

import csv
import io

import pytest

from consult import clock
from consult.extensions import db
from consult.i18n import LANG_COOKIE
from consult.votes import service as votes
from tests import factories
from tests.grids.world import DAY, T0, build, open_vote

pytestmark = pytest.mark.usefixtures("english", "at_t0")

PRIVATE = ("13900000011", "13900000012", "王业主", "李业主")


def test_the_grid_worker_sees_homes_owners_accounts_and_who_voted(estate, client, login):
    p = estate.people
    votes.cast(p["wang"], estate.vote, "oppose")
    db.session.commit()
    login(p["worker"])
    html = client.get(f"/grids/{estate.grid.id}").get_data(as_text=True)
    for text in PRIVATE:
        assert text in html
    assert "activated" in html and "not activated" in html  # 王 has a password, 李 not
    assert "是否同意更换电梯？" in html and "是否同意绿化改造？" in html
    assert "Announced" in html
    assert "1 of 4 voted in this grid" in html  # four owners in the grid, 王 voted
    assert "外网格业主" not in html  # the other grid's people are not here
    assert "Oppose" not in html and "oppose" not in html


def test_the_page_never_shows_how_anyone_voted_even_in_a_named_vote(estate, client, login):
    p = estate.people
    topic = factories.topic(estate.community, p["wang"], title="选颜色", stage="voting")
    vote = open_vote(estate.community, topic, question="外墙颜色？")
    vote.options = ["红色方案", "蓝色方案"]
    db.session.commit()
    votes.cast(p["wang"], vote, "蓝色方案")
    db.session.commit()
    login(p["worker"])
    html = client.get(f"/grids/{estate.grid.id}").get_data(as_text=True)
    assert "外墙颜色？" in html
    assert "红色方案" not in html and "蓝色方案" not in html
    csv_text = client.get(f"/grids/{estate.grid.id}/votes/{vote.id}/not-voted.csv").get_data(
        as_text=True)
    assert "蓝色方案" not in csv_text and "王业主" not in csv_text and "李业主" in csv_text


def test_not_voted_yet_filter_lists_only_those_who_have_not(estate, client, login):
    p = estate.people
    votes.cast(p["wang"], estate.vote, "agree")
    db.session.commit()
    login(p["worker"])
    html = client.get(f"/grids/{estate.grid.id}?show=not_voted").get_data(as_text=True)
    section = html.split(f'id="vote-{estate.vote.id}"')[1].split("</section>")[0]
    electors = section.split('class="electors"')[1]
    assert "李业主" in electors and "王业主" not in electors
    assert 'class="voted"' not in electors


@pytest.mark.parametrize("who", ["secretary", "admin"])
def test_the_office_sees_every_grid_of_its_community(estate, client, login, who):
    login(estate.people[who])
    for grid in (estate.grid, estate.other_grid):
        assert client.get(f"/grids/{grid.id}").status_code == 200
    html = client.get(f"/grids/{estate.grid.id}").get_data(as_text=True)
    # The secretary phones owners; an administrator manages the site: the number masked.
    if who == "secretary":
        assert "13900000012" in html
    else:
        assert "13900000012" not in html and "139****0012" in html
    assert "help</a>" not in html  # the office acts for nobody


@pytest.mark.parametrize("who", ["other_worker", "other_community_worker", "wang", "zhang",
                                 "representative", "outsider", "other_secretary", "nobody"])
def test_nobody_else_sees_the_people_of_the_grid(estate, client, login, who):
    person = estate.people[who]
    private = [t for t in PRIVATE if t not in (person.name, person.phone)]  # the header
    login(person)
    for path in (f"/grids/{estate.grid.id}", f"/grids/{estate.grid.id}?show=not_voted",
                 f"/grids/{estate.grid.id}/votes/{estate.vote.id}/not-voted.csv"):
        response = client.get(path)
        assert response.status_code == 403, path
        body = response.get_data(as_text=True)
        assert not any(text in body for text in private), path


def test_visitors_are_sent_to_log_in(estate, client):
    response = client.get(f"/grids/{estate.grid.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get(f"/grids/{estate.grid.id}/votes/{estate.vote.id}/not-voted.csv"
                      ).status_code == 302


def test_the_not_voted_csv_has_phones_and_headers_in_the_readers_language(estate, client,
                                                                          login):
    p = estate.people
    votes.cast(p["wang"], estate.vote, "agree")
    db.session.commit()
    login(p["worker"])
    response = client.get(f"/grids/{estate.grid.id}/votes/{estate.vote.id}/not-voted.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Building", "Homes", "Name", "Phone"]
    names = {r[2] for r in rows[1:]}
    assert "李业主" in names and "王业主" not in names
    assert any(r[3] == "13900000012" for r in rows[1:])


def test_the_not_voted_csv_speaks_chinese_to_a_chinese_reader(estate, client, login):
    # (A separate test: the locale is kept for the test's application context.)
    login(estate.people["worker"])
    client.set_cookie(LANG_COOKIE, "zh_Hans")
    zh = client.get(f"/grids/{estate.grid.id}/votes/{estate.vote.id}/not-voted.csv")
    header = next(csv.reader(io.StringIO(zh.get_data(as_text=True).lstrip("\ufeff"))))
    assert header == ["楼栋", "房屋", "姓名", "手机号"]  # a person's name, not a thing's (名称)


def test_the_csv_of_a_vote_that_does_not_cover_the_grid_is_not_found(estate, client, login):
    p = estate.people
    topic = factories.topic(estate.community, p["far"], title="二网格", stage="voting",
                            grid=estate.other_grid)
    elsewhere = open_vote(estate.community, topic, grid=estate.other_grid)
    db.session.commit()
    login(p["worker"])
    assert client.get(f"/grids/{estate.grid.id}/votes/{elsewhere.id}/not-voted.csv"
                      ).status_code == 404
    html = client.get(f"/grids/{estate.grid.id}").get_data(as_text=True)
    assert f'id="vote-{elsewhere.id}"' not in html


def test_closed_votes_are_not_listed(estate, client, login):
    login(estate.people["worker"])
    with clock.frozen(T0 + 7 * DAY):
        html = client.get(f"/grids/{estate.grid.id}").get_data(as_text=True)
    assert f'id="vote-{estate.vote.id}"' not in html


def test_my_grid_lists_the_workers_grids_and_the_header_links_it(estate, client, login):
    login(estate.people["worker"])
    home = client.get("/").get_data(as_text=True)
    assert 'href="/grids"' in home
    html = client.get("/grids").get_data(as_text=True)
    assert f"/grids/{estate.grid.id}" in html and f"/grids/{estate.other_grid.id}" not in html
    login(estate.people["wang"])
    assert 'href="/grids"' not in client.get("/").get_data(as_text=True)


def test_the_grid_page_takes_the_same_queries_whatever_the_grid_size(app, client, login,
                                                                     count_queries):
    """4 homes or 40 in the grid, with their owners, residents and electors in two votes: the
    same number of statements."""
    counts = {}
    for homes, name in ((2, "小网格社区"), (20, "大网格社区")):
        e = build(homes_per_building=homes, name=name)
        units = [u for b in e.grid.buildings for u in b.units]
        assert len(units) == 2 * homes
        for unit in units[2:]:
            factories.resident(e.community, "住户", unit=unit)
        db.session.commit()
        votes.cast(e.people["wang"], e.vote, "agree")
        db.session.commit()
        login(e.people["worker"])
        client.get("/")
        for show in ("all", "not_voted"):
            with count_queries() as n:
                response = client.get(f"/grids/{e.grid.id}?show={show}")
            assert response.status_code == 200
            counts[(homes, show)] = n.count
    assert counts[(2, "all")] == counts[(20, "all")] == counts[(2, "not_voted")], counts
    assert counts[(20, "not_voted")] == counts[(2, "all")]


def test_the_homes_column_is_headed_home_not_home_page_in_chinese(estate, client, login):
    """'Home' is both the site's first page (首页) and a flat or house (房屋): the table of
    homes says the second."""
    login(estate.people["worker"])
    client.set_cookie(LANG_COOKIE, "zh_Hans")
    html = client.get(f"/grids/{estate.grid.id}").get_data(as_text=True)
    assert '<th scope="col">房屋</th>' in html
    assert '<th scope="col">首页</th>' not in html
