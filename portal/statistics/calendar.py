"""Periods and months as Miviludes counts them: in Paris time, whole days.

A referral sent at 00:30 on 1 January in Paris is a saisine of the new year, although
it is still 31 December in UTC: the stored ``month`` and every period bound follow
Paris time, so that a year's total and the sum of its months agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

STATISTICS_ZONE = ZoneInfo("Europe/Paris")


def month_of(moment: datetime) -> str:
    """The stored month of a referral received at ``moment`` ("2026-12")."""
    return f"{moment.astimezone(STATISTICS_ZONE):%Y-%m}"


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(), STATISTICS_ZONE).astimezone(UTC)


@dataclass(frozen=True)
class Period:
    """From ``first`` to ``last``, both days included."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError("a period ends after it starts")

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31))

    @property
    def is_calendar_year(self) -> bool:
        return self == Period.year(self.first.year)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        """The period compared with this one: the year before a calendar year, else the
        same number of days just before."""
        if self.is_calendar_year:
            return Period.year(self.first.year - 1)
        last = self.first - timedelta(days=1)
        return Period(last - timedelta(days=self.days - 1), last)

    @property
    def start(self) -> datetime:
        """The first moment of the period, in UTC."""
        return _start_of(self.first)

    @property
    def end(self) -> datetime:
        """The first moment after the period, in UTC."""
        return _start_of(self.last + timedelta(days=1))

    @property
    def first_month(self) -> str:
        return f"{self.first:%Y-%m}"

    @property
    def last_month(self) -> str:
        return f"{self.last:%Y-%m}"

    def months(self) -> list[str]:
        """Every month the period touches, in order."""
        found, year, month = [], self.first.year, self.first.month
        while (year, month) <= (self.last.year, self.last.month):
            found.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return found
