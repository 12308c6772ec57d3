"""CSRF as a matrix: every POST rule of ``app.url_map`` (public, login, back office,
partner space), sent with a valid session but no token, and with another session's
token, is refused and changes nothing in the database. The exemptions are the list
in ``portal.security``, each tested for its own guard (the cross-site check)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models.base import Base
from portal.security import CSRF_EXEMPT_ENDPOINTS
from tests.casework_helpers import csrf_token, filled_rule
from tests.intake_helpers import referral_data

#: Columns that change on any signed-in request, whatever it does.
TOUCHED_ON_EVERY_REQUEST = {("login_sessions", "last_seen_at")}
#: The signed-in client that may use each space, and another session of the same
#: kind whose token must not be accepted in its place.
CLIENT_FOR = {
    "admin.": ("admin", "staff"),
    "backoffice.": ("staff", "admin"),
    "analysis.publish": ("admin", "staff"),
    "partners.": ("partner_a", "partner_b"),
}
TOKEN_PAGE = {"staff": "/bo/", "admin": "/bo/", "partner_a": "/partenaires/"}


def _clients_for(endpoint: str) -> tuple[str, str]:
    for prefix, pair in CLIENT_FOR.items():
        if endpoint == prefix or (prefix.endswith(".") and endpoint.startswith(prefix)):
            return pair
    return ("anonymous", "anonymous-other")  # the public site and the login pages


def _post_rules(app):
    return sorted(
        ((rule.rule, rule.endpoint) for rule in app.url_map.iter_rules() if "POST" in rule.methods),
        key=lambda pair: pair[0],
    )


def _state(app) -> dict[str, list[tuple]]:
    """Every row of every table (but the columns any request touches)."""
    snapshot = {}
    with app.app_context():
        for table in Base.metadata.sorted_tables:
            columns = [
                column
                for column in table.columns
                if (table.name, column.name) not in TOUCHED_ON_EVERY_REQUEST
            ]
            rows = db.session.execute(select(*columns).order_by(*table.primary_key.columns))
            snapshot[table.name] = [tuple(row) for row in rows]
    return snapshot


def _changes(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after[name]]


def _form_that_would_change_things(arguments: dict) -> dict:
    """What each form of the portal reads, filled so that, were the token not checked,
    the action would be carried out."""
    return {
        **referral_data(description="CSRF-PROBE: ce texte ne doit jamais être enregistré."),
        "receipt": arguments["receipt"],
        "body": "CSRF-PROBE",
        "email": "personne@example.fr",
        "password": "un mot de passe quelconque",
        "code": "123456",
        "note-body": "CSRF-PROBE",
        "message-body": "CSRF-PROBE",
        "assign-assignee": str(arguments["staff_id"]),
        "status-status": "closed",
        "status-closing_reason": "duplicate",
        "class-domain": "online",
        "class-minor_involved": "yes",
        "prosecutor-date": "2026-12-01",
        "prosecutor-reference": "CSRF-PROBE",
        "decline-reason": "CSRF-PROBE",
        "close-outcome": "CSRF-PROBE",
        "publish-year": "2026",
        "accept": "y",
        "confirmation": "un mot de passe quelconque",
        "invite-email": "csrf-probe@example.fr",
        "invite-role": "staff",
        "name": "CSRF-PROBE",
        "kind": "association",
        "departements": "21",
        "approval_status": "none",
        "closed_without_follow_up": "1",
        "opinion_answered": "1",
        "report_closed": "1",
        "transmitted_to_prosecutor": "1",
        f"extend-{arguments['public_id']}-months": "60",
        f"extend-{arguments['public_id']}-reason": "CSRF-PROBE",
    }


def _url(rule: str, arguments: dict) -> str:
    return filled_rule(rule, arguments)


@pytest.fixture(scope="module")
def tokens(world):
    """A token of each session, read before any snapshot (opening a page is audited)."""
    app, clients, _arguments = world
    clients = dict(clients)
    clients["anonymous-other"] = app.test_client()
    found = {}
    for name in ("anonymous", "anonymous-other"):
        found[name] = csrf_token(clients[name].get("/fr/signaler").get_data(as_text=True))
    for name in ("staff", "admin", "partner_a", "partner_b"):
        page = TOKEN_PAGE.get(name, "/partenaires/")
        found[name] = csrf_token(clients[name].get(page).get_data(as_text=True))
    return clients, found


def test_every_post_without_a_valid_token_is_refused_and_changes_nothing(world, tokens):
    app, _clients, arguments = world
    clients, found = tokens
    data = _form_that_would_change_things(arguments)
    checked = []
    for rule, endpoint in _post_rules(app):
        if endpoint in CSRF_EXEMPT_ENDPOINTS:
            continue
        own, other = _clients_for(endpoint)
        url = _url(rule, arguments)
        for case, token in (("no token", None), ("another session's token", found[other])):
            before = _state(app)
            sent = dict(data, **({"csrf_token": token} if token else {}))
            response = clients[own].post(url, data=sent)
            assert response.status_code == 400, (url, case, response.status_code)
            assert _changes(before, _state(app)) == [], (url, case)
            checked.append(endpoint)
    # Every space is covered: a new POST route joins the matrix the day it is added.
    assert {e.split(".")[0] for e in checked} == {
        "public",
        "auth",
        "backoffice",
        "analysis",
        "admin",
        "partners",
    }


@pytest.mark.parametrize("endpoint", sorted(CSRF_EXEMPT_ENDPOINTS))
@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},  # as a browser sends from another site's page
        {"Origin": "https://evil.example"},  # as a browser sends (older, no Fetch Metadata)
    ],
)
def test_each_exemption_is_guarded_by_the_cross_site_check(world, endpoint, headers):
    app, clients, arguments = world
    [rule] = [r for r, e in _post_rules(app) if e == endpoint][:1]
    before = _state(app)
    response = clients["anonymous"].post(
        _url(rule, arguments), data={"signs": ["money"]}, headers=headers
    )
    assert response.status_code == 403
    assert _changes(before, _state(app)) == []


def test_the_exemptions_are_exactly_the_listed_ones(world):
    """A post with no token and no session at all reaches only the listed views."""
    app, _clients, arguments = world
    reached = set()
    for rule, endpoint in _post_rules(app):
        response = app.test_client().post(_url(rule, arguments), data={"signs": ["money"]})
        if response.status_code != 400:
            reached.add(endpoint)
    assert reached == CSRF_EXEMPT_ENDPOINTS
