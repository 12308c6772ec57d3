"""Helpers for tests that file referrals and follow them up through the web pages."""

from __future__ import annotations

import io
import json
import re

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

import crypto
from portal.extensions import db
from portal.models import Attachment, Referral

DESCRIPTION = "Mon frère suit un coach en bien-être qui lui a fait arrêter son traitement."
REPORT_URL = {"fr": "/fr/signaler", "en": "/en/report"}
FOLLOW_UP_URL = {"fr": "/fr/suivi", "en": "/en/follow-up"}
REPLY_URL = {"fr": "/fr/suivi/repondre", "en": "/en/follow-up/reply"}


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page)
    assert match, f"no hidden field {name}"
    return match.group(1)


def open_form(client, lang: str = "fr") -> dict[str, str]:
    """GET the referral form: its CSRF token and the receipt issued with it."""
    page = client.get(REPORT_URL[lang]).get_data(as_text=True)
    return {
        "csrf_token": hidden(page, "csrf_token"),
        "receipt": hidden(page, "receipt"),
        "receipt_seal": hidden(page, "receipt_seal"),
    }


def referral_data(**overrides) -> dict:
    data = {
        "kind": "report",
        "reporter_role": "relative",
        "domain": "alternative_therapies",
        "departement": "21",
        "minor_involved": "no",
        "description": DESCRIPTION,
        "organisations": "Éveil Intérieur",
        "websites": "https://www.eveil.example",
        "contact_mode": "anonymous",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def post_referral(client, lang: str = "fr", files=(), form=None, environ_base=None, **overrides):
    form = form or open_form(client, lang)
    data = {**form, **referral_data(**overrides)}
    if files:
        data["attachments"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post(
        REPORT_URL[lang],
        data=data,
        content_type="multipart/form-data",
        environ_base=environ_base or {},
    )


def shown_receipt(response) -> str:
    match = re.search(r"portal-receipt__code[^>]*>([^<]+)<", response.get_data(as_text=True))
    assert match, "no receipt on the page"
    return match.group(1).strip()


def latest_referral(app) -> Referral:
    with app.app_context():
        query = (
            select(Referral)
            .order_by(Referral.id.desc())
            .options(
                selectinload(Referral.grants),
                selectinload(Referral.messages),
                selectinload(Referral.attachments).selectinload(Attachment.chunks),
            )
        )
        referral = db.session.scalars(query).first()
        db.session.expunge_all()
        return referral


def data_key(referral: Referral, group_private_key: bytes) -> bytes:
    """Opened with the Miviludes group's key. A routed referral also has a grant to its
    association, and rows come back in no set order on PostgreSQL: the Miviludes grant
    is the one that opens."""
    for grant in referral.grants:
        try:
            return crypto.open_grant(
                grant.sealed_key, group_private_key, referral.public_id, "miviludes"
            )
        except crypto.DecryptionError:
            continue
    raise AssertionError(f"no grant of {referral.public_id} opens with the Miviludes key")


def read_item(referral: Referral, key: bytes, field: str, blob: bytes) -> dict:
    place = crypto.ItemPlace("referral", referral.public_id, "main", field)
    return json.loads(crypto.open_item(key, place, blob))


def referral_count(app) -> int:
    with app.app_context():
        return len(db.session.scalars(select(Referral.id)).all())


def message_count(app) -> int:
    """Messages stored, in every thread."""
    from portal.models import Message

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Message))


def reply_with_a_file(
    app, receipt: str, name: str, content: bytes, audience: str = "miviludes"
) -> str:
    """The reporter answers through the follow-up page with a file (to Miviludes, or to
    an association by its id): the file's public id."""
    reporter = app.test_client()
    token = open_form(reporter)["csrf_token"]
    page = reporter.post(FOLLOW_UP_URL["fr"], data={"csrf_token": token, "receipt": receipt})
    response = reporter.post(
        REPLY_URL["fr"],
        data={
            "csrf_token": hidden(page.get_data(as_text=True), "csrf_token"),
            "receipt": receipt,
            "body": "Voici la convocation.",
            "audience": audience,
            "attachments": [(io.BytesIO(content), name)],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, (
        response.status_code,
        re.findall(
            r"(?:fr-alert__title|fr-message--error)[^>]*>([^<]*)", response.get_data(as_text=True)
        ),
    )
    with app.app_context():
        return db.session.scalar(
            select(Attachment.public_id)
            .where(Attachment.message_id.is_not(None))
            .order_by(Attachment.id.desc())
        )
