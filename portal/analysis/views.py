"""The statistics page and its exports. Each view reads the period, counts, renders."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from forms.casework import STATUS_LABELS
from forms.statistics import PublishForm
from portal import clock
from portal.analysis import bp
from portal.auth import signed_in_account
from portal.extensions import db
from portal.models import Departement, Region
from portal.public.pages import pages
from portal.statistics import publication
from portal.statistics.calendar import Period
from portal.statistics.counts import count_activity, years_with_referrals
from portal.statistics.france_map import ChoroplethMap, choropleth
from portal.statistics.responses import (
    export_response,
    figures_context,
    period_asked,
)
from portal.statistics.tables import Names, Table, activity_tables
from portal.vocabulary import CLOSING_REASON_LABELS, DECLINE_REASON_LABELS


def _names() -> Names:
    regions = dict(db.session.execute(select(Region.code, Region.name).order_by(Region.code)).all())
    departements = dict(
        db.session.execute(
            select(Departement.code, Departement.name).order_by(Departement.code)
        ).all()
    )
    return Names(STATUS_LABELS, CLOSING_REASON_LABELS, DECLINE_REASON_LABELS, regions, departements)


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


def _publish_form() -> PublishForm | None:
    """Administrators only: publishing is theirs."""
    if signed_in_account().role != "admin":
        return None
    return PublishForm(prefix="publish", years=years_with_referrals(db.session, clock.today().year))


@bp.route("/", endpoint="overview")
def overview(publish_form: PublishForm | None = None) -> str:
    period, form = period_asked()
    tables, maps = _figures(period)
    publish_form = publish_form or _publish_form()
    return render_template(
        "analysis/overview.html",
        publish_form=publish_form,
        publications=publication.publications(db.session) if publish_form else [],
        maps=maps,
        export_endpoint="analysis.export",
        **figures_context(period, form, tables),
    )


@bp.route("/rapport", endpoint="report")
def report() -> str:
    """Every table of the period, in the order of the activity report, to print."""
    period, form = period_asked()
    tables, maps = _figures(period)
    return render_template(
        "analysis/report.html",
        maps=maps,
        counted_on=clock.today(),
        **figures_context(period, form, tables),
    )


@bp.route("/publier", methods=["POST"], endpoint="publish")
def publish() -> str | Response:
    form = _publish_form()
    if form is None:
        abort(403)
    if not form.validate_on_submit():
        return overview(publish_form=form)
    year = int(form.year.data)
    publication.publish(db.session, year, signed_in_account().user)
    db.session.commit()
    pages().forget_all()  # this worker at once; the others within DATA_PAGE_SECONDS
    flash(_("The figures of %(year)s are published on the public page.", year=year), "success")
    return redirect(url_for("analysis.overview"))


@bp.route("/export.<any(csv, xlsx):file_format>", endpoint="export")
def export(file_format: str) -> Response:
    period, _form = period_asked()
    actor = signed_in_account().user.actor
    tables, _maps = _figures(period)
    return export_response(tables, period, file_format, actor, "statistics")
