"""The topic list's filters and cards kept rendered per worker (consult/fragments.py): every
reader, for every filter, gets the list they would get with nothing kept, and a change to a
topic, its place or its counts shows at once."""
from __future__ import annotations

import pytest

from consult.extensions import db
from consult.topics import service
from tests.topics.test_kept_threads import afresh, keeping, normal  # noqa: F401 (fixture)
from tests.topics.test_topic_views import make_topic, place  # noqa: F401 (fixture)

pytestmark = [pytest.mark.usefixtures("english"), pytest.mark.one_database]

READERS = ["anonymous", "proposer", "neighbour", "far", "secretary", "stranger"]


@pytest.fixture
def listed(place):
    c, people = place
    topics = [make_topic(c, people["proposer"], title=f"第{i:02d}号议题：停车位",
                         scope=f"community:{c.id}") for i in range(23)]
    topics.append(make_topic(c, people["far"], title="二网格路灯", scope=f"grid:{c.grids[1].id}"))
    service.cosign(people["neighbour"], topics[0])
    db.session.commit()
    return c, people, topics


def paths(c) -> list[str]:
    grid = c.grids[0]
    return ["/topics", "/topics?page=2", "/topics?sort=cosigned", "/topics?sort=closing",
            "/topics?q=停车", "/topics?q=<b>x</b>", "/topics?stage=proposed&category=culture",
            f"/topics?community={c.id}", f"/topics?community={c.id}&area=grid:{grid.id}",
            f"/topics?community={c.id}&area=building:{grid.buildings[0].id}",
            "/topics?area=mine", "/topics?page=99&stage=nonsense&sort=x"]


def get(app, login, people, who: str, path: str, lang: str = "en") -> str:
    client = app.test_client()
    client.set_cookie("lang", lang)
    if who != "anonymous":
        login(people[who], client)
    answer = client.get(path)
    assert answer.status_code == 200, path
    return answer.get_data(as_text=True)


def assert_lists_as_afresh(app, monkeypatch, login, c, people, readers=READERS, langs=("en",)):
    for lang in langs:
        for path in paths(c):
            for who in readers:
                def fetch():
                    return get(app, login, people, who, path, lang)

                kept_page = fetch()
                assert normal(kept_page) == normal(afresh(app, monkeypatch, fetch)), (
                    who, path, lang)


def test_every_reader_gets_the_list_rendered_afresh(app, monkeypatch, login, listed, keeping):
    c, people, _topics = listed
    for _ in range(2):  # first rendered by each reader, then kept by the others
        assert_lists_as_afresh(app, monkeypatch, login, c, people, langs=("en", "zh_Hans"))
    assert keeping.hits > keeping.misses > 0


@pytest.mark.parametrize("change", ["cosign", "title", "accept", "community_name", "new_topic",
                                    "grid_name", "withdraw"])
def test_a_change_shows_at_once(app, monkeypatch, login, listed, keeping, change):
    c, people, topics = listed
    assert_lists_as_afresh(app, monkeypatch, login, c, people, readers=["neighbour"])
    before = normal(get(app, login, people, "neighbour", "/topics?sort=cosigned"))
    if change == "cosign":
        service.cosign(people["neighbour"], topics[5])
    elif change == "title":
        topics[0].title = "停车位（改）"
    elif change == "accept":
        service.cosign(people["neighbour2"], topics[0])
        db.session.commit()
        service.accept(people["secretary"], topics[0], 14)
    elif change == "community_name":
        c.name = "幸福里社区（新）"
    elif change == "new_topic":
        make_topic(c, people["neighbour"], title="新的议题：加装雨棚", scope=f"community:{c.id}")
    elif change == "grid_name":
        c.grids[1].name = "二网格（新）"
    elif change == "withdraw":
        service.withdraw(people["proposer"], topics[0], "不需要了")
    db.session.commit()
    db.session.expire_all()
    assert_lists_as_afresh(app, monkeypatch, login, c, people, readers=["neighbour", "far"])
    assert normal(get(app, login, people, "neighbour", "/topics?sort=cosigned")) != before
