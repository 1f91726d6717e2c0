"""The rules of a consent to a grid worker's help, pure (no database, no request).

A consent covers a *scope* of acts, from ``starts_at`` until ``ends_at`` (naive UTC), unless it
was revoked. The service checks beside it that the worker works the consent's grid and that the
resident still lives there.
"""
from __future__ import annotations

import enum
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l

EVIDENCE_MAX = 300
MAX_DAYS = 366  # a consent lasts at most a year; the resident renews it


class Act(str, enum.Enum):
    VOTE = "vote"  # cast a ballot for the resident
    COMMENT = "comment"  # comment on a topic for the resident


class Scope(str, enum.Enum):
    VOTE_AND_COMMENT = "vote_comment"
    VOTE = "vote"
    COMMENT = "comment"


SCOPE_ACTS = {
    Scope.VOTE_AND_COMMENT.value: frozenset({Act.VOTE.value, Act.COMMENT.value}),
    Scope.VOTE.value: frozenset({Act.VOTE.value}),
    Scope.COMMENT.value: frozenset({Act.COMMENT.value}),
}

SCOPE_LABELS = {
    Scope.VOTE_AND_COMMENT.value: _l("Cast votes and comment for me"),
    Scope.VOTE.value: _l("Cast votes for me"),
    Scope.COMMENT.value: _l("Comment for me"),
}


class Source(str, enum.Enum):
    ONLINE = "online"  # given by the resident on their page
    IN_PERSON = "in_person"  # given in person, recorded by a grid worker


# Said to the resident: how their consent was given, and what was done for them under one.
SOURCE_LABELS = {
    Source.ONLINE.value: _l("given by you online"),
    Source.IN_PERSON.value: _l("given in person, recorded by a grid worker"),
}
ACT_LABELS = {
    Act.VOTE.value: _l("Ballot cast for me"),
    Act.COMMENT.value: _l("Comment posted for me"),
}


class State(str, enum.Enum):
    ACTIVE = "active"
    NOT_STARTED = "not_started"
    EXPIRED = "expired"
    REVOKED = "revoked"


STATE_LABELS = {
    State.ACTIVE.value: _l("Active"),
    State.NOT_STARTED.value: _l("Not started yet"),
    State.EXPIRED.value: _l("Expired"),
    State.REVOKED.value: _l("Revoked"),
}


def covers(scope: str, act: str) -> bool:
    return act in SCOPE_ACTS.get(scope, frozenset())


def state(consent, now: datetime) -> State:
    """Where ``consent`` (anything with ``starts_at``, ``ends_at``, ``revoked_at``) stands."""
    if consent.revoked_at is not None and consent.revoked_at <= now:
        return State.REVOKED
    if now >= consent.ends_at:
        return State.EXPIRED
    if now < consent.starts_at:
        return State.NOT_STARTED
    return State.ACTIVE


def act_refusal(consent, act: str, now: datetime):
    """Why ``consent`` does not let a grid worker do ``act`` now (a message), or None."""
    if consent is None:
        return _l("This resident has not consented to a grid worker acting for them. Ask "
                  "them to give their consent on their page, or record the consent they give "
                  "you in person.")
    current = state(consent, now)
    if current is State.REVOKED:
        return _l("The resident revoked their consent.")
    if current is State.EXPIRED:
        return _l("The resident's consent has expired.")
    if current is State.NOT_STARTED:
        return _l("The resident's consent has not started yet.")
    if not covers(consent.scope, act):
        return (_l("The resident's consent does not cover casting votes.")
                if act == Act.VOTE.value else
                _l("The resident's consent does not cover commenting."))
    return None


def period_refusal(starts_at: datetime, ends_at: datetime | None, now: datetime):
    """Why a consent from ``starts_at`` to ``ends_at`` cannot be given (a message), or None."""
    if ends_at is None:
        return _l("Give the last day of the consent.")
    if ends_at <= now or ends_at <= starts_at:
        return _l("The consent must end in the future.")
    if ends_at - starts_at > timedelta(days=MAX_DAYS + 1):
        return _l("A consent lasts at most %(n)d days; it can be given again.", n=MAX_DAYS)
    return None


def clean_evidence(text: str | None) -> tuple[str, object | None]:
    """The "how was it given" text of an in-person consent, and why it is refused (or None)."""
    text = " ".join((text or "").split())
    if not text:
        return text, _l("Say how the consent was given, e.g. “signed form no. 12” or “in "
                        "person, with witness Li Hua”.")
    if len(text) > EVIDENCE_MAX:
        return text, _l("At most %(n)d characters.", n=EVIDENCE_MAX)
    return text, None
