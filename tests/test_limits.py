"""Every limit the README promises, hit: per client, per account and for everyone,
per minute and per hour, on each rate-limited route.

Time is moved forward by replacing the clock of the counters' storage (the ``limits``
library's in-memory store and strategies), so an hourly limit is reached in seconds.
"""

from __future__ import annotations

import itertools
import time

import pytest

from portal.auth import views as auth_views
from portal.extensions import limiter
from portal.public import views as public_views
from tests.casework_helpers import csrf_token, make_person
from tests.intake_helpers import FOLLOW_UP_URL, REPLY_URL, hidden, open_form, post_referral

WRONG_CODE = "0000-0000-0000-0000-0000".replace("-", "")


class MovableClock:
    """``time`` as the counters see it: the real one, plus what the test added."""

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        return time.time() + self.offset

    def __getattr__(self, name):
        return getattr(time, name)


@pytest.fixture
def later(monkeypatch):
    import limits.storage.memory
    import limits.strategies

    clock = MovableClock()
    monkeypatch.setattr(limits.storage.memory, "time", clock)
    monkeypatch.setattr(limits.strategies, "time", clock)
    limiter.reset()
    yield clock
    limiter.reset()


def _addresses():
    for number in itertools.count():
        yield {"REMOTE_ADDR": f"10.{number // 62500 % 250}.{number // 250 % 250}.{number % 250}"}


def test_the_promised_values(app):
    """The numbers the README states; the tests below hit each of them."""
    assert public_views.FOLLOW_UP_LIMIT_PER_CLIENT == "10 per minute;60 per hour"
    assert public_views.FOLLOW_UP_LIMIT_ALL_CLIENTS == "600 per minute"
    assert public_views.SELF_CHECK_POST_LIMIT == "30 per minute"
    assert auth_views.FAILURES_PER_CLIENT == "5/minute;20/hour"
    assert auth_views.FAILURES_PER_ACCOUNT == "5/minute;20/hour"
    assert auth_views.ALL_ATTEMPTS == "300/minute"
    assert app.extensions["portal.config"].report_limit == "20 per hour"


def _wrong_code_poster(client, url: str):
    """Posts a wrong receipt to the code page or to the reply page, with a token."""
    token = open_form(client)["csrf_token"]
    data = {"csrf_token": token, "receipt": WRONG_CODE, "body": "Bonjour"}

    def post(**kwargs) -> int:
        return client.post(url, data=data, **kwargs).status_code

    return post


@pytest.mark.parametrize("url", [FOLLOW_UP_URL["fr"], REPLY_URL["fr"]])
def test_codes_are_limited_per_client_per_minute_and_per_hour(client, later, url):
    post = _wrong_code_poster(client, url)
    statuses = []
    for _minute in range(6):
        statuses.append([post() for _ in range(10)])
        assert post() == 429  # the eleventh in a minute
        later.offset += 61
    assert statuses == [[200] * 10] * 6
    assert post() == 429  # the sixty-first in an hour, in a new minute
    later.offset += 3600
    assert post() == 200


@pytest.mark.parametrize("url", [FOLLOW_UP_URL["en"], REPLY_URL["en"]])
def test_codes_are_limited_for_all_clients_together(app, later, url):
    """601 people, each from their own address with their own page and token."""
    addresses = _addresses()

    def someone_tries() -> int:
        client, address = app.test_client(), next(addresses)
        page = client.get(FOLLOW_UP_URL["en"], environ_base=address).get_data(as_text=True)
        data = {"csrf_token": hidden(page, "csrf_token"), "receipt": WRONG_CODE, "body": "Hi"}
        return client.post(url, data=data, environ_base=address).status_code

    statuses = [someone_tries() for _ in range(601)]
    assert statuses[:600] == [200] * 600 and statuses[600] == 429
    later.offset += 61
    assert someone_tries() == 200


@pytest.mark.parametrize("url", ["/fr/auto-evaluation", "/fr/signaler/depuis-l-auto-evaluation"])
def test_the_self_check_and_its_handover_are_limited_per_client(client, later, url):
    statuses = [client.post(url, data={"signs": ["money"]}).status_code for _ in range(31)]
    assert statuses[:30] == [200] * 30 and statuses[30] == 429
    later.offset += 61
    assert client.post(url, data={"signs": ["money"]}).status_code == 200


def test_twenty_referrals_an_hour_per_client(app, client, later):
    statuses = [post_referral(client).status_code for _ in range(21)]
    assert statuses[:20] == [200] * 20 and statuses[20] == 429
    later.offset += 3601
    assert post_referral(client).status_code == 200


@pytest.fixture
def person(make_app, group_private_key):
    app = make_app(fast_password_hashing=True)
    return app, make_person(app, group_private_key, "staff")


def _failed_login(client, email: str, **kwargs) -> int:
    page = client.get("/connexion", **kwargs).get_data(as_text=True)
    return client.post(
        "/connexion",
        data={"csrf_token": csrf_token(page), "email": email, "password": "pas le bon !!"},
        **kwargs,
    ).status_code


def test_login_failures_are_limited_per_client(person, later):
    app, someone = person
    client = app.test_client()
    # Different accounts, one client: the client's counters decide.
    accounts = (f"inconnu{n}@example.fr" for n in itertools.count())
    for _minute in range(4):
        assert [_failed_login(client, next(accounts)) for _ in range(5)] == [200] * 5
        assert _failed_login(client, next(accounts)) == 429
        later.offset += 61
    assert _failed_login(client, someone.email) == 429  # the twenty-first in an hour
    later.offset += 3600
    assert _failed_login(client, someone.email) == 200


def test_login_failures_are_limited_per_account_from_any_address(person, later):
    app, someone = person
    client = app.test_client()
    addresses = _addresses()
    for _minute in range(4):
        tries = [
            _failed_login(client, someone.email, environ_base=next(addresses)) for _ in range(5)
        ]
        assert tries == [200] * 5
        assert _failed_login(client, someone.email, environ_base=next(addresses)) == 429
        later.offset += 61
    assert _failed_login(client, someone.email, environ_base=next(addresses)) == 429
    later.offset += 3600
    assert _failed_login(client, someone.email, environ_base=next(addresses)) == 200


def test_wrong_second_factor_codes_are_limited_per_account(person, later):
    app, someone = person
    client = app.test_client()
    addresses = _addresses()
    page = client.get("/connexion").get_data(as_text=True)
    response = client.post(
        "/connexion",
        data={"csrf_token": csrf_token(page), "email": someone.email, "password": someone.password},
    )
    step = response.headers["Location"]
    statuses = []
    for _ in range(6):
        # A new address each time: only the account's own counter can stop this.
        token = hidden(client.get(step).get_data(as_text=True), "csrf_token")
        statuses.append(
            client.post(
                step, data={"csrf_token": token, "code": "000000"}, environ_base=next(addresses)
            ).status_code
        )
    assert statuses[:5] == [200] * 5 and statuses[5] == 429


def test_login_attempts_are_limited_for_all_clients_together(person, later):
    app, _someone = person
    addresses = _addresses()
    statuses = [
        _failed_login(app.test_client(), f"personne{n}@example.fr", environ_base=next(addresses))
        for n in range(301)
    ]
    assert statuses[:300] == [200] * 300 and statuses[300] == 429
