"""Agreeing to the privacy notice: on registration and activation (a box not ticked beforehand),
and once more when a new version is published, on the web and in the API."""
from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import func, select

from consult.accounts.models import RegistrationCode, Role, User
from consult.accounts.passwords import check_password
from consult.activation import service as activation
from consult.extensions import db
from consult.privacy.models import PrivacyConsent
from tests import factories
from tests.factories import PASSWORD
from tests.privacy.conftest import FIRST, NEW

pytestmark = pytest.mark.usefixtures("english")

REGISTRATION = {"name": "王小明", "phone": "138 0013 8000", "email": "", "password": PASSWORD,
                "confirm": PASSWORD}
NEW_PASSWORD = "my new secret 7"


def stale(*args, **kwargs) -> User:
    """An account that agreed to the first version, before ``NEW`` was published."""
    user = factories.user(*args, **kwargs)
    user.privacy_version = FIRST
    return user


def text(response) -> str:
    return response.get_data(as_text=True)


def consents(user_id: int | None = None) -> list[tuple[int, str, str]]:
    query = select(PrivacyConsent.user_id, PrivacyConsent.version, PrivacyConsent.channel)
    if user_id is not None:
        query = query.where(PrivacyConsent.user_id == user_id)
    return [tuple(r) for r in db.session.execute(query.order_by(PrivacyConsent.id))]


def sent_code(caplog) -> str:
    sent = [r.getMessage() for r in caplog.records if "registration code" in r.getMessage()]
    return re.search(r"(?<!\d)(\d{6})(?!\d)", sent[-1]).group(1)


# --- registration -------------------------------------------------------------------------------

def test_the_registration_box_is_not_ticked_beforehand(client):
    page = text(client.get("/register"))
    box = re.search(r'<input[^>]*name="privacy"[^>]*>', page).group(0)
    assert 'type="checkbox"' in box and "checked" not in box
    assert f'name="privacy_version" type="hidden" value="{FIRST}"' in page
    assert 'href="/privacy"' in page.split("<main", 1)[1].split("</main>", 1)[0]


def test_registering_without_agreeing_is_refused_and_keeps_what_was_typed(client, caplog):
    caplog.set_level(logging.WARNING)
    response = client.post("/register", data={**REGISTRATION, "privacy_version": FIRST})
    assert response.status_code == 200
    page = text(response)
    assert "tick the box to agree" in page
    assert 'value="王小明"' in page and 'value="138 0013 8000"' in page
    assert db.session.scalar(select(func.count(RegistrationCode.id))) == 0
    assert not [r for r in caplog.records if "registration code" in r.getMessage()]


def test_agreeing_on_registration_is_recorded_with_the_account(client, caplog):
    caplog.set_level(logging.WARNING)
    response = client.post("/register", data={**REGISTRATION, **factories.consent()})
    assert response.status_code == 302
    row = db.session.scalar(select(RegistrationCode))
    assert row.privacy_version == FIRST
    client.post("/register/confirm", data={"code": sent_code(caplog)})
    user = db.session.scalar(select(User))
    assert user.privacy_version == FIRST
    (consent,) = db.session.scalars(select(PrivacyConsent)).all()
    assert (consent.user_id, consent.version, consent.channel) == (user.id, FIRST, "register")
    assert consent.agreed_at == row.created_at  # when the box was ticked
    assert "privacy-banner" not in text(client.get("/"))


def test_a_box_ticked_for_an_older_version_is_refused(client, new_version):
    response = client.post("/register", data={**REGISTRATION, "privacy": "y",
                                              "privacy_version": FIRST})
    page = text(response)
    assert response.status_code == 200
    assert f"version {NEW}" in page and "/privacy" in page
    box = re.search(r'<input[^>]*name="privacy"[^>]*>', page).group(0)
    assert "checked" not in box  # to be ticked again, for the version in force
    assert f'value="{NEW}"' in page and 'value="王小明"' in page
    assert db.session.scalar(select(func.count(RegistrationCode.id))) == 0


# --- activation ---------------------------------------------------------------------------------

@pytest.fixture
def letter(app):
    """A roster owner without an account and the code of their letter."""
    community = factories.community()
    owner = User(name="花名册业主", phone="13900000001", password_hash=None)
    db.session.add(owner)
    db.session.flush()
    factories.owner(owner, factories.units_of(community)[0])
    secretary = factories.office_holder(community, Role.SECRETARY, "秘书")
    issued = activation.issue(secretary, activation.scope_of(community, "community"),
                              activation.LETTER)
    db.session.commit()
    return owner, issued.letters[0].code


def test_activating_without_agreeing_is_refused_and_the_code_stays_good(client, letter):
    owner, code = letter
    form = {"identifier": owner.phone, "code": code, "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD, "privacy_version": FIRST}
    response = client.post("/activate", data=form)
    assert response.status_code == 200
    page = text(response)
    assert "tick the box to agree" in page and f'value="{code}"' in page
    db.session.expire_all()
    assert db.session.get(User, owner.id).password_hash is None
    # Ticked, the same code opens the account and the agreement is recorded.
    response = client.post("/activate", data={**form, "privacy": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, owner.id)
    assert check_password(user.password_hash, NEW_PASSWORD) and user.privacy_version == FIRST
    assert consents(owner.id) == [(owner.id, FIRST, "activate")]


def test_the_activation_box_is_not_ticked_beforehand(client, letter):
    page = text(client.get(f"/activate/{letter[1]}"))
    box = re.search(r'<input[^>]*name="privacy"[^>]*>', page).group(0)
    assert "checked" not in box


def test_the_api_activation_needs_the_version_in_force(client, letter):
    owner, code = letter
    body = {"identifier": owner.phone, "code": code, "password": NEW_PASSWORD}
    missing = client.post("/api/v1/activations", json=body)
    assert missing.status_code == 422 and missing.get_json()["field"] == "privacy_version"
    wrong = client.post("/api/v1/activations", json={**body, "privacy_version": "2020-01-01"})
    problem = wrong.get_json()
    assert wrong.status_code == 422 and problem["field"] == "privacy_version"
    assert FIRST in problem["detail"] and "/privacy" in problem["detail"]
    db.session.expire_all()
    assert db.session.get(User, owner.id).password_hash is None
    done = client.post("/api/v1/activations", json={**body, "privacy_version": FIRST})
    assert done.status_code == 201
    assert consents(owner.id) == [(owner.id, FIRST, "activate")]


# --- a new version, on the web ------------------------------------------------------------------

def _password_change(client):
    return client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        headers={"Referer": "http://localhost/account/password"})


def test_a_new_version_is_asked_for_before_a_write_once(client, login, new_version):
    user = stale(phone="13800000009")
    db.session.commit()
    login(user)
    home = text(client.get("/"))
    assert "privacy-banner" in home and f"({NEW})" in home
    response = _password_change(client)
    assert response.status_code == 303
    assert response.headers["Location"] == "/privacy/agree?next=/account/password"
    db.session.expire_all()
    assert check_password(db.session.get(User, user.id).password_hash, PASSWORD)  # not saved
    page = text(client.get(response.headers["Location"]))
    assert "what you just sent was not saved" in page
    assert "Ratings are now kept for two years." in page  # what changed since FIRST
    assert "privacy-banner" not in page
    agreed = client.post("/privacy/agree?next=/account/password",
                         data={"privacy_version": NEW})
    assert agreed.status_code == 303 and agreed.headers["Location"] == "/account/password"
    db.session.expire_all()
    assert db.session.get(User, user.id).privacy_version == NEW
    assert consents(user.id) == [(user.id, NEW, "web")]
    assert "privacy-banner" not in text(client.get("/"))
    # Asked once: the write goes through now, and agreeing again adds nothing.
    assert _password_change(client).status_code in (200, 302)
    db.session.expire_all()
    assert check_password(db.session.get(User, user.id).password_hash, NEW_PASSWORD)
    client.post("/privacy/agree", data={"privacy_version": NEW})
    assert len(consents(user.id)) == 1


def test_agreeing_to_an_older_version_than_the_one_in_force_is_refused(client, login,
                                                                      new_version):
    user = stale()
    db.session.commit()
    login(user)
    response = client.post("/privacy/agree", data={"privacy_version": FIRST})
    assert response.status_code == 200 and f"version {NEW}" in text(response)
    db.session.expire_all()
    assert db.session.get(User, user.id).privacy_version == FIRST and consents() == []


def test_logging_out_needs_no_agreement(client, login, new_version):
    user = stale()
    db.session.commit()
    login(user)
    token = user.session_token
    response = client.post("/logout")
    assert response.status_code == 302 and "/privacy/agree" not in response.headers["Location"]
    db.session.expire_all()
    assert db.session.get(User, user.id).session_token != token


def test_an_htmx_write_is_sent_to_the_agree_page(client, login, new_version):
    login(stale())
    db.session.commit()
    response = client.post("/account/password", data={}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.headers["HX-Redirect"].startswith("/privacy/agree")


def test_an_account_that_never_agreed_is_asked_too(client, login):
    user = factories.user(privacy_agreed=False)
    db.session.commit()
    login(user)
    assert "privacy-banner" in text(client.get("/"))
    assert _password_change(client).headers["Location"].startswith("/privacy/agree")
    page = text(client.get("/privacy/agree"))
    assert "You have not agreed to any version yet" in page


def test_the_banner_costs_no_query(client, login, count_queries, new_version):
    agreed = factories.user("已同意")  # made after NEW was published: agreed to it
    behind = stale("未同意")
    db.session.commit()

    def home_queries(user) -> int:
        login(user)
        with count_queries() as counter:
            page = text(client.get("/"))
        return counter.count, "privacy-banner" in page

    home_queries(behind)  # the home page's statistics are kept from the first page on
    assert home_queries(agreed) == (home_queries(behind)[0], False)
    assert home_queries(behind)[1]


# --- a new version, in the API ------------------------------------------------------------------

def _token(client, user) -> dict:
    answer = client.post("/api/v1/tokens", json={"identifier": user.phone, "password": PASSWORD,
                                                 "name": "测试手机"})
    assert answer.status_code == 201
    return {"Authorization": f"Bearer {answer.get_json()['token']}"}


def test_api_writes_are_refused_until_the_new_version_is_agreed(client, new_version):
    user = stale(phone="13800000010")
    db.session.commit()
    auth = _token(client, user)  # logging in needs no agreement
    settings = {"channel": "email"}
    refused = client.put("/api/v1/me/messages", json=settings, headers=auth)
    problem = refused.get_json()
    assert refused.status_code == 403 and problem["code"] == "privacy-consent"
    assert NEW in problem["detail"] and "/api/v1/me/privacy-consent" in problem["detail"]
    assert client.get("/api/v1/me", headers=auth).status_code == 200  # reading is fine
    wrong = client.post("/api/v1/me/privacy-consent", json={"version": FIRST}, headers=auth)
    assert wrong.status_code == 422 and NEW in wrong.get_json()["detail"]
    agreed = client.post("/api/v1/me/privacy-consent", json={"version": NEW}, headers=auth)
    assert agreed.status_code == 201 and agreed.get_json() == {"version": NEW, "agreed": True}
    assert consents(user.id) == [(user.id, NEW, "api")]
    again = client.post("/api/v1/me/privacy-consent", json={"version": NEW}, headers=auth)
    assert again.status_code == 200 and len(consents(user.id)) == 1
    assert client.put("/api/v1/me/messages", json=settings, headers=auth).status_code == 200


def test_logging_out_of_the_api_needs_no_agreement(client, new_version):
    user = stale(phone="13800000011")
    db.session.commit()
    auth = _token(client, user)
    assert client.delete("/api/v1/tokens/current", headers=auth).status_code == 204
    assert client.get("/api/v1/me", headers=auth).status_code == 401


def test_the_consent_endpoint_needs_a_token(client):
    response = client.post("/api/v1/me/privacy-consent", json={"version": FIRST})
    assert response.status_code == 401


@pytest.mark.parametrize("method, path, allowed", [
    ("POST", "/logout", True),
    ("POST", "/privacy/agree", True),
    ("POST", "/account/close", True),  # closing the account (consult/accounts/closing.py)
    ("POST", "/me/data/exports", True),  # downloading my data (a right, not a favour)
    ("POST", "/account/password", False),
    ("POST", "/topics/new", False),
])
def test_what_stays_possible_without_agreeing(app, method, path, allowed):
    from consult.privacy.guard import allowed_without_agreement

    with app.test_request_context(path, method=method):  # the route matched, if there is one
        assert allowed_without_agreement() is allowed
