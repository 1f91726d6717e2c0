"""Activation codes as text and their state: pure rules."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from consult.activation import rules

NOW = datetime(2026, 12, 6, 4, 0)


def test_a_new_code_uses_only_the_unambiguous_alphabet():
    codes = {rules.new_code() for _ in range(200)}
    assert len(codes) == 200  # random enough not to repeat
    for code in codes:
        assert len(code) == rules.LENGTH == 10
        assert not set(code) & set("01OIL")
        assert set(code) <= set(rules.ALPHABET)


def test_a_code_is_shown_in_two_groups():
    assert rules.grouped("ABCDEFGHJK") == "ABCDE-FGHJK"


@pytest.mark.parametrize("typed", [
    "ABCDE-FGHJK", "abcde-fghjk", "ABCDEFGHJK", "abcde fghjk", " AbCdE  -  fGhJk ",
    "ＡＢＣＤＥ－ＦＧＨＪＫ",  # full-width, as a Chinese input method types it
    "ａｂｃｄｅ　ｆｇｈｊｋ",  # full-width lower case and an ideographic space
    "ABCDE—FGHJK", "ABCDE_FGHJK", "ABC-DE-FG-HJK",
])
def test_what_people_type_is_read_back_as_the_code(typed):
    assert rules.normalise(typed) == "ABCDEFGHJK"


@pytest.mark.parametrize("typed", [
    "", None, "ABCDE-FGHJ", "ABCDE-FGHJKM",  # too short, too long
    "ABCDE-FGHJ0", "ABCDE-FGHJO", "ABCDE-FGHJ1", "ABCDE-FGHJI", "ABCDE-FGHJL",  # not in it
    "ABCDE/FGHJK", "ABCDE-FGHJ\x00", "甲乙丙丁戊己庚辛壬癸",
])
def test_what_cannot_be_a_code_is_none(typed):
    assert rules.normalise(typed) is None


def test_the_state_of_a_code():
    later = NOW + timedelta(days=30)

    def state(**kw):
        return rules.state(**{"used_at": None, "voided_at": None, "expires_at": later,
                              "now": NOW, **kw})

    assert state() == rules.LIVE
    assert state(now=later - timedelta(seconds=1)) == rules.LIVE
    assert state(now=later) == rules.EXPIRED  # valid until, not through, its end
    assert state(voided_at=NOW) == rules.VOID
    assert state(used_at=NOW) == rules.USED
    assert state(used_at=NOW, voided_at=NOW, now=later) == rules.USED  # used says it all
