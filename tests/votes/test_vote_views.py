"""Vote pages over HTTP: opening, casting, receipts, results, downloads, refusals."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consult import clock
from consult.votes import service
from consult.votes.models import Ballot, Vote
from tests import pages
from tests.votes.test_votes import T0, estate, minutes_resolved, open_  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(autouse=True)
def during_the_vote():
    clock.set_frozen(T0 + timedelta(hours=1))
    yield
    clock.set_frozen(None)


def form(c, **changes):
    data = {"question": "是否同意加装扶手？", "kind": "yes_no", "electorate": "owners",
            "scope": f"community:{c.id}", "rule": "civil_code_ordinary",
            # Now (the clock) is 10:00 on 1 Dec: the Civil Code's 15 days' notice, 7 days open.
            "opens_at": "2026-12-16T10:00", "closes_at": "2026-12-23T10:00"}
    data.update(changes)
    return data


def test_secretary_opens_a_vote_from_the_topic_page(estate, client, login):
    c, topic, people = estate
    login(people["secretary"])
    assert 'id="open-vote-link"' in client.get(f"/topics/{topic.id}").get_data(as_text=True)
    page = client.get(f"/topics/{topic.id}/votes/new")
    assert page.status_code == 200
    response = client.post(f"/topics/{topic.id}/votes/new", data=form(c))
    assert response.status_code == 302
    vote = Vote.query.one()
    assert vote.opens_at == T0 + timedelta(days=15, hours=1)  # 10:00 Beijing is 02:00 UTC
    assert vote.announced_at == T0 + timedelta(hours=1)
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "5 voters" in html and "510.75" in html


@pytest.mark.parametrize("changes, message", [
    ({"question": ""}, "Write the question"),
    ({"closes_at": "2026-12-01T09:00"}, "close after it opens"),
    ({"electorate": "residents"}, "owners only"),
    ({"kind": "choice", "options": "只有一个", "rule": "simple_majority"}, "2 to 8 options"),
    ({"opens_at": ""}, "Give the opening time."),
])
def test_bad_vote_form_keeps_what_was_typed(estate, client, login, changes, message):
    c, topic, people = estate
    login(people["secretary"])
    data = form(c, **changes)
    data.setdefault("question", "是否同意加装扶手？")
    response = client.post(f"/topics/{topic.id}/votes/new", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html
    if data["question"]:
        assert data["question"] in html
    assert Vote.query.count() == 0


@pytest.mark.parametrize("changes, field, message", [
    ({"opens_at": "2026-12-16T09:59"}, "opens_at",
     "Votes under the Civil Code are announced at least 15 days before voting opens in this "
     "community; the earliest opening is 2026-12-16 10:00."),
    ({"opens_at": "2026-12-01T10:00", "closes_at": "2026-12-08T10:00"}, "opens_at",
     "at least 15 days before voting opens"),
    ({"closes_at": "2026-12-23T09:59"}, "closes_at",
     "Votes under the Civil Code stay open at least 7 days in this community; the earliest "
     "closing is 2026-12-23 10:00."),
    ({"rule": "simple_majority", "electorate": "residents", "opens_at": "2026-12-01T10:00",
      "closes_at": "2026-12-02T09:59"}, "closes_at", "A vote stays open at least a day"),
])
def test_too_early_or_too_short_is_refused_next_to_its_field(estate, client, login, changes,
                                                            field, message):
    c, topic, people = estate
    login(people["secretary"])
    data = form(c, **changes)
    response = client.post(f"/topics/{topic.id}/votes/new", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    error = html.split(f'id="{field}-error"', 1)[1].split("</p>", 1)[0]
    assert message in error
    assert f'value="{data[field]}"' in html and data["question"] in html
    assert Vote.query.count() == 0


def test_the_community_numbers_apply_on_the_form(estate, client, login):
    c, topic, people = estate
    c.vote_notice_days, c.vote_min_open_days = 20, 10
    from consult.extensions import db
    db.session.commit()
    login(people["secretary"])
    html = client.get(f"/topics/{topic.id}/votes/new").get_data(as_text=True)
    assert "announced at least 20 days before voting opens and stay open at least 10 days" in html
    response = client.post(f"/topics/{topic.id}/votes/new", data=form(c))  # 15 days: too few
    assert response.status_code == 422 and "at least 20 days" in response.get_data(as_text=True)


def test_the_form_proposes_times_it_accepts(estate, client, login):
    """The pre-filled opening and closing times, sent as they are, open the vote: the
    community's notice and shortest voting time, in Beijing time."""
    import re

    c, topic, people = estate
    login(people["secretary"])
    html = client.get(f"/topics/{topic.id}/votes/new").get_data(as_text=True)
    assert "announced at least 15 days before voting opens and stay open at least 7 days" in html
    opens = re.search(r'name="opens_at"[^>]*value="([^"]+)"', html).group(1)
    closes = re.search(r'name="closes_at"[^>]*value="([^"]+)"', html).group(1)
    assert (opens, closes) == ("2026-12-16T12:00", "2026-12-23T12:00")  # now: 10:00 on 1 Dec
    clock.set_frozen(T0 + timedelta(hours=1, minutes=59))  # the form took a while
    response = client.post(f"/topics/{topic.id}/votes/new",
                           data=form(c, opens_at=opens, closes_at=closes))
    assert response.status_code == 302
    assert "The vote is announced." in client.get(response.headers["Location"]).get_data(
        as_text=True)


@pytest.mark.parametrize("who", ["王", "tenant", "pending"])
def test_only_secretaries_open_votes(estate, client, login, who):
    c, topic, people = estate
    login(people[who])
    assert client.get(f"/topics/{topic.id}/votes/new").status_code == 403
    assert client.post(f"/topics/{topic.id}/votes/new", data=form(c)).status_code == 403
    assert Vote.query.count() == 0


def test_secretaries_of_another_community_and_representatives_cannot_open(estate, client,
                                                                           login):
    from consult.accounts.models import Role
    from consult.extensions import db
    from tests import factories

    c, topic, _ = estate
    outsiders = [factories.office_holder(factories.community("别处"), Role.SECRETARY, "外秘书"),
                 factories.office_holder(c, Role.REPRESENTATIVE, "代表")]
    db.session.commit()
    for who in outsiders:
        login(who)
        assert client.post(f"/topics/{topic.id}/votes/new", data=form(c)).status_code == 403
    assert Vote.query.count() == 0


def test_owner_votes_changes_mind_and_sees_the_receipt(estate, client, login):
    vote = open_(estate)
    _, _, people = estate
    login(people["王"])
    client.post(f"/votes/{vote.id}/ballot", data={"option": "oppose"})
    response = client.post(f"/votes/{vote.id}/ballot", data={"option": "agree"},
                           follow_redirects=True)
    html = response.get_data(as_text=True)
    counted = db_ballot(counted=True)
    assert "You voted “Agree”" in html and counted.tracker in html
    assert "1 of 5 have voted" in html
    assert "Oppose</th>" not in html  # no result while open
    receipt = client.get(f"/votes/{vote.id}/receipt?code={counted.tracker}").get_data(
        as_text=True)
    assert "It is the ballot that counts." in receipt and "Its choice" not in receipt


def db_ballot(counted: bool):
    return Ballot.query.filter_by(counted=counted).one()


@pytest.mark.parametrize("who, option, message", [
    ("tenant", "agree", "not on the list of voters"),
    ("王", "maybe", "Choose one of the options."),
])
def test_casting_refusals_over_http(estate, client, login, who, option, message):
    vote = open_(estate)
    _, _, people = estate
    login(people[who])
    response = client.post(f"/votes/{vote.id}/ballot", data={"option": option},
                           follow_redirects=True)
    assert message in response.get_data(as_text=True)
    assert Ballot.query.count() == 0


def test_visitors_cannot_cast(estate, client):
    vote = open_(estate)
    assert client.post(f"/votes/{vote.id}/ballot", data={"option": "agree"}).status_code == 302
    assert Ballot.query.count() == 0


def test_after_closing_the_result_and_downloads_are_public(estate, client, login):
    vote = open_(estate)
    _, _, people = estate
    for who, option in [("王", "agree"), ("李", "agree"), ("钱", "oppose"), ("孙", "abstain")]:
        service.cast(people[who], vote, option)
    from consult.extensions import db
    db.session.commit()
    assert client.get(f"/votes/{vote.id}/result.csv").status_code == 404  # still open
    clock.set_frozen(T0 + timedelta(days=8))
    html = client.get(f"/votes/{vote.id}").get_data(as_text=True)
    # took part 160.25 + 80.50 + 90 + 90 = 420.75 / 510.75 and 4/5: valid;
    # agree 240.75 / 420.75 area and 2/4 headcount: not more than half, not passed
    assert 'data-valid="true"' in html and 'data-passed="false"' in html
    assert "82.38%" in html and "<svg" in html
    db.session.rollback()
    # Reading stores nothing: the scheduled close does, with the result the page showed.
    assert db.session.get(Vote, vote.id).result is None
    assert service.close_due_votes() == 1
    db.session.commit()
    assert db.session.get(Vote, vote.id).result["valid"] is True
    assert pages.seen(html) == pages.seen(client.get(f"/votes/{vote.id}").get_data(as_text=True))
    rows = list(csv.reader(io.StringIO(client.get(f"/votes/{vote.id}/ballots.csv")
                                       .get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Receipt code", "Option", "Homes", "Channel"] and len(rows) == 5
    assert {r[3] for r in rows[1:]} == {"online"}
    body = client.get(f"/votes/{vote.id}/ballots.csv").get_data(as_text=True)
    for person in ("王", "李", "钱", "孙"):
        assert people[person].email not in body
    result = client.get(f"/votes/{vote.id}/result.csv").get_data(as_text=True)
    assert "Agree,2,240.75" in result


# The vote page's queries, by what the vote is and who reads it (fixed: however many ballots).
# An elector's page reads their proxies too (who they named, who named them: 4 queries); the
# secretary's reads the paper ballots' progress (2). A closed vote's page reads the turnout, the
# ballots by channel and the turnout by building stored with the result (one query), not the
# ballots (four).
VOTE_PAGE_QUERIES = {("announced", "王"): 10, ("open", "王"): 10, ("closed", "王"): 9,
                     ("cancelled", "王"): 11, ("open", "secretary"): 9, ("open", None): 3}


@pytest.mark.parametrize("ballots", [3, 60])
@pytest.mark.parametrize("state, who", list(VOTE_PAGE_QUERIES))
def test_the_vote_page_runs_a_fixed_number_of_queries(estate, client, login, count_queries,
                                                       ballots, state, who):
    vote = open_(estate)
    _, _, people = estate
    for _ in range(ballots):
        service.cast(people["王"], vote, "agree")
    from consult.extensions import db
    db.session.commit()
    when = {"announced": T0 - timedelta(days=1), "open": T0 + timedelta(hours=1),
            "closed": T0 + timedelta(days=8), "cancelled": T0 + timedelta(hours=3)}[state]
    if state == "cancelled":
        with clock.frozen(T0 + timedelta(hours=2)):
            service.cancel_vote(people["secretary"], vote, "选项表述有误，撤销后重新公告。")
            db.session.commit()
    if state == "closed":
        with clock.frozen(when):
            service.close(vote)
            db.session.commit()
    if who is not None:
        login(people[who])
    db.session.expire_all()
    with clock.frozen(when), count_queries() as counter:
        assert client.get(f"/votes/{vote.id}").status_code == 200
    assert counter.count == VOTE_PAGE_QUERIES[(state, who)], counter.statements
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == ballots


# Casting over HTTP, one home: who is logged in, the vote, the vote's row share-locked as its
# state is read, the voter's electors locked as they are read, their counted ballots, then the
# new ballot (and, casting again, the earlier ballot no longer counted). Every statement runs
# under the writer's lock, so each one costs every voter queued behind it.
CAST_QUERIES = {"first": 6, "again": 7}


@pytest.mark.parametrize("which", list(CAST_QUERIES))
def test_casting_a_ballot_runs_a_fixed_number_of_queries(estate, client, login, count_queries,
                                                         which):
    from consult.extensions import db

    vote = open_(estate)
    _, _, people = estate
    if which == "again":
        service.cast(people["王"], vote, "oppose")
        db.session.commit()
    login(people["王"])
    db.session.expire_all()
    with count_queries() as counter:
        response = client.post(f"/votes/{vote.id}/ballot", data={"option": "agree"})
    assert response.status_code == 302
    assert counter.count == CAST_QUERIES[which], counter.statements
    counted = db.session.scalars(select(Ballot).where(Ballot.counted.is_(True))).all()
    assert [b.option for b in counted] == ["agree"]
