"""The reporter's follow-up: found by the receipt alone; wrong codes all look the same."""

from __future__ import annotations

import re

import pytest

import crypto
from portal.casework.threads import post_message
from portal.casework.workflow import change_status
from portal.extensions import db, limiter
from portal.models import Referral
from tests.intake_helpers import (
    FOLLOW_UP_URL,
    REPLY_URL,
    data_key,
    hidden,
    latest_referral,
    post_referral,
    shown_receipt,
)
from tests.test_intake import small_png
from tests.test_public_pages import text_of


@pytest.fixture(autouse=True)
def fresh_limits():
    limiter.reset()
    yield
    limiter.reset()


@pytest.fixture
def filed(app, client):
    """A referral just filed: (receipt as shown, referral row)."""
    response = post_referral(client, "fr")
    return shown_receipt(response), latest_referral(app)


def follow(client, receipt: str, lang: str = "fr"):
    page = client.get(FOLLOW_UP_URL[lang]).get_data(as_text=True)
    return client.post(
        FOLLOW_UP_URL[lang], data={"csrf_token": hidden(page, "csrf_token"), "receipt": receipt}
    )


def without_token(page: str) -> str:
    """The page without what legitimately differs: the CSRF token and the typed code echoed back."""
    page = re.sub(r'name="csrf_token" type="hidden" value="[^"]*"', "", page)
    return re.sub(r'(<input[^>]*name="receipt"[^>]*?) value="[^"]*"', r"\1", page)


@pytest.mark.parametrize(
    "spelling",
    [lambda r: r, lambda r: r.replace("-", ""), lambda r: r.lower(), lambda r: r.replace("-", " ")],
)
def test_the_right_code_opens_the_case_however_it_is_typed(client, filed, spelling):
    receipt, referral = filed
    response = follow(client, spelling(receipt))
    assert response.status_code == 200
    text = text_of(response)
    assert f"Votre demande {referral.public_id}" in text
    assert "Reçue : elle sera lue par les agents de la Miviludes." in text
    assert response.headers["Cache-Control"] == "no-store"


def test_wrong_codes_are_indistinguishable_and_cost_the_same_work(client, filed, monkeypatch):
    assert filed  # a referral exists, so "not found" is not "the table is empty"
    calls = []
    real = crypto.receipt_keys
    monkeypatch.setattr(crypto, "receipt_keys", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    wrong_codes = [
        crypto.format_receipt(crypto.new_receipt()),
        "ABCDE",
        "not a code at all",
        "é" * 20,
    ]
    pages = set()
    for code in wrong_codes:
        response = follow(client, code)
        assert response.status_code == 200
        assert "Nous n’avons rien trouvé pour ce code" in text_of(response)
        pages.add(without_token(response.get_data(as_text=True)))
    assert len(pages) == 1
    assert len(calls) == len(wrong_codes), "every attempt runs exactly one derivation"


def test_an_empty_code_is_a_form_error(client):
    response = follow(client, "")
    assert "Saisissez votre code de suivi." in text_of(response)


def test_attempts_are_rate_limited_per_client(client, filed):
    statuses = [
        follow(client, crypto.format_receipt(crypto.new_receipt())).status_code for _ in range(11)
    ]
    assert statuses[:10] == [200] * 10 and statuses[10] == 429
    assert "Trop de tentatives" in text_of(follow(client, filed[0]))


def test_miviludes_question_and_the_reporter_answer(app, client, filed, group_private_key):
    receipt, referral = filed
    with app.app_context():
        stored = db.session.get(Referral, referral.id)
        post_message(
            db.session,
            stored,
            data_key(referral, group_private_key),
            "miviludes",
            "Pouvez-vous préciser la commune ?",
        )
        for status in ("in_triage", "awaiting_reporter"):  # as staff would move it
            change_status(db.session, stored, status, "system")
        db.session.commit()
    case_page = follow(client, receipt)
    text = text_of(case_page)
    assert "En attente de votre réponse" in text and "Pouvez-vous préciser la commune ?" in text

    page = case_page.get_data(as_text=True)
    response = client.post(
        REPLY_URL["fr"],
        data={
            "csrf_token": hidden(page, "csrf_token"),
            "receipt": hidden(page, "receipt"),
            "body": "C’est à Beaune.",
            "attachments": [(__import__("io").BytesIO(small_png()), "plan.png")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    text = text_of(response)
    assert "Votre message a été envoyé." in text and "C’est à Beaune." in text
    assert "Pièces jointes : plan.png" in text
    assert "En cours d’examen par la Miviludes." in text
    after = latest_referral(app)
    assert after.status == "in_triage"
    assert [m.author for m in after.messages] == ["miviludes", "reporter"]
    assert b"Beaune" not in after.messages[1].body
    assert after.attachments[-1].message_id == after.messages[1].id


def test_a_reply_with_a_wrong_code_opens_nothing(client, filed):
    page = follow(client, filed[0]).get_data(as_text=True)
    response = client.post(
        REPLY_URL["en"],
        data={"csrf_token": hidden(page, "csrf_token"), "receipt": "0" * 20, "body": "hello"},
    )
    assert "We found nothing for this code" in text_of(response)


def test_an_empty_reply_is_refused_and_the_case_stays_open(client, filed):
    page = follow(client, filed[0]).get_data(as_text=True)
    response = client.post(
        REPLY_URL["fr"],
        data={
            "csrf_token": hidden(page, "csrf_token"),
            "receipt": hidden(page, "receipt"),
            "body": "",
        },
    )
    assert response.status_code == 422
    text = text_of(response)
    assert "Écrivez votre message." in text and filed[1].public_id in text


@pytest.mark.parametrize(
    ("url", "answer"),
    [
        # The code and the message come back, nothing opened or sent (test_form_recovery).
        (FOLLOW_UP_URL["fr"], "Cette page avait expiré"),
        (REPLY_URL["fr"], "Cette page avait expiré"),
        ("/fr/suivi/quitter", "Demande incomprise"),
    ],
)
def test_every_follow_up_post_needs_the_csrf_token(app, client, filed, url, answer):
    response = client.post(url, data={"receipt": filed[0], "body": "bonjour"})
    assert response.status_code == 400
    assert answer in text_of(response)
    assert "bonjour" not in [m.body for m in latest_referral(app).messages]
    assert "Où en est-elle ?" not in text_of(response)


def test_leaving_asks_the_browser_to_forget(client, filed):
    page = follow(client, filed[0]).get_data(as_text=True)
    response = client.post("/fr/suivi/quitter", data={"csrf_token": hidden(page, "csrf_token")})
    assert response.status_code == 200
    assert response.headers["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert "Vous avez quitté votre demande" in text_of(response)


def test_the_reporter_can_re_read_what_they_sent(app, client):
    receipt = shown_receipt(
        post_referral(
            client,
            "fr",
            files=[("plan.png", small_png())],
            commune="Beaune",
            name="Jeanne Témoin",
            email="jeanne@example.fr",
            contact_mode="contact",
            consent_contact="y",
        )
    )
    text = text_of(follow(client, receipt))
    section = text[text.index("Ce que vous avez envoyé") : text.index("Répondre")]
    for shown in (
        "Signaler une situation",
        "Des soins ou des thérapies proposés à la place de la médecine",
        "21 – Côte-d'Or, Beaune",
        "Mon frère suit un coach",
        "plan.png",
    ):
        assert shown in section, shown
    assert "Jeanne" not in text and "jeanne@example.fr" not in text
