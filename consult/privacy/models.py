"""Each agreement to a version of the privacy notice: who, which version, when, and where it was
given. The version a user agreed to last is also kept on ``users.privacy_version``, so that the
check of every write costs no query beyond loading the user."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from consult.clock import utcnow
from consult.extensions import db

# Where an agreement was given.
CHANNELS = ("register", "activate", "web", "api", "demo")


class PrivacyConsent(db.Model):
    __tablename__ = "privacy_consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    version: Mapped[str] = mapped_column(String(20))  # rules.VERSION_MAX
    agreed_at: Mapped[datetime] = mapped_column(default=utcnow)
    channel: Mapped[str] = mapped_column(String(12))

    def __repr__(self) -> str:
        return f"<PrivacyConsent user={self.user_id} {self.version}>"
