"""The transition tables of DESIGN §5 are the test: every (from, to) pair of referral
statuses and of routing states is tried, through the service and through the pages,
and succeeds exactly when the table below says so.

The tables are written here again on purpose: a transition added to the code by
mistake (``closed → new``) must make this file fail, not follow it.
"""

from __future__ import annotations

import itertools
from collections import deque

import pytest
from sqlalchemy import select

from portal.casework import routing as routing_service
from portal.casework import workflow
from portal.extensions import db
from portal.models import Association, Referral, Routing, User
from portal.models.referrals import STATUSES
from portal.models.routing import ROUTING_STATUSES
from tests.casework_helpers import ASSOCIATION_A, csrf_token
from tests.intake_helpers import data_key, post_referral

#: DESIGN §5: new → in_triage → (awaiting_reporter) → routed → closed, with the side
#: exits transmitted_to_prosecutor and closed; a closed case may be reopened.
REFERRAL_TABLE = {
    "new": {"in_triage", "closed"},
    "in_triage": {"awaiting_reporter", "routed", "transmitted_to_prosecutor", "closed"},
    "awaiting_reporter": {"in_triage", "routed", "transmitted_to_prosecutor", "closed"},
    "routed": {"in_triage", "transmitted_to_prosecutor", "closed"},
    "transmitted_to_prosecutor": {"routed", "closed"},
    "closed": {"in_triage"},
}
#: Statuses staff set by hand on the referral page; the others come with an action.
SET_BY_HAND = {"in_triage", "awaiting_reporter", "closed"}
#: pending → accepted | declined → closed (DESIGN §5).
ROUTING_TABLE = {
    "pending": {"accepted", "declined"},
    "accepted": {"closed"},
    "declined": set(),
    "closed": set(),
}
PAIRS = [(a, b) for a in STATUSES for b in STATUSES]
ROUTING_PAIRS = [(a, b) for a in ROUTING_STATUSES for b in ROUTING_STATUSES]
_ADDRESSES = itertools.count()


def test_the_tables_name_every_status():
    assert set(REFERRAL_TABLE) == set(STATUSES)
    assert set(ROUTING_TABLE) == set(ROUTING_STATUSES)


def _path(table: dict[str, set[str]], start: str, goal: str) -> list[str]:
    """The shortest way from ``start`` to ``goal`` through allowed steps."""
    paths = deque([[start]])
    seen = {start}
    while paths:
        path = paths.popleft()
        if path[-1] == goal:
            return path[1:]
        for step in sorted(table[path[-1]]):
            if step not in seen:
                seen.add(step)
                paths.append([*path, step])
    raise AssertionError(f"{goal} cannot be reached from {start}")


def _referral_in(app, status: str) -> str:
    """A referral from the public form, brought to ``status`` through allowed steps."""
    # Each from its own address: the referral form allows 20 an hour per client.
    number = next(_ADDRESSES)
    address = {"REMOTE_ADDR": f"10.7.{number // 250}.{number % 250}"}
    assert post_referral(app.test_client(), environ_base=address).status_code == 200
    with app.app_context():
        referral = db.session.scalars(select(Referral).order_by(Referral.id.desc())).first()
        for step in _path(REFERRAL_TABLE, "new", status):
            reason = "answered" if step == "closed" else None
            workflow.change_status(db.session, referral, step, "system", closing_reason=reason)
        db.session.commit()
        return referral.public_id


def _status_of(app, public_id: str) -> str:
    with app.app_context():
        return db.session.scalar(select(Referral.status).where(Referral.public_id == public_id))


@pytest.mark.parametrize(("before", "after"), PAIRS)
def test_the_service_allows_exactly_the_table(world, before, after):
    app, _clients, _arguments = world
    public_id = _referral_in(app, before)
    with app.app_context():
        referral = db.session.scalar(select(Referral).where(Referral.public_id == public_id))
        try:
            workflow.change_status(
                db.session, referral, after, "system", closing_reason="no_follow_up"
            )
            db.session.commit()
            moved = True
        except workflow.TransitionRefused:
            db.session.rollback()
            moved = False
    assert moved == (after in REFERRAL_TABLE[before]), (before, after)
    assert _status_of(app, public_id) == (after if moved else before)


@pytest.mark.parametrize(("before", "after"), PAIRS)
def test_the_status_form_allows_exactly_the_table(world, before, after):
    app, clients, _arguments = world
    staff = clients["staff"]
    public_id = _referral_in(app, before)
    url = f"/bo/signalements/{public_id}"
    token = csrf_token(staff.get(url).get_data(as_text=True))
    response = staff.post(
        url + "/statut",
        data={
            "csrf_token": token,
            "status-status": after,
            "status-closing_reason": "no_follow_up",
        },
    )
    allowed = after in REFERRAL_TABLE[before] and after in SET_BY_HAND
    # A status the page does not offer comes back as the form with its error.
    assert response.status_code == (302 if allowed else 200)
    assert _status_of(app, public_id) == (after if allowed else before), (before, after)


def _routing_in(app, group_private_key, state: str) -> int:
    """A routing to association A, brought to ``state`` through the service."""
    public_id = _referral_in(app, "in_triage")
    with app.app_context():
        referral = db.session.scalar(select(Referral).where(Referral.public_id == public_id))
        staff = db.session.scalars(select(User).where(User.role == "staff")).first()
        association = db.session.scalar(
            select(Association).where(Association.slug == ASSOCIATION_A)
        )
        key = data_key(referral, group_private_key)
        routed = routing_service.route(
            db.session, referral, key, association, staff, lambda _id: "/"
        )
        for step in _path(ROUTING_TABLE, "pending", state):
            _move_routing(routed, step, key, staff)
        db.session.commit()
        return routed.id


def _move_routing(routed: Routing, state: str, key: bytes, actor: User) -> None:
    if state == "accepted":
        routing_service.accept(db.session, routed, actor)
    elif state == "declined":
        routing_service.decline(db.session, routed, key, actor, "no_capacity", "Plus de place.")
    elif state == "closed":
        routing_service.close(db.session, routed, key, actor, "support_given", "Suivi terminé.")
    else:
        raise routing_service.RoutingRefused(f"nothing moves a routing back to {state}")


def _routing_state(app, routing_id: int) -> str:
    with app.app_context():
        return db.session.get(Routing, routing_id).status


@pytest.mark.parametrize(("before", "after"), ROUTING_PAIRS)
def test_routing_states_follow_the_table_through_the_service(
    world, group_private_key, before, after
):
    app, _clients, _arguments = world
    routing_id = _routing_in(app, group_private_key, before)
    with app.app_context():
        routed = db.session.get(Routing, routing_id)
        referral = db.session.get(Referral, routed.referral_id)
        actor = db.session.scalars(select(User).where(User.role == "partner")).first()
        try:
            _move_routing(routed, after, data_key(referral, group_private_key), actor)
            db.session.commit()
            moved = True
        except routing_service.RoutingRefused:
            db.session.rollback()
            moved = False
    assert moved == (after in ROUTING_TABLE[before]), (before, after)
    assert _routing_state(app, routing_id) == (after if moved else before)


#: The partner's buttons and the state each asks for.
PARTNER_ACTIONS = {
    "accepted": ("accepter", {}),
    "declined": ("refuser", {"decline-reason": "no_capacity", "decline-details": "Plus de place."}),
    "closed": ("cloturer", {"close-outcome": "support_given", "close-details": "Suivi terminé."}),
}


@pytest.mark.parametrize(("before", "after"), [(b, a) for b, a in ROUTING_PAIRS if a != "pending"])
def test_routing_states_follow_the_table_through_the_partner_pages(
    world, group_private_key, before, after
):
    app, clients, _arguments = world
    partner = clients["partner_a"]
    routing_id = _routing_in(app, group_private_key, before)
    token = csrf_token(partner.get("/partenaires/").get_data(as_text=True))
    action, data = PARTNER_ACTIONS[after]
    response = partner.post(
        f"/partenaires/dossiers/{routing_id}/{action}", data={"csrf_token": token, **data}
    )
    allowed = after in ROUTING_TABLE[before]
    # 404: a declined case is no longer theirs. A refused change with words typed
    # gives its form back with them (200); a refused button redirects with a message.
    expected = (302, 404) if allowed else ((302, 404) if after == "accepted" else (200, 404))
    assert response.status_code in expected, (before, after)
    assert _routing_state(app, routing_id) == (after if allowed else before), (before, after)
