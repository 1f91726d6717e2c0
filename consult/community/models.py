"""The community tree: community (社区) → grid (网格/小区) → building (楼栋) → unit (户).

Owners of record (业主) own units; residents are verified to a unit through a residency.
"""
from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.accounts.models import User
from consult.clock import utcnow
from consult.extensions import db


class Community(db.Model):
    """社区."""

    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    district: Mapped[str] = mapped_column(String(80), default="")  # 区
    street_office: Mapped[str] = mapped_column(String(80), default="")  # 街道办事处
    # Co-signatures (附议) a proposal needs before it goes to review.
    cosign_threshold: Mapped[int] = mapped_column(default=10)
    # Owners' votes under the Civil Code rules (consult/votes/rules.py): days between the
    # announcement (公告) and the opening (物业管理条例 art. 14: 15), and the shortest voting.
    vote_notice_days: Mapped[int] = mapped_column(default=15, server_default="15")
    vote_min_open_days: Mapped[int] = mapped_column(default=7, server_default="7")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    grids: Mapped[list[Grid]] = relationship(
        back_populates="community", order_by="Grid.name", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Community {self.name}>"


class Grid(db.Model):
    """网格 / 小区: a part of a community."""

    __tablename__ = "grids"
    __table_args__ = (UniqueConstraint("community_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))

    community: Mapped[Community] = relationship(back_populates="grids")
    buildings: Mapped[list[Building]] = relationship(
        back_populates="grid", order_by="Building.name", cascade="all, delete-orphan"
    )


class Building(db.Model):
    """楼栋."""

    __tablename__ = "buildings"
    __table_args__ = (UniqueConstraint("grid_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))

    grid: Mapped[Grid] = relationship(back_populates="buildings")
    units: Mapped[list[Unit]] = relationship(
        back_populates="building", order_by="Unit.number", cascade="all, delete-orphan"
    )


class Unit(db.Model):
    """户 / 专有部分: a flat or shop with its exclusive floor area."""

    __tablename__ = "units"
    __table_args__ = (
        UniqueConstraint("building_id", "number"),
        CheckConstraint("area_m2 > 0", name="area_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(
        ForeignKey("buildings.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[str] = mapped_column(String(40))
    # Exact decimal with two places: vote tallies sum areas and must not drift.
    area_m2: Mapped[Decimal] = mapped_column(Numeric(10, 2))

    building: Mapped[Building] = relationship(back_populates="units")
    ownerships: Mapped[list[Ownership]] = relationship(
        back_populates="unit", cascade="all, delete-orphan"
    )

    @property
    def label(self) -> str:
        return f"{self.building.grid.name} {self.building.name} {self.number}"


class Ownership(db.Model):
    """An owner of record (业主) of a unit. Several rows for one unit are its co-owners; a unit
    with none is unsold and belongs to the developer."""

    __tablename__ = "ownerships"
    __table_args__ = (UniqueConstraint("unit_id", "owner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)

    unit: Mapped[Unit] = relationship(back_populates="ownerships")
    owner: Mapped[User] = relationship()


class ResidencyStatus(str, enum.Enum):
    PENDING = "pending"
    VERIFIED = "verified"
    REFUSED = "refused"


class Relation(str, enum.Enum):
    OWNER = "owner"  # 业主
    FAMILY = "family"  # 家庭成员
    TENANT = "tenant"  # 租户


class Residency(db.Model):
    """A resident's request to be verified to a unit (居民认证), and its decision."""

    __tablename__ = "residencies"
    __table_args__ = (UniqueConstraint("user_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    relation: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default=ResidencyStatus.PENDING.value, index=True)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    refusal_reason: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    unit: Mapped[Unit] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def is_verified(self) -> bool:
        return self.status == ResidencyStatus.VERIFIED.value
