"""Moments are aware UTC datetimes on every backend, whoever wrote the row."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from portal.models.base import UTCDateTime

PARIS_WINTER = timezone(timedelta(hours=1))


def _table(name: str) -> tuple[sa.MetaData, sa.Table]:
    metadata = sa.MetaData()
    table = sa.Table(
        name,
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("moment", UTCDateTime()),
    )
    return metadata, table


def test_a_moment_comes_back_as_the_same_aware_utc_datetime(database_url):
    metadata, table = _table(f"moments_{uuid.uuid4().hex[:8]}")
    engine = sa.create_engine(database_url)
    metadata.create_all(engine)
    written = datetime(2026, 12, 3, 18, 30, 15, 123456, tzinfo=PARIS_WINTER)
    try:
        with engine.begin() as connection:
            connection.execute(
                table.insert(), [{"id": 1, "moment": written}, {"id": 2, "moment": None}]
            )
            rows = dict(connection.execute(sa.select(table.c.id, table.c.moment)).all())
    finally:
        metadata.drop_all(engine)
        engine.dispose()
    assert rows[1] == written
    assert rows[1].tzinfo == UTC
    assert rows[1].hour == 17
    assert rows[2] is None


def test_a_naive_datetime_is_refused_rather_than_guessed(database_url):
    metadata, table = _table(f"moments_{uuid.uuid4().hex[:8]}")
    engine = sa.create_engine(database_url)
    metadata.create_all(engine)
    try:
        with pytest.raises(sa.exc.StatementError), engine.begin() as connection:
            connection.execute(table.insert(), {"id": 1, "moment": datetime(2026, 12, 3)})
    finally:
        metadata.drop_all(engine)
        engine.dispose()


@pytest.mark.parametrize(
    "stored",
    [
        "2026-12-03 17:30:15.123456",  # as SQLAlchemy writes it
        "2026-12-03 17:30:15",  # CURRENT_TIMESTAMP, or a row written by hand
        "2026-12-03T17:30:15.123456",
        "2026-12-03T18:30:15.123456+01:00",
        "2026-12-03T16:30:15-01:00",
        "2026-12-03T17:30:15Z",
    ],
)
def test_sqlite_text_in_any_iso_form_reads_as_aware_utc(stored):
    """SQLite keeps text: the quick reader (one step from text to an aware datetime)
    must accept what any writer of the file may have put there."""
    metadata, table = _table("moments")
    engine = sa.create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(
            sa.text("INSERT INTO moments (id, moment) VALUES (1, :m)"), {"m": stored}
        )
        moment = connection.execute(sa.select(table.c.moment)).scalar_one()
    assert moment.tzinfo == UTC
    assert moment.replace(microsecond=0) == datetime(2026, 12, 3, 17, 30, 15, tzinfo=UTC)
