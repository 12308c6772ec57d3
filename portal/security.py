"""HTTP headers that every response carries, error pages and static files included."""

from __future__ import annotations

import time

from flask import Flask, Response, abort, current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf import CSRFProtect
from flask_wtf.csrf import generate_csrf
from itsdangerous import URLSafeTimedSerializer

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), "
    "gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=(), browsing-topics=()"
)
HSTS = "max-age=63072000; includeSubDomains"

#: Pages the same for everyone (portal.public.pages) may be kept by browsers and
#: proxies; everything else is private.
CACHEABLE_PAGE = "public, max-age=300"
NOT_STORED = "no-store"


def _set_security_headers(response: Response) -> Response:
    headers = response.headers
    # A view may have set a stricter policy (attachment downloads: a sandbox).
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    # Not ``no-referrer``: with it, browsers send ``Origin: null`` on our own form posts.
    headers["Referrer-Policy"] = "same-origin"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    headers["Permissions-Policy"] = PERMISSIONS_POLICY
    if request.is_secure:
        headers["Strict-Transport-Security"] = HSTS
    static_file = request.endpoint == "static" and response.status_code < 400
    if "Cache-Control" not in headers and not static_file:
        headers["Cache-Control"] = NOT_STORED
    return response


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: The only form posts that carry no CSRF token. Both answer before any cookie is set
#: and change nothing: the self-check's reading of ticked signs, and the referral form
#: with those signs ticked. Their guard is ``reject_cross_site_post``, which refuses a
#: post a browser says came from another site (tests/test_csrf_matrix.py).
CSRF_EXEMPT_ENDPOINTS = frozenset({"public.self_check", "public.report_from_self_check"})


def reject_cross_site_post() -> None:
    """Refuse a form post that a browser says came from another site.

    Every current browser sends Fetch Metadata (``Sec-Fetch-Site``); older ones send
    ``Origin``, which must then be our own (``PORTAL_BASE_URL``; ``null`` is refused).
    A client that sends neither is not a browser a page of another site could drive,
    and still needs the CSRF token on every form that has one. This replaces
    Flask-WTF's strict Referer check, which refused posts whose Referer a browser or a
    privacy tool had withheld.
    """
    if request.method in SAFE_METHODS:
        return
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        if site not in {"same-origin", "none"}:
            abort(403)
        return
    origin = request.headers.get("Origin")
    if origin is not None and origin != current_app.extensions["portal.config"].base_url:
        abort(403)


class SignedCookieSessions(SecureCookieSessionInterface):
    """Flask's signed cookie (it holds the CSRF token and flashed messages), with its
    serializer built once per set of keys instead of at every request: itsdangerous
    tests each new serializer by encoding a value, a twentieth of a staff page."""

    def __init__(self) -> None:
        self._serializers: dict[tuple, URLSafeTimedSerializer] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = self._serializers[keys] = super().get_signing_serializer(app)
        return serializer


#: A session's signed CSRF token is reused for this long (Flask-WTF signs it anew at
#: every request); it stays valid for ``WTF_CSRF_TIME_LIMIT`` from its signing.
CSRF_TOKEN_REUSE_SECONDS = 60
#: Sessions whose signed token a worker keeps at most (then it starts afresh).
MAX_REUSED_CSRF_TOKENS = 10_000
CSRF_TOKENS_KEY = "portal.csrf_tokens"


def csrf_token() -> str:
    """The CSRF token written in a page: Flask-WTF's, signed at most once a minute per
    session and worker. Every staff page carries one (the logout form), and signing
    it was a tenth of a triage-queue page."""
    if "csrf_token" in g:
        return g.csrf_token
    reused: dict[str, tuple[str, float]] = current_app.extensions[CSRF_TOKENS_KEY]
    raw = session.get("csrf_token")
    found = reused.get(raw) if isinstance(raw, str) else None
    if found is not None and time.monotonic() - found[1] < CSRF_TOKEN_REUSE_SECONDS:
        g.csrf_token = found[0]
        return found[0]
    token = generate_csrf()
    if len(reused) >= MAX_REUSED_CSRF_TOKENS:
        reused.clear()
    reused[session["csrf_token"]] = (token, time.monotonic())
    return token


def init_app(app: Flask) -> None:
    app.session_interface = SignedCookieSessions()
    app.extensions[CSRF_TOKENS_KEY] = {}
    # Flask-WTF offers its own both ways, as a global and from a context processor.
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.context_processor(lambda: {"csrf_token": csrf_token})
    app.before_request(reject_cross_site_post)
    app.after_request(_set_security_headers)


def exempt_from_csrf(app: Flask, csrf: CSRFProtect) -> None:
    """After the blueprints: every other POST needs its session's token."""
    for endpoint in CSRF_EXEMPT_ENDPOINTS:
        csrf.exempt(app.view_functions[endpoint])
