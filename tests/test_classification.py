"""Domains roll up to the families of Miviludes' activity report; migration 0007
moves the seven former codes without losing what a referral or a partner meant."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from portal.extensions import db
from portal.vocabulary import DOMAIN_TREE, DOMAINS, FAMILIES, PUBLIC_DOMAINS
from tests.casework_helpers import insert_raw_referral
from tests.conftest import make_config

MIGRATION = (
    Path(__file__).resolve().parents[1]
    / "migrations/versions/0007_domains_in_the_report_families.py"
)


def _migration():
    spec = importlib.util.spec_from_file_location("migration_0007", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_domain_has_a_family_and_every_family_a_domain():
    assert {domain.family for domain in DOMAIN_TREE.values()} == set(FAMILIES)
    assert set(DOMAINS) == set(PUBLIC_DOMAINS) == set(DOMAIN_TREE)
    assert len(DOMAINS) == 14


def test_the_report_words_are_kept_for_staff_and_plain_words_for_the_public(app):
    with app.test_request_context("/fr/"):
        assert str(FAMILIES["worship_spirituality"]) == "Cultes et spiritualités"
        assert str(DOMAINS["alternative_therapies"]) == "Thérapies alternatives"
        assert "médecine" in str(PUBLIC_DOMAINS["alternative_therapies"])


def test_the_migration_maps_every_former_code_to_current_ones():
    migration = _migration()
    assert set(migration.FORMER_DOMAINS) == set(migration.FORMER_COVERAGE)
    assert set(migration.FORMER_DOMAINS.values()) <= set(DOMAINS)
    for old, covered in migration.FORMER_COVERAGE.items():
        assert migration.FORMER_DOMAINS[old] in covered
        assert set(covered) <= set(DOMAINS)
    assert set(migration.BACK) == set(DOMAINS)
    assert set(migration.BACK.values()) == set(migration.FORMER_DOMAINS)
    for old, new in migration.FORMER_DOMAINS.items():
        assert migration.BACK[new] == old, "a downgrade gives each referral its code back"


def test_migration_0007_recodes_referrals_and_keeps_what_partners_covered(databases, tmp_path):
    from portal import create_app

    app = create_app(make_config(tmp_path, databases.create()))
    with app.app_context():
        directory = app.extensions["migrate"].directory
        upgrade(directory=directory, revision="0006")
        with db.engine.begin() as connection:
            for index, old in enumerate(_migration().FORMER_DOMAINS):
                insert_raw_referral(connection, f"MIG-{index:04d}-{old[:8]}", old)
            connection.execute(
                sa.text(
                    "INSERT INTO associations (slug, name, acronym, national, website, phone,"
                    " domains, description_fr, description_en, verified, demo) VALUES ('mig',"
                    " 'Migration test', '', false, '', '', 'health conspiracy', '', '', false,"
                    " false)"
                )
            )
        upgrade(directory=directory, revision="0007")
        with db.engine.connect() as connection:
            recoded = dict(
                connection.execute(sa.text("SELECT public_id, domain FROM referrals")).all()
            )
            covered = connection.execute(
                sa.text("SELECT domains FROM associations WHERE slug = 'mig'")
            ).scalar_one()
        assert sorted(recoded.values()) == sorted(_migration().FORMER_DOMAINS.values())
        assert covered.split() == [
            "alternative_therapies",
            "nutrition",
            "conspiracy",
            "survivalism",
        ]

        downgrade(directory=directory, revision="0006")
        with db.engine.connect() as connection:
            back = sorted(connection.execute(sa.text("SELECT domain FROM referrals")).scalars())
            covered = connection.execute(
                sa.text("SELECT domains FROM associations WHERE slug = 'mig'")
            ).scalar_one()
        assert back == sorted(_migration().FORMER_DOMAINS)
        assert covered.split() == ["health", "conspiracy"]
        db.engine.dispose()
