"""The JSON API (issue 8): tokens, problem documents, pagination, ETags, rate limits, the
OpenAPI document, public reads and resident writes, with their refusals."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consult import clock
from consult.api.models import ApiToken, hash_token
from consult.clock import utcnow
from consult.extensions import db
from consult.topics.models import Cosignature, Topic
from consult.votes.models import Ballot
from tests import api_world, factories
from tests.api_world import auth, token

pytestmark = pytest.mark.usefixtures("english")
PROBLEM = "application/problem+json"


@pytest.fixture
def w(app, monkeypatch):
    return api_world.build(monkeypatch)


def assert_problem(response, status: int, kind: str, field: str | None = None):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["type"] == f"https://consult.example/problems/{kind}"
    assert body["status"] == status and body["title"] and body["detail"]
    if field is not None:
        assert body["field"] == field
    return body


# --- the document ----------------------------------------------------------------------------

def test_every_api_route_is_in_the_openapi_document(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((path, method))
    assert routes - documented == set(), \
        "declare these with bp.get/post/put/delete of consult/api/core.py, not bp.route"
    assert documented - routes == set(), "the document describes routes that do not exist"


def test_the_docs_page_is_rendered_on_the_server_without_scripts(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "POST /api/v1/tokens" in html and "/api/v1/topics/{topic_id}" in html
    assert "<script" not in html.split("</header>", 1)[1].split("<footer", 1)[0]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]


# --- tokens ----------------------------------------------------------------------------------

def test_a_token_by_email_or_phone_is_returned_once_and_stored_hashed(w, client):
    user = w.residents[2]
    by_email = client.post("/api/v1/tokens", json={"identifier": user.email,
                                                   "password": factories.PASSWORD,
                                                   "name": "我的手机"})
    assert by_email.status_code == 201
    body = by_email.get_json()
    assert body["token_type"] == "Bearer" and body["name"] == "我的手机"
    assert by_email.headers["Cache-Control"] == "no-store"
    row = db.session.get(ApiToken, body["id"])
    assert row.token_hash == hash_token(body["token"]) and body["token"] not in row.token_hash
    assert row.expires_at - row.created_at == timedelta(days=90)
    by_phone = client.post("/api/v1/tokens", json={"identifier": user.phone,
                                                   "password": factories.PASSWORD})
    assert by_phone.status_code == 201
    me = client.get("/api/v1/me", headers=auth(by_phone.get_json()["token"])).get_json()
    assert me["id"] == user.id and me["verified"] is True
    assert "email" not in me and "phone" not in me
    assert f"community:{w.community.id}" in {s["key"] for s in me["scopes"]}


def test_wrong_credentials_and_bad_bodies_are_refused(w, client):
    wrong = client.post("/api/v1/tokens", json={"identifier": w.residents[0].email,
                                                "password": "nope"})
    assert_problem(wrong, 401, "unauthenticated")
    assert wrong.headers["WWW-Authenticate"].startswith("Bearer")
    assert_problem(client.post("/api/v1/tokens", json={"password": "x"}), 422, "validation",
                   "identifier")
    assert_problem(client.post("/api/v1/tokens", data="identifier=x"), 415,
                   "unsupported-media-type")
    assert_problem(client.post("/api/v1/tokens", json=[1]), 422, "validation")


@pytest.mark.parametrize("state", ["missing", "garbage", "revoked", "expired", "scheme"])
def test_writes_need_a_valid_token(w, client, state):
    raw = token(client, w.residents[2])
    headers = {
        "missing": {}, "garbage": auth("cst_not-a-token"), "revoked": auth(raw),
        "expired": auth(raw), "scheme": {"Authorization": f"Basic {raw}"},
    }[state]
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    if state == "revoked":
        row.revoked_at = utcnow()
    if state == "expired":
        row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = client.post(f"/api/v1/topics/{w.topic.id}/comments", json={"body": "好"},
                           headers=headers)
    assert_problem(response, 401, "unauthenticated")
    assert db.session.scalar(select(func.count()).select_from(Topic)
                             .where(Topic.comment_count > 1)) == 0


def test_a_session_cookie_alone_does_not_authenticate_the_api(w, client, login):
    login(w.residents[2])
    assert client.get("/topics").status_code == 200  # logged in on the web
    assert_problem(client.post(f"/api/v1/topics/{w.topic.id}/comments", json={"body": "好"}),
                   401, "unauthenticated")
    assert_problem(client.get("/api/v1/me"), 401, "unauthenticated")


def test_logging_out_revokes_the_token(w, client):
    raw = token(client, w.residents[2])
    assert client.delete("/api/v1/tokens/current", headers=auth(raw)).status_code == 204
    assert_problem(client.get("/api/v1/me", headers=auth(raw)), 401, "unauthenticated")
    # A revoked token is refused even on public reads, rather than silently ignored.
    assert_problem(client.get("/api/v1/topics", headers=auth(raw)), 401, "unauthenticated")


def test_my_devices_lists_and_revokes_tokens(w, client, login, app):
    raw = token(client, w.residents[2], "客厅平板")
    other = token(client, w.residents[3], "别人的手机")
    login(w.residents[2])
    page = client.get("/me/devices")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "客厅平板" in html and "别人的手机" not in html
    assert 'href="/me/devices"' in client.get("/").get_data(as_text=True)  # in the nav
    mine = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    theirs = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(other)))
    assert client.post(f"/me/devices/{theirs.id}/revoke").status_code == 404
    assert client.post(f"/me/devices/{mine.id}/revoke").status_code == 302
    assert_problem(client.get("/api/v1/me", headers=auth(raw)), 401, "unauthenticated")
    assert client.get("/api/v1/me", headers=auth(other)).status_code == 200
    client.application.config["WTF_CSRF_ENABLED"] = True  # the form is CSRF-protected
    assert client.post(f"/me/devices/{theirs.id}/revoke").status_code in (400, 404)


def test_my_devices_needs_a_login(client):
    assert client.get("/me/devices").status_code == 302


# --- errors, pagination, caching --------------------------------------------------------------

def test_unknown_addresses_and_methods_answer_problems(client):
    assert_problem(client.get("/api/v1/nothing-here"), 404, "not-found")
    assert_problem(client.get("/api/v1/topics/999999"), 404, "not-found")
    assert_problem(client.get("/api/v1/topics/99999999999999"), 404, "not-found")
    assert_problem(client.patch("/api/v1/topics"), 405, "method-not-allowed")


def test_topics_are_filtered_and_paged_with_a_total(w, client):
    for i in range(4):
        factories.topic(w.community, w.residents[0], title=f"停车位规划第{i}期",
                        category="parking", stage="proposed")
    db.session.commit()
    first = client.get("/api/v1/topics?category=parking&per_page=3").get_json()
    assert first["total"] == 4 and len(first["items"]) == 3 and first["per_page"] == 3
    second = client.get("/api/v1/topics?category=parking&per_page=3&page=2").get_json()
    assert len(second["items"]) == 1
    assert client.get("/api/v1/topics?category=parking&per_page=3&page=9").get_json()[
        "items"] == []
    stage = client.get("/api/v1/topics?stage=commenting").get_json()
    assert [t["id"] for t in stage["items"]] == [w.topic.id]
    listed = {t["title"] for t in client.get("/api/v1/topics?per_page=100").get_json()["items"]}
    assert "秘密草稿不外传" not in listed  # drafts never leak
    assert client.get(f"/api/v1/topics?community={w.other.id}").get_json()["total"] == 0
    assert_problem(client.get("/api/v1/topics?per_page=101"), 422, "validation", "per_page")
    assert_problem(client.get("/api/v1/topics?stage=draft"), 422, "validation", "stage")
    assert_problem(client.get("/api/v1/topics?area=evil"), 422, "validation", "area")


def test_public_reads_carry_an_etag_and_answer_304(w, client):
    first = client.get(f"/api/v1/topics/{w.topic.id}")
    etag = first.headers["ETag"]
    again = client.get(f"/api/v1/topics/{w.topic.id}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    w.topic.title = "楼道加装扶手（修订）"
    db.session.commit()
    changed = client.get(f"/api/v1/topics/{w.topic.id}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


# --- public reads -----------------------------------------------------------------------------

def test_a_topic_with_its_timeline_and_no_personal_data(w, client):
    body = client.get(f"/api/v1/topics/{w.topic.id}").get_json()
    assert body["title"] == "楼道加装扶手" and body["proposer"]["name"] == "居民0"
    assert body["comment_until"].endswith("Z")
    text = client.get(f"/api/v1/topics/{w.topic.id}").get_data(as_text=True)
    for person in w.residents:
        assert person.email not in text and person.phone not in text
    assert_problem(client.get(f"/api/v1/topics/{w.draft.id}"), 404, "not-found")
    # The proposer sees their own draft.
    raw = token(client, w.residents[0])
    assert client.get(f"/api/v1/topics/{w.draft.id}", headers=auth(raw)).status_code == 200


def test_comments_with_reaction_counts_and_hidden_text_withheld(w, client):
    w.comment.agree_count = 3
    from consult.topics.models import Comment

    secret = Comment(topic_id=w.topic.id, author_id=w.residents[2].id, body="不当言论",
                     created_at=utcnow(), hidden_at=utcnow(), hidden_reason="人身攻击")
    db.session.add(secret)
    db.session.commit()
    body = client.get(f"/api/v1/topics/{w.topic.id}/comments?sort=oldest").get_json()
    assert body["total"] == 2
    first, second = body["items"]
    assert first["reactions"] == {"agree": 3, "disagree": 0, "pass": 0}
    assert second["state"] == "hidden" and second["body"] is None
    assert second["hidden_reason"] == "人身攻击"
    assert "不当言论" not in client.get(f"/api/v1/topics/{w.topic.id}/comments").get_data(
        as_text=True)


def test_meetings_and_minutes(w, client):
    past = client.get(f"/api/v1/communities/{w.community.id}/meetings?when=past").get_json()
    assert past["total"] == 1 and past["items"][0]["minutes_published"] is True
    meeting = client.get(f"/api/v1/meetings/{w.meeting.id}").get_json()
    assert meeting["agenda"][0]["topic"]["id"] == w.voting_topic.id
    minutes = client.get(f"/api/v1/meetings/{w.meeting.id}/minutes").get_json()
    assert minutes["present_count"] == 12
    assert minutes["resolutions"][0]["options"] == ["agree", "oppose", "abstain"]
    hall = w.meeting.hall
    unpublished = factories.meeting(hall, utcnow().replace(microsecond=0) + timedelta(days=5))
    db.session.commit()
    assert_problem(client.get(f"/api/v1/meetings/{unpublished.id}/minutes"), 404, "not-found")
    assert_problem(client.get("/api/v1/communities/999/meetings"), 404, "not-found")


def test_a_vote_shows_turnout_while_open_and_result_and_ballots_after(w, client):
    raw = token(client, w.residents[2])
    cast = client.post(f"/api/v1/votes/{w.vote.id}/ballots", json={"option": "agree"},
                       headers=auth(raw))
    tracker = cast.get_json()["receipts"][0]["tracker"]
    open_ = client.get(f"/api/v1/votes/{w.vote.id}").get_json()
    assert open_["status"] == "open" and open_["turnout"] == 1 and open_["result"] is None
    assert_problem(client.get(f"/api/v1/votes/{w.vote.id}/ballots"), 409, "conflict")
    with clock.frozen(utcnow() + timedelta(days=2)):
        closed = client.get(f"/api/v1/votes/{w.vote.id}").get_json()
        ballots = client.get(f"/api/v1/votes/{w.vote.id}/ballots").get_json()
    assert closed["status"] == "closed" and closed["result"]["votes"]["agree"] == 1
    assert ballots["total"] == 1 and ballots["items"][0]["tracker"] == tracker


def test_secret_ballots_list_no_units(w, client):
    w.vote.secret = True
    db.session.commit()
    raw = token(client, w.residents[2])
    client.post(f"/api/v1/votes/{w.vote.id}/ballots", json={"option": "oppose"},
                headers=auth(raw))
    with clock.frozen(utcnow() + timedelta(days=2)):
        items = client.get(f"/api/v1/votes/{w.vote.id}/ballots").get_json()["items"]
    assert items and all("units" not in row for row in items)


def test_studios_representatives_and_sessions_with_free_slots(w, client):
    studios = client.get("/api/v1/studios").get_json()
    assert studios["items"][0]["representatives"][0]["name"] == "王代表"
    studio = client.get(f"/api/v1/studios/{w.studio.id}").get_json()
    assert studio["rooms"] and len(studio["hours"]) == 7
    sessions = client.get(f"/api/v1/studios/{w.studio.id}/sessions").get_json()
    assert sessions["total"] == 1 and sessions["items"][0]["free_slots"] == 6
    rep = client.get(f"/api/v1/communities/{w.community.id}/representatives/"
                     f"{w.representative.id}").get_json()
    assert rep["body"] == "district_pc" and rep["studios"][0]["id"] == w.studio.id
    assert "email" not in rep and "phone" not in rep
    rep_sessions = client.get(f"/api/v1/communities/{w.community.id}/representatives/"
                              f"{w.representative.id}/sessions").get_json()
    assert rep_sessions["total"] == 1
    assert_problem(client.get(f"/api/v1/studios/{w.studio.id}/sessions?from=yesterday"), 422,
                   "validation", "from")
    assert_problem(client.get(f"/api/v1/communities/{w.community.id}/representatives/"
                              f"{w.residents[0].id}"), 404, "not-found")


# --- resident writes --------------------------------------------------------------------------

def propose_body(w, **changes):
    return {"title": "小区停车难问题", "description": "车位不够，晚上乱停。",
            "category": "parking", "scope": f"community:{w.community.id}", **changes}


def test_propose_and_its_refusals(w, client):
    raw = token(client, w.residents[2])
    made = client.post("/api/v1/topics", json=propose_body(w), headers=auth(raw))
    assert made.status_code == 201 and made.get_json()["stage"] == "proposed"
    draft = client.post("/api/v1/topics", json=propose_body(w, submit=False), headers=auth(raw))
    assert draft.get_json()["stage"] == "draft"
    assert_problem(client.post("/api/v1/topics", json=propose_body(w, title="短"),
                               headers=auth(raw)), 422, "validation", "title")
    assert_problem(client.post("/api/v1/topics", json=propose_body(w, scope="my street"),
                               headers=auth(raw)), 422, "validation", "scope")
    # Well formed, but not where this resident lives: the document cannot know (see
    # consult/api/core.py's refused_as).
    assert_problem(client.post("/api/v1/topics", json=propose_body(
        w, scope=f"community:{w.other.id}"), headers=auth(raw)), 403, "forbidden", "scope")
    pending = token(client, w.pending)
    body = assert_problem(client.post("/api/v1/topics", json=propose_body(w),
                                      headers=auth(pending)), 403, "forbidden")
    assert body["code"] == "not_verified"
    assert_problem(client.post("/api/v1/topics", json=propose_body(w)), 401, "unauthenticated")


def test_cosigning_until_review_and_its_refusals(w, client):
    proposal = factories.topic(w.community, w.residents[0], title="增设快递柜",
                               stage="proposed")
    db.session.commit()
    url = f"/api/v1/topics/{proposal.id}/cosignatures"
    outsider = token(client, w.outsider)
    assert_problem(client.post(url, headers=auth(outsider)), 403, "forbidden")
    proposer = token(client, w.residents[0])
    assert_problem(client.post(url, headers=auth(proposer)), 409, "conflict")
    one = token(client, w.residents[1])
    first = client.post(url, headers=auth(one))
    assert first.status_code == 201 and first.get_json()["cosign_count"] == 1
    assert_problem(client.post(url, headers=auth(one)), 409, "conflict")
    assert client.delete(url + "/mine", headers=auth(one)).status_code == 204
    client.post(url, headers=auth(one))
    second = client.post(url, headers=auth(token(client, w.residents[2]))).get_json()
    assert second["sent_to_review"] is True and second["stage"] == "in_review"
    assert db.session.scalar(select(func.count()).select_from(Cosignature)
                             .where(Cosignature.topic_id == proposal.id)) == 2


def test_comment_reply_and_react(w, client):
    raw = token(client, w.residents[2])
    made = client.post(f"/api/v1/topics/{w.topic.id}/comments", json={"body": "同意加装"},
                       headers=auth(raw))
    assert made.status_code == 201 and made.get_json()["author"]["name"] == "居民2"
    reply = client.post(f"/api/v1/comments/{w.comment.id}/replies", json={"body": "我也是"},
                        headers=auth(raw))
    assert reply.status_code == 201 and reply.get_json()["parent_id"] == w.comment.id
    reacted = client.put(f"/api/v1/comments/{w.comment.id}/reaction", json={"value": "agree"},
                         headers=auth(raw)).get_json()
    assert reacted["reactions"]["agree"] == 1 and reacted["my_reaction"] == "agree"
    back = client.put(f"/api/v1/comments/{w.comment.id}/reaction", json={"value": "none"},
                      headers=auth(raw)).get_json()
    assert back["reactions"]["agree"] == 0 and back["my_reaction"] is None
    assert_problem(client.put(f"/api/v1/comments/{w.comment.id}/reaction",
                              json={"value": "love"}, headers=auth(raw)), 422, "validation",
                   "value")
    own = made.get_json()["id"]
    assert_problem(client.put(f"/api/v1/comments/{own}/reaction", json={"value": "agree"},
                              headers=auth(raw)), 409, "conflict")
    assert_problem(client.post(f"/api/v1/topics/{w.topic.id}/comments", json={"body": " "},
                               headers=auth(raw)), 422, "validation", "body")
    outsider = token(client, w.outsider)
    assert_problem(client.post(f"/api/v1/topics/{w.topic.id}/comments", json={"body": "外"},
                               headers=auth(outsider)), 403, "forbidden")
    # Comments closed: not the time for it.
    assert_problem(client.post(f"/api/v1/topics/{w.voting_topic.id}/comments",
                               json={"body": "晚了"}, headers=auth(raw)), 409, "conflict")


def test_casting_and_changing_a_ballot_returns_receipts(w, client):
    raw = token(client, w.residents[2])
    url = f"/api/v1/votes/{w.vote.id}/ballots"
    first = client.post(url, json={"option": "agree"}, headers=auth(raw))
    assert first.status_code == 201 and re.fullmatch(r"\w{4}-\w{4}",
                                                      first.get_json()["receipts"][0]["tracker"])
    second = client.post(url, json={"option": "oppose"}, headers=auth(raw)).get_json()
    assert second["receipts"][0]["tracker"] != first.get_json()["receipts"][0]["tracker"]
    mine = client.get(f"/api/v1/votes/{w.vote.id}", headers=auth(raw)).get_json()
    assert [b["option"] for b in mine["my_ballots"]] == ["oppose"]
    assert db.session.scalar(select(func.count()).select_from(Ballot)
                             .where(Ballot.counted.is_(True))) == 1
    assert_problem(client.post(url, json={"option": " "}, headers=auth(raw)), 422,
                   "validation", "option")
    # Not one of this vote's options: the document cannot know, the vote does.
    assert_problem(client.post(url, json={"option": "maybe"}, headers=auth(raw)), 409,
                   "conflict", "option")
    body = assert_problem(client.post(url, json={"option": "agree"},
                                      headers=auth(token(client, w.outsider))), 403, "forbidden")
    assert body["code"] == "not_elector"
    with clock.frozen(utcnow() + timedelta(days=2)):
        assert_problem(client.post(url, json={"option": "agree"}, headers=auth(raw)), 409,
                       "conflict")


def test_reserving_and_cancelling_a_studio_slot(w, client):
    raw = token(client, w.residents[2])
    slots = client.get(f"/api/v1/studio-sessions/{w.session.id}").get_json()["slots"]
    url = f"/api/v1/studio-sessions/{w.session.id}/reservations"
    body = {"slot": slots[0]["key"], "category": "safety", "matter": "路灯坏了"}
    made = client.post(url, json=body, headers=auth(raw))
    assert made.status_code == 201
    after = client.get(f"/api/v1/studio-sessions/{w.session.id}").get_json()
    assert after["free_slots"] == 5 and after["slots"][0]["free"] is False
    assert "路灯坏了" not in client.get(f"/api/v1/studio-sessions/{w.session.id}").get_data(
        as_text=True)
    other = token(client, w.residents[3])
    assert_problem(client.post(url, json=body, headers=auth(other)), 409, "conflict", "slot")
    assert_problem(client.post(url, json={**body, "slot": "tomorrow"}, headers=auth(other)),
                   422, "validation", "slot")
    assert_problem(client.post(url, json=body, headers=auth(token(client, w.pending))), 403,
                   "forbidden")
    reservation = made.get_json()["id"]
    assert_problem(client.delete(f"/api/v1/reservations/{reservation}", headers=auth(other)),
                   404, "not-found")
    mine = client.get("/api/v1/me/reservations", headers=auth(raw)).get_json()["items"]
    assert [r["id"] for r in mine] == [reservation]
    assert client.delete(f"/api/v1/reservations/{reservation}",
                         headers=auth(raw)).status_code == 204
    assert_problem(client.delete(f"/api/v1/reservations/{reservation}", headers=auth(raw)),
                   409, "conflict")
    assert client.post(url, json=body, headers=auth(other)).status_code == 201


# --- rate limits ------------------------------------------------------------------------------

@pytest.mark.parametrize("app_config", [{
    "RATELIMIT_ENABLED": True, "API_RATE_LIMIT": "5 per minute",
    "API_TOKEN_RATE_LIMIT": "3 per minute", "LOGIN_RATE_LIMIT": "100 per minute",
}])
def test_rate_limits_per_address_and_per_token(w, client, app_config):
    from consult.extensions import limiter

    limiter.reset()
    raw = token(client, w.residents[2])  # 1 of the address's 5
    for _ in range(3):
        assert client.get("/api/v1/me", headers=auth(raw)).status_code == 200
    body = assert_problem(client.get("/api/v1/me", headers=auth(raw)), 429, "rate-limited")
    assert body["status"] == 429
    # Without the token, the address has a few requests left of its own budget, then it is
    # stopped too.
    answers = [client.get("/api/v1/topics") for _ in range(4)]
    statuses = [a.status_code for a in answers]
    assert statuses[0] == 200 and 429 in statuses
    limited = answers[statuses.index(429)]
    assert_problem(limited, 429, "rate-limited")
    assert int(limited.headers["Retry-After"]) > 0
    # Another address is not affected.
    other = client.get("/api/v1/topics", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200
    limiter.reset()
