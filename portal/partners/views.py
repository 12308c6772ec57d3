"""Partner-space pages: an association's own cases, and nothing else."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from forms.casework import (
    ROUTING_STATUS_LABELS,
    CloseRoutingForm,
    ConfirmForm,
    DeclineForm,
    MessageForm,
    NoteForm,
)
from forms.partners import CasesFilterForm, CharterForm
from portal import charter, clock, reference
from portal.auth import signed_in_account
from portal.auth.views import safe_next
from portal.casework import access, routing, workflow
from portal.casework.responses import (
    attachment_response,
    commit_keeping_what_is_loaded,
    data_key_or_403,
)
from portal.extensions import db
from portal.i18n import current_language
from portal.models import Referral, Routing
from portal.partners import bp
from portal.statistics.calendar import Period
from portal.statistics.counts import count_activity
from portal.statistics.responses import (
    export_response,
    figures_context,
    period_asked,
)
from portal.statistics.tables import Table, association_tables
from portal.urls import external_url
from portal.vocabulary import DOMAINS, KINDS, LANGUAGES, REPORTER_ROLES, WARNING_SIGNS


def _routing_or_404(routing_id: int) -> tuple[Routing, Referral]:
    found = access.visible_routing(db.session, signed_in_account().user, routing_id)
    if found is None:
        abort(404)
    return found, db.session.get(Referral, found.referral_id)


def _back(routing_id: int) -> Response:
    return redirect(url_for("partners.case", routing_id=routing_id))


@bp.route("/")
def cases() -> str:
    user = signed_in_account().user
    today = clock.today()
    statuses = [(status, ROUTING_STATUS_LABELS[status]) for status in routing.PARTNER_VIEWS]
    form = CasesFilterForm(request.args, statuses=statuses)
    valid = form.validate()
    rows = routing.partner_cases(
        db.session,
        user.association_id,
        today,
        status=(form.status.data or "") if valid else "",
        late=bool(form.late.data) if valid else False,
    )
    return render_template(
        "partners/cases.html",
        form=form,
        rows=rows,
        counts=routing.partner_counts(db.session, user.association_id, today),
        today=today,
        routing_labels=ROUTING_STATUS_LABELS,
        domain_labels=DOMAINS,
        places=reference.place_names(db.session),
    )


@bp.route("/dossiers/<int:routing_id>")
def case(routing_id: int) -> str:
    account = signed_in_account()
    found, referral = _routing_or_404(routing_id)
    data_key = data_key_or_403(account, referral)
    opened = access.open_referral(db.session, account.user, referral, data_key)
    routing.seen_by_association(found)
    commit_keeping_what_is_loaded()
    return render_template(
        "partners/case.html",
        routing=found,
        opened=opened,
        referral=referral,
        note_form=NoteForm(prefix="note"),
        message_form=MessageForm(prefix="message"),
        can_write=found.status in routing.WRITING_STATES,
        decline_form=DeclineForm(prefix="decline"),
        close_form=CloseRoutingForm(prefix="close"),
        confirm_form=ConfirmForm(),
        routing_labels=ROUTING_STATUS_LABELS,
        domain_labels=DOMAINS,
        role_labels=REPORTER_ROLES,
        kind_labels=KINDS,
        sign_labels=WARNING_SIGNS,
        places=reference.place_names(db.session),
    )


@bp.route("/dossiers/<int:routing_id>/pieces/<file:attachment_id>")
def attachment(routing_id: int, attachment_id: str) -> Response:
    _found, referral = _routing_or_404(routing_id)
    return attachment_response(signed_in_account(), referral, attachment_id)


@bp.route("/dossiers/<int:routing_id>/accepter", methods=["POST"])
def accept(routing_id: int) -> Response:
    found, _referral = _routing_or_404(routing_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        routing.accept(db.session, found, signed_in_account().user)
        db.session.commit()
        flash(_("You accepted the case."), "success")
    except routing.RoutingRefused:
        db.session.rollback()
        flash(_("This case can no longer be accepted."), "error")
    return _back(routing_id)


def _with_text(routing_id: int, form, change, done: str, heading: str) -> str | Response:
    account = signed_in_account()
    found, referral = _routing_or_404(routing_id)
    if form.validate_on_submit():
        try:
            change(found, data_key_or_403(account, referral), account.user, form)
            db.session.commit()
            flash(done, "success")
            if found.status == "declined":
                return redirect(url_for("partners.cases"))
            return _back(routing_id)
        except routing.RoutingRefused:
            # The case changed meanwhile (closed, say): what was typed comes back.
            db.session.rollback()
            flash(_("This change is not possible for this case any more."), "error")
    return render_template(
        "casework_retry.html",
        form=form,
        heading=heading,
        subtitle=_("Case %(reference)s", reference=referral.public_id),
        cancel_url=url_for("partners.case", routing_id=found.id),
    )


@bp.route("/dossiers/<int:routing_id>/refuser", methods=["POST"])
def decline(routing_id: int) -> str | Response:
    return _with_text(
        routing_id,
        DeclineForm(prefix="decline"),
        lambda found, key, user, form: routing.decline(
            db.session, found, key, user, form.reason.data, form.details.data or ""
        ),
        _("You declined the case; Miviludes will route it elsewhere."),
        _("Decline the case"),
    )


@bp.route("/dossiers/<int:routing_id>/cloturer", methods=["POST"])
def close(routing_id: int) -> str | Response:
    return _with_text(
        routing_id,
        CloseRoutingForm(prefix="close"),
        lambda found, key, user, form: routing.close(
            db.session, found, key, user, form.outcome.data, form.details.data or ""
        ),
        _("The case is closed on your side."),
        _("Close the case"),
    )


@bp.route("/dossiers/<int:routing_id>/messages", methods=["POST"])
def message(routing_id: int) -> str | Response:
    return _with_text(
        routing_id,
        MessageForm(prefix="message"),
        lambda found, key, user, form: routing.write_to_reporter(
            db.session,
            found,
            key,
            user,
            form.body.data,
            {lang: external_url("public.follow_up", lang=lang) for lang in LANGUAGES},
        ),
        _("Your message was sent. The reporter reads it on the follow-up page."),
        _("Message to the reporter"),
    )


@bp.route("/dossiers/<int:routing_id>/notes", methods=["POST"])
def note(routing_id: int) -> str | Response:
    return _with_text(
        routing_id,
        NoteForm(prefix="note"),
        lambda found, key, user, form: workflow.add_note(
            db.session, db.session.get(Referral, found.referral_id), key, user, form.body.data
        ),
        _("Your note was added; Miviludes can read it."),
        _("Follow-up note"),
    )


def _own_tables(period: Period) -> list[Table]:
    """The association's own figures only: the count is filtered by its id."""
    association_id = signed_in_account().user.association_id
    current = count_activity(db.session, period, association_id=association_id)
    previous = count_activity(db.session, period.previous(), association_id=association_id)
    return association_tables(current, previous)


@bp.route("/chiffres", endpoint="figures")
def figures() -> str:
    period, form = period_asked()
    tables = _own_tables(period)
    return render_template(
        "partners/figures.html",
        export_endpoint="partners.export_figures",
        **figures_context(period, form, tables),
    )


@bp.route("/chiffres/export.<any(csv, xlsx):file_format>", endpoint="export_figures")
def export_figures(file_format: str) -> Response:
    period, _form = period_asked()
    user = signed_in_account().user
    target = f"association:{user.association_id}"
    return export_response(_own_tables(period), period, file_format, user.actor, target)


@bp.route("/charte", methods=["GET", "POST"], endpoint="charter")
def charter_page() -> str | tuple[str, int] | Response:
    """The confidentiality charter, to accept before any case is shown."""
    account = signed_in_account()
    form = CharterForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            if form.csrf_token.errors:
                abort(400)
            return _charter_page(form), 422
        charter.accept(db.session, account.user)
        db.session.commit()
        flash(_("Thank you: the charter is accepted."), "success")
        return redirect(safe_next(request.args.get("next"), "partner"))
    return _charter_page(form)


def _charter_page(form: CharterForm) -> str:
    return render_template(
        "partners/charter.html",
        form=form,
        text=charter.text(current_language()),
        accepted=charter.has_accepted(db.session, signed_in_account().user),
        version=charter.CURRENT,
    )
