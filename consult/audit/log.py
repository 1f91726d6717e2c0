"""Writing and verifying the audit chain."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import and_, null, or_, select, text, update

from consult.audit.models import GENESIS_HASH, AuditEntry
from consult.clock import utcnow
from consult.extensions import db

# Any constant works: it names the advisory lock that serialises chain writers on PostgreSQL.
_CHAIN_LOCK_KEY = 0x436F6E73  # "Cons"


HASH_VERSION = 2  # what new entries are written with; see entry_hash


def _canonical(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def personal_digest(personal: dict | None) -> str | None:
    """SHA-256 of an entry's personal data (None when it has none)."""
    if not personal:
        return None
    return hashlib.sha256(_canonical(personal).encode("utf-8")).hexdigest()


def entry_hash(prev_hash: str, at, actor_id, action, object_type, object_id, community_id,
               details, *, version: int | None = None, digest: str | None = None,
               subject_id: int | None = None) -> str:
    """The hash of an entry. Version None (entries written before personal data moved out of
    ``details``) hashes the fields as it always did; version 2 adds the digest of the personal
    data kept beside the chain and whom it is about, never the data itself."""
    fields = [prev_hash, at.isoformat(timespec="microseconds"), actor_id, action, object_type,
              object_id, community_id, details]
    if version is not None:
        fields += [version, digest, subject_id]
    return hashlib.sha256(_canonical(fields).encode("utf-8")).hexdigest()


def record(action: str, obj=None, *, actor=None, community_id: int | None = None,
           object_type: str | None = None, object_id: int | None = None,
           details: dict | None = None, personal: dict | None = None,
           subject_id: int | None = None) -> AuditEntry:
    """Append an entry in the caller's transaction; it commits or rolls back with the change it
    describes. ``obj`` (any model with an ``id``) fills in the object type and id.

    ``details`` is chained as it is: it must hold no personal data. Names, phones and e-mail
    addresses of people go in ``personal``, about ``subject_id`` (default: the object when it
    is a user, else the actor); the chain holds only their digest, so closing an account can
    erase them (:func:`erase_personal`) and the chain still verifies."""
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
    personal = json.loads(json.dumps(personal, ensure_ascii=False, default=str)) or None
    at = utcnow()
    actor_id = actor.id if actor is not None else None
    if personal and subject_id is None:
        subject_id = object_id if object_type == "users" else actor_id
    digest = personal_digest(personal)
    entry = AuditEntry(
        at=at, actor_id=actor_id, action=action, object_type=object_type or "",
        object_id=object_id, community_id=community_id, details=details, prev_hash=prev,
        personal=personal, personal_digest=digest, subject_id=subject_id,
        hash_version=HASH_VERSION,
        hash=entry_hash(prev, at, actor_id, action, object_type or "", object_id, community_id,
                        details, version=HASH_VERSION, digest=digest, subject_id=subject_id),
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
                   AuditEntry.details, AuditEntry.prev_hash, AuditEntry.hash,
                   AuditEntry.hash_version, AuditEntry.personal_digest, AuditEntry.subject_id,
                   AuditEntry.personal)
            .where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch_size)
        ).all()
        if not rows:
            return ChainReport(entries=count)
        for e in rows:
            count += 1
            if e.prev_hash != expected_prev:
                return ChainReport(count, e.id, "previous hash does not match the entry before")
            recomputed = entry_hash(e.prev_hash, e.at, e.actor_id, e.action, e.object_type,
                                    e.object_id, e.community_id, e.details,
                                    version=e.hash_version, digest=e.personal_digest,
                                    subject_id=e.subject_id)
            if recomputed != e.hash:
                return ChainReport(count, e.id, "content does not match its hash")
            if e.personal is not None and personal_digest(e.personal) != e.personal_digest:
                return ChainReport(count, e.id, "personal data does not match its digest")
            expected_prev = e.hash
            last_id = e.id


def erase_personal(user_id: int) -> int:
    """Erase the personal data kept beside the chain in every entry about ``user_id`` (as its
    subject, its actor, or the account it is about); the digests stay, so the chain verifies.
    Returns how many entries had some."""
    about = or_(AuditEntry.subject_id == user_id, AuditEntry.actor_id == user_id,
                and_(AuditEntry.object_type == "users", AuditEntry.object_id == user_id))
    return db.session.execute(
        update(AuditEntry).where(about, AuditEntry.personal.is_not(None))
        .values(personal=null()).execution_options(synchronize_session=False)).rowcount or 0
