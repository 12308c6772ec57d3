"""The region finder: by postcode, département or region; every error translated, nothing lost."""

from __future__ import annotations

import re

import pytest

from portal import geography
from tests.test_public_pages import text_of

NATIONAL = ["UNADFI", "CCMM", "GEMPPI", "CAFFES", "CLPS", "France Victimes"]


@pytest.mark.parametrize(
    ("postcode", "heading"),
    [
        ("21000", "Aide pour 21 – Côte-d'Or"),
        ("75015", "Aide pour 75 – Paris"),
        ("33000", "Aide pour 33 – Gironde"),
        ("13001", "Aide pour 13 – Bouches-du-Rhône"),
        ("20000", "Aide pour 2A – Corse-du-Sud"),
        ("97200", "Aide pour 972 – Martinique"),
        ("97300", "Aide pour 973 – Guyane"),
        (" 21 000 ", "Aide pour 21 – Côte-d'Or"),
    ],
)
def test_a_postcode_of_one_commune_leads_to_its_departement(client, postcode, heading):
    """From the official list of communes (npm @etalab/decoupage-administratif)."""
    assert heading in text_of(client.get(f"/fr/qui-contacter?postcode={postcode}"))


@pytest.mark.parametrize(
    ("postcode", "communes", "chosen", "heading"),
    [
        ("54490", 7, "Piennes", "Aide pour 54 – Meurthe-et-Moselle"),
        ("20200", 4, "Bastia", "Aide pour 2B – Haute-Corse"),
        ("20167", 10, "Afa", "Aide pour 2A – Corse-du-Sud"),
        ("97600", 2, "Mamoudzou", "Aide pour 976 – Mayotte"),
    ],
)
def test_a_postcode_of_several_communes_asks_which(client, postcode, communes, chosen, heading):
    page = client.get(f"/fr/qui-contacter?postcode={postcode}").get_data(as_text=True)
    assert f"Plusieurs communes ont le code postal {postcode}" in page
    links = re.findall(r'href="(/fr/qui-contacter\?commune=[0-9AB]{5})">([^<]+)<', page)
    assert len(links) == communes
    url = next(link for link, name in links if name == chosen)
    assert heading in text_of(client.get(url))


@pytest.mark.parametrize(
    ("postcode", "place"), [("97133", "Saint-Barthélemy"), ("97150", "Saint-Martin")]
)
def test_saint_barthelemy_and_saint_martin_get_guadeloupe_s_contacts(client, postcode, place):
    text = text_of(client.get(f"/fr/qui-contacter?postcode={postcode}"))
    assert f"{place} est une collectivité d’outre-mer" in text
    assert "Aide pour 971 – Guadeloupe" in text


def test_monaco_is_not_france_but_national_associations_help(client):
    text = text_of(client.get("/en/who-to-contact?postcode=98000"))
    assert "98000 is the postcode of Monaco, which is not part of France" in text
    for name in NATIONAL:
        assert name in text


def test_a_wrong_commune_code_finds_nothing(client):
    for query in ("commune=99999", "commune=abc", "commune=%00"):
        assert client.get(f"/fr/qui-contacter?{query}").status_code == 200


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
        ("fr", "postcode=99999", "Ce code postal ne correspond à aucune commune de France."),
        ("en", "postcode=00000", "This postcode matches no commune of France."),
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


def test_the_referral_form_suggests_the_communes_of_a_departement(client):
    response = client.get("/communes/21.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    names = response.get_json()
    assert "Dijon" in names and len(names) == len(set(names)) > 600
    assert "Cache-Control" in response.headers and "max-age" in response.headers["Cache-Control"]
    assert "Set-Cookie" not in response.headers
    guadeloupe = client.get("/communes/971.json").get_json()
    assert {"Saint-Barthélemy", "Saint-Martin", "Pointe-à-Pitre"} <= set(guadeloupe)
    for unknown in ("99", "977", "%00", "21%27"):
        assert client.get(f"/communes/{unknown}.json").status_code == 404


def test_the_vendored_communes_are_what_the_official_package_gives(tmp_path):
    """portal/data/communes.csv is rebuilt from npm @etalab/decoupage-administratif
    (installed by npm ci): a stale or hand-edited copy fails here."""
    rows = geography.build_vendored_file(geography.PACKAGE, tmp_path)
    assert rows == geography.vendored_source()["rows"] > 35_000
    for name in ("communes.csv", "communes-source.json"):
        assert (tmp_path / name).read_bytes() == (geography.DATA / name).read_bytes(), name
