"""The audit log: append-only, hash-chained, verified by `portal audit verify`."""

from __future__ import annotations

import json
import threading

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DataError

from portal.cli import main
from portal.extensions import db
from portal.models import AuditEvent
from portal.records import audit
from portal.records.audit import AuditDetailsRefused, record_event, verify_chain


@pytest.fixture
def audit_app(app_of_its_own):
    """The chain under test is only this test's."""
    return app_of_its_own


def _fill(app, count: int = 5) -> None:
    with app.app_context():
        for number in range(count):
            record_event(
                db.session,
                actor="system",
                action="test.event",
                target=f"item:{number}",
                details={"number": number, "flag": True},
            )
        db.session.commit()


def _verify_cli(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["audit", "verify", *arguments])
    return result.exit_code, result.output


def _verify(app, noted_head: bytes | None = None) -> audit.Verification:
    with app.app_context():
        return verify_chain(db.session, audit.audit_key(), noted_head)


def _head(app) -> bytes:
    with app.app_context():
        return db.session.scalars(select(AuditEvent.hash).order_by(AuditEvent.id.desc())).first()


def _forge(app, body_of, key: bytes | None = b"not the audit key") -> None:
    """What someone who can write to the database but has no audit key can do:
    recompute every seal from the first changed event on, with a key of their own."""
    with app.app_context():
        previous = audit.GENESIS
        for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
            body = body_of(event)
            event.prev_hash = previous
            event.hash = (
                audit.seal(key, previous, body) if key else audit._unkeyed_seal(previous, body)
            )
            previous = event.hash
        db.session.commit()


def _body(event) -> bytes:
    return audit._body(
        event.id, event.occurred_at, event.actor, event.action, event.target, event.details
    )


def test_an_untouched_chain_verifies(audit_app):
    _fill(audit_app)
    result = _verify(audit_app)
    assert result.intact and result.events == 5 and result.head_id == 5
    assert result.head == _head(audit_app)
    code, output = _verify_cli()
    assert code == 0 and "5 events, every seal verifies" in output
    assert f"Head: event 5, {result.head.hex()}" in output


def test_the_chain_is_keyed_with_a_secret_outside_the_database(audit_app):
    """The same events sealed under another key do not verify: the seal needs the key."""
    _fill(audit_app)
    with audit_app.app_context():
        other = verify_chain(db.session, b"another installation's audit key")
        stored = db.session.scalars(select(AuditEvent.details)).all()
    assert other.broken_at == 1 and other.reason == audit.CHANGED
    key = audit_app.extensions["portal.config"].audit_key
    assert all(key not in details for details in stored)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("actor", "user:99"),
        ("action", "other"),
        ("target", "item:x"),
        ("details", '{"number":9}'),
        ("hash", bytes(32)),
    ],
)
def test_editing_any_field_of_an_event_names_that_event(audit_app, column, value):
    _fill(audit_app)
    with audit_app.app_context():
        db.session.execute(update(AuditEvent).where(AuditEvent.id == 3).values({column: value}))
        db.session.commit()
    result = _verify(audit_app)
    assert (result.broken_at, result.reason, result.events) == (3, audit.CHANGED, 2)
    code, output = _verify_cli()
    assert code == 1 and f"Audit log: event 3 {audit.CHANGED}." in output
    assert "The 2 events before it verify" in output


def test_an_edit_with_its_seal_recomputed_without_the_key_is_named_itself(audit_app):
    _fill(audit_app)

    def edited(event):
        if event.id == 3:
            event.target = "item:elsewhere"
        return _body(event)

    _forge(audit_app, edited)
    result = _verify(audit_app)
    # Every seal was recomputed with a key of the forger's: the first event fails.
    assert (result.broken_at, result.reason) == (1, audit.CHANGED)


def test_an_edit_sealed_like_before_the_key_is_named_itself(audit_app):
    """The old unkeyed scheme is public: an edit resealed with it is not accepted."""
    _fill(audit_app)
    with audit_app.app_context():
        event = db.session.get(AuditEvent, 3)
        event.target = "item:elsewhere"
        event.hash = audit._unkeyed_seal(event.prev_hash, _body(event))
        db.session.commit()
    result = _verify(audit_app)
    assert (result.broken_at, result.reason) == (3, audit.UNKEYED)


def test_a_moved_event_is_named(audit_app):
    _fill(audit_app)
    with audit_app.app_context():
        db.session.execute(
            update(AuditEvent).where(AuditEvent.id == 4).values(prev_hash=bytes(range(32)))
        )
        db.session.commit()
    assert (_verify(audit_app).broken_at, _verify(audit_app).reason) == (4, audit.UNLINKED)


def test_editing_the_time_of_an_event_is_named(audit_app):
    _fill(audit_app)
    with audit_app.app_context():
        event = db.session.get(AuditEvent, 2)
        event.occurred_at = event.occurred_at.replace(year=2020)
        db.session.commit()
    assert _verify(audit_app).broken_at == 2


def test_a_garbage_time_is_reported_not_raised(audit_app, databases):
    """SQLite stores any text in a date column, and verify reports it; PostgreSQL's
    timestamp column refuses it in the first place."""
    _fill(audit_app)
    garbage = text("UPDATE audit_events SET occurred_at = 'garbage' WHERE id = 2")
    with audit_app.app_context():
        if databases.backend == "postgresql":
            with pytest.raises(DataError):
                db.session.execute(garbage)
            db.session.rollback()
            return
        db.session.execute(garbage)
        db.session.execute(text("UPDATE audit_events SET actor = 7 WHERE id = 4"))
        db.session.commit()
    result = _verify(audit_app)
    assert (result.broken_at, result.reason) == (2, audit.UNREADABLE)
    code, output = _verify_cli()
    assert code == 1 and "event 2 holds a value" in output and "Traceback" not in output


def test_deleting_an_event_is_named(audit_app):
    _fill(audit_app)
    with audit_app.app_context():
        db.session.execute(delete(AuditEvent).where(AuditEvent.id == 2))
        db.session.commit()
    result = _verify(audit_app)
    assert (result.broken_at, result.reason) == (2, audit.MISSING)


def test_cutting_events_off_the_end_is_caught_by_the_noted_head(audit_app):
    _fill(audit_app)
    noted = _head(audit_app)
    with audit_app.app_context():
        db.session.execute(delete(AuditEvent).where(AuditEvent.id >= 4))
        db.session.commit()
    assert _verify(audit_app).intact  # the rest still holds: only the noted head tells
    result = _verify(audit_app, noted)
    assert not result.intact and result.reason == audit.NOTED_HEAD_MISSING
    code, output = _verify_cli("--head", noted.hex())
    assert code == 1 and "the noted head is not in the log" in output


def test_rewriting_the_whole_log_is_caught_by_the_noted_head(audit_app):
    """Even with the audit key (a stolen server), a rewritten log loses the noted head."""
    _fill(audit_app)
    noted = _head(audit_app)
    key = audit_app.extensions["portal.config"].key_bytes("audit_key")

    def edited(event):
        if event.id == 2:
            event.action = "nothing.happened"
        return _body(event)

    _forge(audit_app, edited, key)
    assert _verify(audit_app).intact
    assert _verify(audit_app, noted).reason == audit.NOTED_HEAD_MISSING


def test_appending_a_forged_event_is_named(audit_app):
    _fill(audit_app)
    noted = _head(audit_app)
    with audit_app.app_context():
        last = db.session.get(AuditEvent, 5)
        forged = AuditEvent(
            id=6,
            occurred_at=last.occurred_at,
            actor="user:1",
            action="referral.read",
            target="referral:2026-ABCDEF",
            details="{}",
            prev_hash=last.hash,
        )
        forged.hash = audit._unkeyed_seal(last.hash, _body(forged))
        db.session.add(forged)
        db.session.commit()
    result = _verify(audit_app, noted)
    assert (result.broken_at, result.reason) == (6, audit.UNKEYED)


def test_events_added_after_the_noted_head_are_counted(audit_app):
    _fill(audit_app, 3)
    noted = _head(audit_app)
    _fill(audit_app, 4)
    result = _verify(audit_app, noted)
    assert result.intact and result.noted_head_at == 3 and result.head_id == 7
    code, output = _verify_cli("--head", noted.hex())
    assert code == 0 and "The noted head is event 3; 4 events were added since." in output


@pytest.mark.parametrize("head", ["xyz", "ab" * 31, ""])
def test_a_malformed_noted_head_is_refused_plainly(audit_app, head):
    code, output = _verify_cli("--head", head)
    assert code == 2 and "64 hexadecimal characters" in output and "Traceback" not in output


def test_an_unkeyed_log_is_sealed_once_on_upgrade(audit_app):
    """A log written before the key existed: `portal init` seals it under the key and
    records the old head, and verifies from then on; a second run changes nothing."""
    _fill(audit_app)
    _forge(audit_app, _body, key=None)
    with audit_app.app_context():
        unkeyed_head = db.session.get(AuditEvent, 5).hash
    assert _verify(audit_app).reason == audit.UNKEYED
    first = CliRunner().invoke(main, ["init"])
    assert first.exit_code == 0, first.output
    assert "5 events written before it was keyed are now sealed" in first.output
    result = _verify(audit_app)
    assert result.intact and result.events == 6
    with audit_app.app_context():
        last = db.session.get(AuditEvent, 6)
        assert last.action == "audit.keyed" and unkeyed_head.hex() in last.details
    second = CliRunner().invoke(main, ["init"])
    assert second.exit_code == 0 and "now sealed" not in second.output
    assert _verify(audit_app).events == 6


def test_an_unkeyed_log_that_was_tampered_with_is_not_sealed(audit_app):
    _fill(audit_app)
    _forge(audit_app, _body, key=None)
    with audit_app.app_context():
        db.session.execute(update(AuditEvent).where(AuditEvent.id == 2).values(actor="user:9"))
        db.session.commit()
        before = db.session.scalars(select(AuditEvent.hash).order_by(AuditEvent.id)).all()
    refused = CliRunner().invoke(main, ["init"])
    assert refused.exit_code == 1 and "does not verify at event 2" in refused.output
    with audit_app.app_context():
        assert db.session.scalars(select(AuditEvent.hash).order_by(AuditEvent.id)).all() == before


@pytest.mark.parametrize(
    "details", [{"text": "x" * 121}, {"nested": {"a": 1}}, {"list": [1, 2]}, {"blob": b"bytes"}]
)
def test_details_that_could_hold_content_are_refused(audit_app, details):
    with audit_app.app_context(), pytest.raises(AuditDetailsRefused):
        record_event(db.session, actor="system", action="x", target="y", details=details)


def test_concurrent_writers_keep_one_linear_chain(audit_app, monkeypatch):
    """Several threads append at once. The append lock alone must keep them in line:
    with a single attempt allowed, any interleaving would raise."""
    monkeypatch.setattr(audit, "ATTEMPTS", 1)
    errors = []

    def writer(number: int) -> None:
        try:
            with audit_app.app_context():
                for index in range(15):
                    record_event(
                        db.session, actor=f"user:{number}", action="race", target=f"t:{index}"
                    )
                    db.session.commit()
                db.session.remove()
        except Exception as error:
            errors.append(repr(error))

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    result = _verify(audit_app)
    assert result.intact and result.events == 60


def test_keys_init_and_a_reporter_answer_are_audited(app, client, group_private_key):
    from portal.casework.threads import post_message
    from portal.casework.workflow import change_status
    from portal.models import Referral
    from tests.intake_helpers import (
        REPLY_URL,
        data_key,
        hidden,
        latest_referral,
        post_referral,
        shown_receipt,
    )
    from tests.test_followup import follow

    receipt = shown_receipt(post_referral(client))
    referral = latest_referral(app)
    with app.app_context():
        stored = db.session.get(Referral, referral.id)
        post_message(
            db.session, stored, data_key(referral, group_private_key), "miviludes", "Question ?"
        )
        for status in ("in_triage", "awaiting_reporter"):  # as staff would move it
            change_status(db.session, stored, status, "system")
        db.session.commit()
    page = follow(client, receipt).get_data(as_text=True)
    client.post(
        REPLY_URL["fr"],
        data={
            "csrf_token": hidden(page, "csrf_token"),
            "receipt": hidden(page, "receipt"),
            "body": "Réponse.",
        },
    )
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        assert events[0].action == "keys.init" and events[0].target == "group:miviludes"
        answer = [(e.actor, e.action, e.target) for e in events[-2:]]
        assert answer == [
            ("reporter", "referral.status", f"referral:{referral.public_id}"),
            ("reporter", "message.send", f"referral:{referral.public_id}"),
        ]
        assert json.loads(events[-1].details) == {"audience": "miviludes", "files": 0}
        assert all("Réponse" not in e.details and receipt not in e.details for e in events[-2:])
        assert verify_chain(db.session, audit.audit_key()).intact


def test_the_head_is_published_to_the_log_and_to_each_administrator(audit_app):
    from portal.models import OutboxEmail
    from tests.casework_helpers import make_person

    admins = [make_person(audit_app, b"", "admin", grant=False) for _ in range(2)]
    make_person(audit_app, b"", "admin", grant=False, disabled=True)
    make_person(audit_app, b"", "staff", grant=False)
    _fill(audit_app)
    published = CliRunner().invoke(main, ["audit", "publish-head"])
    result = _verify(audit_app)
    assert published.exit_code == 0
    assert f"audit head: event {result.head_id}, {result.head.hex()}" in published.output
    with audit_app.app_context():
        emails = db.session.scalars(select(OutboxEmail)).all()
    assert sorted(email.recipient for email in emails) == sorted(a.email for a in admins)
    body = emails[0].body
    assert f"portal audit verify --head {result.head.hex()}" in body
    assert "Conservez ce courriel" in body and "Keep this e-mail" in body
    assert "journal d'audit" in emails[0].subject and "audit log" in emails[0].subject
    code, _output = _verify_cli("--head", result.head.hex())
    assert code == 0


def test_a_broken_log_is_published_as_an_alarm(audit_app):
    from portal.models import OutboxEmail
    from tests.casework_helpers import make_person

    make_person(audit_app, b"", "admin", grant=False)
    _fill(audit_app)
    with audit_app.app_context():
        db.session.execute(update(AuditEvent).where(AuditEvent.id == 2).values(actor="user:7"))
        db.session.commit()
    published = CliRunner().invoke(main, ["audit", "publish-head"])
    assert published.exit_code == 1
    assert "audit log BROKEN: event 2 was changed after it was written" in published.output
    with audit_app.app_context():
        (email,) = db.session.scalars(select(OutboxEmail)).all()
    assert "does not verify" in email.subject and "event 2" in email.body
    assert "--head" not in email.body
