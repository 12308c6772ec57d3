"""Configuration: secrets from the environment or the 0600 file; no default, no short secret."""

from __future__ import annotations

import json
import stat

import pytest

from portal.config import (
    SECRET_NAMES,
    Config,
    ConfigError,
    check_shared_rate_limits,
    write_secrets_file,
)


def _env(tmp_path, **values) -> dict[str, str]:
    env = {
        "PORTAL_INSTANCE_PATH": str(tmp_path),
        "PORTAL_BASE_URL": "https://portal.example.fr",
        "PORTAL_ACCESSIBILITY_CONTACT": "accessibilite@example.fr",
    }
    env.update({f"PORTAL_{key.upper()}": value for key, value in values.items()})
    return env


def _all_secrets(value: str = "s" * 64) -> dict[str, str]:
    return {name: value for name in SECRET_NAMES}


def test_missing_secret_is_refused_with_a_useful_message(tmp_path):
    with pytest.raises(ConfigError, match="portal init"):
        Config.from_env(_env(tmp_path))


def test_short_secret_is_refused(tmp_path):
    values = _all_secrets()
    values["secret_key"] = "too-short"
    with pytest.raises(ConfigError, match="too short"):
        Config.from_env(_env(tmp_path, **values))


def test_secrets_from_the_environment(tmp_path):
    config = Config.from_env(_env(tmp_path, **_all_secrets(), database_url="sqlite:///x.db"))
    assert config.secret_key == "s" * 64
    assert config.database_url == "sqlite:///x.db"
    assert config.https is True and config.proxy_count == 0
    assert "s" * 64 not in repr(config)


def test_defaults_to_sqlite_in_the_instance_folder(tmp_path):
    config = Config.from_env(_env(tmp_path, **_all_secrets()))
    assert config.database_url == f"sqlite:///{tmp_path.resolve() / 'portal.db'}"


def test_secrets_file_is_created_once_with_mode_0600(tmp_path):
    path, added = write_secrets_file(tmp_path)
    assert added == list(SECRET_NAMES)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = path.read_text()
    assert set(json.loads(first)) == set(SECRET_NAMES)
    _, added_again = write_secrets_file(tmp_path)
    assert added_again == [] and path.read_text() == first
    config = Config.from_env(_env(tmp_path))
    assert config.receipt_pepper == json.loads(first)["receipt_pepper"]


def test_environment_overrides_the_file(tmp_path):
    write_secrets_file(tmp_path)
    config = Config.from_env(_env(tmp_path, secret_key="e" * 40))
    assert config.secret_key == "e" * 40


def test_secrets_file_readable_by_others_is_refused(tmp_path):
    path, _ = write_secrets_file(tmp_path)
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        Config.from_env(_env(tmp_path))


@pytest.mark.parametrize(
    ("name", "value", "match"),
    [
        ("https", "maybe", "true or false"),
        ("proxy_count", "two", "whole number"),
        ("quick_exit_url", "http://example.org", "https://"),
    ],
)
def test_bad_values_are_refused(tmp_path, name, value, match):
    with pytest.raises(ConfigError, match=match):
        Config.from_env(_env(tmp_path, **_all_secrets(), **{name: value}))


def test_flask_settings_harden_the_cookie(tmp_path):
    settings = Config.from_env(_env(tmp_path, **_all_secrets())).flask_settings()
    assert settings["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert settings["SESSION_COOKIE_SECURE"] and settings["SESSION_COOKIE_HTTPONLY"]
    assert settings["SESSION_COOKIE_SAMESITE"] == "Strict"
    for limit in ("MAX_CONTENT_LENGTH", "MAX_FORM_MEMORY_SIZE", "MAX_FORM_PARTS"):
        assert settings[limit] > 0


def test_production_needs_the_base_url_that_e_mails_link_to(tmp_path):
    env = _env(tmp_path, **_all_secrets())
    del env["PORTAL_BASE_URL"]
    with pytest.raises(ConfigError, match="PORTAL_BASE_URL is required"):
        Config.from_env(env)
    demo = Config.from_env({**env, "PORTAL_HTTPS": "false"})
    assert demo.base_url == "http://127.0.0.1:8000"


@pytest.mark.parametrize(
    "url",
    ["http://portal.example.fr", "https://portal.example.fr/path", "https://", "portal.example.fr"],
)
def test_a_base_url_that_is_not_an_https_origin_is_refused(tmp_path, url):
    with pytest.raises(ConfigError, match="PORTAL_BASE_URL"):
        Config.from_env(_env(tmp_path, **_all_secrets(), base_url=url))


def test_the_base_url_is_kept_as_an_origin(tmp_path):
    config = Config.from_env(
        _env(tmp_path, **_all_secrets(), base_url="https://Portal.example.fr/")
    )
    assert config.base_url == "https://Portal.example.fr"


def test_several_workers_counting_in_memory_are_refused():
    with pytest.raises(ConfigError, match=r"PORTAL_RATELIMIT_STORAGE_URI.*PORTAL_WORKERS=1"):
        check_shared_rate_limits("memory://", 2)
    check_shared_rate_limits("memory://", 1)
    check_shared_rate_limits("redis://127.0.0.1:6379/0", 5)


def test_the_instance_folder_and_everything_in_it_are_private(tmp_path):
    """The database, its WAL and shared memory, the secrets: 0600 in a 0700 folder,
    including a database an older version left readable by others."""
    from portal import create_app
    from portal.extensions import db
    from tests.conftest import make_config

    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    old_file = instance / "old-export.csv"
    old_file.write_text("x")
    old_file.chmod(0o644)
    write_secrets_file(instance)
    app = create_app(make_config(instance, f"sqlite:///{instance / 'portal.db'}"))
    with app.app_context():
        db.session.execute(db.text("CREATE TABLE probe (x INTEGER)"))
        db.session.execute(db.text("INSERT INTO probe VALUES (1)"))
        db.session.commit()
        names = sorted(path.name for path in instance.iterdir())
        assert {"portal.db", "portal.db-wal", "portal.db-shm", "secrets.json"} <= set(names)
        modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in instance.iterdir()}
        db.engine.dispose()
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
    assert modes == dict.fromkeys(names, 0o600)


def test_production_needs_a_contact_for_the_accessibility_statement(tmp_path):
    env = _env(tmp_path, **_all_secrets())
    del env["PORTAL_ACCESSIBILITY_CONTACT"]
    with pytest.raises(ConfigError, match="PORTAL_ACCESSIBILITY_CONTACT is required"):
        Config.from_env(env)
    with pytest.raises(ConfigError, match="must be an e-mail address"):
        Config.from_env({**env, "PORTAL_ACCESSIBILITY_CONTACT": "not an address"})
    demo = Config.from_env({**env, "PORTAL_HTTPS": "false"})
    assert demo.accessibility_contact == "accessibilite@demo.invalid"
