"""What the statistics pages of the back office and of the partner space share: the
period asked for, its wording, and an audited export."""

from __future__ import annotations

from collections.abc import Sequence

from flask import request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from forms.statistics import PeriodForm
from portal import clock
from portal.extensions import db
from portal.records.audit import record_event
from portal.statistics import exports
from portal.statistics.calendar import Period
from portal.statistics.charts import chart_of
from portal.statistics.counts import years_with_referrals
from portal.statistics.tables import Table
from portal.templating import day

EXPORTS = {
    "csv": (exports.to_csv, exports.CSV_MEDIA_TYPE),
    "xlsx": (exports.to_xlsx, exports.XLSX_MEDIA_TYPE),
}


def period_asked() -> tuple[Period, PeriodForm]:
    """The period in the query string, or this year (also when the form is in error)."""
    this_year = clock.today().year
    form = PeriodForm(request.args, years=years_with_referrals(db.session, this_year))
    valid = bool(request.args) and form.validate()
    return form.chosen_period(Period.year(this_year)) if valid else Period.year(this_year), form


def period_text(period: Period) -> str:
    return _("from %(first)s to %(last)s", first=day(period.first), last=day(period.last))


def period_arguments(form: PeriodForm) -> dict[str, str]:
    """The query of the period shown, for the export links."""
    return {key: value for key, value in request.args.items() if key in form.data and value}


def figures_context(period: Period, form: PeriodForm, tables: Sequence[Table]) -> dict:
    """What every statistics page shows around its tables: the period, its wording and
    the comparison's, the form, a chart per table and the period's query for links."""
    return {
        "form": form,
        "period_text": period_text(period),
        "previous_text": period_text(period.previous()),
        "tables": tables,
        "charts": {table.key: chart_of(table) for table in tables},
        "export_args": period_arguments(form),
    }


def export_response(
    tables: Sequence[Table], period: Period, file_format: str, actor: str, who: str
) -> Response:
    """The tables as a file, audited (and committed) before it leaves."""
    heading = [
        _("Miviludes: saisines received %(period)s", period=period_text(period)),
        _("Compared with the period %(period)s", period=period_text(period.previous())),
        _(
            "Counted on %(day)s from the portal's records (plaintext metadata only).",
            day=day(clock.today()),
        ),
    ]
    write, media_type = EXPORTS[file_format]
    body = write(tables, heading)
    record_event(
        db.session,
        actor=actor,
        action="statistics.export",
        target=who,
        details={
            "format": file_format,
            "first": period.first.isoformat(),
            "last": period.last.isoformat(),
        },
    )
    db.session.commit()
    name = f"miviludes-statistiques-{period.first.isoformat()}-{period.last.isoformat()}"
    response = Response(body, mimetype=media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{file_format}"'
    return response
