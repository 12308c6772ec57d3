"""Deadlines and reminders (issue 13 §3): working days after France's public holidays,
what each case waits for and by when, the overdue view, and `portal reminders run`
(late answers reminded, the staff's digest once a working day), with the injected
clock, on a database of its own."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from portal.casework import deadlines, routing, workflow
from portal.cli import main
from portal.extensions import db
from portal.models import Association, OutboxEmail, Referral, Routing, StaffDigest, User
from tests.casework_helpers import ASSOCIATION_A, log_in, make_person
from tests.intake_helpers import data_key, post_referral


def test_working_days_skip_weekends_and_public_holidays():
    # Friday 18 December 2026: Christmas (Friday 25) and two weekends are skipped.
    assert deadlines.working_days_after(date(2026, 12, 18), 5) == date(2026, 12, 28)
    assert not deadlines.is_working_day(date(2026, 7, 14))  # Fête nationale
    assert not deadlines.is_working_day(date(2027, 5, 6))  # Ascension 2027
    assert deadlines.is_working_day(date(2027, 5, 7))
    assert deadlines.working_days_after(date(2026, 12, 31), 1) == date(2027, 1, 4)


def _association_a() -> Association:
    return db.session.scalar(select(Association).where(Association.slug == ASSOCIATION_A))


def _newest(app) -> Referral:
    return db.session.scalars(select(Referral).order_by(Referral.id.desc())).first()


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, tzinfo=UTC)


def test_each_wait_has_its_day(keyed_app_of_its_own, clock):
    app, group_key = keyed_app_of_its_own
    make_person(app, group_key, "partner", ASSOCIATION_A)
    assert post_referral(app.test_client()).status_code == 200
    with app.app_context():
        referral = _newest(app)
        received = deadlines.paris_day(referral.created_at)
        assert (referral.due_kind, referral.due_on) == (
            "triage",
            deadlines.working_days_after(received, 5),
        )
        staff = db.session.scalars(
            select(User).where(User.role == "staff")
        ).first() or db.session.get(User, make_person(app, group_key, "staff").user_id)
        key = data_key(referral, group_key)
        workflow.ask_reporter(db.session, referral, key, staff, "Depuis quand ?")
        today = deadlines.paris_day(referral.updated_at)
        assert (referral.due_kind, referral.due_on) == (
            "reporter",
            deadlines.working_days_after(today, 15),
        )
        association = db.session.scalar(
            select(Association).where(Association.slug == ASSOCIATION_A)
        )
        routed = routing.route(db.session, referral, key, association, staff, str)
        assert routed.accept_due == deadlines.working_days_after(today, 10)
        assert (referral.due_kind, referral.due_on) == ("acceptance", routed.accept_due)
        partner = db.session.scalar(select(User).where(User.association_id == association.id))
        routing.accept(db.session, routed, partner)
        assert (referral.due_kind, referral.due_on) == (None, None)  # nobody is waited for
        db.session.commit()


def _late_routing(app, group_key) -> tuple[str, int]:
    """A referral routed to association A, as staff; its reference and routing id."""
    with app.app_context():
        if _association_a().id not in db.session.scalars(select(User.association_id)).all():
            make_person(app, group_key, "partner", ASSOCIATION_A)
    assert post_referral(app.test_client(), departement="976").status_code == 200
    with app.app_context():
        referral = _newest(app)
        staff = db.session.get(User, make_person(app, group_key, "staff").user_id)
        association = db.session.scalar(
            select(Association).where(Association.slug == ASSOCIATION_A)
        )
        routed = routing.route(
            db.session, referral, data_key(referral, group_key), association, staff, str
        )
        db.session.commit()
        return referral.public_id, routed.id


def _queued_since(app, first_id: int) -> list[OutboxEmail]:
    with app.app_context():
        return list(db.session.scalars(select(OutboxEmail).where(OutboxEmail.id > first_id)))


def _last_email_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(OutboxEmail.id).order_by(OutboxEmail.id.desc())) or 0


def test_a_late_answer_is_reminded_and_the_digest_goes_once_a_day(keyed_app_of_its_own, clock):
    app, group_key = keyed_app_of_its_own
    member = make_person(app, group_key, "partner", ASSOCIATION_A)
    public_id, routing_id = _late_routing(app, group_key)
    with app.app_context():
        due = db.session.get(Routing, routing_id).accept_due
    runner = app.test_cli_runner()

    # On the due day itself: not late yet. The day after (a working day): reminded.
    clock.now = _at(due)
    while not deadlines.is_working_day(deadlines.paris_day(clock.now)):
        clock.advance(days=1)
    first = _last_email_id(app)
    result = runner.invoke(main, ["reminders", "run"])
    assert result.exit_code == 0, result.output
    assert all(member.email != e.recipient for e in _queued_since(app, first))
    late_day = deadlines.working_days_after(due, 1)
    clock.now = _at(late_day)
    first = _last_email_id(app)
    result = runner.invoke(main, ["reminders", "run"])
    assert "1 late answers reminded" in result.output
    emails = _queued_since(app, first)
    reminders = [e for e in emails if e.recipient == member.email]
    assert len(reminders) == 1
    assert "attend votre réponse" in reminders[0].subject
    assert f"/partenaires/dossiers/{routing_id}" in reminders[0].body
    assert public_id not in reminders[0].body
    digests = [e for e in emails if "dossiers du jour" in e.subject]
    assert digests and all(re.search(r"En retard : [1-9]", e.body) for e in digests)
    assert all(public_id not in e.body for e in digests)

    # Again the same day, and the next day: nothing more; five working days on: again.
    first = _last_email_id(app)
    assert (
        "0 late answers reminded, digest to 0" in runner.invoke(main, ["reminders", "run"]).output
    )
    assert _queued_since(app, first) == []
    clock.now = _at(deadlines.working_days_after(late_day, 1))
    assert "0 late answers reminded" in runner.invoke(main, ["reminders", "run"]).output
    clock.now = _at(deadlines.working_days_after(late_day, 5))
    assert "1 late answers reminded" in runner.invoke(main, ["reminders", "run"]).output
    with app.app_context():
        assert db.session.get(Routing, routing_id).reminded_on == deadlines.paris_day(clock.now)
        assert db.session.get(StaffDigest, late_day) is not None


def test_no_digest_on_a_day_off(keyed_app_of_its_own, clock):
    app, group_key = keyed_app_of_its_own
    make_person(app, group_key, "staff")
    clock.now = _at(date(2027, 7, 14))  # Fête nationale, a Wednesday
    assert "digest to 0" in app.test_cli_runner().invoke(main, ["reminders", "run"]).output


def test_overdue_cases_are_marked_and_listed(keyed_app_of_its_own, clock):
    app, group_key = keyed_app_of_its_own
    person = make_person(app, group_key, "staff")
    staff = app.test_client()
    log_in(staff, person, clock)
    public_id, _routing_id = _late_routing(app, group_key)
    page = staff.get("/bo/?overdue=y&status=all").get_data(as_text=True)
    assert public_id not in page
    with app.app_context():
        due = _newest(app).due_on
    clock.now = _at(due + timedelta(days=1))
    log_in(staff, person, clock)  # the session would have expired meanwhile
    page = staff.get("/bo/?overdue=y&status=all").get_data(as_text=True)
    assert public_id in page and "En retard depuis" in page
    case = staff.get(f"/bo/signalements/{public_id}").get_data(as_text=True)
    assert "La réponse d’une association est attendue au plus tard le" in case


def test_portal_init_gives_open_cases_their_deadline(keyed_app_of_its_own, clock):
    app, _group_key = keyed_app_of_its_own
    assert post_referral(app.test_client()).status_code == 200
    with app.app_context():
        referral = _newest(app)
        referral.due_on = referral.due_kind = None
        db.session.commit()
        assert deadlines.fill_missing(db.session) == 1
        assert referral.due_kind == "triage" and referral.due_on is not None
        db.session.rollback()
    result = app.test_cli_runner().invoke(main, ["init"])
    assert result.exit_code == 0, result.output
    assert "Deadlines: 1 open cases received theirs" in result.output
