"""``GET /api/v1/me/data``: the same document as the JSON download, for the token's user."""
from __future__ import annotations

import json

import pytest

from consult.api.tokens import create_token
from consult.extensions import db
from consult.mydata.sections import SECTIONS
from tests.mydata.world import MINE, THEIRS, build


@pytest.fixture
def world(app):
    return build()


def _bearer(user) -> dict:
    _token, raw = create_token(user, "测试")
    db.session.commit()
    return {"Authorization": f"Bearer {raw}"}


def test_answers_every_section_of_the_token_user_only(world, client):
    response = client.get("/api/v1/me/data", headers=_bearer(world.me))
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["user_id"] == world.me.id
    assert set(doc["sections"]) == {s.key for s in SECTIONS}
    comments = doc["sections"]["comments"]
    assert comments["count"] == 2 and comments["columns"][0]["key"] == "comment_id"
    assert set(comments["rows"][0]) == {c.key for c in SECTIONS[5].columns}
    assert doc["generated_at"].endswith("Z")
    text = json.dumps(doc, ensure_ascii=False)
    assert MINE in text and THEIRS not in text
    assert response.headers["Cache-Control"].startswith("private")


def test_needs_a_token(world, client, login):
    response = client.get("/api/v1/me/data")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    login(world.me)  # a browser session is not a token
    assert client.get("/api/v1/me/data").status_code == 401


@pytest.mark.parametrize("app_config", [{"MYDATA_API_SYNC_ROWS": 10}])
def test_a_long_history_is_sent_to_the_download(world, client):
    response = client.get("/api/v1/me/data", headers=_bearer(world.me))
    assert response.status_code == 409
    problem = response.get_json()
    assert problem["code"] == "too_large" and problem["status"] == 409
    assert problem["detail"]


def test_documented(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/me/data"]["get"]
    assert set(operation["responses"]) >= {"200", "401", "409"}
    assert operation["security"] == [{"bearerAuth": []}]
