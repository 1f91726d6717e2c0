"""``GET /api/v1/topics/{id}/comments`` pages a long thread in SQL: every top-level comment is
reachable whatever the thread's length, each with all its replies, hidden and withdrawn comments
shown as everywhere else, in a fixed number of statements per request."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from consult.extensions import db
from consult.topics import comments
from consult.topics.models import Comment, Topic
from tests import api_world, factories
from tests.api_world import auth, token

pytestmark = pytest.mark.usefixtures("english")

T0 = datetime(2026, 11, 2, 1, 0)


@pytest.fixture
def w(app, monkeypatch):
    return api_world.build(monkeypatch)


def long_topic(w, threads: int, title: str = "楼下停车位重新划线") -> Topic:
    """A topic open for comment with ``threads`` top-level comments, written one second apart.
    Every third thread has two replies; thread 4 is hidden, thread 6 withdrawn, and the first
    reply of thread 9 hidden. Returns the topic."""
    topic = factories.topic(w.community, w.residents[0], title=title)
    people = w.residents[1:4]
    n = 0
    for i in range(threads):
        top = Comment(topic_id=topic.id, author_id=people[i % 3].id, body=f"意见{i}号",
                      created_at=T0 + timedelta(minutes=i))
        if i == 4:
            top.hidden_at, top.hidden_by_id, top.hidden_reason = T0, w.secretary.id, "广告"
        if i == 6:
            top.withdrawn_at, top.body = T0, ""
        db.session.add(top)
        db.session.flush()
        n += 1
        if i % 3 == 0:
            for j in range(2):
                reply = Comment(topic_id=topic.id, parent_id=top.id,
                                author_id=people[(i + j + 1) % 3].id, body=f"回复{i}-{j}",
                                created_at=T0 + timedelta(minutes=i, seconds=j + 1))
                if i == 9 and j == 0:
                    reply.hidden_at, reply.hidden_by_id = T0, w.secretary.id
                    reply.hidden_reason = "人身攻击"
                db.session.add(reply)
                n += 1
    topic.comment_count = n
    db.session.commit()
    return topic


def tops_in_order(topic: Topic, newest_first: bool) -> list[int]:
    order = (Comment.created_at, Comment.id)
    return list(db.session.scalars(
        select(Comment.id).where(Comment.topic_id == topic.id, Comment.parent_id.is_(None))
        .order_by(*((o.desc() for o in order) if newest_first else order))))


def replies_of(topic: Topic) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for parent, cid in db.session.execute(
            select(Comment.parent_id, Comment.id)
            .where(Comment.topic_id == topic.id, Comment.parent_id.is_not(None))
            .order_by(Comment.created_at, Comment.id)):
        found.setdefault(parent, []).append(cid)
    return found


def get_page(client, topic, page, per_page=20, sort=None, headers=None):
    url = f"/api/v1/topics/{topic.id}/comments?page={page}&per_page={per_page}"
    if sort:
        url += f"&sort={sort}"
    response = client.get(url, headers=headers or {})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


@pytest.mark.parametrize("sort", [None, *comments.SORTS])
def test_every_thread_of_a_long_topic_is_reachable_page_by_page(w, client, sort):
    topic = long_topic(w, 45)
    pages = [get_page(client, topic, p, sort=sort) for p in (1, 2, 3)]
    assert [b["total"] for b in pages] == [45, 45, 45]
    assert [(b["page"], b["per_page"]) for b in pages] == [(1, 20), (2, 20), (3, 20)]
    assert [len(b["items"]) for b in pages] == [20, 20, 5]
    seen = [item["id"] for b in pages for item in b["items"]]
    assert len(set(seen)) == 45
    if sort in (None, "newest", "oldest"):
        assert seen == tops_in_order(topic, newest_first=sort != "oldest")
    else:  # broad support: the same order as the topic page's
        page_order = [v.id for v in comments.thread(None, topic, "consensus", pages=2).comments]
        assert seen == page_order
    # Each thread comes with all its replies, oldest first, and only its own.
    replies = replies_of(topic)
    for b in pages:
        for item in b["items"]:
            assert item["parent_id"] is None
            assert [r["id"] for r in item["replies"]] == replies.get(item["id"], [])
            assert all(r["parent_id"] == item["id"] and r["replies"] == [] for r in item["replies"])
    # The count of comments and replies is the topic's, not the page's.
    assert {b["count"] for b in pages} == {45 + 2 * 15}


def test_a_page_past_the_end_is_empty_with_the_total(w, client):
    topic = long_topic(w, 45)
    for page, per_page in ((4, 20), (100, 20), (2, 45), (100_000, 100)):
        body = get_page(client, topic, page, per_page)
        assert body["items"] == [] and body["total"] == 45
        assert (body["page"], body["per_page"]) == (page, per_page)
    assert len(get_page(client, topic, 1, 100)["items"]) == 45
    empty = factories.topic(w.community, w.residents[0], title="还没有人发表意见")
    db.session.commit()
    body = get_page(client, empty, 1)
    assert (body["items"], body["total"], body["count"]) == ([], 0, 0)


def test_hidden_and_withdrawn_comments_on_later_pages_are_shown_as_on_the_first(w, client):
    topic = long_topic(w, 45)
    ids = tops_in_order(topic, newest_first=True)  # page 3 holds the five oldest threads
    hidden, withdrawn = ids[-5], ids[-7]
    items = {}
    for p in (1, 2, 3):
        for item in get_page(client, topic, p)["items"]:
            items[item["id"]] = item
            items.update({r["id"]: r for r in item["replies"]})
    assert items[hidden]["state"] == "hidden" and items[hidden]["body"] is None
    assert items[hidden]["hidden_reason"] == "广告" and items[hidden]["author"] is not None
    assert items[withdrawn]["state"] == "withdrawn" and items[withdrawn]["body"] is None
    assert items[withdrawn]["author"] is None and items[withdrawn]["hidden_reason"] is None
    hidden_reply = replies_of(topic)[ids[-10]][0]
    assert items[hidden_reply]["state"] == "hidden" and items[hidden_reply]["body"] is None
    visible = [i for i in items.values() if i["state"] == "visible"]
    assert len(visible) == 75 - 3 and all(i["body"] for i in visible)
    text = "".join(client.get(f"/api/v1/topics/{topic.id}/comments?page={p}").get_data(
        as_text=True) for p in (1, 2, 3))
    assert "意见4号" not in text and "回复9-0" not in text
    # The community's secretary moderates: the hidden text is shown to them, marked.
    raw = token(client, w.secretary)
    shown = {i["id"]: i for p in (2, 3)
             for i in get_page(client, topic, p, headers=auth(raw))["items"]}
    assert shown[hidden]["state"] == "hidden" and shown[hidden]["body"] == "意见4号"
    assert shown[withdrawn]["body"] is None


@pytest.mark.parametrize("sort", comments.SORTS)
@pytest.mark.parametrize("with_token", [False, True], ids=["visitor", "resident"])
def test_the_statement_count_does_not_grow_with_the_thread(w, client, count_queries, sort,
                                                           with_token):
    headers = auth(token(client, w.residents[4])) if with_token else {}
    counts = []
    for threads, title in ((5, "短的讨论"), (45, "长的讨论")):
        topic = long_topic(w, threads, title)
        for page in (1, 2):
            url = f"/api/v1/topics/{topic.id}/comments?sort={sort}&page={page}&per_page=20"
            client.get(url, headers=headers)  # warm up
            with count_queries() as q:
                response = client.get(url, headers=headers)
            assert response.status_code == 200
            assert response.get_json()["total"] == threads
            counts.append(q.count)
    assert len(set(counts)) == 1, counts
