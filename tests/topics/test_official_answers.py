"""Officials in the conversation: the secretaries, representatives and administrators of a
community comment and reply in its topics without a residency, marked with their role; an
official answer (官方回复) is pinned at the top of the thread and stands under the comment it
answers, marks the topic answered, enters its timeline and tells the answered comment's author
and the topic's followers. Over HTTP (forms and the JSON API) and in the rules."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from consult import clock
from consult.accounts.models import Role
from consult.extensions import db
from consult.notifications.models import Notification
from consult.refusals import Refused
from consult.topics import comments
from consult.topics.models import Comment, Follow, Reaction, StageChange, Topic
from tests import factories
from tests.api_world import auth, token

pytestmark = pytest.mark.usefixtures("english")

T0 = datetime(2026, 11, 2, 1, 0)
HX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen(T0):
        yield


class World:
    pass


@pytest.fixture
def w(app):
    w = World()
    w.c = factories.community("幸福里社区", grids=1, buildings=1, units=3)
    other = factories.community("和谐社区")
    units = w.c.grids[0].buildings[0].units
    w.author = factories.resident(w.c, "王秀兰", unit=units[0])
    w.resident = factories.resident(w.c, "李建华", unit=units[1])
    w.follower = factories.resident(w.c, "陈玉梅", unit=units[2])
    w.secretary = factories.office_holder(w.c, Role.SECRETARY, "张书记")
    w.representative = factories.office_holder(w.c, Role.REPRESENTATIVE, "刘代表")
    w.admin = factories.office_holder(w.c, Role.ADMIN, "赵管理")
    w.elsewhere = factories.office_holder(other, Role.SECRETARY, "外社区书记")
    w.topic = factories.topic(w.c, w.author, title="小区加装充电桩")
    db.session.add(Follow(topic_id=w.topic.id, user_id=w.follower.id))
    w.comment = Comment(topic_id=w.topic.id, author_id=w.resident.id, body="充电桩装在哪里？",
                        created_at=T0 - timedelta(hours=1))
    db.session.add(w.comment)
    w.topic.comment_count = 1
    db.session.commit()
    return w


def as_(client, login, person):
    client.set_cookie("lang", "en")
    if person is not None:
        login(person, client)
    return client


def html(response) -> str:
    return response.get_data(as_text=True)


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def page(client, w) -> str:
    response = client.get(f"/topics/{w.topic.id}")
    assert response.status_code == 200
    return html(response)


# --- speaking without a residency -----------------------------------------------------------

@pytest.mark.parametrize("who, badge", [("secretary", "Community secretary"),
                                        ("representative", "People's representative"),
                                        ("admin", "Community administrator")])
def test_officials_comment_and_reply_without_a_residency_marked_with_their_role(
        w, client, login, who, badge):
    official = getattr(w, who)
    as_(client, login, official)
    text = page(client, w)
    assert 'id="new-comment"' in text and 'id="comment-closed"' not in text
    response = client.post(f"/topics/{w.topic.id}/comments", data={"body": "我们会研究。"})
    assert response.status_code == 303
    response = client.post(f"/topics/{w.topic.id}/comments",
                           data={"body": "请看公告。", "parent_id": w.comment.id})
    assert response.status_code == 303
    mine = db.session.scalars(select(Comment).where(Comment.author_id == official.id)).all()
    assert sorted(c.parent_id or 0 for c in mine) == [0, w.comment.id]
    assert {c.author_role for c in mine} == {who} and not any(c.official for c in mine)
    text = page(client, w)
    for c in mine:
        badge_html = re.search(rf'id="comment-{c.id}-role">([^<]+)<', text)
        assert badge_html and badge_html.group(1) == badge
    # a resident's comment carries no role
    assert f'id="comment-{w.comment.id}-role"' not in text


def test_another_communitys_secretary_may_not_comment(w, client, login):
    as_(client, login, w.elsewhere)
    assert 'id="comment-closed"' in page(client, w)
    for headers in ({}, HX):
        response = client.post(f"/topics/{w.topic.id}/comments", data={"body": "路过说一句"},
                               headers=headers)
        assert response.status_code == 403
    assert count(Comment, Comment.author_id == w.elsewhere.id) == 0


def test_officials_do_not_mark_comments(w, client, login):
    as_(client, login, w.secretary)
    assert f'id="react-{w.comment.id}-agree"' not in page(client, w)
    response = client.post(f"/comments/{w.comment.id}/react", data={"value": "agree"})
    assert response.status_code == 403
    assert count(Reaction) == 0


def test_comments_close_for_officials_too(w, client, login):
    w.topic.comment_until = T0 - timedelta(minutes=1)
    db.session.commit()
    as_(client, login, w.secretary)
    response = client.post(f"/topics/{w.topic.id}/comments",
                           data={"body": "晚了", "official": "1"})
    assert response.status_code == 422
    assert count(Comment, Comment.author_id == w.secretary.id) == 0


# --- official answers ---------------------------------------------------------------------

def test_the_form_offers_the_official_answer_to_officials_only(w, client, login):
    as_(client, login, w.resident)
    assert 'name="official"' not in page(client, w)
    as_(client, login, w.representative)
    text = page(client, w)
    assert 'id="new-comment-official"' in text
    assert f'id="reply-{w.comment.id}-official"' in text


@pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
def test_a_resident_cannot_post_an_official_answer(w, client, login, headers):
    as_(client, login, w.author)
    response = client.post(f"/topics/{w.topic.id}/comments",
                           data={"body": "我代表官方", "official": "1"}, headers=headers)
    assert response.status_code == 403
    assert count(Comment) == 1
    assert db.session.get(Topic, w.topic.id).answered_at is None


def test_an_official_answer_to_a_comment(w, client, login):
    as_(client, login, w.secretary)
    response = client.post(f"/topics/{w.topic.id}/comments", data={
        "body": "充电桩装在3号楼北侧停车场，下月施工。", "parent_id": w.comment.id,
        "official": "1"})
    assert response.status_code == 303
    answer = db.session.scalars(select(Comment).where(Comment.official.is_(True))).one()
    assert answer.parent_id == w.comment.id and answer.author_role == "secretary"
    topic = db.session.get(Topic, w.topic.id)
    assert topic.answered_at == answer.created_at

    # everyone sees it: pinned at the top of the thread, and under the comment it answers
    client = as_(client.application.test_client(), login, None)
    text = page(client, w)
    pinned = text.index('id="official-answers"')
    assert pinned < text.index('id="comment-list"')
    assert f'id="answer-{answer.id}"' in text
    before_timeline = text[:text.index('id="timeline"')]
    assert before_timeline.count("充电桩装在3号楼北侧停车场") == 2
    thread = text[text.index(f'id="thread-{w.comment.id}"'):]
    replies = thread[thread.index(f'id="replies-{w.comment.id}"'):]
    assert f'id="comment-{answer.id}-official"' in replies.split("</ul>")[0]
    # the header says the topic is answered; the timeline has the answer
    assert 'id="topic-answered"' in text and "Answered officially" in text
    timeline = text[text.index('id="timeline"'):]
    timeline = timeline[:timeline.index("</ol>")]
    assert "Official answer" in timeline and "张书记" in timeline
    assert count(StageChange, StageChange.topic_id == w.topic.id,
                 StageChange.transition == comments.OFFICIAL_ANSWER) == 1
    # and the topic list
    assert "Answered officially" in html(client.get("/topics"))

    # the answered comment's author and the followers are told; the secretary is not
    told = set(db.session.scalars(select(Notification.user_id).where(
        Notification.kind == "topic.official_answer")))
    assert told == {w.resident.id, w.follower.id}
    # the answered comment's author is told once (not also "replied to your comment")
    assert count(Notification, Notification.user_id == w.resident.id) == 1


def test_a_withdrawn_official_answer_no_longer_answers_the_topic(w, client, login):
    with clock.frozen(T0 - timedelta(hours=1)):
        early = comments.post(w.admin, w.topic, "第一次答复", official=True)
    late = comments.post(w.secretary, w.topic, "补充答复", official=True)
    db.session.commit()
    assert db.session.get(Topic, w.topic.id).answered_at == early.created_at
    comments.withdraw(w.admin, early)
    db.session.commit()
    assert db.session.get(Topic, w.topic.id).answered_at == late.created_at
    comments.hide(w.secretary, late, "重复")
    db.session.commit()
    assert db.session.get(Topic, w.topic.id).answered_at is None
    as_(client, login, None)
    text = page(client, w)
    assert 'id="official-answers"' not in text and 'id="topic-answered"' not in text
    comments.restore(w.secretary, db.session.get(Comment, late.id))
    db.session.commit()
    assert db.session.get(Topic, w.topic.id).answered_at == late.created_at


def _oob_region(text: str) -> str | None:
    """The pinned answers an htmx answer swaps in out of band, or None when it sends none."""
    found = re.search(r'<div id="official-answers-region" hx-swap-oob="true">(.*?)</div>\s*'
                      r'<span id="topic-answered-mark" hx-swap-oob="true">', text, re.S)
    return found.group(1) if found else None


def test_an_official_answer_posted_in_place_is_pinned_at_once(w, client, login):
    """htmx: the answer to posting carries the pinned answers and the "answered" mark out of
    band, so the box at the top of the thread shows without a reload."""
    as_(client, login, w.secretary)
    text = page(client, w)
    # the page keeps a place for the pinned answers even before the first one
    assert 'id="official-answers-region"' in text and 'id="official-answers"' not in text
    assert 'id="topic-answered-mark"' in text and 'id="topic-answered"' not in text
    response = client.post(f"/topics/{w.topic.id}/comments", headers=HX, data={
        "body": "下月在北侧停车场施工。", "parent_id": w.comment.id, "official": "1"})
    assert response.status_code == 200
    text = html(response)
    answer = db.session.scalars(select(Comment).where(Comment.official.is_(True))).one()
    region = _oob_region(text)
    assert region is not None and f'id="answer-{answer.id}"' in region
    assert "下月在北侧停车场施工。" in region and "Community secretary" in region
    assert 'id="topic-answered"' in text
    # and under the comment it answers, with its badge
    assert f'hx-swap-oob="beforeend:#replies-{w.comment.id}"' in text
    assert f'id="comment-{answer.id}-official"' in text

    # an ordinary comment sends no pinned answers
    response = client.post(f"/topics/{w.topic.id}/comments", headers=HX,
                           data={"body": "另外，欢迎大家提意见。"})
    assert response.status_code == 200 and _oob_region(html(response)) is None


def test_withdrawing_or_hiding_an_official_answer_in_place_unpins_it(w, client, login):
    answer = comments.post(w.secretary, w.topic, "先做预算。", official=True)
    db.session.commit()
    as_(client, login, w.secretary)
    response = client.post(f"/comments/{answer.id}/hide", headers=HX,
                           data={"reason": "重复发布"})
    assert response.status_code == 200
    text = html(response)
    assert _oob_region(text) == "" and 'id="topic-answered"' not in text
    response = client.post(f"/comments/{answer.id}/restore", headers=HX)
    region = _oob_region(html(response))
    assert region is not None and f'id="answer-{answer.id}"' in region
    # marking a resident's comment changes no pinned answer: none is sent
    as_(client, login, w.author)
    response = client.post(f"/comments/{w.comment.id}/react", headers=HX,
                           data={"value": "agree"})
    assert response.status_code == 200 and _oob_region(html(response)) is None
    as_(client, login, w.secretary)
    response = client.post(f"/comments/{answer.id}/withdraw", headers=HX)
    assert _oob_region(html(response)) == ""


def test_no_official_answer_for_someone_else_or_elsewhere(w):
    for user in (w.resident, w.elsewhere):
        with pytest.raises(Refused) as caught:
            comments.post(user, w.topic, "官方说法", official=True)
        db.session.rollback()
        assert caught.value.forbidding
    assert count(Comment) == 1


# --- the API --------------------------------------------------------------------------------

def test_the_api_posts_and_shows_official_answers(w, client):
    url = f"/api/v1/comments/{w.comment.id}/replies"
    resident = auth(token(client, w.author))
    response = client.post(url, json={"body": "我说了算", "official": True}, headers=resident)
    assert response.status_code == 403
    assert response.get_json()["status"] == 403
    elsewhere = auth(token(client, w.elsewhere))
    assert client.post(url, json={"body": "路过"}, headers=elsewhere).status_code == 403

    secretary = auth(token(client, w.secretary))
    response = client.post(url, json={"body": "下月施工。", "official": True}, headers=secretary)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["official"] is True and body["author_role"] == "secretary"
    response = client.post(f"/api/v1/topics/{w.topic.id}/comments", json={"body": "欢迎提问"},
                           headers=auth(token(client, w.representative)))
    assert response.status_code == 201
    assert response.get_json()["official"] is False
    assert response.get_json()["author_role"] == "representative"

    items = client.get(f"/api/v1/topics/{w.topic.id}/comments?sort=oldest").get_json()["items"]
    first = items[0]
    assert first["official"] is False and first["author_role"] is None
    assert [(r["official"], r["author_role"]) for r in first["replies"]] == [
        (True, "secretary")]
    detail = client.get(f"/api/v1/topics/{w.topic.id}").get_json()
    assert detail["answered_at"] is not None
    assert [s["transition"] for s in detail["timeline"]][-1] == comments.OFFICIAL_ANSWER
