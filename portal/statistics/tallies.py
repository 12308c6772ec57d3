"""The statistics' running tallies: how many referrals received on a day (and in a
month) have each value of each counted attribute, kept at every flush.

Counting a year of a million referrals took seconds; adding up a year's tallies is
twelve months of a few hundred rows each. A period is read as its whole months plus
the days at either end that do not fill a month.

**How they stay true.** Every ORM flush that adds, changes or deletes a referral or a
routing moves it from the tallies of its old values to those of its new ones, in the
same transaction (``after_flush``): what rolls back, rolls back with it. Counted
columns are mapped with ``active_history`` so that their old value is known even when
it was not loaded. Rows written without the ORM (a bulk load, a restore, SQL typed by
hand) are not seen: ``portal statistics rebuild`` counts everything again, and
``portal statistics check`` compares the tallies with a plain recount. A migration that
changes what is tallied empties the table, and ``portal init`` refills it.

The same listener keeps the queue's count of referrals in each status
(``referral_status_counts``, read by ``portal.casework.status_counts``): a status
change anywhere through the ORM moves it, and ``rebuild`` counts it again too. It
also counts, per status, the changes to what the queue shows (``QUEUE_COLUMNS``):
the queue's pages are kept by those numbers.

Changes of one flush are written in key order, so two transactions never take the
same rows' locks in opposite orders.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import and_, delete, event, exists, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from portal.models import (
    Referral,
    ReferralTag,
    Routing,
    SavedFilter,
    StatisticsTally,
    StatusCount,
    Tag,
    User,
)
from portal.models.referrals import STATUSES
from portal.statistics.calendar import STATISTICS_ZONE, Period

#: ``association_id`` of the portal's own figures (every referral, not one partner's).
WHOLE_PORTAL = 0
#: Statuses of a routing the association accepted at some point.
ACCEPTED_STATUSES = ("accepted", "closed")

#: What the tallies of a referral are made of, read from the object or the row.
REFERRAL_COUNTED = (
    "created_at",
    "kind",
    "domain",
    "reporter_role",
    "minor_involved",
    "status",
    "region_code",
    "departement",
    "health_risk",
    "urgent",
    "closing_reason",
    "first_action_at",
    "closed_at",
    "prosecutor_date",
)
#: Referral columns the triage queue shows or filters on: a change to any of them
#: counts as a change of its status in ``referral_status_counts``, which keys the
#: queue's kept pages (``portal.casework.status_counts.queue_state``).
QUEUE_COLUMNS = (
    "public_id",
    "created_at",
    "status",
    "domain",
    "departement",
    "region_code",
    "kind",
    "urgent",
    "minor_involved",
    "health_risk",
    "returned",
    "to_read_since",
    "assigned_to_id",
)
ROUTING_COUNTED = (
    "created_at",
    "association_id",
    "status",
    "responded_at",
    "closed_at",
    "decline_reason",
    "outcome",
)

Read = Callable[[str], Any]


class Mark(NamedTuple):
    """One referral (or routing) counted once: on ``day``, under ``dimension``."""

    day: date
    dimension: str
    association_id: int
    value: str


class Key(NamedTuple):
    grain: str
    start: date
    dimension: str
    association_id: int
    value: str


def paris_day(moment: datetime) -> date:
    return moment.astimezone(STATISTICS_ZONE).date()


def whole_days(start: datetime, end: datetime) -> int:
    """Whole days from ``start`` to ``end``, rounded down, as ``statistics.sql`` counts."""
    return int((end - start).total_seconds() // 86400)


def referral_marks(read: Read) -> Iterator[Mark]:
    received = paris_day(read("created_at"))
    for dimension in ("kind", "domain", "reporter_role", "minor_involved", "status"):
        yield Mark(received, dimension, WHOLE_PORTAL, read(dimension))
    for dimension in ("region_code", "departement"):
        yield Mark(received, dimension, WHOLE_PORTAL, read(dimension) or "")
    for flag in ("health_risk", "urgent"):
        if read(flag):
            yield Mark(received, flag, WHOLE_PORTAL, "")
    closed = read("status") == "closed"
    if closed and read("closing_reason"):
        yield Mark(received, "closing_reason", WHOLE_PORTAL, read("closing_reason"))
    if read("first_action_at") is not None:
        days = whole_days(read("created_at"), read("first_action_at"))
        yield Mark(received, "days_to_first_action", WHOLE_PORTAL, str(days))
    if closed and read("closed_at") is not None:
        days = whole_days(read("created_at"), read("closed_at"))
        yield Mark(received, "days_to_closing", WHOLE_PORTAL, str(days))
    if read("prosecutor_date") is not None:
        # Counted on the day of transmission, not of receipt.
        yield Mark(read("prosecutor_date"), "prosecutor", WHOLE_PORTAL, "")


def routing_marks(read: Read) -> Iterator[Mark]:
    made, association, status = (
        paris_day(read("created_at")),
        read("association_id"),
        read("status"),
    )
    yield Mark(made, "routing_status", association, status)
    if status in ACCEPTED_STATUSES and read("responded_at") is not None:
        days = whole_days(read("created_at"), read("responded_at"))
        yield Mark(made, "days_to_accept", association, str(days))
    if status == "closed" and read("closed_at") is not None:
        days = whole_days(read("created_at"), read("closed_at"))
        yield Mark(made, "days_to_close", association, str(days))
    if status == "declined" and read("decline_reason"):
        yield Mark(made, "decline_reason", association, read("decline_reason"))
    if status == "closed" and read("outcome"):
        yield Mark(made, "routing_outcome", association, read("outcome"))


MARKS: dict[type, tuple[tuple[str, ...], Callable[[Read], Iterator[Mark]]]] = {
    Referral: (REFERRAL_COUNTED, referral_marks),
    Routing: (ROUTING_COUNTED, routing_marks),
}


def keys_of(marks: Iterable[Mark]) -> Iterator[Key]:
    """Each mark is tallied twice: on its day and in its month."""
    for mark in marks:
        yield Key("day", mark.day, mark.dimension, mark.association_id, mark.value)
        yield Key("month", mark.day.replace(day=1), *mark[1:])


# --- Kept at every flush -------------------------------------------------------------


def _now(instance) -> Read:
    return lambda name: getattr(instance, name)


def _before(instance) -> Read:
    """The values the flush is replacing (the history still holds them in after_flush)."""
    attributes = instance._sa_instance_state.attrs

    def read(name: str) -> Any:
        history = attributes[name].history
        if history.has_changes():
            return history.deleted[0] if history.deleted else None
        return getattr(instance, name)

    return read


def _changed(instance, counted: tuple[str, ...]) -> bool:
    attributes = instance._sa_instance_state.attrs
    return any(attributes[name].history.has_changes() for name in counted)


def _note_deletions(session: Session, _context, _instances) -> None:
    """Deleted rows are read before the flush, while they can still be loaded."""
    leaving: Counter[Key] = session.info.setdefault("tallies_leaving", Counter())
    for instance in session.deleted:
        if type(instance) in MARKS:
            leaving.update(keys_of(MARKS[type(instance)][1](_before(instance))))


def _count_flush(session: Session, _context) -> None:
    changes: Counter[Key] = Counter()
    changes.subtract(session.info.pop("tallies_leaving", Counter()))
    for instance in session.new:
        if type(instance) in MARKS:
            changes.update(keys_of(MARKS[type(instance)][1](_now(instance))))
    for instance in session.dirty:
        if type(instance) not in MARKS or instance in session.deleted:
            continue
        counted, marks = MARKS[type(instance)]
        if _changed(instance, counted):
            changes.subtract(keys_of(marks(_before(instance))))
            changes.update(keys_of(marks(_now(instance))))
    add(session, changes)
    statuses: Counter[str] = Counter()
    for key, delta in changes.items():
        if key.grain == "day" and key.dimension == "status":
            statuses[key.value] += delta
    move_status_counts(session.connection(), statuses, _queue_touched(session))


def _queue_touched(session: Session) -> set[str]:
    """The statuses (before and after) of the referrals this flush adds or changes in
    a way the triage queue shows (a deletion always moves a count), and "routed" when
    a routing changes."""
    touched = {instance.status for instance in session.new if isinstance(instance, Referral)}
    for instance in session.dirty:
        if isinstance(instance, Referral) and _changed(instance, QUEUE_COLUMNS):
            touched.update((_before(instance)("status"), instance.status))
    # The queue's "routed, not yet accepted" reads the routings of routed referrals.
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(i, Routing) for i in changed):
        touched.add("routed")
    # The queue page also shows tags, the staff one can assign to and one's saved
    # filters: a change to any of them is a change seen in every status.
    if any(_changes_queue_choices(instance) for instance in changed):
        touched.update(STATUSES)
    return touched


def _changes_queue_choices(instance: object) -> bool:
    if isinstance(instance, Tag | ReferralTag | SavedFilter):
        return True
    return isinstance(instance, User) and _changed(instance, ("email", "role", "disabled"))


def move_status_counts(
    connection: Connection, deltas: Counter[str], touched: Iterable[str] = ()
) -> None:
    """The queue's counts by status, and the changes seen in each status (with a
    nonzero delta, or ``touched``), in status order (the same lock order everywhere)."""
    for status in sorted({status for status, delta in deltas.items() if delta}.union(touched)):
        connection.execute(
            update(StatusCount)
            .where(StatusCount.status == status)
            .values(
                count=StatusCount.count + deltas.get(status, 0),
                changes=StatusCount.changes + 1,
            )
        )


def _forget_deletions(session: Session, _previous_transaction=None) -> None:
    session.info.pop("tallies_leaving", None)


def keep_tallies() -> None:
    """Listen to every ORM session's flushes (once per process)."""
    if not event.contains(Session, "after_flush", _count_flush):
        event.listen(Session, "before_flush", _note_deletions)
        event.listen(Session, "after_flush", _count_flush)
        event.listen(Session, "after_soft_rollback", _forget_deletions)


def _upsert(dialect_name: str):
    insert = (postgresql if dialect_name == "postgresql" else sqlite).insert
    statement = insert(StatisticsTally)
    return statement.on_conflict_do_update(
        index_elements=list(Key._fields),
        set_={"count": StatisticsTally.count + statement.excluded["count"]},
    )


def add(session: Session, changes: Counter[Key], *, into_empty: bool = False) -> None:
    """Add each change to its tally (a new row when there is none), in key order;
    ``into_empty``: the table was just emptied, every row is new."""
    rows = [key._asdict() | {"count": delta} for key, delta in sorted(changes.items()) if delta]
    if not rows:
        return
    connection = session.connection()
    statement = insert(StatisticsTally) if into_empty else _upsert(connection.dialect.name)
    for start in range(0, len(rows), 10_000):
        connection.execute(statement, rows[start : start + 10_000])


# --- Counted again from the rows ----------------------------------------------------


def rebuild(session: Session) -> int:
    """Count every referral and routing again, from scratch: after rows were written
    without the ORM, or when what is tallied changed. Returns the tallies written."""
    session.flush()
    session.execute(delete(StatisticsTally))
    counts: Counter[Key] = Counter()
    for model, (counted, marks) in MARKS.items():
        columns = [getattr(model, name) for name in counted]
        for row in session.execute(select(*columns).execution_options(yield_per=20_000)):
            counts.update(keys_of(marks(row._mapping.__getitem__)))
    add(session, counts, into_empty=True)
    statuses = dict(
        session.execute(select(Referral.status, func.count()).group_by(Referral.status)).all()
    )
    for status in session.scalars(select(StatusCount.status)).all():
        session.execute(
            update(StatusCount)
            .where(StatusCount.status == status)
            .values(count=statuses.get(status, 0), changes=StatusCount.changes + 1)
        )
    return sum(1 for count in counts.values() if count)


def needs_rebuild(session: Session) -> bool:
    """The table is empty but there are referrals: it was just created, or emptied by a
    migration that changed what is tallied."""
    return bool(
        session.scalar(select(exists(select(Referral.id))))
        and not session.scalar(select(exists(select(StatisticsTally.start))))
    )


# --- Read for a period ---------------------------------------------------------------


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _in(period: Period):
    """The period's whole months from the monthly tallies, its other days from the
    daily ones."""
    months_from = period.first if period.first.day == 1 else _next_month(period.first)
    months_until = _next_month(period.last)  # exclusive
    if period.last + timedelta(days=1) != months_until:
        months_until = period.last.replace(day=1)
    grain, start = StatisticsTally.grain, StatisticsTally.start
    if months_from >= months_until:
        return and_(grain == "day", start >= period.first, start <= period.last)
    return or_(
        and_(grain == "month", start >= months_from, start < months_until),
        and_(grain == "day", start >= period.first, start < months_from),
        and_(grain == "day", start >= months_until, start <= period.last),
    )


class Tallied(NamedTuple):
    #: (dimension, association_id, value) → count.
    margins: Counter
    #: "2026-03" → referrals received that month.
    months: Counter


def tallied(session: Session, period: Period) -> Tallied:
    within = _in(period)
    margins: Counter = Counter()
    for dimension, association_id, value, count in session.execute(
        select(
            StatisticsTally.dimension,
            StatisticsTally.association_id,
            StatisticsTally.value,
            func.sum(StatisticsTally.count),
        )
        .where(within)
        .group_by(StatisticsTally.dimension, StatisticsTally.association_id, StatisticsTally.value)
    ):
        margins[dimension, association_id, value] += count
    months: Counter = Counter()
    for start, count in session.execute(
        select(StatisticsTally.start, func.sum(StatisticsTally.count))
        .where(within, StatisticsTally.dimension == "kind")
        .group_by(StatisticsTally.start)
    ):
        months[f"{start:%Y-%m}"] += count
    return Tallied(margins, months)
