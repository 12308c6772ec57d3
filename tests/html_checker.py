"""The Nu HTML Checker (npm ``vnu-jar``), run once as a local service for the whole suite.

Java starts once (about 2 s); each page is then checked in a few milliseconds over
loopback. The checker reads only the HTML it is sent and fetches nothing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[1]
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
STARTUP_SECONDS = 60


class HtmlChecker:
    def __init__(self) -> None:
        java = shutil.which("java")
        assert java, "the HTML checker needs Java: apt-get install default-jre-headless"
        assert VNU_JAR.exists(), "vnu-jar is missing: run `npm ci`"
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                java,
                "-Xss2m",
                "-Dnu.validator.servlet.bind-address=127.0.0.1",
                "-cp",
                str(VNU_JAR),
                "nu.validator.servlet.Main",
                str(self.port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"http://127.0.0.1:{self.port}/?out=json"
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                self.errors("<!doctype html><html lang=fr><title>x</title></html>")
                return
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError("the Nu HTML Checker did not start") from None
                time.sleep(0.3)

    def errors(self, html: str) -> list[str]:
        """Every error (warnings aside), each with its line and an extract."""
        request = urllib.request.Request(
            self.url,
            data=html.encode("utf-8"),
            headers={"Content-Type": "text/html; charset=utf-8"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            messages = json.load(response)["messages"]
        return [
            f"line {message.get('lastLine')}: {message['message']} [{message.get('extract', '')}]"
            for message in messages
            if message["type"] in ("error", "non-document-error")
        ]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
