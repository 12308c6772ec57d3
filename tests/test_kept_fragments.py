"""Fragments kept per worker (the pages' frame, the queue's rows) never show one
person's page to another, nor an old state of the data."""

from __future__ import annotations

import re

from flask import render_template_string

from portal.templating import FRAGMENTS_KEY, MAX_FRAGMENT_CHARACTERS
from tests.casework_helpers import ASSOCIATION_A, csrf_token, log_in, make_person
from tests.intake_helpers import latest_referral, post_referral


def _signed_in(app, group_private_key, clock, role: str, association: str | None = None):
    person = make_person(app, group_private_key, role, association)
    client = app.test_client()
    log_in(client, person, clock)
    return person, client


def _queue_row(page: str, public_id: str) -> str:
    return re.search(rf"<tr>\s*<td><a href=\"[^\"]*{public_id}\">.*?</tr>", page, re.S).group(0)


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

    assert admin.email in admin_page and adviser.email not in admin_page
    assert adviser.email in adviser_page and admin.email not in adviser_page
    assert partner.email in partner_page and admin.email not in partner_page
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
