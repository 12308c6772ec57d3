"""The statistics' tallies (and the queue's counts by status, kept by the same
listener) stay equal to a count of the rows through every kind of change the ORM
makes (new, changed after a commit, moved to another month, deleted, rolled back),
on both backends; rows written without the ORM are found by ``portal statistics
check`` and counted again by ``rebuild`` and by ``portal init``."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, func, select

from portal import accounts
from portal.casework import status_counts
from portal.cli import main
from portal.extensions import db
from portal.models import Association, Referral, Routing, StatisticsTally
from portal.statistics import tallies
from portal.statistics.calendar import STATISTICS_ZONE, Period, month_of
from portal.statistics.counts import count_activity, recount_activity
from portal.vocabulary import DOMAIN_TREE
from tests.casework_helpers import insert_raw_referral

YEAR = 2043
#: Whole years, a period of days inside one month, and one across three months
#: (days at both ends, a whole month between): every way a period is read.
PERIODS = (
    Period.year(YEAR - 1),
    Period.year(YEAR),
    Period.year(YEAR + 1),
    Period(date(YEAR, 2, 3), date(YEAR, 2, 17)),
    Period(date(YEAR, 1, 15), date(YEAR, 3, 10)),
    Period(date(YEAR, 1, 31), date(YEAR, 1, 31)),
)


def _assert_tallies_agree() -> None:
    for period in PERIODS:
        assert count_activity(db.session, period) == recount_activity(db.session, period), period
    # The queue's counts by status are kept by the same listener.
    kept = {status: n for status, n in status_counts.current(db.session).items() if n}
    assert kept == status_counts.counted(db.session)


def _paris(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=STATISTICS_ZONE).astimezone(
        UTC
    )


def _referral(rng: random.Random, created: datetime, status: str = "in_triage") -> Referral:
    return Referral(
        public_id=f"TA-{uuid.uuid4().hex[:12]}",
        kind=rng.choice(("report", "opinion")),
        status=status,
        reporter_role=rng.choice(("relative", "witness", "person_concerned")),
        domain=rng.choice(list(DOMAIN_TREE)),
        departement=rng.choice(("21", "35", "971", "abroad")),
        region_code=rng.choice(("27", "53", None)),
        minor_involved=rng.choice(("yes", "no", "unknown")),
        health_risk=rng.random() < 0.4,
        urgent=rng.random() < 0.2,
        created_at=created,
        month=month_of(created),
        first_action_at=None if status == "new" else created + timedelta(hours=rng.randint(1, 90)),
        lookup_token=uuid.uuid4().bytes * 2,
        reporter_wrapped_key=b"not a key",
        document=b"not a ciphertext",
    )


@pytest.fixture
def tallied_app(app_of_its_own):
    """Twenty referrals of 2043 and five routings, added through the ORM."""
    rng = random.Random(YEAR)
    with app_of_its_own.app_context():
        staff = accounts.create_account(
            db.session, "tallies@miviludes.example", "staff", fast_hashing=True
        ).user
        association_ids = db.session.scalars(select(Association.id).limit(2)).all()
        referrals = [
            _referral(rng, _paris(date(YEAR, 1, 1) + timedelta(days=rng.randint(0, 90)), 10))
            for _ in range(20)
        ]
        db.session.add_all(referrals)
        db.session.flush()
        db.session.add_all(
            Routing(
                referral_id=referral.id,
                association_id=association_ids[number % 2],
                routed_by_id=staff.id,
                created_at=referral.created_at + timedelta(days=1),
            )
            for number, referral in enumerate(referrals[:5])
        )
        db.session.commit()
    return app_of_its_own


def test_the_tallies_follow_every_change_the_orm_makes(tallied_app):
    with tallied_app.app_context():
        _assert_tallies_agree()
        referrals = db.session.scalars(select(Referral).order_by(Referral.id)).all()
        routings = db.session.scalars(select(Routing).order_by(Routing.id)).all()
        assert count_activity(db.session, Period.year(YEAR)).total == 20

        # Changed after a commit: the old values were expired, not loaded.
        db.session.expire_all()
        closing = referrals[0]
        closing.status, closing.closing_reason = "closed", "answered"
        closing.closed_at = closing.created_at + timedelta(days=12, hours=3)
        referrals[1].domain, referrals[1].urgent = "conspiracy", not referrals[1].urgent
        referrals[2].region_code, referrals[2].departement = None, "abroad"
        referrals[3].prosecutor_date = date(YEAR, 4, 2)
        db.session.commit()
        _assert_tallies_agree()
        figures = count_activity(db.session, Period.year(YEAR))
        assert figures.by_closing_reason["answered"] == 1
        assert figures.days_to_closing.histogram == {12: 1}
        assert figures.prosecutor_transmissions == 1

        # Moved across a month and a year: 23:30 on 31 December in Paris → next year.
        referrals[4].created_at = _paris(date(YEAR, 12, 31), 23, 30) + timedelta(hours=1)
        referrals[4].month = month_of(referrals[4].created_at)
        db.session.commit()
        _assert_tallies_agree()
        assert count_activity(db.session, Period.year(YEAR + 1)).total == 1

        # A routing answered, moved to another association, and one withdrawn.
        db.session.expire_all()
        routings[0].status, routings[0].responded_at = "accepted", routings[0].created_at
        routings[1].association_id = routings[0].association_id
        db.session.delete(routings[2])
        db.session.commit()
        _assert_tallies_agree()

        # Declined with a reason; closed with an outcome; then the reason corrected.
        db.session.expire_all()
        routings[3].status, routings[3].decline_reason = "declined", "no_capacity"
        routings[3].responded_at = routings[3].created_at + timedelta(days=1)
        routings[4].status, routings[4].outcome = "closed", "support_given"
        routings[4].responded_at = routings[4].created_at
        routings[4].closed_at = routings[4].created_at + timedelta(days=30)
        db.session.commit()
        _assert_tallies_agree()
        figures = count_activity(db.session, Period.year(YEAR))
        assert figures.by_decline_reason == {"no_capacity": 1}
        assert figures.by_routing_outcome == {"support_given": 1}
        db.session.expire_all()
        routings[3].decline_reason = "out_of_area"
        db.session.commit()
        _assert_tallies_agree()
        assert count_activity(db.session, Period.year(YEAR)).by_decline_reason == {"out_of_area": 1}

        # A referral deleted through the ORM leaves its tallies.
        db.session.delete(referrals[5])
        db.session.commit()
        _assert_tallies_agree()
        assert count_activity(db.session, Period.year(YEAR)).total == 18

        # Flushed, then rolled back: the tallies roll back with the change.
        before = count_activity(db.session, Period.year(YEAR))
        referrals[6].status = "closed"
        referrals[6].closing_reason = "duplicate"
        db.session.add(_referral(random.Random(1), _paris(date(YEAR, 6, 1), 9)))
        db.session.flush()
        db.session.rollback()
        assert count_activity(db.session, Period.year(YEAR)) == before


def test_the_tallies_hold_no_negative_count(tallied_app):
    with tallied_app.app_context():
        for referral in db.session.scalars(select(Referral)):
            referral.status = "closed"
            referral.closing_reason = "no_follow_up"
            referral.closed_at = referral.created_at + timedelta(days=2)
        db.session.commit()
        _assert_tallies_agree()
        assert db.session.scalar(select(func.min(StatisticsTally.count))) >= 0


def _cli(*arguments: str):
    return CliRunner().invoke(main, list(arguments))


def test_rows_written_without_the_orm_are_found_and_counted_again(tallied_app):
    with tallied_app.app_context():
        with db.engine.begin() as connection:
            insert_raw_referral(
                connection,
                "TA-RAW-1",
                "sport",
                created=_paris(date(YEAR, 5, 5), 12),
                month=f"{YEAR}-05",
            )
        assert count_activity(db.session, Period.year(YEAR)).total == 20
        assert recount_activity(db.session, Period.year(YEAR)).total == 21
    checked = _cli("statistics", "check")
    assert checked.exit_code == 1
    assert f"{YEAR}: DIFFERENT" in checked.output and "portal statistics rebuild" in checked.output
    rebuilt = _cli("statistics", "rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    checked = _cli("statistics", "check")
    assert checked.exit_code == 0, checked.output
    assert f"{YEAR}: the tallies agree with the rows" in checked.output
    with tallied_app.app_context():
        assert count_activity(db.session, Period.year(YEAR)).total == 21
        _assert_tallies_agree()


def test_portal_init_fills_an_empty_table_and_leaves_a_full_one(tallied_app):
    with tallied_app.app_context():
        expected = count_activity(db.session, Period.year(YEAR))
        db.session.execute(delete(StatisticsTally))
        db.session.commit()
        assert tallies.needs_rebuild(db.session)
    first = _cli("init")
    assert first.exit_code == 0, first.output
    assert "the tallies were counted again from the rows" in first.output
    second = _cli("init")
    assert second.exit_code == 0 and "counted again" not in second.output
    with tallied_app.app_context():
        assert count_activity(db.session, Period.year(YEAR)) == expected
        _assert_tallies_agree()


def test_a_period_reads_whole_months_and_the_days_at_its_ends(tallied_app):
    """A referral on the last day of a month and one on the first of the next: each
    counted once, whichever way a period cuts them."""
    with tallied_app.app_context():
        rng = random.Random(3)
        db.session.add_all(
            [
                _referral(rng, _paris(date(YEAR, 8, 31), 23, 59)),
                _referral(rng, _paris(date(YEAR, 9, 1), 0, 1)),
            ]
        )
        db.session.commit()
        for first, last, expected in (
            (date(YEAR, 8, 31), date(YEAR, 8, 31), 1),
            (date(YEAR, 9, 1), date(YEAR, 9, 30), 1),
            (date(YEAR, 8, 1), date(YEAR, 9, 30), 2),
            (date(YEAR, 8, 31), date(YEAR, 9, 1), 2),
            (date(YEAR, 8, 30), date(YEAR, 10, 31), 2),
        ):
            period = Period(first, last)
            figures = count_activity(db.session, period)
            assert figures.total == expected, period
            assert figures == recount_activity(db.session, period)
