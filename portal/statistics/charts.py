"""Charts drawn on the server as SVG: they show without JavaScript and under the
strict CSP (geometry in attributes, no style). Each is drawn from a table and shown
beside it, because a chart alone is not accessible (RGAA)."""

from __future__ import annotations

from dataclasses import dataclass

from portal.statistics.tables import Table

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
    return f"{value:g}" if value == int(value) else f"{value:.1f}"


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
