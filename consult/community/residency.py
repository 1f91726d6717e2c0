"""Residency verification (居民认证): a resident asks, an office holder decides.

Claims are checked against the roster (业主名册, see :mod:`consult.community.rules`): an owner
claim by an owner of record is verified at once; verifying an owner claim the roster does not
bear out needs a written reason.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from consult.accounts.models import User
from consult.audit.log import record
from consult.audit.models import AuditEntry
from consult.clock import utcnow
from consult.community.models import (
    Building, Grid, Ownership, Relation, Residency, ResidencyStatus, Unit,
)
from consult.community.rules import (
    MIN_MISMATCH_REASON, RosterCheck, RosterOwner, needs_reason, roster_check,
)
from consult.extensions import db
from consult.notifications.kinds import register
from consult.notifications.service import notify
from consult.permissions import check, community_id_of, forget_memberships, membership
from consult.refusals import Refused

MAX_NOTE = 500
MAX_REASON = 500
HISTORY = 20  # decisions shown under the verification queue
AUTO_VERIFY_REASON = "matches the roster"  # kept in the audit log, in English like its actions


def roster_owners(unit_ids: Iterable[int]) -> dict[int, list[RosterOwner]]:
    """The owners of record of each of the homes, by unit id, in one query (a home with none
    is missing from the answer)."""
    unit_ids = sorted(set(unit_ids))
    if not unit_ids:
        return {}
    found: dict[int, list[RosterOwner]] = {}
    for unit_id, user_id, name, phone, email in db.session.execute(
            select(Ownership.unit_id, User.id, User.name, User.phone, User.email)
            .join(User, Ownership.owner_id == User.id)
            .where(Ownership.unit_id.in_(unit_ids))
            .order_by(Ownership.unit_id, User.name, User.id)):
        found.setdefault(unit_id, []).append(RosterOwner(user_id, name, phone, email))
    return found


def check_against_roster(residency: Residency, owners: list[RosterOwner]) -> RosterCheck:
    user = residency.user
    return roster_check(residency.relation, user.id, user.phone, user.email, owners)


def request_residency(user, unit: Unit, relation: str, note: str = "") -> Residency:
    if relation not in {r.value for r in Relation}:
        raise Refused(_l("Choose how you live there."), "relation")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise Refused(_l("The note can be at most %(n)d characters.", n=MAX_NOTE), "note")
    existing = db.session.scalar(
        select(Residency).where(Residency.user_id == user.id, Residency.unit_id == unit.id))
    if existing is not None and existing.status != ResidencyStatus.REFUSED.value:
        raise Refused(_l("You have already asked to be verified to this home."), "unit")
    if existing is None:
        existing = Residency(user_id=user.id, unit_id=unit.id)
        db.session.add(existing)
    existing.relation = relation
    existing.note = note
    existing.status = ResidencyStatus.PENDING.value
    existing.requested_at = utcnow()
    existing.decided_at = None
    existing.decided_by_id = None
    existing.refusal_reason = ""
    community_id = community_id_of(unit)
    record("residency.request", existing, actor=user, community_id=community_id,
           details={"unit": unit.label, "relation": relation})
    owners = roster_owners([unit.id]).get(unit.id, [])
    if roster_check(relation, user.id, user.phone, user.email, owners) == RosterCheck.MATCH:
        # The roster already says so: nobody needs to check it again.
        existing.status = ResidencyStatus.VERIFIED.value
        existing.decided_at = utcnow()
        record("residency.auto_verify", existing, actor=None, community_id=community_id,
               details={"user_id": user.id, "unit": unit.label,
                        "reason": AUTO_VERIFY_REASON})
        forget_memberships()
    return existing


register("residency.verified", _l("Your home %(home)s is verified: you can now take part in "
                                  "its community's topics and votes."))
register("residency.refused", _l("Your request for %(home)s was refused: %(reason)s"))


def decide(actor, residency: Residency, verify: bool, reason: str = "") -> None:
    """Verify or refuse a pending request. A refusal must say why; the resident sees it."""
    if refusal := check(actor, "residency.decide", residency):
        raise Refused.forbidden(refusal.message, refusal.code)
    if residency.status != ResidencyStatus.PENDING.value:
        raise Refused(_l("This request has already been decided."))
    reason = (reason or "").strip()
    if not verify and not reason:
        raise Refused(_l("Say why the request is refused; the resident will see it."),
                             "reason")
    if len(reason) > MAX_REASON:
        raise Refused(_l("The reason can be at most %(n)d characters.", n=MAX_REASON),
                             "reason")
    against_roster = False
    if verify and residency.relation == Relation.OWNER.value:
        owners = roster_owners([residency.unit_id]).get(residency.unit_id, [])
        against_roster = needs_reason(check_against_roster(residency, owners))
        if against_roster and len(reason) < MIN_MISMATCH_REASON:
            raise Refused(_l(
                "The roster does not list this person as an owner of this home. To verify "
                "them anyway, write why (at least %(n)d characters), for example which "
                "documents you checked.", n=MIN_MISMATCH_REASON), "reason")
    residency.status = (ResidencyStatus.VERIFIED if verify else ResidencyStatus.REFUSED).value
    residency.decided_at = utcnow()
    residency.decided_by_id = actor.id
    residency.refusal_reason = "" if verify else reason
    details = {"user_id": residency.user_id, "unit": residency.unit.label}
    if not verify or against_roster:
        details["reason"] = reason
    if against_roster:
        details["against_roster"] = True
    record("residency.verify" if verify else "residency.refuse", residency, actor=actor,
           community_id=community_id_of(residency), details=details)
    notify([residency.user_id], "residency.verified" if verify else "residency.refused",
           {"home": residency.unit.label, "reason": residency.refusal_reason},
           "/me/residency")
    forget_memberships()


def _in_office_communities(actor, query):
    """``query`` (joined to Grid) narrowed to the communities ``actor`` decides for."""
    m = membership(actor)
    if m.platform_admin:
        return query
    allowed = [cid for cid, roles in m.roles.items() if roles & {"admin", "secretary"}]
    return query.where(Grid.community_id.in_(allowed))


def _with_home(query):
    return (query.join(Unit, Residency.unit_id == Unit.id)
            .join(Building, Unit.building_id == Building.id)
            .join(Grid, Building.grid_id == Grid.id)
            .options(joinedload(Residency.user),
                     joinedload(Residency.unit).joinedload(Unit.building)
                     .joinedload(Building.grid).joinedload(Grid.community)))


def pending_for(actor) -> list[Residency]:
    """The verification queue: pending requests in the communities ``actor`` may decide for."""
    query = _with_home(select(Residency)).where(
        Residency.status == ResidencyStatus.PENDING.value).order_by(Residency.requested_at)
    return list(db.session.scalars(_in_office_communities(actor, query)))


@dataclass(frozen=True)
class DecidedItem:
    """A decided claim in the queue's history, with the reason given for it: the refusal's,
    or the one written for verifying against the roster."""

    residency: Residency
    reason: str
    against_roster: bool
    by_roster: bool  # verified at once by the roster, nobody decided


def recently_decided(actor, limit: int = HISTORY) -> list[DecidedItem]:
    """The last ``limit`` decisions in the communities ``actor`` decides for, newest first: two
    queries however many there are."""
    query = (_with_home(select(Residency))
             .options(joinedload(Residency.decided_by))
             .where(Residency.status != ResidencyStatus.PENDING.value,
                    Residency.decided_at.is_not(None))
             .order_by(Residency.decided_at.desc(), Residency.id.desc()).limit(limit))
    decided = list(db.session.scalars(_in_office_communities(actor, query)))
    verified = [r.id for r in decided if r.is_verified]
    reasons: dict[int, dict] = {}
    if verified:
        for object_id, action, details in db.session.execute(
                select(AuditEntry.object_id, AuditEntry.action, AuditEntry.details)
                .where(AuditEntry.object_type == Residency.__tablename__,
                       AuditEntry.action.in_(["residency.verify", "residency.auto_verify"]),
                       AuditEntry.object_id.in_(verified))
                .order_by(AuditEntry.id)):
            reasons[object_id] = {"action": action, **(details or {})}
    items = []
    for r in decided:
        if not r.is_verified:
            items.append(DecidedItem(r, r.refusal_reason, False, False))
            continue
        entry = reasons.get(r.id, {})
        against = bool(entry.get("against_roster"))
        items.append(DecidedItem(r, entry.get("reason", "") if against else "", against,
                                 entry.get("action") == "residency.auto_verify"))
    return items


@dataclass(frozen=True)
class QueueItem:
    """A pending claim beside the roster owners of its home."""

    residency: Residency
    owners: list[RosterOwner]
    check: RosterCheck

    @property
    def mismatch(self) -> bool:
        return needs_reason(self.check)


def queue_for(actor) -> list[QueueItem]:
    """The verification queue with the roster: two queries however long it is."""
    pending = pending_for(actor)
    owners = roster_owners(r.unit_id for r in pending)
    items = []
    for r in pending:
        of_home = owners.get(r.unit_id, [])
        items.append(QueueItem(r, of_home, check_against_roster(r, of_home)))
    return items


def on_the_roster(residencies: list[Residency]) -> set[int]:
    """The ids of the verified owner claims the roster bears out (one query, none when there
    are no such claims): the resident's page says they are the owner on the roster."""
    owner_claims = [r for r in residencies
                    if r.is_verified and r.relation == Relation.OWNER.value]
    owners = roster_owners(r.unit_id for r in owner_claims)
    return {r.id for r in owner_claims
            if check_against_roster(r, owners.get(r.unit_id, [])) == RosterCheck.MATCH}


def residencies_of(user) -> list[Residency]:
    return list(db.session.scalars(
        select(Residency).where(Residency.user_id == user.id)
        .options(joinedload(Residency.unit).joinedload(Unit.building).joinedload(Building.grid)
                 .joinedload(Grid.community))
        .order_by(Residency.requested_at.desc())
    ))
