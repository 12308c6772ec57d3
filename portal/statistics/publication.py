"""Published figures: the yearly totals an administrator freezes for the public page.

The public page never counts live: an administrator publishes a year once its
figures are settled, and the page shows that snapshot. Small cells are suppressed
when shown ("fewer than 10"), with a second cell suppressed wherever a lone one
could be worked out from the total, so that nobody can be recognised from a
combination of figures.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import PublishedFigures, Region, User, utcnow
from portal.records.audit import record_event
from portal.statistics.calendar import Period
from portal.statistics.counts import count_activity
from portal.vocabulary import FAMILIES, KINDS, REPORTER_ROLES

#: Below this, a figure is shown as "fewer than 10".
SMALL_CELL = 10


def publish(session: Session, year: int, actor: User) -> PublishedFigures:
    """Freeze the figures of ``year``, replacing an earlier publication of that year."""
    activity = count_activity(session, Period.year(year))
    figures = {
        "total": activity.total,
        "by_kind": dict(activity.by_kind),
        "by_family": dict(activity.by_family),
        "by_reporter_role": dict(activity.by_reporter_role),
        "by_region": {code or "none": count for code, count in activity.by_region.items()},
        "minors": activity.by_minor["yes"],
        "prosecutor_transmissions": activity.prosecutor_transmissions,
    }
    found = session.scalar(select(PublishedFigures).where(PublishedFigures.year == year))
    if found is None:
        found = PublishedFigures(year=year)
        session.add(found)
    found.figures = json.dumps(figures, sort_keys=True)
    found.published_at = utcnow()
    found.published_by_id = actor.id
    session.flush()
    record_event(
        session,
        actor=actor.actor,
        action="statistics.publish",
        target=f"figures:{year}",
        details={"total": activity.total},
    )
    return found


def publications(session: Session) -> list[PublishedFigures]:
    return list(session.scalars(select(PublishedFigures).order_by(PublishedFigures.year.desc())))


def suppressed(cells: Mapping[str, int]) -> dict[str, int | None]:
    """The cells as shown: ``None`` for "fewer than 10". A lone small cell could be
    worked out from the total and the others: the smallest other cell goes too."""
    shown: dict[str, int | None] = {
        code: (count if count >= SMALL_CELL else None) for code, count in cells.items()
    }
    hidden = [code for code, value in shown.items() if value is None]
    if len(hidden) == 1:
        others = sorted((count, code) for code, count in cells.items() if code not in hidden)
        if others:
            shown[others[0][1]] = None
    return shown


def shown_total(total: int) -> int | None:
    return total if total >= SMALL_CELL else None


@dataclass(frozen=True)
class PublicTable:
    key: str
    title: object
    rows: tuple[tuple[object, int | None], ...]


@dataclass(frozen=True)
class PublishedYear:
    year: int
    published_at: datetime
    #: ``None``: fewer than 10.
    total: int | None
    tables: list[PublicTable]


def published_years(session: Session, titles: Mapping[str, object]) -> list[PublishedYear]:
    """Every published year, newest first, as the public page shows it. ``titles``
    names the tables ("kinds", "families", "senders", "regions") and "abroad"."""
    regions = dict(session.execute(select(Region.code, Region.name).order_by(Region.name)).all())
    found = []
    for published in publications(session):
        figures = json.loads(published.figures)
        found.append(
            PublishedYear(
                published.year,
                published.published_at,
                shown_total(figures["total"]),
                _public_tables(figures, regions, titles),
            )
        )
    return found


def _public_tables(
    figures: Mapping[str, object], regions: Mapping[str, str], titles: Mapping[str, object]
) -> list[PublicTable]:
    """Every cell already suppressed where small. Each table lists every code of its
    list, in order (a code with no saisine is a small cell too)."""

    def table(key: str, counts: Mapping[str, int], labels: Mapping[str, object]) -> PublicTable:
        shown = suppressed({code: int(counts.get(code, 0)) for code in labels})
        return PublicTable(key, titles[key], tuple((labels[code], shown[code]) for code in labels))

    return [
        table("kinds", figures["by_kind"], KINDS),
        table("families", figures["by_family"], FAMILIES),
        table("senders", figures["by_reporter_role"], REPORTER_ROLES),
        table("regions", figures["by_region"], {**regions, "none": titles["abroad"]}),
    ]
