"""Registering, logging in and out, changing a password, rate limits and session safety."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from consult.accounts.models import User
from consult.audit.models import AuditEntry
from consult.extensions import db
from tests import factories
from tests.factories import PASSWORD


def users_count() -> int:
    return db.session.scalar(select(func.count(User.id)))


def register(client, **overrides):
    data = {"name": "王小明", "phone": "138 0013 8000", "email": "", "password": PASSWORD,
            "confirm": PASSWORD, **factories.consent()}
    data.update(overrides)
    return client.post("/register", data=data)


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize("overrides, message", [
    ({"phone": "", "email": ""}, "Give an e-mail address or a phone number"),
    ({"phone": "12345"}, "11-digit mobile number"),
    ({"phone": "", "email": "not-an-address"}, "not a valid e-mail address"),
    ({"password": "short", "confirm": "short"}, "at least 8 characters"),
    ({"confirm": "something else"}, "The two passwords differ"),
    ({"name": ""}, "Please enter your name"),
    ({"name": "长" * 51}, "At most 50 characters"),
])
def test_register_refuses_bad_input_and_keeps_what_was_typed(client, overrides, message):
    response = register(client, **overrides)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html
    name = overrides.get("name", "王小明")
    if name and len(name) <= 50:
        assert f'value="{name}"' in html  # the form keeps the name
    assert 'value="correct horse 42"' not in html  # never echo a password
    assert users_count() == 0


def test_login_with_phone_in_any_format_and_safe_next(client):
    factories.user("李四", phone="13912345678")
    db.session.commit()
    response = client.post("/login?next=/me/residency",
                           data={"identifier": "+86 139-1234-5678", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/me/residency"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil"])
def test_login_never_redirects_off_site(client, target):
    factories.user("李四", email="li@example.org")
    db.session.commit()
    response = client.post(f"/login?next={target}",
                           data={"identifier": "li@example.org", "password": PASSWORD})
    assert response.headers["Location"] == "/"


@pytest.mark.usefixtures("english")
def test_wrong_password_says_so_and_keeps_identifier(client):
    factories.user("李四", email="li@example.org")
    db.session.commit()
    response = client.post("/login", data={"identifier": "li@example.org", "password": "nope"})
    html = response.get_data(as_text=True)
    assert "is not right" in html
    assert 'value="li@example.org"' in html
    assert client.get("/me/residency").status_code == 302  # still logged out


@pytest.mark.usefixtures("english")
def test_roster_owner_without_password_cannot_log_in(client):
    factories.user("业主", email="owner@example.org", password=None)
    db.session.commit()
    response = client.post("/login", data={"identifier": "owner@example.org", "password": ""})
    assert "Enter your password" in response.get_data(as_text=True)


def test_logging_in_starts_a_new_session(client):
    """Nothing set in the session before login survives it: not a value planted by someone
    who got their cookie into this browser, not the CSRF secret they may know."""
    user = factories.user("李四", email="li@example.org")
    db.session.commit()
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
        session["csrf_token"] = "a secret someone else knows"
    before = client.get_cookie("session").value
    client.post("/login", data={"identifier": "li@example.org", "password": PASSWORD})
    assert client.get_cookie("session").value != before
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("csrf_token") != "a secret someone else knows"
        assert session["_user_id"] == f"{user.id}:{user.session_token}"


def test_logout_invalidates_a_copied_session_cookie(app, client):
    user = factories.user("李四", email="li@example.org")
    db.session.commit()
    client.post("/login", data={"identifier": "li@example.org", "password": PASSWORD})
    stolen = client.get_cookie("session").value
    client.post("/logout")
    other = app.test_client()
    other.set_cookie("session", stolen)
    assert other.get("/me/residency").status_code == 302  # the copy is worthless now
    db.session.refresh(user)


def test_password_change_logs_out_other_devices(app, client):
    factories.user("李四", email="li@example.org")
    db.session.commit()
    client.post("/login", data={"identifier": "li@example.org", "password": PASSWORD})
    laptop = app.test_client()
    laptop.post("/login", data={"identifier": "li@example.org", "password": PASSWORD})
    response = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "a new secret 7", "confirm": "a new secret 7"})
    assert response.status_code == 302
    assert client.get("/me/residency").status_code == 200  # this device stays in
    assert laptop.get("/me/residency").status_code == 302  # the other is out
    laptop.post("/login", data={"identifier": "li@example.org", "password": "a new secret 7"})
    assert laptop.get("/me/residency").status_code == 200


@pytest.mark.usefixtures("english")
def test_password_change_refuses_wrong_current_password(client, login):
    user = factories.user("李四")
    db.session.commit()
    login(user)
    response = client.post("/account/password", data={
        "current_password": "wrong", "new_password": "a new secret 7", "confirm": "a new secret 7"})
    assert "current password is not right" in response.get_data(as_text=True)


def test_password_page_needs_login(client):
    response = client.get("/account/password")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


class TestRateLimit:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per 5 minutes"}

    @pytest.mark.usefixtures("english")
    def test_login_is_rate_limited_and_says_why(self, client):
        factories.user("李四", email="li@example.org")
        db.session.commit()
        for _ in range(3):
            client.post("/login", data={"identifier": "li@example.org", "password": "x"})
        response = client.post("/login", data={"identifier": "li@example.org",
                                               "password": PASSWORD})
        html = response.get_data(as_text=True)
        assert response.status_code == 429
        assert "Too many login attempts" in html
        assert re.search(r"wait [56] minutes", html)  # the 5-minute window, rounded up
        assert 'value="li@example.org"' in html
        assert int(response.headers["Retry-After"]) > 0
        # Even the right password is refused while paused.
        assert client.get("/me/residency").status_code == 302


class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_post_without_token_is_refused_and_writes_nothing(self, client):
        response = register(client)
        assert response.status_code == 400
        assert users_count() == 0

    def test_expired_form_from_this_site_offers_to_send_again(self, client):
        response = client.post("/register", data={"name": "王小明", "password": PASSWORD},
                               headers={"Origin": "http://localhost"})
        html = response.get_data(as_text=True)
        assert response.status_code == 400
        assert 'name="name" value="王小明"' in html
        assert PASSWORD not in html

    def test_cross_site_post_is_not_offered_again(self, client):
        response = client.post("/register", data={"name": "王小明"},
                               headers={"Origin": "https://evil.example"})
        assert "王小明" not in response.get_data(as_text=True)


def test_security_headers_and_cookie_flags(client):
    factories.user("李四", email="li@example.org")
    db.session.commit()
    response = client.post("/login", data={"identifier": "li@example.org", "password": PASSWORD})
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_language_switch_sets_english(client):
    client.post("/preferences/language", data={"lang": "en", "next": "/login"})
    html = client.get("/login").get_data(as_text=True)
    assert 'lang="en"' in html
    assert "Log in" in html


def test_unknown_language_is_ignored(client):
    client.post("/preferences/language", data={"lang": "xx"})
    assert 'lang="zh-Hans"' in client.get("/").get_data(as_text=True)


def test_large_text_toggle(client):
    response = client.post("/preferences/text-size", data={"size": "large", "next": "/"})
    assert response.headers["Location"] == "/"
    assert 'class="large-text"' in client.get("/").get_data(as_text=True)
    client.post("/preferences/text-size", data={"size": "normal"})
    assert 'class="large-text"' not in client.get("/").get_data(as_text=True)
