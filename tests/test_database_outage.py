"""The database goes away and comes back: what the reporter typed comes back to them,
every page answers 503 (never 500) meanwhile, and the next request after the outage
works without a restart.

A real outage on each backend: PostgreSQL reached through a TCP relay that is cut
(connections reset, new ones refused), as when the server or the network goes down;
SQLite's file replaced by something it cannot open, as when a volume is unmounted.
"""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.extensions import db
from tests.conftest import make_config, ready_installation
from tests.intake_helpers import (
    FOLLOW_UP_URL,
    REPORT_URL,
    hidden,
    open_form,
    post_referral,
    referral_count,
    referral_data,
    shown_receipt,
)
from tests.test_public_pages import text_of
from tests.test_storage_faults import TYPED


class Relay:
    """A TCP relay to PostgreSQL that can be cut and restored on the same port."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = 0
        self._listener: socket.socket | None = None
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open += [client, server]
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, target):
                with suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        assert self._listener is not None
        self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() blocked on it
        self._listener.close()
        with self._lock:
            for end in self._open:
                with suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()
            self._open.clear()


@pytest.fixture
def outage(databases, tmp_path) -> Iterator[tuple]:
    """An installation whose database can be made unreachable, and that switch."""
    url = sa.make_url(databases.create())
    ready_installation(make_config(tmp_path / "setup", url.render_as_string(False)))
    if url.get_backend_name() == "postgresql":
        relay = Relay((url.host or "127.0.0.1", url.port or 5432))
        relay.start()
        app_url = url.set(host="127.0.0.1", port=relay.port)

        @contextmanager
        def unreachable() -> Iterator[None]:
            relay.cut()
            try:
                yield
            finally:
                relay.start()

    else:
        database = Path(url.database)
        app_url = url

        @contextmanager
        def unreachable() -> Iterator[None]:
            with app.app_context():
                db.engine.dispose()  # as a worker started during the outage
            away = database.with_suffix(".away")
            database.rename(away)
            database.mkdir()  # what SQLite finds there cannot be opened
            try:
                yield
            finally:
                shutil.rmtree(database)
                away.rename(database)

    app = create_app(make_config(tmp_path / "instance", app_url.render_as_string(False)))
    yield app, unreachable
    with app.app_context():
        db.engine.dispose()


def test_an_outage_gives_back_what_was_typed_and_heals(outage, caplog):
    app, unreachable = outage
    client = app.test_client()
    receipt = shown_receipt(post_referral(client))
    form = open_form(client)
    before = referral_count(app)
    follow_up = {"csrf_token": form["csrf_token"], "receipt": receipt}

    with unreachable():
        refused = post_referral(client, form=form, description=TYPED)
        page = refused.get_data(as_text=True)
        assert refused.status_code == 503
        assert "Rien n’a été envoyé" in text_of(refused) and "112" in text_of(refused)
        assert TYPED in page and 'value="21" selected' in page

        code_back = client.post(FOLLOW_UP_URL["fr"], data=follow_up)
        assert code_back.status_code == 503
        assert "Votre demande ne peut pas être affichée pour le moment" in text_of(code_back)
        assert receipt in code_back.get_data(as_text=True)

        # A page that only reads: 503, not 500.
        blank = client.get("/fr/qui-contacter?departement=21")
        assert blank.status_code == 503 and blank.headers["Retry-After"] == "30"
        assert "indisponible pour un moment" in text_of(blank)

    again = client.post(REPORT_URL["fr"], data={**form, **referral_data(description=TYPED)})
    assert again.status_code == 200, "the service did not heal"
    assert referral_count(app) == before + 1
    shown = client.post(FOLLOW_UP_URL["fr"], data=follow_up)
    assert shown.status_code == 200 and hidden(shown.get_data(as_text=True), "receipt")
    # Each fault is logged once, by what met it; nothing went unhandled.
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("portal")]
    assert logged == [
        "a referral could not be stored; the form went back to the person",
        "a follow-up could not be read; the code went back to the person",
        "the database could not answer: OperationalError",
    ]
