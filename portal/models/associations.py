"""The directory of victim-support associations and the départements they cover."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base
from portal.models.geography import Departement


class Association(Base):
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
