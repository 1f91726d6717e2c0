"""People and the roles they hold."""
from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.clock import utcnow
from consult.extensions import db

if TYPE_CHECKING:
    from consult.community.models import Community


def new_session_token() -> str:
    return secrets.token_urlsafe(16)


class Role(str, enum.Enum):
    """Roles granted per community. Being a resident (居民) is not granted here: it follows from a
    verified residency, see :mod:`consult.community.models`."""

    SECRETARY = "secretary"  # 议事会/居委会秘书
    REPRESENTATIVE = "representative"  # 人大代表 / 政协委员
    ADMIN = "admin"  # 管理员
    # 网格员: granted per grid (``RoleGrant.grid_id``). Reaches the owners of that grid who are
    # not online: delivers activation letters, enters paper ballots, acts for a resident who
    # consented, sees who in the grid has voted (never how).
    GRID_WORKER = "grid_worker"


GRID_ROLES = frozenset({Role.GRID_WORKER.value})


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    # NULL for owners of record created by a roster import who have not set a password yet.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # Part of the session cookie: changing it (logout, password change) voids every copy.
    session_token: Mapped[str] = mapped_column(String(32), default=new_session_token)
    is_platform_admin: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Wrong passwords in a row (see consult/accounts/lockout.py); reset by a good one.
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None]
    # Closed by its owner (注销账号, consult/accounts/closing.py): phone, e-mail and password are
    # gone and ``name`` is the pseudonym "居民 <pseudonym>"; the row stays for the record.
    closed_at: Mapped[datetime | None] = mapped_column(index=True)
    pseudonym: Mapped[str | None] = mapped_column(String(8))
    # When the retention job removed the closed account's leftovers (consult/retention).
    purged_at: Mapped[datetime | None]
    # The version of the privacy notice agreed to last (consult/privacy): loaded with the user,
    # so that asking for a new version's agreement costs no query. NULL: never agreed.
    privacy_version: Mapped[str | None] = mapped_column(String(20))

    role_grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user", foreign_keys="RoleGrant.user_id", cascade="all, delete-orphan"
    )

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def rotate_session_token(self) -> None:
        self.session_token = new_session_token()

    @property
    def can_log_in(self) -> bool:
        return self.password_hash is not None and self.closed_at is None

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.name}>"


class PasswordReset(db.Model):
    """A one-time link to choose a new password (找回密码). Only the SHA-256 of the link's token
    is stored; see :mod:`consult.accounts.reset` for when a link may be used."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    # Set when a newer link is sent or the password changes another way.
    voided_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<PasswordReset {self.id} user={self.user_id}>"


class RoleGrant(db.Model):
    """A role a user holds in one community; a grid worker's grant also names the grid."""

    __tablename__ = "role_grants"
    __table_args__ = (
        Index("uq_role_grants_community_role", "user_id", "community_id", "role", unique=True,
              sqlite_where=text("grid_id IS NULL"), postgresql_where=text("grid_id IS NULL")),
        Index("uq_role_grants_grid_role", "user_id", "grid_id", "role", unique=True,
              sqlite_where=text("grid_id IS NOT NULL"),
              postgresql_where=text("grid_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))
    # Set for the roles of GRID_ROLES only: the grid the role is held in.
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id", ondelete="CASCADE"))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="role_grants", foreign_keys=[user_id])
    community: Mapped[Community] = relationship()
    granted_by: Mapped[User | None] = relationship(foreign_keys=[granted_by_id])


class RegistrationCode(db.Model):
    """A registration waiting for its confirmation code (注册验证码). What was typed waits here
    (the password already hashed) until the code sent to the phone or e-mail address comes back;
    only then is the account made. Only an HMAC of the code is stored. A registration whose
    phone or e-mail belongs to an account already gets a row too (``usable`` false) so that
    the answer is the same: its owner is told someone tried, and no code opens it."""

    __tablename__ = "registration_codes"
    # The codes sent to one phone or address are counted (consult/accounts/signup.py's limits).
    __table_args__ = (
        Index("ix_registration_codes_phone_created", "phone", "created_at"),
        Index("ix_registration_codes_email_created", "email", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    code_hash: Mapped[str] = mapped_column(String(64))
    usable: Mapped[bool] = mapped_column(default=True)
    attempts: Mapped[int] = mapped_column(default=0)
    sends: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    # The privacy notice's version agreed to on the form; recorded with the account it makes.
    privacy_version: Mapped[str | None] = mapped_column(String(20))

    def __repr__(self) -> str:
        return f"<RegistrationCode {self.id}>"


class PhoneCode(db.Model):
    """A six-digit code sent by SMS for one purpose (see :mod:`consult.accounts.phonecodes`):
    ``reset`` (choose a new password) or ``phone`` (prove a new phone number). Only an HMAC of
    the code is stored. A row is made even when no code can work (``usable`` false: an unknown
    number asking for a reset, a new number that belongs to another account), so that the answer
    and the count of wrong tries are the same either way."""

    __tablename__ = "phone_codes"
    __table_args__ = (
        Index("ix_phone_codes_phone_created", "phone", "created_at"),
        Index("ix_phone_codes_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(10))
    # The account it is for; NULL for a reset asked for a number no account can log in with.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    phone: Mapped[str] = mapped_column(String(20))  # where the code (or the note) went
    code_hash: Mapped[str] = mapped_column(String(64))
    usable: Mapped[bool] = mapped_column(default=True)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<PhoneCode {self.id} {self.purpose}>"
