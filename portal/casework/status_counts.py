"""The number of referrals in each status, kept up to date instead of counted.

Only two operations change it: ``portal.public.intake.submit_referral`` (a new
referral) and ``portal.casework.workflow.change_status`` (every change of status). Both call
this module inside their own transaction, so the counts commit or roll back with
the change. The rows exist from the migration that created the table.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from portal.models import Referral, StatusCount


def _add(session: Session, status: str, delta: int) -> None:
    session.execute(
        update(StatusCount)
        .where(StatusCount.status == status)
        .values(count=StatusCount.count + delta)
        .execution_options(synchronize_session=False)
    )


def referral_added(session: Session, status: str, number: int = 1) -> None:
    _add(session, status, number)


def status_changed(session: Session, previous: str, status: str) -> None:
    # Rows are always locked in the same order, so two opposite changes cannot deadlock.
    for name, delta in sorted(((previous, -1), (status, 1))):
        _add(session, name, delta)


_CURRENT = select(StatusCount.status, StatusCount.count)


def current(session: Session) -> dict[str, int]:
    """Shown on every queue page: one statement built once, run on the connection."""
    return dict(session.connection().execute(_CURRENT).all())


def counted(session: Session) -> dict[str, int]:
    """Counted from the referrals themselves: what ``current`` must always equal."""
    return dict(
        session.execute(select(Referral.status, func.count()).group_by(Referral.status)).all()
    )
