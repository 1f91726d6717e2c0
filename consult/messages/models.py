"""A person's choices for messages, and the outbox: every SMS or e-mail that is to leave, with
what happened to it. A row's ``dedup_key`` is unique, so a message is made once however often
the job that makes it runs."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from consult.clock import utcnow
from consult.extensions import db


class MessageSettings(db.Model):
    """One row per person who changed a setting or received a digest; none means defaults."""
    __tablename__ = "message_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    channel: Mapped[str | None] = mapped_column(String(10))  # preferred: sms or email
    quiet_start: Mapped[int] = mapped_column(default=21)
    quiet_end: Mapped[int] = mapped_column(default=8)
    language: Mapped[str] = mapped_column(String(10), default="zh_Hans")
    # The digest covers notifications after this id; one digest per local day at most.
    digest_through: Mapped[int] = mapped_column(default=0)
    last_digest_on: Mapped[date | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class MessagePreference(db.Model):
    __tablename__ = "message_preferences"
    __table_args__ = (UniqueConstraint("user_id", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(20))
    mode: Mapped[str] = mapped_column(String(10))


class Status(str, enum.Enum):
    PENDING = "pending"    # waiting to go (maybe held until not_before)
    SENDING = "sending"    # claimed by a job
    SENT = "sent"
    FAILED = "failed"      # given up; an administrator may retry
    CANCELLED = "cancelled"


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_due", "status", "not_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(120), unique=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    to_address: Mapped[str] = mapped_column(String(254))
    purpose: Mapped[str] = mapped_column(String(40))   # a notification kind, "code", "digest"
    category: Mapped[str | None] = mapped_column(String(20))
    # Words: the SMS text, or the e-mail's subject, text and HTML. A one-time code's text is
    # erased once it has gone (only its hash is kept elsewhere).
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    html: Mapped[str] = mapped_column(Text, default="")
    template: Mapped[str] = mapped_column(String(20), default="notice")  # SMS template
    params: Mapped[str] = mapped_column(Text, default="{}")  # SMS template parameters, JSON
    unsubscribe_url: Mapped[str] = mapped_column(String(400), default="")
    language: Mapped[str] = mapped_column(String(10), default="zh_Hans")
    status: Mapped[str] = mapped_column(String(10), default=Status.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    not_before: Mapped[datetime] = mapped_column(default=utcnow)
    held_for_quiet_hours: Mapped[bool] = mapped_column(default=False)
    claimed_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(String(500), default="")
    provider_ref: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
