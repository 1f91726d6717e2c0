"""The steps of a matter raised at a reception (consult/studios/rules.py): pure, no database."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from consult.studios import rules
from consult.studios.rules import ANSWERED, HANDLING, RECORDED

TODAY = date(2026, 11, 30)


def field_of(refusal):
    return None if refusal is None else refusal.field


def test_start_handling_only_from_recorded():
    assert rules.start_handling_refusal(RECORDED) is None
    assert "already being handled" in str(rules.start_handling_refusal(HANDLING).message)
    assert "already answered" in str(rules.start_handling_refusal(ANSWERED).message)


@pytest.mark.parametrize("status, due, field", [
    (RECORDED, TODAY, "ok"),
    (HANDLING, TODAY + timedelta(days=14), "ok"),
    (HANDLING, TODAY - timedelta(days=1), "due_on"),
    (RECORDED, None, "due_on"),
    (RECORDED, TODAY + timedelta(days=400), "due_on"),
    (ANSWERED, TODAY, None),
])
def test_due_date(status, due, field):
    refusal = rules.due_date_refusal(status, due, TODAY)
    assert (refusal is None) == (field == "ok")
    if refusal is not None:
        assert refusal.field == field


@pytest.mark.parametrize("status, text, field", [
    (RECORDED, "已联系物业，下周修好", "ok"),  # straight from recorded: the answer was at hand
    (HANDLING, "已联系物业，下周修好", "ok"),
    (HANDLING, "   ", "answer"),
    (HANDLING, "长" * (rules.ANSWER_MAX + 1), "answer"),
    (ANSWERED, "再答一次", None),
])
def test_answer(status, text, field):
    refusal = rules.answer_refusal(status, text)
    assert (refusal is None) == (field == "ok")
    if refusal is not None:
        assert refusal.field == field


@pytest.mark.parametrize("status, rated, rating, reason, field", [
    (ANSWERED, False, 5, "", "ok"),
    (ANSWERED, False, 3, "", "ok"),
    (ANSWERED, False, 2, "没有解决", "ok"),
    (ANSWERED, False, 1, "  ", "reason"),  # a low rating says why
    (ANSWERED, False, 0, "", "rating"),
    (ANSWERED, False, 6, "", "rating"),
    (ANSWERED, False, None, "", "rating"),
    (ANSWERED, False, 4, "长" * (rules.REASON_MAX + 1), "reason"),
    (ANSWERED, True, 4, "", None),  # once per answer
    (HANDLING, False, 4, "", None),  # nothing to rate yet
    (RECORDED, False, 4, "", None),
])
def test_rating(status, rated, rating, reason, field):
    refusal = rules.rating_refusal(status, rated, rating, reason)
    assert (refusal is None) == (field == "ok")
    if refusal is not None:
        assert refusal.field == field


@pytest.mark.parametrize("rating, reopened_before, status", [
    (1, False, HANDLING), (2, False, HANDLING),  # a low rating reopens...
    (1, True, ANSWERED), (2, True, ANSWERED),  # ... once only: a second one is kept
    (3, False, ANSWERED), (5, False, ANSWERED), (5, True, ANSWERED),
])
def test_status_after_rating(rating, reopened_before, status):
    assert rules.status_after_rating(rating, reopened_before) == status
    assert rules.reopens(rating, reopened_before) == (status == HANDLING)


@pytest.mark.parametrize("status, due, overdue", [
    (RECORDED, TODAY - timedelta(days=1), True),
    (HANDLING, TODAY - timedelta(days=1), True),
    (HANDLING, TODAY, False),  # due today is not late yet
    (HANDLING, None, False),
    (ANSWERED, TODAY - timedelta(days=9), False),
])
def test_overdue(status, due, overdue):
    assert rules.is_overdue(status, due, TODAY) is overdue
