"""Whole days between two moments, computed by the database on either backend, so that
a delay is counted as a histogram (a few hundred groups) rather than fetched row by row."""

from __future__ import annotations

from sqlalchemy import Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement


class days_between(FunctionElement):
    """``days_between(start, end)``: whole days from ``start`` to ``end`` (rounded down)."""

    type = Integer()
    inherit_cache = True
    name = "days_between"

    def __init__(self, start: ColumnElement, end: ColumnElement) -> None:
        super().__init__(start, end)


@compiles(days_between, "sqlite")
def _days_between_sqlite(element, compiler, **kw) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    difference = f"(julianday({end}) - julianday({start}))"
    # CAST rounds towards zero; one less below zero rounds down, as floor() does.
    return f"(CAST({difference} AS INTEGER) - ({difference} < CAST({difference} AS INTEGER)))"


@compiles(days_between, "postgresql")
def _days_between_postgresql(element, compiler, **kw) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(floor(extract(epoch FROM ({end}) - ({start})) / 86400) AS INTEGER)"


@compiles(days_between)
def _days_between_shown(element, compiler, **kw) -> str:
    """How the expression reads when a statement is printed without a backend."""
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"days_between({start}, {end})"
