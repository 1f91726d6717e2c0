"""Outcomes in the API (issues 6 and 8): the outcome of a topic with objections, implementation
and ratings, the outcomes board, lodging objections and rating, with their refusals. The
outcome is set up by service calls with the clock frozen, as in tests/outcomes/test_outcomes.py."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consult import clock
from consult.extensions import db
from consult.outcomes import service
from consult.outcomes.models import Objection, Rating
from tests import outcome_world as ow
from tests.api_world import auth, token
from tests.api.test_api import assert_problem

pytestmark = pytest.mark.usefixtures("english")
DAY = timedelta(days=1)


@pytest.fixture
def world(app, monkeypatch):
    return ow.build(monkeypatch)


def publish(w, act: bool = True):
    with clock.frozen(ow.CLOSED):
        service.publish(w.people["secretary"], w.topic, "决定加装扶手。", 7, act=act)
        db.session.commit()


def done(w):
    """A published outcome in effect after its window, a progress report, marked done:
    ratings open."""
    service.settle_due_outcomes(ow.CLOSED + 7 * DAY)
    db.session.commit()
    at = ow.CLOSED + 9 * DAY
    with clock.frozen(at):
        service.post_progress(w.people["secretary"], w.topic, "已采购材料。", 60)
        service.mark_done(w.people["secretary"], w.topic, "已完工")
        db.session.commit()
    return at


def tokens(client, w, *names):
    return {n: auth(token(client, w.people[n])) for n in names}


def test_the_outcome_and_the_board_before_and_after_publishing(world, client):
    w = world
    url = f"/api/v1/topics/{w.topic.id}/outcome"
    board = f"/api/v1/communities/{w.community.id}/outcomes"
    with clock.frozen(ow.CLOSED):
        assert_problem(client.get(url), 404, "not-found")
        empty = client.get(board).get_json()
        assert empty["items"] == [] and empty["total"] == 0
    assert_problem(client.get("/api/v1/topics/999999/outcome"), 404, "not-found")
    assert_problem(client.get("/api/v1/communities/999999/outcomes"), 404, "not-found")
    publish(w)
    with clock.frozen(ow.CLOSED + DAY):
        h = tokens(client, w, "r1")
        lodged = client.post(f"/api/v1/topics/{w.topic.id}/objections", headers=h["r1"],
                             json={"body": "扶手会占用楼道。"})
        assert lodged.status_code == 201, lodged.get_json()
        assert lodged.get_json()["author"]["name"] == "一栋居民1"
        assert lodged.get_json()["answer"] is None
        objection = db.session.get(Objection, lodged.get_json()["id"])
        service.answer_objection(w.people["secretary"], objection, "扶手宽度仅8厘米。")
        db.session.commit()

        public = client.get(url)
        assert public.status_code == 200 and public.headers["ETag"]
        body = public.get_json()
        assert body["decision"] == "决定加装扶手。" and body["status"] == "publicised"
        assert body["window_open"] is True and body["can_object"] is False  # no token
        assert body["vote_id"] == w.vote.id and body["topic_stage"] == "publicised"
        assert [(o["body"], o["answer"]) for o in body["objections"]] == [
            ("扶手会占用楼道。", "扶手宽度仅8厘米。")]
        assert body["implementation"] is None and body["ratings"] is None
        assert "my_rating" not in body
        assert client.get(url, headers={"If-None-Match": public.headers["ETag"]}
                          ).status_code == 304
        mine = client.get(url, headers=h["r1"]).get_json()
        assert mine["can_object"] is True and mine["my_rating"] is None

        listed = client.get(board).get_json()
        assert listed["total"] == 1 and listed["page"] == 1
        entry = listed["items"][0]
        assert entry["topic"]["id"] == w.topic.id and entry["window_open"] is True
        assert entry["ratings"]["count"] == 0 and entry["percent"] is None
        assert client.get(board + "?page=2&per_page=1").get_json() == {
            "items": [], "total": 1, "page": 2, "per_page": 1}
        assert_problem(client.get(board + "?per_page=0"), 422, "validation", "per_page")
        for text in (public.get_data(as_text=True), client.get(board).get_data(as_text=True)):
            assert "@" not in text and "example.org" not in text


def test_objection_refusals(world, client):
    w = world
    url = f"/api/v1/topics/{w.topic.id}/objections"
    with clock.frozen(ow.CLOSED):
        h = tokens(client, w, "r2", "pending", "elsewhere", "logged_in")
        # Before the outcome is published: the rules refuse the moment.
        assert_problem(client.post(url, headers=h["r2"], json={"body": "太早"}), 409,
                       "conflict")
    publish(w)
    with clock.frozen(ow.CLOSED + DAY):
        assert_problem(client.post(url, json={"body": "不同意"}), 401, "unauthenticated")
        body = assert_problem(client.post(url, headers=h["pending"], json={"body": "不同意"}),
                              403, "forbidden")
        assert body["code"] == "not_verified"
        for who in ("elsewhere", "logged_in"):
            assert_problem(client.post(url, headers=h[who], json={"body": "不同意"}), 403,
                           "forbidden")
        assert_problem(client.post(url, headers=h["r2"], json={"body": "  "}), 422,
                       "validation", "body")
        assert_problem(client.post(url, headers=h["r2"], json={}), 422, "validation", "body")
        assert_problem(client.post(url, headers=h["r2"], json={"body": "长" * 2001}), 422,
                       "validation", "body")
        assert_problem(client.post(url, headers=h["r2"], data="x"), 415,
                       "unsupported-media-type")
    with clock.frozen(ow.CLOSED + 7 * DAY):
        assert_problem(client.post(url, headers=h["r2"], json={"body": "太晚了"}), 409,
                       "conflict")
        # The read shows the outcome in effect and stores nothing; the scheduled settling does.
        read = client.get(f"/api/v1/topics/{w.topic.id}/outcome").get_json()
        assert read["status"] == "effective" and read["topic_stage"] == "publicised"
        assert read["implementation"] is not None and not read["window_open"]
        assert service.settle_due_outcomes() == 1
        db.session.commit()
        assert client.get(f"/api/v1/topics/{w.topic.id}/outcome").get_json()[
            "topic_stage"] == "implementing"
    assert db.session.scalar(select(func.count()).select_from(Objection)) == 0


def test_objections_outside_the_topics_building_are_refused(app, client, monkeypatch):
    w = ow.build(monkeypatch, building_scope=True)
    publish(w)
    with clock.frozen(ow.CLOSED + DAY):
        h = tokens(client, w, "b2")
        assert_problem(client.post(f"/api/v1/topics/{w.topic.id}/objections", headers=h["b2"],
                                   json={"body": "不同意"}), 403, "forbidden")


def test_rating_the_implementation_and_its_refusals(world, client):
    w = world
    url = f"/api/v1/topics/{w.topic.id}/rating"
    publish(w)
    with clock.frozen(ow.CLOSED + DAY):
        h = tokens(client, w, "r0", "r1", "b2", "pending", "elsewhere")
        # Not done yet: the rating period has not begun.
        assert_problem(client.put(url, headers=h["r1"], json={"stars": 5}), 409, "conflict")
    at = done(w)
    with clock.frozen(at + DAY):
        first = client.put(url, headers=h["r1"], json={"stars": 4, "comment": "不错"})
        assert first.status_code == 200, first.get_json()
        assert first.get_json()["stars"] == 4 and first.get_json()["ratings"]["count"] == 1
        # 2.0 is the integer 2 to JSON Schema: schemathesis sent 5.0 and saw it refused.
        assert client.put(url, headers=h["r0"], json={"stars": 2.0}).get_json()["stars"] == 2
        again = client.put(url, headers=h["r1"], json={"stars": 3, "comment": "改为三星"})
        assert again.get_json()["comment"] == "改为三星"
        assert again.get_json()["ratings"] == {
            "count": 2, "average": "2.5",
            "distribution": {"5": 0, "4": 0, "3": 1, "2": 1, "1": 0}}

        assert_problem(client.put(url, json={"stars": 5}), 401, "unauthenticated")
        body = assert_problem(client.put(url, headers=h["pending"], json={"stars": 5}), 403,
                              "forbidden")
        assert body["code"] == "not_verified"
        assert_problem(client.put(url, headers=h["elsewhere"], json={"stars": 5}), 403,
                       "forbidden")
        for bad in (0, 6, "5", True, None, 2.5):
            assert_problem(client.put(url, headers=h["b2"], json={"stars": bad}), 422,
                           "validation", "stars")
        assert_problem(client.put(url, headers=h["b2"], json={}), 422, "validation", "stars")
        assert_problem(client.put(url, headers=h["b2"], json={"stars": 5, "comment": 7}), 422,
                       "validation", "comment")

        read = client.get(f"/api/v1/topics/{w.topic.id}/outcome", headers=h["r1"]).get_json()
        assert read["my_rating"]["stars"] == 3 and read["can_rate"] is True
        assert read["ratings_open"] is True and read["ratings"]["count"] == 2
        impl = read["implementation"]
        assert impl["percent"] == 60 and impl["done_at"] and impl["overdue"] is False
        assert [(p["percent"], p["body"]) for p in impl["progress"]] == [(60, "已采购材料。")]
        entry = client.get(f"/api/v1/communities/{w.community.id}/outcomes").get_json()[
            "items"][0]
        assert entry["percent"] == 60 and entry["ratings"]["average"] == "2.5"
    with clock.frozen(at + 14 * DAY):
        assert_problem(client.put(url, headers=h["b2"], json={"stars": 5}), 409, "conflict")
    assert db.session.scalar(select(func.count()).select_from(Rating)) == 2


def test_the_answers_match_the_openapi_document(world, client):
    """schemathesis sees no outcome (its world has none): check real answers here."""
    from jsonschema_rs import Draft202012Validator  # what schemathesis validates with

    doc = client.get("/api/v1/openapi.json").get_json()

    def check(response, path: str, method: str = "get"):
        op = doc["paths"][path][method]
        schema = op["responses"][str(response.status_code)]["content"]["application/json"][
            "schema"]
        Draft202012Validator({**schema, "components": doc["components"]}).validate(
            response.get_json())

    publish(world)
    with clock.frozen(ow.CLOSED + DAY):
        h = tokens(client, world, "r1", "r2")
        check(client.post(f"/api/v1/topics/{world.topic.id}/objections", headers=h["r1"],
                          json={"body": "扶手会占用楼道。"}), "/api/v1/topics/{topic_id}/objections",
              "post")
    at = done(world)
    with clock.frozen(at + DAY):
        check(client.put(f"/api/v1/topics/{world.topic.id}/rating", headers=h["r1"],
                         json={"stars": 4}), "/api/v1/topics/{topic_id}/rating", "put")
        for headers in ({}, h["r1"], h["r2"]):
            check(client.get(f"/api/v1/topics/{world.topic.id}/outcome", headers=headers),
                  "/api/v1/topics/{topic_id}/outcome")
        check(client.get(f"/api/v1/communities/{world.community.id}/outcomes"),
              "/api/v1/communities/{community_id}/outcomes")
