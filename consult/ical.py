"""iCalendar (RFC 5545) feeds, shared by hall meetings and studio sessions.

Times are written in Asia/Shanghai with its VTIMEZONE (one STANDARD block: +08:00 without
daylight saving since 1991). A feed is built in three steps::

    cal = ical.calendar("幸福里社区议事厅", prodid="-//Consult//Hall meetings//ZH")
    cal.add_component(ical.event(uid="meeting-7@consult", starts_at=..., ends_at=...,
                                 summary=..., stamp=..., cancelled=False, sequence=0))
    body = ical.to_bytes(cal)

UIDs must be stable for the life of the thing (``<kind>-<id>@consult``) so that a subscribed
calendar updates an event in place; a cancelled event stays in the feed with
``STATUS:CANCELLED`` and a higher ``SEQUENCE`` so subscribers see it go.
"""
from __future__ import annotations

from datetime import date, datetime, timezone

from icalendar import Calendar, Event, Timezone

from consult.clock import to_local, utcnow

TZID = "Asia/Shanghai"
MIMETYPE = "text/calendar"


def calendar(name: str, prodid: str) -> Calendar:
    """An empty calendar named ``name`` with the Asia/Shanghai VTIMEZONE."""
    cal = Calendar()
    cal.add("prodid", prodid)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", TZID)
    today = to_local(utcnow()).date()
    cal.add_component(Timezone.from_tzid(
        TZID, first_date=date(today.year - 1, 1, 1), last_date=date(today.year + 5, 1, 1)))
    return cal


def event(*, uid: str, starts_at: datetime, ends_at: datetime, summary: str, stamp: datetime,
          location: str = "", description: str = "", url: str = "", cancelled: bool = False,
          sequence: int = 0) -> Event:
    """A VEVENT; ``starts_at``, ``ends_at`` and ``stamp`` are naive UTC as stored."""
    e = Event()
    e.add("uid", uid)
    e.add("dtstamp", stamp.replace(tzinfo=timezone.utc))
    e.add("dtstart", to_local(starts_at))
    e.add("dtend", to_local(ends_at))
    e.add("summary", summary)
    if location:
        e.add("location", location)
    if description:
        e.add("description", description)
    if url:
        e.add("url", url)
    e.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    e.add("sequence", sequence)
    return e


def to_bytes(cal: Calendar) -> bytes:
    return cal.to_ical()
