"""Public pages served like static files.

Most public pages are the same for everyone (the home page, the guides a broadcast
sends crowds to, the site map, the legal pages, the blank self-check): each is
rendered once per worker and per URL, then served from memory with a strong
``ETag``, so that a browser that has it gets a 304 without a body. A page that
shows data an administrator may change (the finder's directory) is rendered again
after ``DATA_PAGE_SECONDS``, so a change reaches every worker within that time; a
worker that makes the change itself drops its copies at once (``forget_all``).

Once Flask has answered such a page in full, the answer itself (status, headers,
body) is kept too, and ``ServedFromMemory``, the WSGI layer in front of Flask, gives
it to the next plain ``GET`` of that address without entering Flask: no request
context, no hooks, about a tenth of the time. Whatever is not a plain ``GET`` of a
kept page (a query string, ``If-None-Match``, a cookie being set) goes to Flask.

The referral form and the follow-up code form differ per request only by their
CSRF token and sealed receipt: each is rendered once per language with those values
marked, and filled in per request (``FormShell``).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app, request
from markupsafe import escape
from werkzeug.wrappers import Response

from portal.security import CACHEABLE_PAGE, NOT_STORED

EXTENSION_KEY = "portal.pages"
#: How long a page showing data an administrator may change is served before it is
#: rendered again.
DATA_PAGE_SECONDS = 60.0


@dataclass(frozen=True)
class _Rendered:
    body: bytes
    etag: str
    #: ``time.monotonic()`` after which it is rendered again; ``None``: until restart.
    stale_after: float | None


#: Set in the WSGI environment by ``PageStore.page``: this answer is a kept page's.
ANSWERED_FROM_STORE = "portal.page_key"


@dataclass(frozen=True)
class _Answer:
    """Flask's full answer to a plain ``GET`` of a kept page, for one URL scheme
    (``Strict-Transport-Security`` is sent over HTTPS only)."""

    page: _Rendered
    status: str
    headers: list[tuple[str, str]]


class PageStore:
    """Rendered pages and form shells of one worker, keyed by URL path."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._pages: dict[str, _Rendered] = {}
        self._shells: dict[str, FormShell] = {}
        #: By (``PATH_INFO`` as the server gave it, URL scheme).
        self._answers: dict[tuple[str, str], _Answer] = {}

    def page(
        self, render: Callable[[], str], *, shows_data: bool = False, private: bool = False
    ) -> Response:
        """This request's page, rendered at most once per lifetime; 304 when the
        browser already holds this very version. ``private``: served from memory all
        the same, but the browser is told to keep no copy (``no-store``), so that the
        page is not found in its cache afterwards (the self-check)."""
        key = request.path
        page = self._pages.get(key)
        if page is None or not self._fresh(page):
            body = render().encode("utf-8")
            stale_after = self._clock() + DATA_PAGE_SECONDS if shows_data else None
            page = _Rendered(body, hashlib.sha256(body).hexdigest()[:32], stale_after)
            self._pages[key] = page
        request.environ[ANSWERED_FROM_STORE] = key
        response = Response(page.body, mimetype="text/html")
        if private:
            response.headers["Cache-Control"] = NOT_STORED
            return response
        response.set_etag(page.etag)
        response.headers["Cache-Control"] = CACHEABLE_PAGE
        return response.make_conditional(request)

    def _fresh(self, page: _Rendered) -> bool:
        return page.stale_after is None or self._clock() < page.stale_after

    def answer(self, environ: dict) -> _Answer | None:
        """The kept answer to this plain ``GET``, while its page is current."""
        found = self._answers.get((environ.get("PATH_INFO", ""), environ["wsgi.url_scheme"]))
        if found is None or not self._fresh(found.page):
            return None
        return found

    def keep_answer(self, environ: dict, status: str, headers: list[tuple[str, str]]) -> None:
        """Keep Flask's answer to a plain ``GET`` of a kept page, unless it sets or
        depends on a cookie (then it is not the same for everyone)."""
        page = self._pages.get(environ[ANSWERED_FROM_STORE])
        names = {name.lower(): value for name, value in headers}
        if (
            page is None
            or not status.startswith("200")
            or "set-cookie" in names
            or "cookie" in names.get("vary", "").lower()
        ):
            return
        path = environ.get("PATH_INFO", "")
        self._answers[path, environ["wsgi.url_scheme"]] = _Answer(page, status, list(headers))

    def shell(self, key: str) -> FormShell | None:
        return self._shells.get(key)

    def keep_shell(self, key: str, shell: FormShell) -> None:
        self._shells[key] = shell

    def forget_all(self) -> None:
        self._pages.clear()
        self._shells.clear()
        self._answers.clear()


@dataclass(frozen=True)
class FormShell:
    """A form page rendered once, with the values that differ per request marked."""

    html: str
    names: tuple[str, ...]

    @staticmethod
    def _marker(name: str) -> str:
        return f"\x00{name}\x00"

    @classmethod
    def from_page(cls, html: str, per_request: dict[str, str]) -> FormShell | None:
        """Mark each per-request value (e.g. ``{"csrf": token}``); ``None`` when a value
        is not found exactly once, so that the page is then rendered every time. Values
        are looked for and filled in as the template wrote them: escaped."""
        for name, value in per_request.items():
            written = str(escape(value))
            if not value or html.count(written) != 1:
                return None
            html = html.replace(written, cls._marker(name))
        return cls(html, tuple(per_request))

    def fill(self, per_request: dict[str, str]) -> str:
        html = self.html
        for name in self.names:
            html = html.replace(self._marker(name), str(escape(per_request[name])))
        return html


class ServedFromMemory:
    """WSGI layer in front of Flask: answers a plain ``GET`` or ``HEAD`` of a kept page
    from memory, as Flask last answered it; gives everything else to Flask, and keeps
    Flask's full answers to plain ``GET`` requests of kept pages."""

    def __init__(self, app: Flask, wsgi_app) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict, start_response):
        method = environ.get("REQUEST_METHOD")
        plain = (
            method in ("GET", "HEAD")
            and not environ.get("QUERY_STRING")
            and "HTTP_IF_NONE_MATCH" not in environ
        )
        if not plain:
            return self.wsgi_app(environ, start_response)
        store: PageStore = self.app.extensions[EXTENSION_KEY]
        kept = store.answer(environ)
        if kept is not None:
            start_response(kept.status, list(kept.headers))
            return [] if method == "HEAD" else [kept.page.body]
        answered = []

        def noting_start_response(status, headers, exc_info=None):
            answered.append((status, headers))
            return start_response(status, headers, exc_info)

        result = self.wsgi_app(environ, noting_start_response)
        if method == "GET" and answered and ANSWERED_FROM_STORE in environ:
            store.keep_answer(environ, *answered[-1])
        return result


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = PageStore()
    app.wsgi_app = ServedFromMemory(app, app.wsgi_app)  # type: ignore[method-assign]


def pages() -> PageStore:
    return current_app.extensions[EXTENSION_KEY]
