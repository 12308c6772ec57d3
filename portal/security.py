"""HTTP headers that every response carries, error pages and static files included."""

from __future__ import annotations

from flask import Flask, Response, abort, current_app, request
from flask_wtf import CSRFProtect

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


def init_app(app: Flask) -> None:
    app.before_request(reject_cross_site_post)
    app.after_request(_set_security_headers)


def exempt_from_csrf(app: Flask, csrf: CSRFProtect) -> None:
    """After the blueprints: every other POST needs its session's token."""
    for endpoint in CSRF_EXEMPT_ENDPOINTS:
        csrf.exempt(app.view_functions[endpoint])
