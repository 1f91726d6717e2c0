"""A megabyte of text in the new writes of the officials' API, account closing, "my data" and
the privacy consent: each is refused with a clear answer (never a 500) and writes nothing. The
form and field fuzz (tests/app/test_fuzz_inputs.py) sends 20,000 characters to every route;
this sends 1 MB, under the 8 MB request limit, so the length rules themselves must answer."""
from __future__ import annotations

import pytest

from consult.accounts.models import User
from consult.extensions import db
from tests import api_world
from tests.factories import PASSWORD

MEGABYTE = "议" * (1024 * 1024 // 3)  # 1 MB of UTF-8


@pytest.fixture
def w(app, monkeypatch):
    return api_world.build(monkeypatch)


def _rows(app) -> dict[str, int]:
    from sqlalchemy import text

    names = ["topics", "topic_stage_changes", "audit_entries", "outcomes", "data_exports",
             "privacy_consents", "meetings"]
    return {n: db.session.execute(text(f'SELECT count(*) FROM "{n}"')).scalar() for n in names}


def test_the_officials_api_refuses_a_megabyte_reason(w, app, client):
    secretary = api_world.auth(api_world.token(client, w.secretary))
    before = _rows(app)
    for path, body in [
            (f"/api/v1/topics/{w.topic.id}/comment-period",
             {"action": "close", "reason": MEGABYTE}),
            (f"/api/v1/topics/{w.in_review.id}/rejection", {"reason": MEGABYTE}),
            (f"/api/v1/communities/{w.community.id}/meetings",
             {"hall": 1, "title": MEGABYTE, "day": "2026-12-20", "start": "09:00",
              "end": "10:00", "topics": []})]:
        response = client.post(path, json=body, headers=secretary)
        assert response.status_code == 422, (path, response.status_code)
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["field"] in ("reason", "title")
    db.session.expire_all()
    assert _rows(app) == before


def test_closing_an_account_with_a_megabyte_password_closes_nothing(w, app, client, login):
    me = w.residents[1]
    raw = api_world.token(client, me)
    response = client.delete("/api/v1/me", json={"password": MEGABYTE},
                             headers=api_world.auth(raw))
    assert response.status_code in (403, 422) and response.mimetype == \
        "application/problem+json"
    browser = login(me, app.test_client())
    page = browser.post("/account/close", data={"password": MEGABYTE, "understood": "y"})
    assert page.status_code == 200  # the form again, with its message
    db.session.expire_all()
    assert db.session.get(User, me.id).closed_at is None
    assert client.get("/api/v1/me/messages", headers=api_world.auth(raw)).status_code == 200


def test_my_data_and_consent_refuse_a_megabyte_value(w, app, client, login):
    me = w.residents[2]
    before = _rows(app)
    browser = login(me, app.test_client())
    response = browser.post("/me/data/exports", data={"format": MEGABYTE})
    assert response.status_code in (200, 302, 422) and response.status_code < 500
    raw = api_world.token(client, me)
    consent = client.post("/api/v1/me/privacy-consent", json={"version": MEGABYTE},
                          headers=api_world.auth(raw))
    assert consent.status_code == 422 and consent.get_json()["field"] == "version"
    db.session.expire_all()
    after = _rows(app)
    assert after["data_exports"] == before["data_exports"]
    assert after["privacy_consents"] == before["privacy_consents"]
