"""What a closed vote's page shows besides the result (turnout, ballots by channel, turnout by
building) is stored with the result when the vote is tallied (``Vote.closed_figures``): the
page, the API and the CSV show the same numbers as when they counted the ballots on every view,
in fewer queries; votes tallied before are filled in by the cron (``flask vote close``), never
by a page."""
from __future__ import annotations

import re
from datetime import timedelta

import flask_babel
import pytest
from sqlalchemy import select

from consult import clock
from consult.extensions import db
from consult.i18n import LANG_COOKIE
from consult.votes import service
from consult.votes import views as vote_views
from consult.votes.models import Channel, Elector, Vote
from tests.votes.test_votes import T0, estate, minutes_resolved, open_  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("english")
CLOSED = T0 + timedelta(days=8)


def closed_vote(estate) -> Vote:
    """王 and 钱 vote online, 李 (for 李 and 张) too, then a paper ballot for 孙: two buildings,
    two channels, the developer does not vote."""
    _, _, people = estate
    vote = open_(estate)
    with clock.frozen(T0 + timedelta(hours=1)):
        for name, option in [("王", "agree"), ("李", "oppose"), ("钱", "agree")]:
            service.cast(people[name], vote, option)
        sun = service.electors_of(people["孙"], vote)[0]
        service.record_ballot(vote, sun, "abstain", actor=people["secretary"],
                              now=clock.utcnow(), channel=Channel.PAPER.value)
        db.session.commit()
    return vote


def tallied_vote(estate) -> Vote:
    """:func:`closed_vote`, tallied by the cron after its close (the figures stored)."""
    vote = closed_vote(estate)
    with clock.frozen(CLOSED):
        service.close_due_votes()
        db.session.commit()
    return vote


def shown(client, vote) -> dict:
    html = client.get(f"/votes/{vote.id}").get_data(as_text=True)
    parts = {name: re.search(pattern, html, re.S) for name, pattern in {
        "sentences": r'<ul class="sentences".*?</ul>',
        "channels": r'<table id="ballots-by-channel">.*?</table>',
        "buildings": r'<table id="turnout-by-building">.*?</table>',
        "verdict": r'<p class="verdict".*?</p>'}.items()}
    assert all(parts.values()), [k for k, v in parts.items() if v is None]
    api = client.get(f"/api/v1/votes/{vote.id}").get_json()
    ballots = client.get(f"/api/v1/votes/{vote.id}/ballots").get_json()
    csv = client.get(f"/votes/{vote.id}/result.csv").get_data(as_text=True)
    return {**{k: v.group(0) for k, v in parts.items()}, "api_turnout": api["turnout"],
            "api_result": api["result"], "ballots_total": ballots["total"], "csv": csv}


def test_a_closed_vote_shows_the_numbers_it_showed_when_it_counted_them(
        estate, client, login, count_queries):
    _, _, people = estate
    vote = closed_vote(estate)
    with clock.frozen(CLOSED):
        assert service.close_due_votes() == 1
        db.session.commit()
    assert vote.closed_figures == {
        "turnout": 4, "counted": 4, "channels": {"online": 3, "paper": 1, "proxy": 0},
        "by_building": [["1网格 1栋", 2, 2], ["1网格 2栋", 3, 2]]}
    login(people["王"])
    with clock.frozen(CLOSED):
        stored = shown(client, vote)
        assert "are 80.00% of the owners" in stored["sentences"]
        assert "<td>2</td><td>2</td>" in stored["buildings"]
        # As the page counted them before: the same vote without its stored figures (and no
        # result section kept from the view above).
        db.session.execute(Vote.__table__.update().where(Vote.id == vote.id)
                           .values(closed_figures=None))
        db.session.commit()
        vote_views._kept_results.clear()
        assert shown(client, vote) == stored


def test_the_closed_page_reads_no_ballot(estate, client, login, count_queries):
    """A fixed number of queries, and none of them over the ballots or the electors: the page
    of a closed vote costs the same whatever its number of ballots."""
    _, _, people = estate
    vote = tallied_vote(estate)
    login(people["王"])
    db.session.expire_all()
    with clock.frozen(CLOSED), count_queries() as counter:
        assert client.get(f"/votes/{vote.id}").status_code == 200
    assert counter.count == 9, counter.statements
    grouped = [s for s in counter.statements if "GROUP BY" in s or "sum(" in s.lower()]
    assert grouped == [], grouped


def test_votes_tallied_before_get_their_figures_from_the_cron_not_from_a_page(
        estate, client, login):
    _, _, people = estate
    vote = tallied_vote(estate)
    with clock.frozen(CLOSED):
        expected = vote.closed_figures
        # A vote tallied before migration 0029: a result, no figures.
        db.session.execute(Vote.__table__.update().where(Vote.id == vote.id)
                           .values(closed_figures=None))
        db.session.commit()
        login(people["王"])
        page = client.get(f"/votes/{vote.id}").get_data(as_text=True)
        assert "<th scope=\"row\">1网格 2栋</th><td>3</td><td>2</td>" in page
        db.session.expire_all()
        assert db.session.get(Vote, vote.id).closed_figures is None  # a GET never writes
        assert service.close_due_votes() == 0  # nothing newly closed...
        db.session.commit()
    db.session.expire_all()
    assert db.session.get(Vote, vote.id).closed_figures == expected  # ...the figures stored


def test_the_stored_figures_do_not_move_with_later_changes(estate, client, login):
    """Once tallied, nothing moves the numbers (a building renamed keeps the name it had)."""
    from consult.community.models import Building

    _, _, people = estate
    vote = tallied_vote(estate)
    building = db.session.get(Building, db.session.scalar(
        select(Elector.building_id).where(Elector.vote_id == vote.id).limit(1)))
    building.name = "新楼"
    db.session.commit()
    login(people["王"])
    with clock.frozen(CLOSED):
        assert shown(client, vote)["buildings"].count("<tr>") == 3  # header and two buildings


def result_section(html: str) -> str:
    """The result section, without the reader's own ballot."""
    section = re.search(r'<section aria-labelledby="result-heading">.*?</section>', html,
                        re.S).group(0)
    return re.sub(r'<p id="my-ballot">.*?</p>', "", section, flags=re.S)


def test_a_stored_result_is_rendered_once_per_language(estate, client, login, count_queries):
    """The result section of a tallied vote is kept rendered: the next reader gets the same
    section without its figures being read again, each language its own, each vote its own,
    and a reader's own ballot (outside the kept section) stays the reader's."""
    _, _, people = estate
    vote = tallied_vote(estate)
    login(people["王"])
    with clock.frozen(CLOSED):
        first = client.get(f"/votes/{vote.id}").get_data(as_text=True)
        db.session.expire_all()
        with count_queries() as counter:
            again = client.get(f"/votes/{vote.id}").get_data(as_text=True)
        assert result_section(again) == result_section(first)
        assert "Turnout by building" in result_section(again)
        assert "You voted “Agree”" in again
        assert not [s for s in counter.statements if "closed_figures" in s], counter.statements
        client.set_cookie(LANG_COOKIE, "zh_Hans")
        flask_babel.refresh()  # the test's app context, shared with its requests, keeps a locale
        chinese = client.get(f"/votes/{vote.id}").get_data(as_text=True)
        assert "表决结果" in result_section(chinese)
        assert "Turnout by building" not in chinese
        client.set_cookie(LANG_COOKIE, "en")
        flask_babel.refresh()
        login(people["李"])
        li = client.get(f"/votes/{vote.id}").get_data(as_text=True)
        assert result_section(li) == result_section(first)
        assert "You voted “Oppose”" in li and "You voted “Agree”" not in li


def test_a_result_counted_before_it_is_stored_is_not_kept(estate, client, login):
    """Between the close and the cron's tally a page counts the result from the ballots; it
    is not kept, so the page shows the stored figures as soon as they are stored."""
    _, _, people = estate
    vote = closed_vote(estate)
    login(people["王"])
    later = CLOSED + service.SETTLE
    vote_views._kept_results.clear()
    with clock.frozen(later):
        counted = client.get(f"/votes/{vote.id}").get_data(as_text=True)
        assert "1网格 2栋" in result_section(counted)
        assert not vote_views._kept_results
        service.close_due_votes()
        db.session.commit()
        stored = client.get(f"/votes/{vote.id}").get_data(as_text=True)
    assert result_section(stored) == result_section(counted)
    assert len(vote_views._kept_results) == 1
