"""The map of France: every département and region of the reference data has its
area, the geometry file is what the installed DSFR chart package gives, and the
shades follow the counts."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import Departement, Region
from portal.statistics import france_map
from portal.statistics.france_map import NOTHING, SHADES, choropleth, geometry


def test_the_geometry_file_is_what_the_installed_package_gives():
    assert france_map.extract_installed() == geometry()
    assert "MIT" in geometry()["source"]


def test_every_departement_and_region_has_an_area(app):
    with app.app_context():
        departements = set(db.session.scalars(select(Departement.code)))
        regions = set(db.session.scalars(select(Region.code)))
    drawing = geometry()
    assert set(drawing["departements"]) | set(drawing["overseas"]) == departements
    overseas_regions = {item["region"] for item in drawing["overseas"].values()}
    assert set(drawing["regions"]) | overseas_regions == regions
    assert {"2A", "2B", "971", "976"} <= departements


def test_shades_follow_the_counts(app):
    names = {"21": "Côte-d'Or", "35": "Ille-et-Vilaine", "75": "Paris", "974": "La Réunion"}
    with app.test_request_context("/fr/"):
        drawn = choropleth("m", "departements", {"21": 50, "35": 1, "974": 25, None: 7}, names)
    fills = {area.code: area.fill for area in drawn.areas}
    fills.update({inset.area.code: inset.area.fill for inset in drawn.insets})
    assert fills["21"] == SHADES[-1]
    assert fills["35"] == SHADES[0]
    assert fills["75"] == NOTHING
    assert fills["974"] not in (NOTHING, SHADES[0], SHADES[-1])
    titles = {area.code: area.title for area in drawn.areas}
    assert titles["21"] == "Côte-d'Or : 50"
    assert [(step.low, step.high) for step in drawn.legend] == [
        (1, 10),
        (11, 20),
        (21, 30),
        (31, 40),
        (41, 50),
    ]
    assert choropleth("m", "regions", {}, {"84": "ARA"}).legend == ()
    few = choropleth("m", "departements", {"21": 2}, names)
    assert [(step.low, step.high) for step in few.legend] == [(1, 1), (2, 2)]
