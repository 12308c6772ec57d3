"""Tags, saved views, bulk actions and the queue's export (issue 13 §5): tags from a
list administrators keep; one POST changes several cases, each checked and audited as
its own page would; a view saved per account; the filtered queue as a spreadsheet,
metadata only, audited."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from portal.casework import bulk, tags
from portal.extensions import db
from portal.models import AuditEvent, Referral, ReferralTag, SavedFilter, Tag
from tests.casework_helpers import csrf_token, log_in, make_person
from tests.intake_helpers import latest_referral, post_referral


def _signed_in(app, group_private_key, clock, role: str = "staff", language: str = "en"):
    person = make_person(app, group_private_key, role)
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language  # as a browser sends
    log_in(client, person, clock)
    return person, client


def _new_case(app, **overrides) -> str:
    assert post_referral(app.test_client(), **overrides).status_code == 200
    return latest_referral(app).public_id


def _tag(app, name: str | None = None) -> Tag:
    with app.app_context():
        tag = tags.create(db.session, name or f"étiquette {uuid.uuid4().hex[:8]}", "system")
        db.session.commit()
        db.session.refresh(tag)
        db.session.expunge(tag)
        return tag


def _events(app, action: str, target: str) -> list[SimpleNamespace]:
    with app.app_context():
        found = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == action, AuditEvent.target == target)
            .order_by(AuditEvent.id)
        )
        return [SimpleNamespace(actor=e.actor, details=json.loads(e.details)) for e in found]


def _bulk(client, references, action: str, **fields):
    token = csrf_token(client.get("/bo/").get_data(as_text=True))
    data = {"csrf_token": token, "bulk-references": references, "bulk-action": action}
    data.update({f"bulk-{name}": value for name, value in fields.items()})
    return client.post("/bo/lot", data=data)


def _flashes(client) -> str:
    return client.get("/bo/").get_data(as_text=True)


def _statuses(app, references) -> dict[str, str]:
    with app.app_context():
        rows = db.session.execute(
            select(Referral.public_id, Referral.status).where(Referral.public_id.in_(references))
        )
        return dict(rows.all())


# ---- tags ----------------------------------------------------------------------


def test_administrators_keep_the_list_of_tags(bo_app, group_private_key, clock):
    _, admin = _signed_in(bo_app, group_private_key, clock, "admin")
    page = admin.get("/bo/admin/etiquettes").get_data(as_text=True)
    name = f"Mouvement {uuid.uuid4().hex[:6]}"
    response = admin.post(
        "/bo/admin/etiquettes", data={"csrf_token": csrf_token(page), "name": f"  {name} "}
    )
    assert response.status_code == 302
    with bo_app.app_context():
        tag = db.session.scalar(select(Tag).where(Tag.name == name))
        assert tag is not None and not tag.retired
    # The same name again, whatever its case: refused, with what was typed.
    again = admin.post(
        "/bo/admin/etiquettes", data={"csrf_token": csrf_token(page), "name": name.upper()}
    )
    assert again.status_code == 422
    assert "A tag of this name exists already." in again.get_data(as_text=True)
    empty = admin.post("/bo/admin/etiquettes", data={"csrf_token": csrf_token(page), "name": ""})
    assert empty.status_code == 422 and "Give the tag a name." in empty.get_data(as_text=True)

    retired = admin.post(
        f"/bo/admin/etiquettes/{tag.id}/retrait", data={"csrf_token": csrf_token(page)}
    )
    assert retired.status_code == 302
    with bo_app.app_context():
        assert db.session.get(Tag, tag.id).retired
    assert [e.details for e in _events(bo_app, "tag.create", f"tag:{tag.id}")] == [{"name": name}]
    assert len(_events(bo_app, "tag.retire", f"tag:{tag.id}")) == 1
    admin.post(f"/bo/admin/etiquettes/{tag.id}/retour", data={"csrf_token": csrf_token(page)})
    with bo_app.app_context():
        assert not db.session.get(Tag, tag.id).retired


def test_staff_tag_a_case_from_its_page_and_the_queue_filters_by_tag(
    bo_app, group_private_key, clock
):
    _, staff = _signed_in(bo_app, group_private_key, clock)
    first, second = _tag(bo_app), _tag(bo_app)
    public_id = _new_case(bo_app)
    page = staff.get(f"/bo/signalements/{public_id}").get_data(as_text=True)
    assert first.name in page and 'name="tags-tags"' in page
    response = staff.post(
        f"/bo/signalements/{public_id}/etiquettes",
        data={"csrf_token": csrf_token(page), "tags-tags": [str(first.id), str(second.id)]},
    )
    assert response.status_code == 302
    queue = staff.get(f"/bo/?status=all&tag={first.id}").get_data(as_text=True)
    assert public_id in queue
    assert f'<p class="fr-tag fr-tag--sm">{first.name}</p>' in queue
    # Untick one: removed, and each change is in the audit log by the tag's name.
    staff.post(
        f"/bo/signalements/{public_id}/etiquettes",
        data={"csrf_token": csrf_token(page), "tags-tags": [str(second.id)]},
    )
    assert public_id not in staff.get(f"/bo/?status=all&tag={first.id}").get_data(as_text=True)
    assert public_id in staff.get(f"/bo/?status=all&tag={second.id}").get_data(as_text=True)
    added = _events(bo_app, "referral.tag_added", f"referral:{public_id}")
    assert sorted(e.details["tag"] for e in added) == sorted([first.name, second.name])
    removed = _events(bo_app, "referral.tag_removed", f"referral:{public_id}")
    assert [e.details for e in removed] == [{"tag": first.name}]
    # A tag that is not offered is refused with the form back.
    unknown = staff.post(
        f"/bo/signalements/{public_id}/etiquettes",
        data={"csrf_token": csrf_token(page), "tags-tags": ["999999"]},
    )
    assert unknown.status_code == 200
    assert "is not a valid choice" in unknown.get_data(as_text=True)


def test_a_retired_tag_stays_on_its_cases_but_is_not_put_on_new_ones(
    bo_app, group_private_key, clock
):
    _, staff = _signed_in(bo_app, group_private_key, clock)
    tag = _tag(bo_app)
    kept, other = _new_case(bo_app), _new_case(bo_app)
    assert _bulk(staff, [kept], "tag", tag=str(tag.id)).status_code == 302
    with bo_app.app_context():
        tags.set_retired(db.session, db.session.get(Tag, tag.id), True, "system")
        db.session.commit()
    # Still found by it, still shown on the case; no longer offered to bulk actions.
    assert kept in staff.get(f"/bo/?status=all&tag={tag.id}").get_data(as_text=True)
    page = staff.get(f"/bo/signalements/{kept}").get_data(as_text=True)
    assert tag.name in page
    response = _bulk(staff, [other], "tag", tag=str(tag.id))
    assert response.status_code == 400
    with bo_app.app_context():
        refused = db.session.get(Tag, tag.id)
        referral = db.session.scalar(select(Referral).where(Referral.public_id == other))
        with pytest.raises(tags.TagRefused):
            tags.set_tags(db.session, referral, [refused], "system")


# ---- bulk actions ----------------------------------------------------------------


def test_one_post_assigns_and_tags_several_cases_each_audited(bo_app, group_private_key, clock):
    _, staff = _signed_in(bo_app, group_private_key, clock)
    colleague = make_person(bo_app, group_private_key, "staff")
    cases = [_new_case(bo_app) for _ in range(3)]
    tag = _tag(bo_app)

    response = _bulk(staff, cases, "assign", assignee=str(colleague.user_id), back="status=all")
    assert response.status_code == 302
    assert response.headers["Location"] == "/bo/?status=all"
    assert "3 referrals changed" in _flashes(staff)
    assert _bulk(staff, cases, "tag", tag=str(tag.id)).status_code == 302
    with bo_app.app_context():
        rows = db.session.scalars(select(Referral).where(Referral.public_id.in_(cases))).all()
        assert {row.assigned_to_id for row in rows} == {colleague.user_id}
        tagged = db.session.scalar(
            select(sa.func.count()).select_from(ReferralTag).where(ReferralTag.tag_id == tag.id)
        )
        assert tagged == 3
    for public_id in cases:
        assert len(_events(bo_app, "referral.assign", f"referral:{public_id}")) == 1
        assert len(_events(bo_app, "referral.tag_added", f"referral:{public_id}")) == 1
    # The same again changes nothing and says so; "nobody" gives them back to the team.
    _bulk(staff, cases, "tag", tag=str(tag.id))
    assert "Already so" in _flashes(staff)
    _bulk(staff, cases[:1], "assign", assignee="nobody")
    with bo_app.app_context():
        assert (
            db.session.scalar(select(Referral.assigned_to_id).where(Referral.public_id == cases[0]))
            is None
        )


def test_each_case_is_checked_on_its_own_transition(bo_app, group_private_key, clock):
    _, staff = _signed_in(bo_app, group_private_key, clock)
    cases = [_new_case(bo_app) for _ in range(3)]
    # Two are taken into triage first; "waiting for the reporter" cannot follow "new".
    assert _bulk(staff, cases[1:], "status", status="in_triage").status_code == 302
    response = _bulk(staff, cases, "status", status="awaiting_reporter")
    assert response.status_code == 302
    assert _statuses(bo_app, cases) == {
        cases[0]: "new",
        cases[1]: "awaiting_reporter",
        cases[2]: "awaiting_reporter",
    }
    text = _flashes(staff)
    assert "2 referrals changed" in text
    assert f"this is not possible from their status: {cases[0]}" in text
    assert [e.details for e in _events(bo_app, "referral.status", f"referral:{cases[1]}")] == [
        {"from": "new", "to": "in_triage"},
        {"from": "in_triage", "to": "awaiting_reporter"},
    ]
    # Closing needs a reason, and each case gets it.
    _bulk(staff, cases[1:], "status", status="closed", closing_reason="no_follow_up")
    with bo_app.app_context():
        reasons = db.session.scalars(
            select(Referral.closing_reason).where(Referral.public_id.in_(cases[1:]))
        )
        assert list(reasons) == ["no_follow_up", "no_follow_up"]


def test_a_case_staff_cannot_see_or_that_does_not_exist_is_refused(
    bo_app, group_private_key, clock
):
    _, staff = _signed_in(bo_app, group_private_key, clock)
    case = _new_case(bo_app)
    response = _bulk(staff, [case, "2020-ZZZZZZ"], "status", status="in_triage")
    assert response.status_code == 302
    assert "not possible from their status: 2020-ZZZZZZ" in _flashes(staff)
    assert _statuses(bo_app, [case]) == {case: "in_triage"}


@pytest.mark.parametrize(
    ("references", "action", "fields", "message"),
    [
        ([], "assign", {"assignee": "nobody"}, "Tick at least one referral."),
        (["2026-AAAAAA"] * 51, "assign", {"assignee": "nobody"}, "At most 50 referrals"),
        (["<script>"], "assign", {"assignee": "nobody"}, "A reference looks like"),
        (["2026-AAAAAA"], "assign", {}, "Choose who the referrals go to."),
        (["2026-AAAAAA"], "tag", {}, "Choose the tag to add."),
        (["2026-AAAAAA"], "status", {}, "Choose the new status."),
        (["2026-AAAAAA"], "status", {"status": "closed"}, "To close, choose a reason."),
        (
            ["2026-AAAAAA"],
            "status",
            {"status": "closed", "closing_reason": "duplicate"},
            "Not a valid choice",
        ),
        (["2026-AAAAAA"], "status", {"status": "routed"}, "Not a valid choice"),
    ],
)
def test_a_bulk_action_that_cannot_be_done_comes_back_with_the_ticked_cases(
    bo_app, group_private_key, clock, references, action, fields, message
):
    _, staff = _signed_in(bo_app, group_private_key, clock)
    response = _bulk(staff, references, action, **fields)
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert message in text
    for reference in set(references[:1]) - {"<script>"}:
        assert f'name="bulk-references" value="{reference}" checked' in text


def test_a_database_fault_changes_nothing_and_gives_the_choice_back(
    bo_app, group_private_key, clock, monkeypatch
):
    _, staff = _signed_in(bo_app, group_private_key, clock)
    cases = [_new_case(bo_app) for _ in range(2)]
    real_apply = bulk.apply

    def fails_half_way(session, user, references, change):
        real_apply(session, user, references[:1], change)  # one case changed, then down
        raise sa.exc.OperationalError("UPDATE", {}, ConnectionError("server closed"))

    monkeypatch.setattr(bulk, "apply", fails_half_way)
    response = _bulk(staff, cases, "status", status="in_triage")
    assert response.status_code == 503
    text = response.get_data(as_text=True)
    assert "could not be saved just now" in text
    assert all(f'value="{case}" checked' in text for case in cases)
    assert _statuses(bo_app, cases) == dict.fromkeys(cases, "new")


def test_the_kept_queue_shows_a_bulk_change_at_the_next_load(bo_app, group_private_key, clock):
    _, staff = _signed_in(bo_app, group_private_key, clock)
    case = _new_case(bo_app)
    first, second = _tag(bo_app), _tag(bo_app)
    _bulk(staff, [case], "tag", tag=str(first.id))
    queue = f"/bo/?status=all&tag={first.id}"
    assert f'<p class="fr-tag fr-tag--sm">{second.name}</p>' not in staff.get(queue).get_data(
        as_text=True
    )
    _bulk(staff, [case], "tag", tag=str(second.id))
    row = staff.get(queue).get_data(as_text=True)
    assert f'<p class="fr-tag fr-tag--sm">{second.name}</p>' in row
    # A new tag is offered at once by the (kept) filters and bulk form.
    newer = _tag(bo_app)
    page = staff.get("/bo/").get_data(as_text=True)
    assert page.count(f'<option value="{newer.id}">{newer.name}</option>') == 2


# ---- saved views ---------------------------------------------------------------------


def test_a_saved_view_is_its_owners_only(bo_app, group_private_key, clock):
    _, staff = _signed_in(bo_app, group_private_key, clock)
    _, colleague = _signed_in(bo_app, group_private_key, clock)
    filtered = staff.get("/bo/?status=all&urgent=y&departement=13").get_data(as_text=True)
    assert (
        'name="view-query" type="hidden" value="status=all&amp;departement=13&amp;urgent=y"'
        in filtered
    )
    response = staff.post(
        "/bo/vues",
        data={
            "csrf_token": csrf_token(filtered),
            "view-name": "Urgences des Bouches-du-Rhône",
            # Only filters are kept, whatever else is sent.
            "view-query": "status=all&departement=13&urgent=y&after=abc&evil=1",
        },
    )
    assert response.status_code == 302
    with bo_app.app_context():
        saved = db.session.scalar(
            select(SavedFilter).where(SavedFilter.name == "Urgences des Bouches-du-Rhône")
        )
        assert saved.query == "status=all&departement=13&urgent=y"
    page = staff.get("/bo/").get_data(as_text=True)
    assert (
        'href="/bo/?status=all&amp;departement=13&amp;urgent=y">Urgences des Bouches-du-Rhône</a>'
        in page
    )
    assert "Urgences des Bouches-du-Rhône" not in colleague.get("/bo/").get_data(as_text=True)
    # Nobody deletes another's view.
    token = csrf_token(colleague.get("/bo/").get_data(as_text=True))
    assert (
        colleague.post(f"/bo/vues/{saved.id}/suppression", data={"csrf_token": token}).status_code
        == 404
    )
    token = csrf_token(page)
    assert (
        staff.post(f"/bo/vues/{saved.id}/suppression", data={"csrf_token": token}).status_code
        == 302
    )
    assert "Urgences des Bouches-du-Rhône" not in staff.get("/bo/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"view-name": "", "view-query": "urgent=y"}, "Give this view a name."),
        ({"view-name": "x" * 61, "view-query": "urgent=y"}, "At most 60 characters."),
        ({"view-name": "Vide", "view-query": ""}, "Choose filters first, then save them."),
        (
            {"view-name": "Faux", "view-query": "date_from=hier"},
            "Choose filters first, then save them.",
        ),
    ],
)
def test_a_view_that_cannot_be_saved_is_explained(bo_app, group_private_key, clock, data, message):
    _, staff = _signed_in(bo_app, group_private_key, clock)
    token = csrf_token(staff.get("/bo/").get_data(as_text=True))
    response = staff.post("/bo/vues", data={"csrf_token": token, **data})
    assert response.status_code == 302
    assert message in _flashes(staff)


def test_twenty_views_at_most(bo_app, group_private_key, clock):
    _, staff = _signed_in(bo_app, group_private_key, clock)
    token = csrf_token(staff.get("/bo/").get_data(as_text=True))
    for number in range(21):
        staff.post(
            "/bo/vues",
            data={"csrf_token": token, "view-name": f"Vue {number}", "view-query": "urgent=y"},
        )
    assert "You have 20 saved views already" in _flashes(staff)


# ---- export ----------------------------------------------------------------------------


def _rows(response) -> list[list[str]]:
    text = response.get_data().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_the_filtered_queue_exports_its_metadata_only_and_is_audited(
    bo_app, group_private_key, clock
):
    person, staff = _signed_in(bo_app, group_private_key, clock, language="fr")
    marker = uuid.uuid4().hex[:10]
    case = _new_case(bo_app, departement="974", description=f"Texte confidentiel {marker} " * 3)
    tag = _tag(bo_app, f"=HYPERLINK({marker})")
    _bulk(staff, [case], "tag", tag=str(tag.id))
    _bulk(staff, [case], "assign", assignee=str(person.user_id))
    page = staff.get(f"/bo/?status=all&tag={tag.id}").get_data(as_text=True)
    assert f'href="/bo/export.csv?status=all&amp;tag={tag.id}"' in page

    response = staff.get(f"/bo/export.csv?status=all&tag={tag.id}")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _rows(response)
    assert marker not in response.get_data().decode("utf-8-sig").replace(f"({marker})", "")
    header = rows.index(next(row for row in rows if row and row[0] == "Référence"))
    record = dict(zip(rows[header], rows[header + 1], strict=True))
    assert record["Référence"] == case
    assert record["Département"] == "974 – La Réunion"
    assert record["Région"] == "La Réunion"
    assert record["Attribué à"] == person.email
    assert record["Étiquettes"] == f"'=HYPERLINK({marker})"  # kept as text, never a formula
    assert len(rows) == header + 2
    events = _events(bo_app, "queue.export", "queue")
    assert events[-1].details == {"filters": f"status=all&tag={tag.id}", "rows": 1, "matching": 1}
    assert events[-1].actor == f"user:{person.user_id}"


def test_filters_that_are_not_valid_are_not_exported(bo_app, group_private_key, clock):
    _, staff = _signed_in(bo_app, group_private_key, clock)
    response = staff.get("/bo/export.csv?date_from=hier")
    assert response.status_code == 302
    assert re.match(r"/bo/\?date_from=hier", response.headers["Location"])


def test_a_rare_and_a_common_tag_list_the_same_cases(bo_app, group_private_key, clock, monkeypatch):
    """Read from the tag's index (few cases) or checked along the queue's index (many):
    the same cases, in the same order, page after page."""
    from portal.backoffice import services

    _, staff = _signed_in(bo_app, group_private_key, clock)
    cases = [_new_case(bo_app) for _ in range(4)]
    tag = _tag(bo_app)
    _bulk(staff, cases, "tag", tag=str(tag.id))
    with bo_app.app_context():
        filters = services.QueueFilters(status="all", tag=tag.id)
        today = clock().date()
        read = [
            services.queue_page(db.session, filters, 0, today, size=3),
        ]
        monkeypatch.setattr(services, "FEW_TAGGED", 0)  # as if the tag were common
        scanned = services.queue_page(db.session, filters, 0, today, size=3)
        assert [row.public_id for row in read[0].referrals] == [
            row.public_id for row in scanned.referrals
        ]
        assert read[0].next_cursor == scanned.next_cursor
        rest = services.queue_page(db.session, filters, 0, today, read[0].next_cursor, size=3)
        monkeypatch.setattr(services, "FEW_TAGGED", 5_000)
        rest_few = services.queue_page(db.session, filters, 0, today, read[0].next_cursor, size=3)
        listed = [r.public_id for r in (*read[0].referrals, *rest.referrals)]
        assert sorted(listed) == sorted(cases)
        assert [r.public_id for r in rest.referrals] == [r.public_id for r in rest_few.referrals]
