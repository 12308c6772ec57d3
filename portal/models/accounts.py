"""Accounts of Miviludes staff and association members, their group keys and sessions."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, LargeBinary, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, utcnow

ROLES = ("staff", "admin", "analyst", "partner")
#: Miviludes' members who open cases: they hold the Miviludes group key.
MIVILUDES_ROLES = ("staff", "admin")
#: Who reads the statistics. An analyst holds no key and sees no case.
STATISTICS_ROLES = ("staff", "admin", "analyst")
#: Roles that work with a group key (an analyst does not).
KEY_HOLDING_ROLES = ("staff", "admin", "partner")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-cased: the login is case-insensitive.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    role: Mapped[str] = mapped_column(String(10))
    #: Set for partners only: the one association whose cases they see.
    association_id: Mapped[int | None] = mapped_column(
        ForeignKey("associations.id", ondelete="RESTRICT"), index=True
    )
    disabled: Mapped[bool] = mapped_column(default=False)
    #: Argon2id salt and profile name; only a hash of the derived auth key is stored.
    password_salt: Mapped[bytes] = mapped_column(LargeBinary(16))
    password_profile: Mapped[str] = mapped_column(String(40))
    auth_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    #: The user's HPKE private key wrapped under the password-derived KEK.
    wrapped_private_key: Mapped[bytes] = mapped_column(LargeBinary)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    #: The TOTP secret sealed to the user's own public key: readable only after the password.
    sealed_totp_secret: Mapped[bytes] = mapped_column(LargeBinary)
    totp_enrolled: Mapped[bool] = mapped_column(default=False)
    #: The last TOTP time step accepted: a code of that step or an earlier one is refused.
    totp_last_step: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When the account last completed a login (password and code).
    last_login_at: Mapped[datetime | None] = mapped_column()

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def is_miviludes(self) -> bool:
        return self.role in MIVILUDES_ROLES

    @property
    def actor(self) -> str:
        """How the audit log names this user: by id, never by address."""
        return f"user:{self.id}"


class Membership(Base):
    """A user's copy of a group's private key, sealed to the user's public key."""

    __tablename__ = "memberships"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(
        ForeignKey("key_groups.id", ondelete="CASCADE"), primary_key=True
    )
    sealed_group_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")


class Invitation(Base):
    """A one-time link an administrator sends: to join (a new account with the role
    given) or to set a new password (``user_id``, a reset). Only a hash of the token
    is stored; the link works once, for 72 hours."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(10))
    association_id: Mapped[int | None] = mapped_column(
        ForeignKey("associations.id", ondelete="CASCADE")
    )
    #: Set for a reset: the account whose password and keys are replaced.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column()


class CharterAcceptance(Base):
    """A partner member accepted one version of the confidentiality charter
    (``portal.charter``): needed before any case is shown, again at each new version."""

    __tablename__ = "charter_acceptances"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[str] = mapped_column(String(20), primary_key=True)
    accepted_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoginSession(Base):
    """A server-side session. The cookie holds the session id and the session key;
    the row holds only a hash of the id and the private key wrapped under that key."""

    __tablename__ = "login_sessions"

    #: SHA-256 of the random session id carried by the cookie.
    id_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: "password" until the TOTP code is given, then "active".
    stage: Mapped[str] = mapped_column(String(10))
    wrapped_private_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


class OutboxEmail(Base):
    """An e-mail waiting to be sent. Bodies carry a link, never a referral's content."""

    __tablename__ = "outbox_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(String(200), default="")
    #: A reporter's address: erased once sent, or once the attempts are used up.
    forget_recipient: Mapped[bool] = mapped_column(default=False, server_default=false())


class StaffDigest(Base):
    """The day a daily digest went to staff: ``portal reminders run`` sends one a day,
    however often it runs."""

    __tablename__ = "staff_digests"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
