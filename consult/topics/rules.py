"""When a secretary may move a topic's deadlines: closing a comment period early, extending it,
extending an outcome's publicity window, and whether a topic may go on a meeting's agenda.
Pure: no database, no request; each function takes the times it judges (naive UTC) and returns
``None`` to allow or the message that says why not."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l

EARLY_CLOSE_AFTER = timedelta(days=3)  # a comment period runs at least this long
EXTENSION_MAX = timedelta(days=30)  # one extension moves an end by at most this much


def earliest_early_close(opened_at: datetime) -> datetime:
    return opened_at + EARLY_CLOSE_AFTER


def early_close_refusal(opened_at: datetime | None, comment_until: datetime | None,
                        now: datetime) -> str | None:
    """May a comment period that opened at ``opened_at`` and runs until ``comment_until`` be
    closed at ``now``? Not before it has run :data:`EARLY_CLOSE_AFTER`, not once it is over."""
    if opened_at is None or comment_until is None:
        return _l("There is no open comment period.")
    if now >= comment_until:
        return _l("The comment period has already ended.")
    if now < earliest_early_close(opened_at):
        return _l("A comment period runs at least %(n)d days before it can be closed early.",
                  n=EARLY_CLOSE_AFTER.days)
    return None


def extension_refusal(current_end: datetime | None, new_end: datetime | None,
                      now: datetime) -> str | None:
    """May an open period ending at ``current_end`` be extended to ``new_end``? Only while it
    runs, only later, and by at most :data:`EXTENSION_MAX`."""
    if current_end is None or now >= current_end:
        return _l("The period has already ended; it can no longer be extended.")
    if new_end is None:
        return _l("Give the new end: a date and a time.")
    if new_end <= current_end:
        return _l("The new end must be later than the current one.")
    if new_end - current_end > EXTENSION_MAX:
        return _l("An extension adds at most %(n)d days.", n=EXTENSION_MAX.days)
    return None


def may_go_on_agenda(comment_until: datetime | None, meeting_starts_at: datetime) -> bool:
    """A topic open for comment may go on a meeting's agenda when its comment period ends
    before the meeting starts (at the latest as it starts)."""
    return comment_until is not None and comment_until <= meeting_starts_at
