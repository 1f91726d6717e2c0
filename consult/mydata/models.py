"""A download of "my data" being prepared or ready (table ``data_exports``)."""
from __future__ import annotations

import enum
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from consult.clock import utcnow
from consult.extensions import db

EXPORT_LIFETIME = timedelta(days=7)


class ExportFormat(str, enum.Enum):
    JSON = "json"
    CSV = "csv"  # a zip with one CSV file per section


class ExportStatus(str, enum.Enum):
    PREPARING = "preparing"
    READY = "ready"
    FAILED = "failed"
    EXPIRED = "expired"  # its file was removed; the row stays for the daily limit and history


class DataExport(db.Model):
    """One download asked for by ``user``. The file lives under the instance folder
    (``file_path`` is relative to the exports folder, a random name); only its owner may fetch
    it, until ``expires_at``."""

    __tablename__ = "data_exports"
    __table_args__ = (
        Index("ix_data_exports_user_created", "user_id", "created_at"),
        Index("ix_data_exports_status_expires", "status", "expires_at"),
        # At most one download being prepared per person, even when two requests race.
        Index("uq_data_exports_one_preparing", "user_id", unique=True,
              sqlite_where=text("status = 'preparing'"),
              postgresql_where=text("status = 'preparing'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    format: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(12), default=ExportStatus.PREPARING.value)
    file_path: Mapped[str | None] = mapped_column(String(200))
    size: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ready_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]

    @property
    def preparing(self) -> bool:
        return self.status == ExportStatus.PREPARING.value

    def downloadable(self, now: datetime) -> bool:
        return (self.status == ExportStatus.READY.value and self.expires_at is not None
                and now < self.expires_at)
