"""When a consent lets a grid worker act (pure rules), and who may see and act in a grid."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from consult.grids import rules
from consult.grids.rules import Act, Scope, State
from consult.permissions import may

pytestmark = pytest.mark.usefixtures("english")

NOW = datetime(2026, 12, 1, 2, 0)


@dataclass
class C:
    scope: str = Scope.VOTE_AND_COMMENT.value
    starts_at: datetime = NOW - timedelta(days=1)
    ends_at: datetime = NOW + timedelta(days=30)
    revoked_at: datetime | None = None


def test_a_consent_in_its_period_is_active_and_covers_its_scope():
    assert rules.state(C(), NOW) is State.ACTIVE
    assert rules.act_refusal(C(), Act.VOTE.value, NOW) is None
    assert rules.act_refusal(C(), Act.COMMENT.value, NOW) is None


def test_a_consent_ends_at_its_end():
    c = C(ends_at=NOW)
    assert rules.state(c, NOW - timedelta(seconds=1)) is State.ACTIVE
    assert rules.state(c, NOW) is State.EXPIRED
    assert "expired" in str(rules.act_refusal(c, Act.VOTE.value, NOW))


def test_a_revoked_consent_allows_nothing_even_within_its_period():
    c = C(revoked_at=NOW - timedelta(minutes=1))
    assert rules.state(c, NOW) is State.REVOKED
    assert "revoked" in str(rules.act_refusal(c, Act.COMMENT.value, NOW))


def test_a_consent_not_started_allows_nothing_yet():
    c = C(starts_at=NOW + timedelta(hours=1))
    assert rules.state(c, NOW) is State.NOT_STARTED
    assert rules.act_refusal(c, Act.VOTE.value, NOW) is not None


@pytest.mark.parametrize("scope, vote, comment", [
    (Scope.VOTE_AND_COMMENT.value, True, True), (Scope.VOTE.value, True, False),
    (Scope.COMMENT.value, False, True), ("anything", False, False)])
def test_the_scope_says_which_acts(scope, vote, comment):
    assert rules.covers(scope, Act.VOTE.value) is vote
    assert rules.covers(scope, Act.COMMENT.value) is comment
    refusal = rules.act_refusal(C(scope=scope), Act.VOTE.value, NOW)
    assert (refusal is None) is vote
    if scope == Scope.COMMENT.value:
        assert "does not cover casting votes" in str(refusal)


def test_no_consent_is_refused_with_what_to_do():
    assert "has not consented" in str(rules.act_refusal(None, Act.VOTE.value, NOW))


def test_the_period_is_in_the_future_and_at_most_a_year():
    assert rules.period_refusal(NOW, NOW + timedelta(days=30), NOW) is None
    assert rules.period_refusal(NOW, None, NOW) is not None
    assert rules.period_refusal(NOW, NOW - timedelta(days=1), NOW) is not None
    assert rules.period_refusal(NOW, NOW + timedelta(days=rules.MAX_DAYS + 2), NOW) is not None


def test_an_in_person_consent_says_how_it_was_given():
    assert rules.clean_evidence("  签字表 第12号 ")[0] == "签字表 第12号"
    assert rules.clean_evidence("签字表 第12号")[1] is None
    assert rules.clean_evidence("   ")[1] is not None
    assert rules.clean_evidence("x" * (rules.EVIDENCE_MAX + 1))[1] is not None


def test_a_worker_of_another_grid_of_the_same_community_sees_and_does_nothing_here(estate):
    p = estate.people
    assert may(p["worker"], "grid.see_people", estate.grid)
    assert may(p["worker"], "grid.act_for", estate.grid)
    for action in ("grid.see_people", "grid.act_for"):
        assert not may(p["other_worker"], action, estate.grid)
        assert not may(p["worker"], action, estate.other_grid)
    # the office sees every grid of its community but acts for nobody
    assert may(p["secretary"], "grid.see_people", estate.other_grid)
    assert not may(p["secretary"], "grid.act_for", estate.grid)
