"""The partner directory in the web (``/bo/admin/partenaires``): an administrator adds
a partner with its coverage (départements and whole regions), domains and contact
details; the public finder lists it at once but shows its contact details only once
verified; a change of contact details withdraws the verification; a deactivated
partner is neither listed nor suggested; every change is audited; every form error is
given back with what was typed."""

from __future__ import annotations

import json
import re
import uuid
from datetime import date

import pytest
from sqlalchemy import select

from portal.casework import routing
from portal.extensions import db
from portal.models import Association, AuditEvent, Referral
from tests.casework_helpers import csrf_token, log_in, make_person


@pytest.fixture
def admin(keyed_app_of_its_own, clock):
    """A database of its own: partners added here must not change the suggestions
    other tests expect."""
    app, group_key = keyed_app_of_its_own
    person = make_person(app, group_key, "admin")
    client = app.test_client()
    log_in(client, person, clock)
    return app, client, person


def _form(partner_name: str, **overrides) -> dict:
    data = {
        "name": partner_name,
        "acronym": "",
        "kind": "association",
        "departements": "21 2a",
        "regions": ["53"],
        "domains": ["conspiracy", "religious_movements"],
        "phone": "03 80 00 00 00",
        "email": "contact@example.fr",
        "website": "https://partenaire.example.fr/",
        "address": "1 rue de la Liberté\n21000 Dijon",
        "opening_hours": "Du lundi au vendredi, 9 h – 17 h",
        "description_fr": "Accueil et écoute des familles.",
        "description_en": "Support for families.",
        "listed": "y",
        "approval_status": "none",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _add(client, partner_name: str, **overrides):
    page = client.get("/bo/admin/partenaires/nouveau").get_data(as_text=True)
    return client.post(
        "/bo/admin/partenaires/nouveau",
        data={"csrf_token": csrf_token(page), **_form(partner_name, **overrides)},
    )


def _association(name: str) -> Association:
    return db.session.scalar(select(Association).where(Association.name == name))


def _finder(app, departement: str = "21") -> str:
    return (
        app.test_client().get(f"/fr/qui-contacter?departement={departement}").get_data(as_text=True)
    )


def test_a_partner_is_added_listed_at_once_and_shows_its_details_once_verified(admin):
    app, client, person = admin
    name = f"Écoute Côte-d'Or {uuid.uuid4().hex[:6]}"
    response = _add(client, name)
    assert response.status_code == 302
    with app.app_context():
        association = _association(name)
        covered = {c.departement_code for c in association.coverage}
        assert {"21", "2A", "22", "29", "35", "56"} <= covered  # typed, and Bretagne's
        assert association.domains == "conspiracy religious_movements"
        assert not association.verified
        created = db.session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "partner.create",
                AuditEvent.target == f"association:{association.slug}",
            )
        )
        assert created.actor == f"user:{person.user_id}"
        partner_url = f"/bo/admin/partenaires/{association.id}"
    finder = _finder(app)
    assert name.replace("'", "&#39;") in finder
    assert "03 80 00 00 00" not in finder and "contact@example.fr" not in finder

    page = client.get(partner_url).get_data(as_text=True)
    assert "Non vérifié" in page
    client.post(partner_url + "/verifier", data={"csrf_token": csrf_token(page)})
    page = client.get(partner_url).get_data(as_text=True)
    assert re.search(r"Vérifié le \d+ \w+ \d{4} par " + re.escape(person.email), page)
    finder = _finder(app)
    assert "03 80 00 00 00" in finder and "mailto:contact@example.fr" in finder
    assert "9 h – 17 h" in finder

    # New contact details: the verification is withdrawn, the public sees none.
    edited = client.post(
        partner_url, data={"csrf_token": csrf_token(page), **_form(name, phone="03 80 11 11 11")}
    )
    assert edited.status_code == 302
    assert "vérifiez-les de nouveau" in client.get(partner_url).get_data(as_text=True)
    finder = _finder(app)
    assert "03 80 11 11 11" not in finder and "03 80 00 00 00" not in finder
    with app.app_context():
        update = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "partner.update")
            .order_by(AuditEvent.id.desc())
        ).first()
        assert json.loads(update.details) == {"changed": "phone verified"}


def test_a_deactivated_partner_is_neither_listed_nor_suggested(admin):
    app, client, _person = admin
    name = f"Service à désactiver {uuid.uuid4().hex[:6]}"
    _add(client, name, departements="21", regions=None, domains=None)
    with app.app_context():
        association_id = _association(name).id
        referral = db.session.scalar(
            select(Referral).where(Referral.departement == "21").limit(1)
        ) or Referral(departement="21", region_code="27", domain="other")
        suggested = {s.association.id for s in routing.suggest_associations(db.session, referral)}
        assert association_id in suggested
    page = client.get(f"/bo/admin/partenaires/{association_id}").get_data(as_text=True)
    client.post(
        f"/bo/admin/partenaires/{association_id}/activite", data={"csrf_token": csrf_token(page)}
    )
    assert name.replace("'", "&#39;") not in _finder(app)
    with app.app_context():
        suggested = {s.association.id for s in routing.suggest_associations(db.session, referral)}
        assert association_id not in suggested
        assert db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "partner.deactivate")
        )
    listing = client.get("/bo/admin/partenaires").get_data(as_text=True)
    assert "Désactivé" in listing


def test_an_approval_runs_three_years_and_is_listed(admin):
    app, client, _person = admin
    name = f"Association agréée {uuid.uuid4().hex[:6]}"
    response = _add(client, name, approval_status="granted", approval_granted_on="2026-02-10")
    assert response.status_code == 302
    with app.app_context():
        assert _association(name).approval_expires_on == date(2029, 2, 10)
    listing = client.get("/bo/admin/partenaires").get_data(as_text=True)
    assert "Accordé" in listing and "jusqu’au 10 février 2029" in listing


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": ""}, "Indiquez le nom du partenaire."),
        ({"departements": "", "regions": None}, "Indiquez les départements ou régions couverts"),
        ({"departements": "21 99 ZZ"}, "Départements inconnus : 99, ZZ."),
        ({"website": "http://partenaire.example.fr"}, "commençant par https://"),
        ({"website": "javascript:alert(1)"}, "commençant par https://"),
        ({"email": "pas une adresse"}, "nom@exemple.fr"),
        ({"phone": "appelez-nous"}, "numéro de téléphone"),
        ({"approval_status": "granted"}, "Indiquez la date de l’agrément."),
        ({"approval_granted_on": "2026-02-30"}, "date valide"),
        ({"kind": "secte"}, "choix valide"),
        ({"domains": ["nope"]}, "valide"),
    ],
)
def test_every_wrong_entry_is_explained_and_given_back(admin, overrides, message):
    app, client, _person = admin
    name = f"Partenaire en erreur {uuid.uuid4().hex[:6]}"
    typed_name = overrides.pop("name", name)
    response = _add(client, typed_name, **overrides)
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in text.replace("&#39;", "'").replace("N&#39;", "N'")
    assert "1 rue de la Liberté" in text  # what was typed is still there
    with app.app_context():
        assert _association(name) is None


def test_an_unknown_partner_is_a_404(admin):
    _app, client, _person = admin
    assert client.get("/bo/admin/partenaires/999999").status_code == 404
