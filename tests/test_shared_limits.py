"""Rate limits hold for the whole installation, not per process: two gunicorn servers on
one database count in one Redis, as the workers of a production machine do."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest

from tests.conftest import make_config, ready_installation
from tests.servers import (
    REDIS_URL,
    ProductionServer,
    assert_no_traceback,
    start_production_server,
    unverified_tls,
)

#: A well-formed code that opens nothing: each try costs the server an Argon2 run.
WRONG_CODE = "0000-0000-0000-0000-0000".replace("-", "")


class Browserless:
    """A client as curl would be: keeps cookies, sends no Origin or Fetch Metadata
    (so the portal's cross-site check lets it through and the CSRF token decides)."""

    def __init__(self) -> None:
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=unverified_tls()),
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
        )

    def status(self, url: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(url, data=body, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


def _wrong_code(client: Browserless, server: ProductionServer) -> int:
    _status, page = client.status(server.url + "/fr/suivi")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    status, _page = client.status(
        server.url + "/fr/suivi", {"csrf_token": token, "receipt": WRONG_CODE}
    )
    return status


@pytest.fixture(scope="module")
def installation(databases, tmp_path_factory):
    folder = tmp_path_factory.mktemp("shared-limits")
    config = make_config(folder, databases.create(), https=True)
    ready_installation(config)
    return config, folder


def _two_servers(installation, storage: str) -> list[ProductionServer]:
    config, folder = installation
    prefix = f"portal-test-{uuid.uuid4().hex}"
    return [
        start_production_server(
            config,
            folder / f"{storage.split(':')[0]}-{name}",
            workers=1,
            PORTAL_RATELIMIT_STORAGE_URI=storage,
            PORTAL_RATELIMIT_KEY_PREFIX=prefix,
        )
        for name in ("a", "b")
    ]


@pytest.mark.parametrize(("storage", "eleventh"), [(REDIS_URL, 429), ("memory://", 200)])
def test_the_follow_up_limit_holds_across_processes_only_with_shared_counters(
    installation, storage, eleventh
):
    """10 wrong codes a minute per client: five on each server, then an eleventh. With
    memory:// (the control) each process counts alone, and the eleventh gets through:
    that is what the start-up check refuses with several workers."""
    servers = _two_servers(installation, storage)
    try:
        client = Browserless()
        statuses = [_wrong_code(client, servers[number % 2]) for number in range(10)]
        assert statuses == [200] * 10
        assert _wrong_code(client, servers[0]) == eleventh
        assert _wrong_code(client, servers[1]) == eleventh
    finally:
        for server in servers:
            server.stop()
    for server in servers:
        assert_no_traceback(server)


def test_several_workers_counting_in_memory_refuse_to_start(installation):
    config, folder = installation
    with pytest.raises(RuntimeError, match="PORTAL_RATELIMIT_STORAGE_URI") as refused:
        start_production_server(
            config, folder / "refused", workers=2, PORTAL_RATELIMIT_STORAGE_URI="memory://"
        )
    assert "PORTAL_WORKERS=1" in str(refused.value)
