"""The web and the API call the same service, so the same request is refused for the same
reason in both: the message a person reads on the page is the problem document's detail, and
the kind of refusal (the rules, the permission table) matches the API's status."""
from __future__ import annotations

import re
from html import unescape

import pytest

from consult.extensions import db
from tests import api_world
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
