"""What staff have not read yet. The reporter's answer, an association's note or its
decision on a routing marks the case "to read" for its assignee — for the whole team
when nobody has it — whatever its status, until a staff member opens it."""

from __future__ import annotations

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session

from portal.models import Referral, utcnow

_FOR_ACCOUNT = or_(
    Referral.assigned_to_id == bindparam("user_id"), Referral.assigned_to_id.is_(None)
)
_COUNT = (
    select(func.count())
    .select_from(Referral)
    .where(Referral.to_read_since.is_not(None), _FOR_ACCOUNT)
)


def mark(referral: Referral) -> None:
    """Keep the first moment: the mark says since when something waits."""
    if referral.to_read_since is None:
        referral.to_read_since = utcnow()


def seen(referral: Referral) -> None:
    referral.to_read_since = None


def for_account():
    """The queue's filter: marked, and this account's or nobody's (``user_id`` bound)."""
    return [Referral.to_read_since.is_not(None), _FOR_ACCOUNT]


def count_for(session: Session, user_id: int) -> int:
    """The number in every staff page's header: one statement built once."""
    return session.connection().execute(_COUNT, {"user_id": user_id}).scalar_one()
