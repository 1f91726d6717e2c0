"""Writing and verifying the audit chain."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import select, text

from consult.audit.models import GENESIS_HASH, AuditEntry
from consult.clock import utcnow
from consult.extensions import db

# Any constant works: it names the advisory lock that serialises chain writers on PostgreSQL.
_CHAIN_LOCK_KEY = 0x436F6E73  # "Cons"


def entry_hash(prev_hash: str, at, actor_id, action, object_type, object_id, community_id,
               details) -> str:
    payload = json.dumps(
        [prev_hash, at.isoformat(timespec="microseconds"), actor_id, action, object_type,
         object_id, community_id, details],
        ensure_ascii=False, sort_keys=True, separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def record(action: str, obj=None, *, actor=None, community_id: int | None = None,
           object_type: str | None = None, object_id: int | None = None,
           details: dict | None = None) -> AuditEntry:
    """Append an entry in the caller's transaction; it commits or rolls back with the change it
    describes. ``obj`` (any model with an ``id``) fills in the object type and id."""
    session = db.session
    if obj is not None:
        session.flush()  # the object needs its id
        object_type = object_type or obj.__tablename__
        object_id = obj.id if object_id is None else object_id
    if session.get_bind().dialect.name == "postgresql":
        # Held until commit: chain writers queue instead of forking the chain.
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK_KEY})
    prev = session.execute(
        select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    ).scalar_one_or_none() or GENESIS_HASH
    details = json.loads(json.dumps(details or {}, ensure_ascii=False, default=str))
    at = utcnow()
    actor_id = actor.id if actor is not None else None
    entry = AuditEntry(
        at=at, actor_id=actor_id, action=action, object_type=object_type or "",
        object_id=object_id, community_id=community_id, details=details, prev_hash=prev,
        hash=entry_hash(prev, at, actor_id, action, object_type or "", object_id, community_id,
                        details),
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass
class ChainReport:
    entries: int
    first_bad_id: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.first_bad_id is None


def verify_chain(batch_size: int = 5000) -> ChainReport:
    """Walk the whole log in id order, recomputing each hash."""
    expected_prev = GENESIS_HASH
    count = 0
    last_id = 0
    while True:
        # Plain rows, not entities: a long log must not fill the identity map.
        rows = db.session.execute(
            select(AuditEntry.id, AuditEntry.at, AuditEntry.actor_id, AuditEntry.action,
                   AuditEntry.object_type, AuditEntry.object_id, AuditEntry.community_id,
                   AuditEntry.details, AuditEntry.prev_hash, AuditEntry.hash)
            .where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch_size)
        ).all()
        if not rows:
            return ChainReport(entries=count)
        for e in rows:
            count += 1
            if e.prev_hash != expected_prev:
                return ChainReport(count, e.id, "previous hash does not match the entry before")
            recomputed = entry_hash(e.prev_hash, e.at, e.actor_id, e.action, e.object_type,
                                    e.object_id, e.community_id, e.details)
            if recomputed != e.hash:
                return ChainReport(count, e.id, "content does not match its hash")
            expected_prev = e.hash
            last_id = e.id
