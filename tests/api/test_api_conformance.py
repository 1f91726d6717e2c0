"""The API does what its OpenAPI document says, one finding of schemathesis each
(tests/api/test_api_schemathesis.py): a request the document allows is not refused for its shape,
one it forbids is refused (422), and what the document cannot say of the server's data (this
vote's options, this session's slots) is a conflict (409), not invalid input.

Where a rule is a pattern or a format, the test asks the document's own validator
(jsonschema-rs, what schemathesis judges with) and the server the same question."""
from __future__ import annotations

from datetime import timedelta

import pytest
from jsonschema_rs import Draft202012Validator

from consult.clock import utcnow
from tests import api_world
from tests.api_world import auth, token

PROBLEM = "application/problem+json"
SESSION_LIST = "/api/v1/studios/{studio_id}/sessions"


@pytest.fixture
def w(app, monkeypatch):
    return api_world.build(monkeypatch)


@pytest.fixture
def doc(client):
    return client.get("/api/v1/openapi.json").get_json()


def allows(schema: dict, value) -> bool:
    return Draft202012Validator(schema, validate_formats=True).is_valid(value)


def body_field(doc, model: str, field: str) -> dict:
    return doc["components"]["schemas"][model]["properties"][field]


def refused(response, status: int, field: str) -> bool:
    if response.status_code != status:
        return False
    assert response.mimetype == PROBLEM
    return response.get_json().get("field") == field


# --- query parameters --------------------------------------------------------------------------

def test_every_query_parameter_may_be_sent_empty_and_the_document_says_so(w, client, doc):
    """``?area=`` was answered as if absent while the document forbade an empty value."""
    parameters = [p for item in doc["paths"].values() for op in item.values()
                  for p in op.get("parameters", []) if p["in"] == "query"]
    assert len(parameters) > 20
    assert all(p.get("allowEmptyValue") is True for p in parameters)
    for url in ("/api/v1/topics?area=&stage=&category=&community=&sort=&page=&per_page=",
                f"/api/v1/communities/{w.community.id}/meetings?when=",
                f"/api/v1/topics/{w.topic.id}/comments?sort=",
                f"/api/v1/studios/{w.studio.id}/sessions?from=&to="):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("value", [
    "0", "1764576000", "2026-12-01", "2026-12-01T09:00:00", "2026-12-01 09:00:00Z",
    "2026-12-01T09:00Z", "2026-02-30T00:00:00Z", "2026-12-01T24:00:00Z",
    "2026-12-01T09:00:60Z", "2026-12-01T09:00:00+24:00", "tomorrow"])
def test_a_session_time_that_is_not_an_rfc3339_date_time_is_refused(w, client, doc, value):
    """``from=0`` was read as 1970 (a Unix time), and a time without an offset as local
    time, while the document says ``date-time`` (RFC 3339, an offset required)."""
    schema = next(p["schema"] for p in doc["paths"][SESSION_LIST]["get"]["parameters"]
                  if p["name"] == "from")
    assert not allows(schema, value)
    response = client.get(f"/api/v1/studios/{w.studio.id}/sessions", query_string={
        "from": value})
    assert refused(response, 422, "from"), response.get_data(as_text=True)


@pytest.mark.parametrize("value", [
    "2026-12-01T09:00:00+08:00", "2026-12-01t01:00:00z", "2026-12-01T01:00:00.123456789Z",
    "2026-12-31T23:59:60Z", "2027-01-01T07:59:60+08:00", "0000-02-29T00:00:00Z",
    "9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00"])
def test_a_session_time_the_document_allows_is_answered(w, client, doc, value):
    """A leap second, the year 0000 and the ends of the calendar in a zone other than UTC
    were refused (422, or 400 'out of range') though the document allows them."""
    schema = next(p["schema"] for p in doc["paths"][SESSION_LIST]["get"]["parameters"]
                  if p["name"] == "from")
    assert allows(schema, value)
    response = client.get(f"/api/v1/studios/{w.studio.id}/sessions", query_string={
        "from": value})
    assert response.status_code == 200, response.get_data(as_text=True)


def test_to_comes_after_from_and_at_most_92_days_later(w, client):
    """The one rule of two parameters, which JSON Schema cannot state: the descriptions do."""
    url = f"/api/v1/studios/{w.studio.id}/sessions"
    start = utcnow().replace(microsecond=0)

    def ask(days: float):
        return client.get(url, query_string={
            "from": start.isoformat() + "Z",
            "to": (start + timedelta(days=days)).isoformat() + "Z"})

    assert refused(ask(0), 422, "to") and refused(ask(-1), 422, "to")
    assert refused(ask(92.5), 422, "to")
    assert ask(92).status_code == 200 and ask(1).get_json()["total"] == 0
    assert ask(3).get_json()["total"] == 1  # the session the day after tomorrow


# --- bodies ------------------------------------------------------------------------------------

# Text a service trims (str.strip) or whose spaces it folds (" ".join(text.split())): Python's
# whitespace is not the document's (ECMA 262) in U+001C-U+001F, U+0085 and U+FEFF.
BLANKS = ["", " ", "\u3000\n", "\x1f\x1c", "\x85", "\t\r\n"]
INKED = ["\ufeff", " x ", "\u3000好"]


@pytest.mark.parametrize("text", BLANKS + INKED)
def test_the_document_and_the_services_agree_on_a_blank_text(w, client, doc, text):
    """Blank comments, options, matters, descriptions and log-in names were refused (422)
    though the document allowed any string."""
    raw = token(client, w.residents[2])
    slot = client.get(f"/api/v1/studio-sessions/{w.session.id}").get_json()["slots"][0]["key"]
    proposal = {"title": "小区停车难问题", "category": "parking",
                "scope": f"community:{w.community.id}"}
    cases = [  # (model, field, request, what the service says when it refuses the text)
        ("CommentBody", "body", ("post", f"/api/v1/topics/{w.topic.id}/comments",
                                 {"body": text}), 201),
        ("BallotBody", "option", ("post", f"/api/v1/votes/{w.vote.id}/ballots",
                                  {"option": text}), 409),  # a text, but not an option
        ("ReservationBody", "matter", ("post", f"/api/v1/studio-sessions/{w.session.id}/"
                                               "reservations",
                                       {"slot": slot, "category": "safety", "matter": text}),
         201),
        ("ProposalBody", "description", ("post", "/api/v1/topics",
                                         {**proposal, "description": text}), 201),
        ("TokenRequest", "identifier", ("post", "/api/v1/tokens",
                                        {"identifier": text, "password": "x"}), 401),
    ]
    for model, field, (method, url, body), accepted in cases:
        response = client.open(url, method=method.upper(), json=body, headers=auth(raw))
        if allows(body_field(doc, model, field), text):
            assert response.status_code == accepted, (model, response.get_json())
        else:
            assert refused(response, 422, field), (model, response.get_json())
        if model == "ReservationBody" and response.status_code == 201:
            client.delete(f"/api/v1/reservations/{response.get_json()['id']}",
                          headers=auth(raw))


@pytest.mark.parametrize("title, accepted", [
    ("ab cd", True), ("ab   cd", True), ("  ab cd  ", True), ("\ufeffabcd", True),
    ("a  b  c", True), ("a   b  ", False), ("abcd     ", False), ("\x1fabcd", False),
    ("a\u3000\u3000\u3000b", False), ("       ", False)])
def test_the_document_and_the_service_agree_on_a_short_title(w, client, doc, title, accepted):
    """The service folds runs of whitespace before it counts a title's 5 characters; the
    document said only ``minLength: 5``, so "a   b  " was allowed and refused."""
    assert allows(body_field(doc, "ProposalBody", "title"), title) is accepted
    response = client.post("/api/v1/topics", json={
        "title": title, "description": "车位不够。", "category": "parking",
        "scope": f"community:{w.community.id}"}, headers=auth(token(client, w.residents[2])))
    if accepted:
        assert response.status_code == 201, response.get_json()
    else:
        assert refused(response, 422, "title"), response.get_json()


def test_a_slot_the_session_does_not_have_is_a_conflict_not_invalid_input(w, client):
    """A well-formed slot key was answered 422 though the document allows it: which slots
    there are is the session's data (as a slot just taken, 409)."""
    raw = token(client, w.residents[2])
    url = f"/api/v1/studio-sessions/{w.session.id}/reservations"
    body = {"category": "safety", "matter": "路灯坏了"}
    assert refused(client.post(url, json={**body, "slot": "2001-01-01T01:00"},
                               headers=auth(raw)), 409, "slot")
    assert refused(client.post(url, json={**body, "slot": "2001-01-01 01:00"},
                               headers=auth(raw)), 422, "slot")


@pytest.mark.usefixtures("english")
def test_commenting_too_quickly_is_a_conflict_not_invalid_input(w, client):
    """The service's flood check (5 comments a minute) refuses a comment the document allows:
    409, as every refusal of the moment; a blank comment is still 422 in the service's words."""
    h = auth(token(client, w.residents[2]))
    url = f"/api/v1/topics/{w.topic.id}/comments"
    for n in range(5):
        assert client.post(url, json={"body": f"第{n}条"}, headers=h).status_code == 201
    assert refused(client.post(url, json={"body": "第六条"}, headers=h), 409, "body")
    assert refused(client.post(f"/api/v1/comments/{w.comment.id}/replies",
                               json={"body": "回复"}, headers=h), 409, "body")
    blank = client.post(url, json={"body": "  "}, headers=h)
    assert refused(blank, 422, "body")
    assert blank.get_json()["detail"] == "Write your comment first: the text is empty."
