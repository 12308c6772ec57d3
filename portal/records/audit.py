"""Writing to and verifying the hash-chained audit log (DESIGN §6).

Each event's hash is SHA-256 over the previous hash and the event's own canonical
form (sequence number, time, actor, action, target, details). Editing an event,
deleting one in the middle or reordering them breaks the chain at that event.
Cutting events off the end cannot be seen from inside the chain: ``verify`` reports
the head hash so that operators can note it elsewhere (an external anchor).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.models import utcnow
from portal.models.audit import AuditEvent

GENESIS = bytes(32)
MAX_DETAIL_LENGTH = 120
ATTEMPTS = 20
#: Arbitrary constant naming the audit log's PostgreSQL advisory lock.
APPEND_LOCK_KEY = 0x6D69_7669_6175_6474


class AuditDetailsRefused(ValueError):
    """Details must be short scalars: the log must never hold content or secrets."""


def _canonical_details(details: Mapping[str, object] | None) -> str:
    details = dict(details or {})
    for key, value in details.items():
        if not isinstance(value, str | int | bool | type(None)):
            raise AuditDetailsRefused(f"{key}: only short scalar values")
        if isinstance(value, str) and len(value) > MAX_DETAIL_LENGTH:
            raise AuditDetailsRefused(f"{key}: longer than {MAX_DETAIL_LENGTH} characters")
    return json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(prev_hash: bytes, event: AuditEvent) -> bytes:
    body = json.dumps(
        [
            event.id,
            event.occurred_at.isoformat(),
            event.actor,
            event.action,
            event.target,
            event.details,
        ],
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode("utf-8")
    return hashlib.sha256(b"miviludes-portal/audit/v1" + prev_hash + body).digest()


def record_event(
    session: Session,
    *,
    actor: str,
    action: str,
    target: str,
    details: Mapping[str, object] | None = None,
) -> AuditEvent:
    """Append one event. Safe under concurrent writers: the loser of a race retries."""
    canonical = _canonical_details(details)
    _serialise_appends(session)
    for _ in range(ATTEMPTS):
        last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).first()
        event = AuditEvent(
            id=(last.id + 1) if last else 1,
            occurred_at=utcnow().replace(microsecond=0),
            actor=actor,
            action=action,
            target=target,
            details=canonical,
            prev_hash=last.hash if last else GENESIS,
        )
        event.hash = event_hash(event.prev_hash, event)
        try:
            with session.begin_nested():
                session.add(event)
        except IntegrityError:
            session.expire_all()
            continue
        return event
    raise RuntimeError("could not append to the audit log")


def _serialise_appends(session: Session) -> None:
    """Hold the log's write lock until the transaction ends, so reading the head
    and appending after it cannot interleave with another writer.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: a write that matches no
    row still takes the database's write lock (the busy timeout queues writers).
    The unique ``prev_hash`` and the retry below remain as a safety net.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_LOCK_KEY})
    else:
        session.execute(
            update(AuditEvent).where(AuditEvent.id < 0).values(action=AuditEvent.action)
        )


@dataclass(frozen=True)
class Verification:
    events: int
    head: bytes
    #: The first event that does not chain, and why; ``None`` when the chain holds.
    broken_at: int | None = None
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def verify_chain(session: Session) -> Verification:
    previous_hash, expected_id, count = GENESIS, 1, 0
    for event in session.scalars(
        select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=1000)
    ):
        count += 1
        if event.id != expected_id:
            return Verification(count, previous_hash, expected_id, "an event is missing")
        if event.prev_hash != previous_hash:
            return Verification(
                count, previous_hash, event.id, "does not follow the previous event"
            )
        if event_hash(previous_hash, event) != event.hash:
            return Verification(count, previous_hash, event.id, "was changed after it was written")
        previous_hash, expected_id = event.hash, expected_id + 1
    return Verification(count, previous_hash)
