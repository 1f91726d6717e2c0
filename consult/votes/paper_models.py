"""Paper ballots (书面表决票): one printed paper per elector of a vote, each with a serial, and
the entries of returned papers (an entry, its confirmation by a second person, and a
secretary's resolution when the two differ)."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.clock import utcnow
from consult.extensions import db
from consult.votes.models import Elector


class PaperStatus(str, enum.Enum):
    PRINTED = "printed"  # handed out, nothing entered yet
    ENTERED = "entered"  # entered once, waiting for a second person to confirm it
    DISPUTED = "disputed"  # the two entries differ: a secretary resolves it
    COUNTED = "counted"  # confirmed (or resolved): its ballot was recorded
    SPOILT = "spoilt"  # confirmed (or resolved) as spoilt (废票): recorded, counts as no ballot


class EntryKind(str, enum.Enum):
    ENTRY = "entry"
    CONFIRMATION = "confirmation"
    RESOLUTION = "resolution"


class PaperBallot(db.Model):
    """One printed paper of one elector. Printing again for the same elector gives the same
    serial (one paper per elector and vote)."""

    __tablename__ = "paper_ballots"
    __table_args__ = (UniqueConstraint("vote_id", "elector_id"),
                      Index("ix_paper_ballots_vote_status", "vote_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"))
    elector_id: Mapped[int] = mapped_column(ForeignKey("vote_electors.id", ondelete="CASCADE"))
    serial: Mapped[str] = mapped_column(String(16), unique=True)
    printed_at: Mapped[datetime] = mapped_column(default=utcnow)
    printed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(12), default=PaperStatus.PRINTED.value)
    # The ballot recorded when it was confirmed or resolved (none while waiting, or spoilt).
    ballot_id: Mapped[int | None] = mapped_column(ForeignKey("ballots.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]

    elector: Mapped[Elector] = relationship()


class PaperEntry(db.Model):
    """What one person read on a returned paper: an option, or spoilt (``option`` None). One
    entry, one confirmation and one resolution at most per paper: the unique constraint is the
    last word when two people confirm the same paper at once."""

    __tablename__ = "paper_entries"
    __table_args__ = (UniqueConstraint("paper_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("paper_ballots.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))
    option: Mapped[str | None] = mapped_column(String(80))  # None: spoilt (废票)
    entered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A photo of the paper, stored under the instance folder with a random name.
    photo: Mapped[str | None] = mapped_column(String(64))
    photo_type: Mapped[str | None] = mapped_column(String(16))

    paper: Mapped[PaperBallot] = relationship()
