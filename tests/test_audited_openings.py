"""Every decryption is audited: each route that opens a referral or an attachment, for
each role that may use it, writes its audit event (who, what, which referral).

Generated from ``app.url_map`` like the authorization matrix: a new route that shows
a case or a file is covered the day it is added.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from sqlalchemy import select

from portal import create_app
from portal.extensions import db
from portal.models import AuditEvent, User
from tests.casework_helpers import filled_rule
from tests.conftest import make_config

#: Who may open what: the back office for Miviludes, a case for its association.
ROLES_BY_SPACE = {"backoffice": ("staff", "admin"), "partners": ("partner_a",)}
OPENING_ARGUMENTS = {"public_id", "routing_id"}


def _opening_routes():
    app = create_app(make_config(Path(tempfile.gettempdir()) / "portal-audited", "sqlite://"))
    for rule in app.url_map.iter_rules():
        space = rule.endpoint.split(".")[0]
        if "GET" in rule.methods and space in ROLES_BY_SPACE and OPENING_ARGUMENTS & rule.arguments:
            for role in ROLES_BY_SPACE[space]:
                yield pytest.param(rule.rule, role, id=f"{rule.rule} {role}")


def test_the_routes_that_open_cases_are_found():
    found = {rule for rule, *_ in (param.values for param in _opening_routes())}
    assert {
        "/bo/signalements/<ref:public_id>",
        "/bo/signalements/<ref:public_id>/pieces/<file:attachment_id>",
        "/partenaires/dossiers/<int:routing_id>",
        "/partenaires/dossiers/<int:routing_id>/pieces/<file:attachment_id>",
    } <= found


@pytest.mark.parametrize(("rule", "role"), list(_opening_routes()))
def test_each_opening_is_audited(world, rule, role):
    app, clients, arguments = world
    url = filled_rule(rule, arguments)
    with app.app_context():
        last = db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()))
    response = clients[role].get(url)
    assert response.status_code == 200, url
    response.get_data()  # a download is audited before its first byte; read it all
    with app.app_context():
        events = db.session.execute(
            select(AuditEvent.action, AuditEvent.actor, AuditEvent.target, AuditEvent.details)
            .where(AuditEvent.id > last)
            .order_by(AuditEvent.id)
        ).all()
        actor = db.session.get(User, arguments["user_ids"][role]).actor
    expected = "attachment.download" if "attachment_id" in rule else "referral.open"
    assert [(e.action, e.target) for e in events] == [
        (expected, f"referral:{arguments['public_id']}")
    ], url
    assert events[0].actor == actor  # who opened it
