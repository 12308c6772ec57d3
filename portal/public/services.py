"""Domain operations behind the public pages: finding contacts, reading a self-check."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal.models import Association, AssociationCoverage, Departement, Region
from portal.vocabulary import SIGNS_CONCERNING_CHILDREN, SIGNS_WITH_HEALTH_RISK, WARNING_SIGNS

POSTCODE_PATTERN = re.compile(r"^\d{5}$")
#: Postcodes in the 971 range that belong to overseas collectivities, not to Guadeloupe.
SAINT_BARTHELEMY_AND_SAINT_MARTIN = frozenset({"97133", "97150"})


def departement_for_postcode(postcode: str) -> str | None:
    """The INSEE département code a French postcode belongs to, as far as its digits tell.

    Postcodes follow départements except in Corsica (20xxx, split at 20200) and
    overseas (97x). Saint-Barthélemy and Saint-Martin (977, 978) and Monaco (980)
    are not départements and give ``None``, as do codes no département uses.
    """
    postcode = postcode.strip().replace(" ", "")
    if not POSTCODE_PATTERN.match(postcode):
        return None
    if postcode.startswith("20"):
        return "2A" if int(postcode) < 20200 else "2B"
    if postcode.startswith("97"):
        if postcode in SAINT_BARTHELEMY_AND_SAINT_MARTIN:
            return None
        code = postcode[:3]
        return code if code in {"971", "972", "973", "974", "976"} else None
    code = postcode[:2]
    return code if code not in {"00", "96", "98", "99"} else None


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


@dataclass(frozen=True)
class ContactSearch:
    directory: ContactDirectory | None
    #: The postcode was well formed but belongs to no département we know.
    unknown_postcode: bool = False


def find_contacts(
    session: Session, *, postcode: str | None, departement: str | None, region: str | None
) -> ContactSearch:
    """Search by the most precise place given: postcode, then département, then region.

    The page offers the three as separate forms, so only one normally arrives.
    """
    if postcode:
        code = departement_for_postcode(postcode)
        directory = contacts_for_departement(session, code) if code else None
        return ContactSearch(directory, unknown_postcode=directory is None)
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
