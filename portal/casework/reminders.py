"""Reminders by e-mail through the outbox (``portal reminders run``, each morning):

- an association whose answer to a routing is past its deadline is reminded on the
  first working day after, then every five working days while it does not answer;
- staff receive one digest a working day: how many cases wait to be triaged, are
  overdue, wait for an association, and how many are theirs to read, with links.

Never a word of a case: counts and links. Running it again the same day sends
nothing more (each routing keeps the day it was reminded; each digest its day).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.casework import deadlines, notices, unread
from portal.models import MIVILUDES_ROLES, Referral, Routing, StaffDigest, User
from portal.records import outbox
from portal.records.audit import record_event
from portal.vocabulary import LANGUAGES

#: Working days between two reminders of the same late answer.
REMINDER_EVERY_WORKING_DAYS = 5


@dataclass(frozen=True)
class Sent:
    partner_reminders: int
    digests: int


def _due_again(routing: Routing, today: date) -> bool:
    if routing.reminded_on is None:
        return True
    return deadlines.working_days_after(routing.reminded_on, REMINDER_EVERY_WORKING_DAYS) <= today


def remind_partners(session: Session, today: date, case_url: Callable[[int], str]) -> int:
    late = session.scalars(
        select(Routing)
        .where(Routing.status == "pending", Routing.accept_due < today)
        .order_by(Routing.id)
    )
    reminded = 0
    for routing in late:
        if not _due_again(routing, today):
            continue
        members = session.scalars(
            select(User.email).where(
                User.association_id == routing.association_id, User.disabled.is_(False)
            )
        ).all()
        subject, body = notices.bilingual(
            _l("Miviludes: a case waits for your answer"),
            _l(
                "A case Miviludes routed to your association waits for your answer: please "
                "accept or decline it. Log in to read it:"
            ),
            dict.fromkeys(LANGUAGES, case_url(routing.id)),
        )
        for member in members:
            outbox.queue_email(session, member, subject, body)
        routing.reminded_on = today
        referral_id = session.scalar(
            select(Referral.public_id).where(Referral.id == routing.referral_id)
        )
        record_event(
            session,
            actor="system",
            action="routing.remind",
            target=f"referral:{referral_id}",
            details={"routing": routing.id, "members": len(members)},
        )
        reminded += 1
    return reminded


@dataclass(frozen=True)
class TeamCounts:
    to_triage: int
    overdue: int
    waiting_for_associations: int


def team_counts(session: Session, today: date) -> TeamCounts:
    def count(*conditions) -> int:
        return session.scalar(select(func.count()).select_from(Referral).where(*conditions))

    return TeamCounts(
        to_triage=count(Referral.status.in_(deadlines.TRIAGE_STATUSES)),
        overdue=count(Referral.due_on < today),
        waiting_for_associations=session.scalar(
            select(func.count()).select_from(Routing).where(Routing.status == "pending")
        ),
    )


def send_digest(session: Session, today: date, queue_url: Callable[[str], str]) -> int:
    """One a working day; returns how many accounts it went to (0 when already sent)."""
    if not deadlines.is_working_day(today) or session.get(StaffDigest, today) is not None:
        return 0
    session.add(StaffDigest(day=today))
    session.flush()  # a second run at the same moment stops here (primary key)
    counts = team_counts(session, today)
    staff = session.scalars(
        select(User).where(User.role.in_(MIVILUDES_ROLES), User.disabled.is_(False))
    ).all()
    for member in staff:
        to_read = unread.count_for(session, member.id)
        outbox.queue_email(session, member.email, *_digest(counts, to_read, queue_url))
    record_event(
        session,
        actor="system",
        action="digest.send",
        target="staff",
        details={"accounts": len(staff), "overdue": counts.overdue},
    )
    return len(staff)


def _digest(counts: TeamCounts, to_read: int, queue_url: Callable[[str], str]) -> tuple[str, str]:
    subjects, parts = [], []
    lines = (
        (_l("To triage: %(count)d"), counts.to_triage, "status=to_triage"),
        (_l("Overdue: %(count)d"), counts.overdue, "overdue=y&status=all"),
        (
            _l("Waiting for an association's answer: %(count)d"),
            counts.waiting_for_associations,
            "pending=y",
        ),
        (_l("Yours to read: %(count)d"), to_read, "to_read=y&status=all"),
    )
    for language in LANGUAGES:
        with force_locale(language):
            subjects.append(str(_l("Miviludes portal: today's cases")))
            parts.append(
                "\n".join(f"{str(label) % {'count': n}}\n{queue_url(q)}" for label, n, q in lines)
            )
    return " / ".join(subjects), "\n\n".join(parts) + "\n"


def run(
    session: Session,
    today: date,
    case_url: Callable[[int], str],
    queue_url: Callable[[str], str],
) -> Sent:
    return Sent(remind_partners(session, today, case_url), send_digest(session, today, queue_url))
