"""Studios, their rooms and opening hours, the representatives attached to them, the sessions
representatives book, the reception slots residents reserve and what was raised there.

Times of sessions and reservations are naive UTC like everywhere else; opening hours are wall
clock times in Asia/Shanghai (a studio opens at 9:00 local time whatever the date).

No-overlap of sessions is enforced by the database, not only by the booking form: on
PostgreSQL by two exclusion constraints (room, time range) and (representative, time range)
over sessions that are not cancelled, on SQLite by triggers. Both live in the migration
``0003_studios``; the models only mirror the plain constraints.
"""
from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import (
    CheckConstraint, ForeignKey, Index, String, Text, Time, UniqueConstraint, text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.accounts.models import User
from consult.clock import utcnow
from consult.community.models import Community
from consult.extensions import db


class StudioKind(str, enum.Enum):
    PEOPLES_CONGRESS = "peoples_congress"  # 人大代表工作室
    CPPCC = "cppcc"  # 政协委员工作室
    LIAISON = "liaison"  # 代表联络站


class Body(str, enum.Enum):
    """Where a representative was elected or appointed."""

    DISTRICT_PC = "district_pc"  # 区人大代表
    CITY_PC = "city_pc"  # 市人大代表
    PROVINCIAL_PC = "provincial_pc"  # 省人大代表
    NATIONAL_PC = "national_pc"  # 全国人大代表
    DISTRICT_CPPCC = "district_cppcc"  # 区政协委员
    CITY_CPPCC = "city_cppcc"  # 市政协委员


class Attendance(str, enum.Enum):
    ATTENDED = "attended"
    NO_SHOW = "no_show"


class Studio(db.Model):
    __tablename__ = "studios"
    __table_args__ = (UniqueConstraint("community_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"),
                                              index=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(80))
    address: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    community: Mapped[Community] = relationship()
    rooms: Mapped[list[Room]] = relationship(back_populates="studio", order_by="Room.name",
                                             cascade="all, delete-orphan")
    hours: Mapped[list[OpeningHours]] = relationship(
        back_populates="studio", order_by="(OpeningHours.weekday, OpeningHours.opens)",
        cascade="all, delete-orphan")
    attachments: Mapped[list[StudioRepresentative]] = relationship(
        back_populates="studio", cascade="all, delete-orphan")

    @property
    def representative_ids(self) -> set[int]:
        return {a.user_id for a in self.attachments}


class Room(db.Model):
    __tablename__ = "studio_rooms"
    __table_args__ = (UniqueConstraint("studio_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    studio_id: Mapped[int] = mapped_column(ForeignKey("studios.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))

    studio: Mapped[Studio] = relationship(back_populates="rooms")


class OpeningHours(db.Model):
    """One opening period on one weekday (0 = Monday), in local time. A studio open in the
    morning and the afternoon has two rows for that day."""

    __tablename__ = "studio_opening_hours"
    __table_args__ = (
        UniqueConstraint("studio_id", "weekday", "opens"),
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_valid"),
        CheckConstraint("opens < closes", name="opens_before_closes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    studio_id: Mapped[int] = mapped_column(ForeignKey("studios.id", ondelete="CASCADE"))
    weekday: Mapped[int]
    opens: Mapped[time] = mapped_column(Time)
    closes: Mapped[time] = mapped_column(Time)

    studio: Mapped[Studio] = relationship(back_populates="hours")


class StudioRepresentative(db.Model):
    """A representative attached to a studio: they may book its rooms."""

    __tablename__ = "studio_representatives"
    __table_args__ = (UniqueConstraint("studio_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    studio_id: Mapped[int] = mapped_column(ForeignKey("studios.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)

    studio: Mapped[Studio] = relationship(back_populates="attachments")
    user: Mapped[User] = relationship()


class RepresentativeProfile(db.Model):
    """What the public reads about a representative in one community; edited by an admin."""

    __tablename__ = "representative_profiles"
    __table_args__ = (UniqueConstraint("user_id", "community_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"),
                                              index=True)
    body: Mapped[str] = mapped_column(String(20))
    area_served: Mapped[str] = mapped_column(String(200), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


class StudioSession(db.Model):
    """接待日: a representative in a room of a studio for a time range, split into reception
    slots of ``slot_minutes``. Slots are not rows: they follow from start, end and length."""

    __tablename__ = "studio_sessions"
    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
        CheckConstraint("slot_minutes >= 10 AND slot_minutes <= 60", name="slot_minutes_range"),
        Index("ix_studio_sessions_studio_starts", "studio_id", "starts_at"),
        Index("ix_studio_sessions_representative_starts", "representative_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    studio_id: Mapped[int] = mapped_column(ForeignKey("studios.id", ondelete="CASCADE"))
    room_id: Mapped[int] = mapped_column(ForeignKey("studio_rooms.id", ondelete="RESTRICT"),
                                         index=True)
    representative_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    focus: Mapped[str] = mapped_column(String(200), default="")
    slot_minutes: Mapped[int] = mapped_column(default=20)
    # Sessions booked together by one weekly repeat share a series key.
    series: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None]
    cancelled_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    cancel_reason: Mapped[str] = mapped_column(Text, default="")

    studio: Mapped[Studio] = relationship()
    room: Mapped[Room] = relationship()
    representative: Mapped[User] = relationship(foreign_keys=[representative_id])

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def community_id(self) -> int:
        return self.studio.community_id


# One active reservation per slot and per resident in a session; a cancelled one frees both.
_ACTIVE = text("cancelled_at IS NULL")


class Reservation(db.Model):
    """预约接待: a resident holds one slot of a session and states the matter."""

    __tablename__ = "reservations"
    __table_args__ = (
        Index("uq_reservations_active_slot", "session_id", "slot_start", unique=True,
              sqlite_where=_ACTIVE, postgresql_where=_ACTIVE),
        Index("uq_reservations_active_resident", "session_id", "resident_id", unique=True,
              sqlite_where=_ACTIVE, postgresql_where=_ACTIVE),
        Index("ix_reservations_resident_slot", "resident_id", "slot_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("studio_sessions.id", ondelete="CASCADE"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    slot_start: Mapped[datetime]
    slot_end: Mapped[datetime]
    category: Mapped[str] = mapped_column(String(20))
    matter: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None]

    session: Mapped[StudioSession] = relationship()
    resident: Mapped[User] = relationship()
    record: Mapped[ReceptionRecord | None] = relationship(back_populates="reservation",
                                                          uselist=False)

    @property
    def is_active(self) -> bool:
        return self.cancelled_at is None


class MatterStatus(str, enum.Enum):
    """Where the matter raised at a reception stands (consult/studios/rules.py moves it)."""

    RECORDED = "recorded"
    HANDLING = "handling"  # being handled
    ANSWERED = "answered"


class ReceptionRecord(db.Model):
    """What the representative wrote after receiving the resident: attended or not, what was
    raised, the follow-up promised. The resident reads it; the public sees only counts.

    When the resident came, the record is also their matter, followed to the end: its status,
    the date the representative promised an answer by (a local date), the answer, and the
    resident's rating of it. A low rating reopens the matter once (``reopened_at``)."""

    __tablename__ = "reception_records"
    __table_args__ = (
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)",
                        name="rating_range"),
        Index("ix_reception_records_status_due", "matter_status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reservation_id: Mapped[int] = mapped_column(
        ForeignKey("reservations.id", ondelete="CASCADE"), unique=True)
    attendance: Mapped[str] = mapped_column(String(10))
    raised: Mapped[str] = mapped_column(Text, default="")
    follow_up: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    # Hook for the Topics package: the topic proposal this matter became (set there).
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="SET NULL"),
                                                 index=True)
    matter_status: Mapped[str] = mapped_column(String(12), default=MatterStatus.RECORDED.value,
                                               server_default=MatterStatus.RECORDED.value)
    due_on: Mapped[date | None]
    answer: Mapped[str] = mapped_column(Text, default="", server_default="")
    answered_at: Mapped[datetime | None]
    rating: Mapped[int | None]
    rating_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    rated_at: Mapped[datetime | None]
    reopened_at: Mapped[datetime | None]
    reopen_reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    reservation: Mapped[Reservation] = relationship(back_populates="record")
