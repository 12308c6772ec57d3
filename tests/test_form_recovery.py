"""A reporter's form that cannot be sent comes back with what was typed: an expired page
(WCAG 2.2.1), a missing token, the per-client limit on referrals."""

from __future__ import annotations

import io
import time

import pytest

from portal.extensions import limiter
from tests.intake_helpers import (
    FOLLOW_UP_URL,
    REPLY_URL,
    REPORT_URL,
    hidden,
    message_count,
    open_form,
    post_referral,
    referral_count,
    referral_data,
    shown_receipt,
)
from tests.test_public_pages import text_of

TYPED = "Mon voisin a tout quitté pour ce groupe — TEXTE-GARDÉ"


@pytest.fixture(autouse=True)
def fresh_limits():
    limiter.reset()
    yield
    limiter.reset()


def test_an_expired_page_gives_each_reporter_form_back_filled(app, client):
    receipt = shown_receipt(post_referral(client))
    app.config["WTF_CSRF_TIME_LIMIT"] = 1
    report_form = open_form(client)
    follow_page = client.get(FOLLOW_UP_URL["fr"]).get_data(as_text=True)
    case_page = client.post(
        FOLLOW_UP_URL["fr"],
        data={"csrf_token": hidden(follow_page, "csrf_token"), "receipt": receipt},
    ).get_data(as_text=True)
    referrals, messages = referral_count(app), message_count(app)
    time.sleep(2.1)  # the tokens' age is counted in whole seconds

    response = client.post(
        REPORT_URL["fr"],
        data={
            **report_form,
            **referral_data(description=TYPED),
            "attachments": [(io.BytesIO(b"preuve"), "preuve.txt")],
        },
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Cette page avait expiré : rien n’a été envoyé" in text_of(response)
    assert TYPED in page and "preuve.txt" in page
    assert 'value="21" selected' in page  # the département chosen
    assert hidden(page, "receipt") == report_form["receipt"]
    assert hidden(page, "csrf_token") != report_form["csrf_token"]

    response = client.post(
        FOLLOW_UP_URL["fr"],
        data={"csrf_token": hidden(follow_page, "csrf_token"), "receipt": receipt},
    )
    assert response.status_code == 400 and receipt in response.get_data(as_text=True)
    assert "Cette page avait expiré" in text_of(response)

    response = client.post(
        REPLY_URL["fr"],
        data={"csrf_token": hidden(case_page, "csrf_token"), "receipt": receipt, "body": TYPED},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "votre message n’a pas été envoyé" in text_of(response)
    assert hidden(page, "draft") == TYPED
    assert (referral_count(app), message_count(app)) == (referrals, messages)

    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    again = client.post(
        FOLLOW_UP_URL["fr"],
        data={"csrf_token": hidden(page, "csrf_token"), "receipt": receipt, "draft": TYPED},
    )
    assert again.status_code == 200
    assert TYPED in again.get_data(as_text=True) and 'name="draft"' not in again.get_data(
        as_text=True
    )


def test_a_referral_posted_without_a_token_comes_back_filled(app, client):
    before = referral_count(app)
    form = open_form(client)
    del form["csrf_token"]
    response = post_referral(client, form=form, description=TYPED)
    assert response.status_code == 400 and TYPED in response.get_data(as_text=True)
    assert "Cette page avait expiré" in text_of(response)
    assert referral_count(app) == before


def test_the_referral_limit_counts_stored_referrals_and_keeps_the_text(make_app):
    app = make_app(report_limit="2 per hour")
    client = app.test_client()
    before = referral_count(app)
    assert post_referral(client).status_code == 200
    assert post_referral(client, description="").status_code == 422  # not counted
    assert post_referral(client).status_code == 200
    response = post_referral(client, description=TYPED)
    assert response.status_code == 429
    assert "rien n’a été envoyé : trop de demandes" in text_of(response).lower()
    assert TYPED in response.get_data(as_text=True)
    assert referral_count(app) == before + 2
    # Another address is not concerned.
    other = post_referral(app.test_client(), environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert other.status_code == 200
