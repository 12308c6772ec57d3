"""A 20-megapixel photo sent through the real form, to the production server: the
worker that took it stays small, because the photo was decoded in a child process."""

from __future__ import annotations

from pathlib import Path

from tests.browser.conftest import new_context
from tests.browser.test_referral import fill_referral
from tests.conftest import make_config
from tests.servers import assert_no_traceback, start_production_server
from tests.test_isolation import big_photo

#: Issue 9: a worker at about 100 MB normally; 410 MB after such a photo before. Issue
#: 13's deadlines load the `holidays` package at the first referral (about 17 MB): the
#: worker is warmed by a plain referral first, and the photo may add little to it.
MAX_WORKER_RSS_MB = 175
MAX_GROWTH_MB = 40


def _workers(master_pid: int) -> list[int]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return [int(pid) for pid in children]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for {pid}")


def test_a_worker_stays_small_after_a_20_megapixel_photo(browser, database_url, tmp_path):
    config = make_config(tmp_path, database_url, https=True)
    server = start_production_server(config, tmp_path / "server", workers=1)
    try:
        (worker,) = _workers(server.process.pid)
        context = new_context(browser, javascript=True)
        page = context.new_page()
        page.goto(server.url + "/fr/signaler")
        fill_referral(page)  # a plain referral first: what every worker loads anyway
        page.get_by_role("button", name="Envoyer ma demande").click()
        page.wait_for_load_state()
        page.goto(server.url + "/fr/signaler")
        before = _rss_mb(worker)
        print(f"worker RSS before: {before:.0f} MB")
        fill_referral(page)
        page.set_input_files(
            "#attachments",
            files=[{"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": big_photo()}],
        )
        page.get_by_role("button", name="Envoyer ma demande").click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == "Votre demande a bien été reçue"
        context.close()
        assert _workers(server.process.pid) == [worker]  # the same worker took it
        rss = _rss_mb(worker)
        print(f"worker RSS after a 20-MP photo: {rss:.0f} MB")
        assert rss - before < MAX_GROWTH_MB
        assert rss < MAX_WORKER_RSS_MB
    finally:
        server.stop()
    assert_no_traceback(server)
