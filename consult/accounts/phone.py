"""Changing the phone number of an account (更换手机号).

The logged-in person types the new number and their password; :func:`request_change` sends a
six-digit code to the NEW number (:mod:`.phonecodes`: 10 minutes, 5 tries, stored hashed,
limited per number and per account). :func:`confirm_change` sets the number when the code comes
back, records it in the audit log and tells the old number.

A new number that belongs to another account is never named as taken: that number gets a note
instead of a code ("someone tried to put your number on another account"), the answer is the
same and no code opens the row, as registering does (consult/accounts/signup.py).
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from consult import delivery
from consult.accounts import phonecodes
from consult.accounts.identity import mask_phone, normalise_phone
from consult.accounts.models import PhoneCode, User
from consult.accounts.passwords import check_password
from consult.audit.log import record
from consult.clock import utcnow
from consult.extensions import db
from consult.refusals import Refused


def _owner(phone: str) -> User | None:
    return db.session.scalar(select(User).where(User.phone == phone))


def request_change(user: User, new_phone: str, password: str, *,
                   now: datetime | None = None) -> PhoneCode:
    """Check the password and the number, and send the code to the new number (or, when
    another account has it, a note in its place). Returns the row the code page asks about."""
    phone = normalise_phone(new_phone or "")
    if phone is None:
        raise Refused(_l("Enter an 11-digit mobile number (or a landline with its area code)."),
                      "phone")
    if not user.can_log_in or not check_password(user.password_hash, password or ""):
        raise Refused(_l("The current password is not right."), "password")
    if phone == user.phone:
        raise Refused(_l("This is already the phone number of your account."), "phone")
    now = now or utcnow()
    phonecodes.check_limits(phonecodes.PHONE, now, phone=phone, user_id=user.id, field="phone")
    usable = _owner(phone) is None
    row, code = phonecodes.issue(phonecodes.PHONE, phone, now, user_id=user.id, usable=usable)
    if usable:
        delivery.send(phone, _(
            "Consult: your code to use this number for your account is %(code)s. It is valid "
            "for %(minutes)d minutes. Do not give it to anyone.", code=code,
            minutes=phonecodes.minutes()), purpose="phone change code", code=code)
    else:
        delivery.send(phone, _(
            "Consult: someone tried to put your phone number on another account. Your account "
            "has not changed. If you know nothing of it, you need not do anything."),
            purpose="phone change refused")
    return row


def confirm_change(user: User, row: PhoneCode, code: str, *,
                   now: datetime | None = None) -> str | None:
    """Set the account's number to the one the code went to. A wrong code uses up one of the
    five tries (the caller keeps it although the request is refused). Returns the old number."""
    now = now or utcnow()
    if row.purpose != phonecodes.PHONE or row.user_id != user.id:
        raise Refused(_l("This code cannot be used here."), "code")
    phonecodes.verify(row, code, now)
    if _owner(row.phone) is not None:  # another account took it since the code was sent
        raise Refused(_l("This number can no longer be used: another account has it."),
                      "code")
    if not phonecodes.claim(row, now):
        raise Refused(_l("This code was already used. Ask for a new one if you need to."),
                      "code")
    old = user.phone
    user.phone = row.phone
    db.session.flush()
    record("account.phone_change", user, actor=user,
           details={"code_id": row.id},
           personal={"old": mask_phone(old), "new": mask_phone(row.phone)})
    if old:
        delivery.send(old, _(
            "Consult: the phone number of your account was changed to %(new)s. If it was not "
            "you, contact the community office.", new=mask_phone(row.phone)),
            purpose="phone changed")
    return old
