"""Rate limits on registering and on asking for a reset link (per address), and on comments,
ballots, studio reservations and objections (per user, one budget for the page and the API):
each trips for its key and not for another person, and the page says why and how long to wait,
keeping what was typed."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from consult import clock
from consult.accounts.models import RegistrationCode, User
from consult.extensions import db
from consult.outcomes.models import Objection
from consult.studios.models import Reservation
from consult.topics.models import Comment
from tests import api_world, factories
from tests import outcome_world as ow
from tests.api_world import auth, token
from tests.factories import PASSWORD

pytestmark = pytest.mark.usefixtures("english")

HX = {"HX-Request": "true"}
LIMITS = {
    "RATELIMIT_ENABLED": True,
    "COMMENT_RATE_LIMIT": "2 per minute",
    "BALLOT_RATE_LIMIT": "2 per minute",
    "RESERVATION_RATE_LIMIT": "2 per hour",
    "OBJECTION_RATE_LIMIT": "2 per hour",
    "REGISTER_RATE_LIMIT": "2 per hour",
    "PASSWORD_RESET_RATE_LIMIT": "2 per hour",
    "LOGIN_RATE_LIMIT": "100 per minute",
    "API_RATE_LIMIT": "100 per minute",
    "API_TOKEN_RATE_LIMIT": "100 per minute",
}


@pytest.fixture
def app_config():
    return LIMITS


@pytest.fixture
def w(app, monkeypatch):
    return api_world.build(monkeypatch)


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(model.id)))


def as_user(app, login, user):
    return login(user, app.test_client())


def assert_too_many(response, reason: str, unit: str = "seconds"):
    html = response.get_data(as_text=True)
    assert response.status_code == 429, html
    assert reason in html
    assert re.search(rf"please wait \d+ {unit}, then try again", html)
    assert int(response.headers["Retry-After"]) > 0
    return html


# --- comments ---------------------------------------------------------------------------------

def test_comments_are_limited_per_user_keeping_the_text(app, login, w):
    alice, bob = (as_user(app, login, u) for u in w.residents[:2])
    url = f"/topics/{w.topic.id}/comments"
    for i in range(2):
        assert alice.post(url, data={"body": f"第{i}条意见"}).status_code == 303
    text = "第三条意见：楼道扶手应该装在右侧，老人上楼时更方便抓握。"
    html = assert_too_many(alice.post(url, data={"body": text}),
                           "You have posted several comments in a short time.")
    assert "<h1>Too many attempts</h1>" in html
    # What was typed is shown and ready to send again.
    assert f"<p>{text}</p>" in html and f'name="body" value="{text}"' in html
    assert f'<form method="post" action="{url}">' in html
    # Bob, at the same address, is not held back by Alice's comments.
    assert bob.post(url, data={"body": "我也说一句"}).status_code == 303
    assert count(Comment) == 1 + 3  # the world's comment, Alice's two, Bob's one


def test_an_htmx_comment_over_the_limit_gets_a_short_fragment(app, login, w):
    alice = as_user(app, login, w.residents[0])
    url = f"/topics/{w.topic.id}/comments"
    for i in range(2):
        assert alice.post(url, data={"body": f"第{i}条"}, headers=HX).status_code == 200
    response = alice.post(url, data={"body": "第三条"}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "<html" not in html
    assert html.startswith('<p class="flash flash-error" role="alert">You have posted several')


def test_the_api_shares_the_comment_budget_of_the_page(app, client, login, w):
    alice = as_user(app, login, w.residents[0])
    raw = token(client, w.residents[0])
    assert alice.post(f"/topics/{w.topic.id}/comments", data={"body": "网页上"}).status_code \
        == 303
    assert client.post(f"/api/v1/comments/{w.comment.id}/replies", json={"body": "应用里"},
                       headers=auth(raw)).status_code == 201
    limited = client.post(f"/api/v1/topics/{w.topic.id}/comments", json={"body": "第三条"},
                          headers=auth(raw))
    assert limited.status_code == 429
    assert limited.get_json()["type"].endswith("/rate-limited")
    assert int(limited.headers["Retry-After"]) > 0
    assert alice.post(f"/topics/{w.topic.id}/comments", data={"body": "再来"}).status_code \
        == 429
    # Another resident's token still works.
    other = token(client, w.residents[1])
    assert client.post(f"/api/v1/topics/{w.topic.id}/comments", json={"body": "我的"},
                       headers=auth(other)).status_code == 201


# --- ballots ----------------------------------------------------------------------------------

def test_ballots_are_limited_per_user(app, client, login, w):
    alice, bob = (as_user(app, login, u) for u in w.residents[:2])
    url = f"/votes/{w.vote.id}/ballot"
    assert alice.post(url, data={"option": "agree"}).status_code == 302
    assert alice.post(url, data={"option": "oppose"}).status_code == 302  # changed her mind
    html = assert_too_many(alice.post(url, data={"option": "abstain"}),
                           "You have sent several ballots in a short time.")
    assert 'name="option" value="abstain"' in html
    assert bob.post(url, data={"option": "agree"}).status_code == 302
    # The API counts against Alice's same budget.
    raw = token(client, w.residents[0])
    assert client.post(f"/api/v1/votes/{w.vote.id}/ballots", json={"option": "agree"},
                       headers=auth(raw)).status_code == 429


# --- reservations -----------------------------------------------------------------------------

def test_reservations_are_limited_per_user(app, client, login, w):
    from datetime import timedelta

    from consult.studios.models import StudioSession

    sessions = [w.session] + [
        factories.studio_session(w.studio, w.representative,
                                 w.session.starts_at + timedelta(days=d)) for d in (1, 2)]
    db.session.commit()
    alice, bob = (as_user(app, login, u) for u in w.residents[:2])

    def slot(s: StudioSession) -> str:
        return s.starts_at.strftime("%Y-%m-%dT%H:%M")

    for s in sessions[:2]:
        response = alice.post(f"/studio-sessions/{s.id}/reserve",
                              data={"slot": slot(s), "category": "other", "matter": "门禁坏了"})
        assert response.status_code == 302
    html = assert_too_many(
        alice.post(f"/studio-sessions/{sessions[2].id}/reserve",
                   data={"slot": slot(sessions[2]), "category": "other",
                         "matter": "电梯经常停运，请代表帮忙反映给物业公司和街道办事处。"}),
        "You have made several reservations in a short time.", unit="minutes")
    assert "电梯经常停运" in html
    raw = token(client, w.residents[0])
    api = client.post(f"/api/v1/studio-sessions/{sessions[2].id}/reservations",
                      json={"slot": slot(sessions[2]), "category": "other", "matter": "x"},
                      headers=auth(raw))
    assert api.status_code == 429
    response = bob.post(f"/studio-sessions/{sessions[2].id}/reserve",
                        data={"slot": slot(sessions[2]), "category": "other", "matter": "路灯"})
    assert response.status_code == 302
    assert count(Reservation) == 3


# --- objections -------------------------------------------------------------------------------

def test_objections_are_limited_per_user(app, login, monkeypatch):
    from consult.outcomes import service

    world = ow.build(monkeypatch)
    clock.set_frozen(ow.CLOSED)
    try:
        service.publish(world.people["secretary"], world.topic, "决定：加装扶手。", 7)
        db.session.commit()
        alice = as_user(app, login, world.people["r1"])
        bob = as_user(app, login, world.people["r2"])
        url = f"/topics/{world.topic.id}/objections"
        for text in ("扶手太窄", "颜色不好"):
            assert alice.post(url, data={"objection": text}).status_code == 302
        assert_too_many(alice.post(url, data={"objection": "还有一条"}),
                        "You have lodged several objections in a short time.", unit="minutes")
        assert bob.post(url, data={"objection": "我也反对"}).status_code == 302
        assert count(Objection) == 3
    finally:
        clock.set_frozen(None)


# --- registering and reset links, per address -------------------------------------------------

def register(client, phone: str, address: str):
    return client.post("/register", data={
        "name": "王小明", "phone": phone, "email": "", "password": PASSWORD, "confirm": PASSWORD,
        **factories.consent()},
        environ_base={"REMOTE_ADDR": address})


def test_registering_is_limited_per_address_and_never_echoes_the_password(app):
    for i in range(2):
        assert register(app.test_client(), f"1380000100{i}", "10.0.0.1").status_code == 302
    html = assert_too_many(register(app.test_client(), "13800001009", "10.0.0.1"),
                           "Several accounts were registered from this address",
                           unit="minutes")
    assert 'name="name" value="王小明"' in html and 'value="13800001009"' in html
    assert PASSWORD not in html
    assert register(app.test_client(), "13800001009", "10.0.0.2").status_code == 302
    assert count(RegistrationCode) == 3  # three codes sent; no account before a code returns
    assert count(User) == 0


def test_reset_links_are_limited_per_address(app, client):
    def ask(address):
        return client.post("/password/forgot", data={"identifier": "li@example.org"},
                           environ_base={"REMOTE_ADDR": address})

    assert [ask("10.0.0.1").status_code for _ in range(2)] == [200, 200]
    html = assert_too_many(ask("10.0.0.1"), "Several password reset links were asked for",
                           unit="minutes")
    assert 'value="li@example.org"' in html
    assert ask("10.0.0.2").status_code == 200


def test_reading_pages_is_not_limited(app, login, w):
    alice = as_user(app, login, w.residents[0])
    for _ in range(5):
        assert alice.get(f"/topics/{w.topic.id}").status_code == 200
        assert alice.get("/register").status_code == 302  # logged in: sent on, never 429
        assert alice.get("/password/forgot").status_code == 200


@pytest.mark.parametrize("app_config", [{**LIMITS, "COMMENT_RATE_LIMIT": "100 per minute",
                                         "API_TOKEN_RATE_LIMIT": "3 per minute"}])
def test_the_api_token_limit_still_applies_to_limited_writes(client, w, app_config):
    raw = token(client, w.residents[0])
    url = f"/api/v1/topics/{w.topic.id}/comments"
    answers = [client.post(url, json={"body": f"第{i}条"}, headers=auth(raw)).status_code
               for i in range(4)]
    assert answers == [201, 201, 201, 429]


def test_the_login_page_and_the_api_share_one_budget_of_password_attempts(app, client, w):
    """POST /api/v1/tokens once had a budget of its own, so an address got twice the
    documented attempts at guessing passwords."""
    app.config["LOGIN_RATE_LIMIT"] = "4 per 5 minutes"
    address = {"REMOTE_ADDR": "10.7.7.7"}
    wrong = {"identifier": "13700000000", "password": "not it"}
    for _ in range(2):
        assert client.post("/login", data=wrong, environ_base=address).status_code == 200
        assert client.post("/api/v1/tokens", json=wrong,
                           environ_base=address).status_code == 401
    # The budget of four is spent, whichever door is tried next.
    assert client.post("/login", data=wrong, environ_base=address).status_code == 429
    assert client.post("/api/v1/tokens", json=wrong, environ_base=address).status_code == 429
    # Another address has its own budget; reading the login page costs nothing.
    assert client.get("/login", environ_base=address).status_code == 200
    assert client.post("/login", data=wrong,
                       environ_base={"REMOTE_ADDR": "10.7.7.8"}).status_code == 200
