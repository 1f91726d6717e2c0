"""The access record (查阅记录): one row per resident shown, per page shown.

The subject is always a ``users`` row: an owner who is only on the roster (imported, never
activated) is a user without a password, so the record made while they were roster-only is the
same account's once they activate, and they read it then. The viewer's name and role, the page
and the object's name are stored as they were when the page was shown: a role revoked or a grid
renamed later does not rewrite what was seen and by whom.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from consult.clock import utcnow
from consult.extensions import db


class DataView(db.Model):
    __tablename__ = "data_views"
    __table_args__ = (
        Index("ix_data_views_subject_at", "subject_id", "at"),
        Index("ix_data_views_community_at", "community_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # Who looked: kept when their account goes (the name is kept as it was).
    viewer_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True)
    viewer_name: Mapped[str] = mapped_column(String(100), default="")
    viewer_role: Mapped[str] = mapped_column(String(20))  # rules.ROLE_LABELS
    # Whose data was shown.
    subject_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("communities.id", ondelete="SET NULL"))
    endpoint: Mapped[str] = mapped_column(String(80))  # e.g. "grids.show"
    page: Mapped[str] = mapped_column(String(30))  # rules.PAGE_LABELS
    object_ref: Mapped[str] = mapped_column(String(60))  # e.g. "grid:3", "grid:3/vote:7"
    object_name: Mapped[str] = mapped_column(String(200), default="")
    fields: Mapped[str] = mapped_column(String(60))  # comma-separated, rules.FIELD_LABELS
