"""Nothing goes unnoticed (issue 13 §2): the reporter's answer, an association's note
or decision marks a case "to read" for its assignee (for the team when nobody has
it), whatever its status, until staff open it; the queue's views."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.casework import routing, workflow
from portal.extensions import db
from portal.models import Association, Referral, Routing, User
from tests.casework_helpers import ASSOCIATION_A, csrf_token, log_in, make_person
from tests.intake_helpers import (
    FOLLOW_UP_URL,
    REPLY_URL,
    data_key,
    hidden,
    open_form,
    post_referral,
    shown_receipt,
)


def _signed_in(app, group_private_key, clock, role="staff", association=None):
    person = make_person(app, group_private_key, role, association)
    client = app.test_client()
    log_in(client, person, clock)
    return person, client


def _referral(app, public_id: str) -> Referral:
    return db.session.scalars(select(Referral).where(Referral.public_id == public_id)).one()


def _routed_case(app, group_private_key, assignee: User | None):
    """A referral filed on the public form (its code), routed to association A."""
    reporter = app.test_client()
    receipt = shown_receipt(post_referral(reporter, departement="976"))
    with app.app_context():
        referral = db.session.scalars(select(Referral).order_by(Referral.id.desc())).first()
        staff = db.session.scalars(select(User).where(User.role == "staff")).first()
        if assignee is not None:
            workflow.assign(db.session, referral, db.session.get(User, assignee.user_id), staff)
        routing.route(
            db.session,
            referral,
            data_key(referral, group_private_key),
            db.session.scalar(select(Association).where(Association.slug == ASSOCIATION_A)),
            staff,
            lambda routing_id: f"/partenaires/dossiers/{routing_id}",
        )
        db.session.commit()
        return referral.public_id, reporter, receipt


def _count(page: str) -> int:
    match = re.search(r"(\d+) dossiers? à lire", page)
    assert match, "no count of cases to read in the header"
    return int(match.group(1))


def _listed(client, query: str) -> set[str]:
    page = client.get(f"/bo/?departement=976&{query}").get_data(as_text=True)
    return set(re.findall(r'href="/bo/signalements/([^"]+)"', page))


def _reply(reporter, receipt: str, body: str) -> None:
    page = reporter.post(
        FOLLOW_UP_URL["fr"],
        data={"csrf_token": open_form(reporter)["csrf_token"], "receipt": receipt},
    ).get_data(as_text=True)
    response = reporter.post(
        REPLY_URL["fr"],
        data={"csrf_token": hidden(page, "csrf_token"), "receipt": receipt, "body": body},
    )
    assert response.status_code == 200


def test_a_reporter_answer_on_a_routed_case_is_marked_for_its_assignee(
    bo_app, group_private_key, clock
):
    assignee, staff = _signed_in(bo_app, group_private_key, clock)
    _colleague, colleague = _signed_in(bo_app, group_private_key, clock)
    make_person(bo_app, group_private_key, "partner", ASSOCIATION_A)  # a member to route to
    public_id, reporter, receipt = _routed_case(bo_app, group_private_key, assignee)
    mine_before = _count(staff.get("/bo/").get_data(as_text=True))
    theirs_before = _count(colleague.get("/bo/").get_data(as_text=True))

    _reply(reporter, receipt, "Ma sœur est rentrée, elle veut parler à quelqu'un.")
    with bo_app.app_context():
        referral = _referral(bo_app, public_id)
        assert referral.status == "routed" and referral.to_read_since is not None
    page = staff.get("/bo/?departement=976&status=all").get_data(as_text=True)
    row = re.search(rf"{public_id}</a>.*?</tr>", page, re.S).group(0)
    assert "À lire" in row
    assert _count(page) == mine_before + 1
    assert _count(colleague.get("/bo/").get_data(as_text=True)) == theirs_before
    assert public_id in _listed(staff, "status=all&to_read=y")
    assert public_id not in _listed(colleague, "status=all&to_read=y")  # not theirs

    # Opening it reads it, whoever opens it.
    assert colleague.get(f"/bo/signalements/{public_id}").status_code == 200
    assert public_id not in _listed(staff, "status=all&to_read=y")
    assert _count(staff.get("/bo/").get_data(as_text=True)) == mine_before


def test_an_association_s_note_and_decision_mark_an_unassigned_case_for_the_team(
    bo_app, group_private_key, clock
):
    _staff, staff = _signed_in(bo_app, group_private_key, clock)
    _partner, partner = _signed_in(bo_app, group_private_key, clock, "partner", ASSOCIATION_A)
    public_id, _reporter, _receipt = _routed_case(bo_app, group_private_key, None)
    with bo_app.app_context():
        routing_id = db.session.scalar(
            select(Routing.id).join(Referral).where(Referral.public_id == public_id)
        )
    case_url = f"/partenaires/dossiers/{routing_id}"
    assert public_id in _listed(staff, "pending=y")  # routed, not yet accepted
    assert public_id not in _listed(staff, "status=all&to_read=y")

    token = csrf_token(partner.get(case_url).get_data(as_text=True))
    assert partner.post(case_url + "/accepter", data={"csrf_token": token}).status_code == 302
    assert public_id in _listed(staff, "status=all&to_read=y")  # the decision
    assert public_id not in _listed(staff, "pending=y")  # accepted now
    staff.get(f"/bo/signalements/{public_id}")
    assert public_id not in _listed(staff, "status=all&to_read=y")

    token = csrf_token(partner.get(case_url).get_data(as_text=True))
    partner.post(
        case_url + "/notes", data={"csrf_token": token, "note-body": "Premier rendez-vous."}
    )
    assert public_id in _listed(staff, "status=all&to_read=y")  # the note


def test_staff_s_own_writing_marks_nothing_and_to_triage_lists_new_cases(
    bo_app, group_private_key, clock
):
    _staff, staff = _signed_in(bo_app, group_private_key, clock)
    assert post_referral(bo_app.test_client(), departement="976").status_code == 200
    with bo_app.app_context():
        public_id = db.session.scalars(
            select(Referral.public_id).order_by(Referral.id.desc())
        ).first()
    url = f"/bo/signalements/{public_id}"
    token = csrf_token(staff.get(url).get_data(as_text=True))
    staff.post(url + "/notes", data={"csrf_token": token, "note-body": "Vu."})
    assert public_id not in _listed(staff, "status=all&to_read=y")
    assert public_id in _listed(staff, "status=to_triage")
    token = csrf_token(staff.get(url).get_data(as_text=True))
    closing = {"status-status": "closed", "status-closing_reason": "no_follow_up"}
    assert staff.post(url + "/statut", data={"csrf_token": token, **closing}).status_code == 302
    assert public_id not in _listed(staff, "status=to_triage")
