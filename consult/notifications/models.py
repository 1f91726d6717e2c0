"""A notification is stored as a kind plus parameters, not as text, so each reader sees it in
their own language; :mod:`consult.notifications.kinds` turns it into words."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from consult.clock import utcnow
from consult.extensions import db


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        # A reminder (e.g. "comment period ends tomorrow") is sent once per person and thing.
        UniqueConstraint("user_id", "dedup_key"),
        Index("ix_notifications_unread", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    url: Mapped[str] = mapped_column(String(300), default="")
    dedup_key: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    read_at: Mapped[datetime | None]
