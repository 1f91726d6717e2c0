"""The append-only, hash-chained audit log (审计日志)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.accounts.models import User
from consult.clock import utcnow
from consult.extensions import db

GENESIS_HASH = "0" * 64


class AuditEntry(db.Model):
    """One state change. Each entry stores the hash of the one before it, so editing or deleting
    any past entry breaks every hash after it; ``flask audit verify`` finds the break. The
    database refuses UPDATE and DELETE on this table (triggers in the migration), and
    ``prev_hash`` is unique so two writers can never both extend the same entry.

    Personal data goes in ``personal`` (see consult/audit/log.py), never in ``details``."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None]
    community_id: Mapped[int | None] = mapped_column(index=True)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Personal data an entry names (a proxy's name, a phone): beside the chain, not in it. The
    # hash of a version-2 entry covers ``personal_digest`` (SHA-256 of ``personal``), so
    # ``personal`` can be erased (closing an account) and the chain still verifies. The
    # triggers allow that one change: ``personal`` set to NULL.
    personal: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    personal_digest: Mapped[str | None] = mapped_column(String(64))
    subject_id: Mapped[int | None] = mapped_column(index=True)  # whom ``personal`` is about
    hash_version: Mapped[int | None]  # NULL: the first formula (entries before 0027)

    actor: Mapped[User | None] = relationship()
