"""The triage queue: listing and counting on plaintext metadata only (never decrypts).

Keyset pagination split on the ``urgent`` flag (DESIGN §8): urgent cases first, then
the others, each oldest first, with a row-value comparison on (created_at, id).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, func, literal, select, tuple_
from sqlalchemy.orm import Session

from portal.models import Referral

OPEN_STATUSES = ("new", "in_triage", "awaiting_reporter")
PAGE_SIZE = 50


@dataclass(frozen=True)
class QueueFilters:
    #: "" for the open cases, "all", or one status.
    status: str = ""
    region: str = ""
    departement: str = ""
    domain: str = ""
    kind: str = ""
    #: "", "me" or "nobody".
    assigned: str = ""
    urgent: bool = False
    minor: bool = False
    health_risk: bool = False
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True)
class Cursor:
    urgent: bool
    created_at: datetime
    id: int

    def encode(self) -> str:
        raw = f"{int(self.urgent)}|{self.created_at.isoformat()}|{self.id}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str) -> Cursor | None:
        """The cursor in a ``next page`` link; ``None`` when absent or tampered with."""
        if not value:
            return None
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
            urgent, created_at, row_id = raw.split("|")
            moment = datetime.fromisoformat(created_at)
            if moment.tzinfo is None:
                return None
            return cls(urgent == "1", moment, int(row_id))
        except (ValueError, UnicodeDecodeError):
            return None


@dataclass(frozen=True)
class QueuePage:
    referrals: list[Referral]
    next_cursor: Cursor | None


def _filtered(filters: QueueFilters, user_id: int) -> Select:
    query = select(Referral)
    if filters.status == "":
        query = query.where(Referral.status.in_(OPEN_STATUSES))
    elif filters.status != "all":
        query = query.where(Referral.status == filters.status)
    for column, value in (
        (Referral.region_code, filters.region),
        (Referral.departement, filters.departement),
        (Referral.domain, filters.domain),
        (Referral.kind, filters.kind),
    ):
        if value:
            query = query.where(column == value)
    if filters.assigned == "me":
        query = query.where(Referral.assigned_to_id == user_id)
    elif filters.assigned == "nobody":
        query = query.where(Referral.assigned_to_id.is_(None))
    if filters.minor:
        query = query.where(Referral.minor_involved == "yes")
    if filters.health_risk:
        query = query.where(Referral.health_risk.is_(True))
    if filters.date_from:
        query = query.where(Referral.created_at >= datetime.combine(filters.date_from, time(), UTC))
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time(), UTC)
        query = query.where(Referral.created_at < end)
    return query


def queue_page(
    session: Session,
    filters: QueueFilters,
    user_id: int,
    after: Cursor | None = None,
    size: int = PAGE_SIZE,
) -> QueuePage:
    base = _filtered(filters, user_id)
    order = (Referral.created_at, Referral.id)
    rows: list[Referral] = []
    phases = [True] if filters.urgent else [True, False]
    for urgent in phases:
        if after is not None and after.urgent is False and urgent:
            continue  # the urgent part was already shown
        query = base.where(Referral.urgent.is_(urgent))
        if after is not None and after.urgent is urgent:
            cursor_values = tuple_(
                literal(after.created_at, Referral.created_at.type), literal(after.id)
            )
            query = query.where(tuple_(*order) > cursor_values)
        rows.extend(session.scalars(query.order_by(*order).limit(size + 1 - len(rows))))
        if len(rows) > size:
            break
    more = len(rows) > size
    rows = rows[:size]
    last = rows[-1] if more else None
    cursor = Cursor(last.urgent, last.created_at, last.id) if last is not None else None
    return QueuePage(rows, cursor)


def status_counts(session: Session) -> dict[str, int]:
    return dict(
        session.execute(select(Referral.status, func.count()).group_by(Referral.status)).all()
    )
