"""Retention with crypto-shredding, on a database of its own (both backends): the
categories and their clocks, the dry run, the purge (nothing left that opens, the
ciphertext's bytes gone from SQLite's file and write-ahead log, the statistics
unchanged), and the administration page (rules, extension with a reason, every
failure given back with what was typed)."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

import crypto
from portal.casework import threads, workflow
from portal.casework.access import note_place
from portal.cli import main
from portal.extensions import db
from portal.models import (
    Attachment,
    AttachmentChunk,
    AuditEvent,
    BlindIndexEntry,
    KeyGrant,
    Message,
    Note,
    Referral,
    RetentionRule,
    User,
)
from portal.records import retention
from portal.statistics import tallies
from portal.statistics.calendar import Period
from portal.statistics.counts import count_activity, recount_activity
from tests.casework_helpers import csrf_token, log_in, make_person
from tests.intake_helpers import FOLLOW_UP_URL, data_key, open_form, post_referral, shown_receipt


def test_months_are_added_to_the_calendar():
    assert retention.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert retention.add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert retention.add_months(date(2026, 11, 15), 14) == date(2028, 1, 15)
    assert retention.add_months(date(2026, 3, 1), 72) == date(2032, 3, 1)


def _closed(kind="report", reason="answered", prosecutor=None, status="closed"):
    return Referral(
        kind=kind,
        status=status,
        closing_reason=reason if status == "closed" else None,
        closed_at=datetime(2026, 3, 31, 23, 30, tzinfo=UTC) if status == "closed" else None,
        prosecutor_date=prosecutor,
    )


@pytest.mark.parametrize(
    ("referral", "expected"),
    [
        # 23:30 UTC on 31 March is 1 April in Paris: the day the case ended there.
        (_closed(reason="no_follow_up"), ("closed_without_follow_up", date(2026, 4, 1))),
        (
            _closed(reason="duplicate", kind="opinion"),
            ("closed_without_follow_up", date(2026, 4, 1)),
        ),
        (_closed(kind="opinion"), ("opinion_answered", date(2026, 4, 1))),
        (_closed(), ("report_closed", date(2026, 4, 1))),
        (_closed(prosecutor=date(2025, 6, 2)), ("transmitted_to_prosecutor", date(2025, 6, 2))),
        (
            _closed(status="transmitted_to_prosecutor", prosecutor=date(2025, 6, 2)),
            ("transmitted_to_prosecutor", date(2025, 6, 2)),
        ),
        (_closed(status="routed"), None),
    ],
)
def test_each_case_has_its_category_and_the_day_it_ended(referral, expected):
    assert retention.category_of(referral) == expected


@pytest.fixture
def installation(keyed_app_of_its_own):
    """Keys, an administrator, and a referral from the public form with a file, closed
    without follow-up three years ago, with a reporter's message and a staff note."""
    app, group_key = keyed_app_of_its_own
    admin = make_person(app, group_key, "admin")
    reporter = app.test_client()
    response = post_referral(reporter, files=[("liste.txt", b"Liste des stages et des prix")])
    assert response.status_code == 200
    receipt = shown_receipt(response)
    with app.app_context():
        referral = db.session.scalars(select(Referral).order_by(Referral.id.desc())).first()
        key = data_key(referral, group_key)
        threads.post_message(db.session, referral, key, "reporter", "Un message de la personne")
        staff = db.session.get(User, admin.user_id)
        workflow.add_note(db.session, referral, key, staff, "Une note interne")
        workflow.change_status(
            db.session, referral, "closed", staff.actor, closing_reason="no_follow_up"
        )
        referral.closed_at = datetime.now(UTC) - timedelta(days=3 * 365)
        db.session.commit()
        public_id = referral.public_id
    return app, admin, group_key, public_id, receipt


def _referral(app, public_id: str) -> Referral:
    return db.session.scalar(select(Referral).where(Referral.public_id == public_id))


def _run(*arguments: str):
    return CliRunner().invoke(main, ["retention", "run", *arguments])


def _sqlite_files(app) -> list[Path]:
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    database = Path(url.database)
    return [path for path in (database, Path(f"{database}-wal")) if path.exists()]


def test_a_dry_run_lists_and_changes_nothing(installation):
    app, _admin, _key, public_id, _receipt = installation
    result = _run("--dry-run")
    assert result.exit_code == 0, result.output
    assert f"would purge {public_id}: closed_without_follow_up" in result.output
    assert "1 cases would be purged; nothing changed" in result.output
    with app.app_context():
        referral = _referral(app, public_id)
        assert referral.purged_at is None and referral.document != b""


def test_a_purge_leaves_nothing_that_opens_and_no_figure_changes(installation):
    app, _admin, group_key, public_id, receipt = installation
    with app.app_context():
        referral = _referral(app, public_id)
        year = Period.year(referral.created_at.year)
        figures_before = count_activity(db.session, year)
        # Slices of ciphertext as they lie on disk: the document and a file's chunk.
        chunk = db.session.scalar(
            select(AttachmentChunk.blob)
            .join(Attachment)
            .where(Attachment.referral_id == referral.id)
        )
        markers = [referral.document[40:72], chunk[40:72]]
        referral_id = referral.id
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        on_disk = b"".join(path.read_bytes() for path in _sqlite_files(app))
        assert all(marker in on_disk for marker in markers)  # the check can fail
    assert "Un message de la personne" in _follow_up(app, receipt)  # and so can this one

    result = _run()
    assert result.exit_code == 0, result.output
    assert f"purging {public_id}" in result.output and "1 cases purged" in result.output

    with app.app_context():
        referral = _referral(app, public_id)
        assert referral.purged_at is not None
        assert referral.document == b"" and referral.identity is None
        assert referral.reporter_wrapped_key == b"" and referral.prosecutor_reference is None
        for model in (KeyGrant, Attachment, Message, Note, BlindIndexEntry):
            count = db.session.scalar(
                select(func.count()).select_from(model).where(model.referral_id == referral_id)
            )
            assert count == 0, model.__name__
        assert db.session.scalar(select(func.count()).select_from(AttachmentChunk)) == 0
        with pytest.raises(AssertionError, match="no grant"):
            data_key(referral, group_key)  # no copy of the key is left to open
        # The statistical record: the same figures, and the tallies still agree.
        assert count_activity(db.session, year) == figures_before
        assert recount_activity(db.session, year) == figures_before
        assert not tallies.needs_rebuild(db.session)
        purge = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "retention.purge"))
        assert purge.target == f"referral:{public_id}"
        assert json.loads(purge.details)["category"] == "closed_without_follow_up"
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        on_disk = b"".join(path.read_bytes() for path in _sqlite_files(app))
        assert not any(marker in on_disk for marker in markers)

    # The receipt opens nothing any more; a second run has nothing to do.
    page = _follow_up(app, receipt)
    assert "Un message de la personne" not in page
    assert "Nous n’avons rien trouvé pour ce code" in page
    assert "0 cases purged" in _run().output


def _follow_up(app, receipt: str) -> str:
    reporter = app.test_client()
    token = open_form(reporter)["csrf_token"]
    page = reporter.post(FOLLOW_UP_URL["fr"], data={"csrf_token": token, "receipt": receipt})
    return page.get_data(as_text=True)


def _admin_client(app, admin, clock):
    client = app.test_client()
    log_in(client, admin, clock)
    return client


def test_the_rules_are_set_by_an_administrator_and_errors_keep_what_was_typed(installation, clock):
    app, admin, _key, _public_id, _receipt = installation
    client = _admin_client(app, admin, clock)
    page = client.get("/bo/admin/conservation").get_data(as_text=True)
    assert "Clos sans suite, ou doublon" in page and 'value="6"' in page
    token = csrf_token(page)
    typed = {
        "closed_without_follow_up": "0",
        "opinion_answered": "abc",
        "report_closed": "60",
        "transmitted_to_prosecutor": "",
    }
    refused = client.post("/bo/admin/conservation/regles", data={"csrf_token": token, **typed})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Entre 1 et 240 mois." in text and "Indiquez un nombre de mois." in text
    assert 'value="abc"' in text and 'value="0"' in text  # given back as typed
    saved = client.post(
        "/bo/admin/conservation/regles",
        data={
            "csrf_token": token,
            "closed_without_follow_up": "12",
            "opinion_answered": "24",
            "report_closed": "60",
            "transmitted_to_prosecutor": "72",
        },
    )
    assert saved.status_code == 302
    with app.app_context():
        assert db.session.get(RetentionRule, "closed_without_follow_up").months == 12
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "retention.rules"))
        assert json.loads(event.details) == {"closed_without_follow_up": "6→12"}


def test_an_administrator_keeps_a_case_longer_with_a_reason(installation, clock):
    app, admin, group_key, public_id, _receipt = installation
    client = _admin_client(app, admin, clock)
    page = client.get("/bo/admin/conservation").get_data(as_text=True)
    assert f"Dossier {public_id}" in page and "purgé au prochain passage" in page
    action = f"/bo/admin/conservation/{public_id}/prolonger"
    prefix = f"extend-{public_id}-"
    refused = client.post(
        action,
        data={"csrf_token": csrf_token(page), f"{prefix}months": "24", f"{prefix}reason": ""},
    )
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "Indiquez pourquoi ce dossier doit être conservé plus longtemps." in text
    assert re.search(r'<option selected value="24">|<option value="24" selected>', text)
    reason = "Procédure civile en cours : pièces demandées par l’avocat"
    kept = client.post(
        action,
        data={"csrf_token": csrf_token(page), f"{prefix}months": "24", f"{prefix}reason": reason},
    )
    assert kept.status_code == 302
    today = datetime.now(UTC).date()
    with app.app_context():
        referral = _referral(app, public_id)
        assert today + timedelta(days=700) < referral.retention_until < today + timedelta(days=740)
        note = db.session.scalars(
            select(Note).where(Note.referral_id == referral.id).order_by(Note.id.desc())
        ).first()
        assert reason.encode() not in note.body  # an encrypted note, like any other
        key = data_key(referral, group_key)
        assert crypto.open_text(key, note_place(referral, note.public_id), note.body) == reason
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "retention.extend"))
        assert json.loads(event.details)["months"] == 24
    assert "0 cases would be purged" in _run("--dry-run").output
    assert (
        client.post(
            "/bo/admin/conservation/2026-ZZZZZZ/prolonger", data={"csrf_token": csrf_token(page)}
        ).status_code
        == 404
    )
