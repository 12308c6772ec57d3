"""Accounts, logins and a movable clock for back-office and partner tests."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyotp
import sqlalchemy as sa
from sqlalchemy import select

from portal import accounts, charter
from portal.extensions import db
from portal.models import KEY_HOLDING_ROLES, Association, utcnow

ASSOCIATION_A = "adfi-bourgogne-franche-comte"  # covers Côte-d'Or (21)
ASSOCIATION_B = "adfi-bretagne"


class Clock:
    """Injected into the app: tests move time forward without sleeping."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@dataclass
class Person:
    email: str
    password: str
    totp_secret: str
    user_id: int
    role: str

    def code(self, clock: Clock, steps: int = 0) -> str:
        moment = clock.now + timedelta(seconds=30 * steps)
        return pyotp.TOTP(self.totp_secret).at(moment)


def csrf_token(page: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]*)"', page) or re.search(
        r'name="csrf_token" value="([^"]*)"', page
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


def make_person(
    app,
    group_private_key: bytes,
    role: str,
    association_slug: str | None = None,
    *,
    grant: bool = True,
    disabled: bool = False,
    fast_hashing: bool = True,
    charter_accepted: bool = True,
) -> Person:
    with app.app_context():
        association = None
        if association_slug:
            association = db.session.scalar(
                select(Association).where(Association.slug == association_slug)
            )
        credentials = accounts.create_account(
            db.session,
            f"{role}-{uuid.uuid4().hex[:8]}@example.fr",
            role,
            association=association,
            fast_hashing=fast_hashing,
        )
        user = credentials.user
        if grant and role in KEY_HOLDING_ROLES and not accounts.has_group_key(db.session, user):
            accounts.grant_group_keys(db.session, user, group_private_key, "system")
        if role == "partner" and charter_accepted:
            charter.accept(db.session, user)
        if disabled:
            accounts.disable_account(db.session, user)
        db.session.commit()
        return Person(user.email, credentials.password, credentials.totp_secret, user.id, role)


def log_in(client, person: Person, clock: Clock, *, steps: int = 0, next_url: str | None = None):
    """Password, then TOTP (enrolment page on the first login). Returns the last response."""
    login = "/connexion" + (f"?next={next_url}" if next_url is not None else "")
    page = client.get(login).get_data(as_text=True)
    response = client.post(
        login,
        data={"csrf_token": csrf_token(page), "email": person.email, "password": person.password},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    second = response.headers["Location"]
    page = client.get(second).get_data(as_text=True)
    return client.post(
        second, data={"csrf_token": csrf_token(page), "code": person.code(clock, steps)}
    )


def filled_rule(rule: str, arguments: dict) -> str:
    """A URL rule of ``app.url_map`` with its variables replaced by ``arguments``
    (``<int:user_id>``, ``<any(csv, xlsx):file_format>``…)."""
    for name, value in arguments.items():
        rule = re.sub(rf"<(?:[^:>]+:)?{name}>", str(value), rule)
    return rule


def insert_raw_referral(
    connection,
    public_id: str,
    domain: str,
    *,
    status: str = "new",
    created: datetime = datetime(2025, 3, 1, tzinfo=UTC),
    updated: datetime | None = None,
    month: str = "2025-03",
) -> None:
    """A referral row written with SQL only, as a migration test needs it at an older
    revision (the models describe the newest one)."""

    def stored(moment: datetime) -> datetime:
        return moment.replace(tzinfo=None) if connection.dialect.name == "sqlite" else moment

    connection.execute(
        sa.text(
            "INSERT INTO referrals (public_id, kind, status, reporter_role, domain, departement,"
            " minor_involved, health_risk, urgent, contact_allowed, share_identity, has_identity,"
            " created_at, updated_at, month, lookup_token, reporter_wrapped_key, document,"
            " returned) VALUES (:public_id, 'report', :status, 'relative', :domain, '21', 'no',"
            " false, false, false, false, false, :created, :updated, :month, :token, :blob,"
            " :blob, false)"
        ),
        {
            "public_id": public_id,
            "status": status,
            "domain": domain,
            "created": stored(created),
            "updated": stored(updated or created),
            "month": month,
            "token": public_id.encode().ljust(32, b"."),
            "blob": b"x",
        },
    )


def signed_in_client(app, person: Person, clock: Clock, language: str = "en"):
    """A browser-like test client of ``person``, reading pages in ``language``."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language  # as a browser sends
    log_in(client, person, clock)
    return client


def post_from(client, page_url: str, action: str, data: dict | None = None):
    """POST ``data`` to ``action`` with the CSRF token of the page at ``page_url``."""
    token = csrf_token(client.get(page_url).get_data(as_text=True))
    return client.post(action, data={"csrf_token": token, **(data or {})})
