"""Tables written for a spreadsheet: CSV as French spreadsheets open it (UTF-8 with a
byte-order mark, ``;`` between cells, a decimal comma) and XLSX through openpyxl.
Each begins with heading lines: what the figures are, the period, the comparison."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Font

from portal.statistics.tables import Table

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell(value: object, decimal_comma: bool) -> object:
    if value is None:
        return ""
    if isinstance(value, float):
        text = f"{value:g}" if value == int(value) else f"{value:.1f}"
        return text.replace(".", ",") if decimal_comma else value
    if isinstance(value, int):
        return value
    text = str(value)
    # A cell a spreadsheet would run as a formula ("=HYPERLINK(…)") is kept as text.
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(tables: Sequence[Table], heading: Sequence[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    for line in heading:
        writer.writerow([line])
    for table in tables:
        writer.writerow([])
        writer.writerow([str(table.title)])
        writer.writerow([str(header) for header in table.headers])
        for row in table.rows:
            writer.writerow([_cell(value, decimal_comma=True) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(tables: Sequence[Table], heading: Sequence[str]) -> bytes:
    """One sheet per table, named by its key; numbers stay numbers."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    for table in tables:
        sheet = workbook.create_sheet(table.key[:31])
        for line in heading:
            sheet.append([line])
        sheet.append([])
        sheet.append([str(table.title)])
        sheet.cell(row=sheet.max_row, column=1).font = bold
        sheet.append([str(header) for header in table.headers])
        for cell in sheet[sheet.max_row]:
            cell.font = bold
        for row in table.rows:
            sheet.append([_cell(value, decimal_comma=False) for value in row])
        sheet.column_dimensions["A"].width = 48
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
