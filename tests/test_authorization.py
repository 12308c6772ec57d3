"""The authorization matrix: every back-office, partner and login route × every role.

Generated from ``app.url_map``, so a new route is covered the day it is added. Real
ids are used: a referral routed to association A, its attachment and its routing,
and a file the reporter attached to a reply, which belongs to the thread: routes that
take an attachment are tried with both, and no partner may reach the thread's file.
Allowed POSTs are left to the story tests (they would change the world under the
other cases); every refused pair, GET or POST, is sent here.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from sqlalchemy import select

from portal import accounts, create_app
from portal.clock import CLOCK_KEY
from portal.extensions import db
from portal.models import Attachment, Referral, Routing, User
from tests.casework_helpers import (
    ASSOCIATION_A,
    ASSOCIATION_B,
    Clock,
    csrf_token,
    log_in,
    make_person,
)
from tests.conftest import make_config
from tests.intake_helpers import post_referral, reply_with_a_file, shown_receipt

#: A page each role can load, to read the CSRF token of its session from.
TOKEN_PAGE = {
    "staff": "/bo/",
    "admin": "/bo/",
    "partner_a": "/partenaires/",
    "partner_b": "/partenaires/",
}
ROLES = ("anonymous", "staff", "admin", "partner_a", "partner_b", "disabled")
#: endpoint prefix → roles that may use it. Everything else must be refused.
ALLOWED = {
    "backoffice.accounts": {"admin"},
    "backoffice.grant_keys": {"admin"},
    "partners.cases": {"partner_a", "partner_b"},
    "backoffice.": {"staff", "admin"},
    "partners.": {"partner_a"},
}


def _allowed(endpoint: str) -> set[str]:
    for prefix, roles in ALLOWED.items():
        if endpoint == prefix or (prefix.endswith(".") and endpoint.startswith(prefix)):
            return roles
    raise AssertionError(f"no rule for {endpoint}")


@pytest.fixture(scope="module")
def world(tmp_path_factory, database_url, group_private_key):
    app = create_app(
        make_config(tmp_path_factory.mktemp("matrix"), database_url, fast_password_hashing=True)
    )
    clock = Clock()
    app.extensions[CLOCK_KEY] = clock
    people = {
        "staff": make_person(app, group_private_key, "staff"),
        "admin": make_person(app, group_private_key, "admin"),
        "partner_a": make_person(app, group_private_key, "partner", ASSOCIATION_A),
        "partner_b": make_person(app, group_private_key, "partner", ASSOCIATION_B),
        "disabled": make_person(app, group_private_key, "staff"),
    }
    receipt = shown_receipt(post_referral(app.test_client(), files=[("piece.txt", b"contenu")]))
    staff = app.test_client()
    log_in(staff, people["staff"], clock)
    with app.app_context():
        referral = db.session.scalars(select(Referral).order_by(Referral.id.desc())).first()
        public_id = referral.public_id
    url = f"/bo/signalements/{public_id}"
    page = staff.get(url).get_data(as_text=True)
    value = page.split('name="route-association"')[1].split('value="')[1].split('"')[0]
    staff.post(
        url + "/orientations", data={"csrf_token": csrf_token(page), "route-association": value}
    )
    with app.app_context():
        referral = db.session.scalar(select(Referral).where(Referral.public_id == public_id))
        routing = db.session.scalar(select(Routing).where(Routing.referral_id == referral.id))
        attachment = db.session.scalar(
            select(Attachment).where(Attachment.referral_id == referral.id)
        )
        arguments = {
            "public_id": public_id,
            "attachment_id": attachment.public_id,
            "thread_attachment_id": reply_with_a_file(app, receipt, "fil.txt", b"du fil"),
            "routing_id": routing.id,
            "user_id": db.session.scalar(select(User.id).order_by(User.id.desc())),
        }
    clients = {"anonymous": app.test_client()}
    for name in people:
        client = app.test_client()
        log_in(client, people[name], clock, steps=1)
        clients[name] = client
    with app.app_context():
        accounts.disable_account(db.session, db.session.get(User, people["disabled"].user_id))
        db.session.commit()
    yield app, clients, arguments
    with app.app_context():
        db.engine.dispose()


def _cases():
    """Collected before any fixture exists: an in-memory app only to read its URL map."""
    instance = Path(tempfile.gettempdir()) / "portal-matrix"
    app = create_app(make_config(instance, "sqlite://"))
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(("backoffice.", "partners.")):
            continue
        variants = ["", "thread"] if "attachment_id" in rule.arguments else [""]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for role in ROLES:
                if method == "POST" and role in _allowed(rule.endpoint):
                    continue  # allowed changes are exercised by the story tests
                for variant in variants:
                    yield pytest.param(
                        rule.rule,
                        rule.endpoint,
                        method,
                        role,
                        variant,
                        id=f"{method} {rule.rule} {role} {variant}".strip(),
                    )


def _allowed_for(endpoint: str, variant: str) -> set[str]:
    allowed = _allowed(endpoint)
    if variant == "thread":  # the reporter's reply files: Miviludes only
        return allowed - {"partner_a", "partner_b"}
    return allowed


@pytest.mark.parametrize(("rule", "endpoint", "method", "role", "variant"), list(_cases()))
def test_authorization_matrix(world, rule, endpoint, method, role, variant):
    _app, clients, arguments = world
    url = rule
    if variant == "thread":
        url = url.replace("<attachment_id>", str(arguments["thread_attachment_id"]))
    for name, value in arguments.items():
        url = url.replace(f"<{name}>", str(value)).replace(f"<int:{name}>", str(value))
    client = clients[role]
    if method == "GET":
        response = client.get(url)
    else:
        token = csrf_token(client.get(TOKEN_PAGE.get(role, "/connexion")).get_data(as_text=True))
        response = client.post(url, data={"csrf_token": token})
    if role in _allowed_for(endpoint, variant):
        assert response.status_code not in (401, 403, 404), (url, response.status_code)
        return
    if role in ("anonymous", "disabled") and method == "GET":
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/connexion")
        return
    assert response.status_code in (403, 404), (url, response.status_code)
