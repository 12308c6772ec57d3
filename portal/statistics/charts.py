"""Charts drawn on the server as SVG: they show without JavaScript and under the
strict CSP (geometry in attributes, no style). Each is drawn from a table and shown
beside it, because a chart alone is not accessible (RGAA)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext

from portal.statistics.tables import Table
from portal.templating import number

LABEL_WIDTH = 300
BAR_AREA = 340
VALUE_WIDTH = 60
ROW_HEIGHT = 26
BAR_HEIGHT = 16
#: Longer labels are cut in the chart; the table beside it gives them whole.
LABEL_CHARACTERS = 44


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str
    y: int
    width: float


@dataclass(frozen=True)
class BarChart:
    key: str
    bars: tuple[Bar, ...]
    width: int
    height: int
    label_width: int = LABEL_WIDTH
    bar_height: int = BAR_HEIGHT


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARACTERS else label[: LABEL_CHARACTERS - 1] + "…"


def _number(value: float) -> str:
    return str(number(value))


def labelled(name: object, value: float) -> str:
    """ "Côte-d'Or: 50" in English, "Côte-d'Or : 50" in French: a point's or an area's
    text, read by screen readers and shown on hover."""
    return gettext("%(name)s: %(value)s", name=name, value=_number(value))


def bar_chart(table: Table) -> BarChart | None:
    """Horizontal bars of the table's chart column, labelled by the cell before it."""
    column = table.chart_column
    if column is None or not table.rows:
        return None
    values = [float(row[column] or 0) for row in table.rows]
    largest = max(values)
    bars = tuple(
        Bar(
            label=_short(str(row[column - 1])),
            value=value,
            text=_number(value),
            y=index * ROW_HEIGHT,
            width=round(BAR_AREA * value / largest, 1) if largest else 0,
        )
        for index, (row, value) in enumerate(zip(table.rows, values, strict=True))
    )
    return BarChart(
        key=table.key,
        bars=bars,
        width=LABEL_WIDTH + BAR_AREA + VALUE_WIDTH,
        height=ROW_HEIGHT * len(bars),
    )


LINE_WIDTH = 700
LINE_HEIGHT = 240
#: Room for the axis labels: left (numbers), bottom (months).
LEFT, BOTTOM, TOP = 48, 36, 12


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    #: What the point says when hovered or read: "2026-03: 41".
    title: str


@dataclass(frozen=True)
class Tick:
    position: float
    text: str


@dataclass(frozen=True)
class LineChart:
    key: str
    points: tuple[Point, ...]
    #: The ``points`` attribute of the SVG polyline.
    polyline: str
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    width: int = LINE_WIDTH
    height: int = LINE_HEIGHT
    left: int = LEFT
    baseline: int = LINE_HEIGHT - BOTTOM


def line_chart(table: Table) -> LineChart | None:
    """A series in time (the months): one point per row, the value of its chart column."""
    column = table.chart_column
    if column is None or not table.rows:
        return None
    values = [float(row[column] or 0) for row in table.rows]
    largest = max(values) or 1.0
    plot_width = LINE_WIDTH - LEFT - 12
    plot_height = LINE_HEIGHT - BOTTOM - TOP
    step = plot_width / max(len(values) - 1, 1)
    points = tuple(
        Point(
            round(LEFT + index * step, 1),
            round(TOP + plot_height * (1 - value / largest), 1),
            labelled(row[0], value),
        )
        for index, (row, value) in enumerate(zip(table.rows, values, strict=True))
    )
    every = max(1, -(-len(points) // 12))  # at most twelve labels along the bottom
    x_ticks = tuple(
        Tick(point.x, str(row[0]))
        for row, point in list(zip(table.rows, points, strict=True))[::every]
    )
    y_ticks = tuple(
        Tick(round(TOP + plot_height * (1 - fraction), 1), _number(largest * fraction))
        for fraction in (0, 0.5, 1)
    )
    return LineChart(
        key=table.key,
        points=points,
        polyline=" ".join(f"{point.x},{point.y}" for point in points),
        x_ticks=x_ticks,
        y_ticks=y_ticks,
    )


def chart_of(table: Table) -> BarChart | LineChart | None:
    return line_chart(table) if table.chart == "line" else bar_chart(table)
