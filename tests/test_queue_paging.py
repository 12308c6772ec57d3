"""Paging through the triage queue is complete: following "next" from the first page
lists every matching referral exactly once, in queue order (immediate danger first,
then oldest first), for each filter, with many referrals received at the same second.

Compared with a plain computation over all rows, on whichever backend runs.
"""

from __future__ import annotations

import html
import itertools
import re
import secrets
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select

from portal import create_app
from portal.backoffice import services
from portal.backoffice.services import OPEN_STATUSES, QueueFilters
from portal.clock import CLOCK_KEY
from portal.extensions import db
from portal.keyring import initialise_keys
from portal.models import Referral
from portal.statistics.calendar import month_of
from tests.casework_helpers import Clock, log_in, make_person
from tests.conftest import make_config, migrate_and_load

#: Any day: no test referral here has a deadline that matters to the pages.
TODAY = date(2026, 12, 3)

PARIS = ZoneInfo("Europe/Paris")
COUNT = 137
#: Few distinct moments, so that pages end in the middle of a tie on ``created_at``.
MOMENTS = [datetime(2026, 11, day, 22, 30, tzinfo=UTC) for day in range(1, 12)]
PLACES = [("21", "27"), ("35", "53"), ("75", "11"), ("abroad", None)]
STATUSES = ["new", "in_triage", "awaiting_reporter", "routed", "closed"]


@pytest.fixture(scope="module")
def queue_world(databases, tmp_path_factory):
    app = create_app(
        make_config(
            tmp_path_factory.mktemp("paging"), databases.create(), fast_password_hashing=True
        )
    )
    clock = Clock()
    app.extensions[CLOCK_KEY] = clock
    migrate_and_load(app)
    with app.app_context():
        group_key = initialise_keys(db.session).private_key
        db.session.commit()
    staff = make_person(app, group_key, "staff")
    other = make_person(app, group_key, "staff")
    rows = []
    for number in range(COUNT):
        departement, region = PLACES[number % len(PLACES)]
        created = MOMENTS[(number * 7) % len(MOMENTS)]
        rows.append(
            {
                "public_id": f"2026-T{number:05d}",
                "kind": ("report", "opinion")[number % 2],
                "status": STATUSES[number % len(STATUSES)],
                "reporter_role": "relative",
                "domain": ("alternative_therapies", "online", "religious_movements")[number % 3],
                "departement": departement,
                "region_code": region,
                "minor_involved": ("yes", "no", "unknown")[number % 3],
                "health_risk": number % 4 == 1,
                "urgent": number % 5 == 2,
                "assigned_to_id": (None, staff.user_id, other.user_id)[number % 3],
                "created_at": created,
                "updated_at": created,
                "month": month_of(created),
                "lookup_token": secrets.token_bytes(32),
                "reporter_wrapped_key": b"-",
                "document": b"-",
            }
        )
    with app.app_context():
        db.session.execute(insert(Referral), rows)
        db.session.commit()
    client = app.test_client()
    log_in(client, staff, clock)
    yield app, client, staff.user_id
    with app.app_context():
        db.engine.dispose()


def _matches(row, filters: QueueFilters, user_id: int) -> bool:
    if filters.status == "" and row.status not in OPEN_STATUSES:
        return False
    if filters.status not in ("", "all") and row.status != filters.status:
        return False
    for field, column in (
        ("region", "region_code"),
        ("departement", "departement"),
        ("domain", "domain"),
        ("kind", "kind"),
    ):
        wanted = getattr(filters, field)
        if wanted and getattr(row, column) != wanted:
            return False
    if filters.assigned == "me" and row.assigned_to_id != user_id:
        return False
    if filters.assigned == "nobody" and row.assigned_to_id is not None:
        return False
    if filters.urgent and not row.urgent:
        return False
    if filters.minor and row.minor_involved != "yes":
        return False
    if filters.health_risk and not row.health_risk:
        return False
    day = row.created_at.astimezone(filters.zone).date()
    if filters.date_from and day < filters.date_from:
        return False
    return not (filters.date_to and day > filters.date_to)


def _expected(app, filters: QueueFilters, user_id: int) -> list[str]:
    """The plain answer: every row, filtered and sorted in Python."""
    with app.app_context():
        everything = db.session.execute(select(Referral.__table__)).all()
    chosen = [row for row in everything if _matches(row, filters, user_id)]
    chosen.sort(key=lambda row: (not row.urgent, row.created_at, row.id))
    return [row.public_id for row in chosen]


FILTERS = {
    "open cases": QueueFilters(),
    "all": QueueFilters(status="all"),
    "closed": QueueFilters(status="closed"),
    "routed": QueueFilters(status="routed"),
    "region": QueueFilters(status="all", region="27"),
    "département": QueueFilters(departement="35"),
    "domain": QueueFilters(status="all", domain="online"),
    "kind": QueueFilters(kind="opinion"),
    "mine": QueueFilters(status="all", assigned="me"),
    "nobody's": QueueFilters(assigned="nobody"),
    "urgent": QueueFilters(status="all", urgent=True),
    "minor": QueueFilters(status="all", minor=True),
    "health risk": QueueFilters(health_risk=True),
    "dates in Paris": QueueFilters(
        status="all", date_from=date(2026, 11, 3), date_to=date(2026, 11, 7), zone=PARIS
    ),
    "several at once": QueueFilters(
        status="all", kind="report", domain="alternative_therapies", minor=True
    ),
}


@pytest.mark.parametrize("size", [1, 7, 50])
@pytest.mark.parametrize("name", list(FILTERS))
def test_following_next_lists_every_match_exactly_once(queue_world, name, size):
    app, _client, user_id = queue_world
    filters = FILTERS[name]
    expected = _expected(app, filters, user_id)
    assert expected, "a filter that matches nothing tests nothing"
    seen: list[str] = []
    after = None
    with app.app_context():
        for _ in range(COUNT + 2):
            page = services.queue_page(db.session, filters, user_id, TODAY, after, size=size)
            assert len(page.referrals) <= size
            seen.extend(referral.public_id for referral in page.referrals)
            if page.next_cursor is None:
                break
            after = services.Cursor.decode(page.next_cursor.encode())
    assert seen == expected


@pytest.mark.parametrize(
    "query", ["", "status=all", "status=all&kind=report", "status=all&kind=opinion"]
)
def test_the_next_page_links_list_every_match_exactly_once(queue_world, query):
    """Through the pages themselves: the cursor goes out in a link and comes back."""
    app, client, user_id = queue_world
    seen: list[str] = []
    url = "/bo/?" + query
    for _ in itertools.count():
        page = client.get(url).get_data(as_text=True)
        table = page.split("<tbody>")[1].split("</tbody>")[0]
        seen.extend(re.findall(r">(2026-T\d{5})</a>", table))
        following = re.search(r'href="([^"]+)">Page suivante<', page)
        if following is None:
            break
        url = html.unescape(following.group(1))
    arguments = dict(part.split("=") for part in query.split("&") if part)
    filters = QueueFilters(status=arguments.get("status", ""), kind=arguments.get("kind", ""))
    assert seen == _expected(app, filters, user_id)
    assert len(seen) > services.PAGE_SIZE  # more than one page was followed


def test_the_moments_really_tie(queue_world):
    app, _client, _user_id = queue_world
    with app.app_context():
        moments = db.session.scalars(select(Referral.created_at)).all()
    assert len(set(moments)) == len(MOMENTS)
    # Every moment is shared by about a dozen referrals: pages end inside ties.
    assert min(moments.count(moment) for moment in set(moments)) >= 10
