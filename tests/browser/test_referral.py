"""Filing a referral and following it up in a real browser, with and without JavaScript."""

from __future__ import annotations

import pytest

from tests.browser.conftest import (
    ConsoleWatch,
    check_page,
    new_context,
    save_screenshot,
    tick,
)

ATTACHMENT = {
    "name": "temoignage.txt",
    "mimeType": "text/plain",
    "buffer": "Ce que j’ai vu.".encode(),
}


def fill_referral(page) -> None:
    tick(page, "Signaler une situation : je veux de l’aide")
    tick(page, "Un proche ou un membre de la famille")
    tick(page, "Des soins ou des thérapies proposés à la place de la médecine")
    page.get_by_label("Nom de l’organisation ou du groupe").fill("Éveil Intérieur")
    page.get_by_label("Département où cela se passe").select_option("21")
    page.get_by_label("Commune (facultatif)").fill("Dijon")
    page.locator("#minor_involved label", has_text="Non").click()
    tick(page, "Elle refuse ou a arrêté des soins")
    page.get_by_label("Décrivez la situation").fill(
        "Ma sœur suit un coach en bien-être qui lui a fait arrêter son traitement depuis six mois."
    )
    page.set_input_files("#attachments", files=[ATTACHMENT])


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_file_a_referral_then_follow_it_up(
    live_server, browser, axe_source, html_checker, javascript
):
    """axe-core and the reflow measure are scripts, so they run in the JavaScript pass;
    the server sends the same HTML to both (checked by the HTML checker in both), and
    the no-JavaScript pass proves the journey works without it."""
    context = new_context(browser, javascript=javascript)
    page = context.new_page()
    watch = ConsoleWatch(page)
    name = "js" if javascript else "nojs"

    def check(step: str) -> None:
        if javascript:
            check_page(page, watch, axe_source, html_checker, f"{name}-{step}")
        else:
            page.wait_for_load_state()
            save_screenshot(page, f"{name}-{step}")
            assert html_checker.errors(watch.html()) == [], step

    page.goto(live_server + "/fr/signaler")
    check("referral-form")

    # An empty submission: every error is summarised at the top and shown by its field.
    page.get_by_role("button", name="Envoyer ma demande").click()
    page.wait_for_load_state()
    summary = page.locator("#error-summary")
    assert summary.is_visible()
    assert "Décrivez la situation." in summary.inner_text()
    check("referral-errors")

    fill_referral(page)
    if javascript:  # the communes of Côte-d'Or are suggested; typed text still goes
        suggestions = page.locator("#commune-suggestions option")
        suggestions.first.wait_for(state="attached")
        assert suggestions.count() > 600
        assert page.get_attribute("#commune", "list") == "commune-suggestions"
    page.get_by_role("button", name="Envoyer ma demande").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Votre demande a bien été reçue"
    receipt = page.locator(".portal-receipt__code").inner_text().strip()
    assert len(receipt) == 23
    assert page.get_by_role("button", name="Imprimer cette page").is_visible() == javascript
    check("referral-received")

    page.locator("main").get_by_role("link", name="Suivre ma demande").click()
    page.wait_for_load_state()
    page.get_by_label("Votre code de suivi").fill(receipt.lower().replace("-", ""))
    page.get_by_role("button", name="Voir ma demande").click()
    page.wait_for_load_state()
    assert "Reçue" in page.locator(".portal-status").inner_text()
    # What was sent can be read again, the file's name included.
    assert "temoignage.txt" in page.locator("main").inner_text()
    check("follow-up-case")

    page.get_by_label("Votre message").fill("J’ai retrouvé un reçu de paiement.")
    page.set_input_files("#attachments", files=[{**ATTACHMENT, "name": "recu.txt"}])
    page.get_by_role("button", name="Envoyer", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_text("Votre message a été envoyé.").is_visible()
    assert page.get_by_text("J’ai retrouvé un reçu de paiement.").is_visible()
    check("follow-up-answered")

    page.get_by_role("button", name="Quitter et oublier cette page").click()
    page.wait_for_load_state()
    check("follow-up-left")
    assert page.context.cookies() == []
    context.close()


def test_follow_up_error_state_passes_every_check(live_server, page, axe_source, html_checker):
    browser_page, watch = page
    browser_page.goto(live_server + "/en/follow-up")
    browser_page.get_by_label("Your follow-up code").fill("ABCDE-ABCDE-ABCDE-ABCDE")
    browser_page.get_by_role("button", name="See my request").click()
    browser_page.wait_for_load_state("networkidle")
    assert "We found nothing for this code" in browser_page.locator("main").inner_text()
    check_page(browser_page, watch, axe_source, html_checker, "follow-up-not-found")


def test_danger_notice_follows_its_checkbox_with_javascript(live_server, page):
    browser_page, watch = page
    browser_page.goto(live_server + "/en/report")
    notice = browser_page.locator(".portal-danger-notice")
    assert not notice.is_visible()
    tick(browser_page, "Someone is in immediate danger")
    assert notice.is_visible()
    assert not browser_page.locator(".portal-contact-details").is_visible()
    tick(browser_page, "I give my details so that Miviludes can contact me")
    assert browser_page.locator(".portal-contact-details").is_visible()
    assert watch.problems == []
