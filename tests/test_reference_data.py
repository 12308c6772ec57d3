"""The reference data: 18 regions, 101 départements with their INSEE codes, the directory."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Association, Departement, Region


def test_regions_and_departements(app):
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Region)) == 18
        assert db.session.scalar(select(func.count()).select_from(Departement)) == 101
        overseas = db.session.scalars(select(Region.name).where(Region.overseas)).all()
        assert sorted(overseas) == ["Guadeloupe", "Guyane", "La Réunion", "Martinique", "Mayotte"]
        codes = set(db.session.scalars(select(Departement.code)))
        assert {"2A", "2B", "971", "976"} <= codes and "20" not in codes
        assert db.session.get(Departement, "21").region.name == "Bourgogne-Franche-Comté"
        occitanie = db.session.scalars(select(Region).where(Region.code == "76")).one()
        assert len(occitanie.departements) == 13


def test_association_directory_marks_what_is_unverified(app):
    with app.app_context():
        associations = db.session.scalars(select(Association)).all()
        assert not any(a.verified for a in associations)
        national = {a.slug for a in associations if a.national}
        assert {"unadfi", "ccmm", "gemppi", "caffes", "clps", "france-victimes"} == national
        assert all(a.demo for a in associations if not a.national)
        adfi = db.session.scalars(
            select(Association).where(Association.slug == "adfi-bourgogne-franche-comte")
        ).one()
        assert len(adfi.coverage) == 8
