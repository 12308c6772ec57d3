"""The current time, replaceable per application so that tests can move it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from flask import current_app

from portal.models import utcnow
from portal.statistics.calendar import STATISTICS_ZONE

CLOCK_KEY = "portal.clock"


def now() -> datetime:
    clock: Callable[[], datetime] = current_app.extensions.get(CLOCK_KEY, utcnow)
    return clock()


def today() -> date:
    """Today in Paris: the day staff, partners and the statistics count in."""
    return now().astimezone(STATISTICS_ZONE).date()
