"""Registering with a code sent to the phone (or e-mail address): the account exists only once
the code comes back, and the answer never tells whether a phone or address is taken (it once
said "an account with this phone number already exists" and "this is on the roster of
owners"). Messages go to the log until a sender is set up; the tests read them there."""
from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consult import clock, delivery
from consult.accounts import signup
from consult.accounts.models import RegistrationCode, User
from consult.audit.models import AuditEntry
from consult.extensions import db
from tests import factories, pages
from tests.factories import PASSWORD

pytestmark = pytest.mark.usefixtures("english")

FORM = {"name": "王小明", "phone": "138 0013 8000", "email": "", "password": PASSWORD,
        "confirm": PASSWORD, **factories.consent()}


def users() -> int:
    return db.session.scalar(select(func.count(User.id)))


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


def code_in(caplog) -> str:
    purpose, _to, text = messages(caplog)[-1]
    assert purpose == "registration code", messages(caplog)
    return re.search(r"(?<!\d)(\d{6})(?!\d)", text).group(1)


@pytest.fixture(autouse=True)
def logged(caplog):
    caplog.set_level(logging.WARNING)
    return caplog


def test_the_code_sent_to_the_phone_makes_the_account_and_logs_in(client, caplog):
    response = client.post("/register", data=FORM)
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/register/confirm")
    assert users() == 0  # nothing yet: the phone is not proven
    page = client.get("/register/confirm").get_data(as_text=True)
    assert "138****8000" in page and "13800138000" not in page
    assert "server&#39;s log" in page or "server's log" in page  # development says where
    (purpose, to, text), = messages(caplog)
    assert (purpose, to) == ("registration code", "13800138000")
    assert len(text) <= 160  # one SMS segment in English (GSM letters)
    response = client.post("/register/confirm", data={"code": code_in(caplog)})
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/me/residency")
    user = db.session.scalar(select(User))
    assert (user.name, user.phone) == ("王小明", "13800138000")
    assert user.password_hash.startswith("$argon2id$")
    assert db.session.scalar(select(AuditEntry.action)) == "account.register"
    assert "王小明" in client.get("/me/residency").get_data(as_text=True)  # logged in
    # The code is spent: the session forgot the registration, the row is used.
    assert client.get("/register/confirm").status_code == 302


def test_the_chinese_code_message_fits_one_sms_segment(client, caplog):
    client.set_cookie("lang", "zh_Hans")
    client.post("/register", data=FORM)
    (_purpose, _to, text), = messages(caplog)
    assert len(text) <= 70 and "验证码" in text  # 70 Chinese characters make one segment



def test_the_register_form_asks_for_a_persons_name_in_chinese(client):
    """'Name' is the registrant's own name (姓名), not the name of a thing (名称)."""
    client.set_cookie("lang", "zh_Hans")
    html = client.get("/register").get_data(as_text=True)
    assert '<label for="name">姓名</label>' in html

def test_an_e_mail_only_registration_gets_its_code_by_e_mail(client, caplog):
    client.post("/register", data={**FORM, "phone": "", "email": "Li@Example.org"})
    (purpose, to, _text), = messages(caplog)
    assert (purpose, to) == ("registration code", "li@example.org")
    assert "l***@example.org" in client.get("/register/confirm").get_data(as_text=True)
    client.post("/register/confirm", data={"code": code_in(caplog)})
    assert users() == 1


@pytest.mark.parametrize("taken", ["account", "roster owner"])
def test_a_taken_phone_gets_the_same_answer_and_its_owner_is_told(client, caplog, taken):
    """Whether the number belongs to an account, a roster owner or nobody, the registrant sees
    the same pages; the owner's phone gets a note instead of a code, and no code opens it."""
    fresh = client.application.test_client()
    free_answer = fresh.post("/register", data={**FORM, "phone": "13900139000"})
    free_page = fresh.get("/register/confirm")
    factories.user("张三", phone="13800138000",
                   password=None if taken == "roster owner" else PASSWORD)
    db.session.commit()
    caplog.clear()
    answer = client.post("/register", data=FORM)
    page = client.get("/register/confirm")
    assert answer.status_code == free_answer.status_code == 302
    assert answer.headers["Location"] == free_answer.headers["Location"]
    assert pages.seen(page.get_data(as_text=True).replace("138****8000", "#")) == \
        pages.seen(free_page.get_data(as_text=True).replace("139****9000", "#"))
    (purpose, to, text), = messages(caplog)
    assert (purpose, to) == ("registration refused", "13800138000")
    assert ("activation letter" if taken == "roster owner" else "Forgot password") in text
    assert not re.search(r"(?<!\d)\d{6}(?!\d)", text)
    for guess in ("000000", "123456"):  # wrong codes, told the same way as for a free number
        refused = client.post("/register/confirm", data={"code": guess})
        assert "The code is not right" in refused.get_data(as_text=True)
    assert users() == 1


def test_a_taken_e_mail_beside_a_free_phone_tells_both(client, caplog):
    factories.user("张三", email="zhang@example.org")
    db.session.commit()
    client.post("/register", data={**FORM, "email": "zhang@example.org"})
    sent = {to: text for _purpose, to, text in messages(caplog)}
    assert "belongs to another account" in sent["13800138000"]
    assert "Forgot password" in sent["zhang@example.org"]
    assert users() == 1


def test_wrong_codes_count_and_five_end_the_registration(client, caplog):
    client.post("/register", data=FORM)
    right = code_in(caplog)
    wrong = "000000" if right != "000000" else "111111"
    for left in (4, 3, 2, 1):
        html = client.post("/register/confirm", data={"code": wrong}).get_data(as_text=True)
        assert f"Tries left: {left}" in html
    html = client.post("/register/confirm", data={"code": wrong}).get_data(as_text=True)
    assert "Too many wrong codes" in html
    assert db.session.scalar(select(RegistrationCode.attempts)) == 5  # kept, though refused
    html = client.post("/register/confirm", data={"code": right}).get_data(as_text=True)
    assert "Too many wrong codes" in html and users() == 0


def test_a_code_expires_and_a_new_one_replaces_it(client, caplog):
    start = clock.utcnow()
    with clock.frozen(start):
        client.post("/register", data=FORM)
    old = code_in(caplog)
    with clock.frozen(start + signup.LIFETIME + timedelta(seconds=1)):
        html = client.post("/register/confirm", data={"code": old}).get_data(as_text=True)
        assert "The code has expired" in html
        assert client.post("/register/resend").status_code == 302
        new = code_in(caplog)
        if new != old:
            html = client.post("/register/confirm", data={"code": old}).get_data(as_text=True)
            assert "The code is not right" in html
        client.post("/register/confirm", data={"code": f" {new[:3]} {new[3:]} "})
    assert users() == 1


def test_full_width_digits_are_read_as_digits(client, caplog):
    client.post("/register", data=FORM)
    code = code_in(caplog).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    client.post("/register/confirm", data={"code": code})
    assert users() == 1


def test_no_more_than_three_codes_are_sent(client, caplog):
    client.post("/register", data=FORM)
    client.post("/register/resend")
    client.post("/register/resend")
    response = client.post("/register/resend", follow_redirects=True)
    assert "No more codes can be sent" in response.get_data(as_text=True)
    assert len(messages(caplog)) == 3


def test_the_code_page_without_a_registration_sends_back(client):
    response = client.get("/register/confirm")
    assert response.status_code == 302 and response.headers["Location"].endswith("/register")
    assert client.post("/register/resend").status_code == 302


def test_production_says_nothing_was_sent_and_logs_no_code(app, client, caplog):
    app.config["ENV_NAME"] = "production"
    client.post("/register", data=FORM)
    assert messages(caplog) == []
    assert any("NOT-SENT registration code" in r.getMessage() for r in caplog.records)
    page = client.get("/register/confirm").get_data(as_text=True)
    assert "server's log" not in page and "server&#39;s log" not in page
    assert "cannot send text messages or e-mail yet" in page


@pytest.mark.parametrize("code", ["9" * 20, "x" * 1_000_000, "１２３４５６７８９０１２３４５６７８９０１", "-1"])
def test_a_code_no_code_can_be_is_refused_with_a_message_and_counts(client, caplog, code):
    """Twenty digits, a megabyte of text: refused next to the field, nothing made, the
    registration still waiting for its real code."""
    client.post("/register", data=FORM)
    right = code_in(caplog)
    response = client.post("/register/confirm", data={"code": code})
    assert response.status_code == 200 and users() == 0
    html = response.get_data(as_text=True)
    assert "At most 20 characters" in html or "The code is not right" in html
    client.post("/register/confirm", data={"code": right})
    assert users() == 1


def test_a_nul_in_the_code_is_refused_before_the_form(client, caplog):
    client.post("/register", data=FORM)
    response = client.post("/register/confirm", data={"code": "12\x003456"})
    assert response.status_code == 400 and "cannot be stored" in response.get_data(as_text=True)
    assert users() == 0
