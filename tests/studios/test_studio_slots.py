"""Pure time rules of studios: slots, typed dates and times, weeks, opening hours."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from types import SimpleNamespace

import pytest

from consult.studios.slots import (
    local_range, monday_of, parse_date, parse_slot_key, parse_time, slot_starts, slots_of,
    week_bounds, within_hours,
)


def test_slots_fill_the_session_and_drop_a_short_remainder():
    start = datetime(2026, 12, 1, 1, 0)
    assert slot_starts(start, datetime(2026, 12, 1, 3, 0), 20) == [
        start + timedelta(minutes=m) for m in range(0, 120, 20)]
    # 50 minutes of 20-minute slots: two slots, the last 10 minutes stay free.
    assert len(slot_starts(start, datetime(2026, 12, 1, 1, 50), 20)) == 2
    assert slot_starts(start, datetime(2026, 12, 1, 1, 5), 10) == []


def test_slots_of_marks_taken_ones():
    session = SimpleNamespace(starts_at=datetime(2026, 12, 1, 1, 0),
                              ends_at=datetime(2026, 12, 1, 2, 0), slot_minutes=30)
    slots = slots_of(session, {datetime(2026, 12, 1, 1, 30)})
    assert [(s.key, s.taken) for s in slots] == [("2026-12-01T01:00", False),
                                                 ("2026-12-01T01:30", True)]
    assert parse_slot_key("2026-12-01T01:30") == datetime(2026, 12, 1, 1, 30)
    assert parse_slot_key("junk") is None and parse_slot_key(None) is None


@pytest.mark.parametrize("raw, expected", [
    ("09:00", time(9)), ("9:05", time(9, 5)), ("17:30:00", time(17, 30)), (" 08:15 ", time(8, 15)),
    ("24:00", None), ("9", None), ("09:60", None), ("", None), (None, None), ("nine", None),
])
def test_parse_time(raw, expected):
    assert parse_time(raw) == expected


def test_parse_date():
    assert parse_date("2026-12-01") == date(2026, 12, 1)
    assert parse_date("2026-02-30") is None
    assert parse_date("12/01/2026") is None
    assert parse_date(None) is None


def test_local_times_become_utc_and_weeks_start_on_monday():
    assert local_range(date(2026, 12, 1), time(9), time(11)) == (
        datetime(2026, 12, 1, 1, 0), datetime(2026, 12, 1, 3, 0))
    assert monday_of(date(2026, 12, 6)) == date(2026, 11, 30)  # a Sunday
    assert monday_of(date(2026, 11, 30)) == date(2026, 11, 30)
    assert week_bounds(date(2026, 11, 30)) == (datetime(2026, 11, 29, 16, 0),
                                               datetime(2026, 12, 6, 16, 0))


def test_within_hours_needs_one_period_to_hold_the_whole_range():
    hours = [SimpleNamespace(weekday=1, opens=time(9), closes=time(12)),
             SimpleNamespace(weekday=1, opens=time(14), closes=time(17))]
    assert within_hours(hours, 1, time(9), time(12))
    assert within_hours(hours, 1, time(14, 30), time(16))
    assert not within_hours(hours, 1, time(11), time(14, 30))  # spans the lunch break
    assert not within_hours(hours, 1, time(8, 30), time(10))
    assert not within_hours(hours, 2, time(9), time(10))  # closed that day
