"""What a gunicorn worker's memory does over many requests, and what recycling costs:
the measurement behind ``max_requests`` in portal/gunicorn_conf.py.

    .venv/bin/python benchmarks/recycling.py [--rounds 10] [--per-round 2000]

One worker (``--max-requests 0``: never recycled) on a fresh SQLite instance with a
staff account logged in. Each round sends ``--per-round`` requests of each kind with
wrk (a guide page, the referral form, the follow-up form, the triage queue, logged in)
and a few real submissions, then reads the worker's resident memory. Then it times
how long a new worker takes to boot (the import and ``create_app`` a recycle repeats).
Writes artifacts/benchmarks/recycling.json.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, Python puts this folder first on the path, where benchmarks/http.py
# would stand for the standard library's http package: the project's root instead.
ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)

import argparse
import json
import subprocess

from benchmarks import http as http_bench
from benchmarks import triage

BIN = Path(sys.executable).parent
PAGES = ["/fr/", "/fr/signaler", "/fr/suivi", "/bo/"]


def worker_pids(master: int) -> list[int]:
    return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"no VmRSS for {pid}")


def boot_seconds(env: dict[str, str], runs: int = 5) -> list[float]:
    """What a recycle repeats in the new worker: import the portal and create the app."""
    code = (
        "import time; started = time.perf_counter(); "
        "from portal import create_app; create_app(); "
        "print(time.perf_counter() - started)"
    )
    return [
        round(
            float(
                subprocess.run(
                    [sys.executable, "-c", code],
                    env=env,
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
            ),
            3,
        )
        for _ in range(runs)
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--per-round", type=int, default=2000)
    args = parser.parse_args()

    instance = http_bench.Instance.build("bench-recycling-", triage.REAL_REFERRALS)
    email, password, totp_secret = instance.staff
    database = instance.database
    env = {
        **http_bench.portal_environment(instance.config, instance.workdir),
        "PORTAL_WORKERS": "1",
    }
    server = http_bench.Server(
        [
            str(BIN / "gunicorn"),
            "-c",
            "python:portal.gunicorn_conf",
            "--max-requests",
            "0",
            "portal:create_app()",
        ],
        env,
    )
    submitter = http_bench._RunningPortal(server.port)
    samples = []
    try:
        (worker,) = worker_pids(server.process.pid)
        cookie = http_bench.staff_cookie(server.url, email, password, totp_secret)
        samples.append({"requests": 0, "rss_mb": rss_mb(worker)})
        served = 0
        for _ in range(args.rounds):
            for path in PAGES:
                # Enough seconds for about --per-round requests at this page's pace.
                probe = http_bench.wrk(
                    server.url + path, seconds=1, connections=4, threads=1, cookie=cookie
                )
                wrk_seconds = max(1, round(args.per_round / max(probe["rps"], 1)))
                result = http_bench.wrk(
                    server.url + path,
                    seconds=wrk_seconds,
                    connections=4,
                    threads=1,
                    cookie=cookie,
                )
                served += probe["requests"] + result["requests"]
            for _ in range(20):
                assert submitter.submit()[1] == 200
            served += 40
            assert worker_pids(server.process.pid) == [worker], "the worker was replaced"
            samples.append({"requests": served, "rss_mb": rss_mb(worker)})
            print(samples[-1], flush=True)
    finally:
        server.stop()
    boots = boot_seconds(env)
    database.drop()
    report = {
        "command": " ".join(sys.argv),
        "samples": samples,
        "growth_mb_after_first_round": round(samples[-1]["rss_mb"] - samples[1]["rss_mb"], 1),
        "boot_seconds": boots,
    }
    print(json.dumps({key: report[key] for key in report if key != "samples"}))
    out = ROOT / "artifacts" / "benchmarks" / "recycling.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
