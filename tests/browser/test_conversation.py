"""Issue 14's story in a browser, as deployed (gunicorn, HTTPS, ``PORTAL_HTTPS=true``):
a case routed to two associations; the anonymous reporter sees both, with their
contact details; association A writes; the reporter answers A and, separately,
Miviludes; A sees only its own exchange, B none, Miviludes all; A declines and can no
longer read the case, while its message stays with the reporter.

On a database of its own (PostgreSQL in CI's second run); every page through axe-core
and the HTML checker; any CSP report or script error fails the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from portal import create_app
from portal.extensions import db
from portal.models import Association
from tests.browser.test_casework import Visit
from tests.browser.test_casework_team import _report
from tests.casework_helpers import ASSOCIATION_A, ASSOCIATION_B, Person, make_person
from tests.conftest import make_config, ready_installation
from tests.servers import assert_no_traceback, start_production_server

FROM_A = (
    "Bonjour, ici l’association. Voulez-vous que nous vous appelions, ou préférez-vous écrire ?"
)
TO_A = "Je préfère écrire ici pour l’instant, merci de votre message."
TO_MIVILUDES = "Pour la Miviludes : l’association m’a écrit, tout va bien."
PHONE_A = "03 80 00 00 21"
PHONE_B = "02 99 00 00 35"


@dataclass
class Conversation:
    url: str
    staff: Person
    member_a: Person
    member_b: Person
    #: The two associations' names, by slug.
    names: dict[str, str]


@pytest.fixture(scope="module")
def conversation(databases, tmp_path_factory) -> Iterator[Conversation]:
    folder = tmp_path_factory.mktemp("conversation-instance")
    config = make_config(folder, databases.create(), https=True)
    group_key = ready_installation(config)
    app = create_app(config)
    people = {
        "staff": make_person(app, group_key, "staff", fast_hashing=False),
        "member_a": make_person(app, group_key, "partner", ASSOCIATION_A, fast_hashing=False),
        "member_b": make_person(app, group_key, "partner", ASSOCIATION_B, fast_hashing=False),
    }
    with app.app_context():
        # Both verified, so the public contact details are shown; B takes cases from
        # the whole country, so it is suggested for Côte-d'Or too.
        for slug, phone, national in (
            (ASSOCIATION_A, PHONE_A, False),
            (ASSOCIATION_B, PHONE_B, True),
        ):
            association = db.session.scalar(select(Association).where(Association.slug == slug))
            association.verified, association.phone, association.national = True, phone, national
        db.session.commit()
        names = dict(
            db.session.execute(
                select(Association.slug, Association.name).where(
                    Association.slug.in_([ASSOCIATION_A, ASSOCIATION_B])
                )
            ).all()
        )
        db.engine.dispose()
    server = start_production_server(config, folder)
    yield Conversation(server.url, names=names, **people)
    server.stop()
    assert_no_traceback(server)


def _route(staff: Visit, base: str, reference: str, name: str) -> None:
    staff.page.goto(f"{base}/bo/signalements/{reference}")
    staff.page.select_option("#route-association", label=name)
    staff.page.get_by_role("button", name="Orienter vers cette association").click()
    staff.check("routed")
    assert "l’association est prévenue" in staff.flash()


def _open_case(member: Visit, reference: str) -> str:
    member.page.get_by_role("link", name=reference).click()
    member.check("case")
    return member.page.url


def test_the_reporter_talks_with_two_associations_and_miviludes(
    conversation, browser, axe_source, html_checker
):
    base = conversation.url
    name_a, name_b = conversation.names[ASSOCIATION_A], conversation.names[ASSOCIATION_B]

    # 1. An anonymous reporter; Miviludes routes the case to A and to B.
    reporter = Visit(browser, axe_source, html_checker, "talk-reporter")
    reference, receipt = _report(reporter, base, organisation="Le Souffle Vrai")
    staff = Visit(browser, axe_source, html_checker, "talk-staff")
    staff.log_in(base, conversation.staff, first_time=True)
    _route(staff, base, reference, name_a)
    _route(staff, base, reference, name_b)

    # 2. The reporter sees both associations, their contact details, and that neither
    #    has theirs.
    reporter.page.goto(base + "/fr/suivi")
    reporter.page.fill("#receipt", receipt)
    reporter.page.get_by_role("button", name="Voir ma demande").click()
    reporter.check("two-associations")
    section = reporter.page.locator("section", has_text="Les associations qui ont votre demande")
    text = section.inner_text()
    assert name_a in text and name_b in text and PHONE_A in text and PHONE_B in text
    assert text.count("Elle n’a pas vos coordonnées.") == 2

    # 3. A writes to the reporter.
    member_a = Visit(browser, axe_source, html_checker, "talk-member-a")
    member_a.log_in(base, conversation.member_a, first_time=True)
    case_a = _open_case(member_a, reference)
    member_a.page.locator("#message-body").fill(FROM_A)
    member_a.page.get_by_role("button", name="Envoyer à la personne").click()
    member_a.check("wrote")
    assert FROM_A in member_a.page.locator("main").inner_text()

    # 4. The reporter reads it under A's name, answers A, then, separately, Miviludes.
    reporter.page.goto(base + "/fr/suivi")
    reporter.page.fill("#receipt", receipt)
    reporter.page.get_by_role("button", name="Voir ma demande").click()
    thread = reporter.page.locator(".portal-thread").inner_text()
    assert FROM_A in thread and name_a in thread
    reporter.page.locator("#audience label", has_text=f"{name_a} (association)").click()
    assert reporter.page.get_by_label(f"{name_a} (association)").is_checked()
    reporter.page.get_by_label("Votre message").fill(TO_A)
    reporter.page.get_by_role("button", name="Envoyer", exact=True).click()
    reporter.check("answered-a")
    reporter.page.locator("#audience label").get_by_text("Miviludes", exact=True).click()
    assert reporter.page.get_by_label("Miviludes", exact=True).is_checked()
    reporter.page.get_by_label("Votre message").fill(TO_MIVILUDES)
    reporter.page.get_by_role("button", name="Envoyer", exact=True).click()
    reporter.check("answered-miviludes")
    thread = reporter.page.locator(".portal-thread").inner_text()
    assert f"Vous, à {name_a}" in thread and "Vous, à la Miviludes" in thread

    # 5. A sees its own exchange only, marked to read; B sees none; Miviludes sees all.
    member_a.page.goto(base + "/partenaires/")
    member_a.check("cases-to-read")
    row = member_a.page.locator("tbody tr", has_text=reference)
    assert row.locator(".fr-badge", has_text="À lire").count() == 1
    member_a.page.goto(case_a)
    main = member_a.page.locator("main").inner_text()
    assert FROM_A in main and TO_A in main and TO_MIVILUDES not in main

    member_b = Visit(browser, axe_source, html_checker, "talk-member-b")
    member_b.log_in(base, conversation.member_b, first_time=True)
    _open_case(member_b, reference)
    main = member_b.page.locator("main").inner_text()
    assert FROM_A not in main and TO_A not in main and TO_MIVILUDES not in main
    assert "Aucun message pour le moment." in main
    member_b.close()

    staff.page.goto(f"{base}/bo/signalements/{reference}")
    staff.check("all-conversations")
    main = staff.page.locator("main").inner_text()
    assert all(message in main for message in (FROM_A, TO_A, TO_MIVILUDES))
    assert f"La personne, à {name_a}" in main
    staff.close()

    # 6. A declines: it can no longer read the case; its message stays with the reporter.
    member_a.page.goto(case_a)
    member_a.page.get_by_label("Pourquoi refusez-vous ce dossier ?").select_option("no_capacity")
    member_a.page.get_by_role("button", name="Refuser").click()
    member_a.check("declined")
    response = member_a.page.goto(case_a)
    assert response.status == 404
    member_a.watch.problems.clear()  # the browser reports the 404 it was sent
    member_a.close()
    reporter.page.goto(base + "/fr/suivi")
    reporter.page.fill("#receipt", receipt)
    reporter.page.get_by_role("button", name="Voir ma demande").click()
    reporter.check("after-decline")
    assert FROM_A in reporter.page.locator(".portal-thread").inner_text()
    section = reporter.page.locator("section", has_text="L’association qui a votre demande")
    assert name_b in section.inner_text() and name_a not in section.inner_text()
    reporter.close()
