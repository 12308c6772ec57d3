"""Regions and départements: the units that routing and statistics use."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base


class Region(Base):
    __tablename__ = "regions"

    #: INSEE region code ("11" Île-de-France, "01" Guadeloupe…).
    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    overseas: Mapped[bool] = mapped_column(default=False)

    departements: Mapped[list[Departement]] = relationship(
        back_populates="region", order_by="Departement.code"
    )


class Departement(Base):
    __tablename__ = "departements"

    #: INSEE code: "01"…"95", "2A", "2B", "971"…"976".
    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)

    region: Mapped[Region] = relationship(back_populates="departements")

    @property
    def label(self) -> str:
        return f"{self.code} – {self.name}"


class CommunePostcode(Base):
    """A commune and one of its postcodes (official geography: ``portal.geography``).
    A postcode may serve several communes (54490 serves seven), a commune several
    postcodes. ``departement_code`` is INSEE's: "977" Saint-Barthélemy and "978"
    Saint-Martin are overseas collectivities, not départements of the reference table."""

    __tablename__ = "commune_postcodes"

    postcode: Mapped[str] = mapped_column(String(5), primary_key=True)
    insee: Mapped[str] = mapped_column(String(5), primary_key=True, index=True)
    name: Mapped[str] = mapped_column(String(80))
    departement_code: Mapped[str] = mapped_column(String(3), index=True)
