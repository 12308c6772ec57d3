"""Login for the back office and the partner space: password, then a TOTP code.

The account behind a request is found in one place, ``current_login``, from the
session cookie; back-office and partner blueprints call ``require_roles``.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Flask, Response, abort, current_app, g, redirect, request, url_for

from portal import clock
from portal.auth.sessions import OpenSession, SessionPolicy, load_session
from portal.extensions import db

bp = Blueprint("auth", __name__, template_folder="../templates")

CLEAR_SITE_DATA = '"cache", "cookies", "storage"'


def cookie_name() -> str:
    return "__Host-portal-auth" if current_app.extensions["portal.config"].https else "portal-auth"


def session_policy() -> SessionPolicy:
    config = current_app.extensions["portal.config"]
    return SessionPolicy(
        idle=timedelta(minutes=config.session_idle_minutes),
        absolute=timedelta(hours=config.session_absolute_hours),
    )


def current_login() -> OpenSession | None:
    """The session of this request at any stage, loaded once."""
    if "portal_login" not in g:
        g.portal_login = load_session(
            db.session, request.cookies.get(cookie_name()), clock.now(), session_policy()
        )
    return g.portal_login


def current_account() -> OpenSession | None:
    """The session of this request once both factors were given, else ``None``."""
    login = current_login()
    return login if login is not None and login.stage == "active" else None


def signed_in_account() -> OpenSession:
    """The account of a view behind ``require_roles``, which has already refused anyone else."""
    account = current_account()
    if account is None:
        abort(403)
    return account


def require_roles(*roles: str) -> None:
    """Default deny for a blueprint: call from its ``before_request``."""
    account = current_account()
    if account is None:
        if request.method == "GET":
            abort(redirect(url_for("auth.login", next=request.full_path.rstrip("?"))))
        abort(403)
    if account.role not in roles:
        abort(403)
    if account.touched:
        db.session.commit()  # keep the touch of ``last_seen_at`` (at most once a minute)


def set_session_cookie(response: Response, value: str) -> Response:
    config = current_app.extensions["portal.config"]
    response.set_cookie(
        cookie_name(), value, secure=config.https, httponly=True, samesite="Strict", path="/"
    )
    return response


def clear_session_cookie(response: Response) -> Response:
    config = current_app.extensions["portal.config"]
    response.delete_cookie(
        cookie_name(), secure=config.https, httponly=True, samesite="Strict", path="/"
    )
    response.headers["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response


def _account_template_globals() -> dict[str, object]:
    return {"current_account": current_account}


def init_app(app: Flask) -> None:
    app.context_processor(_account_template_globals)
    app.register_blueprint(bp)


from portal.auth import views  # noqa: E402,F401  (registers the routes)
