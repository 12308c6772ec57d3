"""Login, sessions, the triage queue, the referral page, routing and the partner space."""

from __future__ import annotations

import dataclasses
import re
import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from portal.casework import workflow
from portal.clock import CLOCK_KEY
from portal.extensions import db
from portal.models import AuditEvent, KeyGrant, Message, Referral, ReferralLink, Routing
from tests.casework_helpers import (
    ASSOCIATION_A,
    ASSOCIATION_B,
    csrf_token,
    log_in,
    make_person,
)
from tests.intake_helpers import (
    FOLLOW_UP_URL,
    open_form,
    post_referral,
    reply_with_a_file,
    shown_receipt,
)


@pytest.fixture
def people(bo_app, group_private_key):
    return {
        "staff": make_person(bo_app, group_private_key, "staff"),
        "admin": make_person(bo_app, group_private_key, "admin"),
        "partner_a": make_person(bo_app, group_private_key, "partner", ASSOCIATION_A),
        "partner_b": make_person(bo_app, group_private_key, "partner", ASSOCIATION_B),
        "disabled": make_person(bo_app, group_private_key, "staff", disabled=True),
    }


def _file_referral(app, **overrides) -> tuple[str, str]:
    """A referral from the public form: (public id, receipt)."""
    client = app.test_client()
    response = post_referral(client, files=[("note.txt", b"Planning des stages")], **overrides)
    assert response.status_code == 200
    with app.app_context():
        referral = db.session.scalars(select(Referral).order_by(Referral.id.desc())).first()
        return referral.public_id, shown_receipt(response)


def _post(client, page_url: str, action: str, data: dict | None = None):
    token = csrf_token(client.get(page_url).get_data(as_text=True))
    return client.post(action, data={"csrf_token": token, **(data or {})})


def _route_to_association_a(app, people, group_private_key, public_id: str, site: str = "") -> int:
    """Route a referral to association A through the service, as staff; the routing's id."""
    from portal.casework import routing
    from portal.models import Association, User
    from tests.intake_helpers import data_key

    with app.app_context():
        referral = db.session.scalar(select(Referral).where(Referral.public_id == public_id))
        routed = routing.route(
            db.session,
            referral,
            data_key(referral, group_private_key),
            db.session.scalar(select(Association).where(Association.slug == ASSOCIATION_A)),
            db.session.get(User, people["staff"].user_id),
            lambda routing_id: f"{site}/partenaires/dossiers/{routing_id}",
        )
        db.session.commit()
        return routed.id


def _audit_actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


# --- login and sessions ---------------------------------------------------------------


def test_login_needs_password_then_totp_and_lands_in_the_queue(bo_app, people, clock):
    client = bo_app.test_client()
    assert client.get("/bo/").status_code == 302
    response = log_in(client, people["staff"], clock)
    assert response.status_code == 302 and response.headers["Location"].endswith("/bo/")
    page = client.get("/bo/")
    assert page.status_code == 200 and "File de tri" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"


def test_a_password_alone_opens_nothing(bo_app, people):
    client = bo_app.test_client()
    page = client.get("/connexion").get_data(as_text=True)
    person = people["staff"]
    client.post(
        "/connexion",
        data={"csrf_token": csrf_token(page), "email": person.email, "password": person.password},
    )
    assert client.get("/bo/").status_code == 302


def test_unknown_account_and_wrong_password_get_the_same_answer(bo_app, people):
    client = bo_app.test_client()
    answers = []
    for email, password in (
        (people["staff"].email, "wrong password!!"),
        ("nobody@example.fr", "wrong password!!"),
    ):
        page = client.get("/connexion").get_data(as_text=True)
        response = client.post(
            "/connexion",
            data={"csrf_token": csrf_token(page), "email": email, "password": password},
        )
        answers.append(
            (
                response.status_code,
                "L’adresse électronique ou le mot de passe est erroné"
                in response.get_data(as_text=True),
            )
        )
    assert answers == [(200, True), (200, True)]
    # What was typed is kept, except the password.
    assert people["staff"].email in client.post(
        "/connexion",
        data={
            "csrf_token": csrf_token(client.get("/connexion").get_data(as_text=True)),
            "email": people["staff"].email,
            "password": "nope nope nope",
        },
    ).get_data(as_text=True)


def test_a_totp_code_is_accepted_once(bo_app, people, clock):
    client = bo_app.test_client()
    assert log_in(client, people["staff"], clock).status_code == 302
    _post(client, "/bo/", "/deconnexion")
    again = log_in(bo_app.test_client(), people["staff"], clock)
    assert again.status_code == 200
    assert "déjà été utilisé" in again.get_data(as_text=True)
    assert log_in(bo_app.test_client(), people["staff"], clock, steps=1).status_code == 302


def test_a_new_session_id_at_login_and_the_old_one_is_dead(bo_app, people, clock):
    client = bo_app.test_client()
    page = client.get("/connexion").get_data(as_text=True)
    person = people["staff"]
    client.post(
        "/connexion",
        data={"csrf_token": csrf_token(page), "email": person.email, "password": person.password},
    )
    before = client.get_cookie("portal-auth").value
    page = client.get("/connexion/activation").get_data(as_text=True)
    client.post(
        "/connexion/activation", data={"csrf_token": csrf_token(page), "code": person.code(clock)}
    )
    after = client.get_cookie("portal-auth").value
    assert before != after
    attacker = bo_app.test_client()
    attacker.set_cookie("portal-auth", before)
    assert attacker.get("/bo/").status_code == 302


def test_sessions_expire_after_30_idle_minutes_and_8_hours_in_all(bo_app, people, clock):
    client = bo_app.test_client()
    log_in(client, people["staff"], clock)
    clock.advance(minutes=29)
    assert client.get("/bo/").status_code == 200
    clock.advance(minutes=31)
    assert client.get("/bo/").status_code == 302

    client = bo_app.test_client()
    log_in(client, people["staff"], clock, steps=1)
    for _ in range(17):  # active every 29 minutes: 8 h 13 min in all
        clock.advance(minutes=29)
        last = client.get("/bo/").status_code
    assert last == 302


def test_logout_destroys_the_session_and_clears_the_browser(bo_app, people, clock):
    client = bo_app.test_client()
    log_in(client, people["staff"], clock)
    cookie = client.get_cookie("portal-auth").value
    response = _post(client, "/bo/", "/deconnexion")
    assert response.headers["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    replay = bo_app.test_client()
    replay.set_cookie("portal-auth", cookie)
    assert replay.get("/bo/").status_code == 302


def test_the_cookie_is_host_only_secure_and_strict_over_https(make_app, group_private_key, clock):
    app = make_app(fast_password_hashing=True, https=True)
    app.extensions[CLOCK_KEY] = clock
    person = make_person(app, group_private_key, "staff")
    client = app.test_client()
    page = client.get("/connexion", base_url="https://localhost").get_data(as_text=True)
    response = client.post(
        "/connexion",
        base_url="https://localhost",
        headers={
            "Origin": "https://localhost",  # as a browser sends on a same-origin post
            "Sec-Fetch-Site": "same-origin",  # as a browser sends on a same-origin post
        },
        data={"csrf_token": csrf_token(page), "email": person.email, "password": person.password},
    )
    header = response.headers["Set-Cookie"]
    assert header.startswith("__Host-portal-auth=")
    for part in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/"):
        assert part in header
    assert "Domain" not in header


def test_repeated_failures_are_throttled(bo_app, people):
    client = bo_app.test_client()
    statuses = []
    for _ in range(7):
        page = client.get("/connexion").get_data(as_text=True)
        statuses.append(
            client.post(
                "/connexion",
                data={
                    "csrf_token": csrf_token(page),
                    "email": people["admin"].email,
                    "password": "not the password",
                },
            ).status_code
        )
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429, 429]
    assert "login.failure" in _audit_actions(bo_app)


def test_a_post_without_csrf_token_is_refused(bo_app, people, clock):
    client = bo_app.test_client()
    log_in(client, people["staff"], clock)
    assert client.post("/deconnexion").status_code == 400


# --- the story ------------------------------------------------------------------------


def test_triage_route_accept_note_and_the_reporter_sees_it(bo_app, people, clock):
    public_id, receipt = _file_referral(bo_app)
    staff = bo_app.test_client()
    log_in(staff, people["staff"], clock)
    assert public_id in staff.get("/bo/").get_data(as_text=True)
    url = f"/bo/signalements/{public_id}"
    page = staff.get(url).get_data(as_text=True)
    assert "Mon frère suit un coach" in page and "Éveil Intérieur" in page
    assert "referral.open" in _audit_actions(bo_app)

    attachment = staff.get(url + "/pieces/" + page.split("/pieces/")[1].split('"')[0])
    assert attachment.data == b"Planning des stages"
    assert attachment.headers["Content-Disposition"].startswith("attachment;")

    _post(staff, url, url + "/prendre")
    _post(staff, url, url + "/messages", {"message-body": "Depuis quand est-ce arrivé ?"})
    with bo_app.app_context():
        referral = db.session.scalar(select(Referral).where(Referral.public_id == public_id))
        assert referral.status == "awaiting_reporter"
        association_id = db.session.scalar(
            select(Routing.association_id).where(Routing.referral_id == referral.id)
        )
        assert association_id is None
    page = staff.get(url).get_data(as_text=True)
    assert "ADFI Bourgogne" in page
    option = page.split('name="route-association"')[1].split("</select>")[0]
    association_value = option.split('value="')[1].split('"')[0]
    response = _post(staff, url, url + "/orientations", {"route-association": association_value})
    assert response.status_code == 302

    partner = bo_app.test_client()
    log_in(partner, people["partner_a"], clock)
    listing = partner.get("/partenaires/").get_data(as_text=True)
    with bo_app.app_context():
        routing = db.session.scalar(select(Routing).order_by(Routing.id.desc()))
    case_url = f"/partenaires/dossiers/{routing.id}"
    assert case_url in listing
    case = partner.get(case_url).get_data(as_text=True)
    assert "Mon frère suit un coach" in case
    assert "est-ce arrivé" not in case  # the reporter thread stays with Miviludes
    _post(partner, case_url, case_url + "/accepter")
    _post(partner, case_url, case_url + "/notes", {"note-body": "Premier contact pris."})
    assert "Premier contact pris." in staff.get(url).get_data(as_text=True)

    other = bo_app.test_client()
    log_in(other, people["partner_b"], clock)
    assert case_url not in other.get("/partenaires/").get_data(as_text=True)
    assert other.get(case_url).status_code == 404

    reporter = bo_app.test_client()
    token = open_form(reporter)["csrf_token"]
    followed = reporter.post(FOLLOW_UP_URL["fr"], data={"csrf_token": token, "receipt": receipt})
    text = followed.get_data(as_text=True)
    assert "Depuis quand est-ce arrivé ?" in text and "association" in text


def test_internal_notes_and_identity_without_consent_stay_with_miviludes(bo_app, people, clock):
    public_id, _ = _file_referral(
        bo_app,
        contact_mode="contact",
        name="Claire Témoin",
        email="claire@example.fr",
        consent_contact="y",
    )
    staff = bo_app.test_client()
    log_in(staff, people["staff"], clock)
    url = f"/bo/signalements/{public_id}"
    assert "Claire Témoin" in staff.get(url).get_data(as_text=True)
    _post(staff, url, url + "/notes", {"note-body": "Note interne confidentielle"})
    page = staff.get(url).get_data(as_text=True)
    value = page.split('name="route-association"')[1].split('value="')[1].split('"')[0]
    _post(staff, url, url + "/orientations", {"route-association": value})
    partner = bo_app.test_client()
    log_in(partner, people["partner_a"], clock)
    with bo_app.app_context():
        routing = db.session.scalar(select(Routing).order_by(Routing.id.desc()))
    case = partner.get(f"/partenaires/dossiers/{routing.id}").get_data(as_text=True)
    assert "Note interne confidentielle" not in case
    assert "Claire Témoin" not in case


def test_decline_returns_the_case_flagged_and_drops_the_grant(bo_app, people, clock):
    public_id, _ = _file_referral(bo_app)
    staff = bo_app.test_client()
    log_in(staff, people["staff"], clock)
    url = f"/bo/signalements/{public_id}"
    page = staff.get(url).get_data(as_text=True)
    value = page.split('name="route-association"')[1].split('value="')[1].split('"')[0]
    _post(staff, url, url + "/orientations", {"route-association": value})
    with bo_app.app_context():
        routing = db.session.scalar(select(Routing).order_by(Routing.id.desc()))
        grants_before = (
            db.session.query(KeyGrant).filter_by(referral_id=routing.referral_id).count()
        )
    partner = bo_app.test_client()
    log_in(partner, people["partner_a"], clock)
    case_url = f"/partenaires/dossiers/{routing.id}"
    empty = _post(partner, case_url, case_url + "/refuser", {"decline-reason": ""})
    assert empty.status_code == 200 and "Choisissez pourquoi" in empty.get_data(as_text=True)
    # "Another reason" needs the association's own words.
    unsaid = _post(partner, case_url, case_url + "/refuser", {"decline-reason": "other"})
    assert unsaid.status_code == 200 and "Dites pourquoi" in unsaid.get_data(as_text=True)
    _post(
        partner,
        case_url,
        case_url + "/refuser",
        {"decline-reason": "other", "decline-details": "Hors de notre champ"},
    )
    with bo_app.app_context():
        referral = db.session.get(Referral, routing.referral_id)
        assert (referral.status, referral.returned) == ("in_triage", True)
        grants = db.session.query(KeyGrant).filter_by(referral_id=referral.id).count()
    assert grants == grants_before - 1
    assert partner.get(case_url).status_code == 404
    assert "Hors de notre champ" in staff.get(url).get_data(as_text=True)


def test_script_payloads_are_shown_escaped(bo_app, people, clock):
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    public_id, _ = _file_referral(
        bo_app, description=payload * 3, organisations=payload, persons=payload
    )
    staff = bo_app.test_client()
    log_in(staff, people["staff"], clock)
    page = staff.get(f"/bo/signalements/{public_id}").get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert" in page


def test_only_allowed_transitions_and_each_is_audited(bo_app, people, clock):
    public_id, _ = _file_referral(bo_app)
    staff = bo_app.test_client()
    log_in(staff, people["staff"], clock)
    url = f"/bo/signalements/{public_id}"
    _post(staff, url, url + "/statut", {"status-status": "routed"})
    _post(staff, url, url + "/statut", {"status-status": "closed"})  # no reason given
    with bo_app.app_context():
        referral = db.session.scalar(select(Referral).where(Referral.public_id == public_id))
        assert referral.status == "new"
    _post(
        staff,
        url,
        url + "/statut",
        {"status-status": "closed", "status-closing_reason": "support_given"},
    )
    with bo_app.app_context():
        referral = db.session.scalar(select(Referral).where(Referral.public_id == public_id))
        assert (referral.status, referral.closing_reason) == ("closed", "support_given")
        with pytest.raises(workflow.TransitionRefused):
            workflow.change_status(db.session, referral, "routed", "test")


def _status_of(app, public_id: str) -> tuple[str, str | None]:
    with app.app_context():
        referral = db.session.scalar(select(Referral).where(Referral.public_id == public_id))
        return referral.status, referral.closing_reason


def test_closing_as_a_duplicate_names_the_original_and_links_them(bo_app, people, clock):
    original, _ = _file_referral(bo_app)
    repeat, _ = _file_referral(bo_app)
    staff = bo_app.test_client()
    log_in(staff, people["staff"], clock)
    url = f"/bo/signalements/{repeat}"
    closing = {"status-status": "closed", "status-closing_reason": "duplicate"}
    for original_given, error in [
        ("", "Indiquez la référence de la saisine que celle-ci répète."),
        ("pas une référence", "Une référence s’écrit comme 2026-7K3PQ0."),
        ("1999-ZZZZZZ", "Aucune autre saisine n’a cette référence."),
        (repeat, "Aucune autre saisine n’a cette référence."),
    ]:
        refused = _post(staff, url, url + "/statut", {**closing, "status-original": original_given})
        assert refused.status_code == 200
        page = refused.get_data(as_text=True)
        assert error in page and f'value="{original_given.upper()}"' in page  # what was typed
        assert _status_of(bo_app, repeat) == ("new", None)
    done = _post(staff, url, url + "/statut", {**closing, "status-original": original.lower()})
    assert done.status_code == 302
    assert _status_of(bo_app, repeat) == ("closed", "duplicate")
    # Each page names the other, the way round it is.
    assert re.search(
        rf"{original}</a> – Cette saisine la répète \(doublon\)",
        staff.get(url).get_data(as_text=True),
    )
    assert re.search(
        rf"{repeat}</a> – Répète cette saisine \(doublon\)",
        staff.get(f"/bo/signalements/{original}").get_data(as_text=True),
    )


def test_related_referrals_are_linked_once_from_either_page(bo_app, people, clock):
    first, _ = _file_referral(bo_app)
    second, _ = _file_referral(bo_app)
    staff = bo_app.test_client()
    log_in(staff, people["staff"], clock)
    url = f"/bo/signalements/{first}"
    refused = _post(staff, url, url + "/liens", {"link-reference": first})
    assert "Aucune autre saisine n’a cette référence." in refused.get_data(as_text=True)
    for page, other in [(first, second), (second, first)]:
        page_url = f"/bo/signalements/{page}"
        assert (
            _post(staff, page_url, page_url + "/liens", {"link-reference": other}).status_code
            == 302
        )
    with bo_app.app_context():
        links = db.session.scalars(
            select(ReferralLink)
            .join(Referral, Referral.id == ReferralLink.referral_id)
            .where(Referral.public_id.in_([first, second]))
        ).all()
        assert [link.kind for link in links] == ["related"]
        events = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "referral.link", AuditEvent.target == f"referral:{first}"
            )
        ).all()
        assert len(events) == 1
    assert re.search(rf"{second}</a> – Liée", staff.get(url).get_data(as_text=True))


def test_two_people_taking_the_same_referral_at_once_one_wins(bo_app, people):
    public_id, _ = _file_referral(bo_app)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def take(user_id: int) -> None:
        with bo_app.app_context():
            from portal.models import User

            referral = db.session.scalar(select(Referral).where(Referral.public_id == public_id))
            user = db.session.get(User, user_id)
            barrier.wait()
            try:
                workflow.take(db.session, referral, user)
                db.session.commit()
                outcomes.append("took")
            except workflow.AlreadyTaken:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=take, args=(people[name].user_id,)) for name in ("staff", "admin")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "took"]


def test_the_queue_pages_by_keyset_urgent_first_without_repeats(bo_app, people, clock):
    from portal.backoffice.services import QueueFilters, queue_page

    for index in range(5):
        _file_referral(bo_app, immediate_danger="y" if index % 2 else None)
    with bo_app.app_context():
        seen, cursor = [], None
        while True:
            page = queue_page(
                db.session,
                QueueFilters(status="all"),
                people["staff"].user_id,
                date.today(),
                cursor,
                size=2,
            )
            seen.extend(page.referrals)
            cursor = page.next_cursor
            if cursor is None:
                break
        ids = [referral.id for referral in seen]
        assert len(ids) == len(set(ids))
        flags = [referral.urgent for referral in seen]
        assert flags == sorted(flags, reverse=True)
        urgent = [r for r in seen if r.urgent]
        assert [r.created_at for r in urgent] == sorted(r.created_at for r in urgent)


def test_a_message_is_stored_encrypted(bo_app, people, clock):
    public_id, _ = _file_referral(bo_app)
    staff = bo_app.test_client()
    log_in(staff, people["staff"], clock)
    url = f"/bo/signalements/{public_id}"
    _post(staff, url, url + "/messages", {"message-body": "Question très particulière"})
    with bo_app.app_context():
        bodies = db.session.scalars(select(Message.body)).all()
    assert all("particulière".encode() not in body for body in bodies)


def test_an_empty_message_is_refused_and_keeps_nothing_lost(bo_app, people, clock):
    public_id, _ = _file_referral(bo_app)
    staff = bo_app.test_client()
    log_in(staff, people["staff"], clock)
    url = f"/bo/signalements/{public_id}"
    response = _post(
        staff, url, url + "/parquet", {"prosecutor-date": "", "prosecutor-reference": "PQ-2026-77"}
    )
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "PQ-2026-77" in text and "Indiquez la date" in text


def test_status_counts_follow_every_change(bo_app, people, group_private_key, clock):
    """The queue reads kept counts, not a count of every row; each operation that adds
    a referral or changes a status must keep them equal to the real count."""
    from portal.casework import routing, status_counts
    from portal.models import Association, User
    from tests.intake_helpers import data_key

    def assert_counts_true() -> None:
        kept = {status: n for status, n in status_counts.current(db.session).items() if n}
        assert kept == status_counts.counted(db.session)

    public_id, _ = _file_referral(bo_app)
    with bo_app.app_context():
        assert_counts_true()
        referral = db.session.scalar(select(Referral).where(Referral.public_id == public_id))
        staff = db.session.get(User, people["staff"].user_id)
        partner = db.session.get(User, people["partner_a"].user_id)
        key = data_key(referral, group_private_key)
        steps = [
            lambda: workflow.take(db.session, referral, staff),
            lambda: workflow.ask_reporter(db.session, referral, key, staff, "Une question ?"),
            lambda: workflow.change_status(db.session, referral, "in_triage", "reporter"),
            lambda: routing.route(
                db.session,
                referral,
                key,
                db.session.scalar(select(Association).where(Association.slug == ASSOCIATION_A)),
                staff,
                lambda routing_id: f"/partenaires/dossiers/{routing_id}",
            ),
            lambda: routing.decline(
                db.session,
                db.session.scalar(select(Routing).where(Routing.referral_id == referral.id)),
                key,
                partner,
                "out_of_area",
                "Hors zone.",
            ),
            lambda: workflow.change_status(
                db.session, referral, "closed", staff.actor, closing_reason="answered"
            ),
            lambda: workflow.change_status(db.session, referral, "in_triage", staff.actor),
        ]
        for step in steps:
            step()
            db.session.commit()
            assert_counts_true()
        with pytest.raises(workflow.TransitionRefused):  # a refused change counts nothing
            workflow.change_status(db.session, referral, "new", staff.actor)
        db.session.rollback()
        assert_counts_true()


def test_the_date_filter_counts_days_in_french_time(bo_app, people, clock):
    """00:30 in Paris on 1 March is still 29 February in UTC: staff filter by the day
    they see on the page."""
    from datetime import UTC, datetime

    public_id, _ = _file_referral(bo_app)
    with bo_app.app_context():
        referral = db.session.scalar(select(Referral).where(Referral.public_id == public_id))
        referral.created_at = datetime(2020, 2, 29, 23, 30, tzinfo=UTC)
        db.session.commit()
    client = bo_app.test_client()
    log_in(client, people["staff"], clock)

    def listed(first: str, last: str) -> bool:
        query = f"/bo/?status=all&date_from={first}&date_to={last}"
        return public_id in client.get(query).get_data(as_text=True)

    assert listed("2020-03-01", "2020-03-01")
    assert not listed("2020-02-29", "2020-02-29")


def test_suggestions_go_from_departement_to_region_to_national_by_domain(bo_app):
    from portal.casework.routing import suggest_associations
    from portal.models import Association, AssociationCoverage

    with bo_app.app_context():
        only_dijon = Association(
            slug="test-only-21", name="AAA Côte-d'Or", domains="alternative_therapies"
        )
        db.session.add(only_dijon)
        db.session.flush()
        db.session.add(AssociationCoverage(association_id=only_dijon.id, departement_code="21"))
        db.session.flush()

        def suggested(departement: str, region: str | None, domain: str) -> list[tuple]:
            place = Referral(id=-1, departement=departement, region_code=region, domain=domain)
            return [(s.association.slug, s.match) for s in suggest_associations(db.session, place)]

        nationals = sorted(
            db.session.scalars(select(Association).where(Association.national.is_(True))),
            key=lambda association: association.name,
        )
        national = [(association.slug, "national") for association in nationals]
        assert suggested("21", "27", "alternative_therapies") == [
            ("test-only-21", "departement"),
            (ASSOCIATION_A, "departement"),
            *national,
        ]
        assert suggested("25", "27", "alternative_therapies") == [
            (ASSOCIATION_A, "departement"),
            ("test-only-21", "region"),
            *national,
        ]
        # A domain the association does not handle; a place no association covers.
        assert suggested("21", "27", "religious_movements") == [
            (ASSOCIATION_A, "departement"),
            *national,
        ]
        assert suggested("abroad", None, "alternative_therapies") == national
        db.session.rollback()


def test_routing_notifies_each_member_with_a_link_and_no_content(bo_app, people, group_private_key):
    import io

    from portal.models import Association, OutboxEmail, User
    from portal.records import outbox

    public_id, _ = _file_referral(bo_app, description="Le coach Marqueur-Unique-77 recrute.")
    with bo_app.app_context():
        outbox.deliver_pending(db.session, "", "portal@example.fr", console=io.StringIO())
        db.session.commit()
    routing_id = _route_to_association_a(
        bo_app, people, group_private_key, public_id, site="https://portal.example"
    )
    with bo_app.app_context():
        association = db.session.scalar(
            select(Association).where(Association.slug == ASSOCIATION_A)
        )
        queued = db.session.scalars(
            select(OutboxEmail).where(
                OutboxEmail.sent_at.is_(None), OutboxEmail.attempts < outbox.MAX_ATTEMPTS
            )
        ).all()
        members = db.session.scalars(
            select(User.email).where(User.association_id == association.id, ~User.disabled)
        ).all()
        assert sorted(email.recipient for email in queued) == sorted(members)
        email = next(e for e in queued if e.recipient == people["partner_a"].email)
        assert email.subject == (
            "Miviludes : un dossier a été orienté vers votre association / "
            "Miviludes: a case was routed to your association"
        )
        assert "Connectez-vous pour le consulter" in email.body
        assert "Log in to read it" in email.body
        assert f"https://portal.example/partenaires/dossiers/{routing_id}" in email.body
        assert "Marqueur-Unique-77" not in email.body and public_id not in email.body

        console = io.StringIO()
        assert outbox.deliver_pending(db.session, "", "portal@example.fr", console) == (
            len(queued),
            0,
        )
        assert f"to {people['partner_a'].email}" in console.getvalue()
        db.session.commit()


def test_the_outbox_keeps_failures_for_the_retry_command(bo_app, monkeypatch):
    import io

    from portal.cli import main
    from portal.models import OutboxEmail
    from portal.records import outbox

    with bo_app.app_context():
        outbox.deliver_pending(db.session, "", "portal@example.fr", console=io.StringIO())
        email_id = outbox.queue_email(db.session, "membre@example.fr", "Sujet", "Corps").id
        db.session.commit()
        closed_port = "smtp://127.0.0.1:1"  # nothing listens there: connection refused
        assert outbox.deliver_pending(db.session, closed_port, "portal@example.fr") == (0, 1)
        db.session.commit()
        email = db.session.get(OutboxEmail, email_id)
        assert (email.sent_at, email.attempts) == (None, 1)
        assert email.last_error == "ConnectionRefusedError"

    runner = bo_app.test_cli_runner()
    bo_app.extensions["portal.config"] = dataclasses.replace(
        bo_app.extensions["portal.config"], smtp_url=closed_port
    )
    failed = runner.invoke(main, ["outbox", "send"])
    assert failed.exit_code == 1 and "0 sent, 1 failed" in failed.output

    sent_messages = []

    class RecordingServer:
        def send_message(self, message):
            sent_messages.append(message)

        def quit(self):
            pass

    monkeypatch.setattr(outbox, "_smtp", lambda url: RecordingServer())
    retried = runner.invoke(main, ["outbox", "send"])
    assert retried.exit_code == 0 and "1 sent, 0 failed" in retried.output
    assert [(m["To"], m["Subject"]) for m in sent_messages] == [("membre@example.fr", "Sujet")]
    with bo_app.app_context():
        email = db.session.get(OutboxEmail, email_id)
        assert email.sent_at is not None and email.attempts == 3 and email.last_error == ""


def test_withdrawing_a_routing_takes_the_case_back_from_the_association(
    bo_app, people, group_private_key, clock
):
    from portal.models import Association, KeyGroup

    public_id, _ = _file_referral(bo_app)
    other_id, _ = _file_referral(bo_app)
    routing_id = _route_to_association_a(bo_app, people, group_private_key, public_id)
    with bo_app.app_context():
        referral_id = db.session.scalar(select(Referral.id).where(Referral.public_id == public_id))
        group_id = db.session.scalar(
            select(KeyGroup.id)
            .join(Association, Association.id == KeyGroup.association_id)
            .where(Association.slug == ASSOCIATION_A)
        )
    partner = bo_app.test_client()
    log_in(partner, people["partner_a"], clock)
    assert partner.get(f"/partenaires/dossiers/{routing_id}").status_code == 200

    staff = bo_app.test_client()
    log_in(staff, people["staff"], clock)
    page = f"/bo/signalements/{public_id}"
    # The routing must belong to the referral named in the address.
    wrong = _post(staff, page, f"/bo/signalements/{other_id}/orientations/{routing_id}/retrait")
    assert wrong.status_code == 404
    response = _post(staff, page, f"/bo/signalements/{public_id}/orientations/{routing_id}/retrait")
    assert response.status_code == 302
    with bo_app.app_context():
        assert db.session.get(Routing, routing_id) is None
        assert db.session.get(KeyGrant, (referral_id, group_id)) is None
        assert db.session.get(Referral, referral_id).status == "in_triage"
    assert "routing.withdraw" in _audit_actions(bo_app)
    assert partner.get(f"/partenaires/dossiers/{routing_id}").status_code == 404


# --- attachments: who lists them, how they are served ---------------------------------


def test_files_of_the_reporters_replies_stay_in_the_thread(
    bo_app, people, clock, group_private_key
):
    public_id, receipt = _file_referral(bo_app)
    routing_id = _route_to_association_a(bo_app, people, group_private_key, public_id)
    thread_file = reply_with_a_file(bo_app, receipt, "convocation.txt", b"Convocation THREAD")

    partner = bo_app.test_client()
    log_in(partner, people["partner_a"], clock)
    case_url = f"/partenaires/dossiers/{routing_id}"
    case = partner.get(case_url).get_data(as_text=True)
    assert "note.txt" in case and "convocation.txt" not in case and thread_file not in case
    assert partner.get(f"{case_url}/pieces/{thread_file}").status_code == 404

    staff = bo_app.test_client()
    log_in(staff, people["staff"], clock)
    url = f"/bo/signalements/{public_id}"
    assert "convocation.txt" in staff.get(url).get_data(as_text=True)
    download = staff.get(f"{url}/pieces/{thread_file}")
    assert download.status_code == 200 and download.data == b"Convocation THREAD"


def _pdf() -> bytes:
    import io

    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS="app.alert(1)")
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("keep_original", "disposition"), [(None, "inline;"), ("y", "attachment;")]
)
def test_a_pdf_is_shown_inline_only_once_cleaned_and_always_sandboxed(
    bo_app, people, clock, keep_original, disposition
):
    client = bo_app.test_client()
    response = post_referral(client, files=[("lettre.pdf", _pdf())], keep_original=keep_original)
    assert response.status_code == 200
    staff = bo_app.test_client()
    log_in(staff, people["staff"], clock)
    with bo_app.app_context():
        public_id = db.session.scalar(select(Referral.public_id).order_by(Referral.id.desc()))
    url = f"/bo/signalements/{public_id}"
    page = staff.get(url).get_data(as_text=True)
    download = staff.get(url + "/pieces/" + page.split("/pieces/")[1].split('"')[0])
    assert download.headers["Content-Disposition"].startswith(disposition)
    assert download.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert (b"/JavaScript" in download.data) == (keep_original is not None)


def test_the_link_in_the_routing_e_mail_ignores_a_forged_host(make_app, group_private_key, clock):
    """The link comes from PORTAL_BASE_URL, whatever ``Host`` the request carried."""
    from portal.models import OutboxEmail

    app = make_app(fast_password_hashing=True, base_url="https://signalement.example.fr")
    app.extensions[CLOCK_KEY] = clock
    staff_person = make_person(app, group_private_key, "staff")
    make_person(app, group_private_key, "partner", ASSOCIATION_A)
    public_id, _ = _file_referral(app)
    staff = app.test_client()
    log_in(staff, staff_person, clock)
    url = f"/bo/signalements/{public_id}"
    page = staff.get(url).get_data(as_text=True)
    value = page.split('name="route-association"')[1].split('value="')[1].split('"')[0]
    with app.app_context():
        before = db.session.scalar(select(func.max(OutboxEmail.id))) or 0
    # The browser of someone reaching the server under another name: same cookies.
    for name in ("portal", "portal-auth"):
        cookie = staff.get_cookie(name)
        staff.set_cookie(name, cookie.value, domain="evil.example")
    response = staff.post(
        url + "/orientations",
        data={"csrf_token": csrf_token(page), "route-association": value},
        headers={"Host": "evil.example"},
    )
    assert response.status_code == 302
    with app.app_context():
        bodies = db.session.scalars(select(OutboxEmail.body).where(OutboxEmail.id > before)).all()
    assert bodies and all(
        "https://signalement.example.fr/partenaires/dossiers/" in b for b in bodies
    )
    assert not any("evil.example" in body for body in bodies)
