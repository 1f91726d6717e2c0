"""Publicised outcomes (结果公示), objections (异议), implementation progress (落实) and
satisfaction ratings (满意度评价)."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean, CheckConstraint, Date, ForeignKey, Index, SmallInteger, String, Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.accounts.models import User
from consult.clock import utcnow
from consult.extensions import db
from consult.topics.models import Topic


class OutcomeStatus(str, enum.Enum):
    PUBLICISED = "publicised"  # in its publicity window
    SENT_BACK = "sent_back"  # an objection was upheld: back to deliberation
    EFFECTIVE = "effective"  # the window ended; implementing, or closed when nothing to do


class Outcome(db.Model):
    """The decision published after a valid vote. A topic sent back by an upheld objection gets
    a new outcome after its new vote; the latest one is the current one."""

    __tablename__ = "outcomes"
    __table_args__ = (
        CheckConstraint("window_ends_at > published_at", name="window_after_publication"),
        Index("ix_outcomes_community_published", "community_id", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"),
                                          index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    vote_id: Mapped[int | None] = mapped_column(ForeignKey("votes.id", ondelete="SET NULL"))
    decision: Mapped[str] = mapped_column(Text)
    act: Mapped[bool] = mapped_column(Boolean, default=True)  # False: the decision is to do nothing
    status: Mapped[str] = mapped_column(String(12), default=OutcomeStatus.PUBLICISED.value)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    window_ends_at: Mapped[datetime]
    published_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    settled_at: Mapped[datetime | None]  # became effective, or was sent back
    # implementation (落实)
    responsible: Mapped[str] = mapped_column(String(200), default="")
    target_date: Mapped[date | None] = mapped_column(Date)
    done_at: Mapped[datetime | None]
    ratings_until: Mapped[datetime | None]

    topic: Mapped[Topic] = relationship()
    published_by: Mapped[User | None] = relationship()
    # Read with the outcome on the topic page (one query); written as rows of their own.
    objections: Mapped[list[Objection]] = relationship(
        viewonly=True, order_by="(Objection.created_at, Objection.id)")
    progress_updates: Mapped[list[ProgressUpdate]] = relationship(
        viewonly=True, order_by="(ProgressUpdate.at, ProgressUpdate.id)")


class Objection(db.Model):
    """异议: a resident's objection during the window, and the secretary's public answer."""

    __tablename__ = "outcome_objections"

    id: Mapped[int] = mapped_column(primary_key=True)
    outcome_id: Mapped[int] = mapped_column(ForeignKey("outcomes.id", ondelete="CASCADE"),
                                            index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None]
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    upheld: Mapped[bool] = mapped_column(Boolean, default=False)

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])


class ProgressUpdate(db.Model):
    """A progress report on the implementation: text and percent done."""

    __tablename__ = "outcome_progress"
    __table_args__ = (CheckConstraint("percent >= 0 AND percent <= 100",
                                      name="percent_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    outcome_id: Mapped[int] = mapped_column(ForeignKey("outcomes.id", ondelete="CASCADE"),
                                            index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    percent: Mapped[int] = mapped_column(SmallInteger)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship()


class Rating(db.Model):
    """满意度评价: one per resident and outcome (changeable while ratings are open)."""

    __tablename__ = "outcome_ratings"
    __table_args__ = (UniqueConstraint("outcome_id", "user_id"),
                      CheckConstraint("stars >= 1 AND stars <= 5", name="stars_range"))

    id: Mapped[int] = mapped_column(primary_key=True)
    outcome_id: Mapped[int] = mapped_column(ForeignKey("outcomes.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    stars: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
