"""The portal as it is deployed: gunicorn over HTTPS, ``PORTAL_HTTPS=true``, Redis counters.

Browser tests and the cross-worker rate-limit test run against this, never against
an in-process development server: what a browser sends over HTTPS (and does not send)
is what the application has to accept.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from portal.config import Config

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")
REDIS_URL = "redis://127.0.0.1:6379/0"
STARTUP_SECONDS = 30


def throwaway_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, valid for a day."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "portal-test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def unverified_tls() -> ssl.SSLContext:
    """For the test's own requests to its throwaway certificate."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


@dataclass
class ProductionServer:
    url: str
    log_path: Path
    process: subprocess.Popen = field(repr=False)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def production_environment(config: Config, **extra: str) -> dict[str, str]:
    """The variables an operator sets: the same secrets and database as ``config``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PORTAL_") and key not in {"HOST", "PORT"}
    }
    env.update(
        {
            "PORTAL_INSTANCE_PATH": str(config.instance_path),
            "PORTAL_DATABASE_URL": config.database_url,
            "PORTAL_SECRET_KEY": config.secret_key,
            "PORTAL_RECEIPT_PEPPER": config.receipt_pepper,
            "PORTAL_BLIND_INDEX_KEY": config.blind_index_key,
            "PORTAL_AUDIT_KEY": config.audit_key,
            "PORTAL_HTTPS": "true",
            "PORTAL_RATELIMIT_STORAGE_URI": REDIS_URL,
            # Counters of this server only, so runs never see each other's.
            "PORTAL_RATELIMIT_KEY_PREFIX": f"portal-test-{uuid.uuid4().hex}",
        }
    )
    env.update(extra)
    return env


def start_production_server(
    config: Config,
    folder: Path,
    *,
    workers: int = 2,
    gunicorn_args: tuple[str, ...] = (),
    behind: str = "",
    **extra_env: str,
) -> ProductionServer:
    """gunicorn with the project's own settings (portal/gunicorn_conf.py) and TLS.

    ``behind``: the public HTTPS address of a reverse proxy that terminates TLS in
    front of it; gunicorn then speaks plain HTTP on the loopback address and trusts
    one proxy's ``X-Forwarded-*`` (``PORTAL_PROXY_COUNT=1``), as in production."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"{'http' if behind else 'https'}://127.0.0.1:{port}"
    tls_args: tuple[str, ...] = ()
    if not behind:
        cert, key = throwaway_certificate(folder)
        tls_args = ("--certfile", str(cert), "--keyfile", str(key))
    proxy_env = {"PORTAL_PROXY_COUNT": "1"} if behind else {}
    env = production_environment(
        config,
        HOST="127.0.0.1",
        PORT=str(port),
        PORTAL_WORKERS=str(workers),
        PORTAL_BASE_URL=behind or url,
        PORTAL_ACCESSIBILITY_CONTACT=config.accessibility_contact,
        **{**proxy_env, **extra_env},
    )
    log_path = folder / f"gunicorn-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                str(GUNICORN),
                "-c",
                "python:portal.gunicorn_conf",
                *tls_args,
                *gunicorn_args,
                "portal:create_app()",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = ProductionServer(url, log_path, process)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{server.log()}")
        try:
            with urllib.request.urlopen(url + "/fr/", context=unverified_tls(), timeout=2):
                return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"gunicorn did not answer within {STARTUP_SECONDS} s:\n{server.log()}")


def assert_no_traceback(server: ProductionServer) -> None:
    log = server.log()
    assert "Traceback" not in log and "unhandled error" not in log, log[-4000:]
