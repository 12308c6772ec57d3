"""The map of France by département and by region, drawn on the server as SVG.

The geometry is that of the State's design system charts, npm ``@gouvfr/dsfr-chart``
(MIT licence, https://github.com/GouvernementFR/dsfr-chart): the SVG paths of its
map components, extracted once into ``portal/data/france-map.json`` by

    .venv/bin/python -m portal.statistics.france_map

after ``npm ci`` (``tests/test_france_map.py`` checks that the file is what the
installed version gives). Metropolitan France is one drawing; the five overseas
départements are five small ones beside it.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from portal.statistics.charts import labelled

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "node_modules/@gouvfr/dsfr-chart/dist/MapChart/MapChart.js"
PACKAGE = ROOT / "node_modules/@gouvfr/dsfr-chart/package.json"
MAP_FILE = Path(__file__).resolve().parents[1] / "data" / "france-map.json"

#: The map's region letters → INSEE region codes.
REGION_LETTERS = {
    "ARA": "84",
    "BFC": "27",
    "BRE": "53",
    "CVL": "24",
    "20R": "94",
    "GES": "44",
    "HDF": "32",
    "IDF": "11",
    "NAQ": "75",
    "NOR": "28",
    "OCC": "76",
    "PAC": "93",
    "PDL": "52",
}
#: The overseas drawings, in the order the package defines them → département and
#: region codes.
OVERSEAS = (("971", "01"), ("972", "02"), ("973", "03"), ("974", "04"), ("976", "06"))

_AREA = re.compile(r'class: "FR-(\w+)",\s*style: [^\n]*\n\s*d: "([^"]+)"')
_SMALL_DRAWING = re.compile(r'viewBox: "(0 0 \d+ 50)"')
_PATH = re.compile(r'\bd: "([^"]+)"')


def extract(source: str, version: str) -> dict:
    """The paths of every area, from the package's compiled map component."""
    departements: dict[str, list[str]] = {}
    regions: dict[str, list[str]] = {}
    for match in _AREA.finditer(source):
        code, path = match.groups()
        if code in REGION_LETTERS:
            regions.setdefault(REGION_LETTERS[code], []).append(path)
        else:
            departements.setdefault(code, []).append(path)
    starts = [match for match in _SMALL_DRAWING.finditer(source)]
    if len(starts) != len(OVERSEAS):
        raise ValueError(f"expected {len(OVERSEAS)} overseas drawings, found {len(starts)}")
    overseas = {}
    for index, ((departement, region), match) in enumerate(zip(OVERSEAS, starts, strict=True)):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(source)
        chunk = source[match.end() : end]
        stop = chunk.find("const ")  # the drawing's component ends at the next one
        paths = _PATH.findall(chunk[: stop if stop > 0 else None])
        overseas[departement] = {"region": region, "view_box": match.group(1), "paths": paths}
    return {
        "source": f"npm @gouvfr/dsfr-chart {version} (MIT licence), dist/MapChart/MapChart.js",
        "metropole_view_box": "0 0 1010 1010",
        "departements": dict(sorted(departements.items())),
        "regions": dict(sorted(regions.items())),
        "overseas": overseas,
    }


def extract_installed() -> dict:
    version = json.loads(PACKAGE.read_text())["version"]
    return extract(SOURCE.read_text(encoding="utf-8"), version)


@functools.cache
def geometry() -> dict:
    return json.loads(MAP_FILE.read_text(encoding="utf-8"))


#: DSFR's blue-france scale, lightest to darkest; areas with nothing are grey.
SHADES = ("#e3e3fd", "#cacafb", "#8585f6", "#6a6af4", "#000091")
NOTHING = "#eeeeee"


@dataclass(frozen=True)
class Area:
    code: str
    paths: tuple[str, ...]
    fill: str
    title: str


@dataclass(frozen=True)
class Inset:
    view_box: str
    area: Area


@dataclass(frozen=True)
class Legend:
    fill: str
    low: int
    high: int


@dataclass(frozen=True)
class ChoroplethMap:
    key: str
    view_box: str
    areas: tuple[Area, ...]
    insets: tuple[Inset, ...]
    legend: tuple[Legend, ...]


def _bins(largest: int) -> list[tuple[int, int]]:
    """Up to five ranges of equal width covering 1…largest."""
    if largest <= 0:
        return []
    count = min(len(SHADES), largest)
    width = -(-largest // count)
    return [(1 + width * step, min(largest, width * (step + 1))) for step in range(count)]


def choropleth(
    key: str, level: str, counts: Mapping[str | None, int], names: Mapping[str, str]
) -> ChoroplethMap:
    """``level`` is "departements" or "regions"; ``counts`` by INSEE code."""
    drawing = geometry()
    bins = _bins(max((counts.get(code, 0) for code in names), default=0))
    shades = SHADES[len(SHADES) - len(bins) :]

    def area(code: str, paths: list[str]) -> Area:
        count = counts.get(code, 0)
        fill = NOTHING
        for (low, high), shade in zip(bins, shades, strict=True):
            if low <= count <= high:
                fill = shade
        return Area(code, tuple(paths), fill, labelled(names.get(code, code), count))

    areas = tuple(area(code, paths) for code, paths in drawing[level].items())
    insets = tuple(
        Inset(
            item["view_box"],
            area(departement if level == "departements" else item["region"], item["paths"]),
        )
        for departement, item in drawing["overseas"].items()
    )
    legend = tuple(
        Legend(shade, low, high) for (low, high), shade in zip(bins, shades, strict=True)
    )
    return ChoroplethMap(key, drawing["metropole_view_box"], areas, insets, legend)


if __name__ == "__main__":
    MAP_FILE.write_text(json.dumps(extract_installed(), indent=1) + "\n", encoding="utf-8")
    print(f"written {MAP_FILE}", file=sys.stderr)
