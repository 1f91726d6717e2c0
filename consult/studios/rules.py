"""How the matter raised at a reception moves: pure functions, no database, no clock, no
request.

recorded → being handled → answered. The representative may answer straight from "recorded"
(the answer was at hand). The resident rates an answer once (1 to 5); a low rating (1 or 2)
with its reason puts the matter back to "being handled", once only: a second low rating is kept
on the record but leaves the matter answered. A matter is overdue when its due date has passed
(the day after it, local time) and it is not answered.

Each check returns ``None`` when the step is allowed or a :class:`MatterRefusal`: the message
and the form field it concerns (``None``: the step as a whole).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l

RECORDED, HANDLING, ANSWERED = "recorded", "handling", "answered"
STATUSES = (RECORDED, HANDLING, ANSWERED)
RATINGS = range(1, 6)
LOW_RATING = 2  # this and below reopen the matter (once)
ANSWER_MAX = 2000
REASON_MAX = 500
DUE_MAX_AHEAD = timedelta(days=366)


@dataclass(frozen=True)
class MatterRefusal:
    message: object
    field: str | None = None


def start_handling_refusal(status: str) -> MatterRefusal | None:
    if status == HANDLING:
        return MatterRefusal(_l("This matter is already being handled."))
    if status == ANSWERED:
        return MatterRefusal(_l("This matter is already answered."))
    return None


def due_date_refusal(status: str, due: date | None, today: date) -> MatterRefusal | None:
    """A due date is set or moved while the matter is open, from today to a year ahead."""
    if status == ANSWERED:
        return MatterRefusal(_l("This matter is already answered; it needs no due date."))
    if due is None:
        return MatterRefusal(_l("Enter a date like 2026-12-01."), "due_on")
    if due < today:
        return MatterRefusal(_l("The due date cannot be in the past."), "due_on")
    if due > today + DUE_MAX_AHEAD:
        return MatterRefusal(_l("Choose a due date within a year."), "due_on")
    return None


def answer_refusal(status: str, answer: str) -> MatterRefusal | None:
    if status == ANSWERED:
        return MatterRefusal(_l("This matter is already answered."))
    if not answer.strip():
        return MatterRefusal(_l("Write the answer the resident will read."), "answer")
    if len(answer.strip()) > ANSWER_MAX:
        return MatterRefusal(_l("At most %(max)d characters.", max=ANSWER_MAX), "answer")
    return None


def rating_refusal(status: str, already_rated: bool, rating: int | None,
                   reason: str) -> MatterRefusal | None:
    """The resident rates the answer they have, once; a low rating needs its reason."""
    if status != ANSWERED:
        return MatterRefusal(_l("The matter can be rated once it is answered."))
    if already_rated:
        return MatterRefusal(_l("You have already rated this answer."))
    if rating not in RATINGS:
        return MatterRefusal(_l("Choose from 1 to 5."), "rating")
    reason = reason.strip()
    if rating <= LOW_RATING and not reason:
        return MatterRefusal(_l("Say what is missing from the answer."), "reason")
    if len(reason) > REASON_MAX:
        return MatterRefusal(_l("At most %(max)d characters.", max=REASON_MAX), "reason")
    return None


def reopens(rating: int, reopened_before: bool) -> bool:
    """Does this rating put the matter back to "being handled"? Only a low one, only once."""
    return rating <= LOW_RATING and not reopened_before


def status_after_rating(rating: int, reopened_before: bool) -> str:
    return HANDLING if reopens(rating, reopened_before) else ANSWERED


def is_overdue(status: str, due: date | None, today: date) -> bool:
    return status != ANSWERED and due is not None and due < today
