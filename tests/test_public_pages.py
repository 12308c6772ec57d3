"""Every public page, in both languages: it answers, says what it should, links correctly."""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin, urlsplit

import pytest

from tests.pages import ALL_PUBLIC_URLS, PUBLIC_PAGES

EMERGENCY_NUMBERS = ["17", "112", "119", "3114", "116 006"]

TEN_CRITERIA = {
    "fr": [
        "déstabilisation mentale",
        "exigences financières exorbitantes",
        "rupture avec l'environnement d'origine",
        "atteintes à l'intégrité physique",
        "embrigadement des enfants",
        "discours antisocial",
        "troubles à l'ordre public",
        "importance des démêlés judiciaires",
        "détournement des circuits économiques traditionnels",
        "tentatives d'infiltration des pouvoirs publics",
    ],
    "en": [
        "mental destabilisation",
        "exorbitant financial demands",
        "induced break with one's original environment",
        "harm to physical integrity",
        "indoctrination of children",
        "antisocial discourse",
        "disturbances of public order",
        "significant legal troubles",
        "diversion of traditional economic channels",
        "attempts to infiltrate public authorities",
    ],
}


def text_of(response) -> str:
    """The page's visible text, tags removed and entities decoded, for content checks."""
    page = response.get_data(as_text=True)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def h1_of(response) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", response.get_data(as_text=True), re.S)
    assert match, "page has no <h1>"
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


@pytest.mark.parametrize(
    ("lang", "url", "heading"),
    [(lang, url, heading) for lang, pages in PUBLIC_PAGES.items() for url, heading in pages],
)
def test_public_page_answers_in_its_language(client, lang, url, heading):
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert f'<html lang="{lang}"' in page
    assert heading in h1_of(response)
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert title.strip().endswith("– Miviludes") and len(title) > len(" – Miviludes")
    text = text_of(response)
    for number in EMERGENCY_NUMBERS:
        assert number in text
    assert ("Quitter rapidement" if lang == "fr" else "Leave this site quickly") in text
    assert "data-quick-exit" in page and 'href="https://meteofrance.com/"' in page
    assert 'href="#content"' in page and 'id="content"' in page


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_detection_page_lists_the_ten_criteria_as_a_set_of_clues(client, lang):
    url = {"fr": "/fr/reperer-une-derive-sectaire", "en": "/en/how-to-detect-it"}[lang]
    text = text_of(client.get(url)).lower()
    for criterion in TEN_CRITERIA[lang]:
        assert criterion.lower() in text, criterion
    assert ("faisceau d'indices" if lang == "fr" else "set of clues") in text
    assert (
        "un seul critère ne suffit jamais" if lang == "fr" else "one criterion is never enough"
    ) in text


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/fr/qu-est-ce-qu-une-derive-sectaire", ["sujétion", "radicalisation", "financiers"]),
        ("/en/what-is-a-sectarian-drift", ["subjection", "radicalisation", "financial"]),
        (
            "/fr/que-dit-la-loi",
            [
                "2001-504",
                "223-15-2",
                "375 000",
                "2024-420",
                "223-15-3",
                "article 40",
                "2-17",
                "partie civile",
                "porter plainte",
            ],
        ),
        (
            "/en/what-the-law-says",
            [
                "2001-504",
                "223-15-2",
                "375,000",
                "2024-420",
                "223-15-3",
                "article 40",
                "2-17",
                "civil party",
                "file a complaint",
            ],
        ),
        (
            "/fr/reperer-une-derive-sectaire",
            ["vocabulaire", "soins médicaux", "porte reste ouverte"],
        ),
        ("/en/how-to-detect-it", ["vocabulary", "medical care", "door stays open"]),
        ("/fr/donnees-personnelles", ["Aucun cookie", "CNIL", "6-1-e", "anonyme"]),
        ("/en/privacy", ["No cookie", "CNIL", "6(1)(e)", "anonymous"]),
        (
            "/fr/accessibilite",
            [
                "non conforme",
                "RGAA",
                "établie le 3 décembre 2026",
                "axe-core",
                "Nu HTML Checker",
                "Chromium",
                "lecteur d'écran",
                "accessibilite@example.fr",
                "Défenseur des droits",
                "Libre réponse 71120",
                "Accessibilité : non conforme",
            ],
        ),
        (
            "/en/accessibility",
            [
                "not compliant",
                "drawn up on 3 December 2026",
                "axe-core",
                "screen reader",
                "accessibilite@example.fr",
                "Défenseur des droits",
                "Accessibility: not compliant",
            ],
        ),
        ("/fr/", ["S’informer", "Être aidé", "Signaler ou demander un avis"]),
        ("/en/", ["Get informed", "Get help", "Report or ask for an opinion"]),
        ("/fr/signaler", ["Signaler une situation", "Demander un avis"]),
        ("/en/report", ["Report a situation", "Ask for an opinion"]),
    ],
)
def test_key_content(client, url, expected):
    text = text_of(client.get(url))
    for fragment in expected:
        assert fragment in text, fragment


@pytest.mark.parametrize(
    ("accept", "target"),
    [
        ("en-GB,en;q=0.9", "/en/"),
        ("fr-FR,fr;q=0.9,en;q=0.5", "/fr/"),
        ("de-DE", "/fr/"),
        (None, "/fr/"),
    ],
)
def test_root_redirects_by_accept_language(client, accept, target):
    headers = {"Accept-Language": accept} if accept else {}
    response = client.get("/", headers=headers)
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == target
    assert "Accept-Language" in response.headers["Vary"]


@pytest.mark.parametrize(
    ("url", "switch"),
    [
        ("/fr/que-dit-la-loi", "/en/what-the-law-says"),
        ("/en/guides/children-and-education", "/fr/guides/enfants-et-education"),
        ("/fr/qui-contacter?postcode=21000", "/en/who-to-contact?postcode=21000"),
    ],
)
def test_language_switch_leads_to_the_same_page(client, url, switch):
    page = client.get(url).get_data(as_text=True)
    assert f'href="{html.escape(switch)}"' in page or f'href="{switch}"' in page


def _internal_links(page: str, base: str) -> set[str]:
    links = set()
    for href in re.findall(r'href="([^"]+)"', page):
        href = html.unescape(href)
        if href.startswith(("#", "tel:", "mailto:", "https://", "http://")):
            continue
        links.add(urljoin(base, href).split("#", 1)[0])
    return links


def test_no_broken_internal_link(client):
    """Crawl from both home pages: every internal link (pages, styles, scripts) answers 200."""
    to_visit = ["/fr/", "/en/"]
    seen: set[str] = set()
    while to_visit:
        url = to_visit.pop()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code == 200, url
        if response.mimetype == "text/html":
            to_visit.extend(_internal_links(response.get_data(as_text=True), url) - seen)
    assert set(ALL_PUBLIC_URLS) <= seen


def _emergency_callout(page: str) -> str:
    match = re.search(r'<div class="fr-callout[^"]*portal-emergency">(.*?)</div>', page, re.S)
    assert match, "no emergency callout on the page"
    return html.unescape(re.sub(r"<[^>]+>", " ", match.group(1)))


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("GET", "/fr/qui-contacter", None),
        ("GET", "/en/who-to-contact?departement=21", None),
        ("GET", "/fr/signaler", None),
        ("POST", "/en/self-check", {"signs": ["money"]}),
    ],
)
def test_emergency_callout_lists_every_number_with_its_meaning(client, method, url, data):
    response = client.open(url, method=method, data=data)
    callout = _emergency_callout(response.get_data(as_text=True))
    for number in EMERGENCY_NUMBERS:
        assert number in callout
    assert ("Suicide prevention" in callout) or ("Prévention du suicide" in callout)
