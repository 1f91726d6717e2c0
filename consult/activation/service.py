"""Issuing activation codes and activating an account with one (账号激活).

:func:`issue` gives each roster owner of a scope who has no password a new one-time code (and
voids the one they had); the codes exist in clear only in its answer, for the letters or the
messages, and are stored as an HMAC keyed by the app's secret. :func:`activate` is the one way
in for web and API alike: the code (and, typed from a letter, the phone or e-mail address on the
roster) opens the account, sets its password and verifies the owner to every home the roster
says they own.

Every way a code can fail (mistyped, expired, used, replaced, not this phone) gets one answer,
so that nobody learns whether a phone is on the roster. Wrong codes are counted per phone or
e-mail address (per client address when only the code is typed) in the rate-limit storage:
after ``ACTIVATION_LOCKOUT_ATTEMPTS`` of them, activating pauses for
``ACTIVATION_LOCKOUT_MINUTES``. The page and the API are also limited per client address
(consult/ratelimits.py).
"""
from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from consult import delivery, tries
from consult.accounts.identity import looks_like_email, normalise_email, normalise_phone
from consult.accounts.models import User
from consult.accounts.passwords import MIN_LENGTH, hash_password
from consult.activation import rules
from consult.activation.models import ActivationCode
from consult.audit.log import record
from consult.clock import utcnow
from consult.community.models import (
    Building, Community, Grid, Ownership, Relation, Residency, ResidencyStatus, Unit,
)
from consult.database import begin_write
from consult.extensions import db
from consult.permissions import check, forget_memberships
from consult.privacy import service as privacy
from consult.refusals import Refused
from consult.urls import public_url

LETTER, MESSAGE, FILE = "letter", "message", "file"
PASSWORD_MAX = 128
_CHUNK = 500  # ids per IN (...)


def lifetime() -> timedelta:
    return timedelta(days=int(current_app.config.get("ACTIVATION_CODE_DAYS", 30)))


def _digest(code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"activate:{code}".encode(), hashlib.sha256).hexdigest()


# --- issuing -----------------------------------------------------------------------------------

@dataclass
class Scope:
    """Whose codes are issued: a whole community, one grid, or one building."""

    community: Community
    grid: Grid | None = None
    building: Building | None = None

    @property
    def target(self):
        """The object the permission table is asked about."""
        return self.building or self.grid or self.community

    @property
    def label(self) -> str:
        if self.building is not None:
            return f"{self.building.grid.name} {self.building.name}"
        if self.grid is not None:
            return self.grid.name
        return self.community.name

    @property
    def key(self) -> str:
        if self.building is not None:
            return f"building:{self.building.id}"
        if self.grid is not None:
            return f"grid:{self.grid.id}"
        return "community"


def scope_of(community: Community, key: str) -> Scope:
    """The scope ``community``, ``grid:<id>`` or ``building:<id>`` of ``community``; a grid or
    building of another community is no such thing."""
    kind, _sep, raw_id = (key or "").partition(":")
    if kind == "community" and not raw_id:
        return Scope(community)
    if kind in ("grid", "building") and raw_id.isdigit() and len(raw_id) <= 9:
        if kind == "grid":
            grid = db.session.get(Grid, int(raw_id))
            if grid is not None and grid.community_id == community.id:
                return Scope(community, grid=grid)
        else:
            building = db.session.get(Building, int(raw_id))
            if building is not None and building.grid.community_id == community.id:
                return Scope(community, grid=building.grid, building=building)
    raise Refused(_l("Choose the community, one of its grids or one of its buildings."), "scope")


@dataclass
class Letter:
    """One owner's code, as the letter (or the message, or the CSV line) shows it."""

    owner_id: int
    name: str
    phone: str | None
    email: str | None
    homes: list[str]
    code: str  # grouped: ABCDE-FGHJK
    link: str


@dataclass
class Issued:
    scope: Scope
    channel: str
    expires_at: datetime
    letters: list[Letter] = field(default_factory=list)  # to print (or to write to the file)
    sent: list[Letter] = field(default_factory=list)  # sent by SMS or e-mail

    @property
    def count(self) -> int:
        return len(self.letters) + len(self.sent)


def channels() -> list[str]:
    """The ways a code can reach owners: letters always; messages where an SMS provider is
    set up (:func:`consult.delivery.sms_configured`)."""
    return [LETTER, MESSAGE] if delivery.sms_configured() else [LETTER]


def issue(actor, scope: Scope, channel: str = LETTER) -> Issued:
    """New codes for the owners of ``scope`` without a password (each earlier live code of
    theirs is void). With ``channel`` :data:`MESSAGE`, owners with a phone or e-mail address on
    the roster get theirs by message; the others, and everyone with :data:`LETTER`, get a
    letter."""
    if refusal := check(actor, "activation.issue", scope.target):
        raise Refused.forbidden(refusal.message, refusal.code)
    if channel not in channels():
        raise Refused(_l("Messages cannot be sent from this site yet: print letters instead."),
                      "channel")
    return _issue(scope, channel, issuer=actor)


def issue_to_file(scope: Scope) -> Issued:
    """New codes as :func:`issue` makes them, for the command line (an operator at the server,
    no account): every one comes back in ``letters`` for the CSV file."""
    return _issue(scope, FILE, issuer=None)


def _issue(scope: Scope, channel: str, *, issuer) -> Issued:
    begin_write()
    now = utcnow()
    owners = _owners_without_password(scope)
    issued = Issued(scope=scope, channel=channel, expires_at=now + lifetime())
    ids = list(owners)
    for chunk in _chunks(ids):
        db.session.execute(
            update(ActivationCode)
            .where(ActivationCode.user_id.in_(chunk), ActivationCode.used_at.is_(None),
                   ActivationCode.voided_at.is_(None))
            .values(voided_at=now).execution_options(synchronize_session=False))
    rows = []
    for owner_id, (user, homes) in owners.items():
        code = rules.new_code()
        letter = Letter(owner_id=owner_id, name=user.name, phone=user.phone, email=user.email,
                        homes=homes, code=rules.grouped(code),
                        link=public_url("activation.activate_code", code=rules.grouped(code)))
        how = FILE if channel == FILE else LETTER
        if channel == MESSAGE and (user.phone or user.email) and _send(scope, letter, issued):
            how = MESSAGE
            issued.sent.append(letter)
        else:
            issued.letters.append(letter)
        rows.append(ActivationCode(
            user_id=owner_id, community_id=scope.community.id, code_hash=_digest(code),
            channel=how, issued_by_id=issuer.id if issuer is not None else None,
            created_at=now, expires_at=issued.expires_at))
    db.session.add_all(rows)
    db.session.flush()
    record("activation.issue", scope.community, actor=issuer, community_id=scope.community.id,
           details={"scope": scope.key, "scope_name": scope.label, "count": issued.count,
                    "channel": channel, "letters": len(issued.letters),
                    "sent": len(issued.sent)})
    return issued


def _send(scope: Scope, letter: Letter, issued: Issued) -> bool:
    from consult.i18n import local_datetime

    text = _("Consult: your activation code for %(community)s is %(code)s. Open %(link)s or "
             "type it on the “Activate” page with this %(what)s, and choose a password. Valid "
             "until %(date)s. Do not give it to anyone.",
             community=scope.community.name, code=letter.code, link=letter.link,
             what=_("phone number") if letter.phone else _("e-mail address"),
             date=local_datetime(issued.expires_at, "short"))
    return delivery.send(letter.phone or letter.email, text, purpose="activation", code=letter.code)


def _owners_without_password(scope: Scope) -> dict[int, tuple[User, list[str]]]:
    """The scope's roster owners who cannot log in yet, each with every home of theirs in the
    community (grid, building, unit), in roster order. One query."""
    in_scope = (select(Ownership.owner_id)
                .join(Unit, Ownership.unit_id == Unit.id)
                .join(Building, Unit.building_id == Building.id)
                .join(Grid, Building.grid_id == Grid.id)
                .where(Grid.community_id == scope.community.id))
    if scope.building is not None:
        in_scope = in_scope.where(Building.id == scope.building.id)
    elif scope.grid is not None:
        in_scope = in_scope.where(Grid.id == scope.grid.id)
    rows = db.session.execute(
        select(User, Grid.name, Building.name, Unit.number)
        .join(Ownership, Ownership.owner_id == User.id)
        .join(Unit, Ownership.unit_id == Unit.id)
        .join(Building, Unit.building_id == Building.id)
        .join(Grid, Building.grid_id == Grid.id)
        .where(Grid.community_id == scope.community.id, User.password_hash.is_(None),
               User.closed_at.is_(None),  # a closed account is never offered a code again
               User.id.in_(in_scope))
        .order_by(Grid.name, Building.name, Unit.number, User.id))
    owners: dict[int, tuple[User, list[str]]] = {}
    for user, grid, building, unit in rows:
        owners.setdefault(user.id, (user, []))[1].append(f"{grid} {building} {unit}")
    return owners


def _chunks(items: list, size: int = _CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# --- activating --------------------------------------------------------------------------------

def _wrong_message() -> str:
    return _("This code does not work: it may be mistyped, expired, already used, or replaced by "
             "a newer letter, or the phone or e-mail does not go with it. Check it, or ask your "
             "community office for a new one. After %(n)d wrong tries, activation pauses for "
             "%(minutes)d minutes.", n=_policy()[0], minutes=_policy()[1])


class Paused(Refused):
    """Too many wrong codes for this phone, address or client: wait until ``until``."""

    def __init__(self, until: datetime, now: datetime):
        minutes = max(1, math.ceil((until - now).total_seconds() / 60))
        super().__init__(_("There were too many wrong codes, so activation is paused. Please "
                           "wait %(minutes)d minutes, then try again.", minutes=minutes),
                         "code", kind="conflict")
        self.until = until
        self.seconds = max(1, math.ceil((until - now).total_seconds()))


def _policy() -> tuple[int, int]:
    config = current_app.config
    return (int(config.get("ACTIVATION_LOCKOUT_ATTEMPTS", 5)),
            int(config.get("ACTIVATION_LOCKOUT_MINUTES", 15)))


_TRIES = tries.Counter("consult_activation_tries")


def _tries_key(identifier: str, address: str | None) -> str:
    """The same key for every spelling of one phone or address; the client's address when only
    the code is typed (following the letter's link)."""
    if (identifier or "").strip():
        return tries.identity_key("activation-tries", identifier)
    return tries.hashed_key("activation-tries", "address:" + (address or ""))


def _matches(user: User, identifier: str) -> bool:
    identifier = identifier.strip()
    if looks_like_email(identifier):
        email = normalise_email(identifier)
        return email is not None and email == user.email
    phone = normalise_phone(identifier)
    return phone is not None and phone == user.phone


def activate(identifier: str, code: str, password: str, *, privacy_version: str | None,
             address: str | None = None) -> User:
    """Open the account of ``code``'s owner with ``password`` and verify them to their homes.

    ``identifier`` (the phone or e-mail address on the roster) is checked when given; a person
    following the letter's link gives the code alone. Raises :class:`Refused` (``password`` or
    ``code``; :class:`Paused` after too many wrong codes). Two activations with one code at the
    same moment: the first opens the account, the second is refused. ``privacy_version`` is the
    privacy notice the owner agreed to (``None``: not agreed, refused before the code is
    tried): it must be the one in force, and is recorded with the account."""
    now = utcnow()
    password = password or ""
    if len(password) < MIN_LENGTH:
        raise Refused(_l("The password must be at least %(n)d characters.", n=MIN_LENGTH),
                      "password")
    if len(password) > PASSWORD_MAX:
        raise Refused(_l("At most %(max)d characters.", max=PASSWORD_MAX), "password")
    privacy.check_version(privacy_version)
    key = _tries_key(identifier, address)
    if (until := _TRIES.paused_until(key, now)) is not None:
        raise Paused(until, now)
    begin_write()
    normal = rules.normalise(code)
    row = db.session.scalar(select(ActivationCode).where(
        ActivationCode.code_hash == _digest(normal))) if normal else None
    user = db.session.get(User, row.user_id) if row is not None else None
    good = (row is not None and user is not None and user.password_hash is None
            and user.closed_at is None
            and rules.state(used_at=row.used_at, voided_at=row.voided_at,
                            expires_at=row.expires_at, now=now) == rules.LIVE
            and (not (identifier or "").strip() or _matches(user, identifier)))
    if not good:
        attempts, minutes = _policy()
        if (until := _TRIES.fail(key, now, attempts, minutes)[1]) is not None:
            raise Paused(until, now)
        raise Refused(_wrong_message(), "code")
    # Claimed in SQL: of two requests with one code, the second waits for the first's row
    # lock (PostgreSQL) or its write transaction (SQLite) and then finds the code used.
    claimed = db.session.execute(
        update(ActivationCode)
        .where(ActivationCode.id == row.id, ActivationCode.used_at.is_(None),
               ActivationCode.voided_at.is_(None), ActivationCode.expires_at > now)
        .values(used_at=now).execution_options(synchronize_session=False)).rowcount
    opened = claimed == 1 and db.session.execute(
        update(User).where(User.id == user.id, User.password_hash.is_(None))
        .values(password_hash=hash_password(password), failed_logins=0, locked_until=None)
        .execution_options(synchronize_session=False)).rowcount == 1
    if not opened:
        raise Refused(_wrong_message(), "code")
    db.session.expire(user)
    db.session.expire(row)
    db.session.execute(
        update(ActivationCode)
        .where(ActivationCode.user_id == user.id, ActivationCode.id != row.id,
               ActivationCode.used_at.is_(None), ActivationCode.voided_at.is_(None))
        .values(voided_at=now).execution_options(synchronize_session=False))
    homes = _verify_homes(user, now)
    privacy.record(user, privacy_version, "activate", at=now)
    record("account.activate", user, actor=user, community_id=row.community_id,
           details={"code_id": row.id, "homes": homes,
                    "by": "identifier" if (identifier or "").strip() else "link"})
    _TRIES.clear(key)
    forget_memberships()
    return user


def _verify_homes(user: User, now: datetime) -> list[str]:
    """A verified owner's residency for every unit the roster says ``user`` owns: the roster is
    the proof. A request of theirs already there (pending or refused) is verified."""
    units = db.session.scalars(
        select(Unit).join(Ownership, Ownership.unit_id == Unit.id)
        .where(Ownership.owner_id == user.id)
        .options(joinedload(Unit.building).joinedload(Building.grid))
        .order_by(Unit.id)).all()
    existing = {r.unit_id: r for r in db.session.scalars(
        select(Residency).where(Residency.user_id == user.id))}
    for unit in units:
        residency = existing.get(unit.id)
        if residency is None:
            residency = Residency(user_id=user.id, unit_id=unit.id, requested_at=now)
            db.session.add(residency)
        elif residency.status == ResidencyStatus.VERIFIED.value:
            continue
        residency.relation = Relation.OWNER.value
        residency.status = ResidencyStatus.VERIFIED.value
        residency.decided_at = now
        residency.decided_by_id = None
        residency.refusal_reason = ""
    db.session.flush()
    return [unit.label for unit in units]
