"""The number of referrals in each status, kept up to date instead of counted.

Every ORM flush that adds a referral or changes its status moves these counts in the
same transaction (the listener of ``portal.statistics.tallies``, which keeps the
statistics' tallies the same way), so they commit or roll back with the change. Rows
written past the ORM (a bulk load) call ``tallies.move_status_counts``. The rows exist from the
migration that created the table.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models import Referral, StatusCount

_CURRENT = select(StatusCount.status, StatusCount.count)


def current(session: Session) -> dict[str, int]:
    """Shown on every queue page: one statement built once, run on the connection."""
    return dict(session.connection().execute(_CURRENT).all())


def counted(session: Session) -> dict[str, int]:
    """Counted from the referrals themselves: what ``current`` must always equal."""
    return dict(
        session.execute(select(Referral.status, func.count()).group_by(Referral.status)).all()
    )
