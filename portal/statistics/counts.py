"""A period's figures, counted by the database from the plaintext metadata alone.

Every figure is a ``GROUP BY`` over the referrals received in the period (read from
``ix_referrals_statistics``), over the routings made in it, or over the art. 40
transmissions dated in it; delays are histograms of whole days, whose medians are
taken here. A purged referral keeps these columns (DESIGN §3), so figures never
change after a purge.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from portal.models import Association, Referral, Routing
from portal.statistics.calendar import Period
from portal.statistics.sql import days_between
from portal.vocabulary import DOMAIN_TREE


def median(histogram: dict[int, int]) -> float | None:
    """The median of values given as {value: how many}; ``None`` when there are none."""
    total = sum(histogram.values())
    if total == 0:
        return None
    wanted = {(total - 1) // 2, total // 2}
    found, seen = [], 0
    for value in sorted(histogram):
        count = histogram[value]
        found.extend(value for position in wanted if seen <= position < seen + count)
        seen += count
    return sum(found) / len(found)


@dataclass(frozen=True)
class Delay:
    """Whole days from one moment to another, as a histogram."""

    histogram: dict[int, int]

    @property
    def count(self) -> int:
        return sum(self.histogram.values())

    @property
    def median(self) -> float | None:
        return median(self.histogram)


@dataclass(frozen=True)
class AssociationFigures:
    association_id: int
    name: str
    by_status: Counter = field(default_factory=Counter)
    days_to_accept: Delay = field(default_factory=lambda: Delay({}))
    days_to_close: Delay = field(default_factory=lambda: Delay({}))

    @property
    def routed(self) -> int:
        return sum(self.by_status.values())

    @property
    def accepted(self) -> int:
        """Accepted at some point: still open with the association, or closed by it."""
        return self.by_status["accepted"] + self.by_status["closed"]


@dataclass(frozen=True)
class Activity:
    period: Period
    total: int
    by_kind: Counter
    by_family: Counter
    by_domain: Counter
    by_reporter_role: Counter
    #: Minor concerned: "yes", "no", "unknown".
    by_minor: Counter
    health_risk: int
    immediate_danger: int
    by_status: Counter
    by_closing_reason: Counter
    #: Region code (None: abroad or unknown) and département code.
    by_region: Counter
    by_departement: Counter
    #: Every month the period touches, zeros included.
    by_month: dict[str, int]
    days_to_first_action: Delay
    days_to_closing: Delay
    prosecutor_transmissions: int
    associations: list[AssociationFigures]


def _received_in(period: Period) -> ColumnElement[bool]:
    """The month bounds let the index be read from the period's first month only."""
    return and_(
        Referral.month >= period.first_month,
        Referral.month <= period.last_month,
        Referral.created_at >= period.start,
        Referral.created_at < period.end,
    )


def _delay(session: Session, start, end, *conditions) -> Delay:
    days = days_between(start, end)
    rows = session.execute(
        select(days, func.count()).where(end.is_not(None), *conditions).group_by(days)
    ).all()
    return Delay({value: count for value, count in rows})


def count_activity(session: Session, period: Period, association_id: int | None = None) -> Activity:
    """The figures of ``period``. With ``association_id``, the referrals routed to that
    association in the period and its routings only (a partner's own figures)."""
    received = _received_in(period)
    if association_id is not None:
        routed_here = select(Routing.referral_id).where(Routing.association_id == association_id)
        received = and_(received, Referral.id.in_(routed_here))
    # Two small cubes rather than one of every column: each figure is a margin of one
    # of them, and a few hundred groups are read instead of thousands.
    who_and_what = session.execute(
        select(Referral.kind, Referral.domain, Referral.reporter_role, func.count())
        .where(received)
        .group_by(Referral.kind, Referral.domain, Referral.reporter_role)
    ).all()
    flags_and_outcome = session.execute(
        select(
            Referral.minor_involved,
            Referral.health_risk,
            Referral.urgent,
            Referral.status,
            Referral.closing_reason,
            func.count(),
        )
        .where(received)
        .group_by(
            Referral.minor_involved,
            Referral.health_risk,
            Referral.urgent,
            Referral.status,
            Referral.closing_reason,
        )
    ).all()
    by = {name: Counter() for name in ("kind", "family", "domain", "role", "minor", "status")}
    by_closing_reason: Counter = Counter()
    total = health_risk = immediate_danger = 0
    for kind, domain, role, count in who_and_what:
        total += count
        by["kind"][kind] += count
        by["domain"][domain] += count
        known = DOMAIN_TREE.get(domain)
        by["family"][known.family if known else "other"] += count
        by["role"][role] += count
    for minor, health, urgent, status, reason, count in flags_and_outcome:
        by["minor"][minor] += count
        by["status"][status] += count
        if status == "closed" and reason:
            by_closing_reason[reason] += count
        health_risk += count if health else 0
        immediate_danger += count if urgent else 0

    places = session.execute(
        select(Referral.region_code, Referral.departement, func.count())
        .where(received)
        .group_by(Referral.region_code, Referral.departement)
    ).all()
    by_region: Counter = Counter()
    by_departement: Counter = Counter()
    for region, departement, count in places:
        by_region[region] += count
        by_departement[departement] += count

    months = dict(
        session.execute(
            select(Referral.month, func.count()).where(received).group_by(Referral.month)
        ).all()
    )
    transmitted = select(func.count()).where(
        Referral.prosecutor_date >= period.first, Referral.prosecutor_date <= period.last
    )
    if association_id is not None:
        transmitted = transmitted.where(Referral.id.in_(routed_here))

    return Activity(
        period=period,
        total=total,
        by_kind=by["kind"],
        by_family=by["family"],
        by_domain=by["domain"],
        by_reporter_role=by["role"],
        by_minor=by["minor"],
        health_risk=health_risk,
        immediate_danger=immediate_danger,
        by_status=by["status"],
        by_closing_reason=by_closing_reason,
        by_region=by_region,
        by_departement=by_departement,
        by_month={month: months.get(month, 0) for month in period.months()},
        days_to_first_action=_delay(
            session, Referral.created_at, Referral.first_action_at, received
        ),
        days_to_closing=_delay(
            session, Referral.created_at, Referral.closed_at, received, Referral.status == "closed"
        ),
        prosecutor_transmissions=session.scalar(transmitted) or 0,
        associations=_association_figures(session, period, association_id),
    )


def _association_figures(
    session: Session, period: Period, association_id: int | None
) -> list[AssociationFigures]:
    made = and_(Routing.created_at >= period.start, Routing.created_at < period.end)
    if association_id is not None:
        made = and_(made, Routing.association_id == association_id)
    figures: dict[int, AssociationFigures] = {}
    rows = session.execute(
        select(Routing.association_id, Routing.status, func.count())
        .where(made)
        .group_by(Routing.association_id, Routing.status)
    ).all()
    names = dict(
        session.execute(
            select(Association.id, Association.name).where(
                Association.id.in_({found_id for found_id, _status, _count in rows})
            )
        ).all()
    )
    for found_id, status, count in rows:
        figures.setdefault(found_id, AssociationFigures(found_id, names[found_id]))
        figures[found_id].by_status[status] += count
    for attribute, end, statuses in (
        ("days_to_accept", Routing.responded_at, ("accepted", "closed")),
        ("days_to_close", Routing.closed_at, ("closed",)),
    ):
        days = days_between(Routing.created_at, end)
        delays = session.execute(
            select(Routing.association_id, days, func.count())
            .where(made, end.is_not(None), Routing.status.in_(statuses))
            .group_by(Routing.association_id, days)
        ).all()
        for found_id, value, count in delays:
            getattr(figures[found_id], attribute).histogram[value] = count
    return sorted(figures.values(), key=lambda association: association.name.casefold())


def years_with_referrals(session: Session, this_year: int) -> list[int]:
    """Every year from the oldest referral's to this one (or the newest's), newest first:
    the years the statistics page offers."""
    oldest, newest = session.execute(
        select(func.min(Referral.month), func.max(Referral.month))
    ).one()
    first = min(int(oldest[:4]), this_year) if oldest else this_year
    last = max(int(newest[:4]), this_year) if newest else this_year
    return list(range(last, first - 1, -1))
