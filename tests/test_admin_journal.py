"""The audit log in the web (``/bo/admin/journal``): filters, keyset pages both ways,
wrong filters explained, reading and exporting audited, the CSV as a French
spreadsheet opens it (formulas kept as text), and the chain verified on demand —
intact, then broken by a forged edit. Who may reach it is in the authorization
matrix."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid

import pytest
from sqlalchemy import select, update

from portal.extensions import db
from portal.models import AuditEvent, User
from portal.records.audit import record_event
from tests.casework_helpers import csrf_token


def _events(app, target_prefix: str, count: int, action: str = "test.journal") -> None:
    with app.app_context():
        for number in range(count):
            record_event(
                db.session,
                actor="system",
                action=action,
                target=f"{target_prefix}{number:03d}",
                details={"number": number},
            )
        db.session.commit()


def _targets(page: str, prefix: str) -> list[str]:
    return re.findall(rf"<code>({re.escape(prefix)}\d+)</code>", page)


def _latest(app, action: str) -> AuditEvent:
    with app.app_context():
        return db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc())
        )


def _link(page: str, label: str) -> str | None:
    found = re.search(rf'href="([^"]+)">{label}</a>', page)
    return found.group(1).replace("&amp;", "&") if found else None


@pytest.fixture
def admin(world):
    app, clients, arguments = world
    return app, clients["admin"], arguments


def test_the_log_is_paged_newest_first_both_ways(admin):
    app, client, _arguments = admin
    prefix = f"pages-{uuid.uuid4().hex[:6]}:"
    _events(app, prefix, 120)
    first = client.get(f"/bo/admin/journal?target={prefix}").get_data(as_text=True)
    shown = _targets(first, prefix)
    assert shown == [f"{prefix}{n:03d}" for n in range(119, 69, -1)]
    assert _link(first, "Évènements plus récents") is None
    second = client.get(_link(first, "Évènements plus anciens")).get_data(as_text=True)
    assert _targets(second, prefix) == [f"{prefix}{n:03d}" for n in range(69, 19, -1)]
    third = client.get(_link(second, "Évènements plus anciens")).get_data(as_text=True)
    assert _targets(third, prefix) == [f"{prefix}{n:03d}" for n in range(19, -1, -1)]
    assert _link(third, "Évènements plus anciens") is None
    back = client.get(_link(third, "Évènements plus récents")).get_data(as_text=True)
    assert _targets(back, prefix) == _targets(second, prefix)


def test_filters_by_who_action_target_and_day(admin):
    app, client, arguments = admin
    prefix = f"filters-{uuid.uuid4().hex[:6]}:"
    _events(app, prefix, 3, action="test.filtered")
    client.get("/bo/admin/journal")  # one reading by the administrator, at least
    page = client.get(f"/bo/admin/journal?action=test.filtered&target={prefix}").get_data(
        as_text=True
    )
    assert len(_targets(page, prefix)) == 3
    with app.app_context():
        email = db.session.get(User, arguments["user_ids"]["admin"]).email
    by_email = client.get(f"/bo/admin/journal?actor={email.upper()}&action=audit.read")
    rows = by_email.get_data(as_text=True).split("<tbody>")[1].split("</tbody>")[0]
    assert rows.count("<code>audit.read</code>") == rows.count("<tr>") >= 1
    assert "<code>test.filtered</code>" not in rows
    future = client.get(
        f"/bo/admin/journal?target={prefix}&date_from=2099-01-01&date_to=2099-12-31"
    ).get_data(as_text=True)
    assert _targets(future, prefix) == [] and "Aucun évènement" in future


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date_from=2026-05-02&date_to=2026-05-01", "La fin de la période précède son début."),
        ("date_from=2026-13-45", "N'est pas une date valide."),
        ("date_from=1066-10-14", "Saisissez une date entre"),
        ("action=no.such.action", "N'est pas un choix valide."),
        ("actor=" + "x" * 300, "254 caractères au plus."),
    ],
)
def test_a_wrong_filter_is_explained_and_the_newest_events_shown(admin, query, message):
    _app, client, _arguments = admin
    response = client.get(f"/bo/admin/journal?{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page or message.replace("'", "&#39;") in page
    assert page.count("<tr>") > 2  # the newest events, unfiltered


@pytest.mark.parametrize("cursor", ["avant=99999999999999999999999", "apres=-3", "avant=abc"])
def test_a_strange_cursor_is_ignored(admin, cursor):
    _app, client, _arguments = admin
    assert client.get(f"/bo/admin/journal?{cursor}").status_code == 200


def test_reading_the_log_is_itself_recorded(admin):
    app, client, arguments = admin
    client.get("/bo/admin/journal?action=test.journal&target=read-me:")
    read = _latest(app, "audit.read")
    assert read.actor == f"user:{arguments['user_ids']['admin']}"
    assert read.target == "audit:log"
    assert json.loads(read.details) == {"action": "test.journal", "target": "read-me:"}


def test_the_csv_export_opens_in_a_french_spreadsheet_and_is_audited(admin):
    app, client, _arguments = admin
    prefix = f"=HYPERLINK-{uuid.uuid4().hex[:6]}:"
    _events(app, prefix, 4)
    response = client.get(f"/bo/admin/journal/export.csv?target={prefix}")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Miviludes : journal d’audit du portail de signalement"]
    assert prefix in rows[1][0] and "4 évènements" in rows[2][0]
    data = [row for row in rows if row and row[0].isdigit()]
    assert [row[5] for row in data] == [f"'{prefix}{n:03d}" for n in range(4)]  # as text
    assert all(len(row[7]) == 64 for row in data)  # each event's seal
    exported = _latest(app, "audit.export")
    assert json.loads(exported.details) == {"events": 4, "target": prefix}


def test_the_chain_is_verified_on_demand_and_a_forged_edit_is_named(admin):
    app, client, _arguments = admin
    page = client.get("/bo/admin/journal").get_data(as_text=True)
    response = client.post(
        "/bo/admin/journal/verifier", data={"csrf_token": csrf_token(page)}, follow_redirects=True
    )
    assert "La chaîne tient" in response.get_data(as_text=True)
    verified = json.loads(_latest(app, "audit.verify").details)
    assert "broken_at" not in verified and verified["events"] >= 1
    with app.app_context():
        victim = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).offset(3))
        victim_id, original = victim.id, victim.target
        db.session.execute(
            update(AuditEvent).where(AuditEvent.id == victim_id).values(target="forged")
        )
        db.session.commit()
    try:
        response = client.post(
            "/bo/admin/journal/verifier",
            data={"csrf_token": csrf_token(page)},
            follow_redirects=True,
        )
        text = response.get_data(as_text=True)
        assert f"La chaîne est rompue à l’évènement {victim_id}" in text
        assert f"Rompue à l’évènement {victim_id}" in text
    finally:
        with app.app_context():
            db.session.execute(
                update(AuditEvent).where(AuditEvent.id == victim_id).values(target=original)
            )
            db.session.commit()
    page = client.get("/bo/admin/journal").get_data(as_text=True)
    response = client.post(
        "/bo/admin/journal/verifier", data={"csrf_token": csrf_token(page)}, follow_redirects=True
    )
    assert "La chaîne tient" in response.get_data(as_text=True)
