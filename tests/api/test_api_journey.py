"""A resident's whole journey through the API only: log in, propose, co-signed by neighbours to
review, comment and reply, react, vote with a receipt, reserve a studio slot, object to the
outcome and rate its implementation. The secretary's steps (accepting, moving to deliberation,
opening the vote, publishing the outcome, marking it done) are service calls, as the API does
not offer them yet; the clock is frozen to pass the vote's end and the publicity window."""
from __future__ import annotations

from datetime import timedelta

import pytest

from consult import clock
from consult.clock import utcnow
from consult.extensions import db
from consult.outcomes import service as outcome_service
from consult.topics import service as topic_service
from consult.topics.models import Topic
from consult.votes import service as vote_service
from tests import api_world
from tests.api_world import auth

pytestmark = pytest.mark.usefixtures("english")


def test_a_resident_journey_through_the_api_only(app, client, monkeypatch):
    w = api_world.build(monkeypatch)
    alice, bob, carol = w.residents[0], w.residents[1], w.residents[2]

    # Log in from the mini-program, by phone number.
    login = client.post("/api/v1/tokens", json={"identifier": alice.phone,
                                                "password": "correct horse 42",
                                                "name": "微信小程序"})
    assert login.status_code == 201
    me = auth(login.get_json()["token"])
    scope = client.get("/api/v1/me", headers=me).get_json()["scopes"][0]["key"]

    # Propose.
    made = client.post("/api/v1/topics", headers=me, json={
        "title": "小区增设电动车充电桩", "description": "电动车在楼道充电有火灾隐患。",
        "category": "safety", "scope": scope})
    assert made.status_code == 201
    topic_id = made.get_json()["id"]
    assert made.get_json()["stage"] == "proposed"

    # Neighbours co-sign until the threshold (2) sends it to review.
    bob_h, carol_h = auth(api_world.token(client, bob)), auth(api_world.token(client, carol))
    assert client.post(f"/api/v1/topics/{topic_id}/cosignatures", headers=bob_h).get_json()[
        "sent_to_review"] is False
    last = client.post(f"/api/v1/topics/{topic_id}/cosignatures", headers=carol_h).get_json()
    assert last["sent_to_review"] is True and last["stage"] == "in_review"

    # The secretary accepts (a service call: secretary actions are not in the API yet).
    topic = db.session.get(Topic, topic_id)
    topic_service.accept(w.secretary, topic, 7)
    db.session.commit()
    assert client.get(f"/api/v1/topics/{topic_id}").get_json()["stage"] == "commenting"

    # Comment, a neighbour replies and agrees.
    comment = client.post(f"/api/v1/topics/{topic_id}/comments", headers=me,
                          json={"body": "建议装在自行车棚旁边。"}).get_json()
    client.post(f"/api/v1/comments/{comment['id']}/replies", headers=bob_h,
                json={"body": "同意，那里有电源。"})
    client.put(f"/api/v1/comments/{comment['id']}/reaction", headers=bob_h,
               json={"value": "agree"})
    thread = client.get(f"/api/v1/topics/{topic_id}/comments").get_json()
    assert thread["items"][0]["reactions"]["agree"] == 1
    assert thread["items"][0]["replies"][0]["body"] == "同意，那里有电源。"

    # Deliberation and the vote are opened by the secretary (service calls).
    topic = db.session.get(Topic, topic_id)
    topic.comment_until = utcnow() - timedelta(minutes=1)
    topic_service.move_to_deliberation(w.secretary, topic)
    now = utcnow()
    vote = vote_service.open_vote(w.secretary, topic, vote_service.VoteSpec(
        question="是否同意增设充电桩？", electorate="residents", rule="simple_majority",
        scope_key=scope, opens_at=now, closes_at=now + timedelta(days=3)))
    db.session.commit()
    vote_id = client.get(f"/api/v1/topics/{topic_id}").get_json()["vote_id"]
    assert vote_id == vote.id

    # Vote, with the receipt in the answer; the turnout shows it.
    cast = client.post(f"/api/v1/votes/{vote_id}/ballots", headers=me,
                       json={"option": "agree"})
    assert cast.status_code == 201
    receipt = cast.get_json()["receipts"][0]["tracker"]
    seen = client.get(f"/api/v1/votes/{vote_id}", headers=me).get_json()
    assert seen["turnout"] == 1 and seen["my_ballots"][0]["tracker"] == receipt

    # Reserve a slot with the representative.
    session = client.get(f"/api/v1/studios/{w.studio.id}/sessions").get_json()["items"][0]
    free = next(s for s in session["slots"] if s["free"])
    reserved = client.post(f"/api/v1/studio-sessions/{session['id']}/reservations", headers=me,
                           json={"slot": free["key"], "category": "safety",
                                 "matter": "充电桩的安装位置"})
    assert reserved.status_code == 201
    assert client.get("/api/v1/me/reservations", headers=me).get_json()["items"][0][
        "slot_start"] == free["start"]

    # The vote closes; the secretary publishes the outcome (service calls, clock frozen).
    closed = vote.closes_at + timedelta(hours=1)
    with clock.frozen(closed):
        outcome_service.publish(w.secretary, db.session.get(Topic, topic_id), "增设充电桩。", 7)
        db.session.commit()

        # Object during the publicity window; it shows on the outcome.
        objected = client.post(f"/api/v1/topics/{topic_id}/objections", headers=me,
                               json={"body": "希望先征求一楼住户意见。"})
        assert objected.status_code == 201
        outcome = client.get(f"/api/v1/topics/{topic_id}/outcome").get_json()
        assert outcome["objections"][0]["body"] == "希望先征求一楼住户意见。"

    # The window ends (the read shows the outcome in effect, the scheduled run settles it), the
    # work is done, and the resident rates it.
    with clock.frozen(closed + timedelta(days=7)):
        assert client.get(f"/api/v1/topics/{topic_id}/outcome").get_json()[
            "status"] == "effective"
        assert outcome_service.settle_due_outcomes() == 1
        db.session.commit()
        assert client.get(f"/api/v1/topics/{topic_id}/outcome").get_json()[
            "topic_stage"] == "implementing"
        outcome_service.mark_done(w.secretary, db.session.get(Topic, topic_id), "已安装")
        db.session.commit()
    with clock.frozen(closed + timedelta(days=8)):
        rated = client.put(f"/api/v1/topics/{topic_id}/rating", headers=me,
                           json={"stars": 5, "comment": "很方便"})
        assert rated.status_code == 200 and rated.get_json()["ratings"]["count"] == 1
        board = client.get(f"/api/v1/communities/{w.community.id}/outcomes").get_json()
        assert board["items"][0]["topic"]["id"] == topic_id

    # Log out.
    assert client.delete("/api/v1/tokens/current", headers=me).status_code == 204
    assert client.get("/api/v1/me", headers=me).status_code == 401
