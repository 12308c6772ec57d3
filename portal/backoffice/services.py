"""The triage queue: listing on plaintext metadata only (never decrypts, never even
loads a ciphertext column).

Keyset pagination split on the ``urgent`` flag (DESIGN §8): urgent cases first, then
the others, each oldest first, with a row-value comparison on (created_at, id). A
page is read from one of the two queue indexes alone: they carry every filter column
and every listed column, so no row is looked up.
"""

from __future__ import annotations

import base64
import functools
from collections import namedtuple
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from sqlalchemy import Integer, Select, bindparam, func, literal, select, tuple_
from sqlalchemy.orm import Session

from portal.casework import tags, unread
from portal.models import Referral, ReferralTag, Routing
from portal.models.base import MAX_ROW_ID

OPEN_STATUSES = ("new", "in_triage", "awaiting_reporter")
#: The status filter's "to triage": what no one has moved on yet.
TO_TRIAGE_STATUSES = ("new", "in_triage")
PAGE_SIZE = 50
#: The columns the queue shows; the ciphertext columns are never loaded.
LISTED_COLUMNS = (
    Referral.public_id,
    Referral.created_at,
    Referral.status,
    Referral.domain,
    Referral.departement,
    Referral.urgent,
    Referral.minor_involved,
    Referral.health_risk,
    Referral.returned,
    Referral.to_read_since,
    Referral.due_on,
)


#: One line of the queue: what ``LISTED_COLUMNS`` hold, read as plain attributes (a
#: template reads each several times; a database row answers ten times slower).
QueueRow = namedtuple("QueueRow", ["id", *(column.key for column in LISTED_COLUMNS)])


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
    #: Marked "to read", and the account's or nobody's (``casework.unread``).
    to_read: bool = False
    #: Routed, and an association has not answered yet.
    pending: bool = False
    #: Past the day its current wait should have ended (``casework.deadlines``).
    overdue: bool = False
    #: Carries this tag (``casework.tags``).
    tag: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    #: Days begin at midnight where staff work, as the dates on the pages are shown.
    zone: tzinfo = UTC


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
            number = int(row_id)
            if moment.tzinfo is None or not 0 < number <= MAX_ROW_ID:
                return None
            return cls(urgent == "1", moment.astimezone(UTC), number)
        except (ValueError, UnicodeDecodeError, OverflowError):
            return None


@dataclass(frozen=True)
class QueuePage:
    referrals: list[QueueRow]
    next_cursor: Cursor | None
    #: Each listed case's tags, by its id.
    tags: dict[int, list[str]]


#: A tag on at most this many cases is read from the tag's own index (the cases then
#: looked up and sorted); a commoner one is checked while the queue's index is read
#: in order. At a million referrals, a tag on 0.2 % of them took 55 ms the second way
#: on PostgreSQL and one on 5 % took 109 ms the first way on SQLite.
FEW_TAGGED = 5_000


def _tag_plan(session: Session, filters: QueueFilters) -> tuple[bool, dict]:
    """Whether the tag asked for is on few cases (counted on its index, up to one
    more than ``FEW_TAGGED``); nothing more to bind."""
    if filters.tag is None:
        return False, {}
    return tags.counted_up_to(session, filters.tag, FEW_TAGGED + 1) <= FEW_TAGGED, {}


def _filtered(filters: QueueFilters, few_tagged: bool = False) -> Select:
    query = select(Referral.id, *LISTED_COLUMNS)
    if filters.status == "" and filters.pending:
        pass  # "routed, not yet accepted" is itself the status asked for
    elif filters.status in ("", "to_triage"):
        statuses = OPEN_STATUSES if filters.status == "" else TO_TRIAGE_STATUSES
        # Each status its own parameter: an expanding list is rewritten at each run.
        query = query.where(Referral.status.in_([literal(status) for status in statuses]))
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
        query = query.where(Referral.assigned_to_id == bindparam("user_id"))
    elif filters.assigned == "nobody":
        query = query.where(Referral.assigned_to_id.is_(None))
    if filters.minor:
        query = query.where(Referral.minor_involved == "yes")
    if filters.health_risk:
        query = query.where(Referral.health_risk.is_(True))
    if filters.to_read:
        query = query.where(*unread.for_account())
    if filters.overdue:
        query = query.where(Referral.due_on < bindparam("today", type_=Referral.due_on.type))
    if filters.pending:
        # From the few routings still waiting (their own index), not by probing each
        # routed referral's routings: most were answered long ago.
        waiting = select(Routing.referral_id).where(Routing.status == "pending")
        query = query.where(Referral.status == "routed", Referral.id.in_(waiting))
    if filters.tag is not None and few_tagged:
        # From the tag's own index, each case then looked up by its key.
        query = query.join(ReferralTag, ReferralTag.referral_id == Referral.id).where(
            ReferralTag.tag_id == filters.tag
        )
    elif filters.tag is not None:
        # "+ 0": not the primary key's index, so that the queue's index is read in
        # order, each case checked against the tag's set (read once).
        tagged = select(ReferralTag.referral_id).where(ReferralTag.tag_id == filters.tag)
        query = query.where((Referral.id + 0).in_(tagged))
    if filters.date_from:
        start = datetime.combine(filters.date_from, time(), filters.zone).astimezone(UTC)
        query = query.where(Referral.created_at >= start)
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time(), filters.zone)
        end = end.astimezone(UTC)
        query = query.where(Referral.created_at < end)
    return query


_ORDER = (Referral.created_at, Referral.id)


@functools.lru_cache(maxsize=256)
def _phase_statement(
    filters: QueueFilters, urgent: bool, after_cursor: bool, few_tagged: bool = False
) -> Select:
    """One part of a page (urgent or not) for these filters, built once per worker;
    what differs between requests (the account, the cursor, how many rows are still
    wanted) is bound when it runs. Building and keying the statement anew took a
    quarter of the queue's database time."""
    query = _filtered(filters, few_tagged).where(Referral.urgent.is_(urgent))
    order = _ORDER
    if few_tagged:
        # The tag's few cases are read first, then sorted: materialised, so that no
        # planner walks the queue's index in order instead, probing each case for the
        # tag (PostgreSQL did: 50 ms for a tag on 2,000 of a million cases).
        tagged = query.cte("tagged").prefix_with("MATERIALIZED")
        query = select(*tagged.c)
        order = (tagged.c.created_at, tagged.c.id)
    if after_cursor:
        cursor_values = tuple_(
            bindparam("after_created_at", type_=Referral.created_at.type),
            bindparam("after_id", type_=Referral.id.type),
        )
        query = query.where(tuple_(*order) > cursor_values)
    return query.order_by(*order).limit(bindparam("wanted", type_=Integer))


def queue_page(
    session: Session,
    filters: QueueFilters,
    user_id: int,
    today: date,
    after: Cursor | None = None,
    size: int = PAGE_SIZE,
) -> QueuePage:
    rows: list[QueueRow] = []
    few_tagged, tagged = _tag_plan(session, filters)
    phases = [True] if filters.urgent else [True, False]
    for urgent in phases:
        if after is not None and after.urgent is False and urgent:
            continue  # the urgent part was already shown
        after_cursor = after is not None and after.urgent is urgent
        values = {"user_id": user_id, "today": today, "wanted": size + 1 - len(rows), **tagged}
        if after_cursor:
            values.update(after_created_at=after.created_at, after_id=after.id)
        statement = _phase_statement(filters, urgent, after_cursor, few_tagged)
        # Run on the connection: for plain columns the ORM's result layer added nothing
        # but a fifth of the time.
        found = session.connection().execute(statement, values).all()
        rows.extend(map(QueueRow._make, found))
        if len(rows) > size:
            break
    more = len(rows) > size
    rows = rows[:size]
    last = rows[-1] if more else None
    cursor = Cursor(last.urgent, last.created_at, last.id) if last is not None else None
    return QueuePage(rows, cursor, tags.names_by_referral(session, (row.id for row in rows)))


#: The most rows one export writes: four years of referrals at today's pace.
EXPORT_MOST = 20_000
#: What an export adds to the listed columns (metadata too, DESIGN §3).
EXPORTED_COLUMNS = (Referral.kind, Referral.region_code, Referral.assigned_to_id)

ExportRow = namedtuple(
    "ExportRow", [*QueueRow._fields, *(column.key for column in EXPORTED_COLUMNS)]
)


def export_rows(
    session: Session, filters: QueueFilters, user_id: int, today: date, most: int = EXPORT_MOST
) -> tuple[list[ExportRow], dict[int, list[str]], int]:
    """The filtered queue in its order (immediate danger first, then oldest first),
    at most ``most`` rows, with their tags and how many matched in all."""
    few_tagged, tagged = _tag_plan(session, filters)
    query = _filtered(filters, few_tagged).add_columns(*EXPORTED_COLUMNS)
    values = {"user_id": user_id, "today": today, **tagged}
    connection = session.connection()
    found = connection.execute(
        query.order_by(Referral.urgent.desc(), *_ORDER).limit(most), values
    ).all()
    rows = [ExportRow._make(row) for row in found]
    total = len(rows)
    if total == most:
        counting = select(func.count()).select_from(_filtered(filters, few_tagged).subquery())
        total = connection.execute(counting, values).scalar_one()
    return rows, tags.names_by_referral(session, (row.id for row in rows)), total
