"""Consents to a grid worker's help (帮办代办) and the acts done under them.

An assisted ballot is a plain :class:`consult.votes.models.Ballot` with ``assisted_by_id`` set
(the grid worker; ``cast_by_id`` is the worker too), and an assisted comment a plain
:class:`consult.topics.models.Comment` written as the resident with ``assisted_by_id`` set: the
tally, the receipts and the thread need nothing else. :class:`AssistedAct` links each such act
to the consent it relied on, for the resident's page "done for you by grid workers".
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.accounts.models import User
from consult.clock import utcnow
from consult.extensions import db


class Consent(db.Model):
    """A resident's consent that the grid workers of one grid may act for them, for a scope
    (see :mod:`consult.grids.rules`) and until an end; given online by the resident, or given
    in person and recorded by a grid worker (with how: a signed form's number, a witness).
    Revoking keeps the row."""

    __tablename__ = "grid_consents"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_grid_consents_grid_resident", "grid_id", "resident_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                             index=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(12))  # "online" or "in_person"
    evidence: Mapped[str] = mapped_column(Text, default="")  # in person: how it was given
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    resident: Mapped[User] = relationship(foreign_keys=[resident_id])
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])


class AssistedAct(db.Model):
    """Something a grid worker did for a resident under a consent: a ballot or a comment."""

    __tablename__ = "grid_assisted_acts"

    id: Mapped[int] = mapped_column(primary_key=True)
    consent_id: Mapped[int] = mapped_column(ForeignKey("grid_consents.id", ondelete="CASCADE"),
                                            index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                             index=True)
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(10))  # "vote" or "comment"
    vote_id: Mapped[int | None] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"))
    ballot_id: Mapped[int | None] = mapped_column(ForeignKey("ballots.id", ondelete="SET NULL"))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id",
                                                              ondelete="SET NULL"))
    summary: Mapped[str] = mapped_column(Text, default="")  # the question or topic title
    at: Mapped[datetime] = mapped_column(default=utcnow)

    worker: Mapped[User | None] = relationship(foreign_keys=[worker_id])
