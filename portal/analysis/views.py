"""The statistics page and its exports. Each view reads the period, counts, renders."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import select
from werkzeug.wrappers import Response

from forms.casework import CLOSING_REASON_LABELS, STATUS_LABELS
from portal.analysis import bp
from portal.auth import signed_in_account
from portal.extensions import db
from portal.models import Departement, Region
from portal.statistics.calendar import Period
from portal.statistics.charts import bar_chart
from portal.statistics.counts import count_activity
from portal.statistics.france_map import ChoroplethMap, choropleth
from portal.statistics.responses import (
    export_response,
    period_arguments,
    period_asked,
    period_text,
)
from portal.statistics.tables import Names, Table, activity_tables


def _names() -> Names:
    regions = dict(db.session.execute(select(Region.code, Region.name).order_by(Region.code)).all())
    departements = dict(
        db.session.execute(
            select(Departement.code, Departement.name).order_by(Departement.code)
        ).all()
    )
    return Names(STATUS_LABELS, CLOSING_REASON_LABELS, regions, departements)


def _figures(period: Period) -> tuple[list[Table], dict[str, ChoroplethMap]]:
    current = count_activity(db.session, period)
    previous = count_activity(db.session, period.previous())
    names = _names()
    maps = {
        "regions": choropleth("regions-map", "regions", current.by_region, names.regions),
        "departements": choropleth(
            "departements-map", "departements", current.by_departement, names.departements
        ),
    }
    return activity_tables(current, previous, names), maps


@bp.route("/", endpoint="overview")
def overview() -> str:
    period, form = period_asked()
    tables, maps = _figures(period)
    return render_template(
        "analysis/overview.html",
        form=form,
        period_text=period_text(period),
        previous_text=period_text(period.previous()),
        tables=tables,
        charts={table.key: bar_chart(table) for table in tables},
        maps=maps,
        export_args=period_arguments(form),
        export_endpoint="analysis.export",
    )


@bp.route("/export.<any(csv, xlsx):file_format>", endpoint="export")
def export(file_format: str) -> Response:
    period, _form = period_asked()
    actor = signed_in_account().user.actor
    tables, _maps = _figures(period)
    return export_response(tables, period, file_format, actor, "statistics")
