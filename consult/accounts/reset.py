"""Choosing a new password through a one-time link (找回密码).

Someone who forgot their password types the phone number or e-mail address they log in with.
If an account has it, a link is made and sent there (:func:`deliver_reset_link`); either way the
page answers the same, so it does not tell who has an account. The link carries a random token;
only the token's SHA-256 is stored.

A link works once, until it expires (``PASSWORD_RESET_MINUTES``), and only while it is the
account's newest link and the password has not been changed another way. Using it sets the new
password, ends a login lock and logs out every device (a new session token). It is marked used
by one conditional UPDATE in the transaction that changes the password: of two uses at the same
moment, one wins and the other is told the link was already used.

When an SMS provider is set up (:func:`consult.delivery.sms_configured`), a phone number typed
gets a six-digit code by SMS instead of a link (:func:`request_code`, :func:`use_code`; the
codes are :mod:`.phonecodes`'). The answer is the same whether or not an account has the
number: the page asks for the code either way, and for an unknown number no code works (and no
message is sent). A used code ends like a used link.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from consult import delivery
from consult.accounts import lockout, phonecodes
from consult.accounts.identity import normalise_phone
from consult.accounts.models import PasswordReset, PhoneCode, User
from consult.accounts.passwords import MIN_LENGTH, hash_password
from consult.accounts.queries import find_by_identifier
from consult.accounts.sessions import log_out_everywhere
from consult.audit.log import record
from consult.clock import utcnow
from consult.extensions import db
from consult.refusals import Refused

TOKEN_BYTES = 32
DEFAULT_LIFETIME = timedelta(hours=1)
LOG_PREFIX = "PASSWORD RESET LINK"


class ResetRefused(Exception):
    """A link that cannot be used (``status`` for the page), or a new password that is
    refused (``field`` names the form field)."""

    def __init__(self, message: str, *, status: int = 410, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def lifetime() -> timedelta:
    if not has_app_context():
        return DEFAULT_LIFETIME
    return timedelta(minutes=int(current_app.config.get("PASSWORD_RESET_MINUTES", 60)))


def void_open_links(user: User, now: datetime | None = None) -> None:
    """Links (and codes) sent earlier stop working (a newer link, or the password changed)."""
    db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None),
               PasswordReset.voided_at.is_(None))
        .values(voided_at=now or utcnow()).execution_options(synchronize_session=False))
    phonecodes.void_for_user(phonecodes.RESET, user.id)  # and codes sent by SMS


def request_link(identifier: str, *, now: datetime | None = None,
                 valid_for: timedelta | None = None) -> tuple[User, str] | None:
    """A new link for the account with this phone or e-mail: ``(user, token)``, the token to
    put in the URL (never stored). ``None`` when no account can log in with it: an owner from
    the roster without a password is activated by the community office, not here."""
    user = find_by_identifier(identifier)
    if user is None or not user.can_log_in:
        return None
    now = now or utcnow()
    void_open_links(user, now)
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    link = PasswordReset(user_id=user.id, token_hash=hash_token(raw), created_at=now,
                         expires_at=now + (valid_for or lifetime()))
    db.session.add(link)
    db.session.flush()
    record("account.password_reset_request", user, details={"reset_id": link.id})
    return user, raw


def find_link(raw: str) -> PasswordReset | None:
    if not raw or len(raw) > 100:
        return None
    return db.session.scalar(select(PasswordReset)
                             .where(PasswordReset.token_hash == hash_token(raw)))


def _refusal(link: PasswordReset | None, now: datetime) -> ResetRefused | None:
    if link is None:
        return ResetRefused(_("This link is not valid. Check that the whole link was copied, "
                              "or ask for a new one."), status=404)
    if link.used_at is not None:
        return ResetRefused(_("This link was already used: each link works only once. If you "
                              "still need to, ask for a new one."))
    if link.voided_at is not None:
        return ResetRefused(_("This link no longer works: a newer link was sent, or the "
                              "password was changed since. Use the newest link, or ask for a "
                              "new one."))
    if now >= link.expires_at:
        minutes = round((link.expires_at - link.created_at).total_seconds() / 60)
        return ResetRefused(_("This link has expired: links work for %(minutes)d minutes. Ask "
                              "for a new one.", minutes=minutes))
    return None


def check_link(raw: str, *, now: datetime | None = None) -> PasswordReset:
    """The link, if it may be used now; else raises :class:`ResetRefused` saying why."""
    link = find_link(raw)
    refusal = _refusal(link, now or utcnow())
    if refusal is not None:
        raise refusal
    return link


def use_link(raw: str, new_password: str, *, now: datetime | None = None) -> User:
    """Set a new password through the link. The request commits (and the view starts a fresh
    session)."""
    now = now or utcnow()
    link = check_link(raw, now=now)
    if len(new_password or "") < MIN_LENGTH:
        raise ResetRefused(_("The password must be at least %(n)d characters.", n=MIN_LENGTH),
                           status=422, field="password")
    # The check above read the row; this claims it. A use committed meanwhile makes it match
    # nothing (PostgreSQL re-reads the row once the other transaction ends; SQLite writers
    # queue behind BEGIN IMMEDIATE).
    claimed = db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.id == link.id, PasswordReset.used_at.is_(None),
               PasswordReset.voided_at.is_(None), PasswordReset.expires_at > now)
        .values(used_at=now).execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        db.session.refresh(link)
        raise _refusal(link, now) or ResetRefused(_("This link was already used: each link "
                                                    "works only once. If you still need to, "
                                                    "ask for a new one."))
    db.session.expire(link, ["used_at"])
    user = db.session.get(User, link.user_id)
    user.password_hash = hash_password(new_password)
    log_out_everywhere(user)  # every browser and app logged in with the old password
    lockout.clear(user)
    void_open_links(user, now)
    record("account.password_reset", user, actor=user, details={"reset_id": link.id})
    return user


def deliver_reset_link(user: User, url: str) -> None:
    """Send the link to the account's phone or e-mail. This is where an SMS or e-mail sender
    goes; until there is one, development and tests write the link to the app's log, and
    production (where a log reaches no resident and must not hold live links) says it was not
    sent."""
    if current_app.config.get("ENV_NAME") == "production":
        current_app.logger.error("%s not sent for user %s: no SMS or e-mail sender is set up.",
                                 LOG_PREFIX, user.id)
        return
    current_app.logger.warning("%s for user %s (%s): %s", LOG_PREFIX, user.id, user.name, url)


# --- a code by SMS instead of a link ----------------------------------------------------------

def by_code(identifier: str) -> str | None:
    """The phone number to send a code to instead of a link: when an SMS provider is set up and
    what was typed is a phone number (whether or not an account has it), else ``None``."""
    if not delivery.sms_configured() or "@" in (identifier or ""):
        return None
    return normalise_phone(identifier)


def request_code(phone: str, *, now: datetime | None = None) -> PhoneCode:
    """A code for the account that logs in with ``phone`` (normalised), sent by SMS. For a
    number no account can log in with, a row that no code opens and no message: the page that
    follows is the same. Refuses beyond the limits per phone number."""
    now = now or utcnow()
    phonecodes.check_limits(phonecodes.RESET, now, phone=phone, field="identifier")
    user = db.session.scalar(select(User).where(User.phone == phone))
    usable = user is not None and user.can_log_in
    row, code = phonecodes.issue(phonecodes.RESET, phone, now,
                                 user_id=user.id if usable else None, usable=usable)
    if usable:
        delivery.send(phone, _(
            "Consult: your code to choose a new password is %(code)s. It is valid for "
            "%(minutes)d minutes. Do not give it to anyone.", code=code,
            minutes=phonecodes.minutes()), purpose="password reset code", code=code)
        record("account.password_reset_request", user, details={"code_id": row.id})
    return row


def use_code(row: PhoneCode, code: str, new_password: str, *,
             now: datetime | None = None) -> User:
    """Set a new password with the code sent by SMS: as :func:`use_link` does (the lock ends,
    every device is logged out, other links and codes stop working). A wrong code uses up one
    of the five tries; the caller keeps it although the request is refused."""
    now = now or utcnow()
    if row.purpose != phonecodes.RESET:
        raise Refused(_l("This code cannot be used here."), "code")
    phonecodes.verify(row, code, now)
    if len(new_password or "") < MIN_LENGTH:
        raise Refused(_l("The password must be at least %(n)d characters.", n=MIN_LENGTH),
                      "password")
    if not phonecodes.claim(row, now):
        raise Refused(_l("This code was already used. Ask for a new one if you need to."),
                      "code")
    user = db.session.get(User, row.user_id)
    user.password_hash = hash_password(new_password)
    log_out_everywhere(user)
    lockout.clear(user)
    void_open_links(user, now)
    record("account.password_reset", user, actor=user, details={"code_id": row.id})
    return user
