"""What the statistics keep besides counting: the figures published for the public."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, utcnow


class PublishedFigures(Base):
    """A year's figures as an administrator published them for the public page: a
    frozen snapshot of counts (JSON), never recounted, so that the public page says
    what was published even after later corrections or purges."""

    __tablename__ = "published_figures"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(unique=True)
    #: JSON: the total and the counts by kind, family, sender and region.
    figures: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
