"""The vectorized backend: whole registers decided with numpy masks (see :mod:`.compiler`)."""

from __future__ import annotations

from datetime import date

import pandas as pd

from .columns import Col, ListCol, Table
from .compiler import Decisions, VectorizedRules
from .ingest import table_from_frame
from .isolation import isolate_long, isolate_wide
from .output import LONG_COLUMNS, long_table, wide_table


def score_frame(compiled: VectorizedRules, df: pd.DataFrame, as_of: date, wide: bool = False,
                start_row: int = 1, table: Table | None = None) -> pd.DataFrame:
    """Validate ``df`` column-wise, decide every rule and return the long (or wide) table. ``table``:
    ``df`` already validated by :func:`table_from_frame` (at ``start_row``), e.g. on another thread."""
    if table is None:
        table = table_from_frame(df, start_row)
    elif table.n != len(df) or (table.n and int(table.row[0]) != start_row):
        raise ValueError("the ingested table is not this frame's")
    decisions = compiled.decide(table, as_of, explain=not wide)  # the wide table shows no explanations
    out = wide_table(decisions) if wide else long_table(decisions)
    if table.field_errors:  # a value that could not be read: only the rules reading its field
        out = (isolate_wide if wide else isolate_long)(out, table, decisions.rules)
    out.attrs["field_errors"] = {path: len(rows) for path, (rows, _) in table.field_errors.items()}
    out.attrs["rows_read"] = len(df)
    out.attrs["ignored_columns"] = list(table.ignored)
    return out


__all__ = [
    "LONG_COLUMNS",
    "Col",
    "Decisions",
    "ListCol",
    "RuleSet",
    "Table",
    "VectorizedRules",
    "long_table",
    "score_frame",
    "table_from_frame",
    "wide_table",
]
