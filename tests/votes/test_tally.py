"""The tally against the law's numbers, boundaries included, with exact arithmetic."""
from __future__ import annotations

from decimal import Decimal

import pytest

from consult.votes.electorate import UnitRecord, owner_electors
from consult.votes.tally import Elector, Rule, percent, ratio, tally

pytestmark = pytest.mark.usefixtures("english")


def owners(*areas) -> list[Elector]:
    return [Elector(i, 1, Decimal(a)) for i, a in enumerate(areas)]


def same_area(n, area="100.00"):
    return owners(*[area] * n)


def cast(**by_option) -> dict:
    """cast(agree=[0, 1], oppose=[2]) → {0: "agree", 1: "agree", 2: "oppose"}"""
    return {k: option for option, keys in by_option.items() for k in keys}


# --- civil code: participation --------------------------------------------------------------

def test_participation_of_exactly_two_thirds_is_valid_one_owner_less_is_not():
    electorate = same_area(9)
    valid = tally(Rule.CIVIL_CODE_ORDINARY, electorate, cast(agree=range(6)))
    assert valid.valid and valid.headcount_participating == 6
    invalid = tally(Rule.CIVIL_CODE_ORDINARY, electorate, cast(agree=range(5)))
    assert not invalid.valid and invalid.passed is False


def test_participation_needs_both_area_and_headcount():
    # 3 owners: one large flat (200 m²) and two small (50 m²). The large owner alone has
    # 2/3 of the area but only 1/3 of the headcount; the two small ones the reverse.
    electorate = owners("200.00", "50.00", "50.00")
    assert not tally(Rule.CIVIL_CODE_ORDINARY, electorate, cast(agree=[0])).valid
    assert not tally(Rule.CIVIL_CODE_ORDINARY, electorate, cast(agree=[1, 2])).valid
    assert tally(Rule.CIVIL_CODE_ORDINARY, electorate, cast(agree=[0, 1])).valid


def test_abstentions_count_as_participation_not_agreement():
    electorate = same_area(9)
    result = tally(Rule.CIVIL_CODE_ORDINARY, electorate,
                   cast(agree=range(3), abstain=range(3, 6)))
    assert result.valid
    assert not result.passed  # 3 of 6 is not more than half


# --- civil code: agreement ------------------------------------------------------------------

def test_agreement_of_exactly_half_fails_the_ordinary_rule():
    electorate = same_area(12)
    half = tally(Rule.CIVIL_CODE_ORDINARY, electorate, cast(agree=range(4), oppose=range(4, 8)))
    assert half.valid and not half.passed
    more = tally(Rule.CIVIL_CODE_ORDINARY, electorate, cast(agree=range(5), oppose=range(5, 8)))
    assert more.passed


def test_ordinary_rule_needs_a_majority_of_area_and_of_headcount():
    # agreeing: one owner of 300 m² (area majority, headcount minority)
    electorate = owners("300.00", "50.00", "50.00", "50.00")
    r = tally(Rule.CIVIL_CODE_ORDINARY, electorate, cast(agree=[0], oppose=[1, 2]))
    assert r.valid and not r.passed
    r = tally(Rule.CIVIL_CODE_ORDINARY, electorate, cast(agree=[1, 2], oppose=[0]))
    assert r.valid and not r.passed  # headcount majority, area minority
    r = tally(Rule.CIVIL_CODE_ORDINARY, electorate, cast(agree=[0, 1], oppose=[2]))
    assert r.passed


def test_exactly_three_quarters_passes_the_major_rule_and_one_less_does_not():
    electorate = same_area(8)
    r = tally(Rule.CIVIL_CODE_MAJOR, electorate, cast(agree=range(6), oppose=range(6, 8)))
    assert r.valid and r.passed
    r = tally(Rule.CIVIL_CODE_MAJOR, electorate,
              cast(agree=range(5), oppose=range(5, 7), abstain=[7]))
    assert r.valid and not r.passed


def test_major_rule_boundary_by_area_with_cents():
    # participating area 400.00; agreeing 300.00 is exactly 3/4, 299.99 is not
    exact = owners("100.00", "100.00", "100.00", "100.00")
    assert tally(Rule.CIVIL_CODE_MAJOR, exact, cast(agree=[0, 1, 2], oppose=[3])).passed
    short = owners("100.00", "100.00", "99.99", "100.01")
    assert not tally(Rule.CIVIL_CODE_MAJOR, short, cast(agree=[0, 1, 2], oppose=[3])).passed


def test_areas_with_two_decimals_sum_without_rounding_error():
    # 0.1 + 0.2 style sums: 30 units of 33.33, 0.01 … floats would drift, Decimal does not.
    electorate = owners(*(["33.33"] * 30 + ["0.01"] * 10))
    r = tally(Rule.CIVIL_CODE_ORDINARY, electorate, cast(agree=range(40)))
    assert r.area_total == Decimal("1000.00")
    assert r.area_participating == Decimal("1000.00") and r.as_dict()["area_agree"] == "1000.00"


def test_the_sentences_say_the_shares_and_the_verdict():
    electorate = owners("70.12", "29.88", "100.00")  # total 200.00
    r = tally(Rule.CIVIL_CODE_ORDINARY, electorate, cast(agree=[0], oppose=[2]))
    assert r.valid  # 170.12/200 = 85.06% area, 2/3 headcount
    first = str(r.sentences[0])
    assert "85.06%" in first and "66.67%" in first and "≥ 2/3" in first and "valid" in first
    assert "does not pass" in str(r.sentences[1])  # 50% headcount is not > 1/2


def test_nobody_voting_is_invalid_not_a_crash():
    r = tally(Rule.CIVIL_CODE_MAJOR, same_area(3), {})
    assert not r.valid and not r.passed
    r = tally(Rule.TWO_THIRDS, [], {})
    assert r.passed is False


# --- headcount rules ------------------------------------------------------------------------

def test_simple_majority_is_more_agree_than_oppose():
    people = same_area(10, "0")
    assert tally(Rule.SIMPLE_MAJORITY, people, cast(agree=[0, 1], oppose=[2], abstain=[3])).passed
    assert not tally(Rule.SIMPLE_MAJORITY, people, cast(agree=[0], oppose=[1])).passed


def test_quorum_is_met_at_exactly_the_percentage():
    people = same_area(10, "0")
    r = tally(Rule.SIMPLE_MAJORITY, people, cast(agree=range(5)), quorum_percent=50)
    assert r.valid and r.passed
    r = tally(Rule.SIMPLE_MAJORITY, people, cast(agree=range(4)), quorum_percent=50)
    assert not r.valid and not r.passed


def test_two_thirds_of_ballots_cast_includes_the_boundary():
    people = same_area(9, "0")
    assert tally(Rule.TWO_THIRDS, people, cast(agree=range(4), oppose=[4, 5])).passed
    assert not tally(Rule.TWO_THIRDS, people, cast(agree=range(4), abstain=[4, 5, 6])).passed


def test_choice_vote_winner_and_tie():
    people = same_area(7, "0")
    options = ("east", "west", "north")
    r = tally(Rule.SIMPLE_MAJORITY, people, cast(east=[0, 1, 2], west=[3]), options=options)
    assert r.winners == ["east"] and r.passed is None
    r = tally(Rule.SIMPLE_MAJORITY, people, cast(east=[0, 1], west=[2, 3], north=[4]),
              options=options)
    assert r.tie and r.winners == ["east", "west"] and "Tie" in str(r.sentences[-1])


def test_ballots_outside_the_electorate_or_options_are_errors():
    with pytest.raises(ValueError):
        tally(Rule.SIMPLE_MAJORITY, same_area(2), {99: "agree"})
    with pytest.raises(ValueError):
        tally(Rule.SIMPLE_MAJORITY, same_area(2), {0: "maybe"})


def test_percent_and_ratio_are_exact():
    assert ratio(2, 3) * 3 == 2
    assert percent(ratio(2, 3)) == "66.67%" and percent(ratio(7012, 10000)) == "70.12%"
    assert ratio(1, 0) == 0


# --- the owner electorate -------------------------------------------------------------------

def test_owner_electorate_follows_the_headcount_rules():
    units = [
        UnitRecord(1, Decimal("80.50"), ("王",)),
        UnitRecord(2, Decimal("90.25"), ("王",)),  # same owner, two units: one elector
        UnitRecord(3, Decimal("100.00"), ("李", "张")),  # co-owners: one elector
        UnitRecord(4, Decimal("60.00"), ("张",)),  # 张 also co-owns 3: joins that elector
        UnitRecord(5, Decimal("70.00"), ()),  # unsold
        UnitRecord(6, Decimal("75.00"), ()),  # unsold: the developer counts once
        UnitRecord(7, Decimal("88.00"), ("赵",)),
    ]
    electors = owner_electors(units)
    by_units = {tuple(e.unit_ids): e for e in electors}
    assert set(by_units) == {(1, 2), (3, 4), (5, 6), (7,)}
    assert by_units[(1, 2)].area == Decimal("170.75")
    assert by_units[(5, 6)].is_developer and by_units[(5, 6)].area == Decimal("145.00")
    assert sum(e.headcount for e in electors) == 4
    assert sum((e.area for e in electors), Decimal(0)) == Decimal("563.75")


def test_owner_electorate_without_unsold_units_has_no_developer():
    electors = owner_electors([UnitRecord(1, Decimal("50.00"), ("王",))])
    assert [e.is_developer for e in electors] == [False]
