"""Pure time arithmetic for studios: reception slots, weeks, typed dates and times.

No database and no HTTP here, so the rules are easy to test on their own.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from consult.clock import local_to_utc, to_local

SLOT_KEY_FORMAT = "%Y-%m-%dT%H:%M"  # how a slot is named in forms: its start, UTC
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::00)?")


@dataclass(frozen=True)
class Slot:
    start: datetime  # naive UTC
    end: datetime
    taken: bool = False

    @property
    def key(self) -> str:
        return self.start.strftime(SLOT_KEY_FORMAT)


def slot_starts(starts_at: datetime, ends_at: datetime, minutes: int) -> list[datetime]:
    """The starts of the whole slots that fit in the range; a remainder shorter than one slot
    is left free (the representative's buffer), never a short slot."""
    length = timedelta(minutes=minutes)
    starts = []
    current = starts_at
    while current + length <= ends_at:
        starts.append(current)
        current += length
    return starts


def slots_of(session, taken: set[datetime] = frozenset()) -> list[Slot]:
    length = timedelta(minutes=session.slot_minutes)
    return [Slot(s, s + length, s in taken)
            for s in slot_starts(session.starts_at, session.ends_at, session.slot_minutes)]


def parse_slot_key(raw) -> datetime | None:
    try:
        return datetime.strptime(str(raw or ""), SLOT_KEY_FORMAT)
    except ValueError:
        return None


def parse_date(raw) -> date | None:
    """``YYYY-MM-DD`` as a date input sends it; ``None`` for anything else."""
    try:
        return date.fromisoformat(str(raw or "").strip())
    except ValueError:
        return None


def parse_time(raw) -> time | None:
    """``H:MM`` or ``HH:MM`` (a time input may add ``:00``); ``None`` for anything else."""
    match = _TIME.fullmatch(str(raw or "").strip())
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def local_range(day: date, start: time, end: time) -> tuple[datetime, datetime]:
    """A wall-clock range on ``day`` in Asia/Shanghai as naive UTC."""
    return (local_to_utc(datetime.combine(day, start)),
            local_to_utc(datetime.combine(day, end)))


def local_date(value: datetime) -> date:
    return to_local(value).date()


def hhmm(value: datetime) -> str:
    """A stored (UTC) time as local ``HH:MM``."""
    return to_local(value).strftime("%H:%M")


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_bounds(monday: date) -> tuple[datetime, datetime]:
    """The local week starting ``monday`` as a naive-UTC half-open range."""
    start = local_to_utc(datetime.combine(monday, time()))
    return start, start + timedelta(days=7)


def within_hours(hours, weekday: int, start: time, end: time) -> bool:
    """Does ``start``-``end`` fit inside one opening period of ``weekday``?"""
    return any(h.weekday == weekday and h.opens <= start and end <= h.closes for h in hours)
