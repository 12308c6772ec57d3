"""Public pages that are the same for everyone are rendered once per worker and served
from memory with a strong ETag; the form pages are rendered once per language and
only their CSRF token and sealed receipt filled in per request."""

from __future__ import annotations

import re

import pytest
from flask import request, request_started, template_rendered

from portal.public.pages import DATA_PAGE_SECONDS, EXTENSION_KEY, PageStore
from tests.intake_helpers import hidden, post_referral, shown_receipt

SAME_FOR_EVERYONE = [
    "/fr/",
    "/en/",
    "/fr/guides",
    "/fr/plan-du-site",
    "/fr/qui-contacter",
    "/fr/guides/sante-et-bien-etre",
]


class Counted:
    """Counts how often a Flask signal is sent by ``app`` while it is open."""

    def __init__(self, app, signal) -> None:
        self.app, self.signal, self.count = app, signal, 0

    def _seen(self, *_args, **_kwargs) -> None:
        self.count += 1

    def __enter__(self) -> Counted:
        self.signal.connect(self._seen, self.app)
        return self

    def __exit__(self, *_exc) -> None:
        self.signal.disconnect(self._seen, self.app)


def counting_renders(app) -> Counted:
    """The templates rendered."""
    return Counted(app, template_rendered)


def counting_requests(app) -> Counted:
    """The requests that entered Flask."""
    return Counted(app, request_started)


@pytest.mark.parametrize("path", SAME_FOR_EVERYONE)
def test_a_page_the_same_for_everyone_is_rendered_once_and_revalidated(app, client, path):
    first = client.get(path)
    assert first.status_code == 200 and first.headers["Cache-Control"].startswith("public")
    etag = first.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)  # strong
    assert "Set-Cookie" not in first.headers
    with counting_renders(app) as renders:
        second = client.get(path)
        unchanged = client.get(path, headers={"If-None-Match": etag})  # as a browser sends
    assert renders.count == 0
    assert second.get_data() == first.get_data() and second.headers["ETag"] == etag
    assert unchanged.status_code == 304 and unchanged.get_data() == b""
    assert unchanged.headers["ETag"] == etag
    assert "default-src 'none'" in unchanged.headers["Content-Security-Policy"]
    stale = client.get(path, headers={"If-None-Match": '"0"'})  # as a browser sends
    assert stale.status_code == 200 and stale.get_data() == first.get_data()


@pytest.mark.parametrize("path", ["/fr/auto-evaluation", "/en/self-check"])
def test_the_blank_self_check_is_served_from_memory_but_kept_by_no_browser(app, client, path):
    first = client.get(path)
    with counting_renders(app) as renders:
        second = client.get(path)
    assert renders.count == 0 and second.get_data() == first.get_data()
    assert second.headers["Cache-Control"] == "no-store" and "ETag" not in second.headers
    assert "Set-Cookie" not in second.headers


def test_each_language_and_page_has_its_own_copy(client):
    pages = {path: client.get(path) for path in ("/fr/", "/en/", "/fr/guides")}
    assert len({page.headers["ETag"] for page in pages.values()}) == 3
    assert 'lang="fr"' in pages["/fr/"].get_data(as_text=True)
    assert 'lang="en"' in pages["/en/"].get_data(as_text=True)


def test_a_page_showing_data_is_rendered_again_after_a_minute(app, client):
    now = [1000.0]
    app.extensions[EXTENSION_KEY] = PageStore(clock=lambda: now[0])
    client.get("/fr/qui-contacter")
    client.get("/fr/guides")
    now[0] += DATA_PAGE_SECONDS + 1
    with counting_renders(app) as renders:
        client.get("/fr/qui-contacter")  # the directory an administrator may change
        client.get("/fr/guides")  # files: until the next start
    assert renders.count == 1


def test_a_search_is_never_served_from_memory(app, client):
    client.get("/fr/qui-contacter")
    with counting_renders(app) as renders:
        found = client.get("/fr/qui-contacter?departement=21")
    assert renders.count == 1 and "ETag" not in found.headers
    assert found.headers["Cache-Control"] == "no-store"


def test_forgetting_renders_again(app, client):
    client.get("/fr/")
    app.extensions[EXTENSION_KEY].forget_all()
    with counting_renders(app) as renders:
        client.get("/fr/")
    assert renders.count == 1


@pytest.mark.parametrize("path", ["/fr/signaler", "/en/report"])
def test_the_form_is_rendered_once_and_each_request_gets_its_own_token_and_receipt(
    app, client, path
):
    first = client.get(path).get_data(as_text=True)
    with counting_renders(app) as renders:
        second_response = app.test_client().get(path)  # someone else
    second = second_response.get_data(as_text=True)
    assert renders.count == 0
    assert second_response.headers["Cache-Control"] == "no-store"
    assert "ETag" not in second_response.headers
    for name in ("csrf_token", "receipt", "receipt_seal"):
        assert hidden(first, name) != hidden(second, name)
        assert second.count(hidden(second, name)) == 1
    # Apart from those values, the same page.
    strip = re.compile(r'(name="(?:csrf_token|receipt|receipt_seal)" type="hidden" value=")[^"]*')
    assert strip.sub(r"\1", first) == strip.sub(r"\1", second)
    assert "\x00" not in second


def test_a_form_filled_from_the_shell_is_received(client):
    client.get("/fr/signaler")  # the shell is made
    assert shown_receipt(post_referral(client))  # open_form gets a filled shell


def test_the_follow_up_form_is_rendered_once_with_a_token_per_request(app, client):
    first = client.get("/fr/suivi").get_data(as_text=True)
    with counting_renders(app) as renders:
        second = app.test_client().get("/fr/suivi").get_data(as_text=True)
    assert renders.count == 0
    assert hidden(first, "csrf_token") != hidden(second, "csrf_token")


@pytest.mark.parametrize("path", [*SAME_FOR_EVERYONE, "/fr/auto-evaluation"])
def test_a_kept_page_is_answered_as_flask_answered_it_without_entering_flask(app, client, path):
    first = client.get(path)
    with counting_requests(app) as entered:
        again = client.get(path)
        head = client.head(path)
    assert entered.count == 0
    assert (again.status, list(again.headers), again.get_data()) == (
        first.status,
        list(first.headers),
        first.get_data(),
    )
    assert head.status_code == 200 and head.get_data() == b""
    assert head.headers["Content-Length"] == str(len(first.get_data()))


def test_only_plain_gets_of_kept_pages_skip_flask(app, client):
    page = client.get("/fr/qui-contacter")
    with counting_requests(app) as entered:
        client.get("/fr/qui-contacter?departement=21")  # a search
        revalidation = {"If-None-Match": page.headers["ETag"]}  # as a browser sends
        unchanged = client.get("/fr/qui-contacter", headers=revalidation)
        client.post("/fr/qui-contacter")
        client.get("/fr/signaler")  # a form: its token differs per request
    assert entered.count == 4 and unchanged.status_code == 304


def test_each_scheme_gets_its_own_answer(app):
    secure, plain = app.test_client(), app.test_client()
    for _ in range(2):  # the second time from memory
        over_https = secure.get("/fr/guides", base_url="https://localhost")
        over_http = plain.get("/fr/guides")
        assert "Strict-Transport-Security" in over_https.headers
        assert "Strict-Transport-Security" not in over_http.headers


def test_an_answer_that_sets_or_depends_on_a_cookie_is_not_kept(app):
    store = app.extensions[EXTENSION_KEY]
    with app.test_request_context("/fr/guides"):
        store.page(lambda: "<p>page</p>")
        environ = dict(request.environ)
    for headers in ([("Set-Cookie", "a=b")], [("Vary", "Accept-Encoding, Cookie")]):
        store.keep_answer(environ, "200 OK", headers)
        assert store.answer(environ) is None
    store.keep_answer(environ, "200 OK", [("Content-Type", "text/html")])
    assert store.answer(environ) is not None
    store.forget_all()
    assert store.answer(environ) is None
