"""Browser fixtures: the portal as deployed (gunicorn, HTTPS, ``PORTAL_HTTPS=true``,
Redis counters) on a loopback port, Debian's Chromium, axe-core.

Never downloads a browser: Playwright drives /usr/bin/chromium, which accepts the
throwaway certificate (``ignore_https_errors``) and otherwise sends exactly what it
sends to a real site: no test adds a header. A missing browser or axe-core fails the
tests with the command that installs it; nothing is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.conftest import make_config
from tests.servers import assert_no_traceback, start_production_server

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
#: Flags that keep Chromium from calling home on a machine with no network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live_server(database_url, tmp_path_factory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("live-instance")
    server = start_production_server(make_config(folder, database_url, https=True), folder)
    yield server.url
    server.stop()
    assert_no_traceback(server)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), "browser tests need Debian's chromium: apt-get install chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    assert AXE.exists(), "axe-core is missing: run `npm ci`"
    return AXE.read_text(encoding="utf-8")


class ConsoleWatch:
    """Collects what goes wrong in a page: CSP violations, script errors, broken subresources.

    The document's own status is the test's business (an error page is a 404 on
    purpose), so only subresources count as broken when they answer 4xx/5xx.
    """

    def __init__(self, page: Page) -> None:
        self.problems: list[str] = []
        #: The last page the browser received (after redirects), for the HTML checker.
        self.document = None
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("requestfailed", self._on_request_failed)
        page.on("response", self._on_response)

    def _on_request_failed(self, request) -> None:
        # The browser fetches the icon on its own and drops the request when the page
        # is left first (a form sent at once): not a fault of the page.
        if request.failure == "net::ERR_ABORTED" and request.url.endswith("/favicon.svg"):
            return
        self.problems.append(f"failed: {request.url}")

    def _on_console(self, message) -> None:
        if message.text.startswith("Failed to load resource"):
            return  # reported with its URL by _on_response
        if message.type == "error" or "Content Security Policy" in message.text:
            self.problems.append(f"console {message.type}: {message.text}")

    def _on_response(self, response) -> None:
        request = response.request
        if request.is_navigation_request() and request.frame.parent_frame is None:
            if not 300 <= response.status < 400:
                self.document = response
        elif response.status >= 400:
            self.problems.append(f"{response.status}: {response.url}")

    def html(self) -> str:
        """The HTML as the server sent it (not the DOM after scripts ran)."""
        assert self.document is not None, "no page was loaded"
        return self.document.text()


def new_context(browser: Browser, *, javascript: bool = True, **options) -> BrowserContext:
    """A fresh profile, as a person's browser: French, the throwaway certificate accepted."""
    context = browser.new_context(
        java_script_enabled=javascript, locale="fr-FR", ignore_https_errors=True, **options
    )
    context.set_default_timeout(15_000)
    return context


def _new_page(browser: Browser, *, javascript: bool) -> tuple[Page, ConsoleWatch]:
    page = new_context(browser, javascript=javascript).new_page()
    return page, ConsoleWatch(page)


@pytest.fixture
def page(browser) -> Iterator[tuple[Page, ConsoleWatch]]:
    page, watch = _new_page(browser, javascript=True)
    yield page, watch
    page.context.close()


@pytest.fixture
def page_without_js(browser) -> Iterator[tuple[Page, ConsoleWatch]]:
    page, watch = _new_page(browser, javascript=False)
    yield page, watch
    page.context.close()


def axe_violations(page: Page, axe_source: str) -> list[str]:
    """Run axe-core with its default rules (WCAG 2.x A/AA and best practices).

    The script is evaluated through the DevTools protocol, which the page's CSP
    does not govern, so the policy under test stays exactly as served. It needs a
    context with JavaScript enabled (evaluation never returns otherwise).
    """
    page.evaluate(axe_source)
    results = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + "; ".join(node["target"][0] for node in violation["nodes"][:5])
        for violation in results
    ]


#: The narrowest screen WCAG 1.4.10 (reflow) asks pages to work on without scrolling
#: sideways (320 CSS pixels, a 1280-pixel screen zoomed to 400 %).
REFLOW_WIDTH = 320


def horizontal_overflow(page: Page) -> int:
    """By how many pixels the page is wider than a 320-pixel screen (0 when it fits).

    Data tables scroll inside their own box (``.fr-table``), which WCAG allows; only
    the page itself must not scroll sideways.
    """
    original = page.viewport_size
    page.set_viewport_size({"width": REFLOW_WIDTH, "height": 800})
    try:
        return page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
    finally:
        page.set_viewport_size(original)


def check_page(page: Page, watch: ConsoleWatch, axe_source: str, html_checker, name: str):
    """What every page a browser test visits must pass: a screenshot for people to look
    at, axe-core, the Nu HTML Checker on the HTML received, reflow at 320 px, and no CSP
    report or script error."""
    page.wait_for_load_state()
    # Every font the style sheets declare, loaded now: a layout change below (the
    # full-page screenshot, the 320-pixel measure) would otherwise start a font
    # request that Chromium aborts when the layout changes back.
    page.evaluate(
        "() => Promise.all([...document.fonts].map(f => f.load().catch(() => null)))"
        ".then(() => true)"
    )
    save_screenshot(page, name)
    assert axe_violations(page, axe_source) == [], name
    assert html_checker.errors(watch.html()) == [], name
    assert horizontal_overflow(page) <= 0, name
    assert watch.problems == [], name


def tick(page: Page, label_text: str) -> None:
    """Tick a DSFR checkbox the way a person does: by its label."""
    page.locator("label", has_text=label_text).click()


def save_screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / (re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") + ".png")
    # caret="initial": hiding the caret makes Playwright inject a <style> element, which
    # the page's CSP blocks and reports as a violation while a text field has focus.
    page.screenshot(path=str(path), full_page=True, caret="initial")
    return path
