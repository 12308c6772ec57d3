"""A reporter who left an e-mail address and agreed to be contacted is told when
Miviludes writes (issue 13 §2): a content-free e-mail through the outbox, whose
address is erased once sent or given up; nobody else is written to."""

from __future__ import annotations

import io
import uuid

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, OutboxEmail, Referral
from portal.records import outbox
from tests.casework_helpers import csrf_token, log_in, make_person
from tests.intake_helpers import post_referral

SECRET_WORDS = "Pouvez-vous nous dire depuis quand votre fille fréquente ce groupe ?"


def _file(app, **contact) -> str:
    assert post_referral(app.test_client(), **contact).status_code == 200
    with app.app_context():
        return db.session.scalars(select(Referral.public_id).order_by(Referral.id.desc())).first()


def _write_to_reporter(app, group_private_key, clock, public_id: str) -> list[OutboxEmail]:
    staff = app.test_client()
    log_in(staff, make_person(app, group_private_key, "staff"), clock)
    with app.app_context():
        before = db.session.scalar(select(OutboxEmail.id).order_by(OutboxEmail.id.desc())) or 0
    url = f"/bo/signalements/{public_id}"
    token = csrf_token(staff.get(url).get_data(as_text=True))
    sent = staff.post(url + "/messages", data={"csrf_token": token, "message-body": SECRET_WORDS})
    assert sent.status_code == 302
    with app.app_context():
        return list(db.session.scalars(select(OutboxEmail).where(OutboxEmail.id > before)))


def _notified(app, public_id: str) -> list:
    with app.app_context():
        return [
            event.details
            for event in db.session.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == "message.send",
                    AuditEvent.target == f"referral:{public_id}",
                )
            )
        ]


def test_a_reporter_who_agreed_is_told_a_message_waits_and_the_address_is_then_erased(
    bo_app, group_private_key, clock
):
    address = f"parent-{uuid.uuid4().hex[:8]}@exemple.fr"
    public_id = _file(
        bo_app, contact_mode="contact", name="Anne", email=address, consent_contact="y"
    )
    emails = _write_to_reporter(bo_app, group_private_key, clock, public_id)
    assert [email.recipient for email in emails] == [address]
    email = emails[0]
    assert "Miviludes" not in email.subject  # someone else may read the mailbox
    assert "/fr/suivi\n" in email.body and "/en/follow-up\n" in email.body
    assert SECRET_WORDS not in email.body and public_id not in email.body + email.subject
    assert '"reporter_notified":true' in _notified(bo_app, public_id)[-1]

    with bo_app.app_context():
        console = io.StringIO()
        outbox.deliver_pending(db.session, "", "portal@example.fr", console=console)
        db.session.commit()
        delivered = db.session.get(OutboxEmail, email.id)
        assert delivered.sent_at is not None and delivered.recipient == ""
        assert address in console.getvalue()  # it did go to the reporter


def test_an_address_given_up_on_is_erased_too(bo_app):
    with bo_app.app_context():
        outbox.deliver_pending(db.session, "", "portal@example.fr", console=io.StringIO())
        email = outbox.queue_email(
            db.session, "quelquun@exemple.fr", "Sujet", "Corps", forget_recipient=True
        )
        email.attempts = outbox.MAX_ATTEMPTS - 1
        db.session.commit()
        assert outbox.deliver_pending(db.session, "smtp://127.0.0.1:1", "p@example.fr") == (0, 1)
        db.session.commit()
        assert db.session.get(OutboxEmail, email.id).recipient == ""


@pytest.mark.parametrize(
    "contact",
    [
        {"contact_mode": "anonymous"},
        {"contact_mode": "contact", "phone": "06 12 34 56 78", "consent_contact": "y"},
    ],
    ids=["anonymous", "phone only"],
)
def test_nobody_else_is_written_to(bo_app, group_private_key, clock, contact):
    public_id = _file(bo_app, **contact)
    assert _write_to_reporter(bo_app, group_private_key, clock, public_id) == []
    assert '"reporter_notified":false' in _notified(bo_app, public_id)[-1]
