"""The notice and length of votes (consult/votes/rules.py): pure functions, no database (the
app is there for the messages' language and time zone)."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from consult.votes import rules
from consult.votes.rules import Settings

pytestmark = pytest.mark.usefixtures("app", "english")

A = datetime(2026, 12, 6, 6, 0)  # announced: 14:00 Beijing time
DEFAULT = Settings()
ORDINARY, MAJOR = "civil_code_ordinary", "civil_code_major"
OTHERS = ("simple_majority", "two_thirds")


def field(refusal):
    return None if refusal is None else refusal.field


def test_the_defaults_are_the_regulations_fifteen_days_and_seven_days_open():
    assert (DEFAULT.notice_days, DEFAULT.min_open_days) == (15, 7)


@pytest.mark.parametrize("rule", [ORDINARY, MAJOR])
def test_a_civil_code_vote_opens_at_the_earliest_fifteen_days_after_its_announcement(rule):
    exactly = A + timedelta(days=15)
    assert rules.opening_refusal(rule, A, exactly, DEFAULT) is None
    too_early = rules.opening_refusal(rule, A, exactly - timedelta(minutes=1), DEFAULT)
    assert too_early.field == "opens_at"
    assert str(too_early.message) == (
        "Votes under the Civil Code are announced at least 15 days before voting opens in this "
        "community; the earliest opening is 2026-12-21 14:00.")
    assert field(rules.opening_refusal(rule, A, A, DEFAULT)) == "opens_at"  # not at once


@pytest.mark.parametrize("rule", [ORDINARY, MAJOR])
def test_a_civil_code_vote_stays_open_at_least_seven_days(rule):
    opens = A + timedelta(days=15)
    assert rules.length_refusal(rule, opens, opens + timedelta(days=7), DEFAULT) is None
    short = rules.length_refusal(rule, opens, opens + timedelta(days=7, minutes=-1), DEFAULT)
    assert short.field == "closes_at"
    assert str(short.message) == (
        "Votes under the Civil Code stay open at least 7 days in this community; the earliest "
        "closing is 2026-12-28 14:00.")


def test_the_communitys_own_numbers_apply():
    mine = Settings(notice_days=30, min_open_days=10)
    assert field(rules.opening_refusal(ORDINARY, A, A + timedelta(days=15), mine)) == "opens_at"
    assert "at least 30 days" in str(
        rules.opening_refusal(ORDINARY, A, A + timedelta(days=29, hours=23), mine).message)
    assert rules.opening_refusal(ORDINARY, A, A + timedelta(days=30), mine) is None
    opens = A + timedelta(days=30)
    assert "at least 10 days" in str(
        rules.length_refusal(MAJOR, opens, opens + timedelta(days=9), mine).message)
    assert rules.length_refusal(MAJOR, opens, opens + timedelta(days=10), mine) is None
    short = Settings(notice_days=5, min_open_days=3)
    assert rules.times_refusal(ORDINARY, A, A + timedelta(days=5), A + timedelta(days=8),
                               short) is None


@pytest.mark.parametrize("rule", OTHERS)
def test_other_votes_may_open_at_once_and_stay_open_at_least_a_day(rule):
    strict = Settings(notice_days=60, min_open_days=60)  # the community's numbers do not apply
    assert rules.times_refusal(rule, A, A, A + timedelta(days=1), strict) is None
    # a minute or two late (the form's minute, a slow request) is still "now"
    assert rules.opening_refusal(rule, A, A - timedelta(minutes=4), strict) is None
    assert field(rules.opening_refusal(rule, A, A - timedelta(minutes=6), strict)) == "opens_at"
    short = rules.length_refusal(rule, A, A + timedelta(hours=23, minutes=59), strict)
    assert short.field == "closes_at" and "at least a day" in str(short.message)
    assert rules.earliest_opening(rule, A, strict) == A
    assert not rules.needs_notice(rule)


@pytest.mark.parametrize("rule", [ORDINARY, "simple_majority"])
def test_times_out_of_bounds(rule):
    opens = rules.earliest_opening(rule, A, DEFAULT)
    assert field(rules.length_refusal(rule, opens, opens, DEFAULT)) == "closes_at"
    assert field(rules.length_refusal(rule, opens, opens + timedelta(days=60), DEFAULT)) is None
    assert field(rules.length_refusal(
        rule, opens, opens + timedelta(days=60, minutes=1), DEFAULT)) == "closes_at"
    assert rules.opening_refusal(rule, A, opens + timedelta(days=90), DEFAULT) is None
    assert field(rules.opening_refusal(
        rule, A, opens + timedelta(days=90, minutes=1), DEFAULT)) == "opens_at"


@pytest.mark.parametrize("rule", [ORDINARY, MAJOR, *OTHERS])
@pytest.mark.parametrize("settings", [DEFAULT, Settings(5, 3), Settings(60, 60)])
def test_the_forms_default_times_are_allowed_while_the_form_is_filled_in(rule, settings):
    now = datetime(2026, 12, 6, 6, 59, 30)
    opens, closes = rules.default_times(rule, now, settings)
    # a Civil Code vote for an hour at least; any other opens at once (the grace: 5 minutes)
    later = timedelta(minutes=60 if rules.needs_notice(rule) else 4)
    for sent in (now, now + later):
        assert rules.times_refusal(rule, sent, opens, closes, settings) is None
    if not rules.needs_notice(rule):
        assert opens <= now


@pytest.mark.parametrize("notice, days, bad", [
    (15, 7, None), (5, 3, None), (60, 60, None),
    (4, 7, "vote_notice_days"), (61, 7, "vote_notice_days"),
    (15, 2, "vote_min_open_days"), (15, 61, "vote_min_open_days"),
    ("15", 7, "vote_notice_days"), (15, None, "vote_min_open_days"),
    (True, 7, "vote_notice_days"),
])
def test_the_settings_bounds(notice, days, bad):
    assert field(rules.settings_refusal(notice, days)) == bad
    assert rules.OPEN_DAYS_MAX <= rules.MAX_DAYS
