"""Password reset by a one-time link (找回密码): the rules without HTTP, the pages, the link in
the development log, and two uses of one link at the same moment."""
from __future__ import annotations

import hashlib
import logging
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from consult import clock
from consult.accounts import reset
from consult.accounts.models import PasswordReset, User
from consult.accounts.passwords import check_password
from consult.accounts.service import change_password
from consult.audit.models import AuditEntry
from consult.extensions import db
from tests import factories, pages
from tests.conftest import ON_POSTGRES
from tests.factories import PASSWORD

pytestmark = pytest.mark.usefixtures("english")

T0 = datetime(2026, 12, 1, 2, 0)
NEW = "a brand new secret 9"


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen(T0):
        yield


@pytest.fixture
def li(app):
    user = factories.user("李四", email="li@example.org", phone="13912345678")
    db.session.commit()
    return user


def fresh(user) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def issue(identifier: str = "li@example.org") -> str:
    _user, raw = reset.request_link(identifier)
    db.session.commit()
    return raw


def refusal_of(raw: str, password: str = NEW) -> str:
    with pytest.raises(reset.ResetRefused) as caught:
        reset.use_link(raw, password)
    db.session.rollback()
    return caught.value.message


# --- the rules --------------------------------------------------------------------------------

def test_a_link_is_stored_as_a_hash_and_expires_in_an_hour(li):
    raw = issue("+86 139 1234 5678")  # the phone, spelled any way
    link = db.session.scalar(select(PasswordReset))
    assert link.user_id == li.id
    assert link.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert len(raw) >= 43  # 32 random bytes
    stored = " ".join(str(v) for v in db.session.execute(
        select(PasswordReset.__table__)).one())
    assert raw not in stored
    assert link.expires_at == T0 + timedelta(hours=1)


def test_no_link_for_an_unknown_identifier_or_a_roster_owner_without_password(app):
    factories.user("业主", phone="13600000000", password=None)
    db.session.commit()
    assert reset.request_link("nobody@example.org") is None
    assert reset.request_link("13600000000") is None
    assert db.session.scalar(select(func.count(PasswordReset.id))) == 0


def test_using_a_link_sets_the_password_logs_out_everywhere_and_works_once(li):
    old_token = li.session_token
    raw = issue()
    user = reset.use_link(raw, NEW)
    db.session.commit()
    user = fresh(li)
    assert check_password(user.password_hash, NEW)
    assert not check_password(user.password_hash, PASSWORD)
    assert user.session_token != old_token
    assert db.session.scalar(select(PasswordReset.used_at)) == T0
    assert "already used" in refusal_of(raw, "another secret 10")
    assert check_password(fresh(li).password_hash, NEW)
    assert db.session.scalars(select(AuditEntry.action)).all() == [
        "account.password_reset_request", "account.password_reset"]


def test_a_link_expires(li):
    raw = issue()
    with clock.frozen(T0 + timedelta(minutes=59)):
        reset.check_link(raw)  # still good
    with clock.frozen(T0 + timedelta(minutes=60)):
        assert "expired" in refusal_of(raw)
    assert check_password(fresh(li).password_hash, PASSWORD)


def test_a_newer_link_voids_the_older_one(li):
    first = issue()
    second = issue()
    assert "newer link was sent" in refusal_of(first)
    reset.use_link(second, NEW)
    db.session.commit()
    assert check_password(fresh(li).password_hash, NEW)


def test_changing_the_password_another_way_voids_the_link(li):
    raw = issue()
    change_password(li, PASSWORD, "changed on the phone 1")
    db.session.commit()
    assert "password was changed since" in refusal_of(raw)
    assert check_password(fresh(li).password_hash, "changed on the phone 1")


def test_a_short_password_is_refused_and_the_link_still_works(li):
    raw = issue()
    assert "at least 8 characters" in refusal_of(raw, "short")
    reset.use_link(raw, NEW)
    db.session.commit()
    assert check_password(fresh(li).password_hash, NEW)


def test_an_unknown_token_is_refused(li):
    issue()
    with pytest.raises(reset.ResetRefused) as caught:
        reset.check_link("made-up-token")
    assert caught.value.status == 404 and "not valid" in caught.value.message


def test_a_new_password_ends_a_login_lock(li):
    from consult.accounts.lockout import LoginRefused
    from consult.accounts.service import authenticate

    for _ in range(5):
        with pytest.raises(LoginRefused):
            authenticate("li@example.org", "wrong")
        db.session.commit()
    assert fresh(li).locked_until is not None
    reset.use_link(issue(), NEW)
    db.session.commit()
    assert authenticate("li@example.org", NEW).id == li.id


# --- the pages --------------------------------------------------------------------------------

def link_from_log(caplog) -> str:
    lines = [r.getMessage() for r in caplog.records if reset.LOG_PREFIX in r.getMessage()]
    assert len(lines) == 1, lines
    return re.search(r"https?://\S+", lines[0]).group(0)


def test_the_login_page_offers_a_reset(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'href="/password/forgot"' in html and "Forgot your password?" in html


def test_the_forgot_page_answers_the_same_whether_or_not_there_is_an_account(client, li,
                                                                             caplog):
    form = client.get("/password/forgot").get_data(as_text=True)
    assert '<label for="identifier">Phone or e-mail</label>' in form
    caplog.set_level(logging.INFO)
    known = client.post("/password/forgot", data={"identifier": "li@example.org"})
    assert len([r for r in caplog.records if reset.LOG_PREFIX in r.getMessage()]) == 1
    unknown = client.post("/password/forgot", data={"identifier": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    known_page, unknown_page = known.get_data(as_text=True), unknown.get_data(as_text=True)
    # Only the per-request CSRF token may differ (it carries the second it was made in).
    assert pages.seen(known_page) == pages.seen(unknown_page)
    assert pages.masked(known_page) == pages.masked(unknown_page)
    assert "If an account has this phone number or e-mail address" in known.get_data(
        as_text=True)
    # Nothing was logged for the unknown address.
    assert len([r for r in caplog.records if reset.LOG_PREFIX in r.getMessage()]) == 1


def test_the_link_in_the_development_log_resets_the_password(app, client, li, caplog):
    laptop = app.test_client()
    laptop.post("/login", data={"identifier": "li@example.org", "password": PASSWORD})
    assert laptop.get("/me/residency").status_code == 200
    caplog.set_level(logging.WARNING)
    client.post("/password/forgot", data={"identifier": "13912345678"})
    url = link_from_log(caplog)
    assert url.startswith("http://127.0.0.1:5000/password/reset/")  # PUBLIC_URL in development
    record = next(r for r in caplog.records if reset.LOG_PREFIX in r.getMessage())
    assert record.levelno == logging.WARNING
    path = url.removeprefix("http://127.0.0.1:5000")

    page = client.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "李四" in html
    assert '<label for="password">New password</label>' in html
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"

    mismatch = client.post(path, data={"password": NEW, "confirm": "something else"})
    html = mismatch.get_data(as_text=True)
    assert "The two passwords differ" in html
    assert 'aria-describedby="confirm-error"' in html and 'id="confirm-error"' in html
    assert NEW not in html  # a password is never echoed

    done = client.post(path, data={"password": NEW, "confirm": NEW})
    assert done.status_code == 302
    assert "Your new password is saved" in client.get(done.headers["Location"]).get_data(
        as_text=True)
    assert client.get("/me/residency").status_code == 200  # logged in with a fresh session
    assert laptop.get("/me/residency").status_code == 302  # the other device is out
    assert laptop.post("/login", data={"identifier": "li@example.org",
                                       "password": PASSWORD}).status_code == 200  # old: no
    assert laptop.post("/login", data={"identifier": "li@example.org",
                                       "password": NEW}).status_code == 302

    again = client.get(path)
    html = again.get_data(as_text=True)
    assert again.status_code == 410
    assert "This link cannot be used" in html and "already used" in html
    assert 'href="/password/forgot"' in html
    assert client.post(path, data={"password": "third secret 11",
                                   "confirm": "third secret 11"}).status_code == 410
    assert check_password(fresh(li).password_hash, NEW)


def test_a_made_up_or_expired_link_gets_a_clear_page(client, li):
    missing = client.get("/password/reset/" + "x" * 43)
    assert missing.status_code == 404 and "not valid" in missing.get_data(as_text=True)
    raw = issue()
    with clock.frozen(T0 + timedelta(hours=2)):
        expired = client.get(f"/password/reset/{raw}")
    assert expired.status_code == 410
    assert "expired: links work for 60 minutes" in expired.get_data(as_text=True)


def test_a_session_from_before_the_reset_is_logged_out(app, client, login, li):
    login(li)
    raw = issue()
    other = app.test_client()
    other.post(f"/password/reset/{raw}", data={"password": NEW, "confirm": NEW})
    assert client.get("/me/residency").status_code == 302


class TestLifetimeFromConfig:
    @pytest.fixture
    def app_config(self):
        return {"PASSWORD_RESET_MINUTES": 15}

    def test_the_lifetime_comes_from_the_configuration(self, client, li):
        html = client.post("/password/forgot", data={"identifier": "li@example.org"}) \
            .get_data(as_text=True)
        assert "within 15 minutes" in html
        assert db.session.scalar(select(PasswordReset.expires_at)) == T0 + timedelta(minutes=15)


class TestProduction:
    @pytest.fixture
    def app_config(self):
        return {"ENV_NAME": "production"}

    def test_production_never_writes_a_live_link_to_the_log(self, client, li, caplog):
        caplog.set_level(logging.INFO)
        client.post("/password/forgot", data={"identifier": "li@example.org"})
        logged = " ".join(r.getMessage() for r in caplog.records)
        assert "no SMS or e-mail sender" in logged
        assert "/password/reset/" not in logged


class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_the_forms_need_their_token(self, client, li):
        assert client.post("/password/forgot",
                           data={"identifier": "li@example.org"}).status_code == 400
        raw = issue()
        assert client.post(f"/password/reset/{raw}",
                           data={"password": NEW, "confirm": NEW}).status_code == 400
        assert check_password(fresh(li).password_hash, PASSWORD)


# --- two uses at the same moment --------------------------------------------------------------

@pytest.mark.postgres_only
@pytest.mark.skipif(not ON_POSTGRES, reason="races are tested on PostgreSQL")
class TestRace:
    @pytest.fixture
    def app_config(self):
        return {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 10, "max_overflow": 2}}

    @pytest.fixture(autouse=True)
    def frozen_clock(self):
        clock.set_frozen(T0)  # module-wide, so the threads see it too
        yield
        clock.set_frozen(None)

    def test_two_uses_of_one_link_at_once_let_only_one_win(self, app, li):
        from tests.races import race

        for round_ in range(3):  # a few rounds, so both orders of arrival get tried
            raw = issue()
            passwords = [f"racer {round_} number {i}" for i in range(2)]

            def use(i):
                reset.use_link(raw, passwords[i])
                return i

            results = race(app, 2, use, reset.ResetRefused)
            won = [r for r in results if isinstance(r, int)]
            lost = [r for r in results if not isinstance(r, int)]
            assert len(won) == 1, results
            assert len(lost) == 1 and "already used" in lost[0], results
            assert check_password(fresh(li).password_hash, passwords[won[0]])
            assert db.session.scalar(select(func.count(AuditEntry.id)).where(
                AuditEntry.action == "account.password_reset")) == round_ + 1


@pytest.mark.parametrize("proxy_fix", [False, True])
def test_a_reset_link_never_takes_its_host_from_the_request(app, client, li, caplog,
                                                          proxy_fix):
    """Host: evil.example (or X-Forwarded-Host behind the proxy) once made the link point there:
    whoever controls that host would receive the reset token when the owner clicked it."""
    app.config["PUBLIC_URL"] = "https://consult.example.org"
    if proxy_fix:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    caplog.set_level(logging.WARNING)
    client.post("/password/forgot", data={"identifier": "13912345678"},
                headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example",
                         "X-Forwarded-Proto": "http"})
    url = link_from_log(caplog)
    assert url.startswith("https://consult.example.org/password/reset/")
    assert "evil" not in url
