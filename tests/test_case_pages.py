"""What users found rough on the case pages and the partner's list (issue 13 §6): who
wrote each note and message, the reporter's consents, places by name, files grouped
by where they came from, the partner's list with references, dates, filters, counts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Referral, Routing
from tests.casework_helpers import (
    ASSOCIATION_A,
    make_person,
    post_from,
    signed_in_client,
)
from tests.intake_helpers import latest_referral, post_referral, reply_with_a_file, shown_receipt
from tests.test_bulk_and_tags import _bulk, _tag


@pytest.fixture
def people(bo_app, group_private_key):
    return {
        "staff": make_person(bo_app, group_private_key, "staff"),
        "partner_a": make_person(bo_app, group_private_key, "partner", ASSOCIATION_A),
    }


def _client(app, person, clock):
    return signed_in_client(app, person, clock)


_post = post_from


def _route(staff, url: str) -> int:
    page = staff.get(url).get_data(as_text=True)
    option = page.split('name="route-association"')[1].split("</select>")[0]
    value = re.search(r'value="(\d+)"[^>]*>[^<]*ADFI Bourgogne', option)
    assert value is not None, option
    assert _post(staff, url, url + "/orientations", {"route-association": value.group(1)})
    with staff.application.app_context():
        return db.session.scalar(select(Routing.id).order_by(Routing.id.desc()))


def test_each_note_and_message_says_who_wrote_it(bo_app, people, clock):
    assert post_referral(bo_app.test_client(), departement="21").status_code == 200
    public_id = latest_referral(bo_app).public_id
    url = f"/bo/signalements/{public_id}"
    staff = _client(bo_app, people["staff"], clock)
    _post(staff, url, url + "/messages", {"message-body": "Pouvez-vous préciser ?"})
    _post(staff, url, url + "/notes", {"note-body": "À suivre de près."})
    routing_id = _route(staff, url)
    partner = _client(bo_app, people["partner_a"], clock)
    case_url = f"/partenaires/dossiers/{routing_id}"
    _post(partner, case_url, case_url + "/accepter")
    _post(partner, case_url, case_url + "/notes", {"note-body": "Premier rendez-vous fixé."})

    page = staff.get(url).get_data(as_text=True)
    staff_email, partner_email = people["staff"].email, people["partner_a"].email
    assert re.search(rf"Miviludes – {re.escape(staff_email)}</strong>", page)
    assert f"Internal note – <strong>{staff_email}</strong>" in page
    assert re.search(rf"Association follow-up – <strong>{re.escape(partner_email)} \(", page)
    # The partner sees its own colleagues by name; the reporter never sees staff names.
    case = partner.get(case_url).get_data(as_text=True)
    assert f"<strong>{partner_email}</strong>" in case and staff_email not in case


def test_the_case_page_shows_the_consents_and_places_by_name(bo_app, people, clock):
    assert (
        post_referral(bo_app.test_client(), departement="21", contact_mode="anonymous").status_code
        == 200
    )
    anonymous = latest_referral(bo_app)
    assert not anonymous.has_identity
    staff = _client(bo_app, people["staff"], clock)
    page = staff.get(f"/bo/signalements/{anonymous.public_id}").get_data(as_text=True)
    assert "The reporter stayed anonymous" in page
    assert "To be contacted by Miviludes: <strong>no</strong>" in page
    assert "<dd>21 – Côte-d&#39;Or</dd>" in page or "<dd>21 – Côte-d'Or</dd>" in page
    assert "<dd>Bourgogne-Franche-Comté</dd>" in page
    # Found in the queue by a tag of its own (the suite shares one database).
    tag = _tag(bo_app)
    _bulk(staff, [anonymous.public_id], "tag", tag=str(tag.id))
    queue = staff.get(f"/bo/?status=all&tag={tag.id}").get_data(as_text=True)
    row = re.search(rf"<tr>(?:(?!</tr>).)*{anonymous.public_id}.*?</tr>", queue, re.S).group(0)
    assert "Côte-d" in row and "<td>21</td>" not in row

    assert (
        post_referral(
            bo_app.test_client(),
            departement="21",
            contact_mode="contact",
            name="Marie",
            email="marie@example.fr",
            consent_contact="y",
            consent_share="y",
        ).status_code
        == 200
    )
    known = latest_referral(bo_app)
    page = staff.get(f"/bo/signalements/{known.public_id}").get_data(as_text=True)
    assert "The reporter stayed anonymous" not in page
    assert "To be contacted by Miviludes: <strong>yes</strong>" in page
    assert "routed to: <strong>yes</strong>" in page


def test_files_are_grouped_by_where_they_came_from(bo_app, people, clock):
    client = bo_app.test_client()
    response = post_referral(client, files=[("photo-tract.jpg.txt", b"premier tract")])
    receipt = shown_receipt(response)
    public_id = latest_referral(bo_app).public_id
    reply_with_a_file(bo_app, receipt, "photo-tract.jpg.txt", b"second tract")
    staff = _client(bo_app, people["staff"], clock)
    page = staff.get(f"/bo/signalements/{public_id}").get_data(as_text=True)
    documents = page.split('id="documents"')[1].split("<h2")[0]
    sections = re.split(r"<h3[^>]*>", documents)[1:]
    assert [s.split("</h3>")[0].split(" on ")[0].split(" of ")[0] for s in sections] == [
        "Sent with the referral",
        "Sent with the reporter’s reply",
    ]
    assert all(s.count("photo-tract.jpg.txt") == 1 for s in sections)
    assert "1 file, under Documents" in page


def test_the_partner_list_shows_references_dates_filters_and_counts(bo_app, people, clock):
    staff = _client(bo_app, people["staff"], clock)
    partner_person = people["partner_a"]
    references, routings = [], []
    for _ in range(3):
        assert post_referral(bo_app.test_client(), departement="21").status_code == 200
        public_id = latest_referral(bo_app).public_id
        references.append(public_id)
        routings.append(_route(staff, f"/bo/signalements/{public_id}"))
    partner = _client(bo_app, partner_person, clock)
    accepted = f"/partenaires/dossiers/{routings[0]}"
    _post(partner, accepted, accepted + "/accepter")
    # One of the others is late: its answer was due yesterday.
    with bo_app.app_context():
        late = db.session.get(Routing, routings[1])
        late.accept_due = clock().date() - timedelta(days=1)
        db.session.commit()

    listing = partner.get("/partenaires/").get_data(as_text=True)
    for reference in references:
        assert f">{reference}</a>" in listing
    assert "21 – Côte-d" in listing
    counts = dict(re.findall(r'class="fr-tag" href="[^"]*">([^<:]+?) : (\d+)</a>', listing))
    assert int(counts["Accepted"]) >= 1 and int(counts["Answer late"]) >= 1
    pending = partner.get("/partenaires/?status=pending").get_data(as_text=True)
    assert references[1] in pending and references[0] not in pending
    late_only = partner.get("/partenaires/?late=y").get_data(as_text=True)
    assert references[1] in late_only and references[2] not in late_only
    assert "Late" in late_only
    accepted_only = partner.get("/partenaires/?status=accepted").get_data(as_text=True)
    assert references[0] in accepted_only and "· on " in accepted_only
    bad = partner.get("/partenaires/?status=nonsense")
    assert bad.status_code == 200 and "Not a valid choice" in bad.get_data(as_text=True)
    with bo_app.app_context():
        assert (
            db.session.scalar(select(Referral.status).where(Referral.public_id == references[0]))
            == "routed"
        )
