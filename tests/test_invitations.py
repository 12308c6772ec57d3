"""Accounts without secrets in a terminal (database of its own, both backends): an
administrator invites a member, who sets their password through a one-time link (72
hours, stored as a hash) and enrols TOTP at the first login; a reset goes the same
way; accounts are disabled and change role; every failure is explained."""

from __future__ import annotations

import json
import re

import pyotp
import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Association, AuditEvent, Invitation, Membership, OutboxEmail, User
from tests.casework_helpers import ASSOCIATION_A, csrf_token, log_in, make_person

LINK = re.compile(r"https?://[^\s/]+/invitation/([A-Za-z0-9_-]+)")


@pytest.fixture
def admin(keyed_app_of_its_own, clock):
    app, group_key = keyed_app_of_its_own
    person = make_person(app, group_key, "admin")
    client = app.test_client()
    log_in(client, person, clock)
    return app, client, person, group_key


def _invite(client, email: str, role: str = "partner", association: str = ""):
    page = client.get("/bo/admin/comptes").get_data(as_text=True)
    return client.post(
        "/bo/admin/comptes/inviter",
        data={
            "csrf_token": csrf_token(page),
            "invite-email": email,
            "invite-role": role,
            "invite-association": association,
        },
    )


def _association_a(app) -> str:
    with app.app_context():
        return str(
            db.session.scalar(select(Association.id).where(Association.slug == ASSOCIATION_A))
        )


def _mailed_token(app, email: str) -> tuple[str, str]:
    with app.app_context():
        mail = db.session.scalars(
            select(OutboxEmail)
            .where(OutboxEmail.recipient == email)
            .order_by(OutboxEmail.id.desc())
        ).first()
        return LINK.search(mail.body).group(1), mail.body


def _set_password(app, token: str, password: str, again: str | None = None):
    visitor = app.test_client()
    page = visitor.get(f"/invitation/{token}")
    if page.status_code != 200:
        return page
    return visitor.post(
        f"/invitation/{token}",
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "password": password,
            "confirmation": password if again is None else again,
        },
    )


def _password_step(app, email: str, password: str):
    visitor = app.test_client()
    page = visitor.get("/connexion").get_data(as_text=True)
    return visitor, visitor.post(
        "/connexion", data={"csrf_token": csrf_token(page), "email": email, "password": password}
    )


def test_an_invited_partner_sets_a_password_enrols_and_meets_the_charter(admin, clock):
    app, client, _person, _key = admin
    email = "nouvelle.benevole@example.fr"
    response = _invite(client, email.upper(), association=_association_a(app))
    assert response.status_code == 302
    token, body = _mailed_token(app, email)
    assert "72" in body and "mot de passe" in body and "password" in body
    with app.app_context():
        invitation = db.session.scalar(select(Invitation).where(Invitation.email == email))
        assert token.encode() not in invitation.token_hash  # only its hash is stored
        assert (
            db.session.scalar(
                select(AuditEvent).where(AuditEvent.action == "account.invite")
            ).target
            == f"invitation:{invitation.id}"
        )

    short = _set_password(app, token, "trop court")
    assert short.status_code == 422 and "12 caractères au moins." in short.get_data(as_text=True)
    differ = _set_password(app, token, "une phrase assez longue", again="une autre phrase")
    assert differ.status_code == 422
    assert "Les deux mots de passe diffèrent." in differ.get_data(as_text=True)
    password = "la rivière coule sous le pont"
    accepted = _set_password(app, token, password)
    assert accepted.status_code == 302 and accepted.headers["Location"] == "/connexion"
    again = _set_password(app, token, password)
    assert again.status_code == 404 and "Ce lien ne fonctionne pas" in again.get_data(as_text=True)

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        assert user.role == "partner" and not user.totp_enrolled
    visitor, response = _password_step(app, email, password)
    assert response.headers["Location"].startswith("/connexion/activation")
    enrol = visitor.get(response.headers["Location"]).get_data(as_text=True)
    secret = re.search(r'class="portal-secret">([A-Z2-7]+)<', enrol).group(1)
    done = visitor.post(
        "/connexion/activation",
        data={"csrf_token": csrf_token(enrol), "code": pyotp.TOTP(secret).at(clock.now)},
    )
    assert done.status_code == 302
    charter_first = visitor.get("/partenaires/")
    assert charter_first.headers["Location"].startswith("/partenaires/charte")
    accounts_page = client.get("/bo/admin/comptes").get_data(as_text=True)
    assert password not in accounts_page and secret not in accounts_page
    assert re.search(re.escape(email) + r"</td>\s*<td>Membre", accounts_page)


def test_a_link_expires_after_72_hours(admin, clock):
    app, client, _person, _key = admin
    _invite(client, "en.retard@example.fr", role="staff")
    token, _body = _mailed_token(app, "en.retard@example.fr")
    clock.advance(hours=72, seconds=1)
    response = _set_password(app, token, "une phrase assez longue")
    assert response.status_code == 404
    assert _set_password(app, "pas-un-jeton", "une phrase assez longue").status_code == 404


@pytest.mark.parametrize(
    ("email", "role", "association", "message"),
    [
        ("pas une adresse", "staff", "", "nom@exemple.fr"),
        ("", "staff", "", "Saisissez l’adresse électronique de la personne."),
        ("benevole@example.fr", "partner", "", "Choisissez l’association du membre partenaire."),
        (
            "agent@example.fr",
            "staff",
            "A",
            "Seul un membre partenaire appartient à une association.",
        ),
        ("agent@example.fr", "chef", "", "choix valide"),
    ],
)
def test_a_wrong_invitation_is_explained_and_nothing_is_sent(
    admin, email, role, association, message
):
    app, client, _person, _key = admin
    association = _association_a(app) if association == "A" else association
    response = _invite(client, email, role=role, association=association)
    text = response.get_data(as_text=True).replace("&#39;", "'").replace("N'est", "N'est")
    assert response.status_code == 422
    assert message in text
    with app.app_context():
        assert db.session.scalar(select(Invitation.id)) is None
        assert db.session.scalar(select(OutboxEmail.id)) is None


def test_an_existing_address_is_reset_not_invited(admin):
    _app, client, person, _key = admin
    response = _invite(client, person.email, role="staff")
    assert response.status_code == 422
    assert "Un compte existe déjà avec cette adresse" in response.get_data(as_text=True)


def test_a_reset_link_replaces_the_password_and_the_keys(admin, clock):
    app, client, _person, group_key = admin
    staff = make_person(app, group_key, "staff")
    page = client.get("/bo/admin/comptes").get_data(as_text=True)
    sent = client.post(
        f"/bo/admin/comptes/{staff.user_id}/reinitialiser", data={"csrf_token": csrf_token(page)}
    )
    assert sent.status_code == 302
    token, body = _mailed_token(app, staff.email)
    assert staff.password not in body
    _visitor, before = _password_step(app, staff.email, staff.password)
    assert before.status_code == 302  # the old password works until the link is used
    new_password = "un nouveau mot de passe bien long"
    assert _set_password(app, token, new_password).status_code == 302
    _visitor, old = _password_step(app, staff.email, staff.password)
    assert old.status_code != 302
    _visitor, new = _password_step(app, staff.email, new_password)
    assert new.headers["Location"].startswith("/connexion/activation")  # TOTP again
    with app.app_context():
        assert (
            db.session.scalar(select(Membership).where(Membership.user_id == staff.user_id)) is None
        )
        reset = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "account.reset"))
        assert reset.target == f"user:{staff.user_id}"
    assert (
        staff.email
        in client.get("/bo/admin/comptes").get_data(as_text=True).split("Tous les comptes")[0]
    )  # waiting for its keys again


def test_roles_change_and_accounts_are_disabled_but_never_one_s_own(admin, clock):
    app, client, person, group_key = admin
    staff = make_person(app, group_key, "staff")
    partner = make_person(app, group_key, "partner", ASSOCIATION_A)
    page = client.get("/bo/admin/comptes").get_data(as_text=True)
    token = csrf_token(page)
    changed = client.post(
        f"/bo/admin/comptes/{staff.user_id}/role",
        data={"csrf_token": token, f"role-{staff.user_id}-role": "analyst"},
    )
    assert changed.status_code == 302
    with app.app_context():
        user = db.session.get(User, staff.user_id)
        assert user.role == "analyst"
        assert db.session.scalar(select(Membership).where(Membership.user_id == user.id)) is None
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "account.role"))
        assert json.loads(event.details) == {"from": "staff", "to": "analyst"}
    for refused in (
        (f"/bo/admin/comptes/{partner.user_id}/role", {f"role-{partner.user_id}-role": "staff"}),
        (f"/bo/admin/comptes/{person.user_id}/role", {f"role-{person.user_id}-role": "staff"}),
        (f"/bo/admin/comptes/{person.user_id}/desactiver", {}),
        (f"/bo/admin/comptes/{person.user_id}/reinitialiser", {}),
    ):
        url, data = refused
        assert client.post(url, data={"csrf_token": token, **data}).status_code == 422, url
    disabled = client.post(
        f"/bo/admin/comptes/{partner.user_id}/desactiver", data={"csrf_token": token}
    )
    assert disabled.status_code == 302
    with app.app_context():
        assert db.session.get(User, partner.user_id).disabled
    listing = client.get("/bo/admin/comptes").get_data(as_text=True)
    assert "Jamais" in listing  # the partner never logged in
    assert re.search(re.escape(person.email) + r"</td>\s*<td>Administrateur</td>\s*<td>\d", listing)
