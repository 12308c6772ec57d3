"""Official geography: communes and their postcodes, from the open data of the État
(npm ``@etalab/decoupage-administratif``, Licence Ouverte / MIT), vendored as
``portal/data/communes.csv`` with its version in ``communes-source.json``.

``python -m portal.geography`` rebuilds the vendored file from the package in
``node_modules`` (``npm ci`` installs it; change its version in package.json to
update), and ``portal init`` loads it into ``commune_postcodes`` whenever the
vendored version differs from the loaded one.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from portal.models import CommunePostcode

DATA = Path(__file__).parent / "data"
PACKAGE = Path(__file__).parents[1] / "node_modules" / "@etalab" / "decoupage-administratif"
COLUMNS = ("postcode", "insee", "name", "departement_code")


def build_vendored_file(package: Path = PACKAGE, data: Path = DATA) -> int:
    """One row per current commune and postcode (delegated and associated communes
    share their commune's postcodes and are left out). Returns the rows written."""
    manifest = json.loads((package / "package.json").read_text(encoding="utf-8"))
    communes = json.loads((package / "data" / "communes.json").read_text(encoding="utf-8"))
    rows = sorted(
        (postcode, commune["code"], commune["nom"], commune["departement"])
        for commune in communes
        if commune.get("type") == "commune-actuelle"
        for postcode in commune.get("codesPostaux", [])
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    (data / "communes.csv").write_text(out.getvalue(), encoding="utf-8")
    source = {
        "package": manifest["name"],
        "version": manifest["version"],
        "licence": "Licence Ouverte 2.0 (data), MIT (package)",
        "attribution": "Etalab / DINUM, découpage administratif (INSEE, La Poste)",
        "rows": len(rows),
    }
    (data / "communes-source.json").write_text(
        json.dumps(source, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return len(rows)


def vendored_source() -> dict:
    return json.loads((DATA / "communes-source.json").read_text(encoding="utf-8"))


def load_communes(session: Session) -> int:
    """Replace the table when it does not hold the vendored rows (first start, or an
    update of the data); returns the rows loaded, 0 when nothing had to change."""
    expected = vendored_source()["rows"]
    if session.scalar(select(func.count()).select_from(CommunePostcode)) == expected:
        return 0
    with (DATA / "communes.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    session.execute(delete(CommunePostcode))
    for start in range(0, len(rows), 5_000):
        session.execute(CommunePostcode.__table__.insert(), rows[start : start + 5_000])
    session.flush()
    return len(rows)


def communes_of_postcode(session: Session, postcode: str) -> list[CommunePostcode]:
    return list(
        session.scalars(
            select(CommunePostcode)
            .where(CommunePostcode.postcode == postcode)
            .order_by(CommunePostcode.name)
        )
    )


#: Overseas collectivities offered with the département they were part of.
OFFERED_WITH = {"971": ("971", "977", "978")}


def commune_names(session: Session, departement: str) -> list[str]:
    """The names of a département's communes, in alphabetical order, once each."""
    codes = OFFERED_WITH.get(departement, (departement,))
    return list(
        session.scalars(
            select(CommunePostcode.name)
            .where(CommunePostcode.departement_code.in_(codes))
            .distinct()
            .order_by(CommunePostcode.name)
        )
    )


def commune(session: Session, insee: str) -> CommunePostcode | None:
    return session.scalar(select(CommunePostcode).where(CommunePostcode.insee == insee).limit(1))


if __name__ == "__main__":
    written = build_vendored_file()
    print(f"{written} commune–postcode rows written to {DATA / 'communes.csv'}")
    sys.exit(0)
