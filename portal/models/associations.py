"""The directory of victim-support associations and the départements they cover."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base
from portal.models.geography import Departement

#: Who Miviludes routes to: victim-support associations and public services.
PARTNER_KINDS = ("association", "prefecture", "health_agency", "education_authority")
#: Approval for civil-party action (art. 2-17 CPP; décret 2025-985: three years).
APPROVAL_STATUSES = ("none", "requested", "granted", "refused")


class Association(Base):
    """A partner of the directory: an association or a public service (``kind``)."""

    __tablename__ = "associations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    acronym: Mapped[str] = mapped_column(String(40), default="")
    #: True for associations that take requests from the whole country.
    national: Mapped[bool] = mapped_column(default=False)
    website: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    #: Space-separated domain codes the association handles; empty means every domain.
    domains: Mapped[str] = mapped_column(String(200), default="")
    description_fr: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    #: False until an administrator has checked the entry against the association itself.
    verified: Mapped[bool] = mapped_column(default=False)
    #: Entries shipped only to make the demo installation realistic.
    demo: Mapped[bool] = mapped_column(default=False)
    kind: Mapped[str] = mapped_column(String(30), default="association")
    email: Mapped[str] = mapped_column(String(254), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    opening_hours: Mapped[str] = mapped_column(String(200), default="")
    #: Listed on the public finder (a public service may take referrals without being
    #: listed there).
    listed: Mapped[bool] = mapped_column(default=True)
    #: A deactivated partner is neither listed nor suggested; its past routings stay.
    active: Mapped[bool] = mapped_column(default=True)
    verified_at: Mapped[datetime | None] = mapped_column()
    #: ``use_alter``: users also point at associations (a member's own); the cycle is
    #: closed after both tables exist.
    verified_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL", use_alter=True)
    )
    approval_status: Mapped[str] = mapped_column(String(20), default="none")
    approval_granted_on: Mapped[date | None] = mapped_column(Date)
    approval_expires_on: Mapped[date | None] = mapped_column(Date)

    coverage: Mapped[list[AssociationCoverage]] = relationship(
        back_populates="association", cascade="all, delete-orphan"
    )

    def description(self, lang: str) -> str:
        return self.description_en if lang == "en" and self.description_en else self.description_fr

    @property
    def display_name(self) -> str:
        if not self.acronym or self.name.startswith(self.acronym):
            return self.name
        return f"{self.acronym} – {self.name}"


class AssociationCoverage(Base):
    """One département an association takes cases from."""

    __tablename__ = "association_coverage"

    association_id: Mapped[int] = mapped_column(
        ForeignKey("associations.id", ondelete="CASCADE"), primary_key=True
    )
    departement_code: Mapped[str] = mapped_column(
        ForeignKey("departements.code"), primary_key=True, index=True
    )

    association: Mapped[Association] = relationship(back_populates="coverage")
    departement: Mapped[Departement] = relationship()
