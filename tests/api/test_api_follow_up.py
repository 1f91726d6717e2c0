"""The officials' follow-up in the API (issue 15): publishing an outcome and its draft,
extending the publicity window, answering objections, the implementation's plan, progress and
end; booking studio sessions, recording receptions, following matters and rating them; the
desk. Each write is refused to a resident, an official of another community, a grid worker
(403) and without a token (401), with nothing written; each success shows what a user notices:
the state, the timeline, the audit log, a notification."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consult import clock
from consult.accounts.models import Role
from consult.audit.models import AuditEntry
from consult.extensions import db
from consult.notifications.models import Notification
from consult.outcomes import service
from consult.outcomes.models import Objection, Outcome, ProgressUpdate
from consult.studios.models import ReceptionRecord, StudioSession
from tests import api_world, factories
from tests import outcome_world as ow
from tests.api.test_api import assert_problem
from tests.api_world import auth, token

pytestmark = pytest.mark.usefixtures("english")
DAY = timedelta(days=1)
REFUSED = ("resident", "other_official", "grid_worker")


def _rows(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _audit(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == action))


def _notified(user, kind: str) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.kind == kind))


def assert_refused_to_all(client, method: str, url: str, body, headers: dict, watch) -> None:
    """Every refused role gets its answer, and ``watch()`` reads the same afterwards."""
    before = watch()
    for who in REFUSED:
        response = client.open(url, method=method, json=body, headers=headers[who])
        assert_problem(response, 403, "forbidden")
    assert_problem(client.open(url, method=method, json=body), 401, "unauthenticated")
    db.session.expire_all()
    assert watch() == before, f"{method} {url}: a refusal wrote something"


# --- outcomes ---------------------------------------------------------------------------------

@pytest.fixture
def ow_world(app, monkeypatch):
    w = ow.build(monkeypatch)
    w.people["grid_worker"] = factories.grid_worker(w.community.grids[0], "网格员")
    db.session.commit()
    return w


def _headers(client, w) -> dict:
    people = {"resident": "r1", "other_official": "other_secretary",
              "grid_worker": "grid_worker", "secretary": "secretary", "r1": "r1"}
    return {k: auth(token(client, w.people[v])) for k, v in people.items()}


def test_the_secretary_publishes_the_outcome_from_the_suggested_draft(ow_world, client):
    w = ow_world
    with clock.frozen(ow.CLOSED):
        h = _headers(client, w)
        draft_url = f"/api/v1/topics/{w.topic.id}/outcome/draft"
        draft = client.get(draft_url, headers=h["secretary"])
        assert draft.status_code == 200, draft.get_json()
        body = draft.get_json()
        assert "是否同意加装楼道扶手？" in body["decision"] and body["may_publish"] is True
        assert body["act"] is True and body["refusal"] is None
        for who in REFUSED:
            assert_problem(client.get(draft_url, headers=h[who]), 403, "forbidden")
        assert_problem(client.get(draft_url), 401, "unauthenticated")

        url = f"/api/v1/topics/{w.topic.id}/outcome"
        decision = {"decision": body["decision"], "days": 7, "act": True}
        assert_refused_to_all(client, "POST", url, decision, h, lambda: _rows(Outcome))
        assert_problem(client.post(url, json={**decision, "days": 3}, headers=h["secretary"]),
                       422, "validation", "days")
        published = client.post(url, json=decision, headers=h["secretary"])
        assert published.status_code == 201, published.get_json()
        shown = published.get_json()
        assert shown["status"] == "publicised" and shown["window_open"] is True
        assert shown["topic_stage"] == "publicised"
        assert _audit("outcome.publish") == 1
        timeline = client.get(f"/api/v1/topics/{w.topic.id}").get_json()["timeline"]
        assert timeline[-1]["transition"] == "publish_outcome"
        # Published once: the topic has moved on.
        assert_problem(client.post(url, json=decision, headers=h["secretary"]), 409,
                       "conflict")


def test_objections_are_answered_and_the_window_extended_with_a_reason(ow_world, client):
    w = ow_world
    with clock.frozen(ow.CLOSED):
        service.publish(w.people["secretary"], w.topic, "决定加装扶手。", 7)
        db.session.commit()
    with clock.frozen(ow.CLOSED + DAY):
        h = _headers(client, w)
        lodged = client.post(f"/api/v1/topics/{w.topic.id}/objections", headers=h["r1"],
                             json={"body": "扶手会占用楼道。"}).get_json()
        url = f"/api/v1/objections/{lodged['id']}/answer"
        reply = {"answer": "扶手宽度仅8厘米。"}
        assert_refused_to_all(client, "POST", url, reply, h, lambda: db.session.scalar(
            select(Objection.answered_at).where(Objection.id == lodged["id"])))
        answered = client.post(url, json=reply, headers=h["secretary"])
        assert answered.status_code == 200, answered.get_json()
        assert answered.get_json()["answer"] == "扶手宽度仅8厘米。"
        assert _notified(w.people["r1"], "outcome.answer") == 1
        assert _audit("outcome.answer") == 1
        assert_problem(client.post(url, json=reply, headers=h["secretary"]), 409, "conflict")
        assert_problem(client.post(url, json={"answer": "  "}, headers=h["secretary"]), 422,
                       "validation", "answer")
        assert_problem(client.post("/api/v1/objections/999999/answer", json=reply,
                                   headers=h["secretary"]), 404, "not-found")

        window = f"/api/v1/topics/{w.topic.id}/outcome/publicity"
        later = {"until": "2026-12-16T20:00:00+08:00", "reason": "居民要求延长公示期"}
        assert_refused_to_all(client, "POST", window, later, h, lambda: db.session.scalar(
            select(Outcome.window_ends_at)))
        assert_problem(client.post(window, json={**later, "until": "2026-12-09T20:00:00+08:00"},
                                   headers=h["secretary"]), 409, "conflict")
        extended = client.post(window, json=later, headers=h["secretary"])
        assert extended.status_code == 200, extended.get_json()
        assert extended.get_json()["window_ends_at"] == "2026-12-16T12:00:00Z"
        step = client.get(f"/api/v1/topics/{w.topic.id}").get_json()["timeline"][-1]
        assert (step["transition"], step["note"]) == ("extend_publicity", "居民要求延长公示期")


def test_an_upheld_objection_sends_the_topic_back(ow_world, client):
    w = ow_world
    with clock.frozen(ow.CLOSED):
        service.publish(w.people["secretary"], w.topic, "决定加装扶手。", 7)
        db.session.commit()
        objection = service.lodge_objection(w.people["r1"], w.topic, "扶手会占用楼道。")
        db.session.commit()
        h = _headers(client, w)
        upheld = client.post(f"/api/v1/objections/{objection.id}/answer", headers=h["secretary"],
                             json={"answer": "意见成立，重新议事。", "uphold": True})
        assert upheld.status_code == 200, upheld.get_json()
        assert upheld.get_json()["upheld"] is True
        assert client.get(f"/api/v1/topics/{w.topic.id}").get_json()["stage"] == "deliberating"


def test_the_implementation_is_planned_reported_and_done(ow_world, client):
    w = ow_world
    with clock.frozen(ow.CLOSED):
        service.publish(w.people["secretary"], w.topic, "决定加装扶手。", 7)
        db.session.commit()
    service.settle_due_outcomes(ow.CLOSED + 7 * DAY)
    db.session.commit()
    with clock.frozen(ow.CLOSED + 8 * DAY):
        h = _headers(client, w)
        base = f"/api/v1/topics/{w.topic.id}/implementation"
        plan = {"responsible": "物业服务中心", "target_date": "2026-12-31"}
        assert_refused_to_all(client, "PUT", f"{base}/plan", plan, h,
                              lambda: db.session.scalar(select(Outcome.responsible)))
        assert_problem(client.put(f"{base}/plan", json={**plan, "target_date": "31/12/2026"},
                                  headers=h["secretary"]), 422, "validation", "target_date")
        planned = client.put(f"{base}/plan", json=plan, headers=h["secretary"])
        assert planned.status_code == 200, planned.get_json()
        assert planned.get_json()["implementation"]["responsible"] == "物业服务中心"
        assert planned.get_json()["implementation"]["target_date"] == "2026-12-31"

        report = {"body": "已采购材料。", "percent": 60}
        assert_refused_to_all(client, "POST", f"{base}/progress", report, h,
                              lambda: _rows(ProgressUpdate))
        posted = client.post(f"{base}/progress", json=report, headers=h["secretary"])
        assert posted.status_code == 201, posted.get_json()
        assert posted.get_json()["percent"] == 60
        outcome = client.get(f"/api/v1/topics/{w.topic.id}/outcome").get_json()
        assert outcome["implementation"]["percent"] == 60
        assert _audit("outcome.progress") == 1

        assert_refused_to_all(client, "POST", f"{base}/done", {"note": "完工"}, h,
                              lambda: db.session.scalar(select(Outcome.done_at)))
        finished = client.post(f"{base}/done", json={"note": "完工"}, headers=h["secretary"])
        assert finished.status_code == 200, finished.get_json()
        assert finished.get_json()["ratings_open"] is True
        assert_problem(client.post(f"{base}/done", json={}, headers=h["secretary"]), 409,
                       "conflict")
        assert_problem(client.post(f"{base}/progress", json=report, headers=h["secretary"]),
                       409, "conflict")


# --- studios, receptions, matters, the desk --------------------------------------------------

@pytest.fixture
def studio_world(app, monkeypatch):
    world = api_world.build(monkeypatch)
    more = api_world.follow_up(world)
    world.other_secretary = factories.office_holder(world.other, Role.SECRETARY, "外社区秘书")
    world.grid_worker = factories.grid_worker(world.community.grids[0], "网格员")
    db.session.commit()
    return world, more


def _studio_headers(client, world) -> dict:
    return {"resident": auth(token(client, world.residents[1])),
            "other_official": auth(token(client, world.other_secretary)),
            "grid_worker": auth(token(client, world.grid_worker)),
            "representative": auth(token(client, world.representative)),
            "secretary": auth(token(client, world.secretary)),
            "raiser": auth(token(client, world.residents[2])),
            "waiter": auth(token(client, world.residents[3]))}


def test_a_representative_books_sessions(studio_world, client):
    world, _more = studio_world
    h = _studio_headers(client, world)
    day = (clock.to_local(clock.utcnow()) + 3 * DAY).date().isoformat()
    room = world.studio.rooms[0].id
    booking = {"room_id": room, "day": day, "start": "14:00", "end": "16:00", "weeks": 2,
               "focus": "加装电梯"}
    url = f"/api/v1/studios/{world.studio.id}/sessions"
    assert_refused_to_all(client, "POST", url, booking, h, lambda: _rows(StudioSession))
    booked = client.post(url, json=booking, headers=h["representative"])
    assert booked.status_code == 201, booked.get_json()
    sessions = booked.get_json()["sessions"]
    assert len(sessions) == 2 and booked.get_json()["skipped"] == []
    assert sessions[0]["focus"] == "加装电梯" and len(sessions[0]["slots"]) == 6
    assert client.get(f"/api/v1/studio-sessions/{sessions[0]['id']}").status_code == 200
    # The same time again clashes on every date: nothing is booked.
    assert_problem(client.post(url, json=booking, headers=h["representative"]), 409,
                   "conflict")
    assert_problem(client.post(url, json={**booking, "room_id": 999999},
                               headers=h["representative"]), 409, "conflict")
    assert_problem(client.post(url, json={**booking, "start": "9点"},
                               headers=h["representative"]), 422, "validation", "start")


def test_a_reception_is_recorded_and_its_matter_followed_to_the_end(studio_world, client):
    world, more = studio_world
    h = _studio_headers(client, world)
    base = (f"/api/v1/studio-sessions/{more.past_session.id}/reservations/"
            f"{more.waiting.id}")
    record = {"attendance": "attended", "raised": "楼道堆物", "follow_up": "三天内答复"}
    assert_refused_to_all(client, "PUT", f"{base}/record", record, h,
                          lambda: _rows(ReceptionRecord))
    assert_problem(client.put(f"{base}/record", json={"attendance": "attended"},
                              headers=h["representative"]), 422, "validation", "raised")
    recorded = client.put(f"{base}/record", json=record, headers=h["representative"])
    assert recorded.status_code == 200, recorded.get_json()
    assert recorded.get_json()["status"] == "recorded"
    assert _notified(world.residents[3], "studio.recorded") == 1

    status = lambda: db.session.scalar(select(ReceptionRecord.matter_status).where(  # noqa: E731
        ReceptionRecord.reservation_id == more.waiting.id))
    assert_refused_to_all(client, "POST", f"{base}/handling", None, h, status)
    handling = client.post(f"{base}/handling", headers=h["representative"])
    assert handling.status_code == 200 and handling.get_json()["status"] == "handling"
    assert_problem(client.post(f"{base}/handling", headers=h["representative"]), 409,
                   "conflict")

    due = (clock.to_local(clock.utcnow()) + 5 * DAY).date().isoformat()
    assert_refused_to_all(client, "PUT", f"{base}/due", {"due_on": due}, h,
                          lambda: db.session.scalar(select(ReceptionRecord.due_on).where(
                              ReceptionRecord.reservation_id == more.waiting.id)))
    assert_problem(client.put(f"{base}/due", json={"due_on": "2020-01-01"},
                              headers=h["representative"]), 409, "conflict")
    set_due = client.put(f"{base}/due", json={"due_on": due}, headers=h["representative"])
    assert set_due.status_code == 200 and set_due.get_json()["due_on"] == due

    reply = {"answer": "物业已清理楼道。"}
    assert_refused_to_all(client, "POST", f"{base}/answer", reply, h, status)
    answered = client.post(f"{base}/answer", json=reply, headers=h["representative"])
    assert answered.status_code == 200 and answered.get_json()["status"] == "answered"
    assert _notified(world.residents[3], "studio.matter_answered") == 1

    # The resident who raised it reads it and rates it; to anyone else it does not exist.
    mine = client.get("/api/v1/me/reception-matters", headers=h["waiter"]).get_json()["items"]
    assert [(m["reservation_id"], m["answer"]) for m in mine] == [
        (more.waiting.id, "物业已清理楼道。")]
    rating = f"/api/v1/reservations/{more.waiting.id}/rating"
    for who in ("resident", "representative", "raiser"):
        assert_problem(client.put(rating, json={"rating": 4}, headers=h[who]), 404,
                       "not-found")
    assert_problem(client.put(rating, json={"rating": 4}), 401, "unauthenticated")
    assert_problem(client.put(rating, json={"rating": 1}, headers=h["waiter"]), 422,
                   "validation", "reason")
    low = client.put(rating, json={"rating": 1, "reason": "堆物又出现了"}, headers=h["waiter"])
    assert low.status_code == 200, low.get_json()
    assert low.get_json()["status"] == "handling" and low.get_json()["reopened"] is True
    assert _notified(world.representative, "studio.matter_reopened") == 1
    held = client.get("/api/v1/me/studio-matters", headers=h["representative"]).get_json()
    assert {m["reservation_id"]: m["status"] for m in held["items"]} == {
        more.waiting.id: "handling", more.answered.id: "answered"}
    assert client.get("/api/v1/me/studio-matters",
                      headers=h["resident"]).get_json()["items"] == []


def test_the_desk_lists_the_work_with_its_links(studio_world, client):
    world, more = studio_world
    h = _studio_headers(client, world)
    desk = client.get("/api/v1/me/desk", headers=h["secretary"])
    assert desk.status_code == 200, desk.get_json()
    body = desk.get_json()
    objections = [i for i in body["items"] if i["kind"] == "objections"]
    assert [(i["what"], i["api"]) for i in objections] == [
        ("翻修儿童游乐场", f"/api/v1/objections/{more.objection.id}/answer")]
    assert objections[0]["url"] == (f"/topics/{more.publicised.id}"
                                    f"#objection-{more.objection.id}")
    assert objections[0]["deadline"] is not None and objections[0]["overdue"] is False
    assert body["total"] == len(body["items"]) == sum(s["count"] for s in body["sections"])
    assert "receptions" not in {s["kind"] for s in body["sections"]}
    # Every kind of work has its API action but moderation and residency checks, which
    # are done on the site only.
    assert {i["kind"] for i in body["items"] if not i["api"]} <= {"reports", "residencies"}
    review = [i for i in body["items"] if i["kind"] == "review"]
    assert review and all(i["api"].startswith("/api/v1/topics/")
                          and i["api"].endswith("/acceptance") for i in review)

    rep = client.get("/api/v1/me/desk", headers=h["representative"]).get_json()
    receptions = [i for i in rep["items"] if i["kind"] == "receptions"]
    assert [i["api"] for i in receptions] == [
        f"/api/v1/studio-sessions/{more.past_session.id}/reservations/{more.waiting.id}/record"]
    assert receptions[0]["age_days"] >= 0

    for who in ("resident", "grid_worker"):
        assert_problem(client.get("/api/v1/me/desk", headers=h[who]), 403, "forbidden")
    assert_problem(client.get("/api/v1/me/desk"), 401, "unauthenticated")
