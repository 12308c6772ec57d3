"""The public site in a real browser: accessibility, CSP, and the no-JavaScript paths."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import (
    axe_violations,
    check_page,
    new_context,
    save_screenshot,
    tick,
)
from tests.pages import PUBLIC_PAGES

ALL_PAGES = [(lang, url) for lang, pages in PUBLIC_PAGES.items() for url, _ in pages]


@pytest.mark.parametrize(("lang", "url"), ALL_PAGES)
def test_public_page_passes_every_check(live_server, page, axe_source, html_checker, lang, url):
    browser_page, watch = page
    response = browser_page.goto(live_server + url)
    assert response.status == 200
    browser_page.wait_for_load_state("networkidle")
    check_page(browser_page, watch, axe_source, html_checker, f"{lang}{url}")


@pytest.mark.parametrize(
    "url",
    ["/fr/qui-contacter?postcode=abc", "/en/who-to-contact?postcode=21000", "/fr/page-absente"],
)
def test_error_and_result_states_pass_every_check(live_server, page, axe_source, html_checker, url):
    browser_page, watch = page
    browser_page.goto(live_server + url)
    browser_page.wait_for_load_state("networkidle")
    check_page(browser_page, watch, axe_source, html_checker, url)


def test_region_finder_without_javascript(live_server, page_without_js):
    browser_page, watch = page_without_js
    browser_page.goto(live_server + "/fr/qui-contacter")
    browser_page.get_by_label("Code postal").fill("21000")
    browser_page.get_by_role("button", name="Chercher par code postal").click()
    browser_page.wait_for_load_state()
    assert "postcode=21000" in browser_page.url
    results = browser_page.locator("#results-title")
    assert "Côte-d'Or" in results.inner_text()
    assert browser_page.get_by_text("ADFI Bourgogne-Franche-Comté (exemple)").is_visible()
    save_screenshot(browser_page, "nojs-region-finder-postcode")

    browser_page.get_by_label("Région").select_option(label="Bretagne")
    browser_page.get_by_role("button", name="Chercher par région").click()
    browser_page.wait_for_load_state()
    assert "Bretagne" in browser_page.locator("#results-title").inner_text()

    browser_page.get_by_label("Code postal").fill("99999")
    browser_page.get_by_role("button", name="Chercher par code postal").click()
    browser_page.wait_for_load_state()
    assert browser_page.get_by_role("alert").is_visible()
    assert browser_page.get_by_label("Code postal").input_value() == "99999"
    save_screenshot(browser_page, "nojs-region-finder-error")

    # Several communes share 54490: the person says which is theirs.
    browser_page.get_by_label("Code postal").fill("54490")
    browser_page.get_by_role("button", name="Chercher par code postal").click()
    browser_page.wait_for_load_state()
    browser_page.get_by_role("link", name="Piennes").click()
    browser_page.wait_for_load_state()
    assert "Meurthe-et-Moselle" in browser_page.locator("#results-title").inner_text()
    save_screenshot(browser_page, "nojs-region-finder-commune")
    assert watch.problems == []


def test_self_check_without_javascript(live_server, page_without_js, axe_source):
    browser_page, watch = page_without_js
    browser_page.goto(live_server + "/en/self-check")
    tick(browser_page, "They refuse or have stopped medical care or treatment.")
    tick(browser_page, "They give or spend large sums of money")
    browser_page.get_by_role("button", name="See how to read these signs").click()
    browser_page.wait_for_load_state()
    assert browser_page.locator("h1").inner_text() == "How to read what you ticked"
    assert browser_page.get_by_text("You ticked 2 signs.").is_visible()
    assert browser_page.get_by_text("call 112").is_visible()
    assert browser_page.context.cookies() == []
    save_screenshot(browser_page, "nojs-self-check-result")
    assert watch.problems == []


def test_self_check_result_hands_its_signs_to_the_form_without_a_trace(
    live_server, page, axe_source, html_checker
):
    browser_page, watch = page
    browser_page.goto(live_server + "/fr/auto-evaluation")
    tick(browser_page, "Des enfants sont tenus à l’écart")
    browser_page.get_by_role("button", name="Voir comment lire ces signes").click()
    browser_page.wait_for_load_state("networkidle")
    assert "119" in browser_page.locator("main").inner_text()
    check_page(browser_page, watch, axe_source, html_checker, "self-check-result")
    assert browser_page.context.cookies() == []

    browser_page.locator("main").get_by_role("button", name="Signaler ou demander un avis").click()
    browser_page.wait_for_load_state("networkidle")
    check_page(browser_page, watch, axe_source, html_checker, "report-from-self-check")
    assert browser_page.locator("h1").inner_text() == "Signaler une situation ou demander un avis"
    assert browser_page.get_by_label("Des enfants sont tenus à l’écart").is_checked()
    # Nothing of what was ticked is in an address the history keeps.
    assert "children" not in browser_page.url and "signs" not in browser_page.url
    history = browser_page.evaluate("() => [location.href, document.referrer]")
    assert not any("signs" in entry for entry in history)


def test_quick_exit_replaces_the_history_entry(live_server, browser):
    """With JavaScript, "back" after the quick exit must not return to the portal."""
    context = new_context(browser)
    # The neutral site is outside this machine's reach: answer it locally.
    context.route("https://meteofrance.com/**", lambda route: route.fulfill(body="meteo"))
    browser_page = context.new_page()
    browser_page.goto(live_server + "/fr/")
    browser_page.goto(live_server + "/fr/que-dit-la-loi")
    browser_page.get_by_role("link", name="Quitter rapidement").click()
    browser_page.wait_for_url("https://meteofrance.com/")
    browser_page.go_back()
    assert browser_page.url == live_server + "/fr/"
    context.close()


@pytest.mark.parametrize("url", ["/fr/reperer-une-derive-sectaire", "/en/how-to-detect-it"])
def test_the_ten_criteria_are_numbered_one_to_ten(live_server, page, url):
    """The second group of criteria continues at 6 on screen, not only in the HTML.

    A marker's rendered number is not exposed to scripts, so this checks what
    decides it: the lists start at 1 and 6, DSFR's own counter (which would restart
    at 1) is neutralised, and the marker shows the built-in list-item counter.
    """
    browser_page, _ = page
    browser_page.goto(live_server + url)
    lists = browser_page.evaluate(
        """() => [...document.querySelectorAll('.portal-guide ol')].map(ol => ({
            start: ol.start,
            items: ol.children.length,
            reset: getComputedStyle(ol).counterReset,
            marker: getComputedStyle(ol.children[0], '::marker').content,
        }))"""
    )
    assert [(entry["start"], entry["items"]) for entry in lists] == [(1, 5), (6, 5)]
    for entry in lists:
        assert entry["reset"] == "none"
        assert entry["marker"].startswith("counter(list-item)")


@pytest.mark.parametrize(
    "url", ["/fr/", "/en/who-to-contact?postcode=75011", "/fr/auto-evaluation"]
)
def test_small_screen_has_no_accessibility_violation(live_server, browser, axe_source, url):
    context = new_context(browser, viewport={"width": 375, "height": 740}, is_mobile=True)
    browser_page = context.new_page()
    browser_page.goto(live_server + url)
    browser_page.wait_for_load_state("networkidle")
    save_screenshot(browser_page, f"mobile{url}")
    assert browser_page.get_by_role(
        "link", name=re.compile("Quitter rapidement|Leave this site")
    ).is_visible()
    assert axe_violations(browser_page, axe_source) == []
    context.close()


def test_the_error_summary_takes_focus_to_the_first_box_of_a_group(live_server, page):
    browser_page, _watch = page
    browser_page.goto(live_server + "/fr/signaler")
    browser_page.get_by_role("button", name="Envoyer ma demande").click()
    browser_page.wait_for_load_state()
    browser_page.locator("#error-summary a").first.click()
    focused = browser_page.evaluate(
        "() => [document.activeElement.id, document.activeElement.getAttribute('aria-invalid')]"
    )
    assert focused == ["kind-0", "true"]


def test_the_menu_skip_link_moves_focus_to_the_menu(live_server, page):
    browser_page, _watch = page
    browser_page.goto(live_server + "/fr/que-dit-la-loi")
    browser_page.keyboard.press("Tab")
    browser_page.keyboard.press("Tab")
    assert browser_page.evaluate("() => document.activeElement.textContent.trim()") == "Menu"
    browser_page.keyboard.press("Enter")
    assert browser_page.evaluate("() => document.activeElement.id") == "main-navigation"
