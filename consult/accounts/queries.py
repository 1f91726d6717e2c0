"""Reads of accounts, shared by logging in, password resets and the administration."""
from __future__ import annotations

from sqlalchemy import select

from consult.accounts.identity import looks_like_email, normalise_email, normalise_phone
from consult.accounts.models import User
from consult.extensions import db


def find_by_identifier(identifier: str) -> User | None:
    """The account with this phone number or e-mail address, in any spelling of it."""
    identifier = (identifier or "").strip()
    if looks_like_email(identifier):
        email = normalise_email(identifier)
        return db.session.scalar(select(User).where(User.email == email)) if email else None
    phone = normalise_phone(identifier)
    return db.session.scalar(select(User).where(User.phone == phone)) if phone else None
