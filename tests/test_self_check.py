"""The private self-check: a reading of clues, never a verdict; nothing stored, no cookie."""

from __future__ import annotations

import pytest
from sqlalchemy import func, inspect, select

from portal.extensions import db
from portal.public.services import read_self_check
from portal.vocabulary import WARNING_SIGNS
from tests.test_public_pages import text_of


def test_reading_keeps_the_list_order_and_flags_what_needs_action():
    reading = read_self_check(["children", "money", "unknown"])
    assert reading.signs == ["money", "children"]
    assert reading.count == 2
    assert reading.children_concerned and not reading.health_risk
    assert read_self_check(["medical_care"]).health_risk


def test_form_lists_every_sign(client):
    response = client.get("/en/self-check")
    page, text = response.get_data(as_text=True), text_of(response)
    for code, label in WARNING_SIGNS.items():
        assert f'value="{code}"' in page
        assert str(label) in text
    assert 'method="post"' in page


def _row_counts(app) -> dict[str, int]:
    with app.app_context():
        tables = inspect(db.engine).get_table_names()
        return {
            name: db.session.scalar(select(func.count()).select_from(db.table(name)))
            for name in tables
        }


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_result_reads_the_clues_stores_nothing_and_sets_no_cookie(app, client, lang):
    before = _row_counts(app)
    path = "/fr/auto-evaluation" if lang == "fr" else "/en/self-check"
    response = client.post(path, data={"signs": ["money", "break_with_family", "medical_care"]})
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    text = text_of(response)
    if lang == "fr":
        assert "Vous avez coché 3 signes." in text
        assert "jamais un verdict" in text and "appelez le 112" in text
        assert "Trouver une association près de chez vous" in text
    else:
        assert "You ticked 3 signs." in text
        assert "never a verdict" in text and "call 112" in text
        assert "Find an association near you" in text
    assert _row_counts(app) == before


def test_singular_and_children_warning(client):
    text = text_of(client.post("/en/self-check", data={"signs": ["children"]}))
    assert "You ticked 1 sign." in text and "call 119" in text
    text = text_of(client.post("/fr/auto-evaluation", data={"signs": ["children"]}))
    assert "Vous avez coché 1 signe." in text


def test_nothing_ticked_is_answered_kindly(client):
    text = text_of(client.post("/en/self-check", data={}))
    assert "You did not tick any sign." in text and "trust that feeling" in text


@pytest.mark.parametrize(
    ("lang", "message"), [("fr", "n'est pas un choix valide"), ("en", "not a valid choice")]
)
def test_unknown_sign_is_a_translated_error_and_keeps_the_ticks(client, lang, message):
    path = "/fr/auto-evaluation" if lang == "fr" else "/en/self-check"
    response = client.post(path, data={"signs": ["money", "forged"]})
    page = response.get_data(as_text=True)
    assert message in text_of(response)
    assert 'value="money" checked' in page or ("checked" in page and 'value="money"' in page)


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},  # as a browser sends from another site
        {"Sec-Fetch-Site": "same-site"},  # as a browser sends from a sibling subdomain
        {"Origin": "https://evil.example"},  # as a browser sends (older, no Fetch Metadata)
        {"Origin": "null"},  # as a browser sends from a sandboxed frame
    ],
)
def test_cross_site_posts_are_refused(client, headers):
    response = client.post("/en/self-check", data={"signs": ["money"]}, headers=headers)
    assert response.status_code == 403


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "same-origin"},  # as a browser sends from our own page
        {"Sec-Fetch-Site": "none"},  # as a browser sends for a user-initiated request
        {"Origin": "http://localhost"},  # as a browser sends (older, no Fetch Metadata)
    ],
)
def test_same_origin_posts_are_accepted(client, headers):
    assert (
        client.post("/en/self-check", data={"signs": ["money"]}, headers=headers).status_code == 200
    )
