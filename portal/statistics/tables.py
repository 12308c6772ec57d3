"""The tables of the statistics page, of its exports and of the activity report: one
definition, so that what is shown and what is exported cannot differ."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from portal.statistics.counts import Activity, AssociationFigures
from portal.vocabulary import DOMAIN_TREE, DOMAINS, FAMILIES, KINDS, MINOR_ANSWERS, REPORTER_ROLES

PLACE_ELSEWHERE = {"abroad": _l("Abroad"), "unknown": _l("Not known")}


@dataclass(frozen=True)
class Names:
    """Labels the page passes in: statuses and closing reasons (the forms' words),
    regions and départements (the reference tables)."""

    statuses: Mapping[str, object]
    closing_reasons: Mapping[str, object]
    decline_reasons: Mapping[str, object]
    regions: Mapping[str, str]
    departements: Mapping[str, str]


@dataclass(frozen=True)
class Table:
    #: Stable: names the export file and the page's anchor.
    key: str
    title: object
    headers: tuple[object, ...]
    #: The first cell names the row; the others are numbers or ``None`` (no value).
    rows: tuple[tuple, ...]
    #: The column a chart draws (its index in a row), or ``None`` for no chart.
    chart_column: int | None = 1
    #: "bars", or "line" for a series in time.
    chart: str = "bars"


def _share(count: int, total: int) -> float | None:
    return round(100 * count / total, 1) if total else None


def _compared(
    key: str,
    title: object,
    label_header: object,
    codes: list[str],
    labels: Mapping[str, object],
    current: Mapping[str, int],
    previous: Mapping[str, int],
    total: int,
    chart_column: int | None = 1,
) -> Table:
    rows = tuple(
        (
            labels.get(code, code),
            current.get(code, 0),
            _share(current.get(code, 0), total),
            previous.get(code, 0),
        )
        for code in codes
    )
    return Table(
        key,
        title,
        (label_header, _l("Number"), _l("Share (%)"), _l("Previous period")),
        rows,
        chart_column,
    )


def _ordered(*counters: Mapping[str, int], known: list[str] | None = None) -> list[str]:
    """Known codes in their order, then any other code found, most frequent first."""
    codes = list(known or [])
    seen = set(codes)
    extra = {}
    for counter in counters:
        for code, count in counter.items():
            if code not in seen:
                extra[code] = extra.get(code, 0) + count
    return codes + sorted(extra, key=lambda code: (-extra[code], str(code)))


def activity_tables(current: Activity, previous: Activity, names: Names) -> list[Table]:
    total = current.total
    tables = [
        Table(
            "totals",
            _l("Saisines received"),
            (_l("Figure"), _l("Number"), _l("Previous period")),
            (
                (_l("Saisines (reports and requests for an opinion)"), total, previous.total),
                (_l("A minor is concerned"), current.by_minor["yes"], previous.by_minor["yes"]),
                (_l("Someone's health is at risk"), current.health_risk, previous.health_risk),
                (_l("Immediate danger"), current.immediate_danger, previous.immediate_danger),
                (
                    _l("Transmissions to a prosecutor (art. 40 CPP)"),
                    current.prosecutor_transmissions,
                    previous.prosecutor_transmissions,
                ),
            ),
            chart_column=None,
        ),
        _compared(
            "kinds",
            _l("By kind"),
            _l("Kind"),
            list(KINDS),
            KINDS,
            current.by_kind,
            previous.by_kind,
            total,
        ),
        _compared(
            "families",
            _l("By family of domains"),
            _l("Family"),
            list(FAMILIES),
            FAMILIES,
            current.by_family,
            previous.by_family,
            total,
        ),
        Table(
            "domains",
            _l("By domain"),
            (_l("Family"), _l("Domain"), _l("Number"), _l("Share (%)"), _l("Previous period")),
            tuple(
                (
                    FAMILIES[domain.family],
                    DOMAINS[code],
                    current.by_domain.get(code, 0),
                    _share(current.by_domain.get(code, 0), total),
                    previous.by_domain.get(code, 0),
                )
                for code, domain in DOMAIN_TREE.items()
            ),
            chart_column=2,
        ),
        _compared(
            "senders",
            _l("Who writes"),
            _l("Sender"),
            _ordered(
                current.by_reporter_role, previous.by_reporter_role, known=list(REPORTER_ROLES)
            ),
            REPORTER_ROLES,
            current.by_reporter_role,
            previous.by_reporter_role,
            total,
        ),
        _compared(
            "minors",
            _l("Is a minor concerned?"),
            _l("Answer"),
            list(MINOR_ANSWERS),
            MINOR_ANSWERS,
            current.by_minor,
            previous.by_minor,
            total,
        ),
        _compared(
            "regions",
            _l("By region"),
            _l("Region"),
            _ordered(current.by_region, previous.by_region, known=list(names.regions)),
            {**names.regions, None: _l("Abroad or not known")},
            current.by_region,
            previous.by_region,
            total,
        ),
        _compared(
            "departements",
            _l("By département"),
            _l("Département"),
            _ordered(
                current.by_departement, previous.by_departement, known=list(names.departements)
            ),
            {
                **{code: f"{code} {name}" for code, name in names.departements.items()},
                **PLACE_ELSEWHERE,
            },
            current.by_departement,
            previous.by_departement,
            total,
            chart_column=None,
        ),
        _compared(
            "statuses",
            _l("Where the saisines of the period stand today"),
            _l("Status"),
            _ordered(current.by_status, previous.by_status, known=list(names.statuses)),
            names.statuses,
            current.by_status,
            previous.by_status,
            total,
        ),
        _compared(
            "closing_reasons",
            _l("Why they were closed"),
            _l("Reason"),
            _ordered(
                current.by_closing_reason,
                previous.by_closing_reason,
                known=list(names.closing_reasons),
            ),
            names.closing_reasons,
            current.by_closing_reason,
            previous.by_closing_reason,
            sum(current.by_closing_reason.values()),
        ),
        _compared(
            "decline_reasons",
            _l("Why associations declined cases routed to them"),
            _l("Reason"),
            _ordered(
                current.by_decline_reason,
                previous.by_decline_reason,
                known=list(names.decline_reasons),
            ),
            names.decline_reasons,
            current.by_decline_reason,
            previous.by_decline_reason,
            sum(current.by_decline_reason.values()),
        ),
        _compared(
            "routing_outcomes",
            _l("What associations report when they close a case"),
            _l("Outcome"),
            _ordered(
                current.by_routing_outcome,
                previous.by_routing_outcome,
                known=list(names.closing_reasons),
            ),
            names.closing_reasons,
            current.by_routing_outcome,
            previous.by_routing_outcome,
            sum(current.by_routing_outcome.values()),
        ),
        Table(
            "delays",
            _l("Delays (median, in days)"),
            (_l("Delay"), _l("Median (days)"), _l("Saisines counted"), _l("Previous period")),
            (
                (
                    _l("From receipt to the first staff action"),
                    current.days_to_first_action.median,
                    current.days_to_first_action.count,
                    previous.days_to_first_action.median,
                ),
                (
                    _l("From receipt to closing"),
                    current.days_to_closing.median,
                    current.days_to_closing.count,
                    previous.days_to_closing.median,
                ),
            ),
            chart_column=None,
        ),
        Table(
            "associations",
            _l("Routings to associations and public services"),
            (
                _l("Association or service"),
                _l("Routed"),
                _l("Accepted"),
                _l("Declined"),
                _l("Closed"),
                _l("Median days to accept"),
                _l("Median days to close"),
            ),
            tuple(
                (
                    figures.name,
                    figures.routed,
                    figures.accepted,
                    figures.by_status["declined"],
                    figures.by_status["closed"],
                    figures.days_to_accept.median,
                    figures.days_to_close.median,
                )
                for figures in current.associations
            ),
        ),
        Table(
            "months",
            _l("By month"),
            (_l("Month"), _l("Number")),
            tuple((month, count) for month, count in current.by_month.items()),
            chart="line",
        ),
    ]
    return tables


def association_tables(current: Activity, previous: Activity) -> list[Table]:
    """A partner's own figures: what was routed to it in the period and what became of
    it, and the families of those cases. ``current`` and ``previous`` are counted for
    that association alone."""

    def own(activity: Activity) -> AssociationFigures:
        return activity.associations[0] if activity.associations else AssociationFigures(0, "")

    now, before = own(current), own(previous)
    return [
        Table(
            "routings",
            _l("Cases routed to your association"),
            (_l("Figure"), _l("Number"), _l("Previous period")),
            (
                (_l("Routed to you"), now.routed, before.routed),
                (_l("Accepted"), now.accepted, before.accepted),
                (_l("Declined"), now.by_status["declined"], before.by_status["declined"]),
                (_l("Closed with an outcome"), now.by_status["closed"], before.by_status["closed"]),
                (
                    _l("Waiting for your answer"),
                    now.by_status["pending"],
                    before.by_status["pending"],
                ),
                (
                    _l("Median days to accept"),
                    now.days_to_accept.median,
                    before.days_to_accept.median,
                ),
                (_l("Median days to close"), now.days_to_close.median, before.days_to_close.median),
            ),
            chart_column=None,
        ),
        _compared(
            "families",
            _l("By family of domains"),
            _l("Family"),
            list(FAMILIES),
            FAMILIES,
            current.by_family,
            previous.by_family,
            current.total,
        ),
    ]
