"""Votes, their frozen electorates and ballots."""
from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON, Boolean, CheckConstraint, ForeignKey, ForeignKeyConstraint, Index, Numeric, String, Text,
    UniqueConstraint, text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.accounts.models import User
from consult.clock import utcnow
from consult.extensions import db
from consult.topics.models import Topic


class Electorate(str, enum.Enum):
    RESIDENTS = "residents"  # each verified resident in scope
    HOUSEHOLDS = "households"  # one ballot per unit in scope
    OWNERS = "owners"  # 业主: headcount and exclusive area, Civil Code art. 278


class Channel(str, enum.Enum):
    """How a ballot reached the count. One elector, one counted ballot across all channels:
    the last one cast counts; the others stay in the history."""

    ONLINE = "online"  # cast on the site or through the API by an elector
    PAPER = "paper"  # a paper ballot (书面表决票) entered and confirmed by two people
    PROXY = "proxy"  # cast by a proxy (委托代理人) the owner authorised


class Vote(db.Model):
    """表决 on a topic. The electorate is frozen right after the vote is created, which is its
    announcement (公告, ``announced_at``), by a background job (``electorate_ready_at`` below):
    from then on nothing of it changes (:class:`Elector` rows), so later roster changes never
    move this vote's denominators. A correction is a new
    vote: the secretary cancels this one with a public reason (``cancelled_at``)."""

    __tablename__ = "votes"
    __table_args__ = (
        CheckConstraint("closes_at > opens_at", name="closes_after_opening"),
        CheckConstraint("quorum_percent IS NULL OR (quorum_percent > 0 AND "
                        "quorum_percent <= 100)", name="quorum_is_a_percentage"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"),
                                          index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id", ondelete="SET NULL"))
    building_id: Mapped[int | None] = mapped_column(
        ForeignKey("buildings.id", ondelete="SET NULL"))
    question: Mapped[str] = mapped_column(Text)
    options: Mapped[list] = mapped_column(JSON)  # ["agree", "oppose", "abstain"] or labels
    electorate: Mapped[str] = mapped_column(String(12))
    rule: Mapped[str] = mapped_column(String(24))
    quorum_percent: Mapped[int | None]
    secret: Mapped[bool] = mapped_column(Boolean, default=False)
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    electorate_size: Mapped[int] = mapped_column(default=0)  # headcount total
    area_total: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"))
    # Set once, when the result is first computed after closing; then public and final.
    result: Mapped[dict | None] = mapped_column(JSON)
    # Stored with the result (or after, by ``flask vote close`` for older votes): what the
    # closed vote's page and API show besides it, which no longer changes. ``turnout``,
    # ``counted`` (ballots), ``channels`` ({channel: ballots}), ``by_building`` ([building,
    # electors, voted], by building). Deferred: only the vote's own page reads it.
    closed_figures: Mapped[dict | None] = mapped_column(JSON(none_as_null=True), deferred=True)
    tallied_at: Mapped[datetime | None]
    # The announcement (公告): when the vote was created and made public.
    announced_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The community's settings that applied when it was announced (Civil Code votes only).
    notice_days: Mapped[int | None]
    min_open_days: Mapped[int | None]
    # When the electors were told that voting opened (a vote opening after its announcement
    # is told by ``flask vote notify``); None until then.
    opening_told_at: Mapped[datetime | None]
    # Cancelled before closing, with a public reason: takes no ballots, never tallied.
    cancelled_at: Mapped[datetime | None]
    cancelled_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # The electorate of a vote opened by :func:`consult.votes.service.open_vote` is frozen by a
    # background job (``votes.freeze``): until ``electorate_ready_at`` is set the vote takes no
    # ballots, is not closed nor tallied, and its page says it is being prepared. The freeze is
    # one transaction: ``electorate_prepared`` stays 0 until it is done, then equals
    # ``electorate_expected`` (homes for owners and households, people for residents).
    # A vote built otherwise (fixtures, imports that freeze at once) is ready when created.
    electorate_ready_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    electorate_expected: Mapped[int] = mapped_column(default=0, server_default="0")
    electorate_prepared: Mapped[int] = mapped_column(default=0, server_default="0")
    # Unused since the freeze became one transaction (consult/votes/freeze.py); kept (None).
    electorate_run: Mapped[str | None] = mapped_column(String(16))

    topic: Mapped[Topic] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    cancelled_by: Mapped[User | None] = relationship(foreign_keys=[cancelled_by_id])

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def ready(self) -> bool:
        """Its electorate is frozen: it may take ballots, be closed and tallied."""
        return self.electorate_ready_at is not None

    def is_open(self, now: datetime) -> bool:
        return self.cancelled_at is None and self.opens_at <= now < self.closes_at

    def is_announced(self, now: datetime) -> bool:
        """Announced and not yet open (nor cancelled)."""
        return self.cancelled_at is None and now < self.opens_at

    def is_closed(self, now: datetime) -> bool:
        return self.cancelled_at is None and now >= self.closes_at


class Elector(db.Model):
    """One ballot's worth of a vote's frozen electorate: a resident, a household (unit), or an
    owner (the units one owner or a set of co-owners hold, or the developer's unsold units)."""

    __tablename__ = "vote_electors"
    __table_args__ = (UniqueConstraint("vote_id", "key"),
                      # what the members' (elector_id, vote_id) key refers to
                      Index("uq_vote_electors_id_vote_id", "id", "vote_id", unique=True))

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(40))
    headcount: Mapped[int] = mapped_column(default=1)
    area: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    units_label: Mapped[str] = mapped_column(Text, default="")  # shown for named ballots
    building_id: Mapped[int | None]  # for turnout by building (an owner's first unit)


class ElectorMember(db.Model):
    """A person who may cast the ballot of an elector (an owner of its units, the resident,
    a resident of the household)."""

    __tablename__ = "vote_elector_members"
    __table_args__ = (
        UniqueConstraint("elector_id", "user_id"),
        Index("ix_vote_elector_members_vote_user", "vote_id", "user_id"),
        # One key for both: the member's vote is its elector's (deleting a vote deletes its
        # electors, and they their members). One check per row where a freeze of 100,000
        # owners made two (each about 0.25 s on PostgreSQL).
        ForeignKeyConstraint(
            ["elector_id", "vote_id"], ["vote_electors.id", "vote_electors.vote_id"],
            name="fk_vote_elector_members_elector_vote_vote_electors", ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int]
    elector_id: Mapped[int]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))


class Ballot(db.Model):
    """A ballot as cast. A changed ballot leaves the earlier one in place with ``counted``
    false; the partial unique index lets each elector have one counted ballot only, so two
    casts at the same instant can never both count."""

    __tablename__ = "ballots"
    __table_args__ = (
        Index("uq_ballots_one_counted_per_elector", "vote_id", "elector_id", unique=True,
              sqlite_where=text("counted"), postgresql_where=text("counted")),
        Index("ix_ballots_vote_counted", "vote_id", "counted"),
        Index("ix_ballots_elector", "elector_id"),  # a person's ballots ("my data"), turnout
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"))
    elector_id: Mapped[int] = mapped_column(ForeignKey("vote_electors.id", ondelete="CASCADE"))
    option: Mapped[str] = mapped_column(String(80))
    cast_at: Mapped[datetime] = mapped_column(default=utcnow)
    cast_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    tracker: Mapped[str] = mapped_column(String(16), unique=True)  # the receipt code
    counted: Mapped[bool] = mapped_column(Boolean, default=True)
    channel: Mapped[str] = mapped_column(String(8), default=Channel.ONLINE.value,
                                         server_default=Channel.ONLINE.value)
    # the authorisation a proxy ballot was cast under (channel "proxy")
    proxy_id: Mapped[int | None] = mapped_column(
        ForeignKey("vote_proxies.id", ondelete="SET NULL"))

    # Set when a grid worker cast this ballot for the elector under their consent
    # (consult.grids.service.vote_for): an online ballot, marked as assisted.
    assisted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))


class VoteProxy(db.Model):
    """An authorisation (委托书) by an elector's owner for another adult to cast that elector's
    ballot in one vote. Made online by the owner (it waits for the proxy to accept it) or
    recorded by a secretary from a signed paper form (active at once). The proxy is known by
    phone: whoever logs in with that number may accept and use it. One live authorisation per
    elector (the partial unique index); at most ``PROXY_LIMIT`` live ones per proxy per vote."""

    __tablename__ = "vote_proxies"
    __table_args__ = (
        Index("uq_vote_proxies_one_live_per_elector", "elector_id", unique=True,
              sqlite_where=text("revoked_at IS NULL"),
              postgresql_where=text("revoked_at IS NULL")),
        Index("ix_vote_proxies_vote_phone", "vote_id", "proxy_phone"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"))
    elector_id: Mapped[int] = mapped_column(ForeignKey("vote_electors.id", ondelete="CASCADE"))
    # The owner who authorised it online; None for a paper form recorded by a secretary.
    granted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    proxy_name: Mapped[str] = mapped_column(String(60))
    proxy_phone: Mapped[str] = mapped_column(String(20))  # normalised (accounts.identity)
    proxy_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))  # who accepted it (or uses it)
    channel: Mapped[str] = mapped_column(String(8), default=Channel.ONLINE.value)
    reference: Mapped[str] = mapped_column(String(60), default="")  # paper form's number
    scan_path: Mapped[str | None] = mapped_column(String(200))  # under PROXY_SCAN_DIR
    scan_type: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # why it ended: "revoked" (by the owner), "replaced" (by a newer authorisation)
    revoked_reason: Mapped[str | None] = mapped_column(String(12))

    elector: Mapped[Elector] = relationship()

    @property
    def live(self) -> bool:
        return self.revoked_at is None

    @property
    def active(self) -> bool:
        return self.revoked_at is None and self.accepted_at is not None
