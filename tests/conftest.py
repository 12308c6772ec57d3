"""Shared fixtures.

The suite runs against SQLite by default and against PostgreSQL when
``PORTAL_TEST_DATABASE_URL`` is set; on PostgreSQL each database the tests create
is a throwaway schema, so the suite never touches existing tables. CSRF stays on.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select
from sqlalchemy.engine import make_url

from portal import accounts, create_app
from portal.clock import CLOCK_KEY
from portal.config import SECRET_NAMES, Config
from portal.extensions import db
from portal.keyring import initialise_keys
from portal.models import Attachment, Referral, Routing, User
from portal.reference import load_reference_data

POSTGRES_URL = os.environ.get("PORTAL_TEST_DATABASE_URL", "")


def _test_secret() -> str:
    return secrets.token_hex(32)


#: One audit key for the whole run: the apps of a run share the session database, whose
#: log, like an installation's, is sealed under one key.
AUDIT_KEY = _test_secret()


def make_config(instance_path: Path, database_url: str, **overrides) -> Config:
    values = {
        "instance_path": instance_path,
        "database_url": database_url,
        "secret_key": _test_secret(),
        "receipt_pepper": _test_secret(),
        "blind_index_key": _test_secret(),
        "audit_key": AUDIT_KEY,
        "https": False,
        "testing": True,
    }
    values.update(overrides)
    # The test client's address, so that an Origin a browser would send matches.
    values.setdefault("base_url", "https://localhost" if values["https"] else "http://localhost")
    values.setdefault("accessibility_contact", "accessibilite@example.fr")
    return Config(**values)


class DatabaseFactory:
    """Creates empty databases of the backend under test and removes them afterwards."""

    def __init__(self, tmp_root: Path) -> None:
        self.tmp_root = tmp_root
        self._schemas: list[str] = []

    @property
    def backend(self) -> str:
        return "postgresql" if POSTGRES_URL else "sqlite"

    def create(self) -> str:
        if not POSTGRES_URL:
            return f"sqlite:///{self.tmp_root / f'portal-{uuid.uuid4().hex}.db'}"
        schema = f"test_{uuid.uuid4().hex[:12]}"
        engine = sa.create_engine(POSTGRES_URL)
        with engine.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        engine.dispose()
        self._schemas.append(schema)
        url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        return url.render_as_string(hide_password=False)

    def drop_all(self) -> None:
        if not self._schemas:
            return
        engine = sa.create_engine(POSTGRES_URL)
        for schema in self._schemas:
            # One transaction each: dropping them all at once takes a lock per table
            # of every schema, past PostgreSQL's max_locks_per_transaction.
            with engine.begin() as connection:
                connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(tmp_path_factory.mktemp("databases"))
    yield factory
    factory.drop_all()


def migrate_and_load(app: Flask) -> None:
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        load_reference_data(db.session)
        db.session.commit()


@dataclass(frozen=True)
class TestDatabase:
    url: str
    #: The Miviludes group private key, kept by the tests to check what was stored.
    group_private_key: bytes
    recovery_secret: str


def ready_installation(config: Config) -> bytes:
    """An installation as ``portal init`` and ``portal keys init`` leave it, for a
    server started separately: its Miviludes group private key."""
    app = create_app(config)
    migrate_and_load(app)
    with app.app_context():
        group_key = initialise_keys(db.session).private_key
        db.session.commit()
        db.engine.dispose()
    return group_key


@pytest.fixture(scope="session")
def test_database(databases, tmp_path_factory) -> TestDatabase:
    """One database for the session: migrated with Alembic, reference data, installation keys."""
    url = databases.create()
    app = create_app(make_config(tmp_path_factory.mktemp("instance"), url))
    migrate_and_load(app)
    with app.app_context():
        created = initialise_keys(db.session)
        db.session.commit()
        db.engine.dispose()
    return TestDatabase(url, created.private_key, created.recovery_secret)


@pytest.fixture(scope="session")
def database_url(test_database) -> str:
    return test_database.url


@pytest.fixture(scope="session")
def group_private_key(test_database) -> bytes:
    return test_database.group_private_key


@pytest.fixture
def app_of_its_own(databases, tmp_path, monkeypatch):
    """An application on a database of its own, with the environment the ``portal``
    command reads pointing at it (for tests of whole-database commands)."""
    url = databases.create()
    app = create_app(make_config(tmp_path, url))
    migrate_and_load(app)
    monkeypatch.setenv("PORTAL_DATABASE_URL", url)
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("PORTAL_BASE_URL", "https://signalement.example.fr")
    monkeypatch.setenv("PORTAL_ACCESSIBILITY_CONTACT", "accessibilite@example.fr")
    for name in SECRET_NAMES:  # the secrets the application under test uses
        monkeypatch.setenv(f"PORTAL_{name.upper()}", getattr(app.extensions["portal.config"], name))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def keyed_app_of_its_own(app_of_its_own, clock):
    """``app_of_its_own`` with its installation keys and the test's clock (for logging
    people in); returns the application and the Miviludes group private key."""
    app_of_its_own.extensions[CLOCK_KEY] = clock
    with app_of_its_own.app_context():
        group_key = initialise_keys(db.session).private_key
        db.session.commit()
    return app_of_its_own, group_key


@pytest.fixture(scope="session")
def html_checker():
    from tests.html_checker import HtmlChecker

    checker = HtmlChecker()
    yield checker
    checker.stop()


@pytest.fixture
def make_app(database_url, tmp_path) -> Iterator[Callable[..., Flask]]:
    """Build an application on the session database, with config overrides."""
    apps: list[Flask] = []

    def build(**overrides) -> Flask:
        app = create_app(make_config(tmp_path / "instance", database_url, **overrides))
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(make_app) -> Flask:
    return make_app()


@pytest.fixture
def clock():
    """A clock the test moves (TOTP steps, session expiry)."""
    from tests.casework_helpers import Clock

    return Clock()


@pytest.fixture
def bo_app(make_app, clock) -> Flask:
    """An application for logging people in: fast password hashing, the test's clock."""
    app = make_app(fast_password_hashing=True)
    app.extensions[CLOCK_KEY] = clock
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def world(tmp_path_factory, database_url, group_private_key):
    """Logged-in clients of every role and real ids: a referral routed to association A,
    its attachment, a file of the reporter's reply (the thread's), the routing."""
    from portal.casework import saved_filters, tags
    from tests.casework_helpers import (
        ASSOCIATION_A,
        ASSOCIATION_B,
        Clock,
        csrf_token,
        log_in,
        make_person,
    )
    from tests.intake_helpers import post_referral, reply_with_a_file, shown_receipt

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
        "analyst": make_person(app, group_private_key, "analyst"),
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
            "association_id": routing.association_id,
            "token": "an-invitation-token-that-was-never-issued-000",
            "user_id": db.session.scalar(select(User.id).order_by(User.id.desc())),
            "receipt": receipt,
            "file_format": "xlsx",
            "staff_id": people["staff"].user_id,
            "user_ids": {name: person.user_id for name, person in people.items()},
            "tag_id": tags.create(db.session, f"matrice {uuid.uuid4().hex[:8]}", "system").id,
            "saved_id": saved_filters.save(
                db.session, db.session.get(User, people["staff"].user_id), "Ma vue", "urgent=y"
            ).id,
        }
        db.session.commit()
    # A file of the reporter's message to association A: A's and Miviludes'. Sent
    # outside the application context above: a request made inside it would share its
    # ``g`` (and Flask-WTF's token kept there) with the previous one.
    arguments["association_thread_attachment_id"] = reply_with_a_file(
        app, receipt, "asso.txt", b"pour A", audience=str(arguments["association_id"])
    )
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
