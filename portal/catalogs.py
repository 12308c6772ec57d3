"""Checks and chores for the translation catalogues (used by ``make messages`` and the tests).

English is the source language of the msgids, so the English catalogue is the
msgids themselves: ``fill-source-language`` copies each untranslated msgid into its
msgstr. French is translated by hand; ``untranslated`` lists what is missing.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def untranslated(catalog: Catalog) -> list[str]:
    """Msgids with an empty or fuzzy translation (any plural form counts)."""
    missing = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def fill_source_language(path: Path) -> int:
    catalog = read_catalog(path)
    missing = set(untranslated(catalog))
    for message in catalog:
        key = message.id if isinstance(message.id, str) else message.id[0]
        if message.id and key in missing:
            message.string = message.id
            message.flags.discard("fuzzy")
    with path.open("wb") as handle:
        write_po(handle, catalog, sort_output=True)
    return len(missing)


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "fill-source-language":
        print(f"{fill_source_language(Path(argv[1]))} English entries filled from their msgids")
        return 0
    print("usage: python -m portal.catalogs fill-source-language PO_FILE", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
