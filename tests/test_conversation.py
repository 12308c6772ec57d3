"""The reporter, Miviludes and the association in one conversation (issue 14): the
reporter knows who has the case and whether it has their details; each message has
one audience (reporter ↔ Miviludes, reporter ↔ one association, which Miviludes reads
too); files follow their message; nobody misses a message; after a decline the
association reads and writes nothing, and its past messages stay with the reporter
and Miviludes."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from portal.casework import routing as routing_service
from portal.extensions import db
from portal.models import Association, AuditEvent, Message, OutboxEmail, Referral, Routing, User
from tests.casework_helpers import (
    ASSOCIATION_A,
    ASSOCIATION_B,
    csrf_token,
    make_person,
    post_from,
    signed_in_client,
)
from tests.intake_helpers import (
    FOLLOW_UP_URL,
    REPLY_URL,
    data_key,
    hidden,
    latest_referral,
    open_form,
    post_referral,
    shown_receipt,
)

FROM_A = "Bonjour, nous sommes l’association qui suit votre demande. Quand pouvons-nous parler ?"
TO_A = "Le mardi matin me convient, merci."
TO_MIVILUDES = "Je préfère aussi que la Miviludes garde un œil sur la situation."


@pytest.fixture
def people(bo_app, group_private_key):
    return {
        "staff": make_person(bo_app, group_private_key, "staff"),
        "member_a": make_person(bo_app, group_private_key, "partner", ASSOCIATION_A),
        "member_b": make_person(bo_app, group_private_key, "partner", ASSOCIATION_B),
    }


def _client(app, person, clock):
    return signed_in_client(app, person, clock)


_post = post_from


def _association_id(app, slug: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Association.id).where(Association.slug == slug))


def _routed_to_both(app, people, group_private_key, **referral) -> tuple[str, str, dict]:
    """A referral from the public form routed to A and B: (reference, receipt, routing
    id by slug)."""
    response = post_referral(app.test_client(), **referral)
    receipt = shown_receipt(response)
    public_id = latest_referral(app).public_id
    routings = {}
    with app.app_context():
        found = db.session.scalar(select(Referral).where(Referral.public_id == public_id))
        staff = db.session.get(User, people["staff"].user_id)
        for slug in (ASSOCIATION_A, ASSOCIATION_B):
            association = db.session.scalar(select(Association).where(Association.slug == slug))
            routings[slug] = routing_service.route(
                db.session,
                found,
                data_key(found, group_private_key),
                association,
                staff,
                lambda routing_id: f"/partenaires/dossiers/{routing_id}",
            ).id
        db.session.commit()
    return public_id, receipt, routings


def _follow_up(app, receipt: str):
    reporter = app.test_client()
    reporter.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    token = open_form(reporter)["csrf_token"]
    page = reporter.post(FOLLOW_UP_URL["en"], data={"csrf_token": token, "receipt": receipt})
    assert page.status_code == 200
    return reporter, page.get_data(as_text=True)


def _reply(app, receipt: str, body: str, audience: str, files=()):
    reporter, page = _follow_up(app, receipt)
    data = {
        "csrf_token": hidden(page, "csrf_token"),
        "receipt": receipt,
        "body": body,
        "audience": audience,
    }
    if files:
        import io

        data["attachments"] = [(io.BytesIO(content), name) for name, content in files]
    return reporter.post(REPLY_URL["en"], data=data, content_type="multipart/form-data")


def _audience_events(app, public_id: str) -> list[dict]:
    with app.app_context():
        rows = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "message.send", AuditEvent.target == f"referral:{public_id}"
            )
        )
        return [{"actor": e.actor, **json.loads(e.details)} for e in rows]


def test_the_reporter_knows_who_has_the_case_and_whether_they_have_the_details(
    bo_app, people, group_private_key
):
    _, receipt, _ = _routed_to_both(bo_app, people, group_private_key)
    _reporter, page = _follow_up(bo_app, receipt)
    assert "The associations that have your request" in page
    with bo_app.app_context():
        names = db.session.scalars(
            select(Association.name).where(Association.slug.in_([ASSOCIATION_A, ASSOCIATION_B]))
        ).all()
    assert all(name in page for name in names)
    assert page.count("It does not have your contact details.") == 2  # anonymous
    assert page.count("It has been asked to take your request.") == 2
    # Whom to write to: Miviludes, or either association.
    assert page.count('name="audience"') == 3

    # A reporter who shared their details is told the association has them.
    _, receipt, _ = _routed_to_both(
        bo_app,
        people,
        group_private_key,
        contact_mode="contact",
        email="proche@example.fr",
        consent_contact="y",
        consent_share="y",
    )
    _reporter, page = _follow_up(bo_app, receipt)
    assert page.count("It has your contact details (you agreed to share them)") == 2


def test_each_message_has_one_audience_and_files_follow_it(
    bo_app, people, group_private_key, clock
):
    public_id, receipt, routings = _routed_to_both(bo_app, people, group_private_key)
    a_id = _association_id(bo_app, ASSOCIATION_A)
    member_a = _client(bo_app, people["member_a"], clock)
    member_b = _client(bo_app, people["member_b"], clock)
    staff = _client(bo_app, people["staff"], clock)
    case_a = f"/partenaires/dossiers/{routings[ASSOCIATION_A]}"
    case_b = f"/partenaires/dossiers/{routings[ASSOCIATION_B]}"

    sent = _post(member_a, case_a, case_a + "/messages", {"message-body": FROM_A})
    assert sent.status_code == 302
    assert _reply(bo_app, receipt, TO_A, str(a_id), [("rdv.txt", b"mardi")]).status_code == 200
    assert _reply(bo_app, receipt, TO_MIVILUDES, "miviludes", [("mv.txt", b"pour vous")])

    # The reporter reads every conversation, each with who wrote it.
    _reporter, page = _follow_up(bo_app, receipt)
    assert FROM_A in page.replace("&#39;", "'").replace("’", "’")
    assert "You, to Miviludes" in page and "You, to ADFI" in page

    # A reads its own conversation and its file, never the one with Miviludes.
    page_a = member_a.get(case_a).get_data(as_text=True)
    assert TO_A in page_a and TO_MIVILUDES not in page_a
    assert "rdv.txt" in page_a and "mv.txt" not in page_a
    # B sees none of A's, nor the reporter's to Miviludes.
    page_b = member_b.get(case_b).get_data(as_text=True)
    assert TO_A not in page_b and TO_MIVILUDES not in page_b and "rdv.txt" not in page_b
    # Miviludes reads all, each with its audience.
    staff_page = staff.get(f"/bo/signalements/{public_id}").get_data(as_text=True)
    assert TO_A in staff_page and TO_MIVILUDES in staff_page
    assert "Reporter, to ADFI" in staff_page
    assert f"{people['member_a'].email} (" in staff_page  # who wrote A's message

    with bo_app.app_context():
        files = dict(
            db.session.execute(
                select(Message.association_id, Message.id).where(
                    Message.referral_id
                    == select(Referral.id).where(Referral.public_id == public_id).scalar_subquery(),
                    Message.author == "reporter",
                )
            ).all()
        )
        from portal.models import Attachment

        file_to_a = db.session.scalar(
            select(Attachment.public_id).where(Attachment.message_id == files[a_id])
        )
        file_to_miviludes = db.session.scalar(
            select(Attachment.public_id).where(Attachment.message_id == files[None])
        )
    assert member_a.get(f"{case_a}/pieces/{file_to_a}").data == b"mardi"
    assert member_a.get(f"{case_a}/pieces/{file_to_miviludes}").status_code == 404
    assert member_b.get(f"{case_b}/pieces/{file_to_a}").status_code == 404
    assert staff.get(f"/bo/signalements/{public_id}/pieces/{file_to_a}").data == b"mardi"

    # Each message sent is audited with its audience, never its words.
    events = _audience_events(bo_app, public_id)
    assert [(e["actor"].split(":")[0], e["audience"]) for e in events] == [
        ("user", f"association:{a_id}"),
        ("reporter", f"association:{a_id}"),
        ("reporter", "miviludes"),
    ]
    assert all(FROM_A not in json.dumps(e) and TO_A not in json.dumps(e) for e in events)


def test_nobody_misses_a_message(bo_app, people, group_private_key, clock):
    public_id, receipt, routings = _routed_to_both(
        bo_app,
        people,
        group_private_key,
        contact_mode="contact",
        email="proche@example.fr",
        consent_contact="y",
    )
    a_id = _association_id(bo_app, ASSOCIATION_A)
    member_a = _client(bo_app, people["member_a"], clock)
    case_a = f"/partenaires/dossiers/{routings[ASSOCIATION_A]}"
    with bo_app.app_context():
        first = db.session.scalar(select(db.func.max(OutboxEmail.id)))

    # The reporter writes to A: marked in A's space, A's members told (a link only).
    assert _reply(bo_app, receipt, TO_A, str(a_id)).status_code == 200
    listing = member_a.get("/partenaires/").get_data(as_text=True)
    row = listing.split(f">{public_id}</a>")[1].split("</tr>")[0]
    assert "To read" in row
    with bo_app.app_context():
        emails = db.session.scalars(select(OutboxEmail).where(OutboxEmail.id > first)).all()
        to_member = [e for e in emails if e.recipient == people["member_a"].email]
        assert len(to_member) == 1 and case_a in to_member[0].body
        assert TO_A not in to_member[0].body and public_id not in to_member[0].body
        assert not any(e.recipient == people["member_b"].email for e in emails)
        # Not Miviludes' to read: the message was for the association.
        assert (
            db.session.scalar(select(Referral.to_read_since).where(Referral.public_id == public_id))
            is None
        )
        first = db.session.scalar(select(db.func.max(OutboxEmail.id)))
    member_a.get(case_a)  # opened: read
    row = member_a.get("/partenaires/").get_data(as_text=True).split(f">{public_id}</a>")[1]
    assert "To read" not in row.split("</tr>")[0]

    # A writes: the reporter (who agreed to be contacted) is told a message waits, and
    # Miviludes sees the case marked.
    _post(member_a, case_a, case_a + "/messages", {"message-body": FROM_A})
    with bo_app.app_context():
        emails = db.session.scalars(select(OutboxEmail).where(OutboxEmail.id > first)).all()
        notices = [e for e in emails if e.forget_recipient]
        assert len(notices) == 1 and FROM_A not in notices[0].body
        assert (
            db.session.scalar(select(Referral.to_read_since).where(Referral.public_id == public_id))
            is not None
        )
    events = _audience_events(bo_app, public_id)
    assert events[-1]["reporter_notified"] is True


def test_after_a_decline_the_association_reads_and_writes_nothing(
    bo_app, people, group_private_key, clock
):
    public_id, receipt, routings = _routed_to_both(bo_app, people, group_private_key)
    a_id = _association_id(bo_app, ASSOCIATION_A)
    member_a = _client(bo_app, people["member_a"], clock)
    staff = _client(bo_app, people["staff"], clock)
    case_a = f"/partenaires/dossiers/{routings[ASSOCIATION_A]}"
    _post(member_a, case_a, case_a + "/messages", {"message-body": FROM_A})
    _post(member_a, case_a, case_a + "/refuser", {"decline-reason": "no_capacity"})

    assert member_a.get(case_a).status_code == 404
    token_a = csrf_token(member_a.get("/partenaires/").get_data(as_text=True))
    refused = member_a.post(case_a + "/messages", data={"csrf_token": token_a, "message-body": "x"})
    assert refused.status_code == 404
    # Its past message stays with the reporter (with its name) and with Miviludes.
    _reporter, page = _follow_up(bo_app, receipt)
    assert FROM_A.split(",")[0] in page
    assert "ADFI" in page.split("Messages")[1]
    assert page.count('name="audience"') == 2  # Miviludes and B only
    assert FROM_A.split(",")[0] in staff.get(f"/bo/signalements/{public_id}").get_data(as_text=True)
    # A reply typed for A comes back with what was typed, to send elsewhere.
    late = _reply(bo_app, receipt, "Encore une chose pour vous.", str(a_id))
    assert late.status_code == 422
    text = late.get_data(as_text=True)
    assert "Encore une chose pour vous." in text
    assert "Not a valid choice" in text  # A is no longer offered
    with bo_app.app_context():
        assert routing_service.writing_routing(db.session, latest_referral(bo_app), a_id) is None


def test_a_closed_case_is_read_but_no_longer_written(bo_app, people, group_private_key, clock):
    _, _receipt, routings = _routed_to_both(bo_app, people, group_private_key)
    member_a = _client(bo_app, people["member_a"], clock)
    case_a = f"/partenaires/dossiers/{routings[ASSOCIATION_A]}"
    _post(member_a, case_a, case_a + "/accepter")
    page = member_a.get(case_a).get_data(as_text=True)
    token = csrf_token(page)
    assert 'name="message-body"' in page
    _post(member_a, case_a, case_a + "/cloturer", {"close-outcome": "support_given"})
    page = member_a.get(case_a).get_data(as_text=True)
    assert page and 'name="message-body"' not in page
    typed = "Un dernier mot pour la personne."
    response = member_a.post(
        case_a + "/messages", data={"csrf_token": token, "message-body": typed}
    )
    assert response.status_code == 200 and typed in response.get_data(as_text=True)
    with bo_app.app_context():
        found = db.session.get(Routing, routings[ASSOCIATION_A])
        assert found.status == "closed"
        written = db.session.scalar(
            select(db.func.count())
            .select_from(Message)
            .where(Message.referral_id == found.referral_id, Message.author == "association")
        )
        assert written == 0


def test_only_an_association_writes_as_an_association():
    from portal.casework.threads import post_message

    with pytest.raises(ValueError):
        post_message(None, None, b"", "association", "x")  # no association named
    with pytest.raises(ValueError):
        post_message(None, None, b"", "miviludes", "x", association_id=1)
    with pytest.raises(ValueError):
        post_message(None, None, b"", "someone", "x")
