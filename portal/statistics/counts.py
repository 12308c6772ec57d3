"""A period's figures, from the plaintext metadata alone.

The portal's figures are added up from the tallies (``portal.statistics.tallies``):
per-day and per-month counts of each counted value, kept at every flush. A partner's
own figures, and the check of the tallies, are counted from the rows: each margin a
``GROUP BY`` over the referrals received in the period (read from
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
from portal.statistics.tallies import ACCEPTED_STATUSES, WHOLE_PORTAL, Tallied, tallied
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
    #: Over every association's routings made in the period.
    by_decline_reason: Counter
    by_routing_outcome: Counter
    #: Region code (None: abroad or unknown) and département code.
    by_region: Counter
    by_departement: Counter
    #: Every month the period touches, zeros included.
    by_month: dict[str, int]
    days_to_first_action: Delay
    days_to_closing: Delay
    prosecutor_transmissions: int
    associations: list[AssociationFigures]


#: Counted per association, shown added up over all of them.
ROUTING_REASONS = ("decline_reason", "routing_outcome")


def count_activity(session: Session, period: Period, association_id: int | None = None) -> Activity:
    """The figures of ``period``, added up from the tallies. With ``association_id``,
    the referrals routed to that association in the period and its routings only (a
    partner's own figures), counted from the rows: a partner's cases are few."""
    if association_id is None:
        return _activity(session, period, tallied(session, period))
    return _activity(session, period, _recounted(session, period, association_id))


def recount_activity(session: Session, period: Period) -> Activity:
    """The figures of ``period`` counted from the rows themselves: what the tallies must
    always equal (``portal statistics check``)."""
    return _activity(session, period, _recounted(session, period, None))


def _activity(session: Session, period: Period, found: Tallied) -> Activity:
    by: dict[str, Counter] = {}
    for (dimension, association_id, value), count in found.margins.items():
        if count and association_id == WHOLE_PORTAL:
            by.setdefault(dimension, Counter())[value] = count
        elif count and dimension in ROUTING_REASONS:
            by.setdefault(dimension, Counter())[value] += count
    by_domain = by.get("domain", Counter())
    by_family: Counter = Counter()
    for domain, count in by_domain.items():
        known = DOMAIN_TREE.get(domain)
        by_family[known.family if known else "other"] += count
    by_kind = by.get("kind", Counter())
    return Activity(
        period=period,
        total=sum(by_kind.values()),
        by_kind=by_kind,
        by_family=by_family,
        by_domain=by_domain,
        by_reporter_role=by.get("reporter_role", Counter()),
        by_minor=by.get("minor_involved", Counter()),
        health_risk=by.get("health_risk", Counter())[""],
        immediate_danger=by.get("urgent", Counter())[""],
        by_status=by.get("status", Counter()),
        by_closing_reason=by.get("closing_reason", Counter()),
        by_decline_reason=by.get("decline_reason", Counter()),
        by_routing_outcome=by.get("routing_outcome", Counter()),
        by_region=Counter(
            {region or None: count for region, count in by.get("region_code", {}).items()}
        ),
        by_departement=Counter(
            {place or None: count for place, count in by.get("departement", {}).items()}
        ),
        by_month={month: found.months.get(month, 0) for month in period.months()},
        days_to_first_action=_histogram(by.get("days_to_first_action", {})),
        days_to_closing=_histogram(by.get("days_to_closing", {})),
        prosecutor_transmissions=by.get("prosecutor", Counter())[""],
        associations=_association_figures(session, found.margins),
    )


def _histogram(counts: dict[str, int]) -> Delay:
    return Delay({int(days): count for days, count in counts.items()})


def _association_figures(session: Session, margins: Counter) -> list[AssociationFigures]:
    routed = {
        association_id
        for (dimension, association_id, _value), count in margins.items()
        if dimension == "routing_status" and count
    }
    names = dict(
        session.execute(
            select(Association.id, Association.name).where(Association.id.in_(routed))
        ).all()
    )
    figures = {
        association_id: AssociationFigures(
            association_id, names.get(association_id, f"#{association_id}")
        )
        for association_id in routed
    }
    for (dimension, association_id, value), count in margins.items():
        if association_id not in figures or not count:
            continue
        if dimension == "routing_status":
            figures[association_id].by_status[value] = count
        elif dimension in ("days_to_accept", "days_to_close"):
            getattr(figures[association_id], dimension).histogram[int(value)] = count
    return sorted(figures.values(), key=lambda association: association.name.casefold())


# --- Counted from the rows: a partner's figures, and the check of the tallies --------


def _received_in(period: Period) -> ColumnElement[bool]:
    """The month bounds let the index be read from the period's first month only."""
    return and_(
        Referral.month >= period.first_month,
        Referral.month <= period.last_month,
        Referral.created_at >= period.start,
        Referral.created_at < period.end,
    )


def _recounted(session: Session, period: Period, association_id: int | None) -> Tallied:
    """The same margins as the tallies', each a ``GROUP BY`` over the rows."""
    received = _received_in(period)
    transmitted = and_(
        Referral.prosecutor_date >= period.first, Referral.prosecutor_date <= period.last
    )
    made = and_(Routing.created_at >= period.start, Routing.created_at < period.end)
    if association_id is not None:
        routed_here = select(Routing.referral_id).where(Routing.association_id == association_id)
        received = and_(received, Referral.id.in_(routed_here))
        transmitted = and_(transmitted, Referral.id.in_(routed_here))
        made = and_(made, Routing.association_id == association_id)
    margins: Counter = Counter()

    def margin(dimension: str, value, *conditions, model=Referral) -> None:
        """Counts by ``value`` (``None``: only how many), per association for routings."""
        grouped = [Routing.association_id] if model is Routing else []
        grouped += [value] if value is not None else []
        for row in session.execute(
            select(*grouped, func.count()).where(*conditions).group_by(*grouped)
        ):
            owner = row[0] if model is Routing else WHOLE_PORTAL
            found = row[-2] if value is not None else ""
            margins[dimension, owner, "" if found is None else str(found)] += row[-1]

    for dimension in ("kind", "domain", "reporter_role", "minor_involved", "status"):
        margin(dimension, getattr(Referral, dimension), received)
    for dimension in ("region_code", "departement"):
        margin(dimension, getattr(Referral, dimension), received)
    margin("health_risk", None, received, Referral.health_risk)
    margin("urgent", None, received, Referral.urgent)
    closed = Referral.status == "closed"
    margin(
        "closing_reason",
        Referral.closing_reason,
        received,
        closed,
        Referral.closing_reason.is_not(None),
    )
    margin(
        "days_to_first_action",
        days_between(Referral.created_at, Referral.first_action_at),
        received,
        Referral.first_action_at.is_not(None),
    )
    margin(
        "days_to_closing",
        days_between(Referral.created_at, Referral.closed_at),
        received,
        closed,
        Referral.closed_at.is_not(None),
    )
    margin("prosecutor", None, transmitted)
    margin("routing_status", Routing.status, made, model=Routing)
    margin(
        "days_to_accept",
        days_between(Routing.created_at, Routing.responded_at),
        made,
        Routing.status.in_(ACCEPTED_STATUSES),
        Routing.responded_at.is_not(None),
        model=Routing,
    )
    margin(
        "days_to_close",
        days_between(Routing.created_at, Routing.closed_at),
        made,
        Routing.status == "closed",
        Routing.closed_at.is_not(None),
        model=Routing,
    )
    margin(
        "decline_reason",
        Routing.decline_reason,
        made,
        Routing.status == "declined",
        Routing.decline_reason.is_not(None),
        model=Routing,
    )
    margin(
        "routing_outcome",
        Routing.outcome,
        made,
        Routing.status == "closed",
        Routing.outcome.is_not(None),
        model=Routing,
    )
    months = Counter(
        dict(
            session.execute(
                select(Referral.month, func.count()).where(received).group_by(Referral.month)
            ).all()
        )
    )
    return Tallied(margins, months)


def years_with_referrals(session: Session, this_year: int) -> list[int]:
    """Every year from the oldest referral's to this one (or the newest's), newest first:
    the years the statistics page offers."""
    oldest, newest = session.execute(
        select(func.min(Referral.month), func.max(Referral.month))
    ).one()
    first = min(int(oldest[:4]), this_year) if oldest else this_year
    last = max(int(newest[:4]), this_year) if newest else this_year
    return list(range(last, first - 1, -1))
