"""``portal init``: secrets once, migrations, reference data; a second run changes nothing."""

from __future__ import annotations

import stat

from click.testing import CliRunner
from sqlalchemy import create_engine, func, select, text

from portal.cli import main
from portal.config import SECRET_NAMES
from portal.models import Association, AssociationCoverage, Departement, Region


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as connection:
        counts = {
            model.__tablename__: connection.scalar(select(func.count()).select_from(model))
            for model in (Region, Departement, Association, AssociationCoverage)
        }
        counts["alembic_version"] = connection.scalar(text("SELECT count(*) FROM alembic_version"))
    engine.dispose()
    return counts


def test_init_twice_changes_nothing(databases, tmp_path, monkeypatch):
    url = databases.create()
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("PORTAL_DATABASE_URL", url)
    monkeypatch.setenv("PORTAL_HTTPS", "false")
    runner = CliRunner()

    first = runner.invoke(main, ["init"], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert "Created secrets file" in first.output
    assert "18 regions, 101 départements, 12 associations" in first.output
    secrets_file = tmp_path / "instance" / "secrets.json"
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    secrets_before = secrets_file.read_bytes()
    counts = _counts(url)
    assert counts["regions"] == 18 and counts["departements"] == 101
    assert counts["associations"] == 12 and counts["alembic_version"] == 1

    second = runner.invoke(main, ["init"], catch_exceptions=False)
    assert second.exit_code == 0, second.output
    assert "Kept secrets file" in second.output
    assert "0 regions, 0 départements, 0 associations" in second.output
    assert secrets_file.read_bytes() == secrets_before
    assert _counts(url) == counts


def test_init_keeps_an_administrators_correction(databases, tmp_path, monkeypatch):
    url = databases.create()
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("PORTAL_DATABASE_URL", url)
    monkeypatch.setenv("PORTAL_BASE_URL", "https://signalement.example.fr")
    monkeypatch.setenv("PORTAL_ACCESSIBILITY_CONTACT", "accessibilite@example.fr")
    runner = CliRunner()
    assert runner.invoke(main, ["init"]).exit_code == 0
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE associations SET phone = '01 02 03 04 05', verified = true "
                "WHERE slug = 'unadfi'"
            )
        )
    assert runner.invoke(main, ["init"]).exit_code == 0
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT phone, verified FROM associations WHERE slug = 'unadfi'")
        ).one()
    engine.dispose()
    assert row.phone == "01 02 03 04 05" and row.verified


def test_app_refuses_to_start_without_secrets(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path / "empty"))
    for name in SECRET_NAMES:
        monkeypatch.delenv(f"PORTAL_{name.upper()}", raising=False)
    result = CliRunner().invoke(main, ["routes"])
    assert result.exit_code != 0


def test_accounts_and_keys_from_the_command_line(databases, tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("PORTAL_DATABASE_URL", databases.create())
    monkeypatch.setenv("PORTAL_HTTPS", "false")
    runner = CliRunner()
    assert runner.invoke(main, ["init"]).exit_code == 0
    kit = runner.invoke(main, ["keys", "init"]).output
    secret = kit.split("Recovery secret: ")[1].split()[0]

    short = runner.invoke(
        main,
        ["users", "add", "a@example.fr", "--role", "admin", "--password-stdin"],
        input="too short\n",
    )
    assert short.exit_code != 0 and "too short" in short.output
    added = runner.invoke(
        main,
        ["users", "add", "A@Example.fr", "--role", "admin", "--password-stdin"],
        input="une phrase de passe longue\n",
    )
    assert added.exit_code == 0, added.output
    assert "otpauth://totp/Miviludes:a%40example.fr" in added.output
    assert "Password:" not in added.output and "needs its group key" in added.output

    partner = runner.invoke(
        main,
        ["users", "add", "p@example.fr", "--role", "partner", "--association", "adfi-bretagne"],
    )
    assert partner.exit_code == 0 and "Password: " in partner.output
    assert "needs its group key" not in partner.output  # the first member creates the key
    refused = runner.invoke(main, ["users", "add", "q@example.fr", "--role", "partner"])
    assert refused.exit_code != 0 and "exactly one association" in refused.output

    listing = runner.invoke(main, ["associations", "list"]).output
    assert "adfi-bretagne\tADFI Bretagne (exemple)\t22 29 35 56" in listing
    assert "unadfi\t" in listing and "\tnational" in listing

    wrong = runner.invoke(main, ["keys", "grant", "a@example.fr"], input="0" * 52 + "\n")
    assert wrong.exit_code != 0 and "does not open" in wrong.output
    granted = runner.invoke(main, ["keys", "grant", "a@example.fr"], input=secret + "\n")
    assert granted.exit_code == 0 and "group miviludes" in granted.output

    reset = runner.invoke(main, ["users", "reset", "a@example.fr"])
    assert reset.exit_code == 0 and "Grant the group keys again" in reset.output
    recovered = runner.invoke(main, ["keys", "recover"], input=secret + "\n")
    assert "a@example.fr: keys granted" in recovered.output
    assert runner.invoke(main, ["users", "disable", "p@example.fr"]).exit_code == 0
    audit = runner.invoke(main, ["audit", "verify"])
    assert audit.exit_code == 0 and "every seal verifies" in audit.output


def test_init_refuses_to_orphan_the_receipts_of_an_existing_database(
    databases, tmp_path, monkeypatch
):
    """The secrets file is lost but the database holds referrals: new secrets would make
    every receipt ever issued useless, so init refuses, names the file and the way out."""
    import shutil

    from tests.intake_helpers import post_referral

    url = databases.create()
    instance = tmp_path / "instance"
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(instance))
    monkeypatch.setenv("PORTAL_DATABASE_URL", url)
    monkeypatch.setenv("PORTAL_HTTPS", "false")
    runner = CliRunner()
    assert runner.invoke(main, ["init"]).exit_code == 0
    assert runner.invoke(main, ["keys", "init", "--kit-file", str(tmp_path / "kit")]).exit_code == 0
    from portal import create_app

    app = create_app()
    assert post_referral(app.test_client()).status_code == 200
    with app.app_context():
        from portal.extensions import db

        db.engine.dispose()
    secrets_path = instance / "secrets.json"
    backup = tmp_path / "backup-secrets.json"
    shutil.move(secrets_path, backup)

    refused = runner.invoke(main, ["init"])
    assert refused.exit_code != 0
    assert "already holds 1 referrals" in refused.output
    assert str(secrets_path) in refused.output and "--fresh-start" in refused.output
    assert not secrets_path.exists()

    shutil.move(backup, secrets_path)  # restored from the backup: init goes on
    assert runner.invoke(main, ["init"]).exit_code == 0

    secrets_path.unlink()
    fresh = runner.invoke(main, ["init", "--fresh-start"])
    assert fresh.exit_code == 0 and "Created secrets file" in fresh.output


def test_init_on_an_empty_database_creates_the_secrets(databases, tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("PORTAL_DATABASE_URL", databases.create())
    monkeypatch.setenv("PORTAL_HTTPS", "false")
    result = CliRunner().invoke(main, ["init"])
    assert result.exit_code == 0 and "Created secrets file" in result.output


def test_init_adds_a_secret_a_newer_version_needs_and_keeps_the_others(
    databases, tmp_path, monkeypatch
):
    """An installation from before the audit key: its file gains the key, nothing else."""
    import json

    instance = tmp_path / "instance"
    instance.mkdir(mode=0o700)
    older = {name: f"{name}-" + "0" * 40 for name in SECRET_NAMES if name != "audit_key"}
    secrets_path = instance / "secrets.json"
    secrets_path.write_text(json.dumps(older))
    secrets_path.chmod(0o600)
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(instance))
    monkeypatch.setenv("PORTAL_DATABASE_URL", databases.create())
    monkeypatch.setenv("PORTAL_HTTPS", "false")
    for name in SECRET_NAMES:
        monkeypatch.delenv(f"PORTAL_{name.upper()}", raising=False)
    result = CliRunner().invoke(main, ["init"])
    assert result.exit_code == 0, result.output
    assert f"Added audit_key to secrets file {secrets_path}: back it up again" in result.output
    now = json.loads(secrets_path.read_text())
    assert {name: now[name] for name in older} == older and len(now["audit_key"]) == 64
    assert stat.S_IMODE(secrets_path.stat().st_mode) == 0o600
    again = CliRunner().invoke(main, ["init"])
    assert "Kept secrets file" in again.output and json.loads(secrets_path.read_text()) == now
