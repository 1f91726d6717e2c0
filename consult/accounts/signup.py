"""Registering with a confirmation code (注册验证码).

:func:`start` checks what was typed and sends a six-digit code to the phone (or, without one,
the e-mail address); :func:`confirm` makes the account when the code comes back. The answer to
:func:`start` is the same whether or not the phone or e-mail address belongs to someone already:
then the code sent is replaced by a note to its owner ("someone tried to register with your
number: log in or reset your password"), no code opens the row, and wrong codes are counted the
same way. Codes are stored as an HMAC keyed by the app's secret, live 10 minutes, allow 5 tries
and 3 sends. At most :data:`PER_HOUR` codes an hour and :data:`PER_DAY` a day go to one phone
number or e-mail address (counted from the stored rows, taken or not), beside the limit per
client address of consult/ratelimits.py.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from consult import delivery
from consult.accounts.identity import mask_email, mask_phone, normalise_email, normalise_phone
from consult.accounts.models import RegistrationCode, User
from consult.accounts.passwords import MIN_LENGTH, hash_password
from consult.accounts.service import create_account
from consult.clock import utcnow
from consult.extensions import db
from consult.privacy import service as privacy
from consult.refusals import Refused
from consult.urls import public_url

CODE_DIGITS = 6
LIFETIME = timedelta(minutes=10)
MAX_ATTEMPTS = 5
MAX_SENDS = 3
PER_HOUR = 5
PER_DAY = 10
_FULL_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


def _new_code() -> str:
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


def _digest(row_key: str, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"register:{row_key}:{code}".encode(), hashlib.sha256).hexdigest()


def _key(row: RegistrationCode) -> str:
    return row.phone or row.email or ""


def destination(row: RegistrationCode) -> str:
    """Where the code went, masked for the page: 138****8000 or l***@example.org."""
    return mask_phone(row.phone) if row.phone else mask_email(row.email)


def start(name: str, email: str, phone: str, password: str, *,
          privacy_version: str | None) -> RegistrationCode:
    """Check a registration and send its code; refuses only what is wrong in the input itself
    (never that a phone or address is taken: see the module's docstring). ``privacy_version``
    is the privacy notice agreed to on the form (``None``: not agreed, refused): it must be the
    one in force, and is recorded when the account is made."""
    name = " ".join((name or "").split())
    email_norm = normalise_email(email) if (email or "").strip() else None
    phone_norm = normalise_phone(phone) if (phone or "").strip() else None
    if not name:
        raise Refused(_l("Please enter your name."), "name")
    if (email or "").strip() and email_norm is None:
        raise Refused(_l("This is not a valid e-mail address."), "email")
    if (phone or "").strip() and phone_norm is None:
        raise Refused(_l(
            "Enter an 11-digit mobile number (or a landline with its area code)."), "phone")
    if not email_norm and not phone_norm:
        raise Refused(_l("Give an e-mail address or a phone number to log in with."), "email")
    if len(password or "") < MIN_LENGTH:
        raise Refused(_l("The password must be at least %(n)d characters.", n=MIN_LENGTH),
                      "password")
    privacy.check_version(privacy_version)
    now = utcnow()
    check_limits(phone_norm, email_norm, now)
    row = RegistrationCode(name=name, email=email_norm, phone=phone_norm,
                           password_hash=hash_password(password), code_hash="", created_at=now,
                           expires_at=now + LIFETIME, privacy_version=privacy_version)
    _send_code(row)
    db.session.add(row)
    db.session.flush()
    return row


def _sent_since(since, *, phone: str | None = None, email: str | None = None) -> int:
    """Codes (or notes in their place) sent since ``since`` by registrations with this phone
    or e-mail address, resends included."""
    column, value = (RegistrationCode.phone, phone) if phone else (RegistrationCode.email, email)
    return db.session.scalar(select(func.coalesce(func.sum(RegistrationCode.sends), 0))
                             .where(column == value, RegistrationCode.created_at > since)) or 0


def check_limits(phone: str | None, email: str | None, now) -> None:
    """Refuse one more code to a phone number or e-mail address that had :data:`PER_HOUR` in
    the last hour or :data:`PER_DAY` in the last day. The count is of every registration, taken
    or not, so the refusal does not tell whether an account has it."""
    for field, who in (("phone", {"phone": phone}), ("email", {"email": email})):
        if not next(iter(who.values())):
            continue
        if _sent_since(now - timedelta(hours=1), **who) >= PER_HOUR:
            raise Refused(_l("Several codes were sent to this phone number or e-mail address "
                             "in the last hour. Please wait an hour before trying again."), field)
        if _sent_since(now - timedelta(days=1), **who) >= PER_DAY:
            raise Refused(_l("Several codes were sent to this phone number or e-mail address "
                             "today. Please try again tomorrow."), field)


def _owners(row: RegistrationCode) -> dict[str, User]:
    """Accounts (or roster owners) that already have this row's phone or e-mail address,
    by which of the two."""
    conditions = []
    if row.email:
        conditions.append(User.email == row.email)
    if row.phone:
        conditions.append(User.phone == row.phone)
    found = {}
    for user in db.session.scalars(select(User).where(or_(*conditions))):
        if row.phone and user.phone == row.phone:
            found["phone"] = user
        if row.email and user.email == row.email:
            found["email"] = user
    return found


def _send_code(row: RegistrationCode) -> None:
    code = _new_code()
    row.code_hash = _digest(_key(row), code)
    owners = _owners(row)
    row.usable = not owners
    to_phone = row.phone is not None
    where = "phone" if to_phone else "email"
    if row.usable:
        delivery.send(_key(row), _(
            "Consult: your registration code is %(code)s. It is valid for %(minutes)d minutes. "
            "Do not give it to anyone.", code=code, minutes=int(LIFETIME.total_seconds() // 60)),
            purpose="registration code", code=code)
        return
    owner = owners.get(where)
    if owner is not None:
        delivery.send(_key(row), _taken_note(owner, to_phone), purpose="registration refused")
    else:  # the code's address is free, the other one belongs to an account
        delivery.send(_key(row), _(
            "Consult: we could not register you. The %(what)s you also gave belongs to another "
            "account. Register again without it, or log in.",
            what=_("e-mail address") if to_phone else _("phone number")),
            purpose="registration refused")
    for other_where, other in owners.items():
        if other_where != where:
            address = row.email if other_where == "email" else row.phone
            delivery.send(address, _taken_note(other, other_where == "phone"),
                          purpose="registration refused")


def _taken_note(owner: User, by_phone: bool) -> str:
    what = _("phone number") if by_phone else _("e-mail address")
    if owner.password_hash is None:
        return _("Consult: someone tried to register with your %(what)s. You are on your "
                 "community's roster of owners: do not register, activate your account at "
                 "%(link)s with the code of your activation letter (ask the community office "
                 "for one).", what=what, link=public_url("activation.activate"))
    return _("Consult: someone tried to register a new account with your %(what)s. You have an "
             "account already: log in, or use “Forgot password”. If it was not you, nothing "
             "has changed.", what=what)


def resend(row: RegistrationCode) -> None:
    """A new code (the old one stops working), at most :data:`MAX_SENDS` in all."""
    if row.used_at is not None:
        raise Refused(_l("This registration is finished. Log in."))
    if row.sends >= MAX_SENDS:
        raise Refused(_l("No more codes can be sent for this registration. Please register "
                         "again later."))
    now = utcnow()
    check_limits(row.phone, row.email, now)
    row.sends += 1
    row.expires_at = now + LIFETIME
    _send_code(row)


def confirm(row: RegistrationCode, code: str) -> User:
    """Make the account when ``code`` is the one sent. Every wrong code counts; the caller
    keeps that count even though the request is refused."""
    now = utcnow()
    code = "".join((code or "").translate(_FULL_WIDTH).split())
    if row.used_at is not None:
        raise Refused(_l("This registration is finished. Log in."))
    if row.attempts >= MAX_ATTEMPTS:
        raise Refused(_l("Too many wrong codes. Please register again."), "code")
    if now >= row.expires_at:
        raise Refused(_l("The code has expired. Ask for a new one."), "code")
    right = hmac.compare_digest(_digest(_key(row), code), row.code_hash)
    if not (right and row.usable):
        row.attempts += 1
        left = MAX_ATTEMPTS - row.attempts
        if left <= 0:
            raise Refused(_l("Too many wrong codes. Please register again."), "code")
        raise Refused(_l("The code is not right. Tries left: %(n)d.", n=left), "code")
    if _owners(row):  # taken meanwhile by another registration
        raise Refused(_l("This phone number or e-mail address has an account already. Log "
                         "in instead."), "code")
    row.used_at = now
    user = create_account(row.name, row.email, row.phone, row.password_hash)
    if row.privacy_version:  # agreed on the form, when the registration started
        privacy.record(user, row.privacy_version, "register", at=row.created_at)
    return user
