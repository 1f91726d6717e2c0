"""The web and the API call the same service, so the same request is refused for the same
reason in both: the message a person reads on the page is the problem document's detail, and
the kind of refusal (the rules, the permission table) matches the API's status."""
from __future__ import annotations

import re
from html import unescape

import pytest

from consult.extensions import db
from tests import api_world, factories
from tests.api_world import auth, token

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def w(app, monkeypatch):
    return api_world.build(monkeypatch)


def page_messages(response) -> str:
    """The page's text, tags stripped, for finding the refusal's sentence."""
    html = response.get_data(as_text=True)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def flashed(client) -> list[str]:
    with client.session_transaction() as session:
        return [str(m) for _c, m in session.get("_flashes", [])]


def comment_both_ways(app, login, w, who, body: str):
    """The same comment posted by ``who`` through the page and through the API."""
    page = login(who, app.test_client()).post(f"/topics/{w.topic.id}/comments",
                                              data={"body": body})
    api = app.test_client().post(f"/api/v1/topics/{w.topic.id}/comments", json={"body": body},
                                 headers=auth(token(app.test_client(), who)))
    return page, api, api.get_json()


def test_an_empty_comment_is_refused_alike(w, app, login):
    page, api, problem = comment_both_ways(app, login, w, w.residents[2], "  ")
    assert page.status_code == 422 and api.status_code == 422
    assert problem["field"] == "body"
    assert problem["detail"] in page_messages(page)


def test_a_comment_by_someone_of_another_community_is_refused_alike(w, app, login):
    page, api, problem = comment_both_ways(app, login, w, w.outsider, "外来意见")
    assert page.status_code == 403 and api.status_code == 403  # the permission table
    assert problem["detail"] in page_messages(page)


def test_a_ballot_by_someone_not_on_the_list_of_voters_is_refused_alike(w, app, login):
    """The service checks the frozen list of voters; the API has no copy of that check."""
    web = login(w.outsider, app.test_client())
    page = web.post(f"/votes/{w.vote.id}/ballot", data={"option": "agree"})
    api = app.test_client().post(f"/api/v1/votes/{w.vote.id}/ballots",
                                 json={"option": "agree"},
                                 headers=auth(token(app.test_client(), w.outsider)))
    problem = api.get_json()
    assert page.status_code in (302, 303) and api.status_code == 403
    assert problem["code"] == "not_elector"
    assert flashed(web) == [problem["detail"]]
    db.session.expire_all()


def test_withdrawing_a_cosignature_one_never_made_is_refused_alike(w, app, login):
    resident = w.residents[3]
    web = login(resident, app.test_client())
    page = web.post(f"/topics/{w.topic.id}/cosign", data={"action": "withdraw"})
    api = app.test_client().delete(f"/api/v1/topics/{w.topic.id}/cosignatures/mine",
                                   headers=auth(token(app.test_client(), resident)))
    problem = api.get_json()
    assert api.status_code == 409, problem
    messages = flashed(web) + [page_messages(page)]
    assert any(problem["detail"] in m for m in messages), (problem, messages)


def test_cosigning_twice_is_refused_alike(w, app, login):
    proposal = factories.topic(w.community, w.residents[0], title="增设快递柜", stage="proposed")
    db.session.commit()
    resident = w.residents[3]
    web = login(resident, app.test_client())
    assert web.post(f"/topics/{proposal.id}/cosign").status_code in (302, 303)
    web.post(f"/topics/{proposal.id}/cosign")
    api = app.test_client().post(f"/api/v1/topics/{proposal.id}/cosignatures",
                                 headers=auth(token(app.test_client(), resident)))
    problem = api.get_json()
    assert api.status_code == 409, problem
    assert flashed(web) == ["Thank you: you co-signed this proposal.", problem["detail"]]


def test_a_comment_after_the_comment_period_is_refused_alike(w, app, login):
    """The topic is in deliberation: the rules refuse the moment (409), not the person."""
    resident = w.residents[2]
    page = login(resident, app.test_client()).post(f"/topics/{w.voting_topic.id}/comments",
                                                   data={"body": "晚了"})
    api = app.test_client().post(f"/api/v1/topics/{w.voting_topic.id}/comments",
                                 json={"body": "晚了"},
                                 headers=auth(token(app.test_client(), resident)))
    problem = api.get_json()
    assert api.status_code == 409 and "field" not in problem, problem
    assert page.status_code == 422  # the form again, with the reason
    assert problem["detail"] in page_messages(page)


def test_reserving_a_slot_just_taken_is_refused_alike(w, app, login):
    first = app.test_client()
    slots = first.get(f"/api/v1/studio-sessions/{w.session.id}").get_json()["slots"]
    body = {"slot": slots[0]["key"], "category": "safety", "matter": "路灯坏了"}
    taken = first.post(f"/api/v1/studio-sessions/{w.session.id}/reservations", json=body,
                       headers=auth(token(first, w.residents[2])))
    assert taken.status_code == 201
    resident = w.residents[3]
    page = login(resident, app.test_client()).post(
        f"/studio-sessions/{w.session.id}/reserve", data=body)
    api = app.test_client().post(f"/api/v1/studio-sessions/{w.session.id}/reservations",
                                 json=body, headers=auth(token(app.test_client(), resident)))
    problem = api.get_json()
    assert page.status_code == 409 and api.status_code == 409, problem
    assert problem["field"] == "slot"
    assert problem["detail"] in page_messages(page)


def test_a_proposal_by_an_unverified_resident_is_refused_alike(w, app, login):
    """The permission table, checked by the service: no copy of the check in the API."""
    page = login(w.pending, app.test_client()).get("/topics/new")
    api = app.test_client().post("/api/v1/topics", json={
        "title": "小区停车难问题", "description": "车位不够。", "category": "parking",
        "scope": f"community:{w.community.id}"},
        headers=auth(token(app.test_client(), w.pending)))
    problem = api.get_json()
    assert page.status_code == 403 and api.status_code == 403, problem
    assert problem["code"] == "not_verified"
    assert problem["detail"] in page_messages(page)
