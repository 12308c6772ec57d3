"""What retention keeps: how long, by category of closed case."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, utcnow


class RetentionRule(Base):
    """How many months a closed case is kept, by category (``portal.records.retention``
    names the categories and proposes the defaults the migration writes)."""

    __tablename__ = "retention_rules"

    category: Mapped[str] = mapped_column(String(30), primary_key=True)
    months: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
