"""The vote commands: the auditor's offline tally and the verification of a published result."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from consult import clock
from consult.extensions import db
from consult.votes import service
from tests import factories
from tests.votes.test_votes import T0, estate, minutes_resolved, open_  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("english")

ROSTER = factories.roster_csv(
    ("一网格", "1栋", "101", "100.00", "王秀英", "13900000001", ""),
    ("一网格", "1栋", "102", "80.50", "王秀英", "13900000001", ""),  # same owner: one elector
    ("一网格", "1栋", "201", "60.25", "李红;张伟", "13900000002;13900000003", ""),
    ("一网格", "2栋", "101", "90.00", "钱多", "13900000004", ""),
    ("一网格", "2栋", "102", "90.00", "", "", ""),  # unsold: the developer
)


def run(app, tmp_path, ballots: str, *extra):
    (tmp_path / "roster.csv").write_bytes(ROSTER)
    (tmp_path / "ballots.csv").write_text("grid,building,unit,option\n" + ballots,
                                          encoding="utf-8")
    return app.test_cli_runner().invoke(args=[
        "vote", "tally", "--rule", "civil_code_ordinary", "--roster",
        str(tmp_path / "roster.csv"), "--ballots", str(tmp_path / "ballots.csv"), *extra])


def test_offline_tally_prints_the_json_result(app, tmp_path):
    result = run(app, tmp_path, "一网格,1栋,102,agree\n一网格,1栋,201,agree\n一网格,2栋,101,oppose\n",
                 "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["headcount_total"] == 4 and data["headcount_participating"] == 3
    assert data["area_total"] == "420.75" and data["area_participating"] == "330.75"
    assert data["area_agree"] == "240.75" and data["headcount_agree"] == 2
    assert data["valid"] is True and data["passed"] is True
    assert len(data["sentences"]) == 2


def test_offline_tally_prints_sentences(app, tmp_path):
    result = run(app, tmp_path, "一网格,1栋,101,agree\n")
    assert result.exit_code == 0
    assert "not valid" in result.output


def test_two_ballots_of_one_owner_name_both_lines(app, tmp_path):
    result = run(app, tmp_path, "一网格,1栋,101,agree\n一网格,2栋,101,agree\n一网格,1栋,102,oppose\n")
    assert result.exit_code != 0
    assert "lines 2 and 4" in result.output


@pytest.mark.parametrize("ballots, words", [
    ("一网格,9栋,101,agree\n", "not in the roster"),
    ("一网格,1栋,101,maybe\n", "option must be"),
    ("一网格,2栋,102,agree\n", "unsold"),
])
def test_offline_tally_refuses_bad_ballots(app, tmp_path, ballots, words):
    result = run(app, tmp_path, ballots)
    assert result.exit_code != 0 and words in result.output


def test_verify_recomputes_the_published_result(estate, app, tmp_path):
    vote = open_(estate)
    _, _, people = estate
    with clock.frozen(T0 + timedelta(hours=1)):
        for who, option in [("王", "agree"), ("李", "oppose"), ("钱", "agree"), ("孙", "agree")]:
            service.cast(people[who], vote, option)
        db.session.commit()
    runner = app.test_cli_runner()
    clock.set_frozen(T0 + timedelta(days=8))
    try:
        result = runner.invoke(args=["vote", "verify", str(vote.id)])
        assert result.exit_code == 0, result.output
        assert "matches the 4 ballots" in result.output
        # the published list with one ballot's choice altered does not match
        rows = service.ballot_rows(vote)
        lines = ["tracker,option,units"] + [
            f"{t},{'oppose' if i == 0 and o == 'agree' else o},{u}"
            for i, (t, o, u, _c) in enumerate(rows)]
        if rows[0][1] != "agree":
            lines[1] = f"{rows[0][0]},agree,{rows[0][2]}"
        (tmp_path / "ballots.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        result = runner.invoke(args=["vote", "verify", str(vote.id), "--ballots",
                                     str(tmp_path / "ballots.csv")])
        assert result.exit_code == 1 and "MISMATCH" in result.output
    finally:
        clock.set_frozen(None)
