"""Six-digit codes by SMS (短信验证码) for choosing a new password and for proving a new phone
number, kept in :class:`~consult.accounts.models.PhoneCode`.

A code lives :data:`LIFETIME`, allows :data:`MAX_ATTEMPTS` tries and is stored only as an HMAC
keyed by the app's secret. Each try takes one of the row's tries by a conditional UPDATE before
the code is compared, so that even tries sent at the same moment compare at most five times. A
row that no code opens (``usable`` false) answers every try exactly as a wrong code does.

How many codes go to one phone number (and for the change of phone, to one account) is counted
from the stored rows: :func:`check_limits` refuses beyond :data:`PER_HOUR` in an hour or
:data:`PER_DAY` in a day, whether or not the rows could be used, so the refusal tells nothing
about who has an account.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from consult.accounts.models import PhoneCode
from consult.extensions import db
from consult.refusals import Refused

RESET, PHONE = "reset", "phone"
CODE_DIGITS = 6
LIFETIME = timedelta(minutes=10)
MAX_ATTEMPTS = 5
PER_HOUR = 5
PER_DAY = 10
_FULL_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


def minutes() -> int:
    return int(LIFETIME.total_seconds() // 60)


def new_code() -> str:
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


def digest(purpose: str, phone: str, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{purpose}:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def clean(code: str) -> str:
    """What was typed, as the digits compared: spaces dropped, full-width digits read."""
    return "".join((code or "").translate(_FULL_WIDTH).split())


def sent_since(purpose: str, since: datetime, *, phone: str | None = None,
               user_id: int | None = None) -> int:
    """Codes (and notes in their place) of ``purpose`` made since ``since`` for this phone
    number or account."""
    query = select(func.count(PhoneCode.id)).where(PhoneCode.purpose == purpose,
                                                    PhoneCode.created_at > since)
    if phone is not None:
        query = query.where(PhoneCode.phone == phone)
    if user_id is not None:
        query = query.where(PhoneCode.user_id == user_id)
    return db.session.scalar(query) or 0


def check_limits(purpose: str, now: datetime, *, phone: str, user_id: int | None = None,
                 field: str | None = None) -> None:
    """Refuse one more code beyond :data:`PER_HOUR` an hour or :data:`PER_DAY` a day to this
    phone number (and, given ``user_id``, for this account)."""
    counts = [{"phone": phone}] + ([{"user_id": user_id}] if user_id is not None else [])
    for who in counts:
        if sent_since(purpose, now - timedelta(hours=1), **who) >= PER_HOUR:
            raise Refused(_l("Several codes were sent to this phone number in the last hour. "
                             "Please wait an hour before asking again."), field)
        if sent_since(purpose, now - timedelta(days=1), **who) >= PER_DAY:
            raise Refused(_l("Several codes were sent to this phone number today. Please try "
                             "again tomorrow."), field)


def issue(purpose: str, phone: str, now: datetime, *, user_id: int | None,
          usable: bool) -> tuple[PhoneCode, str]:
    """A new row and its code in clear (for the message; never stored). Earlier open codes of
    the same purpose for this account (for no account: this phone) stop working."""
    same = PhoneCode.user_id == user_id if user_id is not None else PhoneCode.phone == phone
    db.session.execute(
        update(PhoneCode)
        .where(PhoneCode.purpose == purpose, PhoneCode.used_at.is_(None),
               PhoneCode.usable.is_(True), same)
        .values(usable=False).execution_options(synchronize_session=False))
    code = new_code()
    row = PhoneCode(purpose=purpose, user_id=user_id, phone=phone,
                    code_hash=digest(purpose, phone, code), usable=usable, created_at=now,
                    expires_at=now + LIFETIME)
    db.session.add(row)
    db.session.flush()
    return row, code


def void_for_user(purpose: str, user_id: int) -> None:
    """The account's open codes of ``purpose`` stop working (its password changed)."""
    db.session.execute(
        update(PhoneCode)
        .where(PhoneCode.purpose == purpose, PhoneCode.user_id == user_id,
               PhoneCode.used_at.is_(None), PhoneCode.usable.is_(True))
        .values(usable=False).execution_options(synchronize_session=False))


def too_many() -> Refused:
    return Refused(_l("Too many wrong codes. Ask for a new one."), "code")


def verify(row: PhoneCode, code: str, now: datetime) -> None:
    """Use up one try of ``row`` on ``code``; refuses (naming the field ``code``) unless it is
    the code sent and the row may be used now. The caller keeps the try even when refused."""
    if row.used_at is not None:
        raise Refused(_l("This code was already used. Ask for a new one if you need to."),
                      "code")
    if now >= row.expires_at:
        raise Refused(_l("The code has expired: codes work for %(n)d minutes. Ask for a new "
                         "one.", n=minutes()), "code")
    taken = db.session.execute(
        update(PhoneCode)
        .where(PhoneCode.id == row.id, PhoneCode.attempts < MAX_ATTEMPTS)
        .values(attempts=PhoneCode.attempts + 1)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(row)
    if taken != 1:
        raise too_many()
    right = hmac.compare_digest(digest(row.purpose, row.phone, clean(code)), row.code_hash)
    if not (right and row.usable):
        left = MAX_ATTEMPTS - row.attempts
        if left <= 0:
            raise too_many()
        raise Refused(_l("The code is not right. Tries left: %(n)d.", n=left), "code")


def claim(row: PhoneCode, now: datetime) -> bool:
    """Mark a verified row used, unless another request used it first (one conditional
    UPDATE: of two uses at the same moment, one wins)."""
    claimed = db.session.execute(
        update(PhoneCode)
        .where(PhoneCode.id == row.id, PhoneCode.used_at.is_(None),
               PhoneCode.usable.is_(True), PhoneCode.expires_at > now)
        .values(used_at=now).execution_options(synchronize_session=False)).rowcount
    db.session.refresh(row)
    return claimed == 1
