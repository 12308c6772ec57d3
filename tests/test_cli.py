"""``portal init``: secrets once, migrations, reference data; a second run changes nothing."""

from __future__ import annotations

import stat

from click.testing import CliRunner
from sqlalchemy import create_engine, func, select, text

from portal.cli import main
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
    for name in ("SECRET_KEY", "RECEIPT_PEPPER", "BLIND_INDEX_KEY"):
        monkeypatch.delenv(f"PORTAL_{name}", raising=False)
    result = CliRunner().invoke(main, ["routes"])
    assert result.exit_code != 0
