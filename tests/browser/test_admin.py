"""Administration in a browser, as deployed (gunicorn, HTTPS): an administrator reads
and filters the audit log, pages through it, verifies the chain and downloads the
filtered events, then sets the retention rules (an error first); another adds a
partner, verifies it, invites a member who sets a password, enrols TOTP, accepts the
charter and receives a case routed to the new partner; every page screenshotted and
checked with axe-core and the Nu HTML checker."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pyotp
import pytest
from sqlalchemy import select

from portal import create_app
from portal.config import Config
from portal.extensions import db
from portal.models import OutboxEmail
from portal.records.audit import record_event
from tests.browser.test_casework import Visit
from tests.browser.test_referral import fill_referral
from tests.casework_helpers import Person, make_person
from tests.conftest import make_config, ready_installation
from tests.servers import assert_no_traceback, start_production_server


@dataclass
class Installation:
    url: str
    admin: Person
    #: A second administrator, for the story of the network (a first login each).
    builder: Person
    config: Config


@pytest.fixture(scope="module")
def installation(databases, tmp_path_factory) -> Iterator[Installation]:
    folder = tmp_path_factory.mktemp("admin-instance")
    config = make_config(folder, databases.create(), https=True)
    group_key = ready_installation(config)
    app = create_app(config)
    admin = make_person(app, group_key, "admin", fast_hashing=False)
    builder = make_person(app, group_key, "admin", fast_hashing=False)
    with app.app_context():
        for number in range(60):
            record_event(
                db.session,
                actor="system",
                action="test.browser",
                target=f"browser:{number:02d}",
                details={"number": number},
            )
        db.session.commit()
        db.engine.dispose()
    server = start_production_server(config, folder)
    yield Installation(server.url, admin, builder, config)
    server.stop()
    assert_no_traceback(server)


def test_an_administrator_reads_filters_verifies_and_exports_the_log(
    installation, browser, axe_source, html_checker
):
    base = installation.url
    admin = Visit(browser, axe_source, html_checker, "admin-journal")
    admin.log_in(base, installation.admin, first_time=True)
    admin.page.get_by_role("link", name="Journal d’audit").click()
    admin.check("journal")
    assert "Évènements, du plus récent au plus ancien" in admin.page.inner_text("main")

    admin.page.select_option("#action", "test.browser")
    admin.page.get_by_role("button", name="Afficher").click()
    admin.check("filtered")
    rows = admin.page.locator("tbody tr")
    assert rows.count() == 50 and "browser:59" in rows.first.inner_text()
    admin.page.get_by_role("link", name="Évènements plus anciens").click()
    admin.check("older")
    assert admin.page.locator("tbody tr").count() == 10
    assert "browser:09" in admin.page.locator("tbody tr").first.inner_text()

    admin.page.fill("#date_from", "2026-05-02")
    admin.page.fill("#date_to", "2026-05-01")
    admin.page.get_by_role("button", name="Afficher").click()
    admin.check("wrong-period")
    assert "La fin de la période précède son début." in admin.page.inner_text("main")

    admin.page.get_by_role("button", name="Vérifier toute la chaîne maintenant").click()
    admin.check("verified")
    assert "La chaîne tient" in admin.flash()

    admin.page.select_option("#action", "test.browser")
    admin.page.get_by_role("button", name="Afficher").click()
    with admin.page.expect_download() as download:
        admin.page.get_by_role("link", name="Télécharger ces évènements (CSV)").click()
    # A download ends the navigation it started: Chromium reports it as a failed request.
    admin.watch.problems.remove(f"failed: {download.value.url}")
    content = download.value.path().read_bytes().decode("utf-8-sig")
    assert content.count(";test.browser;") == 60  # one row per event, none other

    admin.page.get_by_role("link", name="Conservation").click()
    admin.check("retention")
    admin.page.fill("#report_closed", "0")
    admin.page.get_by_role("button", name="Enregistrer les règles").click()
    admin.check("retention-error")
    assert "Entre 1 et 240 mois." in admin.page.inner_text("main")
    assert admin.page.input_value("#report_closed") == "0"  # given back as typed
    admin.page.fill("#report_closed", "48")
    admin.page.get_by_role("button", name="Enregistrer les règles").click()
    admin.check("retention-saved")
    assert "Les règles de conservation sont enregistrées." in admin.flash()
    assert admin.page.input_value("#report_closed") == "48"
    admin.close()


def _mailed_link(config: Config, base: str, email: str) -> str:
    """The link of the invitation e-mail, read from the outbox, on the server under test."""
    app = create_app(config)
    with app.app_context():
        body = (
            db.session.scalars(
                select(OutboxEmail)
                .where(OutboxEmail.recipient == email)
                .order_by(OutboxEmail.id.desc())
            )
            .first()
            .body
        )
        db.engine.dispose()
    return base + re.search(r"/invitation/[A-Za-z0-9_-]+", body)[0]


def test_an_administrator_builds_the_network_and_a_new_member_joins_it(
    installation, browser, axe_source, html_checker
):
    base = installation.url
    name = "Écoute et Soutien Côte-d’Or"
    admin = Visit(browser, axe_source, html_checker, "admin-network")
    admin.log_in(base, installation.builder, first_time=True)

    # 1. A partner covering Côte-d'Or, its contact details verified with it.
    admin.page.get_by_role("link", name="Partenaires").click()
    admin.check("partners")
    admin.page.get_by_role("link", name="Ajouter un partenaire").click()
    admin.page.fill("#name", name)
    admin.page.fill("#departements", "21")
    admin.page.fill("#phone", "03 80 00 00 21")
    admin.page.fill("#email", "ecoute@example.fr")
    admin.page.fill("#website", "https://ecoute.example.fr/")
    admin.page.fill("#opening_hours", "Du lundi au vendredi")
    admin.page.get_by_role("button", name="Ajouter ce partenaire").click()
    admin.check("partner-added")
    assert "Le partenaire est ajouté." in admin.flash()
    admin.page.get_by_role("button", name="J’ai vérifié ces informations").click()
    admin.check("partner-verified")
    assert "Vérifié le" in admin.page.inner_text("main")

    visitor = Visit(browser, axe_source, html_checker, "admin-network-finder")
    visitor.page.goto(base + "/fr/qui-contacter?departement=21")
    visitor.check("finder")
    found = visitor.page.inner_text("main")
    assert name in found and "03 80 00 00 21" in found
    visitor.close()

    # 2. A member invited by e-mail: the link, a password, TOTP, the charter.
    admin.page.get_by_role("link", name="Comptes et clés").click()
    admin.page.fill("#invite-email", "benevole@ecoute.example.fr")
    admin.page.select_option("#invite-role", "partner")
    admin.page.select_option("#invite-association", label=name)
    admin.page.get_by_role("button", name="Envoyer l’invitation").click()
    admin.check("invited")
    assert "L’invitation a été envoyée à benevole@ecoute.example.fr" in admin.flash()

    member = Visit(browser, axe_source, html_checker, "admin-network-member")
    member.page.goto(_mailed_link(installation.config, base, "benevole@ecoute.example.fr"))
    member.check("invitation")
    password = "une phrase que je retiendrai facilement"
    member.page.fill("#password", password)
    member.page.fill("#confirmation", password)
    member.page.get_by_role("button", name="Enregistrer mon mot de passe").click()
    member.check("password-set")
    member.page.fill("#email", "benevole@ecoute.example.fr")
    member.page.fill("#password", password)
    member.page.get_by_role("button", name="Continuer").click()
    member.page.wait_for_load_state()
    assert "/connexion/activation" in member.page.url
    secret = member.page.locator(".portal-secret").inner_text().strip()
    member.page.fill("#code", pyotp.TOTP(secret).now())
    member.page.get_by_role("button", name="Confirmer et se connecter").click()
    member.page.wait_for_load_state()
    assert "/partenaires/charte" in member.page.url
    member.check("charter")
    member.page.locator("label[for=accept]").click()  # DSFR draws the box on the label
    member.page.get_by_role("button", name="Accepter la charte").click()
    member.check("cases-empty")
    assert "Merci : la charte est acceptée." in member.flash()

    # 3. A case in Côte-d'Or, routed to the new partner, reaches its member.
    reporter = Visit(browser, axe_source, html_checker, "admin-network-reporter")
    reporter.page.goto(base + "/fr/signaler")
    fill_referral(reporter.page)
    reporter.page.get_by_role("button", name="Envoyer ma demande").click()
    public_id = re.search(r"\d{4}-[0-9A-Z]{6}", reporter.page.locator("main").inner_text())[0]
    reporter.close()
    admin.page.get_by_role("link", name="File de tri").click()
    admin.page.get_by_role("link", name=public_id).click()
    admin.check("referral")
    assert name in admin.page.locator("#route-association").inner_text()
    admin.page.select_option("#route-association", label=name)
    admin.page.get_by_role("button", name="Orienter vers cette association").click()
    admin.check("routed")
    admin.close()
    member.page.goto(base + "/partenaires/")
    member.check("cases")
    member.page.locator("tbody a").first.click()  # the only case routed to them
    member.check("case")
    assert "coach en bien-être" in member.page.inner_text("main")
    member.close()
