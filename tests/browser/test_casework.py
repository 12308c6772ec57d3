"""The whole story in a browser: a relative reports, Miviludes triages and routes, the
association covering Côte-d'Or takes the case, the other one cannot see it, and the
reporter reads the question and answers.

The story runs on a database of its own, so "the partner sees exactly this case" is
literally true. Every back-office and partner page is checked with axe-core, and any
CSP violation, script error or JavaScript dialog fails the test.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pyotp
import pytest
from playwright.sync_api import Browser

from portal import create_app
from portal.extensions import db
from portal.models import User
from tests.browser.conftest import (
    ConsoleWatch,
    check_page,
    new_context,
)
from tests.browser.test_referral import fill_referral
from tests.casework_helpers import ASSOCIATION_A, ASSOCIATION_B, Person, make_person
from tests.conftest import make_config, ready_installation
from tests.servers import assert_no_traceback, start_production_server

#: Typed by the reporter; must come back as text, never run (the CSP would block it too,
#: so the assertion is on the text and on the absence of any dialog).
SCRIPT_PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert("y")>'
QUESTION = "Votre sœur a-t-elle un médecin traitant que nous pourrions contacter ?"
INTERNAL_NOTE = "Note interne : troisième signalement sur ce coach en Côte-d'Or."
PARTNER_NOTE = "Premier appel à la famille prévu jeudi."
ANSWER = "Oui, le docteur de Dijon qui la suivait avant."
DECLINE_REASON = "Nous n’avons plus de bénévole disponible ce mois-ci."
OUTCOME = "La famille a été reçue deux fois ; elle est orientée vers un avocat."


@dataclass
class Story:
    url: str
    admin: Person
    staff: Person
    member_a: Person
    member_b: Person
    newcomer: Person


@pytest.fixture(scope="module")
def story(databases, tmp_path_factory) -> Iterator[Story]:
    """Accounts are made here with the production password profile; the portal itself
    runs in gunicorn over HTTPS, as deployed."""
    folder = tmp_path_factory.mktemp("story-instance")
    config = make_config(folder, databases.create(), https=True)
    group_key = ready_installation(config)
    app = create_app(config)
    admin = make_person(app, group_key, "admin", fast_hashing=False)
    with app.app_context():  # the administrator enrolled earlier: the code page, not the QR
        db.session.get(User, admin.user_id).totp_enrolled = True
        db.session.commit()
    people = {
        "staff": make_person(app, group_key, "staff", fast_hashing=False),
        "member_a": make_person(app, group_key, "partner", ASSOCIATION_A, fast_hashing=False),
        "member_b": make_person(app, group_key, "partner", ASSOCIATION_B, fast_hashing=False),
        # A new colleague whose account waits for its keys: the administrator grants them.
        "newcomer": make_person(app, group_key, "staff", grant=False),
    }
    with app.app_context():
        db.engine.dispose()
    server = start_production_server(config, folder)
    yield Story(server.url, admin, **people)
    server.stop()
    assert_no_traceback(server)


class Visit:
    """One person's browser: every page is screenshotted and checked with axe."""

    def __init__(self, browser: Browser, axe_source: str, html_checker, who: str) -> None:
        self.context = new_context(browser)
        self.html_checker = html_checker
        self.page = self.context.new_page()
        self.watch = ConsoleWatch(self.page)
        self.dialogs: list[str] = []
        self.page.on("dialog", self._on_dialog)
        self.axe_source = axe_source
        self.who = who
        self.step = 0

    def _on_dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def check(self, name: str) -> None:
        self.step += 1
        check_page(
            self.page,
            self.watch,
            self.axe_source,
            self.html_checker,
            f"story-{self.who}-{self.step:02d}-{name}",
        )
        assert self.dialogs == [], (self.who, name)

    def flash(self) -> str:
        return self.page.locator(".fr-alert").first.inner_text()

    def log_in(self, base: str, person: Person, *, first_time: bool, later: bool = False) -> None:
        """``later``: a second login of the same person in this test, with the next code
        (the server accepts one step either side and never the same code twice)."""
        page = self.page
        page.goto(base + ("/bo/" if person.role != "partner" else "/partenaires/"))
        assert "/connexion" in page.url  # not signed in: sent to the login page
        self.check("login")
        page.fill("#email", person.email)
        page.fill("#password", person.password)
        page.get_by_role("button", name="Continuer").click()
        page.wait_for_load_state()
        if first_time:
            assert "/connexion/activation" in page.url
            assert page.locator(".portal-qr svg").count() == 1  # inline QR, no request
            self.check("enrol")
            button = "Confirmer et se connecter"
        else:
            assert "/connexion/code" in page.url
            self.check("code")
            button = "Se connecter"
        totp = pyotp.TOTP(person.totp_secret)
        page.fill("#code", totp.at(time.time() + 30) if later else totp.now())
        page.get_by_role("button", name=button).click()
        page.wait_for_load_state()

    def close(self) -> None:
        self.context.close()


def test_the_whole_story_in_a_browser(story, browser, axe_source, html_checker):
    # 1. A relative reports a wellness coach in Côte-d'Or, with an attachment.
    reporter = Visit(browser, axe_source, html_checker, "reporter")
    reporter.page.goto(story.url + "/fr/signaler")
    fill_referral(reporter.page)
    reporter.page.fill("#persons", SCRIPT_PAYLOAD)
    reporter.page.get_by_role("button", name="Envoyer ma demande").click()
    reporter.check("received")
    receipt = reporter.page.locator(".portal-receipt__code").inner_text().strip()
    public_id = re.search(r"\d{4}-[0-9A-Z]{6}", reporter.page.locator("main").inner_text())[0]

    # 2. A staff member logs in with TOTP (first time: enrolment) and finds it.
    staff = Visit(browser, axe_source, html_checker, "staff")
    staff.log_in(story.url, story.staff, first_time=True)
    assert staff.page.url.rstrip("/").endswith("/bo")
    staff.check("queue")
    staff.page.get_by_role("link", name=public_id).click()
    staff.check("referral")
    main = staff.page.locator("main").inner_text()
    assert "coach en bien-être" in main and "Éveil Intérieur" in main
    assert SCRIPT_PAYLOAD in main  # shown as text
    assert "temoignage.txt (text/plain, 17 octets)" in main
    with staff.page.expect_download() as download:
        staff.page.get_by_role("link", name="temoignage.txt").click()
    assert download.value.suggested_filename == "temoignage.txt"
    # A download ends the navigation the click began: the browser reports it aborted.
    staff.watch.problems.remove(f"failed: {download.value.url}")
    assert download.value.path().read_text(encoding="utf-8") == "Ce que j’ai vu."

    # 3. Takes it, writes an internal note, asks the reporter a question.
    staff.page.get_by_role("button", name="Prendre ce signalement").click()
    staff.check("taken")
    assert "Vous suivez désormais ce signalement." in staff.flash()
    staff.page.fill("#note-body", INTERNAL_NOTE)
    staff.page.get_by_role("button", name="Ajouter la note").click()
    staff.check("note")
    staff.page.fill("#message-body", QUESTION)
    staff.page.get_by_role("button", name="Envoyer à la personne").click()
    staff.check("question")
    assert QUESTION in staff.page.locator("main").inner_text()

    # 4. Routes it to the association covering Côte-d'Or (suggested first).
    options = staff.page.locator("#route-association option").all_inner_texts()
    assert "ADFI Bourgogne-Franche-Comté" in options[0], options
    staff.page.select_option("#route-association", index=0)
    staff.page.get_by_role("button", name="Orienter vers cette association").click()
    staff.check("routed")
    assert "l’association est prévenue" in staff.flash()

    # 5. The administrator (second factor already set up) sees the accounts page.
    admin = Visit(browser, axe_source, html_checker, "admin")
    admin.log_in(story.url, story.admin, first_time=False)
    admin.page.get_by_role("link", name="Comptes et clés").click()
    admin.check("accounts")
    admin.close()

    # 6. The member of that association sees exactly this case, accepts it, adds a note.
    member_a = Visit(browser, axe_source, html_checker, "member-a")
    member_a.log_in(story.url, story.member_a, first_time=True)
    member_a.check("cases")
    rows = member_a.page.locator("tbody tr")
    assert rows.count() == 1
    case_link = rows.first.get_by_role("link")
    case_url = story.url + case_link.get_attribute("href")
    case_link.click()
    member_a.check("case")
    main = member_a.page.locator("main").inner_text()
    assert "coach en bien-être" in main and SCRIPT_PAYLOAD in main
    assert INTERNAL_NOTE not in main and QUESTION not in main
    member_a.page.get_by_role("button", name="Accepter").click()
    member_a.check("accepted")
    # Only spaces: the browser lets it through (the field is not empty), the server
    # refuses it and shows the form again.
    member_a.page.fill("#note-body", "   ")
    member_a.page.get_by_role("button", name="Ajouter la note").click()
    member_a.check("note-refused")
    assert member_a.page.locator("#error-summary").is_visible()
    member_a.page.fill("#note-body", PARTNER_NOTE)
    member_a.page.get_by_role("button", name="Envoyer à nouveau").click()
    member_a.check("note")
    assert PARTNER_NOTE in member_a.page.locator("main").inner_text()

    # 7. The member of the other association sees nothing, even with the address.
    member_b = Visit(browser, axe_source, html_checker, "member-b")
    member_b.log_in(story.url, story.member_b, first_time=True)
    member_b.check("cases")
    assert "Aucun dossier n’a été orienté" in member_b.page.locator("tbody").inner_text()
    response = member_b.page.goto(case_url)
    assert response.status == 404
    member_b.check("other-case-refused")
    member_b.close()

    # 8. Miviludes reads the partner's note next to its own.
    staff.page.reload()
    main = staff.page.locator("main").inner_text()
    assert PARTNER_NOTE in main and INTERNAL_NOTE in main

    # 9. The reporter follows up: passed to an association, the question, an answer.
    reporter.page.goto(story.url + "/fr/suivi")
    reporter.page.fill("#receipt", receipt)
    reporter.page.get_by_role("button", name="Voir ma demande").click()
    reporter.check("follow-up")
    assert "Confiée à une association" in reporter.page.locator(".portal-status").inner_text()
    assert QUESTION in reporter.page.locator("main").inner_text()
    reporter.page.get_by_label("Votre message").fill(ANSWER)
    reporter.page.get_by_role("button", name="Envoyer", exact=True).click()
    reporter.check("answered")
    assert reporter.page.get_by_text(ANSWER).is_visible()
    reporter.close()

    # 10. Every other action of the back office and the partner space, as people do it.
    referral_url = staff.page.url.split("#")[0]
    staff.page.goto(referral_url)
    staff.page.select_option("#class-domain", "personal_development")
    staff.page.get_by_role("button", name="Enregistrer le classement").click()
    staff.check("classified")
    assert "Le classement est enregistré." in staff.flash()
    staff.page.select_option("#assign-assignee", index=1)
    staff.page.get_by_role("button", name="Attribuer", exact=True).click()
    staff.check("assigned")

    # The association closes its case with an outcome; Miviludes reads it.
    member_a.page.goto(case_url)
    member_a.page.get_by_label("Issue", exact=True).select_option("referred_elsewhere")
    member_a.page.get_by_label("Ce qui s’est passé, avec vos mots (facultatif)").fill(OUTCOME)
    member_a.page.get_by_role("button", name="Fermer", exact=True).click()
    member_a.check("closed")
    staff.page.goto(referral_url)
    assert OUTCOME in staff.page.locator("main").inner_text()

    # Miviludes withdraws that routing and routes the case again; this time the
    # association declines it, with a reason Miviludes reads.
    staff.page.get_by_role("button", name="Retirer").click()
    staff.check("withdrawn")
    assert "n’a plus accès" in staff.flash()
    staff.page.select_option("#route-association", index=0)
    staff.page.get_by_role("button", name="Orienter vers cette association").click()
    staff.check("routed-again")
    member_a.page.goto(story.url + "/partenaires/")
    member_a.page.locator("tbody tr").first.get_by_role("link").click()
    member_a.check("case-again")
    member_a.page.get_by_label("Pourquoi refusez-vous ce dossier ?").select_option(
        "out_of_competence"
    )
    member_a.page.get_by_label("Avec vos mots (obligatoire pour une autre raison)").fill(
        DECLINE_REASON
    )
    member_a.page.get_by_role("button", name="Refuser").click()
    member_a.check("declined")
    member_a.page.get_by_role("button", name="Se déconnecter").click()
    member_a.check("logged-out")
    assert "/connexion" in member_a.page.url
    member_a.page.goto(case_url)
    assert "/connexion" in member_a.page.url  # the session is gone
    member_a.close()
    staff.page.goto(referral_url)
    assert DECLINE_REASON in staff.page.locator("main").inner_text()

    # Art. 40 transmission, then closing the case.
    staff.page.get_by_label("Date de transmission").fill("2026-12-01")
    staff.page.locator("#prosecutor-reference").fill("PARQUET-DIJON-2026-0042")
    staff.page.get_by_role("button", name="Enregistrer la transmission").click()
    staff.check("transmitted")
    assert "PARQUET-DIJON-2026-0042" in staff.page.locator("main").inner_text()
    staff.page.select_option("#status-status", "closed")
    staff.page.select_option("#status-closing_reason", "answered")
    staff.page.get_by_role("button", name="Changer le statut").click()
    staff.check("closed")
    assert "Le statut est modifié." in staff.flash()
    staff.page.get_by_role("button", name="Se déconnecter").click()
    staff.check("logged-out")
    staff.page.goto(referral_url)
    assert "/connexion" in staff.page.url
    staff.close()

    # 11. The administrator grants a newcomer's keys, then logs out.
    admin = Visit(browser, axe_source, html_checker, "admin-again")
    admin.log_in(story.url, story.admin, first_time=False, later=True)
    admin.page.get_by_role("link", name="Comptes et clés").click()
    row = admin.page.locator("tr", has_text=story.newcomer.email)
    row.get_by_role("button", name="Attribuer les clés").click()
    admin.check("keys-granted")
    waiting = admin.page.locator("section", has=admin.page.locator("#keys-title"))
    assert story.newcomer.email not in waiting.inner_text()  # no longer waiting for keys
    admin.page.get_by_role("button", name="Se déconnecter").click()
    admin.check("logged-out")
    admin.close()
