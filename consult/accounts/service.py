"""Account rules: registering, logging in, changing a password."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from consult.accounts.identity import looks_like_email, normalise_email, normalise_phone
from consult.accounts.models import User
from consult.accounts.passwords import check_password, hash_password, needs_rehash
from consult.audit.log import record
from consult.clock import utcnow
from consult.extensions import db


class AccountError(ValueError):
    """Refused input, with the form field it concerns."""

    def __init__(self, field: str, message):
        super().__init__(str(message))
        self.field = field
        self.message = message


def find_by_identifier(identifier: str) -> User | None:
    identifier = (identifier or "").strip()
    if looks_like_email(identifier):
        email = normalise_email(identifier)
        return db.session.scalar(select(User).where(User.email == email)) if email else None
    phone = normalise_phone(identifier)
    return db.session.scalar(select(User).where(User.phone == phone)) if phone else None


def register(name: str, email: str, phone: str, password: str) -> User:
    """Create an account. At least one of e-mail and phone is needed to log in with."""
    name = (name or "").strip()
    email_norm = normalise_email(email) if (email or "").strip() else None
    phone_norm = normalise_phone(phone) if (phone or "").strip() else None
    if (email or "").strip() and email_norm is None:
        raise AccountError("email", _l("This is not a valid e-mail address."))
    if (phone or "").strip() and phone_norm is None:
        raise AccountError("phone", _l(
            "Enter an 11-digit mobile number (or a landline with its area code)."))
    if not email_norm and not phone_norm:
        raise AccountError("email", _l("Give an e-mail address or a phone number to log in with."))
    conditions = []
    if email_norm:
        conditions.append(User.email == email_norm)
    if phone_norm:
        conditions.append(User.phone == phone_norm)
    clashes = db.session.scalars(select(User).where(or_(*conditions))).all()
    for other in clashes:
        field = "email" if email_norm and other.email == email_norm else "phone"
        if other.password_hash is None:
            raise AccountError(field, _l(
                "This is on the roster of owners already. Ask your community office for an "
                "activation link instead of registering again."))
        raise AccountError(field, _l("An account with this %(what)s already exists. Log in "
                                     "instead.", what=_l("e-mail address") if field == "email"
                                     else _l("phone number")))
    user = User(name=name, email=email_norm, phone=phone_norm,
                password_hash=hash_password(password))
    db.session.add(user)
    record("account.register", user, actor=user)
    return user


def authenticate(identifier: str, password: str) -> User | None:
    user = find_by_identifier(identifier)
    if user is None or not check_password(user.password_hash, password):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


def change_password(user: User, current: str, new: str) -> None:
    if not check_password(user.password_hash, current):
        raise AccountError("current_password", _l("The current password is not right."))
    user.password_hash = hash_password(new)
    # Every other device that was logged in is logged out.
    user.rotate_session_token()
    record("account.password_change", user, actor=user)
