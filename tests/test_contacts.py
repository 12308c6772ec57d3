"""The region finder: by postcode, département or region; every error translated, nothing lost."""

from __future__ import annotations

import pytest

from portal.public.services import departement_for_postcode
from tests.test_public_pages import text_of

NATIONAL = ["UNADFI", "CCMM", "GEMPPI", "CAFFES", "CLPS", "France Victimes"]


@pytest.mark.parametrize(
    ("postcode", "code"),
    [
        ("21000", "21"),
        ("75015", "75"),
        ("01000", "01"),
        ("95000", "95"),
        ("20000", "2A"),
        ("20167", "2A"),
        ("20200", "2B"),
        ("20600", "2B"),
        ("97100", "971"),
        ("97200", "972"),
        ("97300", "973"),
        ("97400", "974"),
        ("97600", "976"),
        (" 21 000 ", "21"),
        ("97133", None),
        ("97150", None),
        ("98000", None),
        ("00000", None),
        ("99999", None),
        ("2100", None),
        ("210000", None),
        ("abcde", None),
        ("", None),
    ],
)
def test_departement_for_postcode(postcode, code):
    assert departement_for_postcode(postcode) == code


def test_form_alone_on_first_visit(client):
    response = client.get("/fr/qui-contacter")
    text = text_of(response)
    assert "Chercher par code postal" in text and "Chercher par département" in text
    assert "Associations nationales" not in text
    assert "fr-alert--error" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "query", ["postcode=21000", "departement=21"], ids=["postcode", "departement"]
)
def test_departement_search_lists_local_then_national(client, query):
    text = text_of(client.get(f"/fr/qui-contacter?{query}"))
    assert "Aide pour 21 – Côte-d'Or (Bourgogne-Franche-Comté)" in text
    local = text.index("Associations couvrant ce département")
    national = text.index("Associations nationales")
    assert local < text.index("ADFI Bourgogne-Franche-Comté") < national
    for name in NATIONAL:
        assert name in text[national:]
    assert "Exemple de démonstration" in text
    assert "correspondant « dérives sectaires »" in text
    assert "3114" in text


def test_region_search_in_english(client):
    text = text_of(client.get("/en/who-to-contact?region=11"))
    assert "Help for the region Île-de-France" in text
    assert "Associations in this region" in text and "ADFI Île-de-France" in text
    for name in NATIONAL:
        assert name in text


def test_departement_without_local_association_still_lists_national_ones(client):
    text = text_of(client.get("/en/who-to-contact?departement=976"))
    assert "Help for 976 – Mayotte (Mayotte)" in text
    assert "No association in our directory covers this département specifically" in text
    for name in NATIONAL:
        assert name in text


def test_neighbouring_departement_shows_the_regional_association(client):
    text = text_of(client.get("/fr/qui-contacter?departement=13"))
    assert "CCMM – section Provence-Alpes-Côte d'Azur" in text


@pytest.mark.parametrize(
    ("lang", "query", "message"),
    [
        ("fr", "postcode=abc12", "Saisissez un code postal de 5 chiffres, par exemple 21000."),
        ("en", "postcode=abc12", "Enter a postcode of 5 digits, for example 21000."),
        ("fr", "postcode=98000", "Ce code postal ne correspond à aucun département français."),
        ("en", "postcode=98000", "This postcode does not match a French département."),
        ("fr", "departement=99", "est pas un choix valide"),
        ("en", "region=99", "not a valid choice"),
    ],
)
def test_bad_input_gets_a_translated_error_and_keeps_what_was_typed(client, lang, query, message):
    path = "/fr/qui-contacter" if lang == "fr" else "/en/who-to-contact"
    response = client.get(f"{path}?{query}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message.lower() in text_of(response).lower()
    assert 'class="fr-alert fr-alert--error' in page
    assert "fr-input-group--error" in page or "fr-select-group--error" in page
    if query.startswith("postcode="):
        assert f'value="{query.split("=")[1]}"' in page
        assert 'aria-describedby="postcode-messages"' in page
    assert ("Associations nationales" if lang == "fr" else "National associations") not in text_of(
        response
    )
