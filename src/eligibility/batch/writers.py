"""Writing the scored table in chunks: :func:`open_writer` appends chunks of the long (or wide) table
to Parquet, CSV or Excel with one fixed set of columns; for people, CSV and Excel may carry headers
and outcome words in Chinese or English (:class:`~eligibility.batch.labels.Labels`) and CSV a BOM."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Self

import numpy as np
import pandas as pd
import pyarrow as pa

from .._cells import csv_safe, csv_safe_arrow, string_cell
from .errors import OutputTooLargeError
from .formats import output_format
from .labels import Labels
from .tables import LONG_COLUMNS, LONG_SCHEMA, wide_schema
from .values import object_values, plain_value

#: rows of an Excel sheet (the header takes one); tests lower it instead of writing 10⁶ rows
XLSX_MAX_ROWS = 1_048_576
#: the byte order mark a spreadsheet on Chinese Windows needs to read a CSV file as UTF-8
BOM = "\ufeff".encode()
#: Excel column widths (in characters) by output column; others by their header
_WIDTHS = {"row": 8, "entity_id": 22, "name": 32, "rule_id": 34, "rule_title": 40, "status": 12, "amount": 16,
           "amount_kind": 14, "superseded_by": 34, "missing": 30, "failed": 30, "reason": 48, "duplicate_of": 12,
           "sheet": 14}


def _arrow_column(series: pd.Series | None, typ: pa.DataType, n: int) -> pa.Array:
    if series is None:
        return pa.nulls(n, type=typ)
    if isinstance(series.dtype, pd.CategoricalDtype) and pa.types.is_dictionary(typ):
        # a categorical's codes and categories as they are, built at the target types (no conversion
        # to a narrower dictionary array and a cast of it afterwards)
        codes = series.cat.codes.to_numpy()
        indices = pa.array(codes.astype(typ.index_type.to_pandas_dtype()), mask=codes < 0)
        categories = pa.array(series.cat.categories.to_numpy(dtype=object), from_pandas=True)
        return pa.DictionaryArray.from_arrays(indices, categories.cast(typ.value_type))
    if series.dtype == object:
        values = object_values(series)
        if pa.types.is_decimal(typ):
            values = np.array([None if v is None else (v if isinstance(v, Decimal) else
                                                      Decimal(repr(float(v))) if isinstance(v, float) else
                                                      Decimal(str(v))) for v in values], dtype=object)
            arr = pa.array(values, type=typ)
        elif pa.types.is_list(typ):
            arr = pa.array([None if v is None else [str(x) for x in v] for v in values], type=typ)
        elif pa.types.is_dictionary(typ):
            arr = pa.array([None if v is None else str(v) for v in values], type=pa.string())
        elif pa.types.is_integer(typ):
            arr = pa.array([None if v is None else int(v) for v in values], type=typ)
        else:
            arr = pa.array([None if v is None else str(v) for v in values], type=typ)
    else:
        arr = pa.array(series, from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):  # one chunk is taken as it is (combining copies it)
        arr = arr.chunk(0) if arr.num_chunks == 1 else arr.combine_chunks()
    if arr.type == typ:
        return arr
    if pa.types.is_dictionary(typ):
        if pa.types.is_dictionary(arr.type):  # a categorical: its codes and categories as they are
            return pa.DictionaryArray.from_arrays(arr.indices.cast(typ.index_type), arr.dictionary.cast(typ.value_type))
        return arr.cast(pa.string()).dictionary_encode().cast(typ)
    return arr.cast(typ)


def _long_schema(frame: pd.DataFrame) -> pa.Schema:
    """The long table's schema for chunks like ``frame``: its input columns carried through (the firm's
    name, kept columns: text) after ``entity_id``, and ``sheet`` last when rows come from several sheets."""
    carried = [str(c) for c in frame.columns if c not in LONG_COLUMNS and c != "sheet"]
    fields = list(LONG_SCHEMA)
    at = LONG_COLUMNS.index("entity_id") + 1
    fields[at:at] = [pa.field(c, pa.string()) for c in carried]
    if "sheet" in frame.columns:
        fields.append(pa.field("sheet", pa.string()))
    return pa.schema(fields)


def _relabel(column: pa.Array, words: Mapping[str, str]) -> pa.Array:
    """A coded column with each code replaced by its word (codes without one kept)."""
    if not pa.types.is_dictionary(column.type):
        column = column.cast(pa.string()).dictionary_encode()
    names = [None if v is None else words.get(v, v) for v in column.dictionary.to_pylist()]
    return pa.DictionaryArray.from_arrays(column.indices, pa.array(names, pa.string()))


def _labelled(table: pa.Table, labels: Labels) -> pa.Table:
    """The table as people read it: outcome and amount-kind words (no kind where there is no
    amount), the missing facts by name, reasons in one language, rule titles (a ``rule_title`` column after ``rule_id``,
    titles for ``superseded_by``); column names still the codes."""
    import pyarrow.compute as pc

    names, arrays = [], []
    for name, col in zip(table.column_names, table.columns, strict=True):
        col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
        words = labels.values(name)
        if words is not None and pa.types.is_list(col.type):
            col = pa.ListArray.from_arrays(col.offsets, _relabel(col.values, words).cast(pa.string()),
                                           mask=col.is_null())
        elif words is not None:
            col = _relabel(col, words)
        elif name == "reason":  # a bilingual reason in the labels' language only
            reasons = col.cast(pa.string()).dictionary_encode()
            col = _relabel(reasons, {v: labels.side(v) for v in reasons.dictionary.to_pylist() if v is not None})
        if name == "amount_kind" and "amount" in table.column_names:
            col = pc.if_else(pc.is_null(table.column("amount")), pa.scalar(None, pa.string()), col.cast(pa.string()))
        names.append(name)
        arrays.append(col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col)
        if name == "rule_id":
            names.append("rule_title")
            arrays.append(_relabel(col, labels.titles))
    return pa.Table.from_arrays(arrays, names=names)


def _width(column: str, header: str) -> float:
    """An Excel column width: by what the column holds, at least its header."""
    from rich.cells import cell_len

    if column.endswith(".status"):
        base = 12
    elif column.endswith(".amount"):
        base = 16
    else:
        base = _WIDTHS.get(column, 18)
    return max(base, min(cell_len(header) + 2, 60))


def _to_table(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    n = len(frame)
    arrays = [_arrow_column(frame[f.name] if f.name in frame.columns else None, f.type, n) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


class TableWriter:
    """Appends chunks of the long (or wide) table to one file; made by :func:`open_writer`.

    ``write(frame)`` accepts amounts as Decimal objects or ``decimal128`` Arrow columns, ``missing``
    as Python lists or Arrow ``list<string>``, strings as object, ``str``, categorical or Arrow;
    ``rows_written`` counts the data rows written. Use as a context manager, or call ``close()``
    (``abort()`` on failure: nothing more is written).
    """

    def __init__(self, path: Path, wide: bool, expected_rows: int | None, metadata: Mapping[str, Any] | None,
                 labels: Labels | None = None, bom: bool = False) -> None:
        self.path = path
        self.wide = wide
        self.format = output_format(path)
        if labels is not None and self.format == "parquet":
            raise ValueError("Parquet keeps the codes: labels are for CSV and Excel output")
        if bom and self.format != "csv":
            raise ValueError("a byte order mark is for CSV output only")
        self.labels = labels
        self.bom = bom
        self.metadata = dict(metadata or {})
        self.rows_written = 0
        self.schema: pa.Schema | None = None
        self._sink: Any = None
        self._closed = False
        if self.format == "xlsx" and expected_rows is not None and expected_rows > XLSX_MAX_ROWS - 1:
            raise _too_large(path, expected_rows)

    def _schema_metadata(self) -> dict[bytes, bytes]:
        return {b"eligibility": json.dumps(self.metadata, ensure_ascii=False, default=str).encode()} \
            if self.metadata else {}

    def _open(self, schema: pa.Schema) -> None:
        self.schema = schema
        if self.format == "parquet":
            import pyarrow.parquet as pq

            coded = [f.name for f in schema if pa.types.is_dictionary(f.type)]
            # statistics where a reader can use them: row ranges and amounts. Not on the coded columns:
            # every row group holds every rule and status, so their min/max prune nothing, and they
            # cost ~20% of the write. Dictionary pages for the coded columns only (ids and reasons
            # are mostly distinct): ~25% faster writes
            stats = ["row", *(f.name for f in schema if pa.types.is_decimal(f.type))]
            self._sink = pq.ParquetWriter(self.path, schema.with_metadata(self._schema_metadata()),
                                          use_dictionary=coded or False,
                                          write_statistics=[c for c in stats if c in schema.names])
        elif self.format == "csv":
            import pyarrow.csv as pacsv

            shown = self._shown(schema)
            self._csv_schema = pa.schema([(f.name, pa.int64() if pa.types.is_integer(f.type) else pa.string())
                                          for f in shown])
            self._file = open(self.path, "wb")  # noqa: SIM115 - closed in close()/abort()
            header = io.StringIO()
            csv.writer(header, lineterminator="\n").writerow([csv_safe(h) for h in self._headers(shown.names)])
            self._file.write((BOM if self.bom else b"") + header.getvalue().encode("utf-8"))
            self._sink = pacsv.CSVWriter(self._file, self._csv_schema, write_options=pacsv.WriteOptions(
                include_header=False, quoting_style="needed"))
        else:
            import openpyxl

            self._sink = openpyxl.Workbook(write_only=True)
            self._sheets = []
            if self.labels is not None:  # the labelled sheet first, the codes on the second
                shown = self._shown(schema)
                self._sheets.append((self._new_sheet("results" if self.labels.lang == "en" else "结果", shown.names,
                                                     self._headers(shown.names)), True))
            self._sheets.append((self._new_sheet("scored", schema.names, schema.names), False))

    def _new_sheet(self, title: str, columns: list[str], headers: list[str]) -> Any:
        """A write-only sheet with its header row frozen and its columns sized (both must precede any row)."""
        from openpyxl.utils import get_column_letter

        sheet = self._sink.create_sheet(title)
        sheet.freeze_panes = "A2"
        for i, (column, header) in enumerate(zip(columns, headers, strict=True), start=1):
            sheet.column_dimensions[get_column_letter(i)].width = _width(column, header)
        sheet.append([string_cell(sheet, h) for h in headers])
        return sheet

    def _shown(self, schema: pa.Schema) -> pa.Schema:
        """The schema of what people see: the codes' schema, with ``rule_title`` when labelled."""
        if self.labels is None or "rule_id" not in schema.names:
            return schema
        at = schema.get_field_index("rule_id") + 1
        return schema.insert(at, pa.field("rule_title", pa.string()))

    def _headers(self, columns: list[str]) -> list[str]:
        return self.labels.headers(columns) if self.labels is not None else list(columns)

    def write(self, frame: pd.DataFrame) -> None:
        if self._closed:
            raise ValueError("writer is closed")
        if self._sink is None:
            self._open(wide_schema([str(c) for c in frame.columns]) if self.wide else _long_schema(frame))
        assert self.schema is not None
        if self.format == "xlsx" and self.rows_written + len(frame) > XLSX_MAX_ROWS - 1:
            raise _too_large(self.path, self.rows_written + len(frame))
        table = _to_table(frame, self.schema)
        if self.format == "parquet":
            self._sink.write_table(table)
        elif self.format == "csv":
            shown = _labelled(table, self.labels) if self.labels is not None else table
            self._sink.write_table(_csv_table(shown, self._csv_schema))
        else:
            for sheet, labelled in self._sheets:
                self._write_xlsx(sheet, _labelled(table, self.labels) if labelled and self.labels else table)
        self.rows_written += len(frame)

    @staticmethod
    def _write_xlsx(sheet: Any, table: pa.Table) -> None:
        from openpyxl.cell import WriteOnlyCell

        cols = []
        for col in table.columns:
            values = col.to_pylist()
            if pa.types.is_list(col.type):
                values = [None if v is None else ";".join(v) for v in values]
            cols.append((pa.types.is_decimal(col.type), values))
        for i in range(table.num_rows):
            out = []
            for is_money, values in cols:
                v = values[i]
                if is_money and v is not None:
                    cell = WriteOnlyCell(sheet, value=v)
                    cell.number_format = "0.00"
                    out.append(cell)
                else:
                    out.append(string_cell(sheet, v))
            sheet.append(out)

    def close(self) -> None:
        """Finish the file (an empty table still gets its header)."""
        if self._closed:
            return
        if self._sink is None:
            self._open(wide_schema(["row", "entity_id", "duplicate_of", "reason"]) if self.wide else LONG_SCHEMA)
        self._closed = True
        if self.format == "xlsx":
            if self.metadata:
                about = self._sink.create_sheet("about")
                for k, v in self.metadata.items():
                    about.append([str(k), string_cell(about, plain_value(v))])
            self._sink.save(self.path)
        else:
            self._sink.close()
            if self.format == "csv":
                self._file.close()

    def abort(self) -> None:
        """Stop without finishing; the (partial) file is left for the caller to remove."""
        if self._closed:
            return
        self._closed = True
        if self._sink is not None and self.format == "xlsx":
            for sheet, _ in self._sheets:
                try:  # finish and delete openpyxl's temporary sheet file
                    sheet.close()
                    out = getattr(sheet._writer, "out", None)
                    if isinstance(out, str):
                        os.remove(out)
                except Exception:  # noqa: BLE001,S110
                    pass
        elif self._sink is not None:
            try:
                self._sink.close()
                if self.format == "csv":
                    self._file.close()
            except Exception:  # noqa: BLE001,S110
                pass

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def _csv_table(table: pa.Table, schema: pa.Schema) -> pa.Table:
    import pyarrow.compute as pc

    arrays = []
    for col in table.columns:
        if isinstance(col, pa.ChunkedArray):
            col = col.combine_chunks()
        text = pa.types.is_list(col.type) or pa.types.is_dictionary(col.type) or pa.types.is_string(col.type)
        if pa.types.is_list(col.type):
            col = pc.binary_join(col, ";")
        elif not pa.types.is_integer(col.type):
            col = col.cast(pa.string())
        arrays.append(csv_safe_arrow(col) if text else col)  # text only: a negative amount is a number
    return pa.Table.from_arrays(arrays, schema=schema)


def _too_large(path: Path, rows: int) -> OutputTooLargeError:
    limit = XLSX_MAX_ROWS - 1
    stem = path.with_suffix(".parquet").name
    return OutputTooLargeError(
        f"{path}: Excel 工作表最多容纳 {limit:,} 行数据，本次输出至少需要 {rows:,} 行；"
        f"请改用 Parquet（-o {stem}）或 CSV 输出",
        f"{path}: an Excel sheet holds at most {limit:,} data rows and this output needs at least {rows:,}; "
        f"write Parquet (-o {stem}) or CSV instead",
        file=str(path), rows=rows, limit=limit)


def open_writer(path: str | Path, wide: bool = False, *, expected_rows: int | None = None,
                metadata: Mapping[str, Any] | None = None, labels: Labels | None = None,
                bom: bool = False) -> TableWriter:
    """A writer appending chunks of the scored table to ``path`` (.parquet, .csv or .xlsx).

    Long table: the columns of :data:`LONG_SCHEMA` in that order, with the input columns a chunk
    carries (the firm's ``name``, columns kept with ``--keep``: text) after ``entity_id`` (Parquet: ``amount``
    decimal128(18, 2), ``missing`` list<string>, ``row``/``duplicate_of`` int64, labels dictionary
    encoded; CSV: amounts as text with 2 decimals, ``missing`` joined with ``;``). Wide table: the
    columns of the first chunk written (see :func:`to_wide`). ``metadata`` (provenance) is stored
    in the Parquet schema metadata (key ``eligibility``) or an ``about`` sheet. For .xlsx,
    ``expected_rows`` above the sheet limit fails at once, before anything is written, and a chunk
    that would overflow the sheet raises :class:`OutputTooLargeError`.

    ``labels`` (CSV, Excel): headers, outcome and amount-kind words in its language and a
    ``rule_title`` column after ``rule_id``; in Excel on a first sheet, the codes on the second
    (``scored``). Every sheet has its header row frozen and its columns sized. ``bom`` (CSV): start
    with a UTF-8 byte order mark, so that a spreadsheet on Chinese Windows reads the file as UTF-8.
    """
    return TableWriter(Path(path), wide, expected_rows, metadata, labels, bom)
