"""The pure rules of messages: categories, defaults, channels, quiet hours, retries."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from consult.messages import rules


@pytest.mark.parametrize("kind, category", [
    ("vote.opened", "votes"), ("vote.announced", "votes"), ("vote.cancelled", "votes"),
    ("vote.closing_soon", "closing"), ("vote.ballot_replaced_by_paper", "my_ballot"),
    ("vote.proxy_asked", "my_ballot"), ("grid.voted_for", "my_ballot"),
    ("studio.reminder", "appointments"), ("meeting.seat", "appointments"),
    ("residency.verified", "verification"), ("topic.reply", "replies"),
    ("outcome.answer", "replies"), ("topic.accepted", "followed"),
    ("outcome.progress", "followed"), ("topic.needs_review", "work"), ("generic", None),
])
def test_every_kind_has_its_category(kind, category):
    assert rules.category_of(kind) == category


def test_the_defaults_the_issue_asks_for():
    immediate = {"votes", "closing", "appointments", "verification"}
    digest = {"replies", "followed"}
    for key in immediate:
        assert rules.mode_for(key, None) == rules.IMMEDIATE
    for key in digest:
        assert rules.mode_for(key, None) == rules.DIGEST
    assert rules.mode_for("replies", rules.IMMEDIATE) == rules.IMMEDIATE
    assert rules.mode_for("replies", "nonsense") == rules.DIGEST
    assert rules.mode_for(None, rules.IMMEDIATE) == rules.INAPP


def test_a_channel_is_one_that_reaches_the_person():
    pick = rules.pick_channel
    assert pick(phone=True, email=True, sms_on=True, email_on=True, preferred=None) == "sms"
    assert pick(phone=True, email=True, sms_on=True, email_on=True,
                preferred="email") == "email"
    assert pick(phone=False, email=True, sms_on=True, email_on=True, preferred="sms") == "email"
    assert pick(phone=True, email=False, sms_on=False, email_on=True, preferred=None) is None


def _beijing(hour, minute=0, day=10):
    # Asia/Shanghai is UTC+8 all year.
    return datetime(2026, 12, day, hour, minute) - timedelta(hours=8)


def test_quiet_hours_hold_an_sms_until_eight_in_the_morning():
    morning = _beijing(8, day=11)
    assert rules.quiet_until(_beijing(21)) == morning
    assert rules.quiet_until(_beijing(23, 59)) == morning
    assert rules.quiet_until(_beijing(3, day=11)) == morning
    assert rules.quiet_until(_beijing(7, 59, day=11)) == morning
    assert rules.quiet_until(_beijing(8, day=11)) is None
    assert rules.quiet_until(_beijing(20, 59)) is None


def test_quiet_hours_of_ones_own_choosing():
    assert rules.quiet_until(_beijing(13), 12, 14) == _beijing(14)
    assert rules.quiet_until(_beijing(15), 12, 14) is None
    assert rules.quiet_until(_beijing(3), 0, 0) is None  # none at all


def test_retries_back_off_then_stop():
    now = datetime(2026, 12, 10, 12, 0)
    waits = [rules.next_try(n, now) - now for n in range(1, rules.MAX_ATTEMPTS)]
    assert waits == sorted(waits) and waits[0] == timedelta(minutes=1)
    assert rules.next_try(rules.MAX_ATTEMPTS, now) is None


def test_one_digest_a_local_day():
    assert rules.digest_due(None, _beijing(19))
    assert not rules.digest_due(date(2026, 12, 10), _beijing(23))
    assert rules.digest_due(date(2026, 12, 10), _beijing(0, 30, day=11))
