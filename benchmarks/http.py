"""Throughput and latency of the portal's busiest pages, as ratios to a bare Flask app.

    .venv/bin/python benchmarks/http.py                      # about 15 minutes
    .venv/bin/python benchmarks/http.py --referrals 100000 --seconds 5 --pairs 3

B is Flask's "Hello, World!" (benchmarks/hello.py) under gunicorn with the same number
of sync workers as the portal; both run on this machine, without TLS (in production
nginx terminates it). For each page, wrk runs B then the portal, interleaved, for
``--pairs`` pairs (``wrk -t2 -c32``): each pair gives a ratio of requests per second,
so that what the machine does meanwhile weighs on both sides alike. Then one
connection at a time (``wrk -t1 -c1``, once per pair; the median is reported) gives
the unloaded latencies. The submission
is measured by benchmarks/intake.py's clients (16 threads, GET the form then POST).

The instance is an SQLite database (WAL, as ``make run``) with ``--referrals``
referrals (benchmarks/triage.py's bulk rows) and a staff account logged in for the
triage queue. Prints a table and writes artifacts/benchmarks/http.json.
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
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass

from benchmarks import intake as intake_bench
from benchmarks import triage
from portal.extensions import db

BIN = Path(sys.executable).parent
WRK = shutil.which("wrk") or "/usr/bin/wrk"
REPORT_SCRIPT = Path(__file__).with_name("wrk_report.lua")
WORKERS = 2


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    min_ratio: float
    max_unloaded_p95_ms: float
    logged_in: bool = False


TARGETS = [
    Target("guide page /fr/", "/fr/", 0.6, 1.0),
    Target("referral form (GET)", "/fr/signaler", 0.12, 5.0),
    Target("triage queue, logged in", "/bo/", 0.2, 5.0, logged_in=True),
]


@dataclass(frozen=True)
class Instance:
    """A fresh SQLite instance with a staff account and ``referrals`` referrals."""

    workdir: Path
    database: triage.Database
    config: object
    #: The staff member's e-mail, password and TOTP secret.
    staff: tuple[str, str, str]

    @classmethod
    def build(cls, prefix: str, referrals: int) -> Instance:
        workdir = Path(tempfile.mkdtemp(prefix=prefix))
        database = triage.Database("sqlite", workdir)
        app, config, group_key = triage.build_app(database, workdir)
        email, password, totp_secret, staff_id = triage.create_staff(app, group_key)
        triage.submit_real_referrals(app, config)
        if referrals > triage.REAL_REFERRALS:
            seconds = triage.BulkReferrals(app, config, staff_id).grow_to(
                referrals - triage.REAL_REFERRALS
            )
            print(f"{referrals:,} referrals (bulk insert {seconds:.0f} s)", flush=True)
        with app.app_context():
            db.engine.dispose()
        return cls(workdir, database, config, (email, password, totp_secret))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answers on port {port}")


class Server:
    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.port = free_port()
        env = {**env, "HOST": "127.0.0.1", "PORT": str(self.port)}
        self.process = subprocess.Popen(
            [*command, "--bind", f"127.0.0.1:{self.port}", "--access-logfile", "/dev/null"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def wrk(url: str, *, seconds: int, connections: int, threads: int, cookie: str = "") -> dict:
    completed = subprocess.run(
        [
            WRK,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "-s",
            str(REPORT_SCRIPT),
            url,
        ],
        env={**os.environ, "BENCH_COOKIE": cookie},
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    if result["errors"] or result["non_2xx"]:
        raise RuntimeError(f"{url}: {result['errors']} errors, {result['non_2xx']} not 2xx")
    return result


def portal_environment(config, workdir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")}
    env.update(
        {
            "PORTAL_INSTANCE_PATH": str(workdir),
            "PORTAL_DATABASE_URL": config.database_url,
            "PORTAL_SECRET_KEY": config.secret_key,
            "PORTAL_RECEIPT_PEPPER": config.receipt_pepper,
            "PORTAL_BLIND_INDEX_KEY": config.blind_index_key,
            "PORTAL_AUDIT_KEY": config.audit_key,
            "PORTAL_HTTPS": "false",
            "PORTAL_WORKERS": str(WORKERS),
            "PORTAL_RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
            "PORTAL_RATELIMIT_KEY_PREFIX": f"portal-http-bench-{os.getpid()}",
            "PORTAL_REPORT_LIMIT": intake_bench.BENCHMARK_REPORT_LIMIT,
        }
    )
    return env


def staff_cookie(base_url: str, email: str, password: str, totp_secret: str) -> str:
    """Log in over HTTP as a person would; the session cookie for wrk."""
    import http.cookiejar
    import urllib.parse
    import urllib.request

    import pyotp

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def token(page: str) -> str:
        return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]*)"', page).group(1)

    def post(path: str, fields: dict) -> str:
        body = urllib.parse.urlencode(fields).encode()
        with opener.open(base_url + path, data=body, timeout=30) as response:
            return response.url, response.read().decode()

    with opener.open(base_url + "/connexion", timeout=30) as response:
        page = response.read().decode()
    second_url, page = post(
        "/connexion", {"csrf_token": token(page), "email": email, "password": password}
    )
    path = second_url.removeprefix(base_url).split("?")[0]
    landing, _ = post(path, {"csrf_token": token(page), "code": pyotp.TOTP(totp_secret).now()})
    assert landing.startswith(base_url + "/bo"), f"login failed: {landing}"
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


def spread(values: list[float]) -> str:
    return f"{min(values):.3f}–{max(values):.3f}"


def measure_page(target: Target, b: Server, portal: Server, args, cookie: str) -> dict:
    loaded = {"threads": 2, "connections": 32, "seconds": args.seconds}
    alone = {"threads": 1, "connections": 1, "seconds": args.seconds}
    page_cookie = cookie if target.logged_in else ""
    pairs, unloaded_runs = [], []
    for _ in range(args.pairs):
        hello = wrk(b.url + "/", **loaded)
        page = wrk(portal.url + target.path, cookie=page_cookie, **loaded)
        pairs.append({"b_rps": hello["rps"], "portal": page, "ratio": page["rps"] / hello["rps"]})
        # One connection at a time, once per pair, so that a noisy moment weighs once.
        unloaded_runs.append(wrk(portal.url + target.path, cookie=page_cookie, **alone))
    unloaded = {
        key: statistics.median(run[key] for run in unloaded_runs)
        for key in ("p50_us", "p95_us", "p99_us")
    }
    ratios = [pair["ratio"] for pair in pairs]
    ratio = statistics.median(ratios)
    return {
        "path": target.path,
        "ratio_median": round(ratio, 3),
        "ratio_spread": spread(ratios),
        "portal_rps_median": round(statistics.median(p["portal"]["rps"] for p in pairs)),
        "b_rps_median": round(statistics.median(p["b_rps"] for p in pairs)),
        "loaded_p50_ms": round(statistics.median(p["portal"]["p50_us"] for p in pairs) / 1000, 2),
        "loaded_p95_ms": round(statistics.median(p["portal"]["p95_us"] for p in pairs) / 1000, 2),
        "loaded_p99_ms": round(statistics.median(p["portal"]["p99_us"] for p in pairs) / 1000, 2),
        "unloaded_p50_ms": round(unloaded["p50_us"] / 1000, 2),
        "unloaded_p95_ms": round(unloaded["p95_us"] / 1000, 2),
        "unloaded_p95_spread_ms": spread([run["p95_us"] / 1000 for run in unloaded_runs]),
        "target_ratio": target.min_ratio,
        "target_unloaded_p95_ms": target.max_unloaded_p95_ms,
        "met": ratio >= target.min_ratio
        and unloaded["p95_us"] / 1000 <= target.max_unloaded_p95_ms,
        "pairs": pairs,
    }


class _RunningPortal(intake_bench.Portal):
    """benchmarks/intake.py's client side, against the server started here."""

    def __init__(self, port: int) -> None:
        self.port = port


def measure_submissions(port: int, args) -> dict:
    """benchmarks/intake.py's clients (GET the form, then POST it) on this instance."""
    return intake_bench.load(_RunningPortal(port), args.clients, args.seconds * 2, per_client=200)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--referrals", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()

    instance = Instance.build("bench-http-", args.referrals)
    workdir, database, config = instance.workdir, instance.database, instance.config
    email, password, totp_secret = instance.staff

    env = portal_environment(config, workdir)
    b = Server(
        [str(BIN / "gunicorn"), "-w", str(WORKERS), "-k", "sync", "benchmarks.hello:app"], env
    )
    portal = Server(
        [str(BIN / "gunicorn"), "-c", "python:portal.gunicorn_conf", "portal:create_app()"], env
    )
    load_before = os.getloadavg()
    try:
        cookie = staff_cookie(portal.url, email, password, totp_secret)
        pages = {}
        for target in TARGETS:
            pages[target.name] = measure_page(target, b, portal, args, cookie)
            figures = pages[target.name]
            print(
                f"{target.name:<26} {figures['ratio_median']:.3f}× B ({figures['ratio_spread']}), "
                f"{figures['portal_rps_median']}/s vs B {figures['b_rps_median']}/s; "
                f"loaded p50/p95/p99 {figures['loaded_p50_ms']}/{figures['loaded_p95_ms']}/"
                f"{figures['loaded_p99_ms']} ms; unloaded p50/p95 "
                f"{figures['unloaded_p50_ms']}/{figures['unloaded_p95_ms']} ms "
                f"(p95 {figures['unloaded_p95_spread_ms']}); "
                f"target ≥ {target.min_ratio}× and ≤ {target.max_unloaded_p95_ms} ms: "
                f"{'met' if figures['met'] else 'NOT met'}",
                flush=True,
            )
        submissions = measure_submissions(portal.port, args)
        print(f"submissions, {args.clients} clients: {submissions}", flush=True)
    finally:
        b.stop()
        portal.stop()
        load_after = os.getloadavg()
        database.drop()
        shutil.rmtree(workdir, ignore_errors=True)
    report = {
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}",
        "command": " ".join(sys.argv),
        "referrals": args.referrals,
        "load_average_before": [round(value, 2) for value in load_before],
        "load_average_after": [round(value, 2) for value in load_after],
        "pages": pages,
        "submissions": submissions,
    }
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f}")
    out = ROOT / "artifacts" / "benchmarks" / "http.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"written to {out}")
    return 0 if all(page["met"] for page in pages.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
