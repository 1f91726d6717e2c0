"""Checking a residency claim against the roster (业主名册): pure rules, no database.

An *owner* claim matches the roster when the claimant is one of the home's owners of record:
the Ownership's account itself, or an account with the same phone number or e-mail address as
a roster owner (e-mail compared without case or surrounding spaces, phones as digits). A home
with no owner on the roster is unsold (the developer's): an owner claim on it matches nobody.
Tenant and family claims are not compared: the roster lists owners only.
"""
from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from consult.accounts.identity import normalise_phone
from consult.community.models import Relation, ResidencyStatus

MIN_MISMATCH_REASON = 10  # characters of the reason for verifying against the roster

RELATION_LABELS = {
    Relation.OWNER.value: _l("Owner"),
    Relation.FAMILY.value: _l("Family member of the owner"),
    Relation.TENANT.value: _l("Tenant"),
}

# The words the resident's own residency page uses for where their request stands.
RESIDENCY_STATUS_LABELS = {
    ResidencyStatus.PENDING.value: _l("Waiting for the office"),
    ResidencyStatus.VERIFIED.value: _l("Verified"),
    ResidencyStatus.REFUSED.value: _l("Refused"),
}


@dataclass(frozen=True)
class RosterOwner:
    """An owner of record of a home, as the roster has them."""

    user_id: int
    name: str
    phone: str | None = None
    email: str | None = None


class RosterCheck(str, enum.Enum):
    MATCH = "match"  # an owner claim by an owner of record
    MISMATCH = "mismatch"  # an owner claim by someone else than the home's owners of record
    NO_OWNER = "no_owner"  # an owner claim on a home with nobody on the roster
    NOT_COMPARED = "not_compared"  # a tenant or family claim: the roster is information only


def _phone(raw: str | None) -> str | None:
    raw = (raw or "").strip()
    return (normalise_phone(raw) or raw) if raw else None


def _email(raw: str | None) -> str | None:
    return (raw or "").strip().lower() or None


def is_roster_owner(claimant_id: int | None, phone: str | None, email: str | None,
                    owners: Iterable[RosterOwner]) -> bool:
    """Whether the account (its id, phone, e-mail) is one of ``owners``."""
    phone, email = _phone(phone), _email(email)
    for owner in owners:
        if claimant_id is not None and owner.user_id == claimant_id:
            return True
        if phone is not None and _phone(owner.phone) == phone:
            return True
        if email is not None and _email(owner.email) == email:
            return True
    return False


def roster_check(relation: str, claimant_id: int | None, phone: str | None, email: str | None,
                 owners: Iterable[RosterOwner]) -> RosterCheck:
    """How a claim of ``relation`` by the account stands against the home's roster owners."""
    if relation != Relation.OWNER.value:
        return RosterCheck.NOT_COMPARED
    owners = list(owners)
    if not owners:
        return RosterCheck.NO_OWNER
    if is_roster_owner(claimant_id, phone, email, owners):
        return RosterCheck.MATCH
    return RosterCheck.MISMATCH


def needs_reason(check: RosterCheck) -> bool:
    """Verifying such a claim needs a written reason: the roster says otherwise."""
    return check in (RosterCheck.MISMATCH, RosterCheck.NO_OWNER)
