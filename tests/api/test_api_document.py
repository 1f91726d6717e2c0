"""The OpenAPI document is generated from the request and response models
(consult/api/schemas.py): it is valid OpenAPI 3.1, its lists of choices are the domain's own
(the lifecycle's stages, the models' enums), every error it declares is a problem document, and
input the models refuse is answered in the reader's language, not in pydantic's English."""
from __future__ import annotations

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from consult.api.schemas import PROBLEM_BASE, PROBLEM_KINDS
from consult.desk.queries import KINDS as DESK_KINDS
from consult.halls.models import ResolutionKind
from consult.messages import rules as message_rules
from consult.outcomes.models import OutcomeStatus
from consult.privacy import rules as privacy_rules
from consult.studios.models import Attendance, Body, MatterStatus, StudioKind
from consult.topics import comments
from consult.topics.forms import SORTS as TOPIC_SORTS
from consult.topics.lifecycle import PUBLIC_STAGES_ORDERED, Stage
from consult.topics.models import Category, ReactionValue, ScopeLevel
from consult.votes.models import Channel, Electorate
from consult.votes.tally import Rule
from tests import api_world
from tests.api_world import auth, token

PROBLEM = "application/problem+json"
ENUMS = {  # component -> the enum it is made from
    "Stage": Stage, "Category": Category, "ScopeLevel": ScopeLevel, "ReactionValue": ReactionValue,
    "Electorate": Electorate, "Rule": Rule, "OutcomeStatus": OutcomeStatus,
    "StudioKind": StudioKind, "ResolutionKind": ResolutionKind, "Channel": Channel,
    "Attendance": Attendance, "MatterStatus": MatterStatus,
}
# Every list of choices the document may hold, and where it comes from.
DOMAIN_LISTS = {
    "message modes": list(message_rules.MODES),  # consult/messages/rules.py
    "message channels": list(message_rules.CHANNELS),
    **{name: [e.value for e in enum] for name, enum in ENUMS.items()},
    "public stages": [s.value for s in PUBLIC_STAGES_ORDERED],
    "desk sections": list(DESK_KINDS),  # consult/desk/queries.py
    "topic sorts": list(TOPIC_SORTS),
    "comment sorts": list(comments.SORTS),
    "comment states": [comments.VISIBLE, comments.HIDDEN, comments.WITHDRAWN],
    "reactions and none": [*comments.REACTION_VALUES, comments.CLEAR],
    "representative bodies": [b.value for b in Body],
    "problem types": [PROBLEM_BASE + kind for kind in PROBLEM_KINDS],
    # The API's own words, not stored codes (declared once in consult/api/schemas.py).
    "meetings": ["upcoming", "past"],
    "vote status": ["scheduled", "open", "closed", "cancelled"],
    "paper entry status": ["entered", "confirmed", "disputed"],
    "ballot channels": ["online", "paper", "proxy"],  # consult.votes.models.Channel
    "proxy channels": ["online", "paper"],  # how an authorisation was given
    "proxy status": ["waiting", "active", "withdrawn", "replaced"],
    "comment period actions": ["close", "extend"],  # POST /topics/{topic_id}/comment-period
    "privacy notice in force": [privacy_rules.current().id],  # consult/privacy/rules.py
}


@pytest.fixture
def doc(client):
    return client.get("/api/v1/openapi.json").get_json()


def walk(node, path=""):
    """(JSON pointer, schema) of every object in the document."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, f"{path}/{i}")


def test_the_document_is_valid_openapi_3_1(doc):
    assert doc["openapi"] == "3.1.0"
    validate(doc, cls=OpenAPIV31SpecValidator)


def test_each_enum_in_the_document_is_the_models_enum(doc):
    schemas = doc["components"]["schemas"]
    for name, enum in ENUMS.items():
        assert schemas[name]["enum"] == [e.value for e in enum], name
    topics = {p["name"]: p["schema"] for p in doc["paths"]["/api/v1/topics"]["get"]["parameters"]}
    assert topics["stage"]["enum"] == [s.value for s in PUBLIC_STAGES_ORDERED]
    assert "draft" not in topics["stage"]["enum"]
    assert topics["category"] == {"$ref": "#/components/schemas/Category",
                                  "description": "Only this category"}
    assert schemas["Representative"]["properties"]["body"]["anyOf"][0]["enum"] == [
        b.value for b in Body]
    # No list of choices anywhere that is not one of the domain's.
    known = {tuple(values): name for name, values in DOMAIN_LISTS.items()}
    stray = {path: found["enum"] for path, found in walk(doc)
             if isinstance(found.get("enum"), list) and tuple(found["enum"]) not in known}
    assert stray == {}


def test_every_error_the_document_declares_is_a_problem_document(doc):
    seen = 0
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            for status, answer in op["responses"].items():
                if int(status) >= 400:
                    seen += 1
                    assert answer["content"] == {PROBLEM: {
                        "schema": {"$ref": "#/components/schemas/Problem"}}}, (path, method)
    assert seen > 100
    problem = doc["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}


@pytest.fixture
def w(app, monkeypatch):
    return api_world.build(monkeypatch)


def detail(response, status=422, field=None) -> str:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body.get("field") == field
    return body["detail"]


@pytest.mark.usefixtures("english")
def test_invalid_input_is_said_in_our_words(w, client):
    raw = token(client, w.residents[2])
    h = auth(raw)
    assert detail(client.get("/api/v1/topics?per_page=101"), field="per_page") == \
        "Give a number from 1 to 100."
    assert detail(client.get("/api/v1/topics?page=x"), field="page") == "Give a whole number."
    assert detail(client.get("/api/v1/topics?sort=oldest"), field="sort") == \
        "Choose one of: newest, cosigned, closing."
    assert detail(client.get("/api/v1/topics?q=" + "词" * 101), field="q") == \
        "At most 100 characters."
    assert detail(client.get("/api/v1/topics?area=evil"), field="area") == \
        "Give community, mine, grid:<id> or building:<id>."
    assert client.get("/api/v1/topics?page=&per_page=").status_code == 200  # empty: absent
    propose = {"title": "小区停车难问题", "description": "车位不够。", "category": "parking",
               "scope": f"community:{w.community.id}"}
    assert detail(client.post("/api/v1/topics", json={**propose, "title": "短"}, headers=h),
                  field="title") == "At least 5 characters."
    assert detail(client.post("/api/v1/topics", json={**propose, "submit": "yes"}, headers=h),
                  field="submit") == "Give true or false."
    assert detail(client.post("/api/v1/topics", json={**propose, "title": 12345}, headers=h),
                  field="title") == "This field must be a string."
    assert detail(client.post("/api/v1/topics", json={"title": "小区停车难问题"}, headers=h),
                  field="description") == "This field is required."
    assert detail(client.post("/api/v1/topics", json={**propose, "category": "food"},
                              headers=h), field="category").startswith("Choose one of: ")
    assert detail(client.post("/api/v1/topics", json=[propose], headers=h)) == \
        "The body must be a JSON object."
    assert detail(client.post("/api/v1/topics", data="title=x", headers=h), 415) == \
        "Send a JSON body (Content-Type: application/json)."
    assert detail(client.get(f"/api/v1/studios/{w.studio.id}/sessions?to=soon"), field="to") \
        == "Give a date-time in ISO 8601, e.g. 2026-12-01T09:00:00+08:00."
    # Unknown members are ignored, as before.
    made = client.post(f"/api/v1/topics/{w.topic.id}/comments",
                       json={"body": "同意", "mood": "happy"}, headers=h)
    assert made.status_code == 201


def test_invalid_input_is_said_in_chinese_by_default(w, client):
    assert detail(client.get("/api/v1/topics?per_page=0"), field="per_page") == \
        "请填写1至100之间的数字。"
    raw = token(client, w.residents[2])
    assert detail(client.post(f"/api/v1/topics/{w.topic.id}/comments", json={},
                              headers=auth(raw)), field="body") == "此项为必填项。"
    assert detail(client.put(f"/api/v1/comments/{w.comment.id}/reaction", json={"value": 1},
                             headers=auth(raw)), field="value").startswith("请从以下选项中选择")


def test_a_token_is_asked_for_before_the_input_is_checked(w, client):
    assert detail(client.post("/api/v1/topics", json={"title": 1}), 401) is not None
