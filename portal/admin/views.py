"""Administration pages. Each view parses, calls one operation, renders."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from forms.admin import (
    AuditFilterForm,
    ExtendForm,
    InviteForm,
    PartnerForm,
    RetentionRulesForm,
    RoleForm,
)
from forms.casework import ConfirmForm, TagForm
from portal import accounts, charter, clock, directory, invitations
from portal.admin import bp
from portal.auth import signed_in_account
from portal.casework import access, tags
from portal.casework.responses import data_key_or_403
from portal.extensions import db
from portal.models import Association, Region, Tag, User
from portal.public.pages import pages
from portal.records import journal, retention
from portal.records.audit import audit_key, record_event, verify_chain
from portal.statistics import exports
from portal.statistics.tables import Table
from portal.templating import day
from portal.urls import external_url
from portal.vocabulary import ACCOUNT_ROLE_LABELS, APPROVAL_LABELS, DOMAINS, PARTNER_KIND_LABELS

#: The log itself, as a target of the events that record its reading.
THE_LOG = "audit:log"


def _invite_form() -> InviteForm:
    associations = db.session.execute(
        select(Association.id, Association.name)
        .where(Association.active.is_(True))
        .order_by(Association.name)
    ).all()
    return InviteForm(
        prefix="invite",
        roles=list(ACCOUNT_ROLE_LABELS.items()),
        associations=[(str(found_id), name) for found_id, name in associations],
    )


def _role_form(user: User) -> RoleForm:
    return RoleForm(
        prefix=f"role-{user.id}",
        roles=[(role, ACCOUNT_ROLE_LABELS[role]) for role in invitations.STAFF_SIDE_ROLES],
        data={"role": user.role},
    )


@bp.route("/comptes", endpoint="accounts")
def accounts_page(invite_form: InviteForm | None = None) -> str | tuple[str, int]:
    listed = invitations.accounts_list(db.session)
    page = render_template(
        "admin/accounts.html",
        waiting=accounts.accounts_waiting_for_keys(db.session),
        members=accounts.partner_members(db.session),
        acceptances=charter.latest_acceptances(db.session),
        charter_version=charter.CURRENT,
        confirm_form=ConfirmForm(),
        invite_form=invite_form or _invite_form(),
        listed=listed,
        role_forms={
            user.id: _role_form(user)
            for user, _name in listed
            if user.role in invitations.STAFF_SIDE_ROLES and not user.disabled
        },
        role_labels=ACCOUNT_ROLE_LABELS,
        me=signed_in_account().user_id,
    )
    return (page, 422) if invite_form is not None else page


@bp.route("/comptes/inviter", methods=["POST"], endpoint="invite")
def invite() -> Response | str | tuple[str, int]:
    form = _invite_form()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return accounts_page(form)
    association = (
        db.session.get(Association, int(form.association.data)) if form.association.data else None
    )
    try:
        invitations.invite(
            db.session,
            form.email.data,
            form.role.data,
            association,
            signed_in_account().user,
            clock.now(),
            lambda token: external_url("auth.invitation", token=token),
        )
    except invitations.InvitationRefused as refused:
        form.email.errors.append(
            _("An account with this address exists already: reset it instead.")
            if str(refused) == "exists"
            else _("This invitation cannot be sent as it is.")
        )
        return accounts_page(form)
    db.session.commit()
    flash(
        _(
            "The invitation was sent to %(email)s. The link works once, for 72 hours.",
            email=accounts.normalise_email(form.email.data),
        ),
        "success",
    )
    return redirect(url_for("admin.accounts"))


def _account_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _other_active_account(user_id: int) -> User:
    """The account a button acts on: never one's own, never a disabled one."""
    user = _account_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if user.disabled or user.id == signed_in_account().user_id:
        abort(422)  # the page offers no such button
    return user


@bp.route("/comptes/<int:user_id>/reinitialiser", methods=["POST"], endpoint="reset_account")
def reset_account(user_id: int) -> Response:
    user = _other_active_account(user_id)
    invitations.invite_reset(
        db.session,
        user,
        signed_in_account().user,
        clock.now(),
        lambda token: external_url("auth.invitation", token=token),
    )
    db.session.commit()
    flash(
        _(
            "A link to set a new password was sent to %(email)s. Until it is used, the "
            "current password still works.",
            email=user.email,
        ),
        "success",
    )
    return redirect(url_for("admin.accounts"))


@bp.route("/comptes/<int:user_id>/desactiver", methods=["POST"], endpoint="disable_account")
def disable_account(user_id: int) -> Response:
    user = _other_active_account(user_id)
    accounts.disable_account(db.session, user, signed_in_account().user.actor)
    db.session.commit()
    flash(_("The account %(email)s is disabled: its sessions ended.", email=user.email), "success")
    return redirect(url_for("admin.accounts"))


@bp.route("/comptes/<int:user_id>/role", methods=["POST"], endpoint="change_role")
def change_role(user_id: int) -> Response:
    user = _account_or_404(user_id)
    form = _role_form(user)
    if not form.validate_on_submit():
        abort(400 if form.csrf_token.errors else 422)
    try:
        invitations.change_role(db.session, user, form.role.data, signed_in_account().user)
    except invitations.InvitationRefused:
        abort(422)  # a partner's role, or one's own: the page offers neither
    db.session.commit()
    flash(
        _("%(email)s is now: %(role)s.", email=user.email, role=ACCOUNT_ROLE_LABELS[user.role]),
        "success",
    )
    return redirect(url_for("admin.accounts"))


@bp.route("/comptes/<int:user_id>/cles", methods=["POST"])
def grant_keys(user_id: int) -> Response:
    account = signed_in_account()
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if user.disabled:
        abort(422)  # the accounts page offers no such button; a stale page or a forged post
    group_key = accounts.open_group_key(db.session, account.user, account.private_key)
    if group_key is None:
        abort(403)
    accounts.grant_group_keys(db.session, user, group_key, account.user.actor)
    db.session.commit()
    flash(_("The keys were granted."), "success")
    return redirect(url_for("admin.accounts"))


def _filter_asked() -> tuple[journal.EventFilter, AuditFilterForm]:
    """The filters in the query string; none while the form is in error."""
    form = AuditFilterForm(request.args, actions=journal.known_actions(db.session))
    if not (request.args and form.validate()):
        return journal.EventFilter(), form
    return (
        journal.EventFilter(
            actor=form.actor.data or "",
            action=form.action.data or "",
            target=form.target.data or "",
            first=form.date_from.data,
            last=form.date_to.data,
        ),
        form,
    )


def _filter_arguments(form: AuditFilterForm) -> dict[str, str]:
    """The filters of the query string, and nothing else of it, for links."""
    return {key: value for key, value in request.args.items() if key in form.data and value}


def _cursor(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 19 else None


@bp.route("/journal", endpoint="journal")
def journal_page() -> str:
    wanted, form = _filter_asked()
    page = journal.events_page(
        db.session, wanted, older_than=_cursor("avant"), newer_than=_cursor("apres")
    )
    record_event(
        db.session,
        actor=signed_in_account().user.actor,
        action="audit.read",
        target=THE_LOG,
        details=wanted.as_details(),
    )
    db.session.commit()
    return render_template(
        "admin/journal.html",
        form=form,
        page=page,
        emails=journal.actor_emails(db.session, page.events),
        head=journal.head(db.session),
        last_verification=journal.last_verification(db.session),
        verify_form=ConfirmForm(),
        filters={} if form.errors else _filter_arguments(form),
    )


@bp.route("/journal/export.csv", endpoint="export_journal")
def export_journal() -> Response:
    wanted, form = _filter_asked()
    if form.errors:
        return redirect(url_for("admin.journal", **_filter_arguments(form)))
    events = list(journal.matching_events(db.session, wanted))
    emails = journal.actor_emails(db.session, events)
    table = Table(
        "journal",
        _("Audit log"),
        (
            _("No."),
            _("Time (UTC)"),
            _("Who"),
            _("Account"),
            _("Action"),
            _("Target"),
            _("Details"),
            _("Seal"),
        ),
        tuple(
            (
                event.id,
                event.occurred_at.isoformat(),
                event.actor,
                emails.get(event.actor, ""),
                event.action,
                event.target,
                event.details,
                event.hash.hex(),
            )
            for event in events
        ),
        chart_column=None,
    )
    heading = [
        _("Miviludes: audit log of the referral portal"),
        _("Filters: %(filters)s", filters=_filters_text(wanted) or _("none")),
        _("Exported on %(day)s: %(count)s events.", day=day(clock.now()), count=len(events)),
    ]
    body = exports.to_csv([table], heading)
    record_event(
        db.session,
        actor=signed_in_account().user.actor,
        action="audit.export",
        target=THE_LOG,
        details={**wanted.as_details(), "events": len(events)},
    )
    db.session.commit()
    response = Response(body, mimetype=exports.CSV_MEDIA_TYPE)
    response.headers["Content-Disposition"] = 'attachment; filename="miviludes-journal.csv"'
    return response


def _filters_text(wanted: journal.EventFilter) -> str:
    return ", ".join(f"{name}={value}" for name, value in wanted.as_details().items())


@bp.route("/journal/verifier", methods=["POST"], endpoint="verify_journal")
def verify_journal() -> Response:
    """Walk the whole chain now; the result is itself an event of the log."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    result = verify_chain(db.session, audit_key())
    details: dict[str, object] = {"events": result.events, "head": result.head_id}
    if not result.intact:
        details |= {"broken_at": result.broken_at, "reason": result.reason[:120]}
    record_event(
        db.session,
        actor=signed_in_account().user.actor,
        action="audit.verify",
        target=THE_LOG,
        details=details,
    )
    db.session.commit()
    if result.intact:
        flash(_("The chain holds: its %(count)s events verify.", count=result.events), "success")
    else:
        flash(
            _(
                "The chain is broken at event %(event)s: %(count)s events verify before it. "
                "Keep a copy of the database and run `portal audit verify` on the server.",
                event=result.broken_at,
                count=result.events,
            ),
            "error",
        )
    return redirect(url_for("admin.journal"))


def _retention_page(
    rules_form: RetentionRulesForm | None = None, failed: tuple[str, ExtendForm] | None = None
) -> tuple[str, int]:
    """The rules and the cases ending soon; ``failed``: the extension that did not
    validate, shown again beside its case with what was typed."""
    today = clock.today()
    months = retention.rules(db.session)
    endings = retention.endings(db.session, today + timedelta(days=retention.NOTICE_DAYS))
    forms = {
        ending.referral.public_id: ExtendForm(prefix=f"extend-{ending.referral.public_id}")
        for ending in endings
    }
    if failed is not None:
        forms[failed[0]] = failed[1]
    page = render_template(
        "admin/retention.html",
        rules_form=rules_form
        or RetentionRulesForm.for_categories(
            retention.CATEGORIES,
            data={category: months.get(category) for category in retention.CATEGORIES},
        ),
        endings=endings,
        extend_forms=forms,
        today=today,
        categories=retention.CATEGORIES,
        notice_days=retention.NOTICE_DAYS,
    )
    return page, 422 if (rules_form is not None or failed is not None) else 200


@bp.route("/conservation", endpoint="retention")
def retention_page() -> tuple[str, int]:
    return _retention_page()


@bp.route("/conservation/regles", methods=["POST"], endpoint="retention_rules")
def retention_rules() -> Response | tuple[str, int]:
    form = RetentionRulesForm.for_categories(retention.CATEGORIES)
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _retention_page(rules_form=form)
    retention.set_rules(
        db.session,
        {category: form[category].data for category in retention.CATEGORIES},
        signed_in_account().user,
    )
    db.session.commit()
    flash(_("The retention rules were saved."), "success")
    return redirect(url_for("admin.retention"))


@bp.route("/conservation/<ref:public_id>/prolonger", methods=["POST"], endpoint="extend_retention")
def extend_retention(public_id: str) -> Response | tuple[str, int]:
    account = signed_in_account()
    referral = access.visible_referral(db.session, account.user, public_id)
    ending = retention.ending_of(referral, retention.rules(db.session)) if referral else None
    if ending is None:
        abort(404)
    form = ExtendForm(prefix=f"extend-{public_id}")
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _retention_page(failed=(public_id, form))
    data_key = data_key_or_403(account, referral)
    until = retention.extend(
        db.session,
        ending,
        int(form.months.data),
        form.reason.data,
        data_key,
        account.user,
        clock.today(),
    )
    db.session.commit()
    flash(
        _("Case %(reference)s is kept until %(day)s.", reference=public_id, day=day(until)),
        "success",
    )
    return redirect(url_for("admin.retention"))


def _partner_form(association: Association | None = None, **kwargs) -> PartnerForm:
    regions = db.session.execute(select(Region.code, Region.name).order_by(Region.name)).all()
    if association is not None and "formdata" not in kwargs and request.method == "GET":
        kwargs["obj"] = _FormView(directory.PartnerEntry.of(association))
    return PartnerForm(
        kinds=list(PARTNER_KIND_LABELS.items()),
        regions=[(code, name) for code, name in regions],
        domains=list(DOMAINS.items()),
        approvals=list(APPROVAL_LABELS.items()),
        **kwargs,
    )


class _FormView:
    """An entry as WTForms reads an object: départements as the typed text."""

    def __init__(self, entry: directory.PartnerEntry) -> None:
        self.__dict__.update(vars(entry))
        self.departements = " ".join(entry.departements)


def _entry_from(form: PartnerForm) -> directory.PartnerEntry:
    return directory.PartnerEntry(
        name=form.name.data,
        kind=form.kind.data,
        acronym=form.acronym.data or "",
        national=form.national.data,
        departements=form.departement_codes(),
        regions=form.regions.data or [],
        domains=form.domains.data or [],
        phone=(form.phone.data or "").strip(),
        email=(form.email.data or "").strip(),
        website=(form.website.data or "").strip(),
        address=(form.address.data or "").strip(),
        opening_hours=(form.opening_hours.data or "").strip(),
        description_fr=(form.description_fr.data or "").strip(),
        description_en=(form.description_en.data or "").strip(),
        listed=form.listed.data,
        approval_status=form.approval_status.data,
        approval_granted_on=form.approval_granted_on.data,
        approval_expires_on=form.approval_expires_on.data,
    )


def _valid_partner_form(form: PartnerForm) -> bool:
    valid = form.validate_on_submit()
    if form.csrf_token.errors:
        abort(400)
    unknown = directory.unknown_departements(db.session, form.departement_codes())
    if unknown:
        form.departements.errors.append(
            _("Unknown départements: %(codes)s.", codes=", ".join(unknown))
        )
        return False
    return valid


def _partner_page(form: PartnerForm, association: Association | None, status: int = 200):
    return render_template(
        "admin/partner.html",
        form=form,
        association=association,
        confirm_form=ConfirmForm(),
        verifier=db.session.get(User, association.verified_by_id)
        if association is not None and association.verified_by_id
        else None,
    ), status


def _directory_changed() -> None:
    """The finder and the public pages are kept in memory: every worker forgets them."""
    pages().forget_all()


@bp.route("/partenaires", endpoint="partners")
def partners_page() -> str:
    return render_template(
        "admin/partners.html",
        partners=directory.partners(db.session),
        kinds=PARTNER_KIND_LABELS,
        approvals=APPROVAL_LABELS,
        today=clock.today(),
    )


@bp.route("/partenaires/nouveau", methods=["GET", "POST"], endpoint="new_partner")
def new_partner() -> Response | tuple[str, int]:
    form = _partner_form(data={"listed": True} if request.method == "GET" else None)
    if request.method == "GET":
        return _partner_page(form, None)
    if not _valid_partner_form(form):
        return _partner_page(form, None, 422)
    association = directory.create_partner(db.session, _entry_from(form), signed_in_account().user)
    db.session.commit()
    _directory_changed()
    flash(_("The partner was added."), "success")
    return redirect(url_for("admin.partner", association_id=association.id))


def _association_or_404(association_id: int) -> Association:
    association = db.session.get(Association, association_id)
    if association is None:
        abort(404)
    return association


@bp.route("/partenaires/<int:association_id>", methods=["GET", "POST"], endpoint="partner")
def partner_page(association_id: int) -> Response | tuple[str, int]:
    association = _association_or_404(association_id)
    form = _partner_form(association)
    if request.method == "GET":
        return _partner_page(form, association)
    if not _valid_partner_form(form):
        return _partner_page(form, association, 422)
    changed = directory.update_partner(
        db.session, association, _entry_from(form), signed_in_account().user
    )
    db.session.commit()
    _directory_changed()
    flash(
        _("The partner was saved.")
        if "verified" not in changed
        else _("The partner was saved. Its contact details changed: verify them again."),
        "success",
    )
    return redirect(url_for("admin.partner", association_id=association.id))


@bp.route("/partenaires/<int:association_id>/verifier", methods=["POST"], endpoint="verify_partner")
def verify_partner(association_id: int) -> Response:
    association = _association_or_404(association_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    directory.verify_partner(db.session, association, signed_in_account().user)
    db.session.commit()
    _directory_changed()
    flash(_("The details are marked as verified today, by you."), "success")
    return redirect(url_for("admin.partner", association_id=association.id))


@bp.route(
    "/partenaires/<int:association_id>/activite", methods=["POST"], endpoint="partner_activity"
)
def partner_activity(association_id: int) -> Response:
    association = _association_or_404(association_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    directory.set_active(db.session, association, not association.active, signed_in_account().user)
    db.session.commit()
    _directory_changed()
    flash(
        _("The partner is active again.")
        if association.active
        else _("The partner is deactivated: neither listed nor suggested."),
        "success",
    )
    return redirect(url_for("admin.partner", association_id=association.id))


def _tags_page(form: TagForm, status: int = 200) -> tuple[str, int]:
    return (
        render_template(
            "admin/tags.html",
            form=form,
            tags=tags.every_tag(db.session),
            usage=tags.usage(db.session),
            confirm_form=ConfirmForm(),
        ),
        status,
    )


@bp.route("/etiquettes", endpoint="tags")
def tags_page() -> tuple[str, int]:
    return _tags_page(TagForm())


@bp.route("/etiquettes", methods=["POST"], endpoint="create_tag")
def create_tag() -> Response | tuple[str, int]:
    form = TagForm()
    if not form.validate_on_submit():
        return _tags_page(form, 422)
    try:
        tags.create(db.session, form.name.data, signed_in_account().user.actor)
        db.session.commit()
    except tags.TagRefused:
        db.session.rollback()
        form.name.errors.append(_("A tag of this name exists already."))
        return _tags_page(form, 422)
    flash(_("The tag was created."), "success")
    return redirect(url_for("admin.tags"))


def _tag_or_404(tag_id: int) -> Tag:
    tag = db.session.get(Tag, tag_id)
    if tag is None:
        abort(404)
    return tag


@bp.route("/etiquettes/<int:tag_id>/retrait", methods=["POST"], endpoint="retire_tag")
def retire_tag(tag_id: int) -> Response:
    tag = _tag_or_404(tag_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    tags.set_retired(db.session, tag, True, signed_in_account().user.actor)
    db.session.commit()
    flash(_("The tag is no longer offered; the cases that carry it keep it."), "success")
    return redirect(url_for("admin.tags"))


@bp.route("/etiquettes/<int:tag_id>/retour", methods=["POST"], endpoint="restore_tag")
def restore_tag(tag_id: int) -> Response:
    tag = _tag_or_404(tag_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    tags.set_retired(db.session, tag, False, signed_in_account().user.actor)
    db.session.commit()
    flash(_("The tag is offered again."), "success")
    return redirect(url_for("admin.tags"))
