"""The API's long lists are paged by the database: a community's meetings and a closed vote's
ballot list answer the right total and distinct items page by page, in a fixed number of
statements however long the list (they used to load the whole list and slice it)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from consult import clock
from consult.clock import utcnow
from consult.extensions import db
from consult.votes import service as votes
from tests import api_world, factories

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def w(app, monkeypatch):
    return api_world.build(monkeypatch)


def past_meetings(w, n: int, days_back: int = 400) -> None:
    start = utcnow().replace(microsecond=0) - timedelta(days=days_back)
    for i in range(n):
        factories.meeting(w.meeting.hall, start + timedelta(days=3 * i), title=f"往期会议{i}")
    db.session.commit()


def pages(client, url: str, per_page: int, count: int) -> tuple[int, list[list]]:
    bodies = [client.get(f"{url}{'&' if '?' in url else '?'}page={p}&per_page={per_page}")
              .get_json() for p in range(1, count + 1)]
    return bodies[0]["total"], [b["items"] for b in bodies]


@pytest.mark.parametrize("n", [5, 25])
def test_a_communitys_past_meetings_page_by_page(w, client, count_queries, n):
    past_meetings(w, n)
    url = f"/api/v1/communities/{w.community.id}/meetings?when=past"
    with count_queries() as counted:
        first = client.get(f"{url}&page=1&per_page=10")
    assert first.status_code == 200
    total, items = pages(client, url, 10, 4)
    assert total == n + 1  # and the world's own meeting, two days ago
    ids = [m["id"] for page in items for m in page]
    assert len(ids) == len(set(ids)) == total
    starts = [m["starts_at"] for page in items for m in page]
    assert starts == sorted(starts, reverse=True)  # newest first
    assert [len(p) for p in items] == [min(10, max(0, total - 10 * k)) for k in range(4)]
    assert counted.count <= 4, counted.statements
    assert paged_in_sql(counted.statements, "meetings")


def paged_in_sql(statements: list[str], table: str) -> bool:
    """Some statement reads ``table`` a page at a time (LIMIT), rather than the whole list."""
    return any(f"FROM {table}" in s and "LIMIT" in s.upper() for s in statements)


def test_the_meeting_list_runs_the_same_statements_for_few_and_many(w, client, count_queries):
    url = f"/api/v1/communities/{w.community.id}/meetings?when=past&per_page=10"
    past_meetings(w, 3, days_back=400)
    with count_queries() as few:
        client.get(url)
    past_meetings(w, 40, days_back=300)
    with count_queries() as many:
        client.get(url)
    assert few.count == many.count


def test_a_closed_votes_ballots_page_by_page_in_tracker_order(w, client, count_queries):
    for who in w.residents[:4]:
        votes.cast(who, w.vote, "agree")
    votes.cast(w.residents[0], w.vote, "oppose")  # changed: one counted ballot each
    db.session.commit()
    url = f"/api/v1/votes/{w.vote.id}/ballots"
    assert client.get(url).status_code == 409  # still open: no list yet
    with clock.frozen(w.vote.closes_at + timedelta(minutes=1)):
        with count_queries() as counted:
            assert client.get(f"{url}?page=1&per_page=3").status_code == 200
        total, items = pages(client, url, 3, 3)
    assert total == 4
    trackers = [b["tracker"] for page in items for b in page]
    assert [len(p) for p in items] == [3, 1, 0]
    assert trackers == sorted(trackers) and len(set(trackers)) == 4
    assert counted.count <= 4, counted.statements
    assert paged_in_sql(counted.statements, "ballots")
    db.session.expire_all()
    assert db.session.get(type(w.vote), w.vote.id).result is None  # reading stored nothing
