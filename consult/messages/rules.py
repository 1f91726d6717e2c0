"""What to send, where and when: pure decisions, no database and no request.

A notification's *kind* ("vote.opened", "topic.reply", ...) belongs to one *category* that a
person sets once: in the site only, at once (SMS or e-mail), or in the daily digest. One-time
codes have no category: they always go at once, even in quiet hours.
"""
from __future__ import annotations

from collections import ChainMap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from consult.messages.models import Status
from consult.notifications import kinds

INAPP = "inapp"
IMMEDIATE = "immediate"
DIGEST = "digest"
MODES = (INAPP, IMMEDIATE, DIGEST)
MODE_LABELS = {INAPP: _l("Only in the site"), IMMEDIATE: _l("At once (SMS or e-mail)"),
               DIGEST: _l("In the daily digest")}

SMS = "sms"
EMAIL = "email"
CHANNELS = (SMS, EMAIL)
# "E-mail" here is the way a message goes (电子邮件), not an address (电子邮箱).
CHANNEL_LABELS = {SMS: _l("SMS"), EMAIL: lazy_pgettext("a way of sending messages", "E-mail")}

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
QUIET_START = 21  # hours, local time: SMS that are not codes wait from 21:00 ...
QUIET_END = 8     # ... until 08:00
MAX_ATTEMPTS = 5
# After the n-th failed try, the next one waits this long.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
           timedelta(hours=2))
# A message stuck "sending" this long (its worker died mid-send) is tried again.
STUCK_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class Category:
    key: str
    label: object
    default: str
    # Whether a message of this category is a notice to many (an opt-out line is added to its
    # SMS) rather than a message about the person's own business.
    broadcast: bool


CATEGORIES: tuple[Category, ...] = (
    Category("votes", _l("A vote of your home is announced, opens or is cancelled"), IMMEDIATE,
             True),
    Category("closing", _l("A vote closes soon and you have not voted"), IMMEDIATE, False),
    Category("my_ballot", _l("Your ballot or proxy changed, or a grid worker acted for you"),
             IMMEDIATE, False),
    Category("appointments", _l("Studio sessions and meeting seats: reminders and changes"),
             IMMEDIATE, False),
    Category("verification", _l("Your residency was verified or refused"), IMMEDIATE, False),
    Category("replies", _l("Replies and answers to you"), DIGEST, False),
    Category("followed", _l("Topics you follow move on, and their outcomes' progress"), DIGEST,
             True),
    Category("work", _l("Work waiting for you as an official"), DIGEST, False),
)
BY_KEY = {c.key: c for c in CATEGORIES}

# Kinds by exact name first, then by prefix; a kind in none of them stays in the site.
_EXACT = {
    "vote.announced": "votes", "vote.opened": "votes", "vote.cancelled": "votes",
    "vote.closing_soon": "closing",
    "topic.reply": "replies", "outcome.answer": "replies", "topic.comment_hidden": "replies",
    "topic.draft_from_reception": "replies",
    "topic.needs_review": "work",
    "topic.comment_period_ending": "followed", "outcome.progress": "followed",
}
_PREFIXES = (
    ("vote.ballot_replaced", "my_ballot"), ("vote.proxy", "my_ballot"), ("grid.", "my_ballot"),
    ("studio.", "appointments"), ("meeting.", "appointments"),
    ("residency.", "verification"),
    ("topic.", "followed"), ("outcome.", "followed"),
)


def category_of(kind: str) -> str | None:
    if kind in _EXACT:
        return _EXACT[kind]
    for prefix, category in _PREFIXES:
        if kind.startswith(prefix):
            return category
    return None


OTHER_NOTICES = _l("Other notices")


class _KindLabels(Mapping):
    """A notification kind in words: those of its category, the choice a person makes on the
    message settings page; a kind in no category is one of :data:`OTHER_NOTICES`. Only kinds
    registered in :mod:`consult.notifications.kinds` have words (domains register theirs when
    imported, so they are looked up when shown)."""

    def __getitem__(self, kind: str):
        if not kinds.registered(kind):
            raise KeyError(kind)
        category = category_of(kind)
        return BY_KEY[category].label if category in BY_KEY else OTHER_NOTICES

    def __iter__(self) -> Iterator[str]:
        return iter(kinds.known())

    def __len__(self) -> int:
        return len(kinds.known())


KIND_LABELS = _KindLabels()

# The outbox: why a message went (a notification's kind, the digest, or a message about the
# account sent with consult.delivery), and where it stands.
TEXT_PURPOSE_LABELS = {
    "digest": _l("Daily digest"),
    "activation": _l("Activation code"),
    "registration code": _l("Registration code"),
    "registration refused": _l("Note that a registration was refused"),
    "password reset code": _l("Code to reset the password"),
    "phone change code": _l("Code to change the phone number"),
    "phone change refused": _l("Note that someone tried to use your phone number"),
    "phone changed": _l("Note that the phone number was changed"),
}
PURPOSE_LABELS = ChainMap(TEXT_PURPOSE_LABELS, KIND_LABELS)
# The words of the "messages sent to you lately" list (templates/messages/preferences.html).
STATUS_LABELS = {
    Status.PENDING.value: _l("waiting"),
    Status.SENDING.value: _l("waiting"),
    Status.SENT.value: _l("sent"),
    Status.FAILED.value: _l("could not be sent"),
    Status.CANCELLED.value: _l("cancelled"),
}


def mode_for(category: str | None, chosen: str | None) -> str:
    """The person's choice for ``category``, else its default; no category: in the site."""
    if category is None or category not in BY_KEY:
        return INAPP
    return chosen if chosen in MODES else BY_KEY[category].default


def pick_channel(*, phone: bool, email: bool, sms_on: bool, email_on: bool,
                 preferred: str | None) -> str | None:
    """Where a message to a person goes: their preferred channel when it can reach them, else
    the other one, else nowhere (None). SMS first by default: residents read SMS."""
    reachable = [c for c, ok in ((SMS, phone and sms_on), (EMAIL, email and email_on)) if ok]
    if not reachable:
        return None
    return preferred if preferred in reachable else reachable[0]


def _aware(now: datetime) -> datetime:
    return now.replace(tzinfo=timezone.utc) if now.tzinfo is None else now


def quiet_until(now: datetime, start: int = QUIET_START, end: int = QUIET_END) -> datetime | None:
    """When ``now`` (UTC, naive) is in the quiet hours ``start``–``end`` (local hours), the
    end of those hours (UTC, naive); otherwise None. ``start == end`` means no quiet hours."""
    if start == end:
        return None
    local = _aware(now).astimezone(LOCAL_TZ)
    hour = local.hour
    inside = (start <= hour or hour < end) if start > end else (start <= hour < end)
    if not inside:
        return None
    day = local.date() if hour < end else local.date() + timedelta(days=1)
    if start < end:  # a quiet stretch inside one day
        day = local.date()
    until = datetime.combine(day, time(end), tzinfo=LOCAL_TZ)
    return until.astimezone(timezone.utc).replace(tzinfo=None)


def next_try(attempts: int, now: datetime) -> datetime | None:
    """When to try again after ``attempts`` failed tries; None when it is time to give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return now + BACKOFF[min(attempts, len(BACKOFF)) - 1]


def local_day(now: datetime) -> date:
    return _aware(now).astimezone(LOCAL_TZ).date()


def digest_due(last_sent_on: date | None, now: datetime) -> bool:
    """At most one digest a day (the local day)."""
    return last_sent_on is None or last_sent_on < local_day(now)
