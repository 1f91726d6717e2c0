"""The notice and length of votes: pure functions, no database, no clock.

Creating a vote is its announcement (公告). A vote under one of the Civil Code rules (an owners'
decision) opens at least the community's notice days after its announcement (物业管理条例
art. 14 asks 15 days' notice of an owners' meeting) and stays open at least the community's
shortest voting time; any other vote may open at once and stays open at least a day. Each
function returns ``None`` when the time is allowed, or a :class:`TimeRefusal`: the message and
the form field it concerns.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l

from consult.i18n import local_datetime
from consult.votes.tally import CIVIL_CODE_RULES, Rule

MAX_DAYS = 60  # the longest a vote stays open
# The bounds of a community's settings (consult/admin).
NOTICE_DAYS_MIN, NOTICE_DAYS_MAX = 5, 60
OPEN_DAYS_MIN, OPEN_DAYS_MAX = 3, MAX_DAYS
DEFAULT_NOTICE_DAYS, DEFAULT_MIN_OPEN_DAYS = 15, 7
# Any vote that is not under a Civil Code rule stays open at least this long.
OTHER_MIN_OPEN = timedelta(days=1)
# How far ahead of its announcement a vote may open at most (beyond the notice).
MAX_AHEAD_DAYS = 90
# An opening a little in the past (the form's minute, a slow request) counts as "now".
GRACE = timedelta(minutes=5)


@dataclass(frozen=True)
class Settings:
    """A community's numbers for Civil Code votes."""

    notice_days: int = DEFAULT_NOTICE_DAYS
    min_open_days: int = DEFAULT_MIN_OPEN_DAYS

    @classmethod
    def of(cls, community) -> Settings:
        return cls(community.vote_notice_days, community.vote_min_open_days)


@dataclass(frozen=True)
class TimeRefusal:
    message: object
    field: str


def is_civil_code(rule: str) -> bool:
    return rule in {r.value for r in CIVIL_CODE_RULES}


def needs_notice(rule: str) -> bool:
    """Is a vote under ``rule`` announced before it opens?"""
    return is_civil_code(rule)


def earliest_opening(rule: str, announced_at: datetime, settings: Settings) -> datetime:
    """The earliest a vote under ``rule`` announced at ``announced_at`` may open."""
    if needs_notice(rule):
        return announced_at + timedelta(days=settings.notice_days)
    return announced_at


def shortest_open(rule: str, settings: Settings) -> timedelta:
    """How long a vote under ``rule`` stays open at least."""
    if is_civil_code(rule):
        return timedelta(days=settings.min_open_days)
    return OTHER_MIN_OPEN


def opening_refusal(rule: str, announced_at: datetime, opens_at: datetime,
                    settings: Settings) -> TimeRefusal | None:
    """Why a vote under ``rule`` announced at ``announced_at`` may not open at ``opens_at``."""
    if opens_at < announced_at - GRACE:
        return TimeRefusal(_l("The opening time has already passed; open it now or later."),
                           "opens_at")
    earliest = earliest_opening(rule, announced_at, settings)
    if needs_notice(rule) and opens_at < earliest:
        return TimeRefusal(_l(
            "Votes under the Civil Code are announced at least %(n)d days before voting opens "
            "in this community; the earliest opening is %(when)s.",
            n=settings.notice_days, when=local_datetime(earliest, "short")), "opens_at")
    if opens_at > earliest + timedelta(days=MAX_AHEAD_DAYS):
        return TimeRefusal(_l("Voting can open at most %(n)d days after the earliest opening "
                              "(%(when)s).", n=MAX_AHEAD_DAYS,
                              when=local_datetime(earliest, "short")), "opens_at")
    return None


def length_refusal(rule: str, opens_at: datetime, closes_at: datetime,
                   settings: Settings) -> TimeRefusal | None:
    """Why a vote under ``rule`` may not stay open from ``opens_at`` to ``closes_at``."""
    if closes_at <= opens_at:
        return TimeRefusal(_l("The vote must close after it opens."), "closes_at")
    shortest = shortest_open(rule, settings)
    if closes_at - opens_at < shortest:
        if is_civil_code(rule):
            return TimeRefusal(_l(
                "Votes under the Civil Code stay open at least %(n)d days in this community; "
                "the earliest closing is %(when)s.", n=settings.min_open_days,
                when=local_datetime(opens_at + shortest, "short")), "closes_at")
        return TimeRefusal(_l("A vote stays open at least a day; the earliest closing is "
                              "%(when)s.", when=local_datetime(opens_at + shortest, "short")),
                           "closes_at")
    if closes_at - opens_at > timedelta(days=MAX_DAYS):
        return TimeRefusal(_l("A vote can stay open at most %(n)d days.", n=MAX_DAYS),
                           "closes_at")
    return None


def times_refusal(rule: str, announced_at: datetime, opens_at: datetime, closes_at: datetime,
                  settings: Settings) -> TimeRefusal | None:
    """The first refusal of the opening and the length, or None: the times are allowed."""
    return (opening_refusal(rule, announced_at, opens_at, settings)
            or length_refusal(rule, opens_at, closes_at, settings))


def default_times(rule: str, now: datetime, settings: Settings) -> tuple[datetime, datetime]:
    """Opening and closing times the open-vote form proposes for ``rule``: a vote announced
    at ``now`` opens at once (the minute) or, under the Civil Code, at the full hour after the
    notice's end and an hour more, so the form stays valid while the secretary fills it in."""
    if needs_notice(rule):
        start = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=2)
        opens = start + timedelta(days=settings.notice_days)
        return opens, opens + timedelta(days=settings.min_open_days)
    start = now.replace(second=0, microsecond=0)
    return start, start + timedelta(days=DEFAULT_MIN_OPEN_DAYS)


def settings_refusal(notice_days, min_open_days) -> TimeRefusal | None:
    """Why a community may not take these numbers for its Civil Code votes."""
    for value, field, low, high in (
            (notice_days, "vote_notice_days", NOTICE_DAYS_MIN, NOTICE_DAYS_MAX),
            (min_open_days, "vote_min_open_days", OPEN_DAYS_MIN, OPEN_DAYS_MAX)):
        if isinstance(value, bool) or not isinstance(value, int):
            return TimeRefusal(_l("Enter a whole number of days."), field)
        if not low <= value <= high:
            return TimeRefusal(_l("Choose a number of days from %(min)d to %(max)d.",
                                  min=low, max=high), field)
    return None
