"""Each staff member's named views of the queue. Only the filters' query string is
kept (metadata codes: status, territory, domain, tag, dates), never a search."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models import SavedFilter, User

#: Enough for a team's habits; past it, a list nobody reads.
MOST_PER_ACCOUNT = 20


class SavedFilterRefused(ValueError):
    """Too many already."""


def of_account(session: Session, user_id: int) -> list[SavedFilter]:
    return list(
        session.scalars(
            select(SavedFilter).where(SavedFilter.user_id == user_id).order_by(SavedFilter.name)
        )
    )


def save(session: Session, user: User, name: str, query: str) -> SavedFilter:
    """Under a name already used, the filters are replaced."""
    name = " ".join(name.split())
    existing = session.scalar(
        select(SavedFilter).where(SavedFilter.user_id == user.id, SavedFilter.name == name)
    )
    if existing is not None:
        existing.query = query
        session.flush()
        return existing
    count = session.scalar(
        select(func.count()).select_from(SavedFilter).where(SavedFilter.user_id == user.id)
    )
    if count >= MOST_PER_ACCOUNT:
        raise SavedFilterRefused(user.actor)
    saved = SavedFilter(user_id=user.id, name=name, query=query)
    session.add(saved)
    session.flush()
    return saved


def remove(session: Session, user: User, saved_id: int) -> bool:
    saved = session.get(SavedFilter, saved_id)
    if saved is None or saved.user_id != user.id:
        return False
    session.delete(saved)
    session.flush()
    return True
