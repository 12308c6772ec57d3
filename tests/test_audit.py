"""The audit log: append-only, hash-chained, verified by `portal audit verify`."""

from __future__ import annotations

import threading

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select, update

from portal.cli import main
from portal.extensions import db
from portal.models import AuditEvent
from portal.records import audit
from portal.records.audit import AuditDetailsRefused, record_event, verify_chain
from tests.conftest import make_config, migrate_and_load


@pytest.fixture
def audit_app(databases, tmp_path, monkeypatch):
    """An application on its own database, so the chain under test is only this test's."""
    from portal import create_app

    url = databases.create()
    app = create_app(make_config(tmp_path, url))
    migrate_and_load(app)
    monkeypatch.setenv("PORTAL_DATABASE_URL", url)
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("PORTAL_BASE_URL", "https://signalement.example.fr")
    monkeypatch.setenv("PORTAL_ACCESSIBILITY_CONTACT", "accessibilite@example.fr")
    for name in ("SECRET_KEY", "RECEIPT_PEPPER", "BLIND_INDEX_KEY"):
        monkeypatch.setenv(f"PORTAL_{name}", "t" * 64)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


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


def _verify_cli() -> tuple[int, str]:
    result = CliRunner().invoke(main, ["audit", "verify"])
    return result.exit_code, result.output


def test_an_untouched_chain_verifies(audit_app):
    _fill(audit_app)
    with audit_app.app_context():
        result = verify_chain(db.session)
        assert result.intact and result.events == 5
        head = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first().hash
        assert result.head == head
    code, output = _verify_cli()
    assert code == 0 and "5 events, chain intact" in output and head.hex() in output


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
def test_editing_any_field_of_an_event_is_named(audit_app, column, value):
    _fill(audit_app)
    with audit_app.app_context():
        db.session.execute(update(AuditEvent).where(AuditEvent.id == 3).values({column: value}))
        db.session.commit()
        result = verify_chain(db.session)
    assert result.broken_at in (3, 4) and not result.intact
    code, output = _verify_cli()
    assert code == 1 and f"Chain broken at event {result.broken_at}" in output


def test_editing_the_time_of_an_event_is_named(audit_app):
    _fill(audit_app)
    with audit_app.app_context():
        event = db.session.get(AuditEvent, 2)
        event.occurred_at = event.occurred_at.replace(year=2020)
        db.session.commit()
        assert verify_chain(db.session).broken_at == 2


def test_deleting_an_event_is_named(audit_app):
    _fill(audit_app)
    with audit_app.app_context():
        db.session.execute(delete(AuditEvent).where(AuditEvent.id == 2))
        db.session.commit()
        result = verify_chain(db.session)
    assert (result.broken_at, result.reason) == (2, "an event is missing")


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
    with audit_app.app_context():
        result = verify_chain(db.session)
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
        last = events[-1]
        assert (last.actor, last.action, last.target) == (
            "reporter",
            "referral.status",
            f"referral:{referral.public_id}",
        )
        assert "Réponse" not in last.details and receipt not in last.details
        assert verify_chain(db.session).intact
