"""The filtered queue as a spreadsheet: the metadata the queue shows (DESIGN §3),
never anything the reporter wrote, in the statistics' CSV format (French
spreadsheets: ``;``, UTF-8 with a byte-order mark, formulas kept as text)."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from forms.casework import STATUS_LABELS
from portal import clock, reference
from portal.backoffice.services import ExportRow
from portal.casework.deadlines import paris_day
from portal.models import User
from portal.statistics import exports
from portal.statistics.tables import Table
from portal.vocabulary import DOMAINS, KINDS, MINOR_ANSWERS


def to_csv(
    session: Session,
    rows: Sequence[ExportRow],
    row_tags: dict[int, list[str]],
    total: int,
    filters: str,
) -> bytes:
    places = reference.place_names(session)
    emails = dict(session.execute(select(User.id, User.email)).all())
    yes = _("yes")
    table = Table(
        "queue",
        _("Referrals"),
        (
            _("Reference"),
            _("Received on"),
            _("Kind"),
            _("Status"),
            _("Domain"),
            _("Region"),
            _("Département"),
            _("Immediate danger"),
            _("Minor involved"),
            _("Health risk"),
            _("Assigned to"),
            _("Expected by"),
            _("To read"),
            _("Tags"),
        ),
        tuple(
            (
                row.public_id,
                paris_day(row.created_at).isoformat(),
                str(KINDS.get(row.kind, "")),
                str(STATUS_LABELS[row.status]),
                str(DOMAINS.get(row.domain, "")),
                places.regions.get(row.region_code or "", ""),
                places.departements.get(row.departement or "", ""),
                yes if row.urgent else "",
                str(MINOR_ANSWERS.get(row.minor_involved, "")),
                yes if row.health_risk else "",
                emails.get(row.assigned_to_id, ""),
                row.due_on.isoformat() if row.due_on else "",
                yes if row.to_read_since else "",
                ", ".join(row_tags.get(row.id, ())),
            )
            for row in rows
        ),
        chart_column=None,
    )
    heading = [
        _("Miviludes: referrals of the triage queue (metadata only)"),
        _("Filters: %(filters)s", filters=filters or _("none")),
        _(
            "Exported on %(day)s: %(count)s of %(total)s referrals.",
            day=clock.today().isoformat(),
            count=len(rows),
            total=total,
        ),
    ]
    return exports.to_csv([table], heading)
