"""Retention (CNIL): how long a closed case is kept, and its purge by crypto-shredding.

A case is kept while it is open. Once it ends, the clock of its category runs from
the day it ended: closed without follow-up (or as a duplicate), a request for an
opinion answered, a report closed, or transmitted to a prosecutor (from the day of
transmission, whatever happens after). An administrator may keep one case longer,
with a reason.

A purge deletes every ciphertext of the case (document, identity, attachments and
their chunks, messages, notes, the prosecutor's reference, the associations'
outcomes), every copy of its data key (key grants, the reporter's wrapped key) and
the receipt's lookup token, so that nothing that remains can be opened. The row
keeps its plaintext columns, and its routings their statuses and dates: the
statistical record of DESIGN §3, so that no figure changes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session, load_only

from portal.casework import workflow
from portal.models import (
    Attachment,
    BlindIndexEntry,
    KeyGrant,
    Message,
    Note,
    Referral,
    RetentionRule,
    Routing,
    User,
    utcnow,
)
from portal.records.audit import record_event
from portal.statistics.calendar import STATISTICS_ZONE

#: Category → what an administrator reads. The proposed months are in migration 0011
#: and the README says why.
CATEGORIES = {
    "closed_without_follow_up": _l("Closed without follow-up, or a duplicate"),
    "opinion_answered": _l("Request for an opinion, answered"),
    "report_closed": _l("Report, closed"),
    "transmitted_to_prosecutor": _l("Transmitted to a prosecutor (art. 40)"),
}
#: The longest an administrator may set or extend, in months.
LONGEST = 240
#: How far ahead the administration page looks.
NOTICE_DAYS = 30
WITHOUT_FOLLOW_UP = ("no_follow_up", "duplicate")


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _paris_day(moment: datetime) -> date:
    return moment.astimezone(STATISTICS_ZONE).date()


def category_of(referral: Referral) -> tuple[str, date] | None:
    """The category of an ended case and the day it ended; ``None`` while it is open."""
    if referral.prosecutor_date is not None:
        return "transmitted_to_prosecutor", referral.prosecutor_date
    if referral.status != "closed" or referral.closed_at is None:
        return None
    ended = _paris_day(referral.closed_at)
    if referral.closing_reason in WITHOUT_FOLLOW_UP:
        return "closed_without_follow_up", ended
    return ("opinion_answered" if referral.kind == "opinion" else "report_closed"), ended


def rules(session: Session) -> dict[str, int]:
    return dict(session.execute(select(RetentionRule.category, RetentionRule.months)).all())


@dataclass(frozen=True)
class Ending:
    referral: Referral
    category: str
    #: The last day the case is kept; it is purged from the day after.
    kept_until: date
    extended: bool


def ending_of(referral: Referral, months: dict[str, int]) -> Ending | None:
    found = category_of(referral)
    if found is None or referral.purged_at is not None:
        return None
    category, ended = found
    kept_until = add_months(ended, months[category])
    extended = referral.retention_until is not None and referral.retention_until > kept_until
    if extended:
        kept_until = referral.retention_until
    return Ending(referral, category, kept_until, extended)


#: What ``category_of`` and ``ending_of`` read of a referral, and what the page shows.
DATED_COLUMNS = (
    Referral.public_id,
    Referral.kind,
    Referral.status,
    Referral.closing_reason,
    Referral.closed_at,
    Referral.prosecutor_date,
    Referral.retention_until,
    Referral.purged_at,
)


def endings(session: Session, until: date) -> list[Ending]:
    """Every case not purged whose keeping ends on or before ``until``, soonest first."""
    months = rules(session)
    # The dates and categories only: never the ciphertext of thousands of closed cases.
    candidates = session.scalars(
        select(Referral)
        .options(load_only(*DATED_COLUMNS))
        .where(
            Referral.purged_at.is_(None),
            or_(Referral.status == "closed", Referral.prosecutor_date.is_not(None)),
        )
    )
    found = [
        ending
        for referral in candidates
        if (ending := ending_of(referral, months)) is not None and ending.kept_until <= until
    ]
    return sorted(found, key=lambda ending: (ending.kept_until, ending.referral.id))


def set_rules(session: Session, months: dict[str, int], actor: User) -> None:
    if set(months) != set(CATEGORIES) or not all(1 <= n <= LONGEST for n in months.values()):
        raise ValueError("a number of months between 1 and 240 for every category")
    before = rules(session)
    for category, count in months.items():
        session.execute(
            update(RetentionRule)
            .where(RetentionRule.category == category)
            .values(months=count, updated_at=utcnow(), updated_by_id=actor.id)
        )
    changed = {f"{c}": f"{before.get(c)}→{n}" for c, n in months.items() if before.get(c) != n}
    record_event(
        session, actor=actor.actor, action="retention.rules", target="retention", details=changed
    )


def extend(
    session: Session,
    ending: Ending,
    months: int,
    reason: str,
    data_key: bytes,
    actor: User,
    today: date,
) -> date:
    """Keep the case ``months`` longer than it would have been (or than today); the
    reason is an internal note of the case, encrypted like any note."""
    if not 1 <= months <= LONGEST:
        raise ValueError("between 1 and 240 months")
    referral = ending.referral
    start = max(ending.kept_until, today)
    referral.retention_until = add_months(start, months)
    workflow.add_note(session, referral, data_key, actor, reason)
    record_event(
        session,
        actor=actor.actor,
        action="retention.extend",
        target=f"referral:{referral.public_id}",
        details={"until": referral.retention_until.isoformat(), "months": months},
    )
    session.flush()
    return referral.retention_until


def purge(session: Session, ending: Ending, actor: str = "system") -> None:
    """Crypto-shred one case (see the module's docstring); audited."""
    referral = ending.referral
    for model in (Attachment, Message, Note, KeyGrant, BlindIndexEntry):
        session.execute(
            delete(model)
            .where(model.referral_id == referral.id)
            .execution_options(synchronize_session=False)
        )
    session.execute(
        update(Routing).where(Routing.referral_id == referral.id).values(closing_text=None)
    )
    referral.document = b""
    referral.identity = None
    referral.reporter_wrapped_key = b""
    referral.prosecutor_reference = None
    # Unique and required: random bytes no receipt derives to, in place of the token.
    referral.lookup_token = os.urandom(32)
    referral.purged_at = utcnow()
    record_event(
        session,
        actor=actor,
        action="retention.purge",
        target=f"referral:{referral.public_id}",
        details={"category": ending.category, "kept_until": ending.kept_until.isoformat()},
    )
    session.flush()
    session.expire(referral, ["grants", "attachments", "messages"])


def forget_freed_pages(session: Session) -> None:
    """SQLite: the purged bytes are zeroed in the database file (``secure_delete``, set
    on every connection) but old pages also sit in the write-ahead log until a
    checkpoint; copy them back and empty the log. PostgreSQL keeps dead tuples until
    a vacuum, but with every copy of the data key gone they cannot be opened."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
