"""Public pages kept for visitors (consult/pagecache.py): fast, and never stale after a write,
never someone else's page, never someone else's CSRF token."""
from __future__ import annotations

import re

import pytest

from consult import pagecache
from consult.extensions import db
from consult.topics import comments
from tests import factories


@pytest.fixture
def app_config():
    return {"PAGE_CACHE_SECONDS": 30}


@pytest.fixture
def place(app):
    c = factories.community("幸福里社区")
    topic = factories.topic(c, title="楼道加装扶手")
    author = factories.resident(c, "王秀英")
    db.session.commit()
    app.extensions["consult_page_cache"].clear()
    return topic, author


def cache_state(response) -> str | None:
    return response.headers.get("X-Page-Cache")


def csrf_in(response) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True))[1]


def test_a_visitor_gets_the_kept_page_until_someone_writes(app, client, place):
    topic, author = place
    first = client.get(f"/topics/{topic.id}")
    again = client.get(f"/topics/{topic.id}")
    assert (cache_state(first), cache_state(again)) == ("miss", "hit")
    assert "楼道加装扶手" in again.get_data(as_text=True)

    comments.post(author, topic, "我家老人每天要上下楼，非常需要扶手。")
    db.session.commit()
    after = client.get(f"/topics/{topic.id}")
    assert cache_state(after) == "miss"
    assert "非常需要扶手" in after.get_data(as_text=True)


def test_a_refused_write_keeps_the_pages(app, client, place):
    topic, author = place
    client.get(f"/topics/{topic.id}")
    with pytest.raises(comments.Refused):
        comments.post(author, topic, "   ")
    db.session.rollback()
    assert cache_state(client.get(f"/topics/{topic.id}")) == "hit"


def test_logged_in_people_always_get_their_own_fresh_page(app, client, login, place):
    topic, author = place
    client.get(f"/topics/{topic.id}")  # kept for visitors
    login(author)
    mine = client.get(f"/topics/{topic.id}")
    assert cache_state(mine) is None
    assert "王秀英" in mine.get_data(as_text=True)  # the account menu: their own page
    visitor = app.test_client()
    assert "王秀英" not in visitor.get(f"/topics/{topic.id}").get_data(as_text=True)


def test_each_visitor_gets_a_csrf_token_of_their_own_session(app, client, place):
    topic, _ = place
    app.config["WTF_CSRF_ENABLED"] = True
    client.get(f"/topics/{topic.id}")
    other = app.test_client()
    page = other.get(f"/topics/{topic.id}")
    assert cache_state(page) == "hit"
    token = csrf_in(page)
    assert token != csrf_in(client.get(f"/topics/{topic.id}"))
    # The language switch on the kept page works for the second visitor.
    switched = other.post("/preferences/language", data={"csrf_token": token, "lang": "en"},
                          headers={"Referer": f"http://localhost/topics/{topic.id}"})
    assert switched.status_code in (302, 303)
    assert "lang=en" in switched.headers.get("Set-Cookie", "")


def test_language_and_text_size_get_pages_of_their_own(app, client, place):
    topic, _ = place
    client.get(f"/topics/{topic.id}")
    client.set_cookie("lang", "en")
    english = client.get(f"/topics/{topic.id}")
    assert cache_state(english) == "miss"
    assert 'lang="en"' in english.get_data(as_text=True)
    client.set_cookie("text_size", "large")
    assert cache_state(client.get(f"/topics/{topic.id}")) == "miss"


def test_a_flash_message_is_shown_fresh_and_never_kept(app, client, login, place):
    topic, author = place
    client.get(f"/topics/{topic.id}")
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "您已退出登录。")]
    flashed = client.get(f"/topics/{topic.id}")
    assert cache_state(flashed) is None
    assert "您已退出登录。" in flashed.get_data(as_text=True)
    plain = client.get(f"/topics/{topic.id}")
    assert cache_state(plain) == "hit"
    assert "您已退出登录。" not in plain.get_data(as_text=True)


def test_no_cache_asks_for_a_fresh_page_and_pages_age_out(app, client, place, monkeypatch):
    topic, _ = place
    client.get(f"/topics/{topic.id}")
    assert cache_state(client.get(f"/topics/{topic.id}",
                                  headers={"Cache-Control": "no-cache"})) is None
    clock = pagecache.time.monotonic() + 31
    monkeypatch.setattr(pagecache.time, "monotonic", lambda: clock)
    assert cache_state(client.get(f"/topics/{topic.id}")) == "miss"


def test_only_found_pages_are_kept(app, client, place):
    assert cache_state(client.get("/topics/999999")) is None
    assert client.get("/topics/999999").status_code == 404
