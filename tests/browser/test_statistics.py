"""The statistics in a browser, as deployed (gunicorn, HTTPS): staff, an analyst and a
partner each see what they may, every page screenshotted and checked with axe-core
and the Nu HTML checker; the charts and maps are there without any script."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal import create_app
from portal.extensions import db
from portal.models import Association, Routing
from tests.browser.test_casework import Visit
from tests.casework_helpers import ASSOCIATION_A, Person, make_person
from tests.conftest import make_config, ready_installation
from tests.servers import assert_no_traceback, start_production_server
from tests.test_statistics import _referral

YEAR = datetime.now(UTC).year


@dataclass
class Installation:
    url: str
    staff: Person
    admin: Person
    analyst: Person
    member_a: Person
    #: How many referrals were routed to association A this year.
    routed_to_a: int


@pytest.fixture(scope="module")
def installation(databases, tmp_path_factory) -> Iterator[Installation]:
    folder = tmp_path_factory.mktemp("statistics-instance")
    config = make_config(folder, databases.create(), https=True)
    group_key = ready_installation(config)
    app = create_app(config)
    people = {
        role: make_person(app, group_key, role, fast_hashing=False)
        for role in ("staff", "admin", "analyst")
    }
    people["member_a"] = make_person(app, group_key, "partner", ASSOCIATION_A, fast_hashing=False)
    rng = random.Random(3)
    start = datetime(YEAR, 1, 1, tzinfo=UTC)
    now = datetime.now(UTC)
    with app.app_context():
        association = db.session.scalar(
            select(Association).where(Association.slug == ASSOCIATION_A)
        )
        referrals = [_referral(rng, start + (now - start) * rng.random()) for _ in range(120)] + [
            _referral(rng, start - timedelta(days=rng.randint(1, 360))) for _ in range(80)
        ]
        db.session.add_all(referrals)
        db.session.flush()
        routed = [r for r in referrals[:120] if r.status == "routed"]
        for referral in routed:
            db.session.add(
                Routing(
                    referral_id=referral.id,
                    association_id=association.id,
                    status="accepted",
                    routed_by_id=people["staff"].user_id,
                    created_at=referral.created_at,
                    updated_at=referral.created_at,
                    responded_at=referral.created_at + timedelta(days=2),
                )
            )
        db.session.commit()
        db.engine.dispose()
    server = start_production_server(config, folder)
    yield Installation(server.url, routed_to_a=len(routed), **people)
    server.stop()
    assert_no_traceback(server)


def test_staff_an_analyst_and_a_partner_each_see_what_they_may(
    installation, browser, axe_source, html_checker
):
    base = installation.url
    staff = Visit(browser, axe_source, html_checker, "statistics-staff")
    staff.log_in(base, installation.staff, first_time=True)
    staff.page.get_by_role("link", name="Statistiques").click()
    staff.check("overview")
    main = staff.page.locator("main")
    assert "Saisines reçues" in main.inner_text()
    assert main.locator("svg.portal-map__metropole").count() == 2
    assert main.locator("figure.portal-chart svg").count() >= 5
    staff.page.select_option("#year", str(YEAR - 1))
    staff.page.get_by_role("button", name="Afficher").click()
    staff.check("last-year")
    assert f"du 1 janvier {YEAR - 1} au 31 décembre {YEAR - 1}" in staff.page.inner_text("main")
    staff.page.fill("#date_from", f"{YEAR}-05-01")
    staff.page.fill("#date_to", f"{YEAR}-04-01")
    staff.page.get_by_role("button", name="Afficher").click()
    staff.check("error")
    assert "La fin de la période précède son début." in staff.page.inner_text("main")
    with staff.page.expect_download() as download:
        staff.page.get_by_role("link", name="Télécharger tous les tableaux (CSV)").click()
    staff.watch.problems.remove(f"failed: {download.value.url}")
    assert download.value.suggested_filename.endswith(".csv")
    staff.close()

    analyst = Visit(browser, axe_source, html_checker, "statistics-analyst")
    analyst.log_in(base, installation.analyst, first_time=True)
    assert "/bo/statistiques/" in analyst.page.url
    analyst.check("overview")
    nav = analyst.page.locator(".fr-nav").first.inner_text()
    assert "File de tri" not in nav and "Statistiques" in nav
    response = analyst.page.goto(base + "/bo/")
    assert response.status == 403
    analyst.watch.problems.clear()  # the browser reports the 403 it was sent
    analyst.close()

    member = Visit(browser, axe_source, html_checker, "statistics-partner")
    member.log_in(base, installation.member_a, first_time=True)
    member.page.get_by_role("link", name="Nos chiffres").click()
    member.check("figures")
    routed = member.page.locator("#routings tbody tr").first.inner_text()
    assert str(installation.routed_to_a) in routed
    member.close()

    admin = Visit(browser, axe_source, html_checker, "statistics-admin")
    admin.log_in(base, installation.admin, first_time=True)
    admin.page.goto(base + "/bo/statistiques/")
    admin.page.select_option("#publish-year", str(YEAR))
    admin.page.get_by_role("button", name="Publier ces chiffres").click()
    admin.check("published")
    assert f"Les chiffres de {YEAR} sont publiés" in admin.flash()
    admin.page.goto(base + "/fr/chiffres")
    admin.check("public-figures")
    public = admin.page.inner_text("main")
    assert str(YEAR) in public and "moins de 10" in public
    admin.close()
