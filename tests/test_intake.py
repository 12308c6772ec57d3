"""Filing a referral: what is stored, encrypted, and every way the form can refuse."""

from __future__ import annotations

import io
import json
import struct
import zlib

import pytest
from PIL import Image
from sqlalchemy import func, select

import crypto
from crypto.params import CHUNK_BYTES
from portal.extensions import db
from portal.models import BlindIndexEntry
from portal.statistics.calendar import month_of
from tests.intake_helpers import (
    DESCRIPTION,
    REPORT_URL,
    data_key,
    hidden,
    latest_referral,
    open_form,
    post_referral,
    read_item,
    referral_count,
    shown_receipt,
)
from tests.test_public_pages import text_of

RECEIVED = {"fr": "Votre demande a bien été reçue", "en": "Your request has been received"}


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("kind", ["report", "opinion"])
def test_a_referral_is_received_and_stored_encrypted(app, client, group_private_key, lang, kind):
    response = post_referral(
        client,
        lang,
        kind=kind,
        persons="Jean Coach",
        commune="Dijon",
        since_when="deux ans",
        signs=["money", "medical_care"],
        health_risk="y",
    )
    assert response.status_code == 200, text_of(response)[:2000]
    text = text_of(response)
    assert RECEIVED[lang] in text
    receipt = shown_receipt(response)
    assert len(receipt) == 23 and receipt.count("-") == 3
    assert ("ne peut pas être retrouvé" if lang == "fr" else "cannot be recovered") in text
    assert response.headers["Cache-Control"] == "no-store"

    referral = latest_referral(app)
    assert referral.public_id in text
    assert (referral.kind, referral.status, referral.reporter_role) == (kind, "new", "relative")
    assert (referral.domain, referral.departement, referral.region_code) == (
        "alternative_therapies",
        "21",
        "27",
    )
    assert referral.health_risk and not referral.urgent and not referral.has_identity
    assert referral.month == month_of(referral.created_at)
    assert len(referral.grants) == 1
    document = read_item(
        referral, data_key(referral, group_private_key), "document", referral.document
    )
    assert document == {
        "organisations": ["Éveil Intérieur"],
        "persons": ["Jean Coach"],
        "websites": ["https://www.eveil.example"],
        "commune": "Dijon",
        "since_when": "deux ans",
        "signs": ["money", "medical_care"],
        "description": DESCRIPTION,
    }
    assert b"Dijon" not in referral.document and referral.identity is None


def test_contact_details_are_a_separate_item_with_the_consents(app, client, group_private_key):
    response = post_referral(
        client,
        contact_mode="contact",
        name="Marie Martin",
        email="marie@example.fr",
        phone="06 12 34 56 78",
        best_time="le soir",
        consent_contact="y",
        consent_share="y",
    )
    assert response.status_code == 200
    referral = latest_referral(app)
    assert referral.has_identity and referral.contact_allowed and referral.share_identity
    identity = read_item(
        referral, data_key(referral, group_private_key), "identity", referral.identity
    )
    assert identity == {
        "name": "Marie Martin",
        "email": "marie@example.fr",
        "phone": "06 12 34 56 78",
        "best_time": "le soir",
    }


def test_details_typed_then_anonymous_chosen_are_not_kept(app, client):
    response = post_referral(client, contact_mode="anonymous", name="Marie", email="m@example.fr")
    assert response.status_code == 200
    referral = latest_referral(app)
    assert referral.identity is None and not referral.contact_allowed


def test_a_second_post_of_the_same_form_creates_no_second_referral(app, client):
    form = open_form(client)
    before = referral_count(app)
    first = post_referral(client, form=form)
    second = post_referral(client, form=form)
    assert first.status_code == second.status_code == 200
    assert referral_count(app) == before + 1
    assert shown_receipt(first) == shown_receipt(second)
    assert "avait déjà été reçue" in text_of(second)


def test_a_tampered_receipt_is_replaced_by_a_fresh_one(app, client):
    form = open_form(client)
    forged = dict(form, receipt="0" * 20)
    response = post_referral(client, form=forged)
    assert response.status_code == 200
    assert crypto.normalise_receipt(shown_receipt(response)) not in ("0" * 20, form["receipt"])


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_immediate_danger_marks_the_referral_urgent_and_shows_the_numbers_first(app, client, lang):
    response = post_referral(client, lang, immediate_danger="y")
    page = response.get_data(as_text=True)
    assert latest_referral(app).urgent
    assert page.index("portal-emergency") < page.index("portal-receipt")
    form_page = client.get(REPORT_URL[lang]).get_data(as_text=True)
    assert form_page.index("portal-emergency") < form_page.index("<form")
    assert "portal-danger-notice" in form_page


def _ticked(page: str, code: str) -> bool:
    tag = page[page.index(f'value="{code}"') - 120 : page.index(f'value="{code}"') + 30]
    return "checked" in tag


def test_signs_ticked_in_the_self_check_arrive_ticked_by_post(client):
    """Handed over in the body: the address, the history and the log never hold them."""
    result = client.post("/en/self-check", data={"signs": ["money", "children"]})
    page = result.get_data(as_text=True)
    assert 'action="/en/report/from-the-self-check"' in page and "?signs" not in page
    response = client.post(
        "/en/report/from-the-self-check", data={"signs": ["money", "children", "forged"]}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    for code, expected in (("money", True), ("children", True), ("vocabulary", False)):
        assert _ticked(page, code) == expected
    assert 'value="forged"' not in page
    assert hidden(page, "receipt") and hidden(page, "csrf_token")


def test_signs_in_the_address_are_ignored(client):
    page = client.get("/en/report?signs=money").get_data(as_text=True)
    assert not _ticked(page, "money")


REQUIRED_ERRORS = [
    ("kind", "Indiquez si vous signalez une situation", "Choose whether you report a situation"),
    ("reporter_role", "Indiquez qui vous êtes", "Tell us who you are"),
    ("domain", "Choisissez un domaine.", "Choose an area."),
    ("departement", "Choisissez le département", "Choose the département"),
    (
        "minor_involved",
        "Indiquez si un mineur est concerné.",
        "Tell us whether a minor is concerned.",
    ),
    ("description", "Décrivez la situation.", "Describe the situation."),
]


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize(("field", "message_fr", "message_en"), REQUIRED_ERRORS)
def test_each_missing_answer_gets_a_translated_error_and_nothing_is_lost(
    app, client, lang, field, message_fr, message_en
):
    before = referral_count(app)
    response = post_referral(client, lang, **{field: None, "commune": "Beaune", "persons": "X Y"})
    assert response.status_code == 422
    page, text = response.get_data(as_text=True), text_of(response)
    assert (message_fr if lang == "fr" else message_en) in text
    # The summary links to the field; for a group of radio buttons, to its first one,
    # which can take focus (a fieldset cannot).
    radios = {"kind", "reporter_role", "domain", "minor_involved", "contact_mode"}
    target = f"{field}-0" if field in radios else field
    assert f'href="#{target}"' in page and f'id="{target}"' in page
    assert page.count('aria-invalid="true"') >= 1
    assert 'value="Beaune"' in page and "X Y" in page
    if field != "description":
        assert "arrêter son traitement" in page
    assert referral_count(app) == before


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"description": "Trop court."}, "entre 30 et 20 000 caractères"),
        ({"description": "x" * 20_001}, "entre 30 et 20 000 caractères"),
        ({"contact_mode": "contact", "consent_contact": "y"}, "Indiquez une adresse électronique"),
        ({"contact_mode": "contact", "email": "a@b.fr"}, "Cochez la case pour accepter"),
        (
            {"contact_mode": "contact", "email": "pas-une-adresse", "consent_contact": "y"},
            "nom@exemple.fr",
        ),
        (
            {"contact_mode": "contact", "phone": "appelez-moi", "consent_contact": "y"},
            "06 12 34 56 78",
        ),
        ({"organisations": "\n".join(f"Groupe {n}" for n in range(11))}, "au plus 10 éléments"),
        ({"websites": "https://" + "a" * 400}, "au plus 300 caractères"),
        ({"departement": "99"}, "pas un choix valide"),
        ({"domain": "astrology"}, "pas un choix valide"),
        ({"signs": ["money", "invented"]}, "pas un choix valide"),
        ({"homepage": "http://spam.example"}, "Laissez ce champ vide."),
    ],
)
def test_invalid_answers_are_refused_with_a_french_message(app, client, overrides, message):
    before = referral_count(app)
    response = post_referral(client, "fr", **overrides)
    assert response.status_code == 422
    assert message in text_of(response)
    assert referral_count(app) == before


def test_csrf_is_enforced(app, client):
    form = open_form(client)
    del form["csrf_token"]
    before = referral_count(app)
    response = post_referral(client, form=form)
    assert response.status_code == 400
    assert "Cette page avait expiré : rien n’a été envoyé" in text_of(response)
    assert referral_count(app) == before


def test_without_installation_keys_the_form_says_so(databases, tmp_path):
    """Before anyone types: no form, the reason and the numbers to call. A form posted
    all the same (opened before the keys went missing) comes back filled."""
    from portal import create_app
    from tests.conftest import make_config, migrate_and_load

    app = create_app(make_config(tmp_path, databases.create()))
    migrate_and_load(app)
    client = app.test_client()
    page = client.get("/en/report")
    assert page.status_code == 503
    text = text_of(page)
    assert "The portal cannot receive requests for the moment" in text and "112" in text
    assert "<form" not in page.get_data(as_text=True).split("<main")[1].split("</main>")[0]
    token = hidden(client.get("/en/follow-up").get_data(as_text=True), "csrf_token")
    form = {"csrf_token": token, "receipt": "", "receipt_seal": ""}
    response = post_referral(client, "en", form=form, description="Text typed before " * 3)
    assert response.status_code == 503
    assert "Text typed before" in response.get_data(as_text=True)
    assert "The portal cannot receive requests for the moment" in text_of(response)
    with app.app_context():
        db.engine.dispose()


# Files ------------------------------------------------------------------------------------


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (120, 80), "navy")
    exif = Image.Exif()
    exif[0x010F] = "CAMERA-MAKER-MARK"
    exif[0x8825] = {1: "N", 2: (47.0, 19.0, 21.0), 3: "E", 4: (5.0, 2.0, 29.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def small_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, "PNG")
    return out.getvalue()


def zip_bytes() -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.txt", "hidden")
    return out.getvalue()


def _stored_files(app, group_private_key) -> list[tuple[dict, bytes]]:
    referral = latest_referral(app)
    key = data_key(referral, group_private_key)
    files = []
    for attachment in referral.attachments:
        details_place = crypto.ItemPlace(
            "attachment", referral.public_id, attachment.public_id, "details"
        )
        content_place = crypto.ItemPlace(
            "attachment", referral.public_id, attachment.public_id, "content"
        )
        details = json.loads(crypto.open_item(key, details_place, attachment.details))
        content = b"".join(
            crypto.open_chunks(key, content_place, [c.blob for c in attachment.chunks])
        )
        files.append((details, content))
    return files


def test_image_location_is_removed_unless_the_original_is_kept(app, client, group_private_key):
    original = jpeg_with_gps()
    assert b"CAMERA-MAKER-MARK" in original
    assert post_referral(client, files=[("photo.jpg", original)]).status_code == 200
    ((details, content),) = _stored_files(app, group_private_key)
    assert details["type"] == "image/jpeg" and details["cleaned"] is True
    assert b"CAMERA-MAKER-MARK" not in content
    assert 0x8825 not in Image.open(io.BytesIO(content)).getexif()

    assert (
        post_referral(client, files=[("photo.jpg", original)], keep_original="y").status_code == 200
    )
    ((details, content),) = _stored_files(app, group_private_key)
    assert content == original and details["cleaned"] is False


def test_pdf_metadata_is_removed(app, client, group_private_key):
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.docinfo["/Author"] = "AUTHOR-MARK"
    out = io.BytesIO()
    pdf.save(out)
    assert post_referral(client, files=[("lettre.pdf", out.getvalue())]).status_code == 200
    ((details, content),) = _stored_files(app, group_private_key)
    assert details["name"] == "lettre.pdf" and b"AUTHOR-MARK" not in content


def test_several_accepted_files_are_stored_in_chunks(app, client, group_private_key):
    big_text = ("Témoignage. " * 20_000).encode()  # ~260 KB: several 64 KiB chunks
    files = [("notes.txt", big_text), ("capture.png", small_png())]
    assert post_referral(client, files=files).status_code == 200
    stored = _stored_files(app, group_private_key)
    assert [details["name"] for details, _ in stored] == ["notes.txt", "capture.png"]
    assert stored[0][1] == big_text
    assert len(latest_referral(app).attachments[0].chunks) == -(-len(big_text) // CHUNK_BYTES) > 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "facture.pdf",
            b"MZ\x90\x00" + b"\0" * 200,
            "facture.pdf : ce type de fichier n’est pas accepté",
        ),
        ("image.png", small_png() + zip_bytes(), "image.png : ce fichier en contient un autre"),
        ("carte.png", png_header_only(20_000, 20_000), "carte.png : cette image est trop grande"),
        ("vide.txt", b"", "vide.txt : ce fichier est vide"),
        ("binaire.txt", b"\0\1\2\3" * 50, "binaire.txt : ce type de fichier n’est pas accepté"),
        ("casse.jpg", b"\xff\xd8\xff" + b"\0" * 100, "casse.jpg : ce fichier semble endommagé"),
    ],
)
def test_refused_files(app, client, name, content, message):
    before = referral_count(app)
    response = post_referral(client, files=[(name, content)])
    assert response.status_code == 422
    assert message in text_of(response)
    assert referral_count(app) == before


def test_too_many_files(client):
    response = post_referral(client, files=[(f"note{n}.txt", b"texte") for n in range(6)])
    assert response.status_code == 422
    assert "Envoyez au plus 5 fichiers." in text_of(response)


def test_a_file_over_10_mb(client):
    response = post_referral(client, files=[("gros.txt", b"a" * (10 * 1024 * 1024 + 1))])
    assert response.status_code == 422
    assert "gros.txt : ce fichier dépasse 10 Mo." in text_of(response)


def test_files_over_25_mb_in_all(client):
    files = [(f"part{n}.txt", b"a" * (8 * 1024 * 1024 + 512 * 1024)) for n in range(3)]
    response = post_referral(client, files=files)
    assert response.status_code == 422
    assert "Vos fichiers dépassent 25 Mo au total." in text_of(response)


def test_a_body_over_the_limit_gets_the_translated_413_page(client):
    files = [(f"part{n}.txt", b"a" * (9 * 1024 * 1024)) for n in range(3)]
    response = post_referral(client, "en", files=files)
    assert response.status_code == 413
    assert "Too much data sent" in text_of(response)


def test_files_must_be_selected_again_after_an_error_and_the_reporter_is_told(client):
    response = post_referral(client, files=[("preuve.txt", b"des faits")], description="court")
    assert response.status_code == 422
    assert "Sélectionnez-les à nouveau : preuve.txt." in text_of(response)


def test_organisations_and_sites_feed_the_blind_index(app, client):
    post_referral(client, organisations="L'Éveil  Intérieur", websites="http://eveil.example/stage")
    post_referral(client, organisations="l eveil interieur", websites="https://www.eveil.example")
    with app.app_context():
        tokens = db.session.execute(
            select(BlindIndexEntry.token, func.count()).group_by(BlindIndexEntry.token)
        ).all()
    assert max(count for _, count in tokens) >= 2
