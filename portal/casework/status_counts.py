"""The number of referrals in each status, kept up to date instead of counted.

Every ORM flush that adds a referral or changes its status moves these counts in the
same transaction (the listener of ``portal.statistics.tallies``, which keeps the
statistics' tallies the same way), so they commit or roll back with the change. Rows
written past the ORM (a bulk load) call ``tallies.move_status_counts``. The rows exist from the
migration that created the table.

Each row also counts the changes to what the queue shows made to referrals in that
status: the counts and those numbers together key the queue's kept pages, so a page
is read from the database again only after something it could show has changed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models import Referral, StatusCount

_CURRENT = select(StatusCount.status, StatusCount.count, StatusCount.changes).order_by(
    StatusCount.status
)


@dataclass(frozen=True)
class QueueState:
    """What the queue's pages are kept by: any change the queue shows moves it."""

    counts: dict[str, int]
    #: Each status with its count and the changes seen in it.
    version: tuple[tuple[str, int, int], ...]


def queue_state(session: Session) -> QueueState:
    """Read on every queue page: one statement built once, run on the connection."""
    rows = tuple(map(tuple, session.connection().execute(_CURRENT).all()))
    return QueueState({status: count for status, count, _changes in rows}, rows)


def current(session: Session) -> dict[str, int]:
    return queue_state(session).counts


def counted(session: Session) -> dict[str, int]:
    """Counted from the referrals themselves: what ``current`` must always equal."""
    return dict(
        session.execute(select(Referral.status, func.count()).group_by(Referral.status)).all()
    )
