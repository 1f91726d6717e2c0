"""Locking an account after wrong passwords in a row (账户锁定).

Each account counts its consecutive wrong passwords (``users.failed_logins``). The
``LOGIN_LOCKOUT_ATTEMPTS``-th locks it for ``LOGIN_LOCKOUT_MINUTES``: while locked even the right
password is refused, with the time the lock ends; afterwards the count starts again. When
``LOGIN_LOCKOUT_WARN`` or fewer attempts remain, the refusal says how many. A right password
sets the count back to zero, and so does a new password chosen through a reset link.

A phone number or e-mail address with no account behind it gets exactly the same answers, from
counters kept in the rate-limit storage (Redis in production), so that the login form never
tells whether someone has an account.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import update

from consult import tries
from consult.accounts.models import User
from consult.extensions import db



@dataclass(frozen=True)
class Policy:
    attempts: int = 5
    minutes: int = 15
    warn: int = 2

    @classmethod
    def from_config(cls) -> Policy:
        if not has_app_context():
            return cls()
        config = current_app.config
        return cls(int(config.get("LOGIN_LOCKOUT_ATTEMPTS", cls.attempts)),
                   int(config.get("LOGIN_LOCKOUT_MINUTES", cls.minutes)),
                   int(config.get("LOGIN_LOCKOUT_WARN", cls.warn)))


class LoginRefused(Exception):
    """A login that did not succeed: the message to show, and what it is based on."""

    def __init__(self, message: str, *, remaining: int | None = None,
                 locked_until: datetime | None = None):
        super().__init__(message)
        self.message = message
        self.remaining = remaining  # wrong attempts left before the lock
        self.locked_until = locked_until  # naive UTC

    @property
    def code(self) -> str | None:
        return "account_locked" if self.locked_until is not None else None


def wrong(remaining: int, policy: Policy) -> LoginRefused:
    if remaining > policy.warn:
        return LoginRefused(_("The phone/e-mail or the password is not right."),
                            remaining=remaining)
    return LoginRefused(ngettext(
        "The phone/e-mail or the password is not right. %(num)d more wrong attempt will lock "
        "this account for %(minutes)d minutes.",
        "The phone/e-mail or the password is not right. %(num)d more wrong attempts will lock "
        "this account for %(minutes)d minutes.",
        remaining, minutes=policy.minutes), remaining=remaining)


def locked(until: datetime) -> LoginRefused:
    from consult.i18n import local_datetime

    return LoginRefused(
        _("There were too many wrong passwords, so this account is locked until %(time)s. "
          "Try again then, or choose a new password with “Forgot your password?”.",
          time=local_datetime(until, "short")),
        remaining=0, locked_until=until)


def locked_until(user: User, now: datetime) -> datetime | None:
    """When the account's lock ends, while it is locked."""
    if user.locked_until is not None and now < user.locked_until:
        return user.locked_until
    return None


def count_failure(user: User, now: datetime, policy: Policy) -> LoginRefused:
    """Count one wrong password and return the refusal to show. The count is raised in SQL
    (``n = n + 1``) so that attempts at the same moment are all counted."""
    count = db.session.execute(
        update(User).where(User.id == user.id)
        .values(failed_logins=User.failed_logins + 1).returning(User.failed_logins)
        .execution_options(synchronize_session=False)).scalar_one()
    if count >= policy.attempts:
        until = (now + timedelta(minutes=policy.minutes)).replace(microsecond=0)
        db.session.execute(
            update(User).where(User.id == user.id).values(failed_logins=0, locked_until=until)
            .execution_options(synchronize_session=False))
        db.session.expire(user, ["failed_logins", "locked_until"])
        return locked(until)
    db.session.expire(user, ["failed_logins"])
    return wrong(policy.attempts - count, policy)


def clear(user: User) -> None:
    """A right password: the count starts again."""
    if user.failed_logins or user.locked_until is not None:
        user.failed_logins = 0
        user.locked_until = None


# --- identifiers with no account ------------------------------------------------------------

_GHOSTS = tries.Counter("consult_login_ghosts")


def ghost_failure(identifier: str, now: datetime, policy: Policy) -> LoginRefused:
    """A wrong attempt for an identifier with no account, answered as :func:`count_failure`
    would answer for an account."""
    key = tries.identity_key("login-ghost", identifier)
    if (until := _GHOSTS.paused_until(key, now)) is not None:
        return locked(until)
    count, until = _GHOSTS.fail(key, now, policy.attempts, policy.minutes)
    if until is not None:
        return locked(until)
    return wrong(policy.attempts - count, policy)
