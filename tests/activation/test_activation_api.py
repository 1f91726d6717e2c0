"""``POST /api/v1/activations``: the same service as the page; then ``POST /api/v1/tokens``."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from consult.community.models import Residency
from consult.privacy import rules as privacy_rules

pytestmark = pytest.mark.usefixtures("english")

PASSWORD = "app chosen secret 9"


def post(client, **body):
    body.setdefault("privacy_version", privacy_rules.current().id)
    return client.post("/api/v1/activations", json=body)


def test_activating_answers_201_and_then_a_token_can_be_had(w, client):
    issued = w.issue()
    owner = w.owners[0]
    code = w.letter_of(issued, owner).code
    response = post(client, identifier=owner.phone, code=code.lower(), password=PASSWORD)
    assert response.status_code == 201, response.get_json()
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_json() == {"id": owner.id, "name": "业主0",
                                   "homes": ["1网格 1栋 0101", "2网格 1栋 0201"]}
    assert all(r.status == "verified" for r in
               w_residencies(owner.id))
    token = client.post("/api/v1/tokens", json={"identifier": owner.phone,
                                                "password": PASSWORD, "name": "我的手机"})
    assert token.status_code == 201
    me = client.get("/api/v1/me", headers={"Authorization": "Bearer " + token.get_json()["token"]})
    assert me.get_json()["verified"] is True and me.get_json()["id"] == owner.id


def w_residencies(user_id):
    from consult.extensions import db

    return db.session.scalars(select(Residency).where(Residency.user_id == user_id)).all()


def problem_of(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return response.get_json()


def test_a_code_that_does_not_work_is_a_409_problem_the_same_for_every_reason(w, client):
    issued = w.issue()
    code = w.letter_of(issued, w.owners[3]).code
    wrong_code = problem_of(post(client, identifier=w.owners[3].phone, code="ABCDE-FGHJK",
                                 password=PASSWORD), 409)
    wrong_phone = problem_of(post(client, identifier="13711112222", code=code,
                                  password=PASSWORD), 409)
    assert wrong_code["code"] == wrong_phone["code"] == "activation_refused"
    assert wrong_code["detail"] == wrong_phone["detail"]
    assert wrong_code["detail"].startswith("This code does not work")
    assert w_residencies(w.owners[3].id) == []


@pytest.mark.parametrize("body, field", [
    ({"identifier": "13900000003", "code": "ABCDE-FGHJK", "password": "short"}, "password"),
    ({"identifier": "  ", "code": "ABCDE-FGHJK", "password": PASSWORD}, "identifier"),
    ({"code": "ABCDE-FGHJK", "password": PASSWORD}, "identifier"),
    ({"identifier": "13900000003", "password": PASSWORD}, "code"),
])
def test_input_the_document_forbids_is_a_422_problem(w, client, body, field):
    problem = problem_of(post(client, **body), 422)
    assert problem["field"] == field


def test_a_body_that_is_not_json_is_refused(w, client):
    response = client.post("/api/v1/activations", data="identifier=1")
    assert response.status_code in (400, 415)
    assert response.mimetype == "application/problem+json"


def test_five_wrong_codes_pause_with_a_429_problem(w, client):
    issued = w.issue()
    owner = w.owners[4]
    for _ in range(4):
        problem_of(post(client, identifier=owner.phone, code="ABCDE-FGHJK", password=PASSWORD),
                   409)
    paused = post(client, identifier=owner.phone, code="ABCDE-FGHJK", password=PASSWORD)
    problem = problem_of(paused, 429)
    assert problem["code"] == "activation_paused" and "wait 15 minutes" in problem["detail"]
    assert 800 <= int(paused.headers["Retry-After"]) <= 900
    right = post(client, identifier=owner.phone, code=w.letter_of(issued, owner).code,
                 password=PASSWORD)
    assert problem_of(right, 429)["code"] == "activation_paused"


def test_the_document_describes_the_operation(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    operation = doc["paths"]["/api/v1/activations"]["post"]
    tokens = doc["paths"]["/api/v1/tokens"]["post"]
    assert operation.get("security") == tokens.get("security")  # no token needed, like logging in
    assert set(operation["responses"]) == {"201", "400", "409", "413", "415", "422", "429"}
