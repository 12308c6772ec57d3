"""Administration in a browser, as deployed (gunicorn, HTTPS): an administrator reads
and filters the audit log, pages through it, verifies the chain and downloads the
filtered events, then sets the retention rules (an error first); every page
screenshotted and checked with axe-core and the Nu HTML checker."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from portal import create_app
from portal.extensions import db
from portal.records.audit import record_event
from tests.browser.test_casework import Visit
from tests.casework_helpers import Person, make_person
from tests.conftest import make_config, ready_installation
from tests.servers import assert_no_traceback, start_production_server


@dataclass
class Installation:
    url: str
    admin: Person


@pytest.fixture(scope="module")
def installation(databases, tmp_path_factory) -> Iterator[Installation]:
    folder = tmp_path_factory.mktemp("admin-instance")
    config = make_config(folder, databases.create(), https=True)
    group_key = ready_installation(config)
    app = create_app(config)
    admin = make_person(app, group_key, "admin", fast_hashing=False)
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
    yield Installation(server.url, admin)
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
