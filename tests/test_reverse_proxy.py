"""The shipped nginx configuration (deploy/nginx/portal.conf), run by Debian's nginx in
front of the production gunicorn: the public site and the referral form keep
answering while 50 clients trickle their requests one byte a second. Without it,
the same clients take the site down (the control, against gunicorn alone).

Only addresses, ports and file paths of the shipped file are replaced; every
timeout, buffer and limit is used as shipped. Loopback only, bounded to 60 s.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import make_config, ready_installation
from tests.intake_helpers import referral_data
from tests.servers import (
    ROOT,
    assert_no_traceback,
    free_port,
    start_production_server,
    throwaway_certificate,
    unverified_tls,
)

NGINX = Path("/usr/sbin/nginx")
SHIPPED = ROOT / "deploy" / "nginx" / "portal.conf"
SLOW_CLIENTS = 50
#: The whole test, slow clients included, ends within this.
BOUND_SECONDS = 60
RECEIVED = "Votre demande a bien été reçue"


class Proxy:
    """Debian's nginx with the shipped server blocks, in a folder of its own."""

    def __init__(self, folder: Path, app_port: int, https_port: int) -> None:
        assert NGINX.exists(), "these tests need Debian's nginx: apt-get install nginx"
        self.folder = folder
        self.https_port, self.http_port = https_port, free_port()
        self.url = f"https://127.0.0.1:{self.https_port}"
        (folder / "logs").mkdir(parents=True)
        (folder / "temp").mkdir()
        cert, key = throwaway_certificate(folder)
        self.site = self._shipped_site(app_port, cert, key)
        self.config = folder / "nginx.conf"
        self.config.write_text(self._main_config())
        self.process: subprocess.Popen | None = None

    def _shipped_site(self, app_port: int, cert: Path, key: Path) -> Path:
        text = SHIPPED.read_text()
        for old, new in {
            "server 127.0.0.1:8000;": f"server 127.0.0.1:{app_port};",
            "listen 80;": f"listen 127.0.0.1:{self.http_port};",
            "listen [::]:80;": "",
            "listen 443 ssl http2;": f"listen 127.0.0.1:{self.https_port} ssl http2;",
            "listen [::]:443 ssl http2;": "",
            "/etc/ssl/portal/fullchain.pem": str(cert),
            "/etc/ssl/portal/privkey.pem": str(key),
            "/var/log/nginx/": f"{self.folder}/logs/",
        }.items():
            assert old in text, f"the shipped configuration no longer has {old!r}"
            text = text.replace(old, new)
        site = self.folder / "portal.conf"
        site.write_text(text)
        return site

    def _main_config(self) -> str:
        """What Debian's /etc/nginx/nginx.conf provides around a site, in this folder."""
        temp = self.folder / "temp"
        user = "user root;" if os.geteuid() == 0 else ""  # the folder is root's alone
        return f"""
{user}
worker_processes 1;
pid {self.folder}/nginx.pid;
error_log {self.folder}/logs/main-error.log crit;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {self.site};
}}
"""

    def _command(self, *extra: str) -> list[str]:
        return [
            str(NGINX),
            "-e",
            str(self.folder / "logs" / "startup.log"),
            "-p",
            str(self.folder),
            "-c",
            str(self.config),
            *extra,
        ]

    def start(self) -> None:
        checked = subprocess.run(self._command("-t"), capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        self.process = subprocess.Popen(
            self._command("-g", "daemon off;"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.https_port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("nginx did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def logs(self) -> str:
        return "".join(path.read_text() for path in sorted((self.folder / "logs").iterdir()))


class SlowClients:
    """Clients that send a request's headers, then its body one byte a second."""

    def __init__(self, port: int, *, tls: bool, count: int = SLOW_CLIENTS) -> None:
        self.port, self.tls, self.count = port, tls, count
        self.stop = threading.Event()
        self.connected = threading.Semaphore(0)
        self.threads = [threading.Thread(target=self._trickle, daemon=True) for _ in range(count)]

    def _trickle(self) -> None:
        connection = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        try:
            if self.tls:
                connection = unverified_tls().wrap_socket(connection, server_hostname="localhost")
            connection.sendall(
                b"POST /fr/signaler HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: 100000\r\n\r\n"
            )
            self.connected.release()
            while not self.stop.wait(1):
                connection.sendall(b"a")
        except OSError:
            self.connected.release()
        finally:
            connection.close()

    def __enter__(self) -> SlowClients:
        for thread in self.threads:
            thread.start()
        for _ in range(self.count):
            assert self.connected.acquire(timeout=10)
        time.sleep(2)  # each has sent its headers and the first bytes of its body
        return self

    def __exit__(self, *_exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=5)


def _opener() -> urllib.request.OpenerDirector:
    """A client as curl would be: cookies, no Origin or Fetch Metadata."""
    return urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=unverified_tls()),
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
    )


def _timed_get(url: str, timeout: float) -> tuple[int, float]:
    started = time.monotonic()
    with _opener().open(url, timeout=timeout) as response:
        response.read()
        return response.status, time.monotonic() - started


def _file_a_referral(base: str) -> str:
    opener = _opener()
    with opener.open(base + "/fr/signaler", timeout=10) as response:
        form = response.read().decode()
    fields = {
        name: re.search(rf'name="{name}" type="hidden" value="([^"]*)"', form).group(1)
        for name in ("csrf_token", "receipt", "receipt_seal")
    }
    body = urllib.parse.urlencode({**fields, **referral_data()}).encode()
    with opener.open(base + "/fr/signaler", data=body, timeout=10) as response:
        return response.read().decode()


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


@pytest.fixture
def deployment(databases, tmp_path):
    config = make_config(tmp_path / "instance", databases.create(), https=True)
    ready_installation(config)
    public_port = free_port()
    app = start_production_server(
        config, tmp_path / "gunicorn", behind=f"https://127.0.0.1:{public_port}"
    )
    proxy = Proxy(tmp_path / "nginx", _port(app.url), public_port)
    proxy.start()
    yield app, proxy
    proxy.stop()
    app.stop()


def test_behind_nginx_the_site_answers_while_50_clients_trickle(deployment):
    app, proxy = deployment
    started = time.monotonic()
    with SlowClients(proxy.https_port, tls=True):
        status, seconds = _timed_get(proxy.url + "/fr/", timeout=5)
        print(f"home page behind nginx, 50 slow clients connected: {seconds * 1000:.0f} ms")
        assert status == 200 and seconds < 2, seconds
        assert RECEIVED in _file_a_referral(proxy.url)
        status, seconds = _timed_get(proxy.url + "/fr/", timeout=5)
        assert status == 200 and seconds < 2, seconds
    # The control: the same clients straight at gunicorn's sync workers stop the site.
    with (
        SlowClients(_port(app.url), tls=False),
        pytest.raises((TimeoutError, urllib.error.URLError)),
    ):
        _timed_get(app.url + "/fr/", timeout=3)
    assert time.monotonic() - started < BOUND_SECONDS
    # The site is whole again once they are gone.
    assert _timed_get(proxy.url + "/fr/", timeout=10)[0] == 200
    logs = proxy.logs()
    assert '"GET /fr/" 200' in logs and '"POST /fr/signaler" 200' in logs
    assert "127.0.0.1" not in logs  # no client address in nginx's logs
    assert_no_traceback(app)


def test_plain_http_is_sent_to_https_and_oversized_bodies_stop_at_nginx(deployment):
    _app, proxy = deployment
    request = urllib.request.Request(f"http://127.0.0.1:{proxy.http_port}/fr/suivi?x=1")
    opener = urllib.request.build_opener(_NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as redirected:
        opener.open(request, timeout=5)
    assert redirected.value.code == 301
    assert redirected.value.headers["Location"] == "https://signalement.example.fr/fr/suivi?x=1"

    # Announced larger than 27 MiB: refused before a byte of the body is read.
    connection = unverified_tls().wrap_socket(
        socket.create_connection(("127.0.0.1", proxy.https_port), timeout=5),
        server_hostname="localhost",
    )
    connection.sendall(
        b"POST /fr/signaler HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: multipart/form-data; boundary=x\r\n"
        + f"Content-Length: {28 * 1024 * 1024}\r\n\r\n".encode()
    )
    assert connection.recv(200).startswith(b"HTTP/1.1 413")
    connection.close()

    # What the application sees behind it: HTTPS, so its session cookie is __Host-.
    with _opener().open(proxy.url + "/fr/signaler", timeout=5) as response:
        cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-portal=") and "Secure" in cookie


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args, **_kwargs):
        return None
