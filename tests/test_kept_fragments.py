"""Fragments kept per worker (the pages' frame, the queue's rows) never show one
person's page to another, nor an old state of the data."""

from __future__ import annotations

import re
from collections import Counter

from flask import render_template_string
from flask_wtf.csrf import generate_csrf
from sqlalchemy import event, select, update

from portal import security
from portal.extensions import db
from portal.models import Referral
from portal.statistics import tallies
from portal.templating import FRAGMENTS_KEY, MAX_FRAGMENT_CHARACTERS
from tests.casework_helpers import ASSOCIATION_A, csrf_token, log_in, make_person
from tests.intake_helpers import latest_referral, post_referral


def _signed_in(app, group_private_key, clock, role: str, association: str | None = None):
    person = make_person(app, group_private_key, role, association)
    client = app.test_client()
    log_in(client, person, clock)
    return person, client


def _queue_row(page: str, public_id: str) -> str:
    return re.search(
        rf"<tr>(?:(?!</tr>).)*<td><a href=\"[^\"]*{public_id}\">.*?</tr>", page, re.S
    ).group(0)


def test_a_fragment_is_rendered_once_per_key_and_language(app):
    rendered = []

    def note(name: str) -> str:
        rendered.append(name)
        return name

    template = (
        '{% call kept_fragment("probe", which) %}{{ note(which) }} {{ _("Home") }}{% endcall %}'
    )
    pages = {}
    for lang, which in [("fr", "a"), ("fr", "a"), ("fr", "b"), ("en", "a"), ("en", "a")]:
        with app.test_request_context(f"/{lang}/"):
            app.preprocess_request()
            pages[lang, which] = render_template_string(template, which=which, note=note)
    assert rendered == ["a", "b", "a"]
    assert pages["fr", "a"] == "a Accueil"
    assert pages["en", "a"] == "a Home"


def test_the_kept_fragments_are_bounded(app):
    tenth = "x" * (MAX_FRAGMENT_CHARACTERS // 10)
    with app.test_request_context("/fr/"):
        app.preprocess_request()
        for number in range(25):
            render_template_string(
                '{% call kept_fragment("n", n) %}{{ n }}{{ filler }}{% endcall %}',
                n=number,
                filler=tenth,
            )
        kept = app.extensions[FRAGMENTS_KEY]
        assert 0 < len(kept) <= 10
        assert kept.characters == sum(map(len, kept.values())) <= MAX_FRAGMENT_CHARACTERS


def test_each_account_sees_its_own_name_token_and_menu(bo_app, group_private_key, clock):
    admin, admin_client = _signed_in(bo_app, group_private_key, clock, "admin")
    adviser, adviser_client = _signed_in(bo_app, group_private_key, clock, "staff")
    partner, partner_client = _signed_in(bo_app, group_private_key, clock, "partner", ASSOCIATION_A)
    admin_page = admin_client.get("/bo/").get_data(as_text=True)
    adviser_page = adviser_client.get("/bo/").get_data(as_text=True)
    partner_page = partner_client.get("/partenaires/").get_data(as_text=True)

    # The header names the reader (the queue's bulk action lists every adviser below).
    admin_header, adviser_header, partner_header = (
        page.split("<main")[0] for page in (admin_page, adviser_page, partner_page)
    )
    assert admin.email in admin_header and adviser.email not in admin_header
    assert adviser.email in adviser_header and admin.email not in adviser_header
    assert partner.email in partner_header and admin.email not in partner_page
    assert "/bo/admin/comptes" in admin_page and "/bo/admin/comptes" not in adviser_page
    assert "/bo/" not in partner_page.replace("/bo/admin/comptes", "")
    assert csrf_token(admin_page) != csrf_token(adviser_page)
    # The menu marks the page being read, whichever page filled the frame first.
    accounts_page = admin_client.get("/bo/admin/comptes").get_data(as_text=True)
    assert re.search(r'href="/bo/admin/comptes" aria-current="page"', accounts_page)
    assert not re.search(r'href="/bo/" aria-current="page"', accounts_page)
    assert re.search(
        r'href="/bo/" aria-current="page"', admin_client.get("/bo/").get_data(as_text=True)
    )


def test_the_queue_shows_a_change_at_the_next_load(bo_app, group_private_key, clock):
    _, staff = _signed_in(bo_app, group_private_key, clock, "staff")
    assert post_referral(bo_app.test_client(), departement="976").status_code == 200
    public_id = latest_referral(bo_app).public_id
    # The suite shares one database: a département no other test files from.
    queue = "/bo/?departement=976"

    english = {"Accept-Language": "en"}  # as a browser sends
    row = _queue_row(staff.get(queue, headers=english).get_data(as_text=True), public_id)
    assert "<td>New</td>" in row
    assert "Nouveau" in _queue_row(staff.get(queue).get_data(as_text=True), public_id)

    url = f"/bo/signalements/{public_id}"
    token = csrf_token(staff.get(url).get_data(as_text=True))
    staff.post(url + "/statut", data={"csrf_token": token, "status-status": "in_triage"})
    row = _queue_row(staff.get(queue, headers=english).get_data(as_text=True), public_id)
    assert "<td>In triage</td>" in row and "<td>New</td>" not in row


def _set(app, public_id: str, **values) -> None:
    with app.app_context():
        referral = db.session.scalars(select(Referral).where(Referral.public_id == public_id)).one()
        for name, value in values.items():
            setattr(referral, name, value)
        db.session.commit()


def test_a_change_that_moves_no_count_shows_at_the_next_load(bo_app, group_private_key, clock):
    """The rows are kept by the counts and the changes seen in each status: a change of
    a shown column that leaves every count as it was still shows, through the ORM and
    through a bulk write that reports what it touched."""
    adviser, staff = _signed_in(bo_app, group_private_key, clock, "staff")
    _other, colleague = _signed_in(bo_app, group_private_key, clock, "staff")
    assert post_referral(bo_app.test_client(), departement="976").status_code == 200
    public_id = latest_referral(bo_app).public_id
    queue, mine = "/bo/?departement=976", "/bo/?departement=976&assigned=me"
    english = {"Accept-Language": "en"}

    assert "Declined by an association" not in _queue_row(
        staff.get(queue, headers=english).get_data(as_text=True), public_id
    )
    assert public_id not in staff.get(mine).get_data(as_text=True)
    _set(bo_app, public_id, returned=True, assigned_to_id=adviser.user_id)
    assert "Declined by an association" in _queue_row(
        staff.get(queue, headers=english).get_data(as_text=True), public_id
    )
    # "Mine" is kept per account: the same address shows each adviser their own.
    assert public_id in staff.get(mine).get_data(as_text=True)
    assert public_id not in colleague.get(mine).get_data(as_text=True)

    with bo_app.app_context(), db.engine.begin() as connection:
        connection.execute(
            update(Referral).where(Referral.public_id == public_id).values(returned=False)
        )
        tallies.move_status_counts(connection, Counter(), touched={"new"})
    assert "Declined by an association" not in _queue_row(
        staff.get(queue, headers=english).get_data(as_text=True), public_id
    )


def test_a_queue_reloaded_unchanged_reads_no_referral(bo_app, group_private_key, clock):
    _, staff = _signed_in(bo_app, group_private_key, clock, "staff")
    assert post_referral(bo_app.test_client(), departement="976").status_code == 200
    first = staff.get("/bo/?departement=976").get_data(as_text=True)
    statements: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    with bo_app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        again = staff.get("/bo/?departement=976").get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert _queue_row(again, latest_referral(bo_app).public_id) in first
    # Only the header's count of cases to read looks at referrals (from its index).
    listing = [s for s in statements if re.search(r"FROM referrals\b", s) and "count(" not in s]
    assert statements and not listing


def test_a_signed_csrf_token_is_reused_for_a_minute(bo_app, group_private_key, clock, monkeypatch):
    """Pages carry the session's token signed at most once a minute per worker; a
    reused token is accepted, and each session has its own."""
    _, staff = _signed_in(bo_app, group_private_key, clock, "staff")
    _, colleague = _signed_in(bo_app, group_private_key, clock, "staff")
    moment = [1_000.0]
    monkeypatch.setattr(security.time, "monotonic", lambda: moment[0])
    signed: list[str] = []

    def counted_generate_csrf() -> str:
        signed.append(generate_csrf())
        return signed[-1]

    monkeypatch.setattr(security, "generate_csrf", counted_generate_csrf)
    first = csrf_token(staff.get("/bo/").get_data(as_text=True))
    moment[0] += security.CSRF_TOKEN_REUSE_SECONDS - 1
    assert csrf_token(staff.get("/bo/").get_data(as_text=True)) == first
    assert signed == [first]
    assert csrf_token(colleague.get("/bo/").get_data(as_text=True)) != first
    moment[0] += 2
    staff.get("/bo/")
    assert len(signed) == 3  # signed again after a minute
    response = staff.post("/deconnexion", data={"csrf_token": first})
    assert response.status_code in (302, 303)
    assert staff.get("/bo/").status_code == 302  # logged out: sent to the login page
