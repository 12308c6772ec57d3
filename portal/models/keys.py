"""Key material in the database: only public keys and wrapped secrets (DESIGN §4)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, utcnow

#: The slug of the Miviludes triage group; association groups use the association's slug.
MIVILUDES_GROUP = "miviludes"


class Installation(Base):
    """Per-installation parameters created once by ``portal keys init`` (a single row)."""

    __tablename__ = "installation"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Salt of the receipt derivation (public; the pepper is the secret part).
    receipt_salt: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class KeyGroup(Base):
    """A set of people who share one HPKE key pair: Miviludes, or one association."""

    __tablename__ = "key_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    association_id: Mapped[int | None] = mapped_column(
        ForeignKey("associations.id", ondelete="CASCADE"), unique=True
    )
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    key_id: Mapped[bytes] = mapped_column(LargeBinary(8))
    #: The private key wrapped under the recovery secret (printed once, never stored).
    recovery_wrapped_private_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: An association group's private key sealed to the Miviludes group, so that
    #: Miviludes can grant it to a new or reset member (it can read the cases anyway).
    escrow_sealed_private_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
