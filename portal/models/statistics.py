"""What the statistics keep besides counting: the figures published for the public."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text
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


class StatisticsTally(Base):
    """How many referrals (or routings) received on one day, or in one month, have one
    value of one counted attribute: the statistics page adds up a period's tallies
    instead of counting a million referrals (``portal.statistics.tallies`` keeps them
    at every flush, in the same transaction as the change).

    ``grain`` is "day" or "month"; ``start`` is the day, or the first day of the
    month, in Paris time. ``association_id`` is 0 for the portal's own figures and
    the association's id for its routings' figures (not a foreign key: an
    association's past figures outlive it).
    """

    __tablename__ = "statistics_tallies"

    grain: Mapped[str] = mapped_column(String(5), primary_key=True)
    start: Mapped[date] = mapped_column(Date, primary_key=True)
    dimension: Mapped[str] = mapped_column(String(32), primary_key=True)
    association_id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[str] = mapped_column(String(40), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
