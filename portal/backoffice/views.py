"""Back-office pages. Each view parses the request, calls one service, renders.

Every state change is a POST with a CSRF token, redirects afterwards (so a reload
repeats nothing), and is written to the audit log by the service it calls.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_timezone, ngettext
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from forms.casework import (
    NOBODY,
    ROUTING_STATUS_LABELS,
    STATUS_LABELS,
    AssignForm,
    BulkForm,
    CaseTagsForm,
    ClassificationForm,
    ConfirmForm,
    LinkForm,
    MessageForm,
    NoteForm,
    ProsecutorForm,
    QueueFilterForm,
    RouteForm,
    SavedFilterForm,
    SearchForm,
    StatusForm,
)
from portal import clock, reference
from portal.auth import signed_in_account
from portal.backoffice import bp, queue_export, services
from portal.casework import (
    access,
    bulk,
    routing,
    saved_filters,
    search,
    status_counts,
    tags,
    unread,
    workflow,
)
from portal.casework.responses import (
    attachment_response,
    commit_keeping_what_is_loaded,
    data_key_or_403,
    send_outbox,
)
from portal.extensions import db, once_per_process, recover_storage
from portal.i18n import current_language
from portal.models import MIVILUDES_ROLES, Association, Referral, Routing, Tag, User
from portal.records.audit import record_event
from portal.statistics import exports
from portal.urls import carried_query, external_url
from portal.vocabulary import (
    CLOSING_REASON_LABELS,
    DECLINE_REASON_LABELS,
    DOMAINS,
    DUE_LABELS,
    KINDS,
    LANGUAGES,
    LINK_LABELS,
    REPORTER_ROLES,
    SEARCH_MATCH_LABELS,
    WARNING_SIGNS,
)


def _active_staff() -> list[User]:
    """Who a referral can be assigned to."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.role.in_(MIVILUDES_ROLES), User.disabled.is_(False))
            .order_by(User.email)
        )
    )


def _routable(suggestions: list[routing.Suggestion]) -> list[tuple[str, str]]:
    """The suggested associations a referral can be routed to now, as form choices."""
    return [
        (str(s.association.id), s.association.display_name)
        for s in suggestions
        if s.reachable and not s.already_routed
    ]


def _referral_or_404(public_id: str):
    account = signed_in_account()
    referral = access.visible_referral(db.session, account.user, public_id)
    if referral is None:
        abort(404)
    return referral


def _retry(form, referral: Referral, heading: str) -> str:
    """A form of the referral page that did not validate, with what was typed."""
    return render_template(
        "casework_retry.html",
        form=form,
        heading=heading,
        subtitle=_("Referral %(reference)s", reference=referral.public_id),
        cancel_url=url_for("backoffice.referral", public_id=referral.public_id),
    )


def _back(public_id: str, anchor: str = "") -> Response:
    return redirect(url_for("backoffice.referral", public_id=public_id) + anchor)


def _choices_for_filters() -> dict:
    return {
        "statuses": list(STATUS_LABELS.items()),
        "regions": reference.region_choices(db.session),
        "departements": reference.departement_choices(db.session),
        "domains": list(DOMAINS.items()),
        "kinds": [("report", _("Report")), ("opinion", _("Opinion"))],
        "tags": [
            (str(tag.id), _("%(tag)s (retired)", tag=tag.name) if tag.retired else tag.name)
            for tag in tags.every_tag(db.session)
        ],
    }


def _filters_asked() -> tuple[QueueFilterForm | None, services.QueueFilters]:
    """The queue's filters from the query string: the queue, its export and a saved
    view read them alike. No filter given (the usual page): no form to build."""
    form = QueueFilterForm(request.args, **_choices_for_filters()) if request.args else None
    if form is None or not form.validate():
        return form, services.QueueFilters()
    return form, services.QueueFilters(
        status=form.status.data or "",
        region=form.region.data or "",
        departement=form.departement.data or "",
        domain=form.domain.data or "",
        kind=form.kind.data or "",
        assigned=form.assigned.data or "",
        urgent=form.urgent.data,
        minor=form.minor.data,
        health_risk=form.health_risk.data,
        to_read=form.to_read.data,
        pending=form.pending.data,
        overdue=form.overdue.data,
        tag=int(form.tag.data) if form.tag.data else None,
        date_from=form.date_from.data,
        date_to=form.date_to.data,
        # Flask-Babel gives a pytz zone, which ``datetime.combine`` would apply
        # with its historical offset (+0:09 for Paris): go through zoneinfo.
        zone=ZoneInfo(str(get_timezone())),
    )


def _filters_query(form: QueueFilterForm | None) -> str:
    """The filters chosen, as the query string that shows them again (for a saved
    view and the way back after a bulk action): only the form's own fields."""
    if form is None or form.errors:
        return ""
    names = [field.name for field in form if field.name != "csrf_token"]
    return urlencode([(name, value) for name in names for value in request.args.getlist(name)])


@bp.route("/")
def queue() -> str:
    account = signed_in_account()
    form, filters = _filters_asked()
    after = services.Cursor.decode(request.args.get("after", ""))
    state = status_counts.queue_state(db.session)
    today = clock.today()

    def listing() -> tuple[services.QueuePage, str | None]:
        """Read only when the rows are not kept for this state of the queue."""
        page = services.queue_page(db.session, filters, account.user_id, today, after)
        if page.next_cursor is None:
            return page, None
        next_args = carried_query() | {"after": page.next_cursor.encode()}
        return page, url_for("backoffice.queue", **next_args)

    mine = account.user_id if filters.assigned == "me" or filters.to_read else None
    filtered = _filters_query(form)
    return render_template(
        "backoffice/queue.html",
        form=form,
        filters_form=lambda: _filters_form(form),
        counts=state.counts,
        listing=listing,
        # The query gives the filters, the page and the next link's own query.
        # "Overdue" changes with the day.
        listing_key=(state.version, request.query_string, mine, today),
        # Tags, the staff and one's saved views are changes the state counts too.
        choices_key=state.version,
        bulk_form=_bulk_form,
        saved_views=lambda: saved_filters.of_account(db.session, account.user_id),
        save_form=SavedFilterForm(prefix="view", data={"query": filtered}) if filtered else None,
        filters_query=filtered,
        account_id=account.user_id,
        places=reference.place_names(db.session),
        export_url=url_for("backoffice.export_queue") + ("?" + filtered if filtered else ""),
        today=today,
        **_queue_labels(),
        **_queue_links(),
    )


def _bulk_form(formdata=None) -> BulkForm:
    return BulkForm(
        formdata,
        staff=[(str(user.id), user.email) for user in _active_staff()],
        tags=[(str(tag.id), tag.name) for tag in tags.offered(db.session)],
        statuses=[(status, STATUS_LABELS[status]) for status in workflow.MANUAL_TARGETS],
        prefix="bulk",
    )


def _back_to_queue(query: str) -> Response:
    """To the queue as it was filtered (a query string of the filters, nothing else)."""
    kept = urlencode(parse_qsl(query or "", keep_blank_values=False))
    return redirect(url_for("backoffice.queue") + ("?" + kept if kept else ""))


@bp.route("/lot", methods=["POST"])
def bulk_action() -> str | tuple[str, int] | Response:
    account = signed_in_account()
    form = _bulk_form(request.form)
    page = {"form": form, "status_labels": STATUS_LABELS}
    if not form.validate_on_submit():
        return render_template("backoffice/bulk.html", **page), 400
    change = bulk.Change(
        kind=form.action.data,
        assignee=(
            db.session.get(User, int(form.assignee.data))
            if form.assignee.data not in ("", NOBODY, None)
            else None
        ),
        tag=db.session.get(Tag, int(form.tag.data)) if form.tag.data else None,
        status=form.status.data or "",
        closing_reason=form.closing_reason.data or None,
    )
    try:
        outcome = bulk.apply(db.session, account.user, form.references.data, change)
        db.session.commit()
    except SQLAlchemyError:
        # Down, locked, read-only: nothing was changed; the choice comes back.
        db.session.rollback()
        recover_storage()
        flash(_("The change could not be saved just now. Please try again."), "error")
        return render_template("backoffice/bulk.html", **page), 503
    if outcome.changed:
        flash(
            ngettext(
                "%(num)d referral changed: %(references)s.",
                "%(num)d referrals changed: %(references)s.",
                len(outcome.changed),
                references=", ".join(outcome.changed),
            ),
            "success",
        )
    if outcome.unchanged:
        flash(_("Already so: %(references)s.", references=", ".join(outcome.unchanged)), "info")
    if outcome.refused:
        flash(
            _(
                "Not changed, this is not possible from their status: %(references)s.",
                references=", ".join(outcome.refused),
            ),
            "error",
        )
    return _back_to_queue(form.back.data)


@bp.route("/vues", methods=["POST"])
def save_view() -> Response | tuple[str, int]:
    account = signed_in_account()
    form = SavedFilterForm(prefix="view")
    if not form.validate_on_submit():
        _invalid(form)
        return _back_to_queue(form.query.data)
    # Checked again as the queue reads it: only filters are kept, and valid ones.
    checked = QueueFilterForm(MultiDict(parse_qsl(form.query.data or "")), **_choices_for_filters())
    if not form.query.data or not checked.validate():
        flash(_("Choose filters first, then save them."), "error")
        return _back_to_queue("")
    query = urlencode(
        [(name, value) for name, value in parse_qsl(form.query.data) if name in checked]
    )
    try:
        saved_filters.save(db.session, account.user, form.name.data, query)
        db.session.commit()
    except saved_filters.SavedFilterRefused:
        db.session.rollback()
        flash(_("You have 20 saved views already: delete one first."), "error")
        return _back_to_queue(query)
    flash(_("The view was saved."), "success")
    return _back_to_queue(query)


@bp.route("/vues/<int:saved_id>/suppression", methods=["POST"])
def delete_view(saved_id: int) -> Response:
    account = signed_in_account()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not saved_filters.remove(db.session, account.user, saved_id):
        abort(404)
    db.session.commit()
    flash(_("The view was deleted."), "success")
    return redirect(url_for("backoffice.queue"))


@bp.route("/export.csv")
def export_queue() -> Response:
    """The filtered queue for a spreadsheet: metadata only, as the queue shows it."""
    account = signed_in_account()
    form, filters = _filters_asked()
    if form is not None and form.errors:
        # Back to the queue, which explains what is wrong (never url_for(**args): a
        # query could pass "_external" or "_scheme").
        return _back_to_queue(request.query_string.decode("utf-8", "replace"))
    rows, row_tags, total = services.export_rows(
        db.session, filters, account.user_id, clock.today()
    )
    chosen = _filters_query(form)
    body = queue_export.to_csv(db.session, rows, row_tags, total, chosen)
    record_event(
        db.session,
        actor=account.user.actor,
        action="queue.export",
        target="queue",
        details={"filters": chosen, "rows": len(rows), "matching": total},
    )
    db.session.commit()
    response = Response(body, mimetype=exports.CSV_MEDIA_TYPE)
    response.headers["Content-Disposition"] = 'attachment; filename="miviludes-file.csv"'
    return response


def _queue_labels() -> dict[str, dict[str, str]]:
    """Statuses and domains in the reader's language, translated once per worker rather
    than once per row (the page lists 50) and per request."""

    def translate() -> dict[str, dict[str, str]]:
        return {
            "status_labels": {code: str(label) for code, label in STATUS_LABELS.items()},
            "domain_labels": {code: str(label) for code, label in DOMAINS.items()},
        }

    return once_per_process(f"portal.queue_labels.{current_language()}", translate)


def _queue_links() -> dict[str, str]:
    """The queue's own address, and the start of every case's: a row links to the
    prefix and the case's reference (built once per worker, rather than 50 times a
    page by url_for)."""

    def build() -> dict[str, str]:
        case = url_for("backoffice.referral", public_id=REFERENCE_PLACEHOLDER)
        return {
            "queue_url": url_for("backoffice.queue"),
            "referral_url_prefix": case[: -len(REFERENCE_PLACEHOLDER)],
        }

    return once_per_process(f"portal.queue_links.{request.script_root}", build)


def _filters_form(form: QueueFilterForm | None) -> Markup:
    """The filters: 143 options and the tags. Unfiltered, the same for everyone: the
    page keeps that form by the queue's state (it was a fifth of the queue's time)."""
    if form is None:
        form = QueueFilterForm(None, **_choices_for_filters())
    return Markup(render_template("backoffice/_queue_filters.html", form=form))  # noqa: S704


@bp.route("/recherche", methods=["GET", "POST"])
def find() -> str | tuple[str, int]:
    account = signed_in_account()
    form = SearchForm()
    page = {"form": form, "match_labels": SEARCH_MATCH_LABELS, "status_labels": STATUS_LABELS}
    if not form.validate_on_submit():
        return render_template("backoffice/search.html", **page)
    index_key = current_app.extensions["portal.config"].key_bytes("blind_index_key")
    try:
        query, found = search.search(db.session, account.user, index_key, form.query.data)
        commit_keeping_what_is_loaded()  # the page shows the rows found, as found
    except SQLAlchemyError:
        # Down, locked, read-only: the page comes back with what was typed.
        db.session.rollback()
        recover_storage()
        flash(_("The search could not be made just now. Please try again."), "error")
        return render_template("backoffice/search.html", **page), 503
    return render_template("backoffice/search.html", query=query, found=found, **page)


#: Stands for a case's reference while the address shared by all cases is built.
REFERENCE_PLACEHOLDER = "0000-000000"


@bp.route("/signalements/<ref:public_id>")
def referral(public_id: str) -> str:
    account = signed_in_account()
    referral = _referral_or_404(public_id)
    data_key = data_key_or_403(account, referral)
    opened = access.open_referral(db.session, account.user, referral, data_key)
    staff = _active_staff()
    suggestions = routing.suggest_associations(db.session, referral)
    routings = db.session.scalars(
        select(Routing).where(Routing.referral_id == referral.id).order_by(Routing.id)
    ).all()
    case_tags = tags.of_referral(db.session, referral)
    unread.seen(referral)
    commit_keeping_what_is_loaded()
    statuses = [(s, STATUS_LABELS[s]) for s in workflow.allowed_targets(referral)]
    return render_template(
        "backoffice/referral.html",
        opened=opened,
        referral=referral,
        related=access.related_referrals(db.session, referral),
        links=workflow.linked_referrals(db.session, referral),
        link_form=LinkForm(prefix="link"),
        suggestions=suggestions,
        routings=routings,
        routing_texts={r.id: routing.closing_text(referral, data_key, r) for r in routings},
        prosecutor_reference=workflow.prosecutor_reference(referral, data_key),
        staff={user.id: user.email for user in staff},
        status_form=StatusForm(statuses=statuses, prefix="status"),
        assign_form=AssignForm(
            staff=[(str(user.id), user.email) for user in staff],
            prefix="assign",
            data={"assignee": str(referral.assigned_to_id or "")},
        ),
        classification_form=ClassificationForm(
            domains=list(DOMAINS.items()), prefix="class", obj=referral
        ),
        case_tags=case_tags,
        tags_form=_tags_form(case_tags, data={"tags": [str(tag.id) for tag in case_tags]}),
        note_form=NoteForm(prefix="note"),
        message_form=MessageForm(prefix="message"),
        route_form=RouteForm(
            associations=_routable(suggestions),
            prefix="route",
        ),
        prosecutor_form=ProsecutorForm(prefix="prosecutor"),
        confirm_form=ConfirmForm(),
        status_labels=STATUS_LABELS,
        routing_labels=ROUTING_STATUS_LABELS,
        today=clock.today(),
        closing_labels=CLOSING_REASON_LABELS,
        decline_labels=DECLINE_REASON_LABELS,
        link_labels=LINK_LABELS,
        due_labels=DUE_LABELS,
        domain_labels=DOMAINS,
        role_labels=REPORTER_ROLES,
        kind_labels=KINDS,
        sign_labels=WARNING_SIGNS,
        places=reference.place_names(db.session),
    )


@bp.route("/signalements/<ref:public_id>/pieces/<file:attachment_id>")
def attachment(public_id: str, attachment_id: str) -> Response:
    account = signed_in_account()
    referral = _referral_or_404(public_id)
    return attachment_response(account, referral, attachment_id)


def _invalid(form) -> None:
    for errors in form.errors.values():
        for error in errors:
            flash(str(error), "error")


@bp.route("/signalements/<ref:public_id>/prendre", methods=["POST"])
def take(public_id: str) -> Response:
    account = signed_in_account()
    referral = _referral_or_404(public_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        workflow.take(db.session, referral, account.user)
        db.session.commit()
        flash(_("You now handle this referral."), "success")
    except workflow.AlreadyTaken:
        db.session.rollback()
        flash(_("Someone else took this referral first."), "error")
    return _back(public_id)


@bp.route("/signalements/<ref:public_id>/attribution", methods=["POST"])
def assign(public_id: str) -> Response:
    account = signed_in_account()
    referral = _referral_or_404(public_id)
    staff = [(str(user.id), user.email) for user in _active_staff()]
    form = AssignForm(staff=staff, prefix="assign")
    if form.validate_on_submit():
        assignee = db.session.get(User, int(form.assignee.data)) if form.assignee.data else None
        workflow.assign(db.session, referral, assignee, account.user)
        db.session.commit()
        flash(_("The assignment was saved."), "success")
    else:
        _invalid(form)
    return _back(public_id)


@bp.route("/signalements/<ref:public_id>/statut", methods=["POST"])
def status(public_id: str) -> Response:
    account = signed_in_account()
    referral = _referral_or_404(public_id)
    statuses = [(s, STATUS_LABELS[s]) for s in workflow.allowed_targets(referral)]
    form = StatusForm(statuses=statuses, prefix="status")
    if not form.validate_on_submit():
        return _retry(form, referral, _("Change the status"))
    original = None
    if form.original.data and form.closing_reason.data == "duplicate":
        original = access.visible_referral(db.session, account.user, form.original.data)
        if original is None or original.id == referral.id:
            form.original.errors.append(_("No other referral has this reference."))
            return _retry(form, referral, _("Change the status"))
    try:
        workflow.change_status(
            db.session,
            referral,
            form.status.data,
            account.user.actor,
            closing_reason=form.closing_reason.data or None,
            original=original,
        )
        db.session.commit()
        flash(_("The status was changed."), "success")
    except workflow.TransitionRefused:
        db.session.rollback()
        flash(_("This change of status is not possible; to close, choose a reason."), "error")
    return _back(public_id)


@bp.route("/signalements/<ref:public_id>/liens", methods=["POST"])
def link(public_id: str) -> str | Response:
    account = signed_in_account()
    referral = _referral_or_404(public_id)
    form = LinkForm(prefix="link")
    if not form.validate_on_submit():
        return _retry(form, referral, _("Link a related referral"))
    other = access.visible_referral(db.session, account.user, form.reference.data)
    if other is None or other.id == referral.id:
        form.reference.errors.append(_("No other referral has this reference."))
        return _retry(form, referral, _("Link a related referral"))
    workflow.link(db.session, referral, other, account.user.actor)
    db.session.commit()
    flash(_("The referrals are linked."), "success")
    return _back(public_id, "#links")


def _tags_form(case_tags, **kwargs) -> CaseTagsForm:
    """The tags offered, and the retired ones the case still carries."""
    choices = {tag.id: tag for tag in (*tags.offered(db.session), *case_tags)}
    ordered = sorted(choices.values(), key=lambda tag: tag.name.casefold())
    return CaseTagsForm(tags=[(str(tag.id), tag.name) for tag in ordered], prefix="tags", **kwargs)


@bp.route("/signalements/<ref:public_id>/etiquettes", methods=["POST"])
def tag(public_id: str) -> str | Response:
    account = signed_in_account()
    referral = _referral_or_404(public_id)
    form = _tags_form(tags.of_referral(db.session, referral))
    if not form.validate_on_submit():
        return _retry(form, referral, _("Tags"))
    wanted = db.session.scalars(select(Tag).where(Tag.id.in_([int(t) for t in form.tags.data])))
    try:
        if tags.set_tags(db.session, referral, list(wanted), account.user.actor):
            flash(_("The tags were saved."), "success")
        db.session.commit()
    except tags.TagRefused:
        db.session.rollback()
        flash(_("A retired tag is no longer put on cases."), "error")
    return _back(public_id, "#tags")


@bp.route("/signalements/<ref:public_id>/classement", methods=["POST"])
def classify(public_id: str) -> Response:
    account = signed_in_account()
    referral = _referral_or_404(public_id)
    form = ClassificationForm(domains=list(DOMAINS.items()), prefix="class")
    if form.validate_on_submit():
        workflow.classify(
            db.session,
            referral,
            account.user,
            domain=form.domain.data,
            minor_involved=form.minor_involved.data,
            health_risk=form.health_risk.data,
            urgent=form.urgent.data,
        )
        db.session.commit()
        flash(_("The classification was saved."), "success")
    else:
        _invalid(form)
    return _back(public_id)


@bp.route("/signalements/<ref:public_id>/notes", methods=["POST"])
def note(public_id: str) -> str | Response:
    account = signed_in_account()
    referral = _referral_or_404(public_id)
    form = NoteForm(prefix="note")
    if form.validate_on_submit():
        workflow.add_note(
            db.session, referral, data_key_or_403(account, referral), account.user, form.body.data
        )
        db.session.commit()
        flash(_("The note was added."), "success")
        return _back(public_id, "#notes")
    return _retry(form, referral, _("Internal note"))


@bp.route("/signalements/<ref:public_id>/messages", methods=["POST"])
def message(public_id: str) -> str | Response:
    account = signed_in_account()
    referral = _referral_or_404(public_id)
    form = MessageForm(prefix="message")
    if form.validate_on_submit():
        workflow.ask_reporter(
            db.session,
            referral,
            data_key_or_403(account, referral),
            account.user,
            form.body.data,
            {lang: external_url("public.follow_up", lang=lang) for lang in LANGUAGES},
        )
        db.session.commit()
        flash(_("The message was sent. The reporter reads it on the follow-up page."), "success")
        return _back(public_id, "#messages")
    return _retry(form, referral, _("Message to the reporter"))


@bp.route("/signalements/<ref:public_id>/parquet", methods=["POST"])
def prosecutor(public_id: str) -> str | Response:
    account = signed_in_account()
    referral = _referral_or_404(public_id)
    form = ProsecutorForm(prefix="prosecutor")
    if form.validate_on_submit():
        try:
            workflow.transmit_to_prosecutor(
                db.session,
                referral,
                data_key_or_403(account, referral),
                account.user,
                form.date.data,
                form.reference.data,
            )
            db.session.commit()
            flash(_("The transmission to the prosecutor was recorded."), "success")
        except workflow.TransitionRefused:
            db.session.rollback()
            flash(_("This change of status is not possible; to close, choose a reason."), "error")
        return _back(public_id)
    return _retry(
        form,
        referral,
        _("Transmission to the prosecutor (art. 40 CPP)"),
    )


@bp.route("/signalements/<ref:public_id>/orientations", methods=["POST"])
def route(public_id: str) -> Response:
    account = signed_in_account()
    referral = _referral_or_404(public_id)
    suggestions = routing.suggest_associations(db.session, referral)
    form = RouteForm(
        associations=_routable(suggestions),
        prefix="route",
    )
    if form.validate_on_submit():
        association = db.session.get(Association, int(form.association.data))
        try:
            routing.route(
                db.session,
                referral,
                data_key_or_403(account, referral),
                association,
                account.user,
                lambda routing_id: external_url("partners.case", routing_id=routing_id),
            )
            db.session.commit()
            send_outbox()
            flash(_("The case was routed; the association was notified."), "success")
        except (routing.RoutingRefused, workflow.TransitionRefused):
            db.session.rollback()
            flash(_("This case cannot be routed to this association."), "error")
    else:
        _invalid(form)
    return _back(public_id, "#routing")


@bp.route("/signalements/<ref:public_id>/orientations/<int:routing_id>/retrait", methods=["POST"])
def withdraw(public_id: str, routing_id: int) -> Response:
    account = signed_in_account()
    referral = _referral_or_404(public_id)
    found = db.session.get(Routing, routing_id)
    if found is None or found.referral_id != referral.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    routing.withdraw(db.session, found, account.user)
    db.session.commit()
    flash(_("The routing was withdrawn; the association no longer has access."), "success")
    return _back(referral.public_id, "#routing")
