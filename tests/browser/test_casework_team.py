"""Issue 13's story in a browser, as deployed (gunicorn, HTTPS, ``PORTAL_HTTPS=true``):
a team runs its cases. Three people report; staff find cases by an organisation's
name and by the reporter's e-mail, tag three and assign them in one action each, close
one as a duplicate of another and route the others; the reporter answers a routed case
and the assignee sees it marked; the association declines one case and lets the other
run late, and the reminder of the next working day (the injected clock of an
in-process run of ``portal reminders run``) brings its member back to it; the decline
and the duplicate are counted in the statistics.

On a database of its own (PostgreSQL in CI's second run), every page checked with
axe-core and the HTML checker, and any CSP report or script error fails the test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time

import pytest
from sqlalchemy import select

from portal import create_app
from portal.casework import deadlines
from portal.cli import main
from portal.clock import CLOCK_KEY
from portal.extensions import db
from portal.models import OutboxEmail, Routing, User
from tests.browser.conftest import tick
from tests.browser.test_casework import Visit
from tests.browser.test_referral import fill_referral
from tests.casework_helpers import ASSOCIATION_A, Person, make_person
from tests.conftest import make_config, ready_installation
from tests.servers import assert_no_traceback, start_production_server

ORGANISATION = "Le Cercle de l’Aube Claire"
EMAIL = "Famille.Martin@Exemple.fr"
ANSWER = "Il a quitté son travail la semaine dernière pour vivre au centre."
TAG = "Santé – soins refusés"


@dataclass
class Team:
    url: str
    config: object
    admin: Person
    staff: Person
    member: Person


@pytest.fixture(scope="module")
def team(databases, tmp_path_factory) -> Iterator[Team]:
    folder = tmp_path_factory.mktemp("team-instance")
    config = make_config(folder, databases.create(), https=True)
    group_key = ready_installation(config)
    app = create_app(config)
    people = {
        "admin": make_person(app, group_key, "admin", fast_hashing=False),
        "staff": make_person(app, group_key, "staff", fast_hashing=False),
        "member": make_person(app, group_key, "partner", ASSOCIATION_A, fast_hashing=False),
    }
    with app.app_context():  # the administrator enrolled earlier: the code page, not the QR
        db.session.get(User, people["admin"].user_id).totp_enrolled = True
        db.session.commit()
        db.engine.dispose()
    server = start_production_server(config, folder)
    yield Team(server.url, config, **people)
    server.stop()
    assert_no_traceback(server)


def _report(visit: Visit, base: str, *, organisation: str, email: str = "") -> tuple[str, str]:
    """A referral sent from the public form: its reference and the reporter's code."""
    page = visit.page
    page.goto(base + "/fr/signaler")
    fill_referral(page)
    page.get_by_label("Nom de l’organisation ou du groupe").fill(organisation)
    if email:
        tick(page, "Je donne mes coordonnées pour que la Miviludes puisse me contacter")
        page.get_by_label("Adresse électronique").fill(email)
        tick(page, "J’accepte que la Miviludes me contacte avec ces coordonnées")
    page.get_by_role("button", name="Envoyer ma demande").click()
    visit.check("received")
    receipt = page.locator(".portal-receipt__code").inner_text().strip()
    reference = re.search(r"\d{4}-[0-9A-Z]{6}", page.locator("main").inner_text())[0]
    return reference, receipt


def _search(staff: Visit, query: str) -> set[str]:
    staff.page.get_by_role("link", name="Trouver une saisine").click()
    staff.page.get_by_label("Référence, nom, site internet").fill(query)
    staff.page.get_by_role("button", name="Rechercher").click()
    staff.check("search")
    return set(re.findall(r"\d{4}-[0-9A-Z]{6}", staff.page.locator("main table").inner_text()))


def _tick_rows(staff: Visit, references: list[str]) -> None:
    for reference in references:
        staff.page.locator(f"label[for='pick-{reference}']").click()
        assert staff.page.locator(f"#pick-{reference}").is_checked()


def _route_to_the_association(staff: Visit, base: str, reference: str) -> None:
    staff.page.goto(f"{base}/bo/signalements/{reference}")
    options = staff.page.locator("#route-association option").all_inner_texts()
    assert "ADFI Bourgogne-Franche-Comté" in options[0], options
    staff.page.select_option("#route-association", index=0)
    staff.page.get_by_role("button", name="Orienter vers cette association").click()
    staff.check("routed")


def _run_reminders(config, day) -> list[OutboxEmail]:
    """``portal reminders run`` as the morning timer runs it, on ``day`` (the clock is
    injected in this process; the server keeps the real one)."""
    app = create_app(config)
    app.extensions[CLOCK_KEY] = lambda: datetime.combine(day, time(7), UTC)
    with app.app_context():
        first = db.session.scalar(select(db.func.max(OutboxEmail.id))) or 0
    result = app.test_cli_runner().invoke(main, ["reminders", "run"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        emails = db.session.scalars(select(OutboxEmail).where(OutboxEmail.id > first)).all()
        db.session.expunge_all()
        db.engine.dispose()
    return list(emails)


def test_a_team_runs_its_cases(team, browser, axe_source, html_checker):
    base = team.url
    # 1. Three people report; the first and the third name the same organisation.
    reporter = Visit(browser, axe_source, html_checker, "team-reporter")
    first, first_receipt = _report(reporter, base, organisation=ORGANISATION, email=EMAIL)
    second, _ = _report(reporter, base, organisation="Les Amis du Souffle")
    third, _ = _report(reporter, base, organisation=ORGANISATION.upper())

    # 2. The administrator adds a tag to the team's list.
    admin = Visit(browser, axe_source, html_checker, "team-admin")
    admin.log_in(base, team.admin, first_time=False)
    admin.page.get_by_role("link", name="Étiquettes").click()
    admin.check("tags")
    admin.page.get_by_label("Nouvelle étiquette").fill(TAG)
    admin.page.get_by_role("button", name="Créer l’étiquette").click()
    admin.check("tag-created")
    assert "L’étiquette a été créée." in admin.flash()
    admin.close()

    # 3. Staff find the cases by the organisation's name (typed otherwise) and by the
    #    reporter's e-mail address.
    staff = Visit(browser, axe_source, html_checker, "team-staff")
    staff.log_in(base, team.staff, first_time=True)
    assert _search(staff, "le cercle de l'aube claire") == {first, third}
    assert _search(staff, "famille.martin@exemple.fr") == {first}

    # 4. In the queue, tags the three, then assigns them to themself: one action each.
    staff.page.get_by_role("link", name="File de tri").click()
    staff.check("queue")
    _tick_rows(staff, [first, second, third])
    staff.page.select_option("#bulk-tag", label=TAG)
    staff.page.get_by_role("button", name="Ajouter l’étiquette").click()
    staff.check("tagged")
    assert "3 signalements modifiés" in staff.flash()
    assert staff.page.locator("tbody .fr-tag", has_text=TAG).count() == 3
    _tick_rows(staff, [first, second, third])
    staff.page.select_option("#bulk-assignee", label=team.staff.email)
    staff.page.get_by_role("button", name="Attribuer", exact=True).click()
    staff.check("assigned")
    assert "3 signalements modifiés" in staff.flash()
    staff.page.get_by_role("link", name="Les miens").first.click()
    staff.check("mine")
    mine = staff.page.locator("tbody").inner_text()
    assert all(reference in mine for reference in (first, second, third))

    # 5. The third repeats the first: closed as its duplicate, the two linked.
    staff.page.goto(f"{base}/bo/signalements/{third}")
    staff.page.select_option("#status-status", "closed")
    staff.page.select_option("#status-closing_reason", "duplicate")
    staff.page.locator("#status-original").fill(first.lower())
    staff.page.get_by_role("button", name="Changer le statut").click()
    staff.check("duplicate")
    assert "Le statut est modifié." in staff.flash()
    links = staff.page.locator("#links + ul").inner_text()
    assert first in links

    # 6. The first and the second go to the association covering Côte-d'Or.
    _route_to_the_association(staff, base, first)
    _route_to_the_association(staff, base, second)

    # 7. The reporter of the first answers; its assignee sees it marked at once.
    reporter.page.goto(base + "/fr/suivi")
    reporter.page.fill("#receipt", first_receipt)
    reporter.page.get_by_role("button", name="Voir ma demande").click()
    reporter.check("follow-up")
    reporter.page.get_by_label("Votre message").fill(ANSWER)
    reporter.page.get_by_role("button", name="Envoyer", exact=True).click()
    reporter.check("answered")
    reporter.close()
    staff.page.goto(base + "/bo/")
    staff.check("marked")
    assert "1 dossier à lire" in staff.page.locator("header").inner_text()
    staff.page.get_by_role("link", name="À lire", exact=True).click()
    staff.check("to-read")
    row = staff.page.locator("tbody tr", has_text=first)
    assert row.locator(".fr-badge", has_text="À lire").count() == 1
    staff.page.get_by_role("link", name=first).click()
    assert ANSWER in staff.page.locator("main").inner_text()
    staff.page.goto(base + "/bo/?to_read=y&status=all")
    assert first not in staff.page.locator("tbody").inner_text()  # opened: read

    # 8. The association declines the second, with a reason it can count, and leaves
    #    the first unanswered.
    member = Visit(browser, axe_source, html_checker, "team-member")
    member.log_in(base, team.member, first_time=True)
    member.check("cases")
    member.page.get_by_role("link", name=second).click()
    member.check("case")
    member.page.get_by_label("Pourquoi refusez-vous ce dossier ?").select_option("no_capacity")
    member.page.get_by_role("button", name="Refuser").click()
    member.check("declined")

    # 9. Its answer on the first runs late: the next working day's reminder brings the
    #    member back to the case from the link it holds.
    with create_app(team.config).app_context():
        due = db.session.scalar(select(Routing.accept_due).order_by(Routing.id).limit(1))
        db.engine.dispose()
    emails = _run_reminders(team.config, deadlines.working_days_after(due, 1))
    reminders = [e for e in emails if e.recipient == team.member.email]
    assert len(reminders) == 1, [e.subject for e in emails]
    assert first not in reminders[0].body  # an e-mail carries no reference, only a link
    link = re.search(r"https://\S+/partenaires/dossiers/\d+", reminders[0].body)[0]
    member.page.goto(base + "/partenaires" + link.split("/partenaires", 1)[1])
    member.check("reminded-case")
    assert first in member.page.locator("h1").inner_text()
    member.close()

    # 10. The decline and the duplicate are counted in the statistics.
    staff.page.get_by_role("link", name="Statistiques").click()
    staff.check("statistics")
    closing = staff.page.locator("section, div.fr-table", has_text="Motifs de clôture").first
    assert re.search(r"Doublon\s+1\b", closing.inner_text())
    declines = staff.page.locator(
        "section, div.fr-table",
        has_text="Pourquoi les associations ont refusé les dossiers orientés vers elles",
    ).first
    assert re.search(r"Pas de disponibilité pour le moment\s+1\b", declines.inner_text())
    staff.close()
