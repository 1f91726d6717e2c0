"""Account rules: making an account, logging in (with the lockout of :mod:`.lockout`),
changing a password. Registering with a code is :mod:`.signup`; choosing a new password through
a reset link is :mod:`.reset`."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from consult.accounts import lockout
from consult.accounts.identity import normalise_email, normalise_phone
from consult.accounts.models import User
from consult.accounts.passwords import check_password, hash_password, needs_rehash
from consult.accounts.queries import find_by_identifier
from consult.accounts.reset import void_open_links
from consult.accounts.sessions import log_out_everywhere
from consult.audit.log import record
from consult.clock import utcnow
from consult.extensions import db
from consult.refusals import Refused


def create_account(name: str, email: str | None, phone: str | None,
                   password_hash: str) -> User:
    """The account of a registration whose code came back (:mod:`.signup` checks what was
    typed, the code and that the phone and e-mail are free)."""
    user = User(name=name, email=email, phone=phone, password_hash=password_hash)
    db.session.add(user)
    db.session.flush()
    record("account.register", user, actor=user)
    return user


_dummy_hash: str | None = None


def _check_nothing(password: str) -> None:
    """Spend the time of a real password check, so that a missing account takes as long."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = hash_password("no account has this password")
    check_password(_dummy_hash, password)


def authenticate(identifier: str, password: str, *, now=None) -> User:
    """The account this identifier and password open. Otherwise raises
    :class:`~consult.accounts.lockout.LoginRefused` with the message to show: the same for an
    unknown identifier as for a wrong password. The login view keeps the request's writes either
    way (:func:`consult.unit_of_work.keep`), so that a wrong attempt is counted."""
    now = now or utcnow()
    policy = lockout.Policy.from_config()
    user = find_by_identifier(identifier)
    if user is None or not user.can_log_in:
        _check_nothing(password)
        raise lockout.ghost_failure(identifier, now, policy)
    until = lockout.locked_until(user, now)
    if until is not None:
        # Even the right password waits for the lock to end. The password is still checked
        # (and the answer ignored): every refusal costs one password check, so the time of the
        # answer does not tell a locked account from an unknown one.
        check_password(user.password_hash, password)
        raise lockout.locked(until)
    if not check_password(user.password_hash, password):
        raise lockout.count_failure(user, now, policy)
    lockout.clear(user)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    return user


def change_password(user: User, current: str, new: str) -> None:
    if not check_password(user.password_hash, current):
        raise Refused(_l("The current password is not right."), "current_password")
    user.password_hash = hash_password(new)
    # Every other browser and app that was logged in is logged out.
    log_out_everywhere(user)
    void_open_links(user)  # a reset link asked for earlier must not undo this change
    record("account.password_change", user, actor=user)
