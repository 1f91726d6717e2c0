"""Input nobody types but attackers send: NUL characters, lone surrogates, JSON nested 5,000
deep, ids of twenty digits, dates at the year 1 and 9999. Each gets a clear 4xx (a 400 page or
a problem document) and writes nothing; none is a server error. Runs on SQLite and PostgreSQL
(where NUL once failed inside the driver)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from consult.extensions import db
from consult.topics.models import Comment
from tests import api_world
from tests.api_world import auth, token

pytestmark = pytest.mark.usefixtures("english")

HUGE = "99999999999999999999"


@pytest.fixture
def w(app, monkeypatch):
    return api_world.build(monkeypatch)


def _comments() -> int:
    return db.session.scalar(select(func.count(Comment.id)))


def _says_cannot_be_stored(response, status=400):
    assert response.status_code == status, response.status_code
    assert "cannot be stored" in response.get_data(as_text=True)


def test_a_nul_in_a_comment_is_refused_and_nothing_is_written(app, login, w):
    client = login(w.residents[2], app.test_client())
    before = _comments()
    response = client.post(f"/topics/{w.topic.id}/comments", data={"body": "好\x00的"})
    _says_cannot_be_stored(response)
    assert _comments() == before


@pytest.mark.parametrize("query", ["q=%00", "stage=%00", "area=a%00b", "sort=%00"])
def test_a_nul_in_a_query_is_refused(client, w, query):
    _says_cannot_be_stored(client.get(f"/topics?{query}"))


def test_a_nul_in_a_receipt_code_is_refused(client, w):
    _says_cannot_be_stored(client.get(f"/votes/{w.vote.id}/receipt?code=AB%00CD"))


@pytest.mark.parametrize("body", [
    '{"body": "a\\u0000b"}',  # NUL
    '{"body": "a\\ud800b"}',  # a lone surrogate
    '{"body\\u0000": "x"}',  # in a key
    '{"body": ' + "[" * 5000 + "]" * 5000 + "}",  # nested 5,000 deep
])
def test_api_bodies_nothing_can_store_get_a_problem_document(client, w, body):
    raw = token(client, w.residents[2])
    before = _comments()
    response = client.post(f"/api/v1/topics/{w.topic.id}/comments", data=body,
                           headers={**auth(raw), "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert "cannot be stored" in response.json["detail"]
    assert _comments() == before


@pytest.mark.parametrize("url", [f"/topics?community={HUGE}", f"/topics?page={HUGE}",
                                 f"/me/residency?community={HUGE}",
                                 f"/me/residency?community=1&building={HUGE}"])
def test_a_twenty_digit_number_is_not_a_server_error(app, login, w, url):
    response = login(w.residents[2], app.test_client()).get(url)
    assert response.status_code < 500, (url, response.status_code)


@pytest.mark.parametrize("week", ["0001-01-01", "9999-12-31"])
def test_a_studio_week_at_the_ends_of_the_calendar_is_not_a_server_error(client, w, week):
    response = client.get(f"/studios/{w.studio.id}?week={week}")
    assert response.status_code in (200, 400), response.status_code


@pytest.mark.parametrize("month", ["0001-01", "9999-12"])
def test_a_hall_month_at_the_ends_of_the_calendar_is_not_a_server_error(client, w, month):
    hall_id = w.meeting.hall_id
    response = client.get(f"/halls/{hall_id}?month={month}")
    assert response.status_code in (200, 400), response.status_code


@pytest.mark.parametrize("params", ["from=0001-01-01T00:00:00Z", "to=9999-12-31T23:59:59Z",
                                    "from=9999-12-31T00:00:00Z"])
def test_the_api_sessions_list_at_the_ends_of_the_calendar(client, w, params):
    response = client.get(f"/api/v1/studios/{w.studio.id}/sessions?{params}")
    assert response.status_code in (200, 400, 422), response.status_code


@pytest.mark.parametrize("method, url, allowed", [
    ("DELETE", "/api/v1/topics", {"GET", "POST"}),
    ("PATCH", "/api/v1/me", {"GET"}),
    ("PUT", "/login", {"GET", "POST"}),
])
def test_a_method_not_allowed_says_which_are(client, method, url, allowed):
    """A 405 must name the methods the address accepts (RFC 9110); schemathesis found 25
    answers without an Allow header."""
    response = client.open(url, method=method)
    assert response.status_code == 405
    assert allowed <= {m.strip() for m in response.headers["Allow"].split(",")}
    if url.startswith("/api/"):
        assert response.mimetype == "application/problem+json"
