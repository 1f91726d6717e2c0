"""Halls, meetings, their agendas and registrations, and the minutes with their revisions.

Times are naive UTC like everywhere else. Two live meetings never overlap in one hall: the
migration ``0004_halls`` adds an exclusion constraint on PostgreSQL (``tsrange`` half open, so
back-to-back meetings do not clash) and triggers on SQLite; the models mirror the plain
constraints only.

Minutes are kept as revisions: at most one draft at a time, every published revision stays
readable. The public sees the latest published revision; the resolutions of that revision
decide what happens to each agenda topic.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.accounts.models import User
from consult.clock import utcnow
from consult.community.models import Community
from consult.extensions import db
from consult.topics.models import Topic


class Hall(db.Model):
    """议事厅."""

    __tablename__ = "halls"
    __table_args__ = (UniqueConstraint("community_id", "name"),
                      CheckConstraint("capacity > 0", name="capacity_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"),
                                              index=True)
    name: Mapped[str] = mapped_column(String(80))
    address: Mapped[str] = mapped_column(String(200), default="")
    capacity: Mapped[int] = mapped_column(default=30)
    accessibility: Mapped[str] = mapped_column(Text, default="")  # step-free access, loop...
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    community: Mapped[Community] = relationship()


class Meeting(db.Model):
    """议事会议 in a hall, with an agenda of topics."""

    __tablename__ = "meetings"
    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
        Index("ix_meetings_hall_starts", "hall_id", "starts_at"),
        Index("ix_meetings_community_starts", "community_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="RESTRICT"))
    # The hall's community, kept on the row: permissions and the community feed read it.
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(120))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # iCalendar SEQUENCE: raised at each reschedule and at cancelling.
    sequence: Mapped[int] = mapped_column(default=0)
    cancelled_at: Mapped[datetime | None]
    cancelled_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    cancel_reason: Mapped[str] = mapped_column(Text, default="")

    hall: Mapped[Hall] = relationship()
    agenda: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting", order_by="AgendaItem.position", cascade="all, delete-orphan")

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None


class AgendaItem(db.Model):
    __tablename__ = "meeting_agenda_items"
    __table_args__ = (UniqueConstraint("meeting_id", "topic_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"),
                                          index=True)
    position: Mapped[int] = mapped_column(default=0)

    meeting: Mapped[Meeting] = relationship(back_populates="agenda")
    topic: Mapped[Topic] = relationship()


class RegistrationStatus(str, enum.Enum):
    CONFIRMED = "confirmed"  # has a seat
    WAITING = "waiting"  # on the waiting list, in order of registration


class Registration(db.Model):
    """A resident registered to attend. Cancelling deletes the row (the audit log keeps it);
    the first on the waiting list then gets the seat."""

    __tablename__ = "meeting_registrations"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),
                      Index("ix_meeting_registrations_meeting_status", "meeting_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


class Minutes(db.Model):
    """会议纪要 of one meeting: the revisions hang under it."""

    __tablename__ = "minutes"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"),
                                            unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    first_published_at: Mapped[datetime | None]

    meeting: Mapped[Meeting] = relationship()
    revisions: Mapped[list[MinutesRevision]] = relationship(
        back_populates="minutes", order_by="MinutesRevision.number",
        cascade="all, delete-orphan")


class RevisionStatus(str, enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"


class MinutesRevision(db.Model):
    __tablename__ = "minutes_revisions"
    __table_args__ = (UniqueConstraint("minutes_id", "number"),
                      CheckConstraint("present_count >= 0 AND residents_count >= 0",
                                      name="counts_not_negative"))

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id", ondelete="CASCADE"))
    number: Mapped[int]  # 1, 2, ...: revision 1 is the first publication
    status: Mapped[str] = mapped_column(String(10), default=RevisionStatus.DRAFT.value)
    present_count: Mapped[int] = mapped_column(default=0)  # everyone present
    officials_present: Mapped[str] = mapped_column(Text, default="")  # representatives, committee
    residents_count: Mapped[int] = mapped_column(default=0)
    body: Mapped[str] = mapped_column(Text, default="")  # markdown as typed
    body_html: Mapped[str] = mapped_column(Text, default="")  # rendered and sanitized
    note: Mapped[str] = mapped_column(Text, default="")  # what a correction changed, public
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))

    minutes: Mapped[Minutes] = relationship(back_populates="revisions")
    resolutions: Mapped[list[AgendaResolution]] = relationship(
        back_populates="revision", order_by="AgendaResolution.position",
        cascade="all, delete-orphan")
    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])

    @property
    def is_published(self) -> bool:
        return self.status == RevisionStatus.PUBLISHED.value


class ResolutionKind(str, enum.Enum):
    VOTE = "vote"  # put to a vote: question and options
    SEND_BACK = "send_back"  # send back for more comment
    NO_ACTION = "no_action"  # no further action, with the reason


class AgendaResolution(db.Model):
    """What the meeting said about one agenda topic, in one revision of the minutes."""

    __tablename__ = "minutes_resolutions"
    __table_args__ = (UniqueConstraint("revision_id", "topic_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(
        ForeignKey("minutes_revisions.id", ondelete="CASCADE"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"),
                                          index=True)
    position: Mapped[int] = mapped_column(default=0)
    summary: Mapped[str] = mapped_column(Text, default="")  # the discussion, plain text
    kind: Mapped[str] = mapped_column(String(10), default="")  # ResolutionKind, "" undecided
    question: Mapped[str] = mapped_column(Text, default="")  # kind vote
    options: Mapped[list] = mapped_column(JSON, default=list)  # kind vote: the choices
    reason: Mapped[str] = mapped_column(Text, default="")  # kind no_action (or send_back note)
    comment_days: Mapped[int | None]  # kind send_back: the new comment period

    revision: Mapped[MinutesRevision] = relationship(back_populates="resolutions")
    topic: Mapped[Topic] = relationship()
