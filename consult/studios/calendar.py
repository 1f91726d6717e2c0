"""iCalendar (RFC 5545) feeds of studio sessions, per studio and per representative, built
with :mod:`consult.ical`. Each session keeps the UID ``session-<id>@consult`` for life; a
cancelled one stays in the feed as STATUS:CANCELLED so subscribers see it go."""
from __future__ import annotations

from consult import ical

PRODID = "-//Consult//Studio sessions//ZH"


def feed(name: str, sessions, url_for_session) -> bytes:
    """A calendar of ``sessions``; ``url_for_session(session)`` gives each one's page."""
    cal = ical.calendar(name, PRODID)
    for session in sessions:
        description = [session.focus] if session.focus else []
        if session.is_cancelled:
            description.append(session.cancel_reason)
        cal.add_component(ical.event(
            uid=f"session-{session.id}@consult", starts_at=session.starts_at,
            ends_at=session.ends_at,
            summary=f"{session.studio.name} · {session.representative.name}",
            stamp=session.cancelled_at or session.created_at,
            location=", ".join(p for p in (session.studio.address, session.room.name) if p),
            description="\n".join(description), url=url_for_session(session),
            cancelled=session.is_cancelled, sequence=1 if session.is_cancelled else 0))
    return ical.to_bytes(cal)
