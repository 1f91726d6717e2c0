"""Co-owners share one ballot: the page says truthfully who cast it and when (never "you voted"
for a ballot someone else cast; for a secret vote not its choice), replacing it takes a
confirmation, and the co-owner whose ballot was replaced is told."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from consult import clock
from consult.extensions import db
from consult.notifications.models import Notification
from consult.votes import service
from consult.votes.models import Ballot
from tests.votes.test_votes import T0, estate, minutes_resolved, open_  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(autouse=True)
def during_the_vote():
    clock.set_frozen(T0 + timedelta(hours=1))
    yield
    clock.set_frozen(None)


def li_votes(vote, people, option="oppose"):
    service.cast(people["李"], vote, option)
    db.session.commit()


def test_the_co_owner_sees_who_cast_the_homes_ballot_and_when(estate, client, login):
    vote = open_(estate)
    _, _, people = estate
    li_votes(vote, people)
    login(people["张"])
    html = client.get(f"/votes/{vote.id}").get_data(as_text=True)
    assert "Your home's ballot was cast by 李 at 2026-12-01 10:00." in html
    assert "Its choice: “Oppose”" in html  # a named vote
    assert "You voted" not in html
    assert 'checked' not in html.split('id="ballot-form"')[1].split("</fieldset>")[0]
    login(people["李"])
    assert "You voted “Oppose”" in client.get(f"/votes/{vote.id}").get_data(as_text=True)


def test_a_secret_vote_says_who_and_when_but_not_the_choice(estate, client, login):
    vote = open_(estate, secret=True)
    _, _, people = estate
    li_votes(vote, people)
    login(people["张"])
    html = client.get(f"/votes/{vote.id}").get_data(as_text=True)
    assert "Your home's ballot was cast by 李 at" in html
    assert "Oppose”" not in html and "Its choice" not in html
    ballot = Ballot.query.one()
    assert ballot.tracker not in html  # the receipt would tell the choice after closing


def test_replacing_a_co_owners_ballot_asks_to_confirm_then_tells_them(estate, client, login):
    vote = open_(estate)
    _, _, people = estate
    li_votes(vote, people)
    login(people["张"])
    page = client.get(f"/votes/{vote.id}").get_data(as_text=True)
    assert 'id="replace-warning"' in page and 'name="replace_other"' in page
    response = client.post(f"/votes/{vote.id}/ballot", data={"option": "agree"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "confirm that you want to replace it" in html
    assert 'value="agree" id="option-1" checked' in html  # the choice stays chosen
    assert Ballot.query.count() == 1
    response = client.post(f"/votes/{vote.id}/ballot",
                           data={"option": "agree", "replace_other": "y"})
    assert response.status_code == 302
    counted = Ballot.query.filter_by(counted=True).one()
    assert counted.cast_by_id == people["张"].id and counted.option == "agree"
    kinds = db.session.scalars(select(Notification.kind)
                               .where(Notification.user_id == people["李"].id)).all()
    assert "vote.ballot_replaced_by_co_owner" in kinds
    login(people["李"])
    html = client.get(f"/votes/{vote.id}").get_data(as_text=True)
    assert "Your home's ballot was cast by 张 at" in html


def test_changing_ones_own_ballot_needs_no_confirmation(estate, client, login):
    vote = open_(estate)
    _, _, people = estate
    li_votes(vote, people)
    login(people["李"])
    assert 'id="replace-warning"' not in client.get(f"/votes/{vote.id}").get_data(as_text=True)
    assert client.post(f"/votes/{vote.id}/ballot", data={"option": "agree"}).status_code == 302
    assert Notification.query.filter_by(kind="vote.ballot_replaced_by_co_owner").count() == 0


def test_after_closing_the_co_owner_still_reads_the_truth(estate, client, login):
    vote = open_(estate)
    _, _, people = estate
    li_votes(vote, people)
    with clock.frozen(vote.closes_at + timedelta(minutes=5)):
        service.close(vote)
        db.session.commit()
        login(people["张"])
        html = client.get(f"/votes/{vote.id}").get_data(as_text=True)
    assert "Your home's ballot was cast by 李" in html and "You voted" not in html


def test_the_api_answers_409_unless_replace_other(estate, client):
    from consult.api.tokens import create_token

    vote = open_(estate)
    _, _, people = estate
    li_votes(vote, people)
    _token, raw = create_token(people["张"], "手机")
    db.session.commit()
    headers = {"Authorization": f"Bearer {raw}"}
    refused = client.post(f"/api/v1/votes/{vote.id}/ballots", json={"option": "agree"},
                          headers=headers)
    assert refused.status_code == 409 and refused.mimetype == "application/problem+json"
    assert refused.json["code"] == "replaces_other" and "replace" in refused.json["detail"]
    done = client.post(f"/api/v1/votes/{vote.id}/ballots",
                       json={"option": "agree", "replace_other": True}, headers=headers)
    assert done.status_code == 201


@pytest.mark.parametrize("secret", [False, True])
def test_the_api_read_says_who_cast_the_homes_ballot(estate, client, secret):
    from consult.api.tokens import create_token

    vote = open_(estate, secret=secret)
    _, _, people = estate
    li_votes(vote, people)
    _token, raw = create_token(people["张"], "手机")
    db.session.commit()
    seen = client.get(f"/api/v1/votes/{vote.id}",
                      headers={"Authorization": f"Bearer {raw}"}).get_json()
    assert seen["my_ballots"] == []  # never "you voted" for 李's ballot
    [other] = seen["cast_for_me"]
    assert other["cast_by"] == "李" and other["channel"] == "online"
    assert ("option" in other) is (not secret)
