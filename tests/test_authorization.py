"""The authorization matrix: every back-office, administration, statistics, partner and
login route × every role.

Generated from ``app.url_map``, so a new route is covered the day it is added. Real
ids are used: a referral routed to association A, its attachment and its routing,
a file the reporter attached to a reply to Miviludes, and one attached to a message to
association A: routes that take an attachment are tried with the three; no partner
reaches the first, and only A's members (and Miviludes) the second.
Allowed POSTs are left to the story tests (they would change the world under the
other cases); every refused pair, GET or POST, is sent here.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from sqlalchemy import select

from portal import create_app
from portal.extensions import db
from portal.models import Referral, User
from tests.casework_helpers import csrf_token, filled_rule
from tests.conftest import make_config

#: A page each role can load, to read the CSRF token of its session from.
TOKEN_PAGE = {
    "staff": "/bo/",
    "admin": "/bo/",
    "partner_a": "/partenaires/",
    "partner_b": "/partenaires/",
    "analyst": "/bo/statistiques/",
}
ROLES = ("anonymous", "staff", "admin", "analyst", "partner_a", "partner_b", "disabled")
#: endpoint prefix → roles that may use it. Everything else must be refused.
ALLOWED = {
    "admin.": {"admin"},
    "partners.cases": {"partner_a", "partner_b"},
    "partners.figures": {"partner_a", "partner_b"},
    "partners.charter": {"partner_a", "partner_b"},
    "partners.export_figures": {"partner_a", "partner_b"},
    "backoffice.": {"staff", "admin"},
    "partners.": {"partner_a"},
    "analysis.publish": {"admin"},
    "analysis.": {"staff", "admin", "analyst"},
}


def _allowed(endpoint: str) -> set[str]:
    for prefix, roles in ALLOWED.items():
        if endpoint == prefix or (prefix.endswith(".") and endpoint.startswith(prefix)):
            return roles
    raise AssertionError(f"no rule for {endpoint}")


def _cases():
    """Collected before any fixture exists: an in-memory app only to read its URL map."""
    instance = Path(tempfile.gettempdir()) / "portal-matrix"
    app = create_app(make_config(instance, "sqlite://"))
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(("backoffice.", "partners.", "analysis.", "admin.")):
            continue
        variants = (
            ["", "thread", "association_thread"] if "attachment_id" in rule.arguments else [""]
        )
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
    if variant == "thread":  # the reporter's files to Miviludes: Miviludes only
        return allowed - {"partner_a", "partner_b"}
    if variant == "association_thread":  # the reporter's files to A: A's and Miviludes'
        return allowed - {"partner_b"}
    return allowed


@pytest.mark.parametrize(("rule", "endpoint", "method", "role", "variant"), list(_cases()))
def test_authorization_matrix(world, rule, endpoint, method, role, variant):
    _app, clients, arguments = world
    url = rule
    if variant:
        url = url.replace("<file:attachment_id>", str(arguments[f"{variant}_attachment_id"]))
    url = filled_rule(url, arguments)
    client = clients[role]
    if method == "GET":
        response = client.get(url)
    else:
        token = csrf_token(client.get(TOKEN_PAGE.get(role, "/connexion")).get_data(as_text=True))
        response = client.post(url, data={"csrf_token": token})
    if role in _allowed_for(endpoint, variant):
        # Allowed pairs are GETs (allowed POSTs are left to the story tests): the page
        # or the file itself, nothing else — a 500 or a redirect fails here.
        assert method == "GET"
        assert response.status_code == 200, (url, response.status_code)
        return
    if role in ("anonymous", "disabled") and method == "GET":
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/connexion")
        return
    assert response.status_code in (403, 404), (url, response.status_code)


def test_a_disabled_account_sees_no_referral_even_with_a_session(world):
    """Disabling deletes the account's sessions; ``can_see`` refuses all the same, so
    a session that outlived it (a race, a restored backup) opens nothing."""
    from portal.casework.access import can_see

    app, _clients, arguments = world
    with app.app_context():
        referral = db.session.scalar(
            select(Referral).where(Referral.public_id == arguments["public_id"])
        )
        for role in ("disabled", "analyst", "staff", "partner_a"):
            user = db.session.get(User, arguments["user_ids"][role])
            assert can_see(db.session, user, referral) is (role not in ("disabled", "analyst"))
