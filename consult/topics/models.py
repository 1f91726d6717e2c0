"""Topics, their co-signatures, followers, stage history and comments."""
from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import (
    BigInteger, CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.accounts.models import User
from consult.clock import utcnow
from consult.community.models import Building, Community, Grid
from consult.extensions import db


class Category(str, enum.Enum):
    ENVIRONMENT = "environment"  # 环境卫生
    PROPERTY = "property"  # 物业与维修
    SAFETY = "safety"  # 安全
    ELDERLY_CHILDREN = "elderly_children"  # 一老一小
    PARKING = "parking"  # 停车与交通
    CULTURE = "culture"  # 文化活动
    OTHER = "other"  # 其他


class ScopeLevel(str, enum.Enum):
    COMMUNITY = "community"
    GRID = "grid"
    BUILDING = "building"

    @classmethod
    def of(cls, grid_id: int | None, building_id: int | None) -> "ScopeLevel":
        if building_id is not None:
            return cls.BUILDING
        if grid_id is not None:
            return cls.GRID
        return cls.COMMUNITY


class Topic(db.Model):
    """议题. Its scope is the whole community, one grid, or one building: ``grid_id`` and
    ``building_id`` say which (both empty: the community; a building's grid is filled in too,
    so "is this resident in scope" is one comparison per level)."""

    __tablename__ = "topics"
    __table_args__ = (
        Index("ix_topics_community_stage", "community_id", "stage"),
        # home: the topics whose comment period closes soonest, the count per stage, and the
        # newest proposals (each read in index order, whatever the number of topics)
        Index("ix_topics_stage_comment_until", "stage", "comment_until"),
        Index("ix_topics_stage_submitted", "stage", "submitted_at", "id"),
        # the topic list sorted by most co-signed, read in index order
        Index("ix_topics_cosign_count", "cosign_count", "id"),
        CheckConstraint("cosign_count >= 0", name="cosign_count_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id", ondelete="SET NULL"))
    building_id: Mapped[int | None] = mapped_column(
        ForeignKey("buildings.id", ondelete="SET NULL"))
    proposer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"),
                                             index=True)
    title: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")  # markdown as typed
    description_html: Mapped[str] = mapped_column(Text, default="")  # rendered and sanitized
    category: Mapped[str] = mapped_column(String(20))
    stage: Mapped[str] = mapped_column(String(20), default="draft")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(index=True)
    stage_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    comment_until: Mapped[datetime | None]  # end of the open comment period
    closing_reason: Mapped[str] = mapped_column(Text, default="")  # rejection etc., public
    # Kept in step with the rows they count so lists sort without a join.
    cosign_count: Mapped[int] = mapped_column(default=0)
    comment_count: Mapped[int] = mapped_column(default=0)
    # When the first official answer (官方回复) still shown was posted: "answered officially".
    answered_at: Mapped[datetime | None]
    # Raised by one with every change the "broad support" ranking reads (a mark, a comment, a
    # withdrawal, hiding or restoring), in the same transaction: a ranking kept for this value
    # is current. Random at first, so a topic id used again (another database, a test) never
    # finds the ranking of an earlier topic.
    ranking_token: Mapped[int] = mapped_column(
        BigInteger, default=lambda: secrets.randbits(62), server_default="0")

    community: Mapped[Community] = relationship()
    grid: Mapped[Grid | None] = relationship()
    building: Mapped[Building | None] = relationship()
    proposer: Mapped[User] = relationship()
    # Read with the topic on its page (one query); written as StageChange rows.
    stage_changes: Mapped[list[StageChange]] = relationship(
        viewonly=True, order_by="(StageChange.at, StageChange.id)")

    @property
    def scope_level(self) -> ScopeLevel:
        return ScopeLevel.of(self.grid_id, self.building_id)

    def __repr__(self) -> str:
        return f"<Topic {self.id} {self.stage}>"


class Cosignature(db.Model):
    """附议: a resident of the scope supports bringing the proposal to review."""

    __tablename__ = "cosignatures"
    __table_args__ = (UniqueConstraint("topic_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Follow(db.Model):
    """A user who is told about what happens to a topic."""

    __tablename__ = "topic_follows"
    __table_args__ = (UniqueConstraint("topic_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StageChange(db.Model):
    """One step of the topic's timeline: from which stage to which, when, by whom, and why."""

    __tablename__ = "topic_stage_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"),
                                          index=True)
    transition: Mapped[str] = mapped_column(String(40))
    from_stage: Mapped[str] = mapped_column(String(20))
    to_stage: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")

    actor: Mapped[User | None] = relationship()


class Comment(db.Model):
    """A comment in the open comment period (公开征求意见), or a reply to one (one level)."""

    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_topic_created", "topic_id", "created_at"),
                      # A page of a topic's top-level comments (topic page, newest first).
                      Index("ix_comments_topic_parent_created", "topic_id", "parent_id",
                            "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"),
                                                  index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"),
                                           index=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]  # deleted by its author: "comment withdrawn"
    hidden_at: Mapped[datetime | None]
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    hidden_reason: Mapped[str] = mapped_column(Text, default="")
    agree_count: Mapped[int] = mapped_column(default=0)
    disagree_count: Mapped[int] = mapped_column(default=0)
    pass_count: Mapped[int] = mapped_column(default=0)
    open_report_count: Mapped[int] = mapped_column(default=0)
    # Set when a grid worker posted this comment for its author under their consent
    # (consult.grids.service.comment_for): the thread says "posted by grid worker X for Y".
    assisted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    # An office holder's official answer (官方回复) to the topic or, as a reply, to a comment.
    official: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The author's role in the topic's community when they posted ("secretary",
    # "representative", "admin"), shown next to their name; None for a resident.
    author_role: Mapped[str | None] = mapped_column(String(20))

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    hidden_by: Mapped[User | None] = relationship(foreign_keys=[hidden_by_id])
    assisted_by: Mapped[User | None] = relationship(foreign_keys=[assisted_by_id])


class ReactionValue(str, enum.Enum):
    AGREE = "agree"
    DISAGREE = "disagree"
    PASS = "pass"


class Reaction(db.Model):
    """A resident's agree / disagree / pass on a comment; one per person, changeable."""

    __tablename__ = "comment_reactions"
    __table_args__ = (UniqueConstraint("comment_id", "user_id"),
                      Index("ix_comment_reactions_topic", "topic_id"),
                      Index("ix_comment_reactions_user_at", "user_id", "at"))  # "my data"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    # Denormalised from the comment: the consensus ranking reads all reactions of a topic.
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    value: Mapped[str] = mapped_column(String(10))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class CommentReport(db.Model):
    """A resident's report of a comment to the moderators, with a reason."""

    __tablename__ = "comment_reports"
    __table_args__ = (UniqueConstraint("comment_id", "reporter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"),
                                            index=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]


class StoredRanking(db.Model):
    """A topic's "broad support" ranking as a job last computed it, for an app worker that has
    none of its own yet (consult.topics.comments: ``KeptRanking`` in bytes). Derived data: the
    marks and comments are the record; a row may trail them, and says by ``token`` for which
    ``Topic.ranking_token`` it was computed."""

    __tablename__ = "topic_rankings"

    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"),
                                          primary_key=True)
    token: Mapped[int] = mapped_column(BigInteger)
    groups: Mapped[int]
    # little-endian arrays: the top-level comment ids in page order (int64), every ranked
    # comment id ascending (int64), and per comment (agrees, marks) in each group (int32)
    tops: Mapped[bytes] = mapped_column(LargeBinary)
    ids: Mapped[bytes] = mapped_column(LargeBinary)
    counts: Mapped[bytes] = mapped_column(LargeBinary)
    ranked_at: Mapped[datetime] = mapped_column(default=utcnow)
