"""Writing the scored table in chunks: :func:`open_writer` appends chunks of the long (or wide) table
to Parquet, CSV or Excel with one fixed set of columns."""

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

from .._cells import csv_safe_arrow, string_cell
from .errors import OutputTooLargeError
from .formats import output_format
from .tables import LONG_SCHEMA, wide_schema
from .values import object_values, plain_value

#: rows of an Excel sheet (the header takes one); tests lower it instead of writing 10⁶ rows
XLSX_MAX_ROWS = 1_048_576


def _arrow_column(series: pd.Series | None, typ: pa.DataType, n: int) -> pa.Array:
    if series is None:
        return pa.nulls(n, type=typ)
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
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type == typ:
        return arr
    if pa.types.is_dictionary(typ):
        if pa.types.is_dictionary(arr.type):  # a categorical: its codes and categories as they are
            return pa.DictionaryArray.from_arrays(arr.indices.cast(typ.index_type), arr.dictionary.cast(typ.value_type))
        return arr.cast(pa.string()).dictionary_encode().cast(typ)
    return arr.cast(typ)


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

    def __init__(self, path: Path, wide: bool, expected_rows: int | None, metadata: Mapping[str, Any] | None) -> None:
        self.path = path
        self.wide = wide
        self.format = output_format(path)
        self.metadata = dict(metadata or {})
        self.rows_written = 0
        self.schema: pa.Schema | None = None if wide else LONG_SCHEMA
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

            self._csv_schema = pa.schema([(f.name, pa.int64() if pa.types.is_integer(f.type) else pa.string())
                                          for f in schema])
            self._file = open(self.path, "wb")  # noqa: SIM115 - closed in close()/abort()
            header = io.StringIO()
            csv.writer(header, lineterminator="\n").writerow(schema.names)
            self._file.write(header.getvalue().encode("utf-8"))
            self._sink = pacsv.CSVWriter(self._file, self._csv_schema, write_options=pacsv.WriteOptions(
                include_header=False, quoting_style="needed"))
        else:
            import openpyxl

            self._sink = openpyxl.Workbook(write_only=True)
            self._sheet = self._sink.create_sheet("scored")
            self._sheet.append(list(schema.names))

    def write(self, frame: pd.DataFrame) -> None:
        if self._closed:
            raise ValueError("writer is closed")
        if self._sink is None:
            if not self.wide and "sheet" in frame.columns:  # rows from several sheets: which one
                self.schema = LONG_SCHEMA.append(pa.field("sheet", pa.string()))
            self._open(self.schema if self.schema is not None else wide_schema([str(c) for c in frame.columns]))
        assert self.schema is not None
        if self.format == "xlsx" and self.rows_written + len(frame) > XLSX_MAX_ROWS - 1:
            raise _too_large(self.path, self.rows_written + len(frame))
        table = _to_table(frame, self.schema)
        if self.format == "parquet":
            self._sink.write_table(table)
        elif self.format == "csv":
            self._sink.write_table(_csv_table(table, self._csv_schema))
        else:
            self._write_xlsx(table)
        self.rows_written += len(frame)

    def _write_xlsx(self, table: pa.Table) -> None:
        from openpyxl.cell import WriteOnlyCell

        cols = []
        for f, col in zip(self.schema, table.columns, strict=True):  # type: ignore[arg-type]
            values = col.to_pylist()
            if pa.types.is_list(f.type):
                values = [None if v is None else ";".join(v) for v in values]
            cols.append((f, values))
        money = [pa.types.is_decimal(f.type) for f, _ in cols]
        for i in range(table.num_rows):
            out = []
            for (_, values), is_money in zip(cols, money, strict=True):
                v = values[i]
                if is_money and v is not None:
                    cell = WriteOnlyCell(self._sheet, value=v)
                    cell.number_format = "0.00"
                    out.append(cell)
                else:
                    out.append(string_cell(self._sheet, v))
            self._sheet.append(out)

    def close(self) -> None:
        """Finish the file (an empty table still gets its header)."""
        if self._closed:
            return
        if self._sink is None:
            self._open(self.schema if self.schema is not None else wide_schema(["row", "entity_id", "duplicate_of",
                                                                                "reason"]))
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
            try:  # finish and delete openpyxl's temporary sheet file
                self._sheet.close()
                out = getattr(self._sheet._writer, "out", None)
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
                metadata: Mapping[str, Any] | None = None) -> TableWriter:
    """A writer appending chunks of the scored table to ``path`` (.parquet, .csv or .xlsx).

    Long table: the columns of :data:`LONG_SCHEMA` in that order (Parquet: ``amount``
    decimal128(18, 2), ``missing`` list<string>, ``row``/``duplicate_of`` int64, labels dictionary
    encoded; CSV: amounts as text with 2 decimals, ``missing`` joined with ``;``). Wide table: the
    columns of the first chunk written (see :func:`to_wide`). ``metadata`` (provenance) is stored
    in the Parquet schema metadata (key ``eligibility``) or an ``about`` sheet. For .xlsx,
    ``expected_rows`` above the sheet limit fails at once, before anything is written, and a chunk
    that would overflow the sheet raises :class:`OutputTooLargeError`.
    """
    return TableWriter(Path(path), wide, expected_rows, metadata)
