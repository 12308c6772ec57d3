"""Runtime configuration, read once from ``PORTAL_*`` environment variables.

Secrets never have a default in the code: they come from the environment or from
the secrets file that ``portal init`` writes once (mode 0600) in the instance
folder. A missing or short secret stops the application at start-up rather than
letting it run with a guessable key.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

ENV_PREFIX = "PORTAL_"
SECRETS_FILENAME = "secrets.json"
#: Secrets the installation needs; each is 32 random bytes, hex-encoded. Losing
#: ``receipt_pepper`` orphans every receipt code, ``blind_index_key`` the index,
#: ``audit_key`` the means to verify the audit log: all belong in the backup.
SECRET_NAMES = ("secret_key", "receipt_pepper", "blind_index_key", "audit_key")
MIN_SECRET_LENGTH = 32
DEFAULT_QUICK_EXIT_URL = "https://meteofrance.com/"
#: Where the local HTTP demo is served (``make run``); production names its own address.
DEMO_BASE_URL = "http://127.0.0.1:8000"
DEMO_ACCESSIBILITY_CONTACT = "accessibilite@demo.invalid"


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says which variable to fix."""


def _as_bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{ENV_PREFIX}{name} must be true or false, not {raw!r}")


def _as_int(name: str, raw: str, minimum: int = 0) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{ENV_PREFIX}{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{ENV_PREFIX}{name} must be at least {minimum}")
    return value


def check_shared_rate_limits(storage_uri: str, workers: int) -> None:
    """Several processes counting in their own memory multiply every documented limit
    (10 wrong receipts a minute become 10 per worker): refuse to start instead."""
    if workers > 1 and storage_uri.startswith("memory://"):
        raise ConfigError(
            f"{ENV_PREFIX}RATELIMIT_STORAGE_URI is {storage_uri!r} but {workers} workers serve: "
            "each would keep its own counters. Set it to a shared store "
            f"(e.g. redis://127.0.0.1:6379/0) or serve with {ENV_PREFIX}WORKERS=1."
        )


def instance_path_from_env(environ: Mapping[str, str] | None = None) -> Path:
    """``PORTAL_INSTANCE_PATH``, or ``./instance`` beside where the command runs."""
    env = os.environ if environ is None else environ
    return Path(env.get(ENV_PREFIX + "INSTANCE_PATH") or Path.cwd() / "instance").resolve()


def database_url_from_env(environ: Mapping[str, str] | None = None) -> str:
    """``PORTAL_DATABASE_URL``, or the SQLite file in the instance folder."""
    env = os.environ if environ is None else environ
    default = f"sqlite:///{instance_path_from_env(env) / 'portal.db'}"
    return env.get(ENV_PREFIX + "DATABASE_URL") or default


def secrets_missing_from_environment(environ: Mapping[str, str] | None = None) -> list[str]:
    """The variables still to set for an installation that keeps its secrets in the
    environment rather than in the secrets file."""
    env = os.environ if environ is None else environ
    return [
        ENV_PREFIX + name.upper() for name in SECRET_NAMES if not env.get(ENV_PREFIX + name.upper())
    ]


def keep_instance_private(instance_path: Path, database_url: str) -> None:
    """The instance folder holds the database, its WAL and shared memory, the secrets
    and the demo files: readable by the service's account alone. SQLite creates its
    -wal and -shm files with the database file's mode, so creating that file 0600 first
    covers all three; files an older version left readable by others are tightened."""
    instance_path.mkdir(mode=0o700, parents=True, exist_ok=True)
    instance_path.chmod(0o700)
    if database_url.startswith("sqlite:///"):
        database = Path(database_url.removeprefix("sqlite:///"))
        if database.name and database.name != ":memory:":
            database.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.close(os.open(database, os.O_WRONLY | os.O_CREAT, 0o600))
    for path in instance_path.rglob("*"):
        if path.is_file() and stat.S_IMODE(path.stat().st_mode) & 0o077:
            path.chmod(stat.S_IMODE(path.stat().st_mode) & 0o700)


def secrets_file(instance_path: Path) -> Path:
    return instance_path / SECRETS_FILENAME


def write_secrets_file(instance_path: Path) -> tuple[Path, list[str]]:
    """Create the secrets file, or add the secrets a newer version needs to it; return
    its path and the names added (all of them when the file is new).

    A value already in the file is never replaced: replacing the pepper or the index
    key would orphan every receipt code and blind-index token already issued, the
    audit key every seal of the audit log.
    """
    path = secrets_file(instance_path)
    instance_path.mkdir(mode=0o700, parents=True, exist_ok=True)
    values = _read_secrets_file(path, strict=True)
    added = [name for name in SECRET_NAMES if not values.get(name)]
    if not added:
        return path, []
    values.update({name: secrets.token_hex(32) for name in added})
    partial = path.with_name(f".{path.name}.{os.getpid()}.new")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(values, handle, indent=2)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)
    return path, added


def _read_secrets_file(path: Path, *, strict: bool) -> dict[str, str]:
    """``strict``: a file readable by others stops everything (start-up, commands).
    Otherwise (a worker gunicorn starts again later, with nobody watching) it is said
    loudly and the service goes on: stopping would hand an outage to whoever could
    loosen the file's mode, at a random later time."""
    if not path.exists():
        return {}
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        problem = f"{path} must be readable by its owner only (chmod 600), not {oct(mode)}"
        if strict:
            raise ConfigError(problem)
        logger.error(
            "SECURITY: %s. Its mode is set back to 0600; find out who could read it and "
            "consider the secrets exposed.",
            problem,
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ConfigError(f"{path} is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a JSON object")
    return {str(key): str(value) for key, value in data.items()}


@dataclass(frozen=True)
class Config:
    """Everything the application reads from its environment, validated once."""

    instance_path: Path
    database_url: str
    secret_key: str = field(repr=False)
    receipt_pepper: str = field(repr=False)
    blind_index_key: str = field(repr=False)
    #: Seals the audit log (HMAC); kept out of the database so that whoever can write
    #: there cannot rewrite the log unseen.
    audit_key: str = field(repr=False)
    #: Serve cookies with ``Secure`` and the ``__Host-`` prefix; off only for local HTTP demos.
    https: bool = True
    #: Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted.
    proxy_count: int = 0
    ratelimit_storage_uri: str = "memory://"
    #: Referrals one client address may file (stored ones only); Flask-Limiter syntax.
    report_limit: str = "20 per hour"
    #: Prefix of the rate-limit counters, so installations can share one Redis.
    ratelimit_key_prefix: str = "portal"
    #: The address people reach the portal at (``https://…``, no path): links in
    #: e-mails and the origin that form posts must come from. Never the request's Host.
    base_url: str = ""
    quick_exit_url: str = DEFAULT_QUICK_EXIT_URL
    #: Where a person who cannot use a page writes to (the accessibility statement must
    #: give a channel other than the portal's own forms).
    accessibility_contact: str = ""
    testing: bool = False
    #: Tests only: hash passwords with crypto's fast profile (refused outside tests).
    fast_password_hashing: bool = False
    #: ``smtp://user:password@host:port`` (``smtps://`` for implicit TLS); empty: the
    #: outbox is printed on the console instead of sent (the demo).
    smtp_url: str = field(default="", repr=False)
    mail_from: str = "ne-pas-repondre@miviludes.invalid"
    #: Sessions of the back office and the partner space.
    session_idle_minutes: int = 30
    session_absolute_hours: int = 8

    def __post_init__(self) -> None:
        if self.fast_password_hashing and not self.testing:
            raise ConfigError("fast password hashing is for tests only")
        for name in SECRET_NAMES:
            value = getattr(self, name)
            if not value:
                raise ConfigError(
                    f"secret {name!r} is missing: set {ENV_PREFIX}{name.upper()} "
                    f"or run `portal init` to create {secrets_file(self.instance_path)}"
                )
            if len(value) < MIN_SECRET_LENGTH:
                raise ConfigError(
                    f"secret {name!r} is too short ({len(value)} characters, "
                    f"at least {MIN_SECRET_LENGTH} needed)"
                )
        if not self.quick_exit_url.startswith("https://"):
            raise ConfigError(f"{ENV_PREFIX}QUICK_EXIT_URL must be an https:// address")
        self._check_base_url()
        self._check_accessibility_contact()

    def _required_over_https(self, name: str, demo_value: str, meaning: str) -> bool:
        """Whether the setting was given; the local demo (HTTP) gets ``demo_value``."""
        if getattr(self, name):
            return True
        if self.https:
            raise ConfigError(f"{ENV_PREFIX}{name.upper()} is required over HTTPS: {meaning}")
        object.__setattr__(self, name, demo_value)
        return False

    def _check_accessibility_contact(self) -> None:
        given = self._required_over_https(
            "accessibility_contact",
            DEMO_ACCESSIBILITY_CONTACT,
            "the e-mail address the accessibility statement gives to people who cannot use a page",
        )
        if given and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", self.accessibility_contact):
            raise ConfigError(f"{ENV_PREFIX}ACCESSIBILITY_CONTACT must be an e-mail address")

    def _check_base_url(self) -> None:
        if not self._required_over_https(
            "base_url",
            DEMO_BASE_URL,
            "the address people reach the portal at, e.g. https://signalement.miviludes.gouv.fr",
        ):
            return
        parts = urlsplit(self.base_url)
        schemes = {"https"} if self.https else {"http", "https"}
        if (
            parts.scheme not in schemes
            or not parts.hostname
            or parts.path not in {"", "/"}
            or parts.query
            or parts.fragment
            or parts.username
        ):
            raise ConfigError(
                f"{ENV_PREFIX}BASE_URL must be an {'https' if self.https else 'http'}:// "
                "address with no path, "
                f"not {self.base_url!r}"
            )
        object.__setattr__(self, "base_url", f"{parts.scheme}://{parts.netloc}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, strict: bool = True) -> Config:
        """``strict=False`` only for workers started after the master checked (see
        ``_read_secrets_file``)."""
        env = os.environ if environ is None else environ

        def get(name: str, default: str = "") -> str:
            return env.get(ENV_PREFIX + name, default)

        instance_path = instance_path_from_env(env)
        file_secrets = _read_secrets_file(secrets_file(instance_path), strict=strict)
        secret_values = {
            name: get(name.upper()) or file_secrets.get(name, "") for name in SECRET_NAMES
        }
        database_url = database_url_from_env(env)
        return cls(
            instance_path=instance_path,
            database_url=database_url,
            https=_as_bool("HTTPS", get("HTTPS", "true")),
            proxy_count=_as_int("PROXY_COUNT", get("PROXY_COUNT", "0")),
            ratelimit_storage_uri=get("RATELIMIT_STORAGE_URI", "memory://"),
            ratelimit_key_prefix=get("RATELIMIT_KEY_PREFIX", "portal"),
            report_limit=get("REPORT_LIMIT", "20 per hour"),
            base_url=get("BASE_URL"),
            quick_exit_url=get("QUICK_EXIT_URL", DEFAULT_QUICK_EXIT_URL),
            accessibility_contact=get("ACCESSIBILITY_CONTACT"),
            smtp_url=get("SMTP_URL"),
            mail_from=get("MAIL_FROM", "ne-pas-repondre@miviludes.invalid"),
            **secret_values,
        )

    def key_bytes(self, name: str) -> bytes:
        """A 32-byte key from one of the secrets, whatever form the operator gave it in."""
        if name not in SECRET_NAMES:
            raise KeyError(name)
        return hashlib.sha256(
            f"miviludes-portal/{name}/".encode() + getattr(self, name).encode()
        ).digest()

    def flask_settings(self) -> dict[str, object]:
        """The subset Flask and its extensions read from ``app.config``."""
        cookie_name = "__Host-portal" if self.https else "portal"
        return {
            "SECRET_KEY": self.secret_key,
            "TESTING": self.testing,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            # A database server can drop a pooled connection (restart, failover): each
            # is checked before use. An SQLite file has no server to drop it; a fault
            # there renews the pool (portal.extensions.recover_storage), and the check
            # would cost every request a statement.
            "SQLALCHEMY_ENGINE_OPTIONS": {
                "pool_pre_ping": not self.database_url.startswith("sqlite:")
            },
            "SESSION_COOKIE_NAME": cookie_name,
            "SESSION_COOKIE_SECURE": self.https,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Strict",
            "SESSION_COOKIE_PATH": "/",
            "PREFERRED_URL_SCHEME": "https" if self.https else "http",
            "WTF_CSRF_TIME_LIMIT": 3600 * 4,
            # Flask-WTF's strict check wants a same-origin Referer on every HTTPS post;
            # browsers and privacy tools may omit it. portal.security checks the
            # Origin / Sec-Fetch-Site that every current browser sends instead.
            "WTF_CSRF_SSL_STRICT": False,
            "RATELIMIT_STORAGE_URI": self.ratelimit_storage_uri,
            "RATELIMIT_KEY_PREFIX": self.ratelimit_key_prefix,
            "RATELIMIT_HEADERS_ENABLED": False,
            "BABEL_DEFAULT_LOCALE": "fr",
            "BABEL_DEFAULT_TIMEZONE": "Europe/Paris",
            "BABEL_TRANSLATION_DIRECTORIES": str(
                Path(__file__).resolve().parent.parent / "translations"
            ),
            # Request-size limits. Uploads are held in memory (portal.requests), so the
            # body limit is also a memory bound: 25 MB of files plus the text fields.
            "MAX_CONTENT_LENGTH": 26 * 1024 * 1024,
            "MAX_FORM_MEMORY_SIZE": 512 * 1024,
            "MAX_FORM_PARTS": 100,
            "SEND_FILE_MAX_AGE_DEFAULT": 3600,
        }
