"""The Nu HTML Checker finds no error on any page a person can reach: public pages and
their error states, the error pages, login, back office and partner space.

The browser tests check every page they visit too (tests/browser/conftest.py); this
file covers the states a browser journey does not reach, through the test client.
"""

from __future__ import annotations

import pytest

from tests.intake_helpers import post_referral
from tests.pages import ALL_PUBLIC_URLS


def _assert_valid(html_checker, response, where: str) -> None:
    assert response.mimetype == "text/html", where
    errors = html_checker.errors(response.get_data(as_text=True))
    assert errors == [], (where, errors)


def test_public_pages_are_valid_html(client, html_checker):
    for url in ALL_PUBLIC_URLS:
        _assert_valid(html_checker, client.get(url), url)


@pytest.mark.parametrize(
    "url",
    [
        "/fr/qui-contacter?postcode=abc",
        "/en/who-to-contact?postcode=21000",
        "/fr/qui-contacter?region=84",
        "/fr/page-absente",
        "/connexion",
    ],
)
def test_result_and_error_states_are_valid_html(client, html_checker, url):
    _assert_valid(html_checker, client.get(url), url)


def test_form_errors_and_answers_are_valid_html(client, html_checker):
    _assert_valid(html_checker, post_referral(client, description=""), "referral errors")
    _assert_valid(html_checker, post_referral(client), "referral received")
    answer = client.post("/fr/auto-evaluation", data={"signs": ["money", "medical_care"]})
    _assert_valid(html_checker, answer, "self-check result")
    _assert_valid(html_checker, client.post("/en/follow-up", data={}), "follow-up refused")


def test_staff_and_partner_pages_are_valid_html(world, html_checker):
    _app, clients, ids = world
    for role, url in (
        ("staff", "/bo/"),
        ("staff", "/bo/?date_from=0001-01-01"),
        ("staff", f"/bo/signalements/{ids['public_id']}"),
        ("admin", "/bo/admin/comptes"),
        ("admin", "/bo/admin/journal"),
        ("admin", "/bo/admin/conservation"),
        ("anonymous", "/invitation/a-link-that-does-not-work"),
        ("admin", "/bo/admin/partenaires"),
        ("admin", "/bo/admin/partenaires/nouveau"),
        ("admin", f"/bo/admin/partenaires/{ids['association_id']}"),
        ("admin", "/bo/admin/journal?date_from=2026-13-01&action=x"),
        ("staff", "/bo/statistiques/"),
        ("admin", "/bo/statistiques/rapport"),
        ("analyst", "/bo/statistiques/?date_from=2041-05-01"),
        ("staff", "/bo/statistiques/?date_from=2041-13-45&date_to=2041-12-31"),
        ("partner_a", "/partenaires/chiffres"),
        ("partner_a", "/partenaires/"),
        ("partner_a", "/partenaires/charte"),
        ("partner_a", f"/partenaires/dossiers/{ids['routing_id']}"),
        ("staff", "/bo/signalements/absent"),
    ):
        _assert_valid(html_checker, clients[role].get(url), f"{role} {url}")
