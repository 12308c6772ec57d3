"""A storage fault never loses what the reporter typed, and heals without a restart.

Real faults, on whichever backend runs: another transaction holding the lock past the
timeout (5 s), and connections that can only read (as after a disk remounted
read-only, or a replica promoted late). The form comes back filled, nothing is
stored, and the next submission after the fault works: the pooled connections that
had failed are not reused.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from portal.extensions import db
from tests.intake_helpers import (
    FOLLOW_UP_URL,
    REPLY_URL,
    hidden,
    message_count,
    open_form,
    post_referral,
    referral_count,
    referral_data,
    shown_receipt,
)
from tests.test_public_pages import text_of

TYPED = "Ma tante a vendu sa maison pour ce groupe — TEXTE-À-GARDER"


@contextmanager
def _lock_held_elsewhere(app) -> Iterator[None]:
    """Another process's transaction holding what a submission must write."""
    url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        other = sqlite3.connect(url.database, isolation_level=None, timeout=1)
        other.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
    else:
        engine = sa.create_engine(url)
        with engine.connect() as other:
            transaction = other.begin()
            other.execute(sa.text("LOCK TABLE referrals IN ACCESS EXCLUSIVE MODE"))
            try:
                yield
            finally:
                transaction.rollback()
        engine.dispose()


def _read_only(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    if dbapi_connection.__class__.__module__.startswith("sqlite3"):
        cursor.execute("PRAGMA query_only = ON")
    else:
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        cursor.execute("SET default_transaction_read_only = on")
        dbapi_connection.autocommit = autocommit
    cursor.close()


def _assert_form_came_back(response, app, before: int) -> None:
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Rien n’a été envoyé : le portail n’a pas pu enregistrer votre demande" in (
        text_of(response)
    )
    assert TYPED in page and "Éveil Intérieur" in page and 'value="21" selected' in page
    assert "112" in text_of(response)
    assert referral_count(app) == before


def test_a_lock_held_past_the_timeout_gives_the_form_back(app, client, caplog):
    before = referral_count(app)
    form = open_form(client)
    with _lock_held_elsewhere(app):
        response = post_referral(client, form=form, description=TYPED)
    _assert_form_came_back(response, app, before)
    # The lock is gone: the same form, sent again, is stored.
    again = client.post("/fr/signaler", data={**form, **referral_data(description=TYPED)})
    assert again.status_code == 200 and referral_count(app) == before + 1


def test_connections_that_can_only_read_heal_once_the_fault_has_passed(app, client):
    before = referral_count(app)
    form = open_form(client)
    with app.app_context():
        engine = db.engine
        event.listen(engine, "connect", _read_only)
        engine.dispose()  # every connection from now on can only read
    try:
        response = post_referral(client, form=form, description=TYPED)
    finally:
        event.remove(engine, "connect", _read_only)  # the disk is writable again
    _assert_form_came_back(response, app, before)
    again = client.post("/fr/signaler", data={**form, **referral_data(description=TYPED)})
    assert again.status_code == 200, "a read-only connection was reused"
    assert referral_count(app) == before + 1


def _case_followed_up(app, client) -> tuple[str, str, int]:
    """A new referral's code, its follow-up page, and the number of messages stored."""
    receipt = shown_receipt(post_referral(client))
    case_page = client.post(
        FOLLOW_UP_URL["fr"],
        data={"csrf_token": open_form(client)["csrf_token"], "receipt": receipt},
    ).get_data(as_text=True)
    return receipt, case_page, message_count(app)


def test_a_reply_that_cannot_be_stored_comes_back_with_the_code_and_the_message(app, client):
    receipt, case_page, messages = _case_followed_up(app, client)
    with _lock_held_elsewhere(app):
        response = client.post(
            REPLY_URL["fr"],
            data={"csrf_token": hidden(case_page, "csrf_token"), "receipt": receipt, "body": TYPED},
        )
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "le portail n’a pas pu enregistrer votre demande" in text_of(response)
    assert hidden(page, "draft") == TYPED and receipt in page
    assert message_count(app) == messages
    # The fault has passed: confirming the code shows the case, the message ready.
    again = client.post(
        FOLLOW_UP_URL["fr"],
        data={"csrf_token": hidden(page, "csrf_token"), "receipt": receipt, "draft": TYPED},
    )
    assert again.status_code == 200 and TYPED in again.get_data(as_text=True)


@pytest.fixture(autouse=True)
def _quiet_expected_errors(caplog):
    """The failed submissions are logged (with the exception, never the request)."""
    yield
    logged = [r for r in caplog.records if r.name == "portal.public.views"]
    expected = ("could not be stored", "stored but the case could not be shown again")
    assert all(any(part in r.getMessage() for part in expected) for r in logged)


def test_a_reply_stored_but_not_shown_again_says_it_was_sent(app, client, monkeypatch):
    """The database fails right after the reply was committed: the person is told it
    was sent (it was), not asked to send it again."""
    from portal.public import views

    receipt, case_page, messages = _case_followed_up(app, client)
    opened = views.followup.open_case
    calls = []

    def fails_once_stored(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # the second opening comes after the commit
            raise sa.exc.OperationalError("SELECT", {}, ConnectionError("server closed"))
        return opened(*args, **kwargs)

    monkeypatch.setattr(views.followup, "open_case", fails_once_stored)
    response = client.post(
        REPLY_URL["fr"],
        data={"csrf_token": hidden(case_page, "csrf_token"), "receipt": receipt, "body": TYPED},
    )
    assert response.status_code == 200
    assert "Votre message a bien été envoyé" in text_of(response)
    assert f'value="{receipt}"' in response.get_data(as_text=True)  # the code, kept
    assert message_count(app) == messages + 1
