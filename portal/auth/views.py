"""Login, second factor, enrolment, logout. Each view parses, calls a service, renders."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit

import segno
from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from forms.auth import CodeForm, LoginForm, NewPasswordForm
from portal import accounts, clock, invitations
from portal.auth import (
    bp,
    clear_session_cookie,
    current_account,
    current_login,
    set_session_cookie,
)
from portal.auth.sessions import end_session, start_session
from portal.extensions import db, limiter
from portal.records.audit import record_event

#: Failures per client and per account before further tries are refused for a while.
FAILURES_PER_CLIENT = "5/minute;20/hour"
FAILURES_PER_ACCOUNT = "5/minute;20/hour"
#: All clients together: a spray over many accounts is slowed too.
ALL_ATTEMPTS = "300/minute"


def _failed(_response: Response) -> bool:
    return bool(g.get("login_failed"))


def _account_key() -> str:
    """The account a login attempt is about, whether or not it exists."""
    login = current_login()
    if request.endpoint != "auth.login" and login is not None:
        return f"account:{login.user_id}"
    email = accounts.normalise_email(request.form.get("email", ""))
    return "account:" + hashlib.sha256(email.encode()).hexdigest()


def _throttled(view):
    view = limiter.limit(FAILURES_PER_CLIENT, methods=["POST"], deduct_when=_failed)(view)
    view = limiter.limit(
        FAILURES_PER_ACCOUNT, methods=["POST"], key_func=_account_key, deduct_when=_failed
    )(view)
    # One counter for everyone (the default key would be each client's address, which
    # made this a second per-client limit: found by tests/test_limits.py).
    return limiter.shared_limit(
        ALL_ATTEMPTS, scope="login-all", key_func=lambda: "all", methods=["POST"]
    )(view)


def _fast_hashing() -> bool:
    return current_app.extensions["portal.config"].fast_password_hashing


def _home_of(role: str) -> str:
    if role == "partner":
        return url_for("partners.cases")
    if role == "analyst":
        return url_for("analysis.overview")
    return url_for("backoffice.queue")


#: A path and query of our own: no scheme, host, control character, space or backslash.
LOCAL_TARGET = re.compile(r"/[A-Za-z0-9/_.~%?=&+-]*")


def safe_next(target: str | None, role: str) -> str:
    """Only a local path, and only into the space of the account's role."""
    if target and LOCAL_TARGET.fullmatch(target):
        parts = urlsplit(target)
        space = {"partner": "/partenaires/", "analyst": "/bo/statistiques/"}.get(role, "/bo/")
        if not parts.scheme and not parts.netloc and parts.path.startswith(space):
            return target
    return _home_of(role)


def _next_argument() -> str:
    """The ``next`` to carry from step to step: dropped at once when it is not local."""
    target = request.args.get("next", "")
    return target if LOCAL_TARGET.fullmatch(target) else ""


@bp.route("/connexion", methods=["GET", "POST"])
@_throttled
def login() -> str | Response:
    account = current_account()
    if account is not None:
        return redirect(_home_of(account.role))
    form = LoginForm()
    if form.validate_on_submit():
        checked = accounts.check_password(
            db.session, form.email.data, form.password.data, _fast_hashing()
        )
        if checked is None:
            g.login_failed = True
            known = accounts.find_account(db.session, form.email.data)
            record_event(
                db.session,
                actor="anonymous",
                action="login.failure",
                target=known.actor if known else "account:unknown",
                details={"factor": "password"},
            )
            db.session.commit()
            form.password.errors.append(_("The e-mail address or the password is wrong."))
        else:
            user, private_key = checked
            previous = current_login()
            if previous is not None:
                end_session(db.session, previous)
            cookie = start_session(db.session, user, private_key, "password", clock.now())
            db.session.commit()
            step = "auth.code" if user.totp_enrolled else "auth.enrol"
            response = redirect(url_for(step, next=_next_argument()))
            return set_session_cookie(response, cookie)
    return render_template("auth/login.html", form=form)


def _pending():
    login = current_login()
    return login if login is not None and login.stage == "password" else None


def _second_factor(template: str, **context) -> str | Response:
    login = _pending()
    if login is None:
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        if accounts.accept_totp(
            db.session, login.user, login.private_key, form.code.data, clock.now()
        ):
            end_session(db.session, login)
            cookie = start_session(db.session, login.user, login.private_key, "active", clock.now())
            login.user.last_login_at = clock.now()
            record_event(
                db.session, actor=login.user.actor, action="login.success", target=login.user.actor
            )
            db.session.commit()
            target = safe_next(request.args.get("next"), login.role)
            return set_session_cookie(redirect(target), cookie)
        g.login_failed = True
        record_event(
            db.session,
            actor="anonymous",
            action="login.failure",
            target=login.user.actor,
            details={"factor": "totp"},
        )
        db.session.commit()
        form.code.errors.append(
            _("This code is wrong or was already used. Wait for the next code and try again.")
        )
    return render_template(template, form=form, **context)


@bp.route("/connexion/code", methods=["GET", "POST"])
@_throttled
def code() -> str | Response:
    login = _pending()
    if login is not None and not login.user.totp_enrolled:
        return redirect(url_for("auth.enrol"))
    return _second_factor("auth/code.html")


@bp.route("/connexion/activation", methods=["GET", "POST"])
@_throttled
def enrol() -> str | Response:
    login = _pending()
    if login is None or login.user.totp_enrolled:
        return redirect(url_for("auth.login"))
    secret = accounts.totp_secret_of(login.user, login.private_key)
    uri = accounts.totp_uri(login.email, secret)
    qr_svg = segno.make(uri, error="m").svg_inline(
        scale=4, title=_("QR code to add the account to your authentication app")
    )
    return _second_factor("auth/enrol.html", qr_svg=qr_svg, secret=secret)


@bp.route("/deconnexion", methods=["POST"])
def logout() -> Response:
    login = current_login()
    if login is not None:
        record_event(db.session, actor=login.user.actor, action="logout", target=login.user.actor)
        end_session(db.session, login)
        db.session.commit()
    return clear_session_cookie(redirect(url_for("auth.login")))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@_throttled
def invitation(token: str) -> str | tuple[str, int] | Response:
    """An invitation or reset link: the person chooses their password, then logs in
    and enrols their authentication app as any new account does."""
    found = invitations.open_invitation(db.session, token, clock.now())
    if found is None:
        g.login_failed = True  # counted like a failed login: links are not to be guessed
        return render_template("auth/invitation.html", form=None, invitation=None), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        if problem := accounts.password_problem(form.password.data):
            form.password.errors.append(PASSWORD_PROBLEMS[problem])
        else:
            try:
                invitations.accept(
                    db.session, found, form.password.data, clock.now(), _fast_hashing()
                )
            except invitations.InvitationRefused:
                db.session.rollback()
                return render_template("auth/invitation.html", form=None, invitation=None), 404
            db.session.commit()
            flash(_("Your password is set. Log in to enrol your authentication app."), "success")
            return redirect(url_for("auth.login"))
    status = 422 if form.errors else 200
    return render_template("auth/invitation.html", form=form, invitation=found), status


#: ``accounts.password_problem`` codes, as the person reads them.
PASSWORD_PROBLEMS = {
    "too_short": _l("At least 12 characters."),
    "too_long": _l("At most 1,024 characters."),
}
