"""The append-only audit log (DESIGN §6)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base


class AuditEvent(Base):
    """One event; its hash covers the previous event's hash and all its own fields."""

    __tablename__ = "audit_events"

    #: Set explicitly (previous + 1) so that it is part of the hash: a deleted event
    #: leaves a gap that verification names.
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime]
    #: "system", "reporter", "user:<id>"…: who did it, never a name or an address.
    actor: Mapped[str] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(60), index=True)
    #: "referral:2026-ABC123", "group:miviludes"…
    target: Mapped[str] = mapped_column(String(100), index=True)
    #: Canonical JSON of short scalar details; never content, receipts or secrets.
    details: Mapped[str] = mapped_column(Text, default="{}")
    #: Unique: two writers appending at the same moment cannot fork the chain.
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
