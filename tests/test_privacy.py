"""No IP address or User-Agent in the database or the logs; gunicorn's access log included."""

from __future__ import annotations

import logging
import re

from sqlalchemy import inspect, select

from portal import gunicorn_conf
from portal.extensions import db
from tests.pages import ALL_PUBLIC_URLS

ADDRESS = "198.51.100.23"
USER_AGENT = "Canary-Agent/7.7 (UA-MARKER-5f1c)"


def test_requests_leave_no_address_or_user_agent_in_logs_or_database(app, caplog):
    caplog.set_level(logging.DEBUG)
    client = app.test_client()
    environ = {"REMOTE_ADDR": ADDRESS}
    headers = {"User-Agent": USER_AGENT, "X-Forwarded-For": ADDRESS}
    for url in ALL_PUBLIC_URLS:
        client.get(url, environ_base=environ, headers=headers)
    client.post("/en/self-check", data={"signs": ["money"]}, environ_base=environ, headers=headers)
    client.get("/en/who-to-contact?postcode=21000", environ_base=environ, headers=headers)
    client.get("/en/no-such-page", environ_base=environ, headers=headers)
    assert ADDRESS not in caplog.text and "UA-MARKER" not in caplog.text

    with app.app_context():
        for table in inspect(db.engine).get_table_names():
            for row in db.session.execute(
                select(
                    db.table(
                        table,
                        *[db.column(c["name"]) for c in inspect(db.engine).get_columns(table)],
                    )
                )
            ):
                dumped = repr(tuple(row))
                assert ADDRESS not in dumped and "UA-MARKER" not in dumped


def test_gunicorn_access_log_names_no_client():
    fmt = gunicorn_conf.access_log_format
    # h: remote address, a: user agent, f: referrer, q/r: query string, {…}i/e: any header or env.
    for atom in ("%(h)s", "%(a)s", "%(f)s", "%(q)s", "%(r)s"):
        assert atom not in fmt
    assert not re.search(r"%\(\{[^}]+\}[ie]\)s", fmt)
    assert gunicorn_conf.worker_class == "sync"
