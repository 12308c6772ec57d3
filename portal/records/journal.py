"""The audit log as administrators read it: filtered, in pages, exported.

Pages are keyset pages on the event number (never OFFSET: the log only grows, and
page 2,000 costs what page 1 does). Reading and exporting are themselves written
to the log by the views that call this module.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, exists, func, select, true
from sqlalchemy.orm import Session

from portal.accounts import normalise_email
from portal.models import User
from portal.models.audit import AuditEvent
from portal.statistics.calendar import Period

PAGE_SIZE = 50
#: What an export holds at most: the whole log of several years.
EXPORT_LIMIT = 200_000


@dataclass(frozen=True)
class EventFilter:
    """Empty fields filter nothing. ``actor``: an e-mail address or an actor as stored
    ("system", "reporter", "user:12"); ``target``: the beginning of a target
    ("referral:2026-" lists every referral of 2026)."""

    actor: str = ""
    action: str = ""
    target: str = ""
    first: date | None = None
    last: date | None = None

    def as_details(self) -> dict[str, str]:
        """For the audit event that records the reading (short scalars)."""
        found = {
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "from": self.first.isoformat() if self.first else "",
            "until": self.last.isoformat() if self.last else "",
        }
        return {name: value[:120] for name, value in found.items() if value}


@dataclass(frozen=True)
class EventPage:
    events: list[AuditEvent]
    #: Cursors for the next pages, ``None`` at either end.
    older_than: int | None
    newer_than: int | None


def _actor(session: Session, typed: str) -> str:
    if "@" not in typed:
        return typed
    user_id = session.scalar(select(User.id).where(User.email == normalise_email(typed)))
    return f"user:{user_id}" if user_id is not None else typed


def _matching(session: Session, wanted: EventFilter) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    if wanted.actor:
        conditions.append(AuditEvent.actor == _actor(session, wanted.actor.strip()))
    if wanted.action:
        conditions.append(AuditEvent.action == wanted.action)
    if wanted.target:
        conditions.append(AuditEvent.target.startswith(wanted.target.strip(), autoescape=True))
    if wanted.first:
        conditions.append(AuditEvent.occurred_at >= Period(wanted.first, wanted.first).start)
    if wanted.last:
        conditions.append(AuditEvent.occurred_at < Period(wanted.last, wanted.last).end)
    return and_(true(), *conditions)


def events_page(
    session: Session,
    wanted: EventFilter,
    *,
    older_than: int | None = None,
    newer_than: int | None = None,
    size: int = PAGE_SIZE,
) -> EventPage:
    """The newest matching events, or those just before ``older_than`` or just after
    ``newer_than`` (event numbers)."""
    matching = _matching(session, wanted)
    query = select(AuditEvent).where(matching)
    if newer_than is not None:
        rows = session.scalars(
            query.where(AuditEvent.id > newer_than).order_by(AuditEvent.id).limit(size + 1)
        ).all()
        events = list(reversed(rows[:size]))
        more_newer, more_older = len(rows) > size, bool(events)
    else:
        if older_than is not None:
            query = query.where(AuditEvent.id < older_than)
        rows = session.scalars(query.order_by(AuditEvent.id.desc()).limit(size + 1)).all()
        events = list(rows[:size])
        more_older, more_newer = len(rows) > size, older_than is not None and bool(events)
    if not events:
        return EventPage([], None, None)

    def any_beyond(condition: ColumnElement[bool]) -> bool:
        return bool(session.scalar(select(exists().where(matching, condition))))

    # The side the page was not read from is asked once: is there anything there?
    if newer_than is not None:
        more_older = any_beyond(AuditEvent.id < events[-1].id)
    elif older_than is not None:
        more_newer = any_beyond(AuditEvent.id > events[0].id)
    return EventPage(
        events,
        events[-1].id if more_older else None,
        events[0].id if more_newer else None,
    )


def matching_events(session: Session, wanted: EventFilter) -> Iterator[AuditEvent]:
    """Every matching event, oldest first (an export), up to ``EXPORT_LIMIT``."""
    query = (
        select(AuditEvent)
        .where(_matching(session, wanted))
        .order_by(AuditEvent.id)
        .limit(EXPORT_LIMIT)
        .execution_options(yield_per=2_000)
    )
    yield from session.scalars(query)


def known_actions(session: Session) -> list[str]:
    """Every action the log holds, for the filter's list (read from its index)."""
    return list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def actor_emails(session: Session, events: list[AuditEvent]) -> dict[str, str]:
    """ "user:12" → the account's e-mail address, for the accounts in ``events``."""
    ids = {
        int(event.actor.removeprefix("user:"))
        for event in events
        if event.actor.startswith("user:") and event.actor.removeprefix("user:").isdigit()
    }
    if not ids:
        return {}
    return {
        f"user:{user_id}": email
        for user_id, email in session.execute(select(User.id, User.email).where(User.id.in_(ids)))
    }


@dataclass(frozen=True)
class Head:
    event_id: int
    seal: bytes


def head(session: Session) -> Head | None:
    """The newest event and its seal: what ``portal audit publish-head`` publishes."""
    newest = session.scalar(select(func.max(AuditEvent.id)))
    if newest is None:
        return None
    return Head(newest, session.get_one(AuditEvent, newest).hash)


@dataclass(frozen=True)
class Verified:
    """The latest verification made from the web page, as its event recorded it."""

    event: AuditEvent
    events: int
    broken_at: int | None


def last_verification(session: Session) -> Verified | None:
    found = session.scalar(
        select(AuditEvent)
        .where(AuditEvent.action == "audit.verify")
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    if found is None:
        return None
    details = json.loads(found.details)
    return Verified(found, int(details.get("events", 0)), details.get("broken_at"))
