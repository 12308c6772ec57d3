"""The statistics: figures equal a plain recount, on both backends, without opening a
single ciphertext; periods follow Paris time; the page and its exports."""

from __future__ import annotations

import csv
import io
import json
import random
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from statistics import median as plain_median

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import select

import crypto
from portal.extensions import db
from portal.models import Association, AuditEvent, PublishedFigures, Referral, Routing, User
from portal.statistics.calendar import STATISTICS_ZONE, Period, month_of
from portal.statistics.counts import count_activity, median
from portal.statistics.publication import SMALL_CELL, suppressed
from portal.vocabulary import CLOSING_REASON_LABELS, DECLINE_REASON_LABELS, DOMAIN_TREE
from tests.casework_helpers import ASSOCIATION_A, ASSOCIATION_B, csrf_token

#: Years no other test writes in: the test database is shared by the whole run.
YEAR = 2041
KINDS = ("report", "opinion")
ROLES = ("relative", "person_concerned", "professional_health", "witness")
STATUSES = ("new", "in_triage", "routed", "transmitted_to_prosecutor", "closed")
PLACES = (("21", "27"), ("35", "53"), ("2A", "94"), ("971", "01"), ("abroad", None))


def test_median_of_a_histogram():
    assert median({}) is None
    assert median({4: 1}) == 4
    assert median({1: 1, 3: 1}) == 2
    assert median({0: 3, 10: 1}) == 0
    assert median({2: 2, 7: 2}) == 4.5
    values = [random.Random(7).randint(0, 60) for _ in range(501)]
    assert median(Counter(values)) == plain_median(values)


def test_periods_are_whole_days_in_paris_time():
    year = Period.year(2026)
    assert year.start == datetime(2025, 12, 31, 23, 0, tzinfo=UTC)
    assert year.end == datetime(2026, 12, 31, 23, 0, tzinfo=UTC)
    assert year.previous() == Period.year(2025)
    assert len(year.months()) == 12
    summer = Period(date(2026, 7, 1), date(2026, 7, 10))
    assert summer.previous() == Period(date(2026, 6, 21), date(2026, 6, 30))
    assert summer.start == datetime(2026, 6, 30, 22, 0, tzinfo=UTC)  # summer time
    assert Period(date(2026, 11, 20), date(2027, 2, 3)).months() == [
        "2026-11",
        "2026-12",
        "2027-01",
        "2027-02",
    ]
    with pytest.raises(ValueError):
        Period(date(2026, 2, 1), date(2026, 1, 31))
    # Half past midnight on New Year's Day in Paris is still the old year in UTC.
    assert month_of(datetime(2025, 12, 31, 23, 30, tzinfo=UTC)) == "2026-01"


def _referral(rng: random.Random, created: datetime, **values) -> Referral:
    departement, region = rng.choice(PLACES)
    status = values.pop("status", rng.choice(STATUSES))
    first_action = None if status == "new" else created + timedelta(days=rng.randint(0, 9))
    fields = {
        "public_id": f"ST-{uuid.uuid4().hex[:12]}",
        "kind": rng.choice(KINDS),
        "status": status,
        "reporter_role": rng.choice(ROLES),
        "domain": rng.choice(list(DOMAIN_TREE)),
        "departement": departement,
        "region_code": region,
        "minor_involved": rng.choice(("yes", "no", "unknown")),
        "health_risk": rng.random() < 0.3,
        "urgent": rng.random() < 0.1,
        "created_at": created,
        "updated_at": created,
        "month": month_of(created),
        "first_action_at": first_action,
        "closed_at": first_action + timedelta(days=rng.randint(0, 40))
        if status == "closed"
        else None,
        "closing_reason": rng.choice(("answered", "no_follow_up")) if status == "closed" else None,
        "prosecutor_date": (created + timedelta(days=3)).date()
        if status == "transmitted_to_prosecutor"
        else None,
        "lookup_token": uuid.uuid4().bytes * 2,
        "reporter_wrapped_key": b"not a key",
        "document": b"not a ciphertext",
    }
    fields.update(values)
    return Referral(**fields)


@pytest.fixture(scope="module")
def counted(world):
    """Referrals of 2041 (and three just around it) written straight into the database,
    with routings to two associations; returns them for the recount."""
    app, _clients, arguments = world
    rng = random.Random(2041)
    with app.app_context():
        staff = db.session.get(User, arguments["user_ids"]["staff"])
        associations = [
            db.session.scalar(select(Association).where(Association.slug == slug))
            for slug in (ASSOCIATION_A, ASSOCIATION_B)
        ]
        start = datetime(YEAR, 1, 1, tzinfo=STATISTICS_ZONE).astimezone(UTC)
        referrals = [
            _referral(rng, start + timedelta(minutes=rng.randint(0, 364 * 24 * 60)))
            for _ in range(300)
        ]
        # The edges: 00:30 on 1 January in Paris is 2041 (23:30 UTC the day before);
        # 00:30 on 1 January 2042 in Paris is not, nor is 23:30 on 31 December 2040.
        edges = [
            _referral(rng, datetime(YEAR - 1, 12, 31, 23, 30, tzinfo=UTC), status="new"),
            _referral(rng, datetime(YEAR, 12, 31, 23, 30, tzinfo=UTC), status="new"),
            _referral(rng, datetime(YEAR - 1, 12, 31, 22, 30, tzinfo=UTC), status="new"),
        ]
        db.session.add_all(referrals + edges)
        db.session.flush()
        routings = []
        for referral in referrals:
            if referral.status != "routed":
                continue
            status = rng.choice(("pending", "accepted", "declined", "closed"))
            responded = referral.created_at + timedelta(days=rng.randint(0, 12))
            routings.append(
                Routing(
                    referral_id=referral.id,
                    association_id=rng.choice(associations).id,
                    status=status,
                    routed_by_id=staff.id,
                    created_at=referral.created_at,
                    updated_at=referral.created_at,
                    responded_at=None if status == "pending" else responded,
                    closed_at=responded + timedelta(days=rng.randint(1, 30))
                    if status == "closed"
                    else None,
                    decline_reason=rng.choice(list(DECLINE_REASON_LABELS))
                    if status == "declined"
                    else None,
                    outcome=rng.choice(list(CLOSING_REASON_LABELS)) if status == "closed" else None,
                )
            )
        db.session.add_all(routings)
        db.session.commit()
        association_ids = [association.id for association in associations]
        in_year = [*referrals, edges[0]]
        rows = [
            {column: getattr(referral, column) for column in ("id", *RECOUNTED, "created_at")}
            | {
                "first_action_at": referral.first_action_at,
                "closed_at": referral.closed_at,
                "prosecutor_date": referral.prosecutor_date,
            }
            for referral in in_year
        ]
        routing_rows = [
            {
                "association_id": routing.association_id,
                "status": routing.status,
                "created_at": routing.created_at,
                "responded_at": routing.responded_at,
                "closed_at": routing.closed_at,
                "decline_reason": routing.decline_reason,
                "outcome": routing.outcome,
            }
            for routing in routings
        ]
    return app, rows, routing_rows, association_ids


RECOUNTED = (
    "kind",
    "domain",
    "reporter_role",
    "minor_involved",
    "status",
    "closing_reason",
    "region_code",
    "departement",
    "health_risk",
    "urgent",
)


def _days(start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds() // 86400)


def test_the_figures_equal_a_plain_recount(counted, monkeypatch):
    """Every figure against Python counting the same rows; nothing may be decrypted."""
    app, rows, routing_rows, association_ids = counted
    for name in ("open_chunks", "open_grant", "open_item", "open_secret", "open_text"):
        monkeypatch.setattr(crypto, name, _no_decryption)
    with app.app_context():
        figures = count_activity(db.session, Period.year(YEAR))
    assert figures.total == len(rows) == 301
    assert figures.by_kind == Counter(row["kind"] for row in rows)
    assert figures.by_domain == Counter(row["domain"] for row in rows)
    assert figures.by_family == Counter(DOMAIN_TREE[row["domain"]].family for row in rows)
    assert figures.by_reporter_role == Counter(row["reporter_role"] for row in rows)
    assert figures.by_minor == Counter(row["minor_involved"] for row in rows)
    assert figures.by_status == Counter(row["status"] for row in rows)
    assert figures.by_closing_reason == Counter(
        row["closing_reason"] for row in rows if row["status"] == "closed"
    )
    made_in_year = [
        r for r in routing_rows if r["created_at"].astimezone(STATISTICS_ZONE).year == YEAR
    ]
    assert figures.by_decline_reason == Counter(
        r["decline_reason"] for r in made_in_year if r["status"] == "declined"
    )
    assert figures.by_routing_outcome == Counter(
        r["outcome"] for r in made_in_year if r["status"] == "closed"
    )
    assert sum(figures.by_decline_reason.values()) > 0
    assert figures.by_region == Counter(row["region_code"] for row in rows)
    assert figures.by_departement == Counter(row["departement"] for row in rows)
    assert figures.health_risk == sum(row["health_risk"] for row in rows)
    assert figures.immediate_danger == sum(row["urgent"] for row in rows)
    months = Counter(month_of(row["created_at"]) for row in rows)
    assert figures.by_month == {
        f"{YEAR}-{month:02d}": months[f"{YEAR}-{month:02d}"] for month in range(1, 13)
    }
    assert sum(figures.by_month.values()) == figures.total
    assert figures.by_month[f"{YEAR}-01"] >= 1  # the New Year's edge is in January
    assert figures.prosecutor_transmissions == sum(
        1
        for row in rows
        if row["prosecutor_date"]
        and date(YEAR, 1, 1) <= row["prosecutor_date"] <= date(YEAR, 12, 31)
    )
    assert figures.days_to_first_action.median == plain_median(
        [_days(row["created_at"], row["first_action_at"]) for row in rows if row["first_action_at"]]
    )
    assert figures.days_to_closing.median == plain_median(
        [_days(row["created_at"], row["closed_at"]) for row in rows if row["closed_at"]]
    )
    by_association = {figures.association_id: figures for figures in figures.associations}
    assert set(by_association) == set(association_ids)
    for association_id in association_ids:
        own = [row for row in routing_rows if row["association_id"] == association_id]
        found = by_association[association_id]
        assert found.by_status == Counter(row["status"] for row in own)
        assert found.accepted == sum(row["status"] in ("accepted", "closed") for row in own)
        accepted = [
            _days(row["created_at"], row["responded_at"])
            for row in own
            if row["status"] in ("accepted", "closed")
        ]
        assert found.days_to_accept.median == (plain_median(accepted) if accepted else None)
        closed = [_days(row["created_at"], row["closed_at"]) for row in own if row["closed_at"]]
        assert found.days_to_close.median == (plain_median(closed) if closed else None)


def _no_decryption(*args, **kwargs):
    raise AssertionError("the statistics opened a ciphertext")


def test_a_period_of_days_and_its_comparison(counted):
    app, rows, _routing_rows, _ids = counted
    period = Period(date(YEAR, 3, 1), date(YEAR, 4, 15))
    with app.app_context():
        figures = count_activity(db.session, period)
        before = count_activity(db.session, period.previous())
    inside = [row for row in rows if period.start <= row["created_at"] < period.end]
    earlier = period.previous()
    assert figures.total == len(inside)
    assert before.total == sum(earlier.start <= row["created_at"] < earlier.end for row in rows)
    assert list(figures.by_month) == [f"{YEAR}-03", f"{YEAR}-04"]


def test_a_partner_s_own_figures_count_only_what_was_routed_to_it(counted):
    app, _rows, routing_rows, association_ids = counted
    with app.app_context():
        figures = count_activity(db.session, Period.year(YEAR), association_id=association_ids[0])
    own = [row for row in routing_rows if row["association_id"] == association_ids[0]]
    assert [found.association_id for found in figures.associations] == [association_ids[0]]
    assert figures.associations[0].routed == len(own)
    assert figures.total == len(own)  # one routing per referral in this data


def _staff_client(world, role="staff"):
    _app, clients, _arguments = world
    return clients[role]


@pytest.mark.parametrize("role", ["staff", "admin", "analyst"])
def test_the_statistics_page_shows_the_tables_and_charts(counted, world, role):
    client = _staff_client(world, role)
    page = client.get(f"/bo/statistiques/?year={YEAR}").get_data(as_text=True)
    assert "Statistiques" in page or "Statistics" in page
    assert 'id="families"' in page and 'id="departements"' in page
    assert 'id="decline_reasons"' in page and 'id="routing_outcomes"' in page
    assert "<svg" in page and 'role="img"' in page
    assert page.count("portal-map__metropole") == 2  # regions and départements
    assert "<polyline" in page  # the months, as a line
    assert "301" in page
    assert "<script" not in page.split("</main>")[0].split("<main")[1]


def test_an_analyst_sees_no_case(world):
    _app, clients, arguments = world
    analyst = clients["analyst"]
    assert analyst.get("/bo/").status_code == 403
    assert analyst.get(f"/bo/signalements/{arguments['public_id']}").status_code == 403
    assert analyst.get("/partenaires/").status_code == 403
    menu = analyst.get("/bo/statistiques/").get_data(as_text=True)
    assert "/bo/statistiques/" in menu and 'href="/bo/"' not in menu


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (f"date_from={YEAR}-05-01&date_to={YEAR}-04-01", "avant"),
        (f"date_from={YEAR}-05-01", "les deux dates"),
        ("date_from=2041-13-45&date_to=2041-12-31", "date"),
        ("year=1850", "choix"),
        ("date_from=1800-01-01&date_to=1801-01-01", "entre"),
    ],
)
def test_a_wrong_period_is_explained_and_this_year_shown(world, query, message):
    client = _staff_client(world)
    response = client.get(f"/bo/statistiques/?{query}", headers={"Accept-Language": "fr"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "fr-message--error" in page
    assert message in page.lower()


def test_the_csv_export_opens_in_a_french_spreadsheet_and_is_audited(counted, world):
    app, rows, _routing_rows, _ids = counted
    client = _staff_client(world, "analyst")
    response = client.get(f"/bo/statistiques/export.csv?year={YEAR}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert f"{YEAR}" in lines[0][0] and len(lines[1]) == 1
    saisines = next(line for line in lines if line and line[0].startswith("Saisines ("))
    assert saisines[1] == str(len(rows))
    shares = [line[2] for line in lines if len(line) == 4 and "," in line[2]]
    assert shares, "shares are written with a decimal comma"
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "statistics.export")
            .order_by(AuditEvent.id.desc())
        ).first()
    assert event is not None


def test_the_xlsx_export_reads_back_with_its_numbers(counted, world):
    _app, rows, _routing_rows, _ids = counted
    client = _staff_client(world)
    response = client.get(f"/bo/statistiques/export.xlsx?year={YEAR}")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.get_data()))
    assert {"totals", "families", "domains", "departements", "months"} <= set(workbook.sheetnames)
    totals = [row for row in workbook["totals"].iter_rows(values_only=True) if row[0]]
    assert any(row[1] == len(rows) for row in totals if len(row) > 1)
    months = [row for row in workbook["months"].iter_rows(values_only=True)]
    assert sum(row[1] for row in months if row[0] and str(row[0]).startswith(f"{YEAR}-")) == len(
        rows
    )


def test_a_partner_sees_its_own_figures_and_no_one_else_s(counted, world):
    _app, _rows, routing_rows, association_ids = counted
    _app, clients, _arguments = world
    own = [row for row in routing_rows if row["association_id"] == association_ids[0]]
    other = [row for row in routing_rows if row["association_id"] == association_ids[1]]
    assert len(own) != len(other)
    page = clients["partner_a"].get(f"/partenaires/chiffres?year={YEAR}").get_data(as_text=True)
    routed = page.split('id="routings"')[1].split("</tr>")[1]
    assert f"<td>{len(own)}</td>" in routed
    response = clients["partner_b"].get(f"/partenaires/chiffres/export.csv?year={YEAR}")
    lines = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig")), delimiter=";"))
    routed_line = next(line for line in lines if line and line[0] == "Orientées vers vous")
    assert routed_line[1] == str(len(other))


def test_a_small_cell_is_hidden_and_a_lone_one_takes_another_with_it():
    assert suppressed({"a": 50, "b": 3, "c": 12}) == {"a": 50, "b": None, "c": None}
    assert suppressed({"a": 5, "b": 4, "c": 40, "d": 30}) == {
        "a": None,
        "b": None,
        "c": 40,
        "d": 30,
    }
    assert suppressed({"a": 0, "b": 25, "c": 30}) == {"a": None, "b": None, "c": 30}
    assert suppressed({"a": 10, "b": 11}) == {"a": 10, "b": 11}


@given(st.dictionaries(st.sampled_from("abcdefgh"), st.integers(0, 60), min_size=2))
def test_no_hidden_figure_can_be_worked_out_from_the_total(cells):
    shown = suppressed(cells)
    hidden = [code for code, value in shown.items() if value is None]
    assert len(hidden) != 1, "a lone hidden cell is the total minus the others"
    assert all(value is None or value >= SMALL_CELL for value in shown.values())
    assert all(shown[code] in (None, count) for code, count in cells.items())


def _publish(client, year) -> object:
    page = client.get("/bo/statistiques/").get_data(as_text=True)
    return client.post(
        "/bo/statistiques/publier", data={"csrf_token": csrf_token(page), "publish-year": str(year)}
    )


def test_an_administrator_publishes_a_year_and_the_public_sees_it_suppressed(counted, world):
    app, rows, _routing_rows, _ids = counted
    _app, clients, _arguments = world
    refused = _publish(clients["staff"], YEAR)
    assert refused.status_code == 403
    response = _publish(clients["admin"], YEAR)
    assert response.status_code == 302
    with app.app_context():
        published = db.session.scalar(select(PublishedFigures).where(PublishedFigures.year == YEAR))
        figures = json.loads(published.figures)
    assert figures["total"] == len(rows)

    public = app.test_client()
    answer = public.get("/fr/chiffres")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "Set-Cookie" not in answer.headers
    assert f'id="year-{YEAR}"' in page
    assert f"<strong>{len(rows)}</strong>" in page
    section = page.split(f'id="year-{YEAR}"')[1].split("</section>")[0]
    # Every région of the reference data is a row; with 301 saisines over five places
    # most régions have none: shown as "fewer than 10", never as a small number.
    assert "moins de 10" in section
    for cell in section.split("<td>")[1:]:
        value = cell.split("</td>")[0]
        assert value == "moins de 10" or int(value.replace("\u202f", "")) >= SMALL_CELL
    assert public.get("/en/figures").status_code == 200


def test_a_wrong_year_is_explained_not_published(world):
    _app, clients, _arguments = world
    response = _publish(clients["admin"], 1850)
    assert response.status_code == 200
    assert "fr-message--error" in response.get_data(as_text=True)


def test_the_printable_report_has_every_table_in_order(counted, world):
    _app, clients, _arguments = world
    page = clients["analyst"].get(f"/bo/statistiques/rapport?year={YEAR}").get_data(as_text=True)
    keys = ["totals", "kinds", "families", "domains", "senders", "regions", "departements"]
    positions = [page.index(f'id="{key}"') for key in keys]
    assert positions == sorted(positions)
    assert "portal-no-print" in page and "Rapport d’activité" in page


@pytest.mark.parametrize(
    ("path", "title"), [("/fr/", "2025-12 : 1\u202f059"), ("/en/", "2025-12: 1,059")]
)
def test_a_line_of_five_years_of_months_labels_at_most_twelve(app, path, title):
    from portal.statistics.charts import line_chart
    from portal.statistics.tables import Table

    months = tuple(
        (f"{2021 + index // 12}-{index % 12 + 1:02d}", 1000 + index) for index in range(60)
    )
    with app.test_request_context(path):
        drawn = line_chart(Table("months", "Par mois", ("Mois", "Nombre"), months, chart="line"))
    assert len(drawn.points) == 60 and len(drawn.x_ticks) <= 12
    assert drawn.points[0].y > drawn.points[-1].y  # the largest is drawn highest
    # The reader's language: its separator and its way of writing numbers.
    assert drawn.points[-1].title == title


def test_migration_0008_moves_new_year_edges_and_fills_the_moments_it_can(databases, tmp_path):
    """At 0007 a referral of 00:30 on New Year's Day in Paris had its UTC month; the
    moments of first action and closing did not exist."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from portal import create_app
    from tests.casework_helpers import insert_raw_referral
    from tests.conftest import make_config

    app = create_app(make_config(tmp_path, databases.create()))
    edge = datetime(2025, 12, 31, 23, 30, tzinfo=UTC)
    later = datetime(2026, 1, 20, 9, 0, tzinfo=UTC)
    with app.app_context():
        directory = app.extensions["migrate"].directory
        upgrade(directory=directory, revision="0007")
        with db.engine.begin() as connection:
            insert_raw_referral(connection, "M8-EDGE", "other", created=edge, month="2025-12")
            insert_raw_referral(
                connection,
                "M8-CLOSED",
                "other",
                status="closed",
                created=edge,
                updated=later,
                month="2025-12",
            )
            insert_raw_referral(
                connection,
                "M8-MID",
                "other",
                created=datetime(2025, 6, 15, tzinfo=UTC),
                month="2025-06",
            )
        upgrade(directory=directory, revision="0008")
        with db.engine.connect() as connection:
            rows = {
                public_id: (month, first_action, closed)
                for public_id, month, first_action, closed in connection.execute(
                    sa.select(
                        Referral.public_id,
                        Referral.month,
                        Referral.first_action_at,
                        Referral.closed_at,
                    )
                )
            }
        db.engine.dispose()
    assert rows["M8-EDGE"] == ("2026-01", None, None)
    assert rows["M8-CLOSED"] == ("2026-01", later, later)
    assert rows["M8-MID"][0] == "2025-06"
