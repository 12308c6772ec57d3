"""Deadlines: what a case waits for, and by which day, in working days.

Working days are Monday to Friday except France's public holidays, from the maintained
``holidays`` package (national holidays: Miviludes works in Paris; the partners'
regional holidays, Alsace-Moselle's or overseas, are not taken off). Each referral
keeps the day its current wait should end (``due_on``) and what it waits for
(``due_kind``), set in the same transaction as the change that starts the wait:

- triage: 5 working days from receipt, or from the day a case came back to triage;
- the reporter's answer to a question: 15 working days from the question;
- an association's acceptance: 10 working days from the routing (the earliest of the
  routings still waiting, on the referral; each routing keeps its own).

A case is overdue once its day has passed (Paris time); a closed case, one with the
prosecutor or one every association has answered waits for nobody.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta

import holidays
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models import Referral, Routing
from portal.statistics.calendar import STATISTICS_ZONE

TRIAGE_WORKING_DAYS = 5
REPORTER_WORKING_DAYS = 15
ACCEPTANCE_WORKING_DAYS = 10
TRIAGE_STATUSES = ("new", "in_triage")
DUE_KINDS = ("triage", "reporter", "acceptance")


@functools.lru_cache(maxsize=64)
def _public_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.France(years=year))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _public_holidays(day.year)


def working_days_after(start: date, count: int) -> date:
    """The ``count``-th working day after ``start`` (``start`` itself not counted)."""
    day = start
    while count > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def paris_day(moment: datetime) -> date:
    return moment.astimezone(STATISTICS_ZONE).date()


def _set(referral: Referral, due: date | None, kind: str | None) -> None:
    referral.due_on, referral.due_kind = due, kind if due is not None else None


def on_received(referral: Referral) -> None:
    _set(
        referral, working_days_after(paris_day(referral.created_at), TRIAGE_WORKING_DAYS), "triage"
    )


def on_status(session: Session, referral: Referral, previous: str, today: date) -> None:
    """After ``referral`` moved from ``previous`` to its status, on ``today``."""
    status = referral.status
    if status in TRIAGE_STATUSES:
        if previous not in TRIAGE_STATUSES or referral.due_kind != "triage":
            _set(referral, working_days_after(today, TRIAGE_WORKING_DAYS), "triage")
    elif status == "awaiting_reporter":
        _set(referral, working_days_after(today, REPORTER_WORKING_DAYS), "reporter")
    elif status == "routed":
        on_routings_changed(session, referral)
    else:
        _set(referral, None, None)


def on_routed(routing: Routing, today: date) -> None:
    routing.accept_due = working_days_after(today, ACCEPTANCE_WORKING_DAYS)


def on_routings_changed(session: Session, referral: Referral) -> None:
    """A routed referral waits for the earliest acceptance still due, or for nobody."""
    if referral.status != "routed":
        return
    session.flush()
    earliest = session.scalar(
        select(func.min(Routing.accept_due)).where(
            Routing.referral_id == referral.id, Routing.status == "pending"
        )
    )
    _set(referral, earliest, "acceptance")


def is_overdue(due_on: date | None, today: date) -> bool:
    return due_on is not None and due_on < today


def fill_missing(session: Session) -> int:
    """Open cases written before deadlines existed get theirs, counted from their
    receipt, their last change or their routing (``portal init``). Returns how many."""
    filled = 0
    waiting = select(Referral).where(
        Referral.due_on.is_(None),
        Referral.purged_at.is_(None),
        Referral.status.in_((*TRIAGE_STATUSES, "awaiting_reporter", "routed")),
    )
    for referral in session.scalars(waiting):
        if referral.status in TRIAGE_STATUSES:
            on_received(referral)
        elif referral.status == "awaiting_reporter":
            days = working_days_after(paris_day(referral.updated_at), REPORTER_WORKING_DAYS)
            _set(referral, days, "reporter")
        else:
            for routing in session.scalars(
                select(Routing).where(
                    Routing.referral_id == referral.id, Routing.accept_due.is_(None)
                )
            ):
                on_routed(routing, paris_day(routing.created_at))
            on_routings_changed(session, referral)
        filled += 1
    session.flush()
    return filled
