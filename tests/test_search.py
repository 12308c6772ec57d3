"""Finding a case (issue 13 §1): by reference, and by organisation, person, website,
reporter e-mail or phone through the blind index; exact after normalisation, results
as ``can_see`` allows, audited without what was typed, a fault gives the query back."""

from __future__ import annotations

import os
import re
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy import select

import crypto
from crypto.blind_index import normalise_email, normalise_phone
from portal.casework import search
from portal.extensions import db
from portal.models import AuditEvent, Referral
from tests.casework_helpers import csrf_token, log_in, make_person
from tests.intake_helpers import latest_referral, post_referral

KEY = os.urandom(32)


def test_phone_numbers_and_e_mail_addresses_are_compared_normalised():
    same = ["06 12 34 56 78", "+33 6 12 34 56 78", "0033612345678", "06.12.34.56.78"]
    assert {normalise_phone(number) for number in same} == {"0612345678"}
    assert normalise_phone("12 34") == ""  # too short to be a number
    assert normalise_email(" Marie.Dupont@Exemple.FR ") == "marie.dupont@exemple.fr"
    assert crypto.phone_token(KEY, same[0]) == crypto.phone_token(KEY, same[1])
    # A person and an organisation of the same name are told apart.
    assert crypto.person_token(KEY, "Jean Lumière") != crypto.name_token(KEY, "Jean Lumière")


@pytest.mark.parametrize(
    ("typed", "understood"),
    [
        ("2026-7K3PQ0", ["reference"]),
        (" 2026-7k3pq0 ", ["reference"]),
        ("marie@exemple.fr", ["email"]),
        ("+33 6 12 34 56 78", ["phone"]),
        ("www.eveil.example", ["website", "organisation"]),
        ("https://eveil.example/stage", ["website", "organisation"]),
        ("L'Éveil Intérieur", ["organisation", "person"]),
        ("  ", []),
    ],
)
def test_what_is_typed_is_understood(typed, understood):
    assert search.understand(KEY, typed).understood_as == understood


def _find(client, query: str):
    page = client.get("/bo/recherche").get_data(as_text=True)
    return client.post("/bo/recherche", data={"csrf_token": csrf_token(page), "query": query})


def _found(response) -> set[str]:
    return set(re.findall(r'href="/bo/signalements/([^"]+)"', response.get_data(as_text=True)))


@pytest.fixture
def filed(bo_app):
    """A referral with names of its own (the suite shares one database)."""
    marker = uuid.uuid4().hex[:8]
    values = {
        "organisations": f"L'Éveil Intérieur {marker}",
        "persons": f"Jean Lumière {marker}",
        "websites": f"https://www.eveil-{marker}.example/stages",
        "email": f"Marie.Dupont.{marker}@Exemple.fr",
        "phone": f"06 12 {marker[:2].translate(str.maketrans('abcdef', '123456'))} 56 78",
    }
    response = post_referral(
        bo_app.test_client(),
        organisations=values["organisations"],
        persons=values["persons"],
        websites=values["websites"],
        contact_mode="contact",
        name="Marie Dupont",
        email=values["email"],
        phone=values["phone"],
        consent_contact="y",
    )
    assert response.status_code == 200
    return latest_referral(bo_app).public_id, marker, values


def test_staff_find_a_case_by_each_thing_it_names(bo_app, group_private_key, clock, filed):
    public_id, marker, values = filed
    staff = bo_app.test_client()
    log_in(staff, make_person(bo_app, group_private_key, "staff"), clock)
    digits = values["phone"].replace(" ", "")
    for typed, shown in [
        (public_id.lower(), "Référence"),
        (f"l eveil interieur {marker.upper()}", "Organisation citée"),
        (f"JEAN-LUMIERE {marker}", "Personne citée"),
        (f"eveil-{marker}.example", "Site internet cité"),
        (f"  marie.dupont.{marker}@exemple.FR", "Adresse électronique de la personne qui écrit"),
        ("+33 " + digits[1:], "Numéro de téléphone de la personne qui écrit"),
    ]:
        response = _find(staff, typed)
        assert response.status_code == 200
        assert _found(response) == {public_id}, typed
        assert f"<td>{shown}</td>" in response.get_data(as_text=True)
    assert _found(_find(staff, f"Éveil {marker}")) == set()  # exact, not a fragment
    # Audited as what kind of value, never the value.
    with bo_app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "referral.search")
        ).all()
        assert events and all(marker not in str(event.details) for event in events)
        assert '{"as":"email","found":1}' in [event.details for event in events]


def test_the_case_page_searches_each_name_it_holds(bo_app, group_private_key, clock, filed):
    public_id, marker, values = filed
    staff = bo_app.test_client()
    log_in(staff, make_person(bo_app, group_private_key, "staff"), clock)
    page = staff.get(f"/bo/signalements/{public_id}").get_data(as_text=True)
    assert f'name="query" value="Jean Lumière {marker}"' in page
    assert _found(_find(staff, values["persons"])) == {public_id}


def test_a_purged_case_is_not_found(bo_app, group_private_key, clock, filed):
    public_id, marker, _values = filed
    staff = bo_app.test_client()
    log_in(staff, make_person(bo_app, group_private_key, "staff"), clock)
    with bo_app.app_context():
        referral = db.session.scalars(select(Referral).where(Referral.public_id == public_id)).one()
        referral.purged_at = referral.created_at
        db.session.commit()
    assert _found(_find(staff, public_id)) == set()
    assert _found(_find(staff, f"Jean Lumière {marker}")) == set()


@pytest.mark.parametrize(
    ("typed", "error"), [("", "Saisissez ce que vous cherchez."), ("x" * 201, "200 caractères")]
)
def test_a_query_that_cannot_be_searched_is_explained(
    bo_app, group_private_key, clock, typed, error
):
    staff = bo_app.test_client()
    log_in(staff, make_person(bo_app, group_private_key, "staff"), clock)
    response = _find(staff, typed)
    assert response.status_code == 200
    assert error in response.get_data(as_text=True)


def test_a_database_fault_gives_the_query_back(bo_app, group_private_key, clock, monkeypatch):
    staff = bo_app.test_client()
    log_in(staff, make_person(bo_app, group_private_key, "staff"), clock)

    def fails(*_args, **_kwargs):
        raise sa.exc.OperationalError("SELECT", {}, ConnectionError("server closed"))

    monkeypatch.setattr(search, "find", fails)
    response = _find(staff, "Jean Lumière")
    assert response.status_code == 503
    text = response.get_data(as_text=True)
    assert 'value="Jean Lumière"' in text
    assert "La recherche n’a pas pu être faite" in text or "could not be made" in text
