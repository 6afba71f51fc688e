"""Text cells in the files we write, made safe against formula injection.

A register cell such as ``=HYPERLINK(...)`` or a rule title ``=1+2`` must never become a live formula
in an .xlsx or a CSV file opened in a spreadsheet. In .xlsx every text is written as a string cell
(never parsed as a formula); in CSV a text starting with ``= + - @``, a tab or a carriage return is
prefixed with ``'`` (the OWASP CSV-injection rule). A valid USCC never starts with those characters,
so entity ids stay as given.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:  # openpyxl is imported only when an .xlsx is written
    from openpyxl.workbook import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_START_RE = r"^[=+\-@\t\r]"


def csv_safe(text: str) -> str:
    """``text`` for a CSV cell: prefixed with ``'`` when a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_safe_frame(frame: pd.DataFrame, skip: tuple[str, ...] = ()) -> pd.DataFrame:
    """A copy of ``frame`` with every text value (in columns other than ``skip``) made csv-safe."""
    out = frame.copy()
    for c in out.columns:
        if c not in skip and not pd.api.types.is_numeric_dtype(out[c]) and not pd.api.types.is_bool_dtype(out[c]):
            out[c] = pd.Series([csv_safe(v) if isinstance(v, str) else v for v in out[c].astype(object)],
                               index=out.index, dtype=object)
    return out


def csv_safe_arrow(column: pa.Array) -> pa.Array:
    """A string Arrow column made csv-safe, in Arrow (no Python string per value)."""
    risky = pc.fill_null(pc.match_substring_regex(column, _FORMULA_START_RE), False)
    if not pc.any(risky).as_py():
        return column
    return pc.if_else(risky, pc.binary_join_element_wise(pa.scalar("'"), column, ""), column)


def xlsx_text(value: Any) -> Any:
    """A value for an .xlsx cell: text without the control characters the format cannot hold."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def string_cell(sheet: Worksheet, value: Any) -> Any:
    """For a write-only sheet: text as a string cell (never a formula); anything else as it is."""
    from openpyxl.cell import WriteOnlyCell

    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, value=xlsx_text(value))
    cell.data_type = "s"
    return cell


def no_formulas(workbook: Workbook) -> None:
    """Every cell openpyxl took for a formula (text starting with ``=``) becomes a string cell again.
    For workbooks built in memory, before saving: we never write a formula on purpose."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
