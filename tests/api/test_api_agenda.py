"""The secretary's agenda in the API (issue 15): reviewing a proposal, moving its comment
period, scheduling, moving and cancelling a meeting, drafting and publishing minutes, opening a
vote and storing its result; and the reads that drive them. Each write is refused to every
other role, and its success is asserted on what people notice: the topic's stage and timeline,
the audit log, notices, the meeting and minutes pages' data."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from consult import clock
from consult.accounts.models import Role
from consult.audit.models import AuditEntry
from consult.clock import to_local, utcnow
from consult.extensions import db
from consult.halls import service as halls
from consult.halls.models import Meeting
from consult.notifications.models import Notification
from consult.topics import service as topics
from consult.topics.models import Topic
from tests import api_world, factories
from tests.api.test_api import assert_problem
from tests.api_world import auth, token

pytestmark = pytest.mark.usefixtures("english")
DAY = timedelta(days=1)


@pytest.fixture
def w(app, monkeypatch):
    world = api_world.build(monkeypatch)
    world.other_secretary = factories.office_holder(world.other, Role.SECRETARY, "外社区书记")
    world.grid_worker = factories.grid_worker(world.community.grids[0], "网格员")
    world.follower = world.residents[3]
    for t in (world.in_review, world.topic):
        topics.follow(world.follower, t)
    db.session.commit()
    return world


def audit(action: str) -> list[AuditEntry]:
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def notices(user, kind: str) -> list[Notification]:
    return db.session.scalars(select(Notification).where(
        Notification.user_id == user.id, Notification.kind == kind)).all()


def local_day(at) -> str:
    return to_local(at).date().isoformat()


def stage(t) -> str:
    db.session.expire_all()
    return db.session.get(Topic, t.id).stage


# --- every write, and who may not ----------------------------------------------------------------

def writes(w) -> dict[str, tuple[str, str, dict | None]]:
    """Each write of the agenda with a body that would succeed for the secretary."""
    later = local_day(utcnow() + 12 * DAY)
    return {
        "accept": ("POST", f"/api/v1/topics/{w.in_review.id}/acceptance", {"days": 7}),
        "reject": ("POST", f"/api/v1/topics/{w.in_review.id}/rejection", {"reason": "不属于社区事务"}),
        "extend": ("POST", f"/api/v1/topics/{w.topic.id}/comment-period", {
            "action": "extend", "reason": "居民要求",
            "until": (w.topic.comment_until + 2 * DAY).isoformat() + "Z"}),
        "schedule": ("POST", f"/api/v1/communities/{w.community.id}/meetings", {
            "hall": w.hall.id, "title": "加开议事会", "day": later, "start": "19:00",
            "end": "21:00", "topics": [w.to_discuss.id]}),
        "reschedule": ("PUT", f"/api/v1/meetings/{w.upcoming.id}/schedule", {
            "hall": w.hall.id, "title": "改期议事会", "day": later, "start": "14:00",
            "end": "16:00"}),
        "cancel": ("POST", f"/api/v1/meetings/{w.upcoming.id}/cancel", {"reason": "场地维修"}),
        "draft": ("PUT", f"/api/v1/meetings/{w.upcoming.id}/minutes/draft", {"body": "纪要"}),
        "publish": ("POST", f"/api/v1/meetings/{w.upcoming.id}/minutes/publication", None),
        "open vote": ("POST", f"/api/v1/topics/{w.to_vote.id}/votes", {
            "question": "是否更换门禁？", "electorate": "residents", "rule": "simple_majority",
            "scope": f"community:{w.community.id}", "opens_at": utcnow().isoformat() + "Z",
            "closes_at": (utcnow() + 3 * DAY).isoformat() + "Z"}),
        "tally": ("POST", f"/api/v1/votes/{w.vote.id}/tally", None),
    }


ROLES = ("resident", "other_secretary", "grid_worker", "representative")


@pytest.mark.parametrize("name", ["accept", "reject", "extend", "schedule", "reschedule",
                                  "cancel", "draft", "publish", "open vote", "tally"])
def test_every_write_is_refused_to_other_roles_and_without_a_token(w, client, name):
    method, url, body = writes(w)[name]
    kwargs = {"json": body} if body is not None else {}
    assert_problem(client.open(url, method=method, **kwargs), 401, "unauthenticated")
    people = {"resident": w.residents[2], "other_secretary": w.other_secretary,
              "grid_worker": w.grid_worker, "representative": w.representative}
    for role in ROLES:
        h = auth(token(client, people[role]))
        refused = assert_problem(client.open(url, method=method, headers=h, **kwargs), 403,
                                 "forbidden")
        assert refused["code"] == "forbidden", role
    # Nothing happened: no stage moved, no meeting changed, nothing in the audit log.
    assert (stage(w.in_review), stage(w.topic), stage(w.to_vote)) == (
        "in_review", "commenting", "deliberating")
    upcoming = db.session.get(Meeting, w.upcoming.id)
    assert upcoming.title == "下月议事会" and upcoming.cancelled_at is None
    assert db.session.scalar(select(Meeting.id).where(Meeting.title == "加开议事会")) is None
    assert [e.action for e in db.session.scalars(select(AuditEntry)).all()
            if e.actor_id in {p.id for p in people.values()}] == ["api.token_create"] * 4


# --- reviewing a proposal ------------------------------------------------------------------------

def test_the_secretary_accepts_a_proposal(w, client):
    h = auth(token(client, w.secretary))
    url = f"/api/v1/topics/{w.in_review.id}/acceptance"
    assert_problem(client.post(url, json={"days": 2}, headers=h), 422, "validation", "days")
    done = client.post(url, json={"days": 10}, headers=h)
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    assert body["stage"] == "commenting" and body["timeline"][-1]["transition"] == "accept"
    assert body["timeline"][-1]["actor"]["name"] == "秘书"
    assert stage(w.in_review) == "commenting"
    topic = db.session.get(Topic, w.in_review.id)
    assert topic.comment_until - utcnow() > 9 * DAY
    assert [e.details["to"] for e in audit("topic.accept")] == ["commenting"]
    assert len(notices(w.follower, "topic.accept")) == 1
    again = assert_problem(client.post(url, json={"days": 10}, headers=h), 409, "conflict")
    assert "stage" in again["detail"]


def test_the_secretary_rejects_a_proposal_with_a_public_reason(w, client):
    h = auth(token(client, w.secretary))
    url = f"/api/v1/topics/{w.in_review.id}/rejection"
    assert_problem(client.post(url, json={"reason": "   "}, headers=h), 422, "validation",
                   "reason")
    assert_problem(client.post(url, json={}, headers=h), 422, "validation", "reason")
    done = client.post(url, json={"reason": "属于物业合同事项"}, headers=h)
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    assert body["stage"] == "rejected" and body["closing_reason"] == "属于物业合同事项"
    assert body["timeline"][-1]["note"] == "属于物业合同事项"
    assert audit("topic.reject")[0].details["reason"] == "属于物业合同事项"
    [notice] = notices(w.follower, "topic.reject")
    assert notice.params["note"] == "属于物业合同事项"
    public = client.get(f"/api/v1/topics/{w.in_review.id}").get_json()
    assert public["stage"] == "rejected"


# --- the comment period --------------------------------------------------------------------------

def test_closing_early_and_extending_the_comment_period(w, client):
    h = auth(token(client, w.secretary))
    url = f"/api/v1/topics/{w.topic.id}/comment-period"
    end = w.topic.comment_until
    # Too soon to close (the world's topic opened just now): the state, not the request.
    too_soon = assert_problem(client.post(url, json={"action": "close", "reason": "意见已充分"},
                                          headers=h), 409, "conflict", "reason")
    assert "at least 3 days" in too_soon["detail"]
    assert_problem(client.post(url, json={"action": "extend", "reason": "居民要求"}, headers=h),
                   422, "validation", "until")
    assert_problem(client.post(url, json={"action": "extend", "reason": "居民要求",
                                          "until": (end + 40 * DAY).isoformat() + "Z"},
                               headers=h), 409, "conflict", "until")
    assert_problem(client.post(url, json={"action": "shorten", "reason": "x"}, headers=h),
                   422, "validation", "action")
    longer = client.post(url, json={"action": "extend", "reason": "居民要求延长",
                                    "until": (end + 3 * DAY).isoformat() + "Z"}, headers=h)
    assert longer.status_code == 200, longer.get_json()
    assert longer.get_json()["comment_until"].startswith((end + 3 * DAY).date().isoformat())
    assert longer.get_json()["timeline"][-1]["note"] == "居民要求延长"
    assert audit("topic.extend_comments")[0].details["reason"] == "居民要求延长"
    assert len(notices(w.follower, "topic.extend_comments")) == 1
    with clock.frozen(utcnow() + 4 * DAY):
        h = auth(token(client, w.secretary))
        closed = client.post(url, json={"action": "close", "reason": "意见已充分"}, headers=h)
        assert closed.status_code == 200, closed.get_json()
        assert closed.get_json()["timeline"][-1]["transition"] == "close_comments"
        assert db.session.get(Topic, w.topic.id).comment_until == clock.utcnow()
    assert len(notices(w.follower, "topic.close_comments")) == 1


# --- meetings ------------------------------------------------------------------------------------

def test_the_reads_that_drive_scheduling(w, client):
    halls_ = client.get(f"/api/v1/communities/{w.community.id}/halls").get_json()
    assert [h["name"] for h in halls_["items"]] == ["居民议事厅"] and halls_["total"] == 1
    found = client.get(f"/api/v1/communities/{w.community.id}/agenda-candidates").get_json()
    by_id = {t["id"]: t for t in found["items"]}
    assert set(by_id) == {w.topic.id, w.to_vote.id, w.to_discuss.id}  # not the others
    assert by_id[w.topic.id]["comments_open"] is True
    assert by_id[w.to_discuss.id]["comments_open"] is False
    assert_problem(client.get("/api/v1/communities/999999/halls"), 404, "not-found")
    assert_problem(client.get("/api/v1/communities/999999/agenda-candidates"), 404,
                   "not-found")


def test_the_candidates_and_halls_take_the_same_queries_however_many(w, client, count_queries):
    url = f"/api/v1/communities/{w.community.id}/agenda-candidates"
    db.session.expire_all()  # as in a request of its own
    with count_queries() as few:
        assert client.get(url).status_code == 200
        assert client.get(f"/api/v1/communities/{w.community.id}/halls").status_code == 200
    for i in range(15):
        factories.topic(w.community, w.residents[0], title=f"议题{i}号",
                        stage="commenting" if i % 2 else "deliberating")
        factories.hall(w.community, f"第{i}议事厅")
    db.session.commit()
    with count_queries() as many:
        assert len(client.get(url).get_json()["items"]) == 18
        assert client.get(f"/api/v1/communities/{w.community.id}/halls").get_json()["total"] \
            == 16
    assert many.count == few.count


def test_scheduling_a_meeting_with_its_agenda(w, client):
    h = auth(token(client, w.secretary))
    url = f"/api/v1/communities/{w.community.id}/meetings"
    later = local_day(utcnow() + 12 * DAY)
    good = {"hall": w.hall.id, "title": "加开议事会", "day": later, "start": "19:00",
            "end": "21:00", "topics": [w.topic.id, w.to_discuss.id]}
    assert_problem(client.post(url, json={**good, "end": "18:00"}, headers=h), 422,
                   "validation", "end")
    assert_problem(client.post(url, json={**good, "day": "2020-01-01"}, headers=h), 409,
                   "conflict", "day")
    assert_problem(client.post(url, json={**good, "day": "0001-01-01"}, headers=h), 409,
                   "conflict", "day")
    other_hall = factories.hall(w.other, "外社区议事厅")
    db.session.commit()
    assert_problem(client.post(url, json={**good, "hall": other_hall.id}, headers=h), 409,
                   "conflict", "hall")
    assert_problem(client.post(url, json={**good, "topics": [w.in_review.id]}, headers=h), 409,
                   "conflict", "topics")
    early = local_day(utcnow() + 3 * DAY)  # before the world's topic stops taking comments
    refused = assert_problem(client.post(url, json={**good, "day": early}, headers=h), 409,
                             "conflict", "topics")
    assert "its comment period runs until" in refused["detail"]
    done = client.post(url, json=good, headers=h)
    assert done.status_code == 201, done.get_json()
    body = done.get_json()
    assert body["title"] == "加开议事会" and body["hall"]["id"] == w.hall.id
    assert [a["topic"]["id"] for a in body["agenda"]] == [w.topic.id, w.to_discuss.id]
    assert body["starts_at"].endswith("T11:00:00Z")  # 19:00 in Shanghai
    assert client.get(f"/api/v1/meetings/{body['id']}").get_json()["agenda"] == body["agenda"]
    assert audit("meeting.schedule")[0].details["topics"] == [w.topic.id, w.to_discuss.id]
    clash = assert_problem(client.post(url, json=good, headers=h), 409, "conflict", "start")
    assert "加开议事会" in clash["detail"]


def test_moving_and_cancelling_a_meeting_tells_the_registered(w, client):
    resident = w.residents[2]
    halls.register(resident, w.upcoming)
    db.session.commit()
    h = auth(token(client, w.secretary))
    url = f"/api/v1/meetings/{w.upcoming.id}/schedule"
    later = local_day(utcnow() + 12 * DAY)
    moved = client.put(url, json={"hall": w.hall.id, "title": "改期议事会", "day": later,
                                  "start": "14:00", "end": "16:00"}, headers=h)
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["title"] == "改期议事会"
    assert moved.get_json()["starts_at"].endswith("T06:00:00Z")
    assert len(notices(resident, "meeting.rescheduled")) == 1
    assert audit("meeting.reschedule")[0].details["title"] == "改期议事会"
    cancel = f"/api/v1/meetings/{w.upcoming.id}/cancel"
    assert_problem(client.post(cancel, json={"reason": "  "}, headers=h), 422, "validation",
                   "reason")
    done = client.post(cancel, json={"reason": "场地维修"}, headers=h)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["cancelled"] is True and done.get_json()["cancel_reason"] == "场地维修"
    [notice] = notices(resident, "meeting.cancelled")
    assert notice.params["reason"] == "场地维修"
    assert_problem(client.post(cancel, json={"reason": "再取消"}, headers=h), 409, "conflict")
    assert_problem(client.put(url, json={"hall": w.hall.id, "title": "再改", "day": later,
                                         "start": "14:00", "end": "16:00"}, headers=h),
                   409, "conflict")


def test_a_meeting_may_not_move_before_an_agenda_topics_comments_close(w, client):
    """The check the web form has too (tests/topics/test_timing.py): an agenda topic's
    comments must close by the time the meeting starts."""
    h = auth(token(client, w.secretary))
    made = client.post(f"/api/v1/communities/{w.community.id}/meetings", headers=h, json={
        "hall": w.hall.id, "title": "扶手议事会", "day": local_day(utcnow() + 12 * DAY),
        "start": "19:00", "end": "21:00", "topics": [w.topic.id]}).get_json()
    url = f"/api/v1/meetings/{made['id']}/schedule"
    early = {"hall": w.hall.id, "title": "扶手议事会", "day": local_day(utcnow() + 3 * DAY),
             "start": "19:00", "end": "21:00"}
    refused = assert_problem(client.put(url, json=early, headers=h), 409, "conflict", "day")
    assert "its comment period runs until" in refused["detail"]
    assert client.get(f"/api/v1/meetings/{made['id']}").get_json()["starts_at"] == \
        made["starts_at"]
    fine = client.put(url, json={**early, "day": local_day(utcnow() + 9 * DAY)}, headers=h)
    assert fine.status_code == 200, fine.get_json()


# --- minutes -------------------------------------------------------------------------------------

def test_the_draft_is_the_offices_and_saves_resolutions(w, client):
    h = auth(token(client, w.secretary))
    url = f"/api/v1/meetings/{w.upcoming.id}/minutes/draft"
    assert_problem(client.get(url), 401, "unauthenticated")
    assert_problem(client.get(url, headers=auth(token(client, w.residents[2]))), 403,
                   "forbidden")
    draft = client.get(url, headers=h).get_json()
    assert draft["revision"] == 1 and draft["body"] == "草稿"
    assert draft["problems"] and "规范电动车停放" in draft["problems"][0]
    assert_problem(client.get(f"/api/v1/meetings/{w.meeting.id}/minutes/draft", headers=h),
                   404, "not-found")  # published, no draft
    stranger = {"topic_id": w.in_review.id, "kind": "no_action", "reason": "不议"}
    assert_problem(client.put(url, json={"resolutions": [stranger]}, headers=h), 409,
                   "conflict")
    assert_problem(client.put(url, json={"present_count": 3, "residents_count": 5},
                              headers=h), 422, "validation", "residents_count")
    assert_problem(client.put(url, json={"resolutions": [{"topic_id": w.to_discuss.id,
                                                          "kind": "adjourn"}]}, headers=h),
                   422, "validation", "resolutions")
    saved = client.put(url, headers=h, json={
        "present_count": 20, "residents_count": 15, "officials_present": "王代表",
        "body": "## 讨论\n- 电动车", "resolutions": [{
            "topic_id": w.to_discuss.id, "kind": "vote", "summary": "同意表决",
            "question": "是否划定停放区？", "options": ["同意", "不同意"]}]})
    assert saved.status_code == 200, saved.get_json()
    body = saved.get_json()
    assert body["problems"] == [] and "<h2>" in body["body_html"]
    assert body["resolutions"] == [{
        "topic_id": w.to_discuss.id, "topic_title": "规范电动车停放", "kind": "vote",
        "summary": "同意表决", "question": "是否划定停放区？", "options": ["同意", "不同意"],
        "reason": None, "comment_days": None}]
    assert client.get(url, headers=h).get_json() == body
    assert audit("minutes.save_draft")[0].details["meeting_id"] == w.upcoming.id
    # Not public yet, and the meeting has not begun: nothing to publish.
    assert_problem(client.get(f"/api/v1/meetings/{w.upcoming.id}/minutes"), 404, "not-found")
    early = assert_problem(client.post(f"/api/v1/meetings/{w.upcoming.id}/minutes/publication",
                                       headers=h), 409, "conflict")
    assert "begun" in early["detail"]


def test_publishing_minutes_moves_the_topics_as_resolved(w, client):
    back = factories.topic(w.community, w.residents[0], title="楼顶防水", stage="deliberating")
    close = factories.topic(w.community, w.residents[0], title="增加路灯", stage="deliberating")
    past = factories.meeting(w.hall, utcnow().replace(microsecond=0) - DAY,
                             title="上周议事会", topics=[back, close])
    topics.follow(w.follower, close)
    db.session.commit()
    h = auth(token(client, w.secretary))
    draft = f"/api/v1/meetings/{past.id}/minutes/draft"
    publish = f"/api/v1/meetings/{past.id}/minutes/publication"
    assert_problem(client.post(publish, headers=h), 409, "conflict")  # no draft
    half = client.put(draft, headers=h, json={"present_count": 9, "residents_count": 7,
                                              "resolutions": [{"topic_id": back.id,
                                                               "kind": "send_back"}]})
    assert half.status_code == 200 and len(half.get_json()["problems"]) == 1
    incomplete = assert_problem(client.post(publish, headers=h), 409, "conflict",
                                "resolutions")
    assert "增加路灯" in incomplete["detail"]
    client.put(draft, headers=h, json={"present_count": 9, "residents_count": 7, "resolutions": [
        {"topic_id": back.id, "kind": "send_back", "comment_days": 5},
        {"topic_id": close.id, "kind": "no_action", "reason": "已由街道统一安排"}]})
    done = client.post(publish, headers=h)
    assert done.status_code == 201, done.get_json()
    assert [r["kind"] for r in done.get_json()["resolutions"]] == ["send_back", "no_action"]
    assert client.get(f"/api/v1/meetings/{past.id}/minutes").get_json()["revision"] == 1
    assert (stage(back), stage(close)) == ("commenting", "closed")
    assert audit("minutes.publish")[0].details["meeting_id"] == past.id
    assert len(notices(w.follower, "topic.close_no_action")) == 1
    assert_problem(client.put(draft, headers=h, json={"body": "改"}), 409, "conflict")


# --- votes ---------------------------------------------------------------------------------------

def test_opening_a_vote_on_a_topic_resolved_to_a_vote(w, client):
    h = auth(token(client, w.secretary))
    url = f"/api/v1/topics/{w.to_vote.id}/votes"
    now = utcnow()
    spec = {"question": "是否更换门禁？", "electorate": "residents", "rule": "simple_majority",
            "scope": f"community:{w.community.id}", "opens_at": now.isoformat() + "Z",
            "closes_at": (now + 3 * DAY).isoformat() + "Z"}
    assert_problem(client.post(url, json={**spec, "rule": "civil_code_ordinary"}, headers=h),
                   409, "conflict", "rule")
    assert_problem(client.post(url, json={**spec, "closes_at": spec["opens_at"]}, headers=h),
                   409, "conflict", "closes_at")
    assert_problem(client.post(url, json={**spec, "options": ["甲", "甲"]}, headers=h),
                   422, "validation", "options")
    assert_problem(client.post(url, json={**spec, "scope": "community:999999"}, headers=h),
                   409, "conflict", "scope")
    assert_problem(client.post(url, json={**spec, "question": " "}, headers=h), 422,
                   "validation", "question")
    opened = client.post(url, json={**spec, "options": ["换新门禁", "维修旧门禁"]}, headers=h)
    assert opened.status_code == 201, opened.get_json()
    vote = opened.get_json()
    assert vote["topic_id"] == w.to_vote.id and vote["options"] == ["换新门禁", "维修旧门禁"]
    # Being prepared when it is answered; the freeze job runs after the commit (inline in
    # the tests, JOBS_INLINE="now"; a background worker otherwise).
    assert vote["status"] == "open" and vote["ready"] is False
    ready = client.get(f"/api/v1/votes/{vote['id']}").get_json()
    assert ready["ready"] is True and ready["electorate_size"] == 5  # the verified residents
    assert stage(w.to_vote) == "voting"
    topic = client.get(f"/api/v1/topics/{w.to_vote.id}").get_json()
    assert topic["vote_id"] == vote["id"] and topic["timeline"][-1]["transition"] == "open_vote"
    assert [n.params["vote_id"] for n in notices(w.residents[2], "vote.opened")] == [
        w.vote.id, vote["id"]]  # the world's vote, then this one
    assert_problem(client.post(url, json=spec, headers=h), 409, "conflict")  # already voting


def test_a_vote_ends_at_its_time_and_its_result_can_be_stored_then(w, client):
    h = auth(token(client, w.secretary))
    url = f"/api/v1/votes/{w.vote.id}/tally"
    client.post(f"/api/v1/votes/{w.vote.id}/ballots", json={"option": "agree"},
                headers=auth(token(client, w.residents[2])))
    early = assert_problem(client.post(url, headers=h), 409, "conflict")
    assert "cannot be closed earlier" in early["detail"]
    with clock.frozen(w.vote.closes_at + timedelta(minutes=1)):
        done = client.post(url, headers=h)
        assert done.status_code == 200, done.get_json()
        assert done.get_json()["status"] == "closed"
        assert done.get_json()["result"]["votes"]["agree"] == 1
        assert len(audit("vote.close")) == 1
        assert client.post(url, headers=h).status_code == 200  # stored once
    assert len(audit("vote.close")) == 1


def test_a_cancelled_vote_has_nothing_to_tally(w, client):
    h = auth(token(client, w.secretary))
    cancelled = client.post(f"/api/v1/votes/{w.vote.id}/cancel", headers=h,
                            json={"reason": "选项表述有误，需要重新表决"})
    assert cancelled.status_code == 200
    with clock.frozen(w.vote.closes_at + DAY):
        assert_problem(client.post(f"/api/v1/votes/{w.vote.id}/tally",
                                   headers=auth(token(client, w.secretary))), 409, "conflict")
