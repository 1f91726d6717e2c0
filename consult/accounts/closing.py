"""Closing an account (注销账号).

After the owner re-enters the password, :func:`close_account` does everything in the caller's
unit of work:

- the account can no longer log in: ``closed_at`` set, the password hash removed, every session
  and API token dead (:func:`consult.accounts.sessions.log_out_everywhere`);
- what identifies the person is erased: phone and e-mail (set NULL, so the phone can register
  again as a new person), the name, replaced by a stable pseudonym "居民 7F3K"
  (:func:`pseudonym_code`), and the personal data beside the audit chain of the entries about
  them (:func:`consult.audit.log.erase_personal`);
- what only served the person goes: message settings and outbox, phone and registration codes,
  password-reset links, activation codes, follows;
- what they were doing stops: upcoming reservations are cancelled (the representative is told),
  live proxy authorisations of votes not yet closed are withdrawn, grid consents revoked,
  residencies ended, role grants removed (an official who closes their account loses the role).

What stays for the record, under the pseudonym: comments, topics proposed, co-signatures,
meeting registrations, minutes, ballots (of closed votes, so that the tally still verifies,
and of open votes too: see :data:`OPEN_VOTE_BALLOTS`), roster ownership (the roster is the
community's record of who owns the home; the closed account stays its owner of record and is
never sent an activation code again), the audit chain.

The name is stored as "居民 <code>" in ``users.name`` rather than rendered per language from the
code: every page, feed, API answer and CSV reads ``users.name``, so one stored value cannot be
missed by any of them (a page cached before, an export written by another package); 居民
(resident) is the word the residents themselves use, and with the code it reads as a label in
English pages too. The code alone is kept in ``users.pseudonym``.
"""
from __future__ import annotations

import base64
import hashlib
import hmac

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, or_, select, update

from consult.accounts import lockout
from consult.accounts.models import (
    PasswordReset, PhoneCode, RegistrationCode, RoleGrant, User,
)
from consult.accounts.passwords import check_password
from consult.accounts.sessions import log_out_everywhere
from consult.audit.log import erase_personal, record
from consult.clock import utcnow
from consult.extensions import db
from consult.notifications.kinds import register
from consult.notifications.service import notify
from consult.refusals import Refused

PSEUDONYM_PREFIX = "居民"
PSEUDONYM_LENGTH = 4
# Ballots already cast in a vote still open are kept and counted. A ballot on a home decision
# (Civil Code art. 278) is the home's: the owner expressed the will of that home's share while
# they could, and closing an app account does not withdraw it, any more than moving away the
# day after casting a paper ballot would. Withdrawing it would also let closing an account
# change a running count. A co-owner of the home can still replace it while the vote is open.
OPEN_VOTE_BALLOTS = "kept"

register("studio.reservation_closed", _l(
    "A resident who had reserved %(date)s, %(time)s at %(studio)s closed their account: the "
    "slot is free again."))


def pseudonym_code(user_id: int, attempt: int = 0) -> str:
    """Four letters and digits from an HMAC of the user id with the app's secret: the same for
    the same account, not guessable from the id. ``attempt`` picks another on a clash."""
    key = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    message = f"pseudonym:{user_id}:{attempt}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    # Base32 without the letters that read as digits in small print.
    code = base64.b32encode(digest).decode("ascii")
    code = "".join(c for c in code if c not in "O0I1L=")
    return code[:PSEUDONYM_LENGTH]


def pseudonym_name(code: str) -> str:
    return f"{PSEUDONYM_PREFIX} {code}"


def _free_pseudonym(user_id: int) -> str:
    for attempt in range(50):
        code = pseudonym_code(user_id, attempt)
        taken = db.session.scalar(select(User.id).where(
            User.pseudonym == code, User.id != user_id).limit(1))
        if taken is None:
            return code
    raise RuntimeError("no free pseudonym")  # 50 clashes in a row: 32^4 codes make it moot


def check_closing_password(user: User, password: str) -> None:
    """The password re-entered to close the account. A wrong one counts as a failed login
    (consult/accounts/lockout.py), so closing cannot be used to guess it; the caller keeps the
    count (:func:`consult.unit_of_work.keep`)."""
    if user.closed_at is not None or user.password_hash is None:
        raise Refused(_l("This account is already closed."))
    if not (password or ""):
        raise Refused(_l("Type your password to close the account."), "password")
    now = utcnow()
    policy = lockout.Policy.from_config()
    until = lockout.locked_until(user, now)
    if until is not None:
        check_password(user.password_hash, password)  # the same time as any other refusal
        raise Refused(lockout.locked(until).message, "password", kind="forbidden",
                      code="account_locked")
    if not check_password(user.password_hash, password):
        refusal = lockout.count_failure(user, now, policy)
        message = (refusal.message if refusal.locked_until is not None
                   else _("The password is not right."))
        raise Refused(message, "password", kind="forbidden", code=refusal.code or
                      "wrong_password")
    lockout.clear(user)


def close_account(user: User, password: str) -> dict[str, int]:
    """Close ``user``'s own account (see the module). Refused for a wrong password; returns
    what was done, by kind, for the audit entry and the tests."""
    check_closing_password(user, password)
    now = utcnow()
    done: dict[str, int] = {}
    uid = user.id
    phone, email = user.phone, user.email

    done["tokens_revoked"] = log_out_everywhere(user)
    code = _free_pseudonym(uid)
    user.closed_at = now
    user.pseudonym = code
    user.name = pseudonym_name(code)
    user.phone = None
    user.email = None
    user.password_hash = None
    user.is_platform_admin = False
    user.failed_logins = 0
    user.locked_until = None
    db.session.flush()  # the phone and e-mail are free from here on

    done.update(_erase_codes_and_messages(uid, phone, email))
    done.update(_stop_what_was_under_way(user, now))
    done["audit_personal_erased"] = erase_personal(uid)
    done.update(_forget_records_of_me(user))
    record("account.close", user, actor=user, details=done)
    return done


def _forget_records_of_me(user: User) -> dict[str, int]:
    """My downloads of my data go (files and rows); where I, as an official, saw someone's
    data, the access record keeps the fact under my pseudonym, not my name."""
    from consult.disclosures.models import DataView
    from consult.mydata.service import forget_exports

    return {
        "data_exports_deleted": forget_exports(user.id),
        "data_views_renamed": _count(update(DataView).where(DataView.viewer_id == user.id)
                                     .values(viewer_name=user.name)),
    }


def _count(statement) -> int:
    return db.session.execute(
        statement.execution_options(synchronize_session=False)).rowcount or 0


def _erase_codes_and_messages(uid: int, phone: str | None, email: str | None) -> dict[str, int]:
    from consult.activation.models import ActivationCode
    from consult.messages.models import MessagePreference, MessageSettings, OutboxMessage
    from consult.topics.models import Follow

    addresses = [a for a in (phone, email) if a]
    to_me = OutboxMessage.user_id == uid
    if addresses:
        to_me = or_(to_me, OutboxMessage.to_address.in_(addresses))
    phone_codes = PhoneCode.user_id == uid
    if phone:
        phone_codes = or_(phone_codes, PhoneCode.phone == phone)
    registrations = [RegistrationCode.phone == phone] if phone else []
    if email:
        registrations.append(RegistrationCode.email == email)
    return {
        "outbox_deleted": _count(delete(OutboxMessage).where(to_me)),
        "message_settings_deleted": (
            _count(delete(MessageSettings).where(MessageSettings.user_id == uid))
            + _count(delete(MessagePreference).where(MessagePreference.user_id == uid))),
        "phone_codes_deleted": _count(delete(PhoneCode).where(phone_codes)),
        "registration_codes_deleted": (
            _count(delete(RegistrationCode).where(or_(*registrations))) if registrations
            else 0),
        "password_resets_deleted": _count(
            delete(PasswordReset).where(PasswordReset.user_id == uid)),
        "activation_codes_deleted": _count(
            delete(ActivationCode).where(ActivationCode.user_id == uid)),
        "follows_deleted": _count(delete(Follow).where(Follow.user_id == uid)),
    }


def _stop_what_was_under_way(user: User, now) -> dict[str, int]:
    from consult.community.models import Residency
    from consult.grids.models import Consent
    from consult.studios.booking import session_url
    from consult.studios.slots import hhmm, local_date
    from consult.studios.models import Reservation, StudioRepresentative
    from consult.votes.models import Vote, VoteProxy

    uid = user.id
    # Upcoming reservations: the slot is freed and the representative told.
    upcoming = db.session.scalars(select(Reservation).where(
        Reservation.resident_id == uid, Reservation.cancelled_at.is_(None),
        Reservation.slot_start > now)).all()
    for reservation in upcoming:
        reservation.cancelled_at = now
        session = reservation.session
        notify([session.representative_id], "studio.reservation_closed",
               {"studio": session.studio.name,
                "date": local_date(reservation.slot_start).isoformat(),
                "time": hhmm(reservation.slot_start)}, session_url(session.id),
               skip=[uid])
    # Live authorisations, given or held, in votes that have not closed.
    not_closed = select(Vote.id).where(Vote.cancelled_at.is_(None), Vote.closes_at > now)
    proxies = _count(update(VoteProxy).where(
        or_(VoteProxy.granted_by_id == uid, VoteProxy.proxy_user_id == uid),
        VoteProxy.revoked_at.is_(None), VoteProxy.vote_id.in_(not_closed))
        .values(revoked_at=now, revoked_by_id=uid, revoked_reason="closed"))
    # As a proxy, the person is named on the authorisations: the name goes, the phone too.
    _count(update(VoteProxy).where(VoteProxy.proxy_user_id == uid)
           .values(proxy_name=user.name, proxy_phone=""))
    consents = _count(update(Consent).where(Consent.resident_id == uid,
                                            Consent.revoked_at.is_(None))
                      .values(revoked_at=now, revoked_by_id=uid))
    return {
        "reservations_cancelled": len(upcoming),
        "proxies_revoked": proxies,
        "consents_revoked": consents,
        "residencies_ended": _count(delete(Residency).where(Residency.user_id == uid)),
        "roles_removed": (
            _roles_removed(user)
            + _count(delete(StudioRepresentative).where(StudioRepresentative.user_id == uid))),
    }


def _roles_removed(user: User) -> int:
    grants = list(user.role_grants)
    for grant in grants:
        user.role_grants.remove(grant)  # the relationship's delete-orphan removes the row
    db.session.flush()
    return len(grants)
