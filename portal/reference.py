"""Loading the reference data shipped in ``portal/data/``: regions, départements,
associations, and the official communes and postcodes (``portal.geography``)."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import geography
from portal.extensions import once_per_process
from portal.models import Association, AssociationCoverage, Departement, Region


@dataclass(frozen=True)
class LoadReport:
    regions: int
    departements: int
    associations: int
    #: Commune–postcode rows (re)loaded: 0 when the table already held the vendored ones.
    communes: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.regions or self.departements or self.associations or self.communes)


def _data_text(name: str) -> str:
    return resources.files("portal.data").joinpath(name).read_text(encoding="utf-8")


def _csv_rows(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(_data_text(name).splitlines()))


def load_reference_data(session: Session) -> LoadReport:
    """Insert what is missing; never update what exists.

    Running it again changes nothing, and an association that an administrator has
    corrected keeps the correction.
    """
    known_regions = set(session.scalars(select(Region.code)))
    new_regions = [
        Region(code=row["code"], name=row["name"], overseas=row["overseas"] == "1")
        for row in _csv_rows("regions.csv")
        if row["code"] not in known_regions
    ]
    session.add_all(new_regions)
    session.flush()

    known_departements = set(session.scalars(select(Departement.code)))
    departement_rows = _csv_rows("departements.csv")
    new_departements = [
        Departement(code=row["code"], name=row["name"], region_code=row["region_code"])
        for row in departement_rows
        if row["code"] not in known_departements
    ]
    session.add_all(new_departements)
    session.flush()

    by_region: dict[str, list[str]] = {}
    for row in departement_rows:
        by_region.setdefault(row["region_code"], []).append(row["code"])

    known_slugs = set(session.scalars(select(Association.slug)))
    new_associations = []
    for entry in json.loads(_data_text("associations.json"))["associations"]:
        if entry["slug"] in known_slugs:
            continue
        covered = list(entry.get("departements", []))
        for region_code in entry.get("regions", []):
            covered.extend(by_region[region_code])
        association = Association(
            slug=entry["slug"],
            name=entry["name"],
            acronym=entry.get("acronym", ""),
            national=entry.get("national", False),
            website=entry.get("website", ""),
            phone=entry.get("phone", ""),
            domains=" ".join(entry.get("domains", [])),
            description_fr=entry.get("description_fr", ""),
            description_en=entry.get("description_en", ""),
            verified=False,
            demo=entry.get("demo", False),
            coverage=[AssociationCoverage(departement_code=code) for code in sorted(set(covered))],
        )
        new_associations.append(association)
    session.add_all(new_associations)
    session.flush()
    communes = geography.load_communes(session)
    return LoadReport(len(new_regions), len(new_departements), len(new_associations), communes)


def departement_choices(session: Session) -> list[tuple[str, str]]:
    """``("21", "21 – Côte-d'Or")`` for each département, in code order."""
    return once_per_process(
        "portal.departement_choices",
        lambda: [
            (d.code, d.label)
            for d in session.scalars(select(Departement).order_by(Departement.code))
        ],
    )


def region_choices(session: Session) -> list[tuple[str, str]]:
    return once_per_process(
        "portal.region_choices",
        lambda: [(r.code, r.name) for r in session.scalars(select(Region).order_by(Region.name))],
    )


@dataclass(frozen=True)
class PlaceNames:
    """How pages name the territories a referral carries as codes."""

    departements: dict[str, str]
    regions: dict[str, str]


def place_names(session: Session) -> PlaceNames:
    return PlaceNames(departement_labels(session), region_names(session))


def departement_labels(session: Session) -> dict[str, str]:
    """Code → "21 – Côte-d'Or": how a page names a département (never its bare code)."""
    return once_per_process("portal.departement_labels", lambda: dict(departement_choices(session)))


def region_names(session: Session) -> dict[str, str]:
    return once_per_process("portal.region_names", lambda: dict(region_choices(session)))
