"""The directory of partners, as administrators keep it: associations and public
services, what they cover and handle, how the public reaches them, whether Miviludes
checked those details, and their approval for civil-party action.

Every change is audited. The public finder lists only active, listed partners, and
shows contact details only once they were verified; routing suggests only active
partners. Changing contact details withdraws the verification: what the public
reads was checked by someone, or is not shown.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Association, AssociationCoverage, Departement, User, utcnow
from portal.records.audit import record_event
from portal.records.retention import add_months

#: Contact details the public reads: changing one withdraws the verification.
CONTACT_FIELDS = ("phone", "email", "website", "address", "opening_hours")
#: Décret 2025-985: an approval is given for three years.
APPROVAL_MONTHS = 36


@dataclass
class PartnerEntry:
    """What an administrator types for a partner (parsed by ``forms.admin``)."""

    name: str
    kind: str = "association"
    acronym: str = ""
    national: bool = False
    departements: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    phone: str = ""
    email: str = ""
    website: str = ""
    address: str = ""
    opening_hours: str = ""
    description_fr: str = ""
    description_en: str = ""
    listed: bool = True
    approval_status: str = "none"
    approval_granted_on: date | None = None
    approval_expires_on: date | None = None

    @classmethod
    def of(cls, association: Association) -> PartnerEntry:
        """The entry as the form shows it (coverage as départements)."""
        return cls(
            name=association.name,
            kind=association.kind,
            acronym=association.acronym,
            national=association.national,
            departements=sorted(c.departement_code for c in association.coverage),
            domains=association.domains.split(),
            **{name: getattr(association, name) for name in _PLAIN_FIELDS},
        )


_PLAIN_FIELDS = (
    *CONTACT_FIELDS,
    "description_fr",
    "description_en",
    "listed",
    "approval_status",
    "approval_granted_on",
    "approval_expires_on",
)


def unknown_departements(session: Session, codes: list[str]) -> list[str]:
    known = set(session.scalars(select(Departement.code).where(Departement.code.in_(codes))))
    return [code for code in codes if code not in known]


def _covered(session: Session, entry: PartnerEntry) -> set[str]:
    """The départements typed and those of the regions ticked."""
    codes = set(entry.departements)
    if entry.regions:
        codes |= set(
            session.scalars(
                select(Departement.code).where(Departement.region_code.in_(entry.regions))
            )
        )
    return codes


def _slug(session: Session, name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:50] or "partenaire"
    slug, number = base, 1
    while session.scalar(select(Association.id).where(Association.slug == slug)) is not None:
        number += 1
        slug = f"{base}-{number}"
    return slug


def _apply(session: Session, association: Association, entry: PartnerEntry) -> list[str]:
    """Write the entry; the names of the fields that changed."""
    changed = []
    approval_expires_on = entry.approval_expires_on
    if entry.approval_status == "granted" and entry.approval_granted_on and not approval_expires_on:
        approval_expires_on = add_months(entry.approval_granted_on, APPROVAL_MONTHS)
    values = {
        "name": entry.name.strip(),
        "kind": entry.kind,
        "acronym": entry.acronym.strip(),
        "national": entry.national,
        "domains": " ".join(entry.domains),
        **{name: getattr(entry, name) for name in _PLAIN_FIELDS},
        "approval_expires_on": approval_expires_on,
    }
    for name, value in values.items():
        if getattr(association, name) != value:
            setattr(association, name, value)
            changed.append(name)
    covered = set() if entry.national else _covered(session, entry)
    if {c.departement_code for c in association.coverage} != covered:
        association.coverage = [
            AssociationCoverage(departement_code=code) for code in sorted(covered)
        ]
        changed.append("coverage")
    if association.verified and set(changed) & set(CONTACT_FIELDS):
        association.verified = False
        association.verified_at = association.verified_by_id = None
        changed.append("verified")
    return changed


def create_partner(session: Session, entry: PartnerEntry, actor: User) -> Association:
    association = Association(slug=_slug(session, entry.name), name=entry.name, coverage=[])
    session.add(association)
    _apply(session, association, entry)
    session.flush()
    record_event(
        session,
        actor=actor.actor,
        action="partner.create",
        target=f"association:{association.slug}",
        details={"kind": association.kind},
    )
    return association


def update_partner(
    session: Session, association: Association, entry: PartnerEntry, actor: User
) -> list[str]:
    changed = _apply(session, association, entry)
    if changed:
        record_event(
            session,
            actor=actor.actor,
            action="partner.update",
            target=f"association:{association.slug}",
            details={"changed": " ".join(changed)[:120]},
        )
        session.flush()
    return changed


def verify_partner(session: Session, association: Association, actor: User) -> None:
    """Miviludes checked the details with the partner itself: the public may read them."""
    association.verified, association.verified_at = True, utcnow()
    association.verified_by_id = actor.id
    record_event(
        session,
        actor=actor.actor,
        action="partner.verify",
        target=f"association:{association.slug}",
    )
    session.flush()


def set_active(session: Session, association: Association, active: bool, actor: User) -> None:
    association.active = active
    record_event(
        session,
        actor=actor.actor,
        action="partner.activate" if active else "partner.deactivate",
        target=f"association:{association.slug}",
    )
    session.flush()


def partners(session: Session) -> list[Association]:
    query = select(Association).order_by(Association.active.desc(), Association.name)
    return list(session.scalars(query))


def approval_is_current(association: Association, today: date) -> bool:
    return association.approval_status == "granted" and (
        association.approval_expires_on is None or association.approval_expires_on >= today
    )
