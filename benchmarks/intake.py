"""Benchmark of the referral intake under gunicorn, on this machine.

    .venv/bin/python benchmarks/intake.py [--seconds 20] [--clients 16]

Starts the portal under gunicorn (sync workers, as in production) on a fresh SQLite
instance. Client threads on 127.0.0.1 first GET their forms (cookie, CSRF token,
receipt) and encode the bodies, then POST referrals with a 2 KB description for the
timed phase: a submission is the POST. The same run is repeated with encryption
switched off in the workers (benchmarks/gunicorn_without_encryption.py). Then single
10 MB attachments, and the server time of one POST in-process, with and without
encryption, which isolates what encryption costs.
Results are printed and written to artifacts/benchmarks/intake.json.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, Python puts this folder first on the path, where benchmarks/http.py
# would stand for the standard library's http package: the project's root instead.
ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import uuid

BIN = Path(sys.executable).parent
DESCRIPTION = ("Ma sœur suit les séances d'un coach en bien-être depuis deux ans. " * 32)[:2048]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        header = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(header.encode() + value.encode() + b"\r\n")
    for name, filename, content in files:
        parts.append(
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


BENCHMARK_REPORT_LIMIT = "1000000 per hour"


class Portal:
    """A gunicorn process serving a fresh instance."""

    def __init__(self, config: str, instance: Path) -> None:
        self.port = free_port()
        self.env = dict(
            os.environ,
            PORTAL_INSTANCE_PATH=str(instance),
            PORTAL_HTTPS="false",
            HOST="127.0.0.1",
            PORT=str(self.port),
            # Every worker counts in Redis, as in production; the benchmark is one client
            # address filing hundreds of referrals, far past a person's limit.
            PORTAL_RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0",
            PORTAL_RATELIMIT_KEY_PREFIX=f"portal-bench-{self.port}",
            PORTAL_REPORT_LIMIT=BENCHMARK_REPORT_LIMIT,
        )
        self.config = config

    def __enter__(self) -> Portal:
        run = lambda *args: subprocess.run(  # noqa: E731
            [str(BIN / "portal"), *args], env=self.env, check=True, capture_output=True, cwd=ROOT
        )
        run("init")
        run("keys", "init", "--kit-file", str(Path(self.env["PORTAL_INSTANCE_PATH"]) / "kit.txt"))
        self.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "-c",
                self.config,
                "--access-logfile",
                "/dev/null",
                "portal:create_app()",
            ],
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response, data

    def submit(self, description: str = DESCRIPTION, files=()) -> tuple[float, int]:
        """One reporter: GET the form, then POST it. Returns (POST seconds, status)."""
        return self.post(self.prepare(description, files))

    def post(self, prepared: tuple[bytes, dict]) -> tuple[float, int]:
        body, headers = prepared
        started = time.perf_counter()
        response, _ = self.request("POST", "/fr/signaler", body, headers)
        return time.perf_counter() - started, response.status

    def prepare(self, description: str = DESCRIPTION, files=()) -> tuple[bytes, dict]:
        """GET the form (cookie, CSRF token, receipt) and encode the POST body."""
        response, page = self.request("GET", "/fr/signaler")
        cookie = response.getheader("Set-Cookie").split(";", 1)[0]
        text = page.decode()
        hidden = {
            name: re.search(rf'name="{name}" type="hidden" value="([^"]*)"', text).group(1)
            for name in ("csrf_token", "receipt", "receipt_seal")
        }
        fields = {
            **hidden,
            "kind": "report",
            "reporter_role": "relative",
            "domain": "alternative_therapies",
            "departement": "21",
            "minor_involved": "no",
            "contact_mode": "anonymous",
            "organisations": "Éveil Intérieur",
            "websites": "https://eveil.example",
            "description": description,
        }
        body, content_type = multipart(fields, list(files))
        return body, {"Content-Type": content_type, "Cookie": cookie}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def load(portal: Portal, clients: int, seconds: float, per_client: int) -> dict:
    """Each client first prepares its forms (GET, token, receipt, encoded body), then,
    in the timed phase, only POSTs them: the figures measure submissions, not the
    load generator (which shares the machine's 2 cores with the server)."""
    for _ in range(3):  # warm the workers
        portal.submit()
    pools: list[list] = [[] for _ in range(clients)]

    def prepare(pool: list) -> None:
        pool.extend(portal.prepare() for _ in range(per_client))

    run_threads([threading.Thread(target=prepare, args=(pool,)) for pool in pools])

    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client(pool: list) -> None:
        while pool and time.perf_counter() < stop:
            elapsed, status = portal.post(pool.pop())
            with lock:
                if status == 200:
                    latencies.append(elapsed)
                else:
                    failures.append(status)

    started = time.perf_counter()
    run_threads([threading.Thread(target=client, args=(pool,)) for pool in pools])
    wall = time.perf_counter() - started
    return {
        "submissions": len(latencies),
        "failures": len(failures),
        "unused_prepared_forms": sum(len(pool) for pool in pools),
        "seconds": round(wall, 1),
        "per_second": round(len(latencies) / wall, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1),
    }


def run_threads(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def big_files(portal: Portal, runs: int = 5) -> dict:
    content = ("Relevé de messages, page de test.\n" * 400_000).encode()[: 10 * 1000 * 1000]
    timings = []
    for _ in range(runs):
        elapsed, status = portal.submit(files=[("attachments", "messages.txt", content)])
        assert status == 200, status
        timings.append(elapsed)
    return {
        "runs": runs,
        "bytes": len(content),
        "median_ms": round(statistics.median(timings) * 1000, 1),
        "max_ms": round(max(timings) * 1000, 1),
    }


def server_time_per_post(encrypted: bool, count: int = 200) -> dict:
    """Server time of one POST, in-process and single-threaded (no network, no queueing):
    the precise way to see what encryption costs. Argon2id runs in both."""
    import importlib

    from portal import create_app

    instance = Path(tempfile.mkdtemp(prefix="bench-inprocess-"))
    env = dict(
        os.environ,
        PORTAL_INSTANCE_PATH=str(instance),
        PORTAL_HTTPS="false",
        PORTAL_REPORT_LIMIT=BENCHMARK_REPORT_LIMIT,
    )
    for args in (["init"], ["keys", "init", "--kit-file", str(instance / "kit.txt")]):
        subprocess.run(
            [str(BIN / "portal"), *args], env=env, check=True, capture_output=True, cwd=ROOT
        )
    os.environ.update(
        PORTAL_INSTANCE_PATH=str(instance),
        PORTAL_HTTPS="false",
        PORTAL_REPORT_LIMIT=BENCHMARK_REPORT_LIMIT,
    )
    import crypto

    originals = {
        name: getattr(crypto, name)
        for name in ("seal_item", "seal_chunks", "grant_access", "wrap_key")
    }
    if not encrypted:
        switch_off = importlib.import_module("benchmarks.gunicorn_without_encryption")

        class Worker:
            class log:
                info = staticmethod(lambda *args: None)

        switch_off.post_worker_init(Worker)
    try:
        client = create_app().test_client()
        timings = []
        for number in range(count + 10):
            page = client.get("/fr/signaler").get_data(as_text=True)
            fields = {
                name: re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page).group(1)
                for name in ("csrf_token", "receipt", "receipt_seal")
            }
            fields.update(
                kind="report",
                reporter_role="relative",
                domain="alternative_therapies",
                departement="21",
                minor_involved="no",
                contact_mode="anonymous",
                organisations="Éveil Intérieur",
                websites="https://eveil.example",
                description=DESCRIPTION,
            )
            started = time.perf_counter()
            assert client.post("/fr/signaler", data=fields).status_code == 200
            if number >= 10:
                timings.append(time.perf_counter() - started)
    finally:
        for name, function in originals.items():
            setattr(crypto, name, function)
        shutil.rmtree(instance, ignore_errors=True)
    return {
        "posts": count,
        "median_ms": round(statistics.median(timings) * 1000, 2),
        "p95_ms": round(percentile(timings, 0.95) * 1000, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--forms-per-client", type=int, default=80)
    args = parser.parse_args()
    results: dict = {
        "machine": {"cores": os.cpu_count(), "python": sys.version.split()[0]},
        "clients": args.clients,
    }
    scenarios = [
        ("encrypted", "python:portal.gunicorn_conf"),
        ("without_encryption", str(ROOT / "benchmarks" / "gunicorn_without_encryption.py")),
    ]
    for name, config in scenarios:
        instance = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
        try:
            with Portal(config, instance) as portal:
                results[name] = load(portal, args.clients, args.seconds, args.forms_per_client)
                if name == "encrypted":
                    results["attachment_10mb"] = big_files(portal)
        finally:
            shutil.rmtree(instance, ignore_errors=True)
        print(name, json.dumps(results[name]), flush=True)
    results["server_time_encrypted"] = server_time_per_post(encrypted=True)
    results["server_time_without_encryption"] = server_time_per_post(encrypted=False)
    with_crypto = results["server_time_encrypted"]["median_ms"]
    without = results["server_time_without_encryption"]["median_ms"]
    results["encryption_share_of_server_time"] = round((with_crypto - without) / with_crypto, 3)
    out = ROOT / "artifacts" / "benchmarks" / "intake.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
