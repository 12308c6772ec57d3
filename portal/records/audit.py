"""Writing to and verifying the keyed, hash-chained audit log (DESIGN §6).

Each event is sealed with HMAC-SHA256 under the installation's audit key (a secret
kept outside the database) over the previous event's seal and the event's own
canonical form (sequence number, time, actor, action, target, details). Whoever
can write to the database but does not hold the key can neither edit an event, nor
rewrite the chain after an edit, nor append one: verification names the event.
Cutting events off the end leaves a chain that still holds, so its head is
published outside the database (``portal audit publish-head``, daily) and checked
with ``portal audit verify --head``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import String, select, text, type_coerce, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.models import User, utcnow
from portal.models.audit import AuditEvent
from portal.records import outbox
from portal.vocabulary import LANGUAGES

GENESIS = bytes(32)
MAX_DETAIL_LENGTH = 120
ATTEMPTS = 20
#: Arbitrary constant naming the audit log's PostgreSQL advisory lock.
APPEND_LOCK_KEY = 0x6D69_7669_6175_6474
#: Before the log was keyed (plain SHA-256); only ``seal_unkeyed_events`` accepts it.
UNKEYED_DOMAIN = b"miviludes-portal/audit/v1"
KEYED_DOMAIN = b"miviludes-portal/audit/v2"

#: Why an event does not verify, as ``verify`` says it ("Event 12 …").
CHANGED = "was changed after it was written: its seal does not match its contents"
UNKEYED = (
    "was sealed without the audit key (written before the log was keyed, or forged): "
    "run `portal init` once to seal an older log"
)
UNLINKED = "was moved: it does not name the event before it"
MISSING = "is missing: the events before and after it do not follow each other"
UNREADABLE = "holds a value that cannot have been written by the portal"
NOTED_HEAD_MISSING = (
    "the noted head is not in the log: events were removed or the log was rewritten "
    "after it was noted"
)


class AuditDetailsRefused(ValueError):
    """Details must be short scalars: the log must never hold content or secrets."""


def audit_key() -> bytes:
    """The key the application was configured with (DESIGN §2: kept in app.extensions)."""
    return current_app.extensions["portal.config"].key_bytes("audit_key")


def _canonical_details(details: Mapping[str, object] | None) -> str:
    details = dict(details or {})
    for key, value in details.items():
        if not isinstance(value, str | int | bool | type(None)):
            raise AuditDetailsRefused(f"{key}: only short scalar values")
        if isinstance(value, str) and len(value) > MAX_DETAIL_LENGTH:
            raise AuditDetailsRefused(f"{key}: longer than {MAX_DETAIL_LENGTH} characters")
    return json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class _StoredEvent:
    """An event as read back for verification: raw values, checked one by one, so a
    value no code of the portal wrote is reported rather than raised."""

    id: int
    occurred_at: object
    actor: object
    action: object
    target: object
    details: object
    prev_hash: object
    hash: object

    def body(self) -> bytes:
        """The canonical form that is sealed; ``ValueError`` when a value is garbage."""
        for value in (self.actor, self.action, self.target, self.details):
            if not isinstance(value, str):
                raise ValueError("not text")
        return _body(
            self.id, _as_utc(self.occurred_at), self.actor, self.action, self.target, self.details
        )


def _as_utc(value: object) -> datetime:
    """SQLite returns the stored text, PostgreSQL a datetime: one UTC instant either way."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise ValueError("not a time")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _body(
    event_id: int, occurred_at: datetime, actor: str, action: str, target: str, details: str
) -> bytes:
    return json.dumps(
        [event_id, occurred_at.isoformat(), actor, action, target, details],
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode("utf-8")


def seal(key: bytes, prev_hash: bytes, body: bytes) -> bytes:
    return hmac.new(key, KEYED_DOMAIN + prev_hash + body, hashlib.sha256).digest()


def _unkeyed_seal(prev_hash: bytes, body: bytes) -> bytes:
    return hashlib.sha256(UNKEYED_DOMAIN + prev_hash + body).digest()


def record_event(
    session: Session,
    *,
    actor: str,
    action: str,
    target: str,
    details: Mapping[str, object] | None = None,
    key: bytes | None = None,
) -> AuditEvent:
    """Append one event. Safe under concurrent writers: the loser of a race retries."""
    canonical = _canonical_details(details)
    key = audit_key() if key is None else key
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
        event.hash = seal(
            key,
            event.prev_hash,
            _body(event.id, event.occurred_at, actor, action, target, canonical),
        )
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


def _stored_events(session: Session) -> Iterator[_StoredEvent]:
    """Every event in order, without the model's type conversions (which would raise
    on a value written behind the portal's back)."""
    table = AuditEvent.__table__
    query = select(
        table.c.id,
        type_coerce(table.c.occurred_at, String),
        table.c.actor,
        table.c.action,
        table.c.target,
        table.c.details,
        table.c.prev_hash,
        table.c.hash,
    ).order_by(table.c.id)
    for row in session.execute(query.execution_options(yield_per=1000)):
        yield _StoredEvent(*row)


@dataclass(frozen=True)
class Verification:
    events: int
    head: bytes
    #: The id of the last event that verified (0 for an empty log).
    head_id: int = 0
    #: The first event that does not verify, and why; ``None`` when the chain holds.
    broken_at: int | None = None
    reason: str = ""
    #: With a noted head: the event that has it (``None``: not found, or none given).
    noted_head_at: int | None = None

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def verify_chain(session: Session, key: bytes, noted_head: bytes | None = None) -> Verification:
    """Walk the log from its start; stop at the first event that does not verify.

    ``noted_head``: a head published earlier. It must be the seal of one of the
    events (those after it were appended since); otherwise events were cut off or
    the chain was rewritten."""
    previous, expected_id, count, noted_at = GENESIS, 1, 0, None

    def broken(event_id: int, reason: str) -> Verification:
        return Verification(count, previous, expected_id - 1, event_id, reason, noted_at)

    for event in _stored_events(session):
        if event.id != expected_id:
            return broken(expected_id, MISSING)
        try:
            body = event.body()
        except ValueError:
            return broken(event.id, UNREADABLE)
        if not isinstance(event.hash, bytes) or not hmac.compare_digest(
            seal(key, previous, body), event.hash
        ):
            unkeyed = isinstance(event.hash, bytes) and _unkeyed_seal(previous, body) == event.hash
            return broken(event.id, UNKEYED if unkeyed else CHANGED)
        if event.prev_hash != previous:
            return broken(event.id, UNLINKED)
        count += 1
        previous, expected_id = event.hash, expected_id + 1
        if noted_head is not None and hmac.compare_digest(event.hash, noted_head):
            noted_at = event.id
    if noted_head is not None and noted_at is None:
        return Verification(
            count,
            previous,
            expected_id - 1,
            expected_id,
            NOTED_HEAD_MISSING,
        )
    return Verification(count, previous, expected_id - 1, noted_head_at=noted_at)


def seal_unkeyed_events(session: Session, key: bytes) -> int:
    """Seal under the key a log written before it was keyed (an upgrade, once).

    Only a log whose every event still verifies (unkeyed or keyed) is sealed; the
    number of events sealed is returned and the old head is recorded in a final
    event, so the unkeyed head noted before the upgrade still means something."""
    first = session.execute(
        select(AuditEvent.hash, AuditEvent.prev_hash).order_by(AuditEvent.id).limit(1)
    ).first()
    if first is None or first.prev_hash != GENESIS:
        return 0  # empty, or not a log this can be about: ``verify`` says what is wrong
    events = list(_stored_events(session))
    try:
        if _unkeyed_seal(GENESIS, events[0].body()) != events[0].hash:
            return 0  # keyed already (or broken: ``verify`` says where)
    except ValueError:
        return 0
    old_previous, new_previous, to_seal, old_head = GENESIS, GENESIS, [], GENESIS
    for expected_id, event in enumerate(events, start=1):
        try:
            body = event.body()
        except ValueError:
            body = None
        if (
            body is None
            or event.id != expected_id
            or event.prev_hash != old_previous
            or event.hash not in (_unkeyed_seal(old_previous, body), seal(key, old_previous, body))
        ):
            raise AuditLogBroken(expected_id)
        new_hash = seal(key, new_previous, body)
        if new_hash != event.hash:
            to_seal.append((event.id, new_previous, new_hash))
        old_previous = old_head = event.hash
        new_previous = new_hash
    if not to_seal:
        return 0
    table = AuditEvent.__table__
    for event_id, prev_hash, new_hash in to_seal:
        session.execute(
            update(table).where(table.c.id == event_id).values(prev_hash=prev_hash, hash=new_hash)
        )
    record_event(
        session,
        actor="system",
        action="audit.keyed",
        target="audit:log",
        details={"events": len(to_seal), "unkeyed_head": old_head.hex()},
        key=key,
    )
    return len(to_seal)


class AuditLogBroken(RuntimeError):
    def __init__(self, event_id: int) -> None:
        super().__init__(f"event {event_id} does not verify")
        self.event_id = event_id


def head_line(result: Verification, checked_at: datetime) -> str:
    """The line published outside the database: in the server log and to administrators."""
    when = f"{checked_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    if not result.intact:
        return (
            f"audit log BROKEN: event {result.broken_at} {result.reason} "
            f"({result.events} events verify before it; checked {when})"
        )
    return f"audit head: event {result.head_id}, {result.head.hex()} (checked {when})"


def publish_head(session: Session, key: bytes, checked_at: datetime) -> tuple[Verification, str]:
    """Verify the log, log its head and queue it by e-mail to every active administrator,
    so that copies exist where whoever can write to the database cannot reach."""
    result = verify_chain(session, key)
    line = head_line(result, checked_at)
    subject, body = _head_email(result, line)
    for email in session.scalars(
        select(User.email).where(User.role == "admin", User.disabled.is_(False))
    ):
        outbox.queue_email(session, email, subject, body)
    return result, line


def _head_email(result: Verification, line: str) -> tuple[str, str]:
    """French then English, like every notification; the head itself is not translated."""
    subjects, paragraphs = [], []
    for language in LANGUAGES:
        with force_locale(language):
            if result.intact:
                subjects.append(gettext("Miviludes portal: today's audit log head"))
                paragraphs.append(
                    gettext(
                        "Keep this e-mail. It notes the last event of the audit log today. "
                        "If events are ever removed or rewritten, the command below, run on "
                        "the server, says so:"
                    )
                )
            else:
                subjects.append(gettext("Miviludes portal: the audit log does not verify"))
                paragraphs.append(
                    gettext(
                        "The audit log does not verify: an event was changed, removed or "
                        "added without the audit key. Keep this e-mail and warn the "
                        "security officer. The server says:"
                    )
                )
    command = f"portal audit verify --head {result.head.hex()}" if result.intact else ""
    body = "\n\n".join([*paragraphs, f"{line}\n{command}".rstrip()])
    return " / ".join(subjects), body + "\n"
