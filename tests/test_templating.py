"""Dates are written one way on every page, in both languages: the quick writers give
exactly the text of Babel's patterns, in the reader's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale, format_date, format_datetime

from portal.templating import DAY_PATTERN, MOMENT_PATTERN, day, moment

#: Every month, both sides of the two changes of time, midnight and the year's end.
INSTANTS = [
    datetime(2026, month, 1 + month, 23 - month, 7 * month % 60, tzinfo=UTC)
    for month in range(1, 13)
] + [
    datetime(2026, 3, 29, 0, 59, tzinfo=UTC),
    datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
    datetime(2026, 10, 25, 0, 59, tzinfo=UTC),
    datetime(2026, 10, 25, 1, 0, tzinfo=UTC),
    datetime(2026, 12, 31, 23, 30, tzinfo=UTC),
    datetime(2027, 1, 1, 0, 0, tzinfo=UTC) - timedelta(minutes=1),
]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_moments_and_days_read_as_babel_writes_them(app, lang):
    with app.test_request_context(f"/{lang}/"), force_locale(lang):
        app.preprocess_request()
        for instant in INSTANTS:
            assert moment(instant) == format_datetime(instant, MOMENT_PATTERN)
            assert day(instant) == format_date(instant, DAY_PATTERN)
            assert day(instant.date()) == format_date(instant.date(), DAY_PATTERN)
