"""Domain operations behind the public pages: finding contacts, reading a self-check."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal import geography
from portal.models import (
    Association,
    AssociationCoverage,
    CommunePostcode,
    Departement,
    Region,
)
from portal.vocabulary import SIGNS_CONCERNING_CHILDREN, SIGNS_WITH_HEALTH_RISK, WARNING_SIGNS


def list_regions(session: Session) -> list[Region]:
    return list(session.scalars(select(Region).order_by(Region.overseas, Region.name)))


@dataclass(frozen=True)
class ContactDirectory:
    """Who can help, from the closest to the most general."""

    region: Region
    departement: Departement | None
    #: Associations covering the chosen département (empty when a region was chosen).
    local: list[Association] = field(default_factory=list)
    #: Associations covering the region, beyond those already listed as local.
    regional: list[Association] = field(default_factory=list)
    national: list[Association] = field(default_factory=list)


#: What the public finder lists (``portal.directory``): active partners an administrator
#: chose to list.
LISTED = (Association.active.is_(True), Association.listed.is_(True))


def _associations_covering(session: Session, codes: Iterable[str]) -> list[Association]:
    query = (
        select(Association)
        .join(AssociationCoverage)
        .where(
            AssociationCoverage.departement_code.in_(list(codes)),
            Association.national.is_(False),
            *LISTED,
        )
        .options(selectinload(Association.coverage))
        .distinct()
        .order_by(Association.name)
    )
    return list(session.scalars(query))


def national_associations(session: Session) -> list[Association]:
    query = (
        select(Association)
        .where(Association.national.is_(True), *LISTED)
        .order_by(Association.name)
    )
    return list(session.scalars(query))


def contacts_for_departement(session: Session, code: str) -> ContactDirectory | None:
    departement = session.get(Departement, code)
    if departement is None:
        return None
    local = _associations_covering(session, [code])
    region_codes = [d.code for d in departement.region.departements]
    regional = [a for a in _associations_covering(session, region_codes) if a not in local]
    return ContactDirectory(
        departement.region, departement, local, regional, national_associations(session)
    )


def contacts_for_region(session: Session, code: str) -> ContactDirectory | None:
    region = session.get(Region, code)
    if region is None:
        return None
    regional = _associations_covering(session, [d.code for d in region.departements])
    return ContactDirectory(region, None, [], regional, national_associations(session))


#: Overseas collectivities with postcodes of their own, not départements: Guadeloupe's
#: partners (of which they were part until 2007) are the nearest.
COLLECTIVITIES = {"977": "971", "978": "971"}
MONACO = "98000"


@dataclass(frozen=True)
class ContactSearch:
    directory: ContactDirectory | None
    #: The postcode was well formed but belongs to no commune of France.
    unknown_postcode: bool = False
    #: Several communes share the postcode: the person says which is theirs.
    communes: list[CommunePostcode] = field(default_factory=list)
    #: The commune the contacts are for, when known.
    commune: CommunePostcode | None = None
    #: Monaco (98000) is not in France: the national associations still help.
    monaco: bool = False
    #: For Monaco: the national associations, the only ones that can help.
    national: list[Association] = field(default_factory=list)

    @property
    def collectivity(self) -> bool:
        return self.commune is not None and self.commune.departement_code in COLLECTIVITIES


def _contacts_for_commune(session: Session, found: CommunePostcode) -> ContactSearch:
    code = COLLECTIVITIES.get(found.departement_code, found.departement_code)
    return ContactSearch(contacts_for_departement(session, code), commune=found)


def find_contacts(
    session: Session,
    *,
    postcode: str | None,
    departement: str | None,
    region: str | None,
    commune: str | None = None,
) -> ContactSearch:
    """Search by the most precise place given: commune, postcode, département, region.

    The page offers them as separate forms, so only one normally arrives. A postcode
    is looked up in the official list of communes (``portal.geography``).
    """
    if commune:
        found = geography.commune(session, commune)
        return _contacts_for_commune(session, found) if found else ContactSearch(None)
    if postcode:
        postcode = postcode.strip().replace(" ", "")
        if postcode == MONACO:
            return ContactSearch(None, monaco=True, national=national_associations(session))
        communes = geography.communes_of_postcode(session, postcode)
        if len(communes) > 1:
            return ContactSearch(None, communes=communes)
        if communes:
            return _contacts_for_commune(session, communes[0])
        return ContactSearch(None, unknown_postcode=True)
    if departement:
        return ContactSearch(contacts_for_departement(session, departement))
    if region:
        return ContactSearch(contacts_for_region(session, region))
    return ContactSearch(None)


@dataclass(frozen=True)
class SelfCheckReading:
    """What the ticked signs call for. Deliberately no score and no verdict."""

    signs: list[str]
    health_risk: bool
    children_concerned: bool

    @property
    def count(self) -> int:
        return len(self.signs)


def read_self_check(ticked: Iterable[str]) -> SelfCheckReading:
    signs = [code for code in WARNING_SIGNS if code in set(ticked)]
    return SelfCheckReading(
        signs=signs,
        health_risk=bool(SIGNS_WITH_HEALTH_RISK.intersection(signs)),
        children_concerned=bool(SIGNS_CONCERNING_CHILDREN.intersection(signs)),
    )
