"""A password change, a password reset and "Log out every device" end every session of the
account, the apps' API tokens included (an old 90-day token once kept reading /api/v1/me and
posting comments after the password was changed). Another person's tokens stay."""
from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import select

from consult.accounts import reset
from consult.audit.models import AuditEntry
from consult.extensions import db
from tests import api_world
from tests.api_world import auth, token
from tests.factories import PASSWORD

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def w(app, monkeypatch):
    return api_world.build(monkeypatch)


def _reads_me(client, raw) -> int:
    return client.get("/api/v1/me", headers=auth(raw)).status_code


def _comments(client, w, raw) -> int:
    return client.post(f"/api/v1/topics/{w.topic.id}/comments", json={"body": "还在吗？"},
                       headers=auth(raw)).status_code


def test_changing_the_password_logs_out_every_app(w, app, client, login):
    me, other = w.residents[2], w.residents[3]
    phone, tablet = token(client, me, "手机"), token(client, me, "平板")
    theirs = token(client, other, "别人的手机")
    assert _reads_me(client, phone) == 200
    browser = login(me, app.test_client())
    response = browser.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "a new secret 42",
        "confirm": "a new secret 42"})
    assert response.status_code == 302
    for raw in (phone, tablet):
        assert _reads_me(client, raw) == 401
        assert _comments(client, w, raw) == 401
    assert _reads_me(client, theirs) == 200
    # The new password gives a new token that works.
    assert _reads_me(client, token(client, me, "新手机", password="a new secret 42")) == 200


def test_a_password_reset_logs_out_every_app(w, app, client, caplog):
    me = w.residents[2]
    phone = token(client, me, "手机")
    caplog.set_level(logging.WARNING)
    client.post("/password/forgot", data={"identifier": me.phone})
    line = next(r.getMessage() for r in caplog.records if reset.LOG_PREFIX in r.getMessage())
    path = re.search(r"https?://[^/\s]+(/\S+)", line).group(1)
    response = app.test_client().post(path, data={"password": "a new secret 42",
                                                  "confirm": "a new secret 42"})
    assert response.status_code in (200, 302)
    assert _reads_me(client, phone) == 401


def test_log_out_every_device_ends_apps_and_browsers(w, app, client, login):
    me = w.residents[2]
    phone = token(client, me, "手机")
    laptop = login(me, app.test_client())
    desk = login(me, app.test_client())
    assert desk.get("/me/devices").status_code == 200
    page = desk.get("/me/devices").get_data(as_text=True)
    assert "Log out every device" in page
    response = desk.post("/me/devices/log-out-everywhere")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert _reads_me(client, phone) == 401
    for browser in (laptop, desk):  # both browsers' sessions are over
        assert browser.get("/me/devices").status_code == 302
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "account.log_out_everywhere"))
    assert entry is not None and entry.details["tokens_revoked"] == 1


def test_log_out_every_device_needs_the_form_token(w, app, client, login):
    me = w.residents[2]
    phone = token(client, me, "手机")
    browser = login(me, app.test_client())
    app.config["WTF_CSRF_ENABLED"] = True
    assert browser.post("/me/devices/log-out-everywhere").status_code in (302, 400)
    assert _reads_me(client, phone) == 200
