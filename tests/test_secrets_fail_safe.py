"""A secrets file readable by others: gunicorn refuses to start with it, and a worker
started again later (max_requests) says so loudly, restores the mode and serves on,
instead of taking the whole service down at a random time."""

from __future__ import annotations

import stat
import urllib.request

import pytest

from portal.config import SECRET_NAMES, write_secrets_file
from tests.conftest import make_config, ready_installation
from tests.servers import assert_no_traceback, start_production_server, unverified_tls

#: Empty: the secrets come from the instance's secrets file, as ``portal init`` makes it.
FROM_THE_FILE = {f"PORTAL_{name.upper()}": "" for name in SECRET_NAMES}


@pytest.fixture
def installation(databases, tmp_path):
    folder = tmp_path / "instance"
    secrets_path, _created = write_secrets_file(folder)
    config = make_config(folder, databases.create(), https=True)
    ready_installation(config)
    return config, tmp_path, secrets_path


def test_gunicorn_refuses_to_start_with_a_secrets_file_others_can_read(installation):
    config, folder, secrets_path = installation
    secrets_path.chmod(0o644)
    with pytest.raises(RuntimeError, match="must be readable by its owner only"):
        start_production_server(config, folder / "refused", **FROM_THE_FILE)


def test_a_worker_recycled_after_the_mode_changed_warns_and_serves(installation):
    config, folder, secrets_path = installation
    server = start_production_server(
        config,
        folder / "served",
        workers=2,
        gunicorn_args=("--max-requests", "2", "--max-requests-jitter", "0"),
        **FROM_THE_FILE,
    )
    try:
        secrets_path.chmod(0o644)  # someone loosens it while the service runs
        statuses = []
        for _ in range(12):  # every worker is recycled several times
            with urllib.request.urlopen(
                server.url + "/fr/", context=unverified_tls(), timeout=10
            ) as page:
                statuses.append(page.status)
        assert statuses == [200] * 12
        assert server.process.poll() is None  # the master is still there
    finally:
        server.stop()
    log = server.log()
    assert "SECURITY:" in log and "must be readable by its owner only" in log
    assert stat.S_IMODE(secrets_path.stat().st_mode) == 0o600  # set back
    assert_no_traceback(server)
