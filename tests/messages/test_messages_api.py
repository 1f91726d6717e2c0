"""Message settings in the API: the page's choices through the same service."""
from __future__ import annotations

import pytest

from consult.api.tokens import create_token
from consult.extensions import db
from consult.messages import service
from tests import factories as f

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def person(app):
    return f.user(phone="13800138040", email="api@example.org")


def _auth(person):
    _token, raw = create_token(person, "测试")
    db.session.commit()
    return {"Authorization": f"Bearer {raw}"}


def test_read_and_change_the_settings(client, person):
    headers = _auth(person)
    got = client.get("/api/v1/me/messages", headers=headers).get_json()
    assert got["modes"]["votes"] == "immediate" and got["modes"]["replies"] == "digest"
    assert (got["quiet_start"], got["quiet_end"], got["channel"]) == (21, 8, None)
    answer = client.put("/api/v1/me/messages", headers=headers, json={
        "modes": {"votes": "digest"}, "channel": "email", "quiet_start": 22, "quiet_end": 7})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["modes"]["votes"] == "digest"
    db.session.expire_all()
    assert service.modes_of(person.id)["votes"] == "digest"
    assert service.modes_of(person.id)["replies"] == "digest"  # left as it was


@pytest.mark.parametrize("body", [
    {"modes": {"votes": "always"}}, {"modes": "digest"},
    {"quiet_start": 24}, {"channel": "pigeon"}, {"quiet_end": "8"}])
def test_bad_input_is_a_problem_document_and_changes_nothing(client, person, body):
    headers = _auth(person)
    answer = client.put("/api/v1/me/messages", headers=headers, json=body)
    assert answer.status_code == 422
    assert answer.content_type.startswith("application/problem+json")
    db.session.expire_all()
    assert service.modes_of(person.id)["votes"] == "immediate"


def test_sms_without_a_phone_is_refused(client, app):
    person = f.user(email="nophone@example.org")
    headers = _auth(person)
    answer = client.put("/api/v1/me/messages", headers=headers, json={"channel": "sms"})
    assert answer.status_code in (409, 422)
    assert "no phone number" in answer.get_json()["detail"]


def test_a_token_is_needed(client):
    assert client.get("/api/v1/me/messages").status_code == 401
    assert client.put("/api/v1/me/messages", json={}).status_code == 401
