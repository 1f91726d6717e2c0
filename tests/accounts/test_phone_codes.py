"""Six-digit codes by SMS: choosing a new password with a code (when an SMS provider is set up),
changing the phone number of an account, and the limits per phone number on registration codes.
Messages go to the log (``SMS_PROVIDER = "log"``, or no provider in development); the tests read
the codes there."""
from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from consult import clock, delivery
from consult.accounts import phonecodes, reset
from consult.accounts.models import PasswordReset, PhoneCode, RegistrationCode, User
from consult.accounts.passwords import check_password
from consult.audit.models import AuditEntry
from consult.extensions import db
from tests import factories, pages
from tests.factories import PASSWORD

pytestmark = pytest.mark.usefixtures("english")

T0 = datetime(2026, 12, 1, 2, 0)
NEW = "a brand new secret 9"
LI_PHONE = "13912345678"
FREE_PHONE = "13700137000"


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen(T0):
        yield


@pytest.fixture(autouse=True)
def logged(caplog):
    caplog.set_level(logging.WARNING)
    return caplog


@pytest.fixture
def app_config():
    return {"SMS_PROVIDER": "log"}


@pytest.fixture
def li(app):
    user = factories.user("李四", email="li@example.org", phone=LI_PHONE)
    db.session.commit()
    return user


def fresh(user) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def messages(caplog) -> list[tuple[str, str, str]]:
    """(purpose, to, text) of every message sent, oldest first."""
    found = []
    for record in caplog.records:
        text = record.getMessage()
        if text.startswith(delivery.LOG_PREFIX + " "):
            purpose, _sep, rest = text[len(delivery.LOG_PREFIX) + 1:].partition(" to ")
            to, _sep, body = rest.partition(": ")
            found.append((purpose, to, body))
    return found


def code_in(caplog, purpose: str) -> str:
    sent = [m for m in messages(caplog) if m[0] == purpose]
    assert sent, messages(caplog)
    return re.search(r"(?<!\d)(\d{6})(?!\d)", sent[-1][2]).group(1)


def wrong_for(right: str) -> str:
    return "000000" if right != "000000" else "111111"


def html(response) -> str:
    return response.get_data(as_text=True)


def audit(action: str) -> list[AuditEntry]:
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


# --- password reset by a code ------------------------------------------------------------------

def ask_code(client, phone: str = "139 1234 5678"):
    return client.post("/password/forgot", data={"identifier": phone})


def test_a_phone_number_gets_a_code_that_sets_the_new_password(app, client, li, caplog):
    li.locked_until = T0 + timedelta(minutes=10)
    token_before = li.session_token
    _user, raw_link = reset.request_link("li@example.org")  # an older link, to be voided
    db.session.commit()
    page = html(client.get("/password/forgot"))
    assert "6-digit code by SMS" in page
    response = ask_code(client)
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/password/code")
    (purpose, to, text), = messages(caplog)
    assert (purpose, to) == ("password reset code", LI_PHONE)
    assert "10 minutes" in text and len(text) <= 160
    assert not any(reset.LOG_PREFIX in r.getMessage() for r in caplog.records)  # no link
    page = html(client.get("/password/code"))
    assert "139****5678" in page and LI_PHONE not in page
    row = db.session.scalar(select(PhoneCode))
    code = code_in(caplog, "password reset code")
    assert row.code_hash != code and code not in row.code_hash  # stored as an HMAC only
    response = client.post("/password/code",
                           data={"code": code, "password": NEW, "confirm": NEW})
    assert response.status_code == 302
    user = fresh(li)
    assert check_password(user.password_hash, NEW)
    assert user.locked_until is None and user.session_token != token_before
    entry, = audit("account.password_reset")
    assert entry.details == {"code_id": row.id}
    assert db.session.scalar(select(PasswordReset.voided_at)) is not None
    assert "李四" in html(client.get("/me/residency"))  # logged in
    # Used: the code page is gone, and the code opens nothing again.
    assert client.get("/password/code").status_code == 302
    assert reset.find_link(raw_link).voided_at is not None


def test_a_used_code_cannot_be_used_again(app, client, li, caplog):
    ask_code(client)
    row = db.session.scalar(select(PhoneCode))
    code = code_in(caplog, "password reset code")
    client.post("/password/code", data={"code": code, "password": NEW, "confirm": NEW})
    db.session.expire_all()
    from consult.refusals import Refused

    with pytest.raises(Refused, match="already used"):
        reset.use_code(db.session.get(PhoneCode, row.id), code, "another new secret 1")
    db.session.rollback()
    assert check_password(fresh(li).password_hash, NEW)


def test_an_e_mail_keeps_the_link(app, client, li, caplog):
    response = client.post("/password/forgot", data={"identifier": "li@example.org"})
    assert response.status_code == 200 and "a link to choose a new password" in html(response)
    assert any(reset.LOG_PREFIX in r.getMessage() for r in caplog.records)
    assert messages(caplog) == [] and db.session.scalar(select(func.count(PhoneCode.id))) == 0


@pytest.mark.parametrize("app_config", [{}], indirect=False)
def test_without_an_sms_provider_a_phone_gets_the_link_as_before(app, client, li, caplog):
    assert not app.config.get("SMS_PROVIDER")
    assert "6-digit code" not in html(client.get("/password/forgot"))
    response = ask_code(client)
    assert response.status_code == 200 and "a link to choose a new password" in html(response)
    assert any(reset.LOG_PREFIX in r.getMessage() for r in caplog.records)
    assert db.session.scalar(select(func.count(PhoneCode.id))) == 0
    assert client.get("/password/code").status_code == 302


def test_an_unknown_number_gets_the_same_pages_and_no_code_opens_anything(app, client, li,
                                                                          caplog):
    known = app.test_client()
    known_answer = ask_code(known)
    known_page = html(known.get("/password/code"))
    code = code_in(caplog, "password reset code")
    caplog.clear()
    roster_owner = factories.user("王五", phone="13600136000", password=None)
    db.session.commit()
    for number, masked in ((FREE_PHONE, "137****7000"), (roster_owner.phone, "136****6000")):
        other = app.test_client()
        answer = ask_code(other, number)
        assert answer.status_code == known_answer.status_code == 302
        assert answer.headers["Location"] == known_answer.headers["Location"]
        page = html(other.get("/password/code"))
        assert pages.seen(page.replace(masked, "#")) == \
            pages.seen(known_page.replace("139****5678", "#"))
        assert messages(caplog) == []  # nothing is sent to a number no account logs in with
        for guess in ("000000", "123456", code):  # counted and told as wrong codes are
            refused = other.post("/password/code",
                                 data={"code": guess, "password": NEW, "confirm": NEW})
            assert refused.status_code == 200 and "The code is not right" in html(refused)
    assert fresh(roster_owner).password_hash is None
    attempts = db.session.scalars(select(PhoneCode.attempts).where(
        PhoneCode.user_id.is_(None))).all()
    assert attempts == [3, 3]


def test_five_wrong_codes_end_the_code(app, client, li, caplog):
    ask_code(client)
    right = code_in(caplog, "password reset code")
    form = {"code": wrong_for(right), "password": NEW, "confirm": NEW}
    for left in (4, 3, 2, 1):
        assert f"Tries left: {left}" in html(client.post("/password/code", data=form))
    assert "Too many wrong codes" in html(client.post("/password/code", data=form))
    assert db.session.scalar(select(PhoneCode.attempts)) == 5  # kept, though refused
    refused = client.post("/password/code", data={**form, "code": right})
    assert "Too many wrong codes" in html(refused)
    assert check_password(fresh(li).password_hash, PASSWORD)


def test_a_code_expires_after_ten_minutes(app, client, li, caplog):
    ask_code(client)
    code = code_in(caplog, "password reset code")
    with clock.frozen(T0 + phonecodes.LIFETIME):
        refused = client.post("/password/code",
                              data={"code": code, "password": NEW, "confirm": NEW})
        assert "The code has expired" in html(refused)
    with clock.frozen(T0 + phonecodes.LIFETIME - timedelta(seconds=1)):
        client.post("/password/code", data={"code": code, "password": NEW, "confirm": NEW})
    assert check_password(fresh(li).password_hash, NEW)


def test_a_newer_code_replaces_the_older(app, client, li, caplog):
    ask_code(client)
    old = code_in(caplog, "password reset code")
    ask_code(client)
    new = code_in(caplog, "password reset code")
    if old != new:
        refused = client.post("/password/code",
                              data={"code": old, "password": NEW, "confirm": NEW})
        assert "The code is not right" in html(refused)
    client.post("/password/code", data={"code": new, "password": NEW, "confirm": NEW})
    assert check_password(fresh(li).password_hash, NEW)


@pytest.mark.parametrize("number", [LI_PHONE, FREE_PHONE])
def test_five_codes_an_hour_to_one_number_whether_or_not_it_has_an_account(app, client, li,
                                                                           number):
    for _n in range(phonecodes.PER_HOUR):
        assert ask_code(client, number).status_code == 302
    refused = ask_code(client, number)
    assert refused.status_code == 200
    assert "Several codes were sent to this phone number in the last hour" in html(refused)
    assert db.session.scalar(select(func.count(PhoneCode.id))) == phonecodes.PER_HOUR
    with clock.frozen(T0 + timedelta(hours=1, seconds=1)):
        assert ask_code(client, number).status_code == 302


def test_ten_codes_a_day_to_one_number(app, client, li):
    for hour in range(2):
        with clock.frozen(T0 + timedelta(hours=hour, minutes=1)):
            for _n in range(phonecodes.PER_HOUR):
                assert ask_code(client).status_code == 302
    with clock.frozen(T0 + timedelta(hours=5)):
        refused = ask_code(client)
        assert "Several codes were sent to this phone number today" in html(refused)
    with clock.frozen(T0 + timedelta(days=1, minutes=2)):
        assert ask_code(client).status_code == 302


# --- changing the phone number -----------------------------------------------------------------

def ask_phone(client, phone: str = FREE_PHONE, password: str = PASSWORD):
    return client.post("/account/phone", data={"phone": phone, "password": password})


def test_the_phone_page_needs_a_login(client):
    assert client.get("/account/phone").status_code == 302
    assert client.post("/account/phone/confirm", data={"code": "123456"}).status_code == 302


def test_the_code_to_the_new_number_changes_it_and_the_old_number_is_told(app, client, li,
                                                                         login, caplog):
    login(li)
    assert "/account/phone" in html(client.get("/account/password"))
    page = html(client.get("/account/phone"))
    assert "139****5678" in page
    response = ask_phone(client, "137 0013 7000")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/account/phone/confirm")
    (purpose, to, text), = messages(caplog)
    assert (purpose, to) == ("phone change code", FREE_PHONE) and "10 minutes" in text
    assert fresh(li).phone == LI_PHONE  # not yet
    page = html(client.get("/account/phone/confirm"))
    assert "137****7000" in page and FREE_PHONE not in page
    response = client.post("/account/phone/confirm",
                           data={"code": code_in(caplog, "phone change code")})
    assert response.status_code == 302
    assert fresh(li).phone == FREE_PHONE
    entry, = audit("account.phone_change")
    assert entry.personal == {"old": "139****5678", "new": "137****7000"}
    purpose, to, text = messages(caplog)[-1]
    assert (purpose, to) == ("phone changed", LI_PHONE)
    assert "contact the community office" in text
    assert client.get("/account/phone/confirm").status_code == 302  # done
    assert reset.by_code(FREE_PHONE) == FREE_PHONE  # the account now logs in with it


def test_an_account_without_a_phone_gets_one_and_nobody_is_told(app, client, login, caplog):
    user = factories.user("赵六", email="zhao@example.org")
    db.session.commit()
    login(user)
    ask_phone(client)
    client.post("/account/phone/confirm", data={"code": code_in(caplog, "phone change code")})
    assert fresh(user).phone == FREE_PHONE
    assert [m[0] for m in messages(caplog)] == ["phone change code"]


@pytest.mark.parametrize("phone, password, expected", [
    (FREE_PHONE, "not my password", "The current password is not right"),
    ("12345", PASSWORD, "Enter an 11-digit mobile number"),
    (LI_PHONE, PASSWORD, "This is already the phone number of your account"),
    ("", PASSWORD, "Enter the new phone number"),
])
def test_what_is_wrong_is_said_next_to_the_field(app, client, li, login, caplog, phone,
                                                 password, expected):
    login(li)
    response = ask_phone(client, phone, password)
    assert response.status_code == 200 and expected in html(response)
    assert messages(caplog) == [] and db.session.scalar(select(func.count(PhoneCode.id))) == 0


def test_a_number_of_another_account_gets_the_same_answer_and_a_note(app, client, li, login,
                                                                     caplog):
    other = factories.user("张三", phone="13800138000")
    db.session.commit()
    free = app.test_client()
    login(li, free)
    free_answer = ask_phone(free)
    free_page = html(free.get("/account/phone/confirm"))
    caplog.clear()
    login(li)
    answer = ask_phone(client, "13800138000")
    assert answer.status_code == free_answer.status_code == 302
    assert answer.headers["Location"] == free_answer.headers["Location"]
    page = html(client.get("/account/phone/confirm"))
    assert pages.seen(page.replace("138****8000", "#")) == \
        pages.seen(free_page.replace("137****7000", "#"))
    (purpose, to, text), = messages(caplog)
    assert (purpose, to) == ("phone change refused", "13800138000")
    assert not re.search(r"(?<!\d)\d{6}(?!\d)", text)
    for guess in ("000000", "123456"):
        refused = client.post("/account/phone/confirm", data={"code": guess})
        assert "The code is not right" in html(refused)
    assert fresh(li).phone == LI_PHONE and fresh(other).phone == "13800138000"


def test_five_wrong_codes_end_the_change(app, client, li, login, caplog):
    login(li)
    ask_phone(client)
    right = code_in(caplog, "phone change code")
    for left in (4, 3, 2, 1):
        refused = client.post("/account/phone/confirm", data={"code": wrong_for(right)})
        assert f"Tries left: {left}" in html(refused)
    refused = client.post("/account/phone/confirm", data={"code": wrong_for(right)})
    assert "Too many wrong codes" in html(refused)
    refused = client.post("/account/phone/confirm", data={"code": right})
    assert "Too many wrong codes" in html(refused)
    assert fresh(li).phone == LI_PHONE


def test_the_change_code_expires_after_ten_minutes(app, client, li, login, caplog):
    login(li)
    ask_phone(client)
    code = code_in(caplog, "phone change code")
    with clock.frozen(T0 + timedelta(minutes=10)):
        assert "The code has expired" in html(
            client.post("/account/phone/confirm", data={"code": code}))
    assert fresh(li).phone == LI_PHONE


def test_codes_are_limited_per_number_and_per_account(app, client, li, login):
    login(li)
    numbers = [f"1370013700{n}" for n in range(phonecodes.PER_HOUR + 1)]
    for number in numbers[:-1]:
        assert ask_phone(client, number).status_code == 302
    refused = ask_phone(client, numbers[-1])  # a new number, but this account asked enough
    assert "Several codes were sent" in html(refused)
    someone = factories.user("钱七")
    db.session.commit()
    other = app.test_client()
    login(someone, other)
    with clock.frozen(T0 + timedelta(minutes=1)):
        for _n in range(phonecodes.PER_HOUR - 1):
            assert ask_phone(other, numbers[0]).status_code == 302
        # numbers[0] had one code from li and four from this account: five in the hour.
        assert "Several codes were sent" in html(ask_phone(other, numbers[0]))
        assert ask_phone(other, numbers[-1]).status_code == 302


@pytest.mark.parametrize("app_config", [{}, {"ENV_NAME": "production"}])
def test_without_an_sms_provider_the_page_still_works_and_says_where(app, client, li, login,
                                                                     caplog, app_config):
    login(li)
    assert ask_phone(client).status_code == 302
    page = html(client.get("/account/phone/confirm"))
    assert "137****7000" in page
    if app_config:  # production without a sender: nothing left, and the page says so
        assert "cannot send text messages or e-mail yet" in page
        assert any("NOT-SENT phone change code" in r.getMessage() for r in caplog.records)
        return
    assert "server&#39;s log" in page or "server's log" in page
    client.post("/account/phone/confirm", data={"code": code_in(caplog, "phone change code")})
    assert fresh(li).phone == FREE_PHONE


# --- registration codes: 10 minutes and limits per phone and address ----------------------------

REGISTER = {"name": "王小明", "phone": "138 0013 8000", "email": "", "password": PASSWORD,
            "confirm": PASSWORD, **factories.consent()}


def test_the_registration_code_lives_ten_minutes(client, caplog):
    client.post("/register", data=REGISTER)
    (_purpose, _to, text), = messages(caplog)
    assert "10 minutes" in text
    assert "within 10 minutes" in html(client.get("/register/confirm"))
    row = db.session.scalar(select(RegistrationCode))
    assert row.expires_at - row.created_at == timedelta(minutes=10)


@pytest.mark.parametrize("taken", [False, True])
def test_five_registration_codes_an_hour_to_one_phone_the_same_whether_taken(app, client,
                                                                             taken):
    if taken:
        factories.user("张三", phone="13800138000")
        db.session.commit()
    for n in range(5):
        fresh_client = app.test_client()
        assert fresh_client.post("/register", data=REGISTER).status_code == 302
    refused = client.post("/register", data=REGISTER)
    assert refused.status_code == 200
    page = html(refused)
    assert "Several codes were sent to this phone number or e-mail address in the last hour" \
        in page
    assert "account" not in page.split("Several codes")[1].split("</p>")[0]
    with clock.frozen(T0 + timedelta(hours=1, seconds=1)):
        assert client.post("/register", data=REGISTER).status_code == 302


def test_resends_count_towards_the_limit(app, client):
    client.post("/register", data=REGISTER)
    client.post("/register/resend")
    client.post("/register/resend")
    app.test_client().post("/register", data=REGISTER)
    other = app.test_client()
    other.post("/register", data=REGISTER)  # 3 + 1 + 1 = five codes to the phone
    assert "Several codes were sent" in html(other.post("/register/resend",
                                                        follow_redirects=True))


def test_ten_registration_codes_a_day_to_one_e_mail_address(app):
    form = {**REGISTER, "phone": "", "email": "wang@example.org"}
    for hour in range(2):
        with clock.frozen(T0 + timedelta(hours=hour, minutes=1)):
            for _n in range(5):
                assert app.test_client().post("/register", data=form).status_code == 302
    with clock.frozen(T0 + timedelta(hours=3)):
        refused = app.test_client().post("/register", data=form)
        assert "today" in html(refused) and refused.status_code == 200
        # Another address is not held back.
        other = {**form, "email": "other@example.org"}
        assert app.test_client().post("/register", data=other).status_code == 302


# --- the forms need their CSRF token ----------------------------------------------------------

class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True, "SMS_PROVIDER": "log"}

    @staticmethod
    def token(page: str) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def test_the_reset_code_form(self, client, li, caplog):
        assert ask_code(client).status_code == 400
        token = self.token(html(client.get("/password/forgot")))
        response = client.post("/password/forgot",
                               data={"identifier": LI_PHONE, "csrf_token": token})
        assert response.status_code == 302
        code = code_in(caplog, "password reset code")
        form = {"code": code, "password": NEW, "confirm": NEW}
        assert client.post("/password/code", data=form).status_code == 400
        token = self.token(html(client.get("/password/code")))
        assert client.post("/password/code",
                           data={**form, "csrf_token": token}).status_code == 302
        assert check_password(fresh(li).password_hash, NEW)

    def test_the_phone_forms(self, client, li, login, caplog):
        login(li)
        assert ask_phone(client).status_code == 400
        token = self.token(html(client.get("/account/phone")))
        response = client.post("/account/phone", data={"phone": FREE_PHONE,
                                                       "password": PASSWORD,
                                                       "csrf_token": token})
        assert response.status_code == 302
        code = code_in(caplog, "phone change code")
        assert client.post("/account/phone/confirm", data={"code": code}).status_code == 400
        token = self.token(html(client.get("/account/phone/confirm")))
        assert client.post("/account/phone/confirm",
                           data={"code": code, "csrf_token": token}).status_code == 302
        assert fresh(li).phone == FREE_PHONE
