"""Security headers on every response: every route of the URL map, and every error page."""

from __future__ import annotations

import pytest
from werkzeug.exceptions import InternalServerError

from portal.extensions import limiter
from portal.security import CONTENT_SECURITY_POLICY
from tests.casework_helpers import filled_rule
from tests.pages import ALL_PUBLIC_URLS, GUIDE_URLS

EXPECTED_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)

#: A sample value for each URL argument a rule may have; a new argument must be added here.
SAMPLE_ARGUMENTS = {
    "filename": "css/portal.css",
    "public_id": "2026-000000",
    "attachment_id": "0" * 32,
    "routing_id": "1",
    "user_id": "1",
    "file_format": "csv",
    "association_id": "1",
    "departement": "21",
    "token": "an-invitation-token-that-was-never-issued",
    "saved_id": "1",
    "tag_id": "1",
}


def assert_security_headers(response, *, https: bool = False) -> None:
    headers = response.headers
    assert headers["Content-Security-Policy"] == EXPECTED_CSP
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in headers["Permissions-Policy"]
    assert "geolocation=()" in headers["Permissions-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    if https:
        assert headers["Strict-Transport-Security"].startswith("max-age=63072000")
    else:
        assert "Strict-Transport-Security" not in headers


def test_policy_constant_is_the_designed_one():
    assert CONTENT_SECURITY_POLICY == EXPECTED_CSP


def _urls_of_every_rule(app) -> list[tuple[str, str]]:
    urls = []
    for rule in app.url_map.iter_rules():
        arguments = rule.arguments - set(rule.defaults or {})
        missing = arguments - set(SAMPLE_ARGUMENTS)
        assert not missing, f"add a sample value for {missing} of {rule.rule} to SAMPLE_ARGUMENTS"
        url = filled_rule(rule.rule, {name: SAMPLE_ARGUMENTS[name] for name in arguments})
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            urls.append((method, url))
    return urls


@pytest.mark.parametrize("https", [False, True])
def test_every_route_sends_the_security_headers(app, https):
    client = app.test_client()
    urls = _urls_of_every_rule(app)
    assert len(urls) >= 2 * len(ALL_PUBLIC_URLS) // 2
    base = "https://localhost" if https else "http://localhost"
    for method, url in urls:
        response = client.open(url, method=method, base_url=base)
        assert response.status_code < 500, (method, url)
        assert_security_headers(response, https=https)


@pytest.mark.parametrize("url", GUIDE_URLS)
def test_guide_pages_set_no_cookie_and_may_be_cached(client, url):
    response = client.get(url)
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "public, max-age=300"


@pytest.mark.parametrize("url", ["/fr/qui-contacter?postcode=21000", "/en/self-check"])
def test_pages_with_forms_or_answers_are_not_stored_and_set_no_cookie(client, url):
    response = client.get(url)
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("url", ["/fr/signaler", "/en/follow-up"])
def test_forms_with_a_csrf_token_set_only_a_hardened_session_cookie(make_app, url):
    for https, name in ((False, "portal"), (True, "__Host-portal")):
        client = make_app(https=https).test_client()
        response = client.get(url, base_url="https://localhost" if https else "http://localhost")
        assert response.headers["Cache-Control"] == "no-store"
        (cookie,) = response.headers.getlist("Set-Cookie")
        assert cookie.startswith(f"{name}=")
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
        assert ("Secure" in cookie) == https
        assert "Domain=" not in cookie


ERROR_TITLES = {
    404: ("Page introuvable", "Page not found"),
    405: ("Action non autorisée", "Action not allowed"),
    413: ("Envoi trop volumineux", "Too much data sent"),
    429: ("Trop de tentatives", "Too many attempts"),
    500: ("Un problème est survenu de notre côté", "Something went wrong on our side"),
}


def _trigger(app, client, code: int, lang: str):
    prefix = f"/{lang}"
    if code == 404:
        return client.get(f"{prefix}/no-such-page")
    if code == 405:
        return client.post(
            f"{prefix}/" + ("que-dit-la-loi" if lang == "fr" else "what-the-law-says")
        )
    if code == 413:
        app.config["MAX_CONTENT_LENGTH"] = 1024
        path = "/fr/auto-evaluation" if lang == "fr" else "/en/self-check"
        return client.post(path, data={"signs": "x" * 4096})
    if code == 429:
        path = "/fr/auto-evaluation" if lang == "fr" else "/en/self-check"
        response = None
        for _ in range(100):
            response = client.post(path, data={"signs": ["money"]})
            if response.status_code == 429:
                break
        return response
    if code == 500:

        def explode():
            raise RuntimeError("boom")

        app.add_url_rule(f"{prefix}/explode", "explode", explode)
        return client.get(f"{prefix}/explode")
    raise AssertionError(code)


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("code", sorted(ERROR_TITLES))
def test_error_pages_are_translated_styled_and_protected(make_app, code, lang):
    app = make_app()
    limiter.reset()
    client = app.test_client()
    response = _trigger(app, client, code, lang)
    assert response.status_code == code
    page = response.get_data(as_text=True)
    title = ERROR_TITLES[code][0 if lang == "fr" else 1]
    assert f"<h1>{title}</h1>" in page
    assert f'<html lang="{lang}"' in page
    assert "vendor/dsfr/dsfr.min.css" in page
    assert_security_headers(response)
    assert response.headers["Cache-Control"] == "no-store"
    limiter.reset()


def test_error_language_follows_accept_language_outside_a_language_prefix(client):
    response = client.get("/nowhere", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.get_data(as_text=True)


def test_unexpected_error_is_logged_without_request_details(make_app, caplog):
    app = make_app()

    def explode():
        raise InternalServerError()

    app.add_url_rule("/fr/explode", "explode", explode)
    response = app.test_client().get(
        "/fr/explode",
        environ_base={"REMOTE_ADDR": "203.0.113.77"},
        headers={"User-Agent": "UA-MARKER"},
    )
    assert response.status_code == 500
    assert "203.0.113.77" not in caplog.text and "UA-MARKER" not in caplog.text
