"""Public pages. Each view parses the request, calls one service and renders."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import abort, current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError, generate_csrf
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from werkzeug.wrappers import Response

from crypto import format_receipt
from forms.files import uploaded_names
from forms.followup import TO_MIVILUDES, FollowUpForm, ReplyForm
from forms.public import ContactSearchForm, SelfCheckForm
from forms.referral import ReferralForm
from forms.validators import lines
from portal import geography, keyring, reference
from portal.content import GuideLibrary, GuideNotFound
from portal.errors import render_error
from portal.extensions import db, limiter, once_per_process, recover_storage
from portal.i18n import current_language, localized_route
from portal.keyring import IntakeKeys
from portal.public import bp, followup, intake, services
from portal.public.pages import FormShell, pages
from portal.statistics import publication
from portal.urls import external_url
from portal.vocabulary import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    PUBLIC_DOMAINS,
    PUBLIC_KINDS,
    WARNING_SIGNS,
)

logger = logging.getLogger(__name__)

#: Guide pages: endpoint → (guide file, French path, English path).
GUIDE_PAGES = {
    "what_is": ("what-is", "/qu-est-ce-qu-une-derive-sectaire", "/what-is-a-sectarian-drift"),
    "detect": ("detect", "/reperer-une-derive-sectaire", "/how-to-detect-it"),
    "law": ("law", "/que-dit-la-loi", "/what-the-law-says"),
    "accessibility": ("accessibility", "/accessibilite", "/accessibility"),
    "legal_notice": ("legal-notice", "/mentions-legales", "/legal-notice"),
    "privacy": ("privacy", "/donnees-personnelles", "/privacy"),
}

#: Domain guides: guide file → (French path, English path), in the order shown.
DOMAIN_GUIDES = {
    "health": ("/guides/sante-et-bien-etre", "/guides/health-and-well-being"),
    "personal-development": (
        "/guides/developpement-personnel-et-coaching",
        "/guides/personal-development-and-coaching",
    ),
    "religious": (
        "/guides/mouvements-religieux-et-spirituels",
        "/guides/religious-and-spiritual-movements",
    ),
    "children": ("/guides/enfants-et-education", "/guides/children-and-education"),
    "online": (
        "/guides/mouvements-en-ligne-et-complotisme",
        "/guides/online-and-conspiracy-movements",
    ),
}


def _guides() -> GuideLibrary:
    return current_app.extensions["portal.guides"]


def _cacheable_page(template: str, **context) -> Response:
    """A page that depends only on its URL: rendered once, served from memory."""
    return pages().page(lambda: render_template(template, **context))


def _render_guide(slug: str) -> Response:
    try:
        guide = _guides().get(current_language(), slug)
    except GuideNotFound:
        abort(404)
    return _cacheable_page("public/guide.html", guide=guide)


@bp.get("/")
def root() -> Response:
    """Send visitors to their language; the choice depends on a header, so say so."""
    lang = request.accept_languages.best_match(LANGUAGES, DEFAULT_LANGUAGE)
    response = redirect(url_for("public.home", lang=lang))
    response.headers["Vary"] = "Accept-Language"
    return response


@localized_route(bp, {"fr": "/", "en": "/"})
def home() -> Response:
    return _cacheable_page("public/home.html")


def _guide_view(slug: str):
    def view() -> Response:
        return _render_guide(slug)

    return view


for _endpoint, (_slug, _fr, _en) in GUIDE_PAGES.items():
    localized_route(bp, {"fr": _fr, "en": _en}, endpoint=_endpoint)(_guide_view(_slug))


def _domain_guide_entries() -> list:
    library, lang = _guides(), current_language()
    return [library.get(lang, slug) for slug in DOMAIN_GUIDES]


@localized_route(bp, {"fr": "/guides", "en": "/guides"})
def guides() -> Response:
    return _cacheable_page("public/guides.html", entries=_domain_guide_entries())


def domain_guide(guide: str) -> Response:
    return _render_guide(guide)


for _slug, (_fr, _en) in DOMAIN_GUIDES.items():
    for _lang, _path in (("fr", _fr), ("en", _en)):
        bp.add_url_rule(
            f"/{_lang}{_path}",
            view_func=domain_guide,
            defaults={"lang": _lang, "guide": _slug},
        )


@localized_route(bp, {"fr": "/chiffres", "en": "/figures"})
def figures() -> Response:
    """The figures an administrator published (frozen, small cells suppressed), never
    live counts; kept in memory like the finder, renewed when a year is published."""
    titles = {
        "kinds": _("Kind of request"),
        "families": _("Family of domains"),
        "senders": _("Who writes"),
        "regions": _("Region"),
        "abroad": _("Abroad or not known"),
    }
    return pages().page(
        lambda: render_template(
            "public/figures.html", years=publication.published_years(db.session, titles)
        ),
        shows_data=True,
    )


@localized_route(bp, {"fr": "/plan-du-site", "en": "/site-map"})
def site_map() -> Response:
    return _cacheable_page("public/site_map.html", domain_guides=_domain_guide_entries())


def _contact_form() -> ContactSearchForm:
    """Read only when a page is rendered: the blank finder served from memory asks
    nothing of the database."""
    return ContactSearchForm(
        request.args,
        departements=reference.departement_choices(db.session),
        regions=[(r.code, r.name) for r in services.list_regions(db.session)],
    )


@localized_route(bp, {"fr": "/qui-contacter", "en": "/who-to-contact"})
def contacts() -> str:
    if not request.args:  # the blank finder: the same for everyone, kept in memory
        return pages().page(
            lambda: render_template("public/contacts.html", form=_contact_form(), search=None),
            shows_data=True,
        )
    form = _contact_form()
    search = None
    if form.validate():
        search = services.find_contacts(
            db.session,
            postcode=form.postcode.data,
            departement=form.departement.data,
            region=form.region.data,
            commune=form.commune.data,
        )
        if search.unknown_postcode:
            form.postcode.errors.append(
                _(
                    "This postcode matches no commune of France. "
                    "Check it, or choose your département in the list."
                )
            )
    return render_template("public/contacts.html", form=form, search=search)


#: Per client address; generous, since a school or an office may share one address.
SELF_CHECK_POST_LIMIT = "30 per minute"


def _self_check_form(formdata=None) -> SelfCheckForm:
    return SelfCheckForm(formdata, signs=list(WARNING_SIGNS.items()))


@localized_route(bp, {"fr": "/auto-evaluation", "en": "/self-check"}, methods=["GET", "POST"])
@limiter.limit(SELF_CHECK_POST_LIMIT, methods=["POST"])
def self_check() -> str:
    if request.method != "POST":
        return pages().page(
            lambda: render_template("public/self_check.html", form=_self_check_form()),
            private=True,
        )
    form = _self_check_form(request.form)
    if not form.validate():
        return render_template("public/self_check.html", form=form)
    reading = services.read_self_check(form.signs.data or [])
    return render_template("public/self_check_result.html", form=form, reading=reading)


def _intake_secrets() -> intake.Secrets:
    return intake.Secrets.from_config(current_app.extensions["portal.config"])


def _installation_keys() -> IntakeKeys:
    """The installation's public keys, read once per worker once they exist (they never
    change); ``KeysMissing`` until ``portal keys init`` has run."""
    return once_per_process("portal.intake_keys", lambda: keyring.intake_keys(db.session))


def _intake_keys() -> IntakeKeys:
    try:
        return _installation_keys()
    except keyring.KeysMissing:
        abort(503)


def _departement_choices() -> list[tuple[str, str]]:
    return [
        *reference.departement_choices(db.session),
        ("abroad", _("Abroad")),
        ("unknown", _("I don’t know")),
    ]


def _referral_form(**kwargs) -> ReferralForm:
    return ReferralForm(
        departements=_departement_choices(),
        domains=list(PUBLIC_DOMAINS.items()),
        signs=list(WARNING_SIGNS.items()),
        **kwargs,
    )


@dataclass(frozen=True)
class Notice:
    """Why a form came back unsent; what was typed comes back with it."""

    title: str
    text: str


PAGE_EXPIRED = Notice(
    _l("This page had expired: nothing was sent"),
    _l(
        "For your security, a page with a form stays valid for a few hours. What you typed "
        "is still below, on a fresh page: check it and send it again. Files must be "
        "selected again."
    ),
)
TOO_MANY_REFERRALS = Notice(
    _l("Nothing was sent: too many requests from your connection"),
    _l(
        "Many requests have been sent from your connection in the last hour, so this one "
        "was not sent. What you typed is still below: please try again in an hour. If "
        "someone is in danger, call 17 or 112 now; an association near you can also help "
        "(see “Who to contact”)."
    ),
)
NOT_STORED = Notice(
    _l("Nothing was sent: the portal could not store your request"),
    _l(
        "A technical problem on our side stopped your request from being saved. What you "
        "typed is still below: please send it again in a few minutes. If someone is in "
        "danger, call 17 or 112 now."
    ),
)
NOT_OPEN = Notice(
    _l("The portal cannot receive requests for the moment"),
    _l(
        "Requests cannot be sent yet: please come back later, or contact an association "
        "near you (see “Who to contact”). If someone is in danger, call 17 or 112 now."
    ),
)
NOT_READ = Notice(
    _l("Your request cannot be shown for the moment"),
    _l(
        "A technical problem on our side stopped the portal from reading your request. "
        "Your code is kept below: please try again in a few minutes. If someone is in "
        "danger, call 17 or 112 now."
    ),
)
SENT_NOT_SHOWN = Notice(
    _l("Your message was sent"),
    _l(
        "It is stored with your request, but the portal could not show your request "
        "again just now. Confirm your code in a few minutes to see it."
    ),
)
EXPIRED_REPLY = Notice(
    _l("This page had expired: your message was not sent"),
    _l(
        "For your security, a page stays valid for a few hours. Your message is kept: "
        "confirm your follow-up code to see your request again with your message ready "
        "to send."
    ),
)


def _report_limit() -> str:
    """Per client (``PORTAL_REPORT_LIMIT``, 20 an hour). Only stored referrals count, so
    a person correcting their form is never stopped, and a robot cannot flood the queue."""
    return current_app.extensions["portal.config"].report_limit


def _report_form_back(notice: Notice, status: int) -> tuple[str, int]:
    """The referral form as it was posted, unvalidated, with a fresh token."""
    form = _referral_form()
    form.files_to_select_again = uploaded_names(form.attachments)
    return render_template("public/report.html", form=form, notice=notice), status


@bp.errorhandler(CSRFError)
def page_expired(error: CSRFError):
    """An expired or missing token on a reporter's form gives the form back, filled
    (WCAG 2.2.1): the cross-site check has already passed (portal.security)."""
    if request.endpoint == "public.report":
        return _report_form_back(PAGE_EXPIRED, 400)
    if request.endpoint == "public.follow_up":
        form = FollowUpForm()
        return render_template("public/follow_up.html", form=form, notice=PAGE_EXPIRED), 400
    if request.endpoint == "public.follow_up_reply":
        # The case is not opened here: that costs an Argon2 run, and this path has no
        # rate limit. The code and the message go back to the rate-limited code form.
        return _reply_back(EXPIRED_REPLY, 400)
    return render_error(error)


def _reply_back(notice: Notice, status: int) -> tuple[str, int]:
    """The code form, with the code and the message typed kept for the next try."""
    form = FollowUpForm(
        formdata=None,
        receipt=request.form.get("receipt", ""),
        draft=request.form.get("body", ""),
    )
    return render_template("public/follow_up.html", form=form, notice=notice), status


@localized_route(bp, {"fr": "/signaler", "en": "/report"}, methods=["GET", "POST"])
@limiter.limit(
    _report_limit,
    methods=["POST"],
    deduct_when=lambda response: response.status_code == 200,
    on_breach=lambda _limit: current_app.make_response(_report_form_back(TOO_MANY_REFERRALS, 429)),
)
def report() -> str:
    if request.method != "POST":
        return _blank_report_form()
    form = _referral_form()
    if not form.validate():
        return render_template("public/report.html", form=form), 422
    secrets_ = _intake_secrets()
    receipt = intake.receipt_from_form(secrets_.form_key, form.receipt.data, form.receipt_seal.data)
    receipt = receipt or intake.issue_receipt(secrets_.form_key)[0]
    submission = _submission_from(form)
    try:
        keys = keyring.intake_keys(db.session)
        try:
            receipted = intake.submit_referral(db.session, submission, receipt, keys, secrets_)
            db.session.commit()
        except IntegrityError:
            # The same form posted twice at the same moment: the other request stored it.
            db.session.rollback()
            receipted = intake.submit_referral(db.session, submission, receipt, keys, secrets_)
    except keyring.KeysMissing:
        return _report_form_back(NOT_OPEN, 503)
    except SQLAlchemyError:
        # Down, locked past the timeout, read-only: nothing was stored. The pooled
        # connections are dropped, so that the next request, once the fault has
        # passed, opens a fresh one (a read-only SQLite connection stays read-only).
        logger.exception("a referral could not be stored; the form went back to the person")
        recover_storage()
        return _report_form_back(NOT_STORED, 503)
    return render_template(
        "public/report_received.html",
        receipted=receipted,
        receipt=format_receipt(receipted.receipt),
    )


def _blank_report_form(signs: list[str] | None = None) -> str | tuple[str, int]:
    try:
        _installation_keys()
    except keyring.KeysMissing:
        # Said before anyone types: a form that cannot be sent is not shown.
        return render_template("public/report.html", form=None, notice=NOT_OPEN), 503
    receipt, seal = intake.issue_receipt(_intake_secrets().form_key)
    ticked = [code for code in signs or [] if code in WARNING_SIGNS]

    def render() -> str:
        form = _referral_form(formdata=None)
        form.signs.data = ticked
        form.receipt.data, form.receipt_seal.data = receipt, seal
        return render_template("public/report.html", form=form)

    if ticked:  # handed over from the self-check: rare, rendered as it is
        return render()
    return _form_from_shell(
        f"report:{current_language()}",
        render,
        {"csrf": generate_csrf(), "receipt": receipt, "seal": seal},
    )


def _form_from_shell(key: str, render, per_request: dict[str, str]) -> str:
    """A blank form page: rendered once per language, then only its per-request values
    (CSRF token, sealed receipt) filled in."""
    shell = pages().shell(key)
    if shell is not None:
        return shell.fill(per_request)
    html = render()
    shell = FormShell.from_page(html, per_request)
    if shell is not None:
        pages().keep_shell(key, shell)
    return html


@localized_route(
    bp,
    {"fr": "/signaler/depuis-l-auto-evaluation", "en": "/report/from-the-self-check"},
    methods=["POST"],
)
@limiter.limit(SELF_CHECK_POST_LIMIT)
def report_from_self_check() -> str:
    """The referral form with the self-check's signs ticked, handed over by POST so that
    they never appear in an address, the history or a server log."""
    return _blank_report_form(request.form.getlist("signs"))


def _submission_from(form: ReferralForm) -> intake.Submission:
    contact = None
    if form.contact_mode.data == "contact":
        contact = {
            "name": form.name.data or "",
            "email": form.email.data or "",
            "phone": form.phone.data or "",
            "best_time": form.best_time.data or "",
        }
    return intake.Submission(
        kind=form.kind.data,
        reporter_role=form.reporter_role.data,
        domain=form.domain.data,
        departement=form.departement.data,
        minor_involved=form.minor_involved.data,
        health_risk=form.health_risk.data,
        immediate_danger=form.immediate_danger.data,
        organisations=lines(form.organisations.data),
        persons=lines(form.persons.data),
        websites=lines(form.websites.data),
        commune=form.commune.data or "",
        since_when=form.since_when.data or "",
        signs=form.signs.data or [],
        description=form.description.data,
        contact=contact,
        contact_allowed=contact is not None and form.consent_contact.data,
        share_identity=contact is not None and form.consent_share.data,
        files=form.clean_files,
    )


#: Per client, and for all clients together: codes cannot be guessed (100 bits), but
#: every attempt costs an Argon2id run, so the work a crowd can cause is bounded.
FOLLOW_UP_LIMIT_PER_CLIENT = "10 per minute;60 per hour"
FOLLOW_UP_LIMIT_ALL_CLIENTS = "600 per minute"


def _follow_up_limits(view):
    view = limiter.limit(FOLLOW_UP_LIMIT_PER_CLIENT, methods=["POST"])(view)
    return limiter.shared_limit(
        FOLLOW_UP_LIMIT_ALL_CLIENTS,
        scope="follow-up-all-clients",
        key_func=lambda: "all",
        methods=["POST"],
    )(view)


def _offer_recipients(form: ReplyForm, case) -> ReplyForm:
    form.offer([(str(item.association.id), item.association.name) for item in case.recipients()])
    return form


def _render_case(case, reply_form: ReplyForm | None = None, sent: bool = False) -> str:
    reply_form = reply_form or ReplyForm(formdata=None, receipt=request.form.get("receipt", ""))
    _offer_recipients(reply_form, case)
    return render_template(
        "public/follow_up_case.html",
        case=case,
        form=reply_form,
        sent=sent,
        lang=current_language(),
        kinds=PUBLIC_KINDS,
        domains=PUBLIC_DOMAINS,
        departements=dict(_departement_choices()),
    )


def _no_such_case(form: FollowUpForm) -> tuple[str, int]:
    form.receipt.errors = [
        _(
            "We found nothing for this code. Check each character; if it is right, your request "
            "may have been closed and deleted."
        )
    ]
    return render_template("public/follow_up.html", form=form), 200


@localized_route(bp, {"fr": "/suivi", "en": "/follow-up"}, methods=["GET", "POST"])
@_follow_up_limits
def follow_up() -> str | tuple[str, int]:
    form = FollowUpForm()
    if request.method == "GET" and not request.args:
        return _form_from_shell(
            f"follow_up:{current_language()}",
            lambda: render_template("public/follow_up.html", form=form),
            {"csrf": generate_csrf()},
        )
    if not form.validate_on_submit():
        return render_template("public/follow_up.html", form=form)
    try:
        case = followup.open_case(
            db.session, form.receipt.data, _intake_keys(), _intake_secrets().receipt_pepper
        )
    except SQLAlchemyError:
        logger.exception("a follow-up could not be read; the code went back to the person")
        recover_storage()
        return render_template("public/follow_up.html", form=form, notice=NOT_READ), 503
    if case is None:
        return _no_such_case(form)
    reply = ReplyForm(formdata=None, receipt=form.receipt.data, body=form.draft.data or "")
    return _render_case(case, reply)


@localized_route(bp, {"fr": "/suivi/repondre", "en": "/follow-up/reply"}, methods=["POST"])
@_follow_up_limits
def follow_up_reply() -> str | tuple[str, int]:
    form = ReplyForm()
    secrets_ = _intake_secrets()
    try:
        case = followup.open_case(
            db.session, form.receipt.data or "", _intake_keys(), secrets_.receipt_pepper
        )
        if case is None:
            return _no_such_case(FollowUpForm(formdata=None))
        if not _offer_recipients(form, case).validate_on_submit():
            return _render_case(case, form), 422
        audience = form.audience.data or TO_MIVILUDES
        try:
            followup.reply(
                db.session,
                case,
                form.body.data,
                form.clean_files,
                association_id=None if audience == TO_MIVILUDES else int(audience),
                case_url=lambda routing_id: external_url("partners.case", routing_id=routing_id),
            )
        except followup.ReplyRefused:
            # The association gave the case back while the reporter was typing.
            db.session.rollback()
            case = followup.open_case(
                db.session, form.receipt.data, _intake_keys(), secrets_.receipt_pepper
            )
            form.audience.data = TO_MIVILUDES
            form.audience.errors = [
                _("This association no longer has your request: write to Miviludes.")
            ]
            return _render_case(case, form), 422
        db.session.commit()
    except SQLAlchemyError:
        logger.exception("a reply could not be stored; the message went back to the person")
        recover_storage()
        return _reply_back(NOT_STORED, 503)
    try:
        case = followup.open_case(
            db.session, form.receipt.data, _intake_keys(), secrets_.receipt_pepper
        )
    except SQLAlchemyError:
        logger.exception("a reply was stored but the case could not be shown again")
        recover_storage()
        code_form = FollowUpForm(formdata=None, receipt=form.receipt.data)
        return render_template("public/follow_up.html", form=code_form, notice=SENT_NOT_SHOWN)
    return _render_case(case, ReplyForm(formdata=None, receipt=form.receipt.data), sent=True)


@localized_route(bp, {"fr": "/suivi/quitter", "en": "/follow-up/leave"}, methods=["POST"])
def follow_up_leave() -> Response:
    """Forget everything: the browser is told to drop this site's cache, cookies and storage."""
    response = current_app.make_response(render_template("public/follow_up_left.html"))
    response.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response


@bp.route("/communes/<departement>.json")
def communes(departement: str) -> Response:
    """The communes of a département, for the referral form's suggestions (portal.js):
    public data, the same for everyone, cached a day; free text is still accepted."""
    if departement not in dict(reference.departement_choices(db.session)):
        abort(404)
    response = jsonify(geography.commune_names(db.session, departement))
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
