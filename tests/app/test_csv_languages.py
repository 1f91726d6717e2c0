"""Every CSV download speaks the reader's language: its headers, and the values that are codes
in the database (options, channels, yes/no, roles, fields) — Simplified Chinese by default,
English when chosen (issue 16). One test per language: the locale is kept for a test's
application context, so the English case also makes English the default before the world is
built (the ``english`` fixture), as well as sending the cookie."""
from __future__ import annotations

import csv
import io
from collections import Counter

import pytest

from consult import clock
from consult.i18n import LANG_COOKIE
from tests import outcome_world as ow
from tests.grids.world import T0 as GRID_T0
from tests.grids.world import build as build_estate

LANGS = ["zh_Hans", "en"]


@pytest.fixture(params=LANGS)
def lang(request):
    if request.param == "en":
        request.getfixturevalue("english")
    return request.param


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")  # spreadsheets in China read UTF-8 with it
    return list(csv.reader(io.StringIO(text[1:], newline="")))


@pytest.fixture
def closed_vote(app, monkeypatch, lang):
    """3 agree, 1 oppose, all online; an hour after the vote closed."""
    w = ow.build(monkeypatch)
    clock.set_frozen(ow.CLOSED)
    yield w
    clock.set_frozen(None)


RESULT = {
    "zh_Hans": {"header": ["选项", "选票", "面积（m²）"], "agree": "同意", "oppose": "反对",
                "valid": ["有效", "是", ""], "passed": ["通过", "是", ""],
                "online": "按投票方式统计表决票：网上"},
    "en": {"header": ["Option", "Ballots", "Area (m²)"], "agree": "Agree", "oppose": "Oppose",
           "valid": ["Valid", "yes", ""], "passed": ["Passed", "yes", ""],
           "online": "Ballots by channel: online"},
}


def test_the_vote_result_csv_is_in_the_readers_language(closed_vote, client, lang):
    client.set_cookie(LANG_COOKIE, lang)
    rows = _csv(client.get(f"/votes/{closed_vote.vote.id}/result.csv"))
    words = RESULT[lang]
    assert rows[0] == words["header"]
    by_first = {r[0]: r for r in rows[1:]}
    assert by_first[words["agree"]][1] == "3" and by_first[words["oppose"]][1] == "1"
    assert words["valid"] in rows and words["passed"] in rows
    assert by_first[words["online"]][1] == "4"
    assert not {"agree", "oppose", "online", "True", "False"} & {c for r in rows for c in r}


BALLOTS = {
    "zh_Hans": (["回执码", "选项", "房屋", "投票方式"], {"同意": 3, "反对": 1}, {"网上": 4}),
    "en": (["Receipt code", "Option", "Homes", "Channel"], {"Agree": 3, "Oppose": 1},
           {"online": 4}),
}


def test_the_ballot_list_csv_is_in_the_readers_language(closed_vote, client, lang):
    client.set_cookie(LANG_COOKIE, lang)
    rows = _csv(client.get(f"/votes/{closed_vote.vote.id}/ballots.csv"))
    header, options, channels = BALLOTS[lang]
    assert rows[0] == header
    assert Counter(r[1] for r in rows[1:]) == options
    assert Counter(r[3] for r in rows[1:]) == channels
    assert all(len(r[0]) >= 6 for r in rows[1:])  # the receipt codes stay as they are


@pytest.mark.parametrize("lang", ["zh_Hans"], indirect=True)
def test_the_ballot_list_csv_says_paper_and_proxy_in_chinese(closed_vote, client):
    """The other channels' words (the fixture's ballots are all online)."""
    from consult.extensions import db
    from consult.votes.models import Ballot

    ballots = db.session.scalars(db.select(Ballot).where(
        Ballot.vote_id == closed_vote.vote.id).order_by(Ballot.id)).all()
    ballots[0].channel, ballots[1].channel = "paper", "proxy"
    db.session.commit()
    rows = _csv(client.get(f"/votes/{closed_vote.vote.id}/ballots.csv"))
    assert Counter(r[3] for r in rows[1:]) == {"网上": 2, "书面表决票": 1, "委托": 1}


NOT_VOTED = {"zh_Hans": ["楼栋", "房屋", "姓名", "手机号"],
             "en": ["Building", "Homes", "Name", "Phone"]}


def test_the_not_voted_csv_is_in_the_readers_language(app, lang, client, login):
    estate = build_estate()
    login(estate.people["worker"])
    client.set_cookie(LANG_COOKIE, lang)
    with clock.frozen(GRID_T0):  # the estate's vote is open then
        rows = _csv(client.get(
            f"/grids/{estate.grid.id}/votes/{estate.vote.id}/not-voted.csv"))
    assert rows[0] == NOT_VOTED[lang]
    assert "李业主" in {r[2] for r in rows[1:]}


DATA_VIEWS = {
    "zh_Hans": (["时间", "查看人编号", "查看人", "角色"], "网格员", ("手机号", "尚未投票")),
    "en": (["When", "Viewer id", "Viewer", "Role"], "Grid worker",
           ("phone number", "has not voted yet")),
}


def test_the_data_views_csv_is_in_the_readers_language(app, lang, client, login):
    estate = build_estate()
    login(estate.people["worker"])
    with clock.frozen(GRID_T0):  # the estate's vote is open: its not-voted list is shown
        client.get(f"/grids/{estate.grid.id}")  # the worker sees residents' data: recorded
    login(estate.people["admin"])
    client.set_cookie(LANG_COOKIE, lang)
    rows = _csv(client.get("/admin/data-views.csv?start=2026-11-01&end=2026-12-31"))
    header, role, fields = DATA_VIEWS[lang]
    assert rows[0][:4] == header
    li = next(r for r in rows[1:] if r[5] == "李业主")
    assert li[3] == role
    assert all(f in li[11] for f in fields)
