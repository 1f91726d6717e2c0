"""Residency verification rules (居民认证): a resident asks, an office holder decides."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from consult.audit.log import record
from consult.clock import utcnow
from consult.community.models import (
    Building, Grid, Relation, Residency, ResidencyStatus, Unit,
)
from consult.extensions import db
from consult.permissions import check, community_id_of, forget_memberships, membership
from consult.refusals import Refused

MAX_NOTE = 500
MAX_REASON = 500


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
    record("residency.request", existing, actor=user, community_id=community_id_of(unit),
           details={"unit": unit.label, "relation": relation})
    return existing


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
    residency.status = (ResidencyStatus.VERIFIED if verify else ResidencyStatus.REFUSED).value
    residency.decided_at = utcnow()
    residency.decided_by_id = actor.id
    residency.refusal_reason = "" if verify else reason
    record("residency.verify" if verify else "residency.refuse", residency, actor=actor,
           community_id=community_id_of(residency),
           details={"user_id": residency.user_id, "unit": residency.unit.label,
                    **({} if verify else {"reason": reason})})
    forget_memberships()


def pending_for(actor) -> list[Residency]:
    """The verification queue: pending requests in the communities ``actor`` may decide for."""
    m = membership(actor)
    query = (
        select(Residency)
        .join(Unit, Residency.unit_id == Unit.id)
        .join(Building, Unit.building_id == Building.id)
        .join(Grid, Building.grid_id == Grid.id)
        .where(Residency.status == ResidencyStatus.PENDING.value)
        .options(joinedload(Residency.user),
                 joinedload(Residency.unit).joinedload(Unit.building).joinedload(Building.grid)
                 .joinedload(Grid.community))
        .order_by(Residency.requested_at)
    )
    if not m.platform_admin:
        allowed = [cid for cid, roles in m.roles.items() if roles & {"admin", "secretary"}]
        query = query.where(Grid.community_id.in_(allowed))
    return list(db.session.scalars(query))


def residencies_of(user) -> list[Residency]:
    return list(db.session.scalars(
        select(Residency).where(Residency.user_id == user.id)
        .options(joinedload(Residency.unit).joinedload(Unit.building).joinedload(Building.grid)
                 .joinedload(Grid.community))
        .order_by(Residency.requested_at.desc())
    ))
