"""No input answers 500: every route of ``app.url_map`` fed hostile values, the public
forms fuzzed with malformed bodies, and the cases an outside scan found.

Each test also reads the application's log: an error handled into a polite page still
fails the test if a traceback was logged on the way.
"""

from __future__ import annotations

import logging
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal.clock import CLOCK_KEY
from portal.extensions import db
from portal.models import LoginSession, User
from tests.casework_helpers import Clock, csrf_token, log_in, make_person
from tests.intake_helpers import open_form, post_referral

#: What a scanner puts where a route expects an id, a code or a word.
HOSTILE_SEGMENTS = (
    "99999999999999999999999",
    "-1",
    "0",
    "%0d%0aSet-Cookie:x=1",
    "%ff%fe%00",
    "..%2f..%2fetc%2fpasswd",
    "x" * 600,
    "%C0%AE",
)
#: Every query argument a page of ours reads, with values no form would send.
HOSTILE_QUERY = (
    "date_from=0001-01-01&date_to=9999-12-31&after=AAAA%ff&status=%0d%0a&region=%00"
    "&departement=999&domain=%ff&kind=x&assigned=-99999999999999999999&urgent=%ff"
    "&next=/bo/%0d%0aSet-Cookie:x=1&postcode=%ff%fe&signs=%00&lang=xx&page=-1"
    "&_external=1&_scheme=javascript&_anchor=%0d&guide=x&endpoint=x"
)
HOSTILE_CURSORS = (
    "MXw5OTk5LTEyLTMxVDIzOjU5OjU5KzAwOjAwfDk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5",  # id 10^23
    "MHwwMDAxLTAxLTAxVDAwOjAwOjAwKzE0OjAwfDE",  # year 1, +14:00: overflows in UTC
    "%ff%fe",
    "====",
    "MXx8fHx8",
)


def _no_traceback(caplog) -> None:
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not logged, [r.getMessage() for r in logged]


def _hostile_urls(rule) -> list[str]:
    if not rule.arguments - set(rule.defaults or {}):
        return [rule.rule, f"{rule.rule}?{HOSTILE_QUERY}"]
    urls = []
    for value in HOSTILE_SEGMENTS:
        url = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", value, rule.rule)
        urls.append(url)
    return urls


@pytest.fixture(scope="module")
def hostile_world(world):
    app, clients, _arguments = world
    return app, {role: clients[role] for role in ("anonymous", "staff", "admin", "partner_a")}


@pytest.fixture
def bo_app_with_clock(make_app, group_private_key):
    app = make_app(fast_password_hashing=True)
    clock = Clock()
    app.extensions[CLOCK_KEY] = clock
    return app, clock, make_person(app, group_private_key, "staff")


@pytest.fixture(scope="module")
def fuzz_client(world):
    """A reporter's browser: a session holding a CSRF token, as the form page gives one."""
    app, _clients, _arguments = world
    client = app.test_client()
    return client, open_form(client)["csrf_token"]


def test_every_route_survives_hostile_values_for_every_role(hostile_world, caplog):
    app, clients = hostile_world
    caplog.set_level(logging.ERROR)
    failures = []
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]
    for role, client in clients.items():
        token = csrf_token(
            client.get("/partenaires/" if role.startswith("partner") else "/bo/").get_data(
                as_text=True
            )
            if role != "anonymous"
            else client.get("/connexion").get_data(as_text=True)
        )
        for rule in rules:
            if rule.endpoint == "auth.logout" and role != "anonymous":
                continue  # the other tests of this module need the roles signed in
            for url in _hostile_urls(rule):
                for method in sorted(rule.methods & {"GET", "HEAD", "POST"}):
                    data = {"csrf_token": token, "body": "\r\n\x00", "code": "%ff"}
                    response = client.open(url, method=method, data=data)
                    if response.status_code >= 500:
                        failures.append((role, method, url, response.status_code))
    assert not failures
    _no_traceback(caplog)


def test_static_files_survive_hostile_names(client, caplog):
    caplog.set_level(logging.ERROR)
    for name in HOSTILE_SEGMENTS:
        response = client.get(f"/static/{name}")
        assert response.status_code == 404 and response.headers["Cache-Control"] == "no-store"
    _no_traceback(caplog)


@pytest.mark.parametrize("cursor", HOSTILE_CURSORS)
def test_a_forged_queue_cursor_shows_the_first_page(world, cursor, caplog):
    _app, clients, _arguments = world
    caplog.set_level(logging.ERROR)
    response = clients["staff"].get(f"/bo/?after={cursor}")
    assert response.status_code == 200
    _no_traceback(caplog)


@pytest.mark.parametrize(
    ("field", "value"), [("date_from", "0001-01-01"), ("date_to", "9999-12-31")]
)
def test_dates_no_case_can_have_are_a_translated_error(world, field, value):
    _app, clients, _arguments = world
    response = clients["staff"].get(f"/bo/?{field}={value}")
    assert response.status_code == 200
    assert "Saisissez une date entre 2000 et 2100." in response.get_data(as_text=True)


def test_huge_ids_in_addresses_are_not_found(world):
    _app, clients, _arguments = world
    for role, url in (
        ("partner_a", "/partenaires/dossiers/99999999999999999999999"),
        ("partner_a", "/partenaires/dossiers/2147483648"),
        ("admin", "/bo/admin/comptes/99999999999999999999999/cles"),
    ):
        assert clients[role].get(url).status_code in (404, 405)


def test_a_next_address_with_a_line_break_is_ignored_and_the_login_completes(
    bo_app_with_clock, caplog
):
    app, clock, person = bo_app_with_clock
    caplog.set_level(logging.ERROR)
    client = app.test_client()
    response = log_in(client, person, clock, next_url="/bo/%0d%0aSet-Cookie:x=1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/bo/"
    assert "x=1" not in response.headers.get("Set-Cookie", "")
    assert client.get("/bo/").status_code == 200
    with app.app_context():
        sessions = db.session.scalar(
            select(func.count())
            .select_from(LoginSession)
            .where(LoginSession.user_id == person.user_id, LoginSession.stage != "active")
        )
    assert sessions == 0  # no half-open login left behind
    _no_traceback(caplog)


def test_keys_cannot_be_granted_to_a_disabled_account(world):
    app, clients, _arguments = world
    admin = clients["admin"]
    with app.app_context():
        disabled = db.session.scalar(select(User.id).where(User.disabled.is_(True)))
    token = csrf_token(admin.get("/bo/admin/comptes").get_data(as_text=True))
    response = admin.post(f"/bo/admin/comptes/{disabled}/cles", data={"csrf_token": token})
    assert response.status_code == 422
    assert "Cette action est impossible" in response.get_data(as_text=True)


def test_head_on_the_referral_form_submits_nothing(client, app):
    from tests.intake_helpers import referral_count

    before = referral_count(app)
    response = client.head("/fr/signaler")
    assert response.status_code == 200
    assert referral_count(app) == before


@pytest.mark.parametrize("url", ["/fr/signaler", "/fr/suivi", "/fr/suivi/repondre", "/connexion"])
def test_a_multipart_part_without_a_name_is_ignored(client, url, caplog):
    caplog.set_level(logging.ERROR)
    client.get("/connexion")  # a session, so the CSRF check looks for a token
    client.get("/fr/signaler")
    body = b"--B\r\nContent-Disposition: form-data\r\n\r\nvalue\r\n--B--\r\n"
    response = client.post(url, data=body, content_type="multipart/form-data; boundary=B")
    assert response.status_code in (400, 422)
    _no_traceback(caplog)


@pytest.mark.parametrize("seal", ["é" * 43, "\u202e" * 10, "%ff"])
def test_a_receipt_seal_beyond_ascii_issues_a_new_receipt(client, app, seal, caplog):
    caplog.set_level(logging.ERROR)
    form = open_form(client)
    form["receipt_seal"] = seal
    response = post_referral(client, form=form)
    assert response.status_code == 200
    _no_traceback(caplog)


# --- fuzzing the public forms ---------------------------------------------------------

PUBLIC_POSTS = ("/fr/signaler", "/en/follow-up", "/fr/suivi/repondre", "/fr/auto-evaluation")
FIELD_NAMES = st.sampled_from(
    [
        "kind",
        "reporter_role",
        "domain",
        "departement",
        "description",
        "receipt",
        "receipt_seal",
        "signs",
        "contact_mode",
        "email",
        "body",
        "attachments",
        "keep_original",
        "",
        "csrf_token[]",
    ]
)
VALUES = st.one_of(
    st.text(max_size=300),
    st.sampled_from(["99999999999999999999", "0001-01-01", "\r\n", "\x00", "%ff", "é" * 100]),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    url=st.sampled_from(PUBLIC_POSTS),
    fields=st.lists(st.tuples(FIELD_NAMES, VALUES), max_size=12),
    with_token=st.booleans(),
    as_multipart=st.booleans(),
)
def test_public_forms_never_answer_500(fuzz_client, caplog, url, fields, with_token, as_multipart):
    client, token = fuzz_client
    caplog.clear()
    data = [(name, value) for name, value in fields]
    if with_token:
        data.append(("csrf_token", token))
    response = client.post(
        url,
        data=dict(data) if not as_multipart else {k: v for k, v in data},
        content_type="multipart/form-data" if as_multipart else None,
    )
    assert response.status_code < 500, (url, fields)
    _no_traceback(caplog)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(url=st.sampled_from(PUBLIC_POSTS), body=st.binary(max_size=2000), boundary=st.booleans())
def test_public_forms_survive_malformed_bodies(fuzz_client, caplog, url, body, boundary):
    client, _token = fuzz_client
    caplog.clear()
    content_type = "multipart/form-data; boundary=B" if boundary else "multipart/form-data"
    response = client.post(url, data=b"--B\r\n" + body, content_type=content_type)
    assert response.status_code < 500
    response = client.post(url, data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code < 500
    _no_traceback(caplog)
