"""The confidentiality charter: a partner member sees no case before accepting the
current version, accepts it once (audited), is asked again when a new version comes,
and administrators see who accepted what. A change of wording without a new version
fails here."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from portal import charter
from portal.extensions import db
from portal.models import AuditEvent, CharterAcceptance
from tests.casework_helpers import ASSOCIATION_A, csrf_token, log_in, make_person


def test_the_wording_of_the_charter_has_its_own_version():
    assert charter.texts_digest() == charter.VERSIONS[charter.CURRENT], (
        "content/charter/*.md changed: add a version to portal.charter.VERSIONS "
        "(every member will be asked to accept it) rather than editing one"
    )


@pytest.fixture
def newcomer(bo_app, group_private_key, clock):
    member = make_person(
        bo_app, group_private_key, "partner", ASSOCIATION_A, charter_accepted=False
    )
    client = bo_app.test_client()
    log_in(client, member, clock)
    return bo_app, client, member


@pytest.mark.parametrize(
    "url", ["/partenaires/", "/partenaires/chiffres", "/partenaires/dossiers/1"]
)
def test_no_partner_page_opens_before_the_charter_is_accepted(newcomer, url):
    _app, client, _member = newcomer
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/partenaires/charte?next=")


def test_a_change_is_refused_before_the_charter_is_accepted(newcomer):
    _app, client, _member = newcomer
    token = csrf_token(client.get("/partenaires/charte").get_data(as_text=True))
    assert (
        client.post("/partenaires/dossiers/1/accepter", data={"csrf_token": token}).status_code
        == 403
    )


def test_a_member_accepts_the_charter_once_and_reaches_the_cases(newcomer):
    app, client, member = newcomer
    page = client.get("/partenaires/charte?next=/partenaires/chiffres").get_data(as_text=True)
    assert "Charte de confidentialité des partenaires" in page
    assert "article 226-13 du code pénal" in page and f"Version {charter.CURRENT}" in page
    action = "/partenaires/charte?next=/partenaires/chiffres"
    refused = client.post(action, data={"csrf_token": csrf_token(page)})
    assert refused.status_code == 422
    assert "Cochez la case pour accepter la charte" in refused.get_data(as_text=True)
    accepted = client.post(action, data={"csrf_token": csrf_token(page), "accept": "y"})
    assert accepted.status_code == 302 and accepted.headers["Location"] == "/partenaires/chiffres"
    assert client.get("/partenaires/").status_code == 200
    assert "Vous avez accepté cette version." in client.get("/partenaires/charte").get_data(
        as_text=True
    )
    with app.app_context():
        rows = db.session.scalars(
            select(CharterAcceptance).where(CharterAcceptance.user_id == member.user_id)
        ).all()
        assert [row.version for row in rows] == [charter.CURRENT]
        event = db.session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "charter.accept", AuditEvent.actor == f"user:{member.user_id}"
            )
        )
        assert json.loads(event.details) == {"version": charter.CURRENT}


def test_the_next_page_after_the_charter_stays_in_the_partner_space(newcomer):
    _app, client, _member = newcomer
    page = client.get("/partenaires/charte").get_data(as_text=True)
    for target in ("https://evil.example/", "//evil.example/", "/bo/"):
        response = client.post(
            f"/partenaires/charte?next={target}",
            data={"csrf_token": csrf_token(page), "accept": "y"},
        )
        assert response.headers["Location"] == "/partenaires/"


def test_a_new_version_is_asked_for_again_and_administrators_see_who_accepted(
    newcomer, bo_app, group_private_key, clock, monkeypatch
):
    _app, client, member = newcomer
    page = client.get("/partenaires/charte").get_data(as_text=True)
    client.post("/partenaires/charte", data={"csrf_token": csrf_token(page), "accept": "y"})
    admin = make_person(bo_app, group_private_key, "admin")
    admin_client = bo_app.test_client()
    log_in(admin_client, admin, clock)
    accounts_page = _charter_table(admin_client)
    row = re.search(rf"<td>{re.escape(member.email)}</td>\s*<td>([^<]+)", accounts_page)
    assert row and f"Version {charter.CURRENT} acceptée le" in row.group(1)

    monkeypatch.setattr(charter, "CURRENT", "2099-01")
    assert client.get("/partenaires/").status_code == 302  # asked again
    accounts_page = _charter_table(admin_client)
    row = re.search(rf"<td>{re.escape(member.email)}</td>\s*<td>([^<]+)", accounts_page)
    assert row and "redemandée à la prochaine connexion" in row.group(1)


def _charter_table(client) -> str:
    """The accounts page's charter section: the address is in other tables too."""
    page = client.get("/bo/admin/comptes").get_data(as_text=True)
    return page.split('id="charter-title"')[1]
