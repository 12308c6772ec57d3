"""HTTP headers that every response carries, error pages and static files included."""

from __future__ import annotations

from flask import Flask, Response, abort, request

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

#: Guide pages may be cached by browsers and proxies; everything else is private.
CACHEABLE_PAGE = "public, max-age=300"
NOT_STORED = "no-store"


def mark_cacheable(response: Response) -> Response:
    """Let a page that depends on nothing but its URL be cached (guide pages)."""
    response.headers["Cache-Control"] = CACHEABLE_PAGE
    return response


def _set_security_headers(response: Response) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "no-referrer"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    headers["Permissions-Policy"] = PERMISSIONS_POLICY
    if request.is_secure:
        headers["Strict-Transport-Security"] = HSTS
    if "Cache-Control" not in headers and request.endpoint != "static":
        headers["Cache-Control"] = NOT_STORED
    return response


def init_app(app: Flask) -> None:
    app.after_request(_set_security_headers)


def reject_cross_site_post() -> None:
    """Refuse a POST that a browser says came from another site.

    For forms that must not set a cookie (the self-check), and so cannot carry a
    session-bound CSRF token: Fetch Metadata, then Origin, tell us where the
    request was made. Clients that send neither (old browsers) are let through,
    which is acceptable only for forms that change nothing on the server.
    """
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        if site not in {"same-origin", "none"}:
            abort(403)
        return
    origin = request.headers.get("Origin")
    if origin is not None and origin != request.host_url.rstrip("/"):
        abort(403)
