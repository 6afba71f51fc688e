"""Enterprise registers in, scored tables out: streamed in chunks (CSV, Parquet, Excel).

Reading (:func:`read_register`) yields ``(start_row, chunk)`` pairs of ``chunk_size`` rows (100,000
by default), so a register of 10⁷ firms never sits in memory at once:

- **CSV** is parsed by pyarrow's streaming reader with *every* column read as text (a bad number in
  one row never fails the file: conversion and its errors happen in the engine, per row); empty
  fields are missing. UTF-8 (with or without BOM) and GB 18030 (GBK) are recognised.
- **Parquet** is read batch by batch and keeps its Arrow types (decimal, date, list and struct
  columns stay Arrow-backed: ``pd.ArrowDtype``).
- **Excel (.xlsx)**: the first sheet, first row = headers, cells as Python values (datetime → date).

Row numbers (the ``row`` column of the output) count data records from the first one after the
header, as a spreadsheet shows them: row *N* is record *N + 1* of the file (its line *N + 1* when no
quoted value spans lines; row *N + 1* of the sheet). Blank records (every cell empty) keep their
number but are skipped and counted apart (``blank_rows``): they are not firms. A CSV record with the wrong
number of fields cannot be read into columns; it is reported as an ``error`` row at its number
(``chunk.attrs["invalid_rows"]``), so every record is still accounted for. ``chunk.index`` holds the
row numbers of the chunk's rows (contiguous from ``start_row`` unless such records were taken out).

A column mapping (:func:`load_column_mapping`, the CLI's ``--columns``) renames headers to profile
fields, converts money given in 万元 or 亿元 to yuan exactly, and names columns to ignore::

    columns:
      统一社会信用代码: uscc
      营业收入(万元): {field: revenue, unit: 万元}   # "1234.5678" → 12345678 yuan
      从业人数: employees
    ignore: [备注]

A converted value is an exact Decimal (text stripped of separators, floats read by their ``repr``);
a value that cannot be read as a number is passed on unchanged, so the engine reports its row as an
error (a value carrying its own unit, "2500万", is read by the engine as such). Headers that are
neither mapped, ignored nor profile fields are dropped with one warning (a did-you-mean each).

Writing (:func:`open_writer`) appends chunks of the long table (or of the wide table) to Parquet,
CSV or Excel with one fixed set of columns; :class:`DuplicateTracker` flags repeated USCCs across
the whole file with 16 bytes per firm; :class:`SummaryAccumulator` merges per-chunk summaries
exactly. :func:`score_chunks` and :func:`score_file` run the whole stream.
"""

from __future__ import annotations

import codecs
import csv
import inspect
import io
import json
import math
import os
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Self

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._cells import csv_safe_arrow, csv_safe_frame, no_formulas, string_cell, xlsx_text
from .._hashing import hash_text_keys
from ..errors import (
    EligibilityError,
    RuleDefinitionError,
    RuleSetError,
    UnknownFieldError,
    suggest,
)
from ..facts.codes.uscc import normalise_uscc
from .yamlload import Located, LocatedList, Mark, load_yaml, read_rule_text

__all__ = [
    "INPUT_SUFFIXES", "LONG_COLUMNS", "LONG_SCHEMA", "OUTPUT_SUFFIXES", "UNITS", "XLSX_MAX_ROWS",
    "ColumnMapping", "DuplicateTracker", "OutputTooLargeError", "RegisterError", "RegisterReader",
    "RegisterWarning", "SummaryAccumulator", "TableWriter", "count_rows", "input_format", "load_column_mapping",
    "merge_summaries", "open_writer", "output_format", "parse_column_mapping", "partial_path", "read_register",
    "scale_money", "score_chunk", "score_chunks", "score_file", "to_wide", "wide_rule_ids", "wide_schema",
    "write_summary",
]

INPUT_SUFFIXES = (".csv", ".parquet", ".xlsx")
OUTPUT_SUFFIXES = (".csv", ".parquet", ".xlsx")
#: rows of an Excel sheet (the header takes one); tests lower it instead of writing 10⁶ rows
XLSX_MAX_ROWS = 1_048_576
#: money units a column mapping may declare, and their factor to yuan
UNITS: dict[str, Decimal] = {"元": Decimal(1), "万元": Decimal(10) ** 4, "亿元": Decimal(10) ** 8}

MONEY = pa.decimal128(18, 2)
DICT_STR = pa.dictionary(pa.int32(), pa.string())
LONG_SCHEMA = pa.schema([
    ("row", pa.int64()),
    ("entity_id", pa.string()),
    ("rule_id", DICT_STR),
    ("status", DICT_STR),
    ("amount", MONEY),
    ("amount_kind", DICT_STR),
    ("superseded_by", DICT_STR),
    ("missing", pa.list_(pa.string())),
    ("failed", DICT_STR),
    ("reason", pa.string()),
    ("duplicate_of", pa.int64()),
])
LONG_COLUMNS = list(LONG_SCHEMA.names)


class RegisterError(EligibilityError):
    """A register cannot be read as a table (unknown format, duplicate headers, undecodable text).

    Attributes: ``file`` and, where it applies, ``column``.
    """

    def location(self) -> str:
        file = self.details.get("file")
        return f"{file}: " if file else ""


class OutputTooLargeError(EligibilityError):
    """The output does not fit the chosen format (an Excel sheet holds 1,048,575 data rows).

    Attributes: ``file``, ``rows`` (rows the output needs, at least), ``limit``.
    """


class RegisterWarning(UserWarning):
    """Something in a register was left out (unknown columns) or not found (mapped headers)."""


# --------------------------------------------------------------------------------------------
# column mapping
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ColumnMapping:
    """Headers → profile fields, money units per header, and headers to ignore.

    >>> m = ColumnMapping({"营业收入(万元)": "revenue"}, {"营业收入(万元)": Decimal(10000)}, frozenset({"备注"}))
    """

    columns: Mapping[str, str] = field(default_factory=dict)
    units: Mapping[str, Decimal] = field(default_factory=dict)
    ignore: frozenset[str] = frozenset()
    source: str | None = None


def load_column_mapping(path: str | Path) -> ColumnMapping:
    """Read and check a column-mapping YAML file (see the module docs for its shape).

    Raises :class:`~eligibility.errors.RuleSetError` holding one
    :class:`~eligibility.errors.RuleDefinitionError` (file, line, column, hint) per problem.
    """
    path = Path(path)
    try:
        text = read_rule_text(path)
        data = load_yaml(text, str(path))
    except RuleDefinitionError as exc:
        raise RuleSetError([exc]) from None
    return parse_column_mapping(data, str(path), text.splitlines())


def parse_column_mapping(data: Any, filename: str = "<mapping>", lines: Sequence[str] = ()) -> ColumnMapping:
    """Check loaded mapping data (from :func:`~eligibility.io.yamlload.load_yaml`); see
    :func:`load_column_mapping`."""
    from ..facts.fields import field_names, registry

    errors: list[RuleDefinitionError] = []

    def error(zh: str, en: str, mark: Mark | None, cls: type[RuleDefinitionError] = RuleDefinitionError,
              **kw: Any) -> None:
        line = mark.line if mark else None
        source = lines[line - 1] if line and line <= len(lines) else None
        if cls is UnknownFieldError:
            errors.append(UnknownFieldError(kw.pop("name"), kw.pop("suggestion"), file=filename, line=line,
                                            col=mark.col if mark else None, source_line=source, **kw))
        else:
            errors.append(cls(zh, en, file=filename, line=line, col=mark.col if mark else None,
                              source_line=source, **kw))

    top = getattr(data, "mark", Mark(1, 1))
    if not isinstance(data, Located):
        error("列映射文件应为映射，包含 columns:（以及可选的 ignore:）",
              "a column mapping file is a mapping with columns: (and optionally ignore:)", top,
              hint_zh="示例：columns: {统一社会信用代码: uscc, 营业收入(万元): {field: revenue, unit: 万元}}",
              hint_en="e.g. columns: {统一社会信用代码: uscc, 营业收入(万元): {field: revenue, unit: 万元}}")
        raise RuleSetError(errors)

    def unknown_keys(node: Located, allowed: list[str], hint_zh: str, hint_en: str) -> None:
        for key in node:
            if key not in allowed:
                near = suggest(key, allowed)
                error(f"未知的键 '{key}'" + (f"，是否想写 '{near}'？" if near else ""),
                      f"unknown key '{key}'" + (f"; did you mean '{near}'?" if near else ""), node.key_marks[key],
                      hint_zh=hint_zh, hint_en=hint_en)

    unknown_keys(data, ["columns", "ignore"], "列映射文件只有 columns: 与 ignore: 两项",
                 "a mapping file has columns: and ignore: only")
    fields = field_names()
    spec = registry()
    columns: dict[str, str] = {}
    units: dict[str, Decimal] = {}
    target_of: dict[str, tuple[str, Mark | None]] = {}
    raw_cols = data.get("columns")
    if raw_cols is None:
        error("缺少 columns:（表头 → 画像字段）", "missing columns: (header → profile field)", top)
    elif not isinstance(raw_cols, Located):
        error("columns: 应为映射（表头: 字段）", "columns: must be a mapping (header: field)",
              data.value_marks.get("columns"))
    else:
        for header, value in raw_cols.items():
            key_mark = raw_cols.key_marks[header]
            value_mark = raw_cols.value_marks[header]
            unit: Any = None
            unit_mark: Mark | None = None
            if isinstance(value, Located):
                unknown_keys(value, ["field", "unit"], "写法：{field: 字段, unit: 万元}", "write {field: <field>, unit: 万元}")
                target = value.get("field")
                if "field" not in value:
                    error(f"表头 '{header}' 缺少 field:", f"header '{header}' has no field:", value_mark)
                    continue
                value_mark = value.value_marks["field"]
                unit, unit_mark = value.get("unit"), value.value_marks.get("unit")
            else:
                target = value
            if not isinstance(target, str) or not target.strip():
                error(f"表头 '{header}' 的目标应为画像字段名", f"header '{header}' must map to a profile field name",
                      value_mark)
                continue
            target = target.strip()
            if target not in spec or "[]" in target:
                error("", "", value_mark, UnknownFieldError, name=target, suggestion=suggest(target, fields))
                continue
            if target in target_of:
                first, first_mark = target_of[target]
                at = f"（第 {first_mark.line} 行）" if first_mark else ""
                at_en = f" (line {first_mark.line})" if first_mark else ""
                error(f"两个表头映射到同一字段 '{target}'：'{first}'{at} 与 '{header}'",
                      f"two headers map onto field '{target}': '{first}'{at_en} and '{header}'", key_mark,
                      hint_zh="每个字段只能来自一列", hint_en="each field comes from one column")
                continue
            target_of[target] = (header, key_mark)
            if unit is not None:
                kind = spec[target].type.kind
                if not isinstance(unit, str) or unit.strip() not in UNITS:
                    near = suggest(str(unit), list(UNITS)) if isinstance(unit, str) else None
                    error(f"单位 '{unit}' 无效，应为 元、万元 或 亿元" + (f"，是否想写 '{near}'？" if near else ""),
                          f"unit '{unit}' is not one of 元, 万元, 亿元" + (f"; did you mean '{near}'?" if near else ""),
                          unit_mark)
                    continue
                if kind != "money":
                    error(f"只有金额字段可以声明单位；'{target}' 是 {spec[target].type.describe('zh')}",
                          f"only money fields take a unit; '{target}' is {spec[target].type.describe('en')}",
                          unit_mark, hint_zh="删去 unit:", hint_en="remove unit:")
                    continue
                units[str(header)] = UNITS[unit.strip()]
            columns[str(header)] = target
    ignore: set[str] = set()
    raw_ignore = data.get("ignore")
    if raw_ignore is not None:
        if not isinstance(raw_ignore, LocatedList):
            error("ignore: 应为表头列表", "ignore: must be a list of headers", data.value_marks.get("ignore"))
        else:
            for item, mark in zip(raw_ignore, raw_ignore.item_marks, strict=True):
                if not isinstance(item, (str, int)):
                    error("ignore: 的每一项应为表头", "each item of ignore: must be a header", mark)
                elif str(item) in columns:
                    error(f"表头 '{item}' 既被映射又被忽略", f"header '{item}' is both mapped and ignored", mark)
                else:
                    ignore.add(str(item))
    if errors:
        raise RuleSetError(errors)
    return ColumnMapping(columns, units, frozenset(ignore), filename)


def _as_mapping(mapping: ColumnMapping | str | Path | None) -> ColumnMapping | None:
    if mapping is None or isinstance(mapping, ColumnMapping):
        return mapping
    return load_column_mapping(mapping)


def _canonical(amount: Decimal) -> Decimal:
    try:
        return amount.quantize(Decimal(1)) if amount == amount.to_integral_value() else amount
    except InvalidOperation:  # pragma: no cover - beyond 28 digits
        return amount


def scale_money(value: Any, factor: Decimal) -> Any:
    """``value`` (in a unit) × ``factor`` as exact Decimal yuan; missing stays missing, and a value
    that cannot be read is returned unchanged (the engine then reports its row as an error).

    >>> scale_money("1234.5678", Decimal(10000)), scale_money(1234.5678, Decimal(10000))
    (Decimal('12345678'), Decimal('12345678'))
    """
    if value is None or value is pd.NA or isinstance(value, (bool, np.bool_)):
        return value
    if isinstance(value, (int, np.integer)):
        amount = Decimal(int(value))
    elif isinstance(value, (float, np.floating)):
        f = float(value)
        if math.isnan(f):
            return None
        if math.isinf(f):
            return value
        amount = Decimal(repr(f))
    elif isinstance(value, Decimal):
        if value.is_nan():
            return None
        if not value.is_finite():
            return value
        amount = value
    elif isinstance(value, str):
        text = value.strip().replace(",", "").replace("，", "").replace(" ", "")
        if not text:
            return None
        try:
            amount = Decimal(text)
        except InvalidOperation:
            return value  # "12x3", or a value carrying its own unit ("2500万"): the engine reads it
        if not amount.is_finite():
            return value
    else:
        return value
    return _canonical(amount * factor)


@dataclass
class _Plan:
    """How a file's headers become profile columns."""

    headers: list[str]                 # as in the file (stripped)
    keep: list[int]                    # indices of headers kept, in file order
    rename: dict[str, str]             # header → field (kept headers only)
    units: dict[str, Decimal]          # field → factor
    unknown: list[str]
    not_found: list[str]
    warnings: list[tuple[str, str]]


def _plan(headers: list[str], mapping: ColumnMapping | None, file: str) -> _Plan:
    from ..facts.fields import field_names

    fields = field_names()
    field_set = set(fields)
    seen: dict[str, int] = {}
    for i, h in enumerate(headers):
        if h in seen:
            raise RegisterError(f"表头 '{h}' 出现了两次（第 {seen[h] + 1} 列与第 {i + 1} 列）",
                                f"header '{h}' appears twice (columns {seen[h] + 1} and {i + 1})", file=file, column=h)
        seen[h] = i
    m = mapping or ColumnMapping()
    keep: list[int] = []
    rename: dict[str, str] = {}
    source_of: dict[str, str] = {}
    unknown: list[str] = []
    for i, h in enumerate(headers):
        if h in m.columns:
            target = m.columns[h]
        elif h in m.ignore:
            continue
        elif h in field_set:
            target = h
        else:
            unknown.append(h)
            continue
        if target in source_of:
            raise RegisterError(
                f"两列都给出字段 '{target}'：'{source_of[target]}' 与 '{h}'；请在列映射中忽略其中一列",
                f"two columns give field '{target}': '{source_of[target]}' and '{h}'; ignore one in the column mapping",
                file=file, column=h)
        source_of[target] = h
        keep.append(i)
        rename[h] = target
    units = {m.columns[h]: f for h, f in m.units.items() if h in rename}
    not_found = [h for h in m.columns if h not in seen]
    msgs: list[tuple[str, str]] = []
    if unknown:
        parts_zh, parts_en = [], []
        for h in unknown:
            near = suggest(h, fields) if h else None
            shown = h if h else "(无表头)"
            parts_zh.append(f"'{shown}'" + (f"（是否想写 '{near}'？）" if near else ""))
            parts_en.append(f"'{h if h else '(no header)'}'" + (f" (did you mean '{near}'?)" if near else ""))
        msgs.append((f"{file}: 以下 {len(unknown)} 列不是画像字段，已忽略：" + "、".join(parts_zh)
                     + "（可用 --columns 列映射文件映射或忽略）",
                     f"{file}: {len(unknown)} column(s) are not profile fields and were left out: "
                     + ", ".join(parts_en) + " (map or ignore them with a --columns mapping file)"))
    if not_found:
        msgs.append((f"{file}: 列映射中的表头在文件中不存在：" + "、".join(f"'{h}'" for h in not_found),
                     f"{file}: mapped header(s) not found in the file: " + ", ".join(f"'{h}'" for h in not_found)))
    return _Plan(headers, keep, rename, units, unknown, not_found, msgs)


# --------------------------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------------------------

def _suffix(path: Path, allowed: tuple[str, ...], what_zh: str, what_en: str) -> str:
    suffix = path.suffix.lower()
    if suffix not in allowed:
        raise RegisterError(
            f"不支持的{what_zh}格式 '{path.suffix or path.name}'：应为 " + "、".join(allowed),
            f"unsupported {what_en} format '{path.suffix or path.name}': use " + ", ".join(allowed),
            file=str(path))
    return suffix


def input_format(path: str | Path) -> str:
    """"csv", "parquet" or "xlsx" by the file's suffix; :class:`RegisterError` otherwise."""
    return _suffix(Path(path), INPUT_SUFFIXES, "输入文件", "input")[1:]


def output_format(path: str | Path) -> str:
    """"csv", "parquet" or "xlsx" by the file's suffix; :class:`RegisterError` otherwise."""
    return _suffix(Path(path), OUTPUT_SUFFIXES, "输出文件", "output")[1:]


def count_rows(path: str | Path) -> int | None:
    """Data rows of a register when that is cheap to know (Parquet metadata; the dimension an
    .xlsx sheet declares); None otherwise (CSV: follow the bytes read instead)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    if suffix == ".xlsx":
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            ws = wb.worksheets[0]
            rows = ws.max_row
            return max(int(rows) - 1, 0) if rows else None
        except Exception:  # noqa: BLE001 - a sheet without a usable dimension: unknown
            return None
        finally:
            wb.close()
    return None


def _sniff_encoding(path: Path) -> str:
    with open(path, "rb") as f:
        head = f.read(1 << 20)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf8"
    except UnicodeDecodeError:
        try:
            codecs.getincrementaldecoder("gb18030")().decode(head, final=False)
            return "gb18030"
        except UnicodeDecodeError:
            return "utf8"  # let the parser report where


class RegisterReader(Iterator[tuple[int, pd.DataFrame]]):
    """An iterator of ``(start_row, chunk)``; made by :func:`read_register`.

    Attributes while reading: ``format`` ("csv" | "parquet" | "xlsx"), ``columns`` (profile
    columns produced), ``unknown_columns`` and ``missing_columns`` (mapped headers absent),
    ``warnings`` (bilingual ``(zh, en)`` pairs, also issued once as :class:`RegisterWarning`),
    ``rows_total`` (data rows when known), ``bytes_total``/``bytes_read`` (CSV progress),
    ``rows_read`` (rows yielded so far, malformed ones included) and ``blank_rows`` (skipped).
    """

    def __init__(self, path: str | Path, chunk_size: int = 100_000,
                 mapping: ColumnMapping | str | Path | None = None) -> None:
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        self.path = Path(path)
        self.chunk_size = int(chunk_size)
        self.mapping = _as_mapping(mapping)
        self.format = input_format(self.path)
        if not self.path.is_file():
            raise RegisterError(f"找不到文件 {self.path}", f"no such file: {self.path}", file=str(self.path))
        self.bytes_total = self.path.stat().st_size
        self.bytes_read = 0
        self.rows_read = 0
        self.blank_rows = 0
        self.rows_total: int | None = None
        self._closers: list[Callable[[], None]] = []
        opener = {"csv": self._open_csv, "parquet": self._open_parquet, "xlsx": self._open_xlsx}[self.format]
        try:
            self._chunks = opener()
        except EligibilityError:
            self.close()
            raise
        except (pa.ArrowInvalid, OSError, ValueError, KeyError) as exc:
            self.close()
            raise _read_error(self.path, exc) from None
        self.columns = [self._plan.rename[self._plan.headers[i]] for i in self._plan.keep]
        self.unknown_columns = list(self._plan.unknown)
        self.missing_columns = list(self._plan.not_found)
        self.warnings = list(self._plan.warnings)
        for zh, en in self.warnings:
            warnings.warn(f"{zh}\n{en}", RegisterWarning, stacklevel=3)

    # -- iteration ------------------------------------------------------------------------------
    def __iter__(self) -> RegisterReader:
        return self

    def __next__(self) -> tuple[int, pd.DataFrame]:
        try:
            start, chunk = next(self._chunks)
            while not len(chunk) and not chunk.attrs.get("invalid_rows"):  # only blank rows: nothing to score
                start, chunk = next(self._chunks)
        except StopIteration:
            self.bytes_read = self.bytes_total
            self.close()
            raise
        except (pa.ArrowInvalid, OSError, UnicodeDecodeError) as exc:
            self.close()
            raise _read_error(self.path, exc) from None
        self.rows_read += len(chunk) + len(chunk.attrs.get("invalid_rows", ()))
        return start, chunk

    def close(self) -> None:
        for closer in self._closers:
            try:
                closer()
            except Exception:  # noqa: BLE001,S110 - closing is best effort
                pass
        self._closers.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- per-chunk conversion ---------------------------------------------------------------------
    def _finish(self, frame: pd.DataFrame, numbers: np.ndarray, invalid: list[tuple[int, str, str, Any]]
                ) -> tuple[int, pd.DataFrame]:
        """Rename to profile columns, convert units, number the rows, attach malformed records."""
        frame.index = pd.Index(numbers, dtype="int64", name=None)
        frame = frame.rename(columns=self._plan.rename)
        for target, factor in self._plan.units.items():
            if target in frame.columns:
                frame[target] = pd.Series([scale_money(v, factor) for v in frame[target].astype(object)],
                                          index=frame.index, dtype=object)
        frame.attrs["invalid_rows"] = invalid
        firsts = ([int(numbers[0])] if len(numbers) else []) + ([invalid[0][0]] if invalid else [])
        return (min(firsts) if firsts else 0), frame

    # -- CSV ------------------------------------------------------------------------------------
    def _open_csv(self) -> Iterator[tuple[int, pd.DataFrame]]:
        import pyarrow.csv as pacsv

        encoding = _sniff_encoding(self.path)
        invalid: list[tuple[int | None, str]] = []

        def on_invalid(row: Any) -> str:
            invalid.append((row.number, row.text))
            return "skip"

        parse = pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=on_invalid)
        probe = pacsv.open_csv(self.path, read_options=pacsv.ReadOptions(encoding=encoding), parse_options=parse)
        raw_names = list(probe.schema.names)
        del probe
        invalid.clear()
        headers = [n.strip().lstrip("\ufeff").strip() for n in raw_names]
        self._plan = _plan(headers, self.mapping, str(self.path))
        kept_raw = [raw_names[i] for i in self._plan.keep]
        uscc_index = next((i for i in self._plan.keep if self._plan.rename[headers[i]] == "uscc"), None)
        handle = open(self.path, "rb")  # noqa: SIM115 - closed by close()
        self._closers.append(handle.close)
        reader = pacsv.open_csv(
            handle,
            read_options=pacsv.ReadOptions(encoding=encoding, use_threads=False, block_size=1 << 20),
            parse_options=parse,
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in raw_names}, strings_can_be_null=True,
                null_values=[""], quoted_strings_can_be_null=True),
        )
        self._closers.insert(0, reader.close)
        return self._csv_chunks(reader, handle, invalid, kept_raw, uscc_index, len(raw_names))

    def _csv_chunks(self, reader: Any, handle: Any, invalid: list[tuple[int | None, str]], kept_raw: list[str],
                    uscc_index: int | None, width: int) -> Iterator[tuple[int, pd.DataFrame]]:
        """Number the records (malformed ones reported by the parser keep their place) and cut the
        parser's batches into chunks of ``chunk_size`` rows."""
        next_no = 1                                # the next record number not yet given out
        pending: list[tuple[int, str]] = []        # malformed records (number, text) ahead of next_no
        settled: list[tuple[int, str]] = []        # malformed records behind next_no, not yet yielded
        buffer: list[tuple[np.ndarray, pa.RecordBatch]] = []
        buffered = 0

        def malformed(no: int, text: str) -> tuple[int, str, str, Any]:
            try:
                fields = next(csv.reader(io.StringIO(text)))
            except (csv.Error, StopIteration):
                fields = []
            entity = None
            if uscc_index is not None and uscc_index < len(fields):
                entity = fields[uscc_index].strip() or None
            zh = f"该行有 {len(fields)} 个字段，而表头有 {width} 列，无法按列读取"
            en = f"the line has {len(fields)} fields but the header has {width} columns; it cannot be read"
            return no, zh, en, entity

        def chunk(count: int) -> tuple[int, pd.DataFrame]:
            nonlocal buffered, settled
            batches, numbers = [], []
            need = count
            while need:
                nums, batch = buffer[0]
                if batch.num_rows <= need:
                    buffer.pop(0)
                    batches.append(batch)
                    numbers.append(nums)
                    need -= batch.num_rows
                else:
                    batches.append(batch.slice(0, need))
                    numbers.append(nums[:need])
                    buffer[0] = (nums[need:], batch.slice(need))
                    need = 0
            buffered -= count
            # malformed records before the next buffered row belong to this chunk
            limit = int(buffer[0][0][0]) if buffer else None
            settled.sort()
            mine = [s for s in settled if limit is None or s[0] < limit]
            settled = settled[len(mine):]
            table = pa.Table.from_batches(batches) if batches else None
            nums = np.concatenate(numbers) if numbers else np.zeros(0, np.int64)
            return self._csv_frame(table, nums, [malformed(no, text) for no, text in mine], kept_raw)

        def arrived(n: int) -> None:
            pending.extend((no - 1 if no is not None else next_no + n, text) for no, text in invalid)
            invalid.clear()
            pending.sort()

        for batch in reader:
            self.bytes_read = min(handle.tell(), self.bytes_total) if not handle.closed else self.bytes_total
            n = batch.num_rows
            arrived(n)
            taken = np.array([p[0] for p in pending], dtype=np.int64)
            if taken.size:
                cand = np.arange(next_no, next_no + n + taken.size, dtype=np.int64)
                nums = cand[~np.isin(cand, taken)][:n]
            else:
                nums = np.arange(next_no, next_no + n, dtype=np.int64)
            if n:
                next_no = int(nums[-1]) + 1
                buffer.append((nums, batch))
                buffered += n
            settled.extend(p for p in pending if p[0] < next_no)
            pending[:] = [p for p in pending if p[0] >= next_no]
            while buffered >= self.chunk_size:
                yield chunk(self.chunk_size)
        arrived(0)
        settled.extend(pending)
        while buffered:
            yield chunk(min(self.chunk_size, buffered))
        if settled:
            yield chunk(0)

    def _csv_frame(self, table: pa.Table | None, numbers: np.ndarray, invalid: list[tuple[int, str, str, Any]],
                   kept_raw: list[str]) -> tuple[int, pd.DataFrame]:
        import pyarrow.compute as pc

        if table is None or table.num_rows == 0:
            frame = pd.DataFrame({self._plan.headers[i]: pd.Series([], dtype=pd.ArrowDtype(pa.string()))
                                  for i in self._plan.keep})
            return self._finish(frame, np.zeros(0, np.int64), invalid)
        blank = None
        for col in table.columns:
            nulls = pc.is_null(col)
            blank = nulls if blank is None else pc.and_(blank, nulls)
        if blank is not None:
            mask = np.asarray(blank.to_numpy(zero_copy_only=False), dtype=bool)
            if mask.any():
                self.blank_rows += int(mask.sum())
                table = table.filter(pa.array(~mask))
                numbers = numbers[~mask]
        frame = table.select(kept_raw).to_pandas(types_mapper=pd.ArrowDtype)
        frame.columns = [self._plan.headers[i] for i in self._plan.keep]
        return self._finish(frame, numbers, invalid)

    # -- Parquet ----------------------------------------------------------------------------------
    def _open_parquet(self) -> Iterator[tuple[int, pd.DataFrame]]:
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(self.path)
        self._closers.append(pf.close)
        raw_names = list(pf.schema_arrow.names)
        headers = [n.strip() for n in raw_names]
        self._plan = _plan(headers, self.mapping, str(self.path))
        self.rows_total = int(pf.metadata.num_rows)
        kept_raw = [raw_names[i] for i in self._plan.keep]
        return self._parquet_chunks(pf, kept_raw)

    def _parquet_chunks(self, pf: Any, kept_raw: list[str]) -> Iterator[tuple[int, pd.DataFrame]]:
        next_no = 1
        for batch in pf.iter_batches(batch_size=self.chunk_size, columns=kept_raw):
            frame = batch.to_pandas(types_mapper=pd.ArrowDtype)
            frame.columns = [self._plan.headers[i] for i in self._plan.keep]
            numbers = np.arange(next_no, next_no + batch.num_rows, dtype=np.int64)
            next_no += batch.num_rows
            yield self._finish(frame, numbers, [])

    # -- Excel ----------------------------------------------------------------------------------
    def _open_xlsx(self) -> Iterator[tuple[int, pd.DataFrame]]:
        import zipfile

        import openpyxl

        try:
            wb = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, openpyxl.utils.exceptions.InvalidFileException) as exc:
            raise _read_error(self.path, exc) from None
        self._closers.append(wb.close)
        ws = wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header_row = next(rows, None) or ()
        raw = [None if h is None else str(h) for h in header_row]
        present = [i for i, h in enumerate(raw) if h is not None]     # columns without a header are left out
        headers = [raw[i].strip() for i in present]  # type: ignore[union-attr]
        self._plan = _plan(headers, self.mapping, str(self.path))
        try:
            self.rows_total = max(int(ws.max_row) - 1, 0) if ws.max_row else None
        except Exception:  # noqa: BLE001
            self.rows_total = None
        return self._xlsx_chunks(rows, [present[i] for i in self._plan.keep])

    def _xlsx_chunks(self, rows: Iterator[tuple[Any, ...]], source: list[int]) -> Iterator[tuple[int, pd.DataFrame]]:
        from ..facts.fields import registry

        spec = registry()
        names = [self._plan.headers[i] for i in self._plan.keep]
        textual = [spec[self._plan.rename[n]].type.kind in ("code", "str", "enum") for n in names]
        numbers: list[int] = []
        values: list[list[Any]] = [[] for _ in names]

        def flush() -> tuple[int, pd.DataFrame]:
            frame = pd.DataFrame({n: pd.Series(v, dtype=object) for n, v in zip(names, values, strict=True)},
                                 columns=names)
            nums = np.asarray(numbers, dtype=np.int64)
            numbers.clear()
            for v in values:
                v.clear()
            return self._finish(frame, nums, [])

        for no, row in enumerate(rows, start=1):
            if all(_cell(v, False) is None for v in row):
                self.blank_rows += 1
                continue
            cells = [_cell(row[j] if j < len(row) else None, t) for j, t in zip(source, textual, strict=True)]
            numbers.append(no)
            for column, value in zip(values, cells, strict=True):
                column.append(value)
            if len(numbers) >= self.chunk_size:
                yield flush()
        if numbers:
            yield flush()


def _cell(value: Any, textual: bool) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, datetime):
        return value.date()
    if textual and not isinstance(value, bool):
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
    return value


def _read_error(path: Path, exc: BaseException) -> RegisterError:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return RegisterError(f"无法读取企业名录：{detail}", f"cannot read the register: {detail}", file=str(path))


def read_register(path: str | Path, chunk_size: int = 100_000,
                  mapping: ColumnMapping | str | Path | None = None) -> RegisterReader:
    """Stream a register (.csv, .parquet, .xlsx) as ``(start_row, chunk)`` pairs of at most
    ``chunk_size`` rows, with profile columns (``mapping`` applied: a :class:`ColumnMapping` or the
    path of a mapping file).

    ``chunk.index`` holds the input row numbers (1-based, from the first data row);
    ``chunk.attrs["invalid_rows"]`` lists CSV records that could not be split into columns as
    ``(row, reason_zh, reason_en, entity_id)``. The file is opened and its headers checked at once:
    a bad file raises :class:`RegisterError` here, not at the first chunk.

    >>> for start, chunk in read_register("examples/register.csv", chunk_size=1000):  # doctest: +SKIP
    ...     scored = score_chunk(engine, chunk, date(2024, 6, 30), tracker)  # numbers rows, adds error rows
    """
    return RegisterReader(path, chunk_size, mapping)


# --------------------------------------------------------------------------------------------
# duplicates
# --------------------------------------------------------------------------------------------

def _merge_runs(h1: np.ndarray, r1: np.ndarray, h2: np.ndarray, r2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two sorted runs of distinct hashes (no hash in both) as one, with their rows: each hash of the
    second run goes where ``searchsorted`` puts it, so the merge allocates only its output (no sort,
    no concatenated copies: the largest merges of a 10⁷-row register stay small in memory)."""
    dest = np.searchsorted(h1, h2)
    dest += np.arange(len(h2), dtype=dest.dtype)
    rest = np.ones(len(h1) + len(h2), dtype=bool)
    rest[dest] = False
    hh = np.empty(len(rest), dtype=h1.dtype)
    rr = np.empty(len(rest), dtype=r1.dtype)
    hh[dest], rr[dest] = h2, r2
    hh[rest], rr[rest] = h1, r1
    return hh, rr


class DuplicateTracker:
    """Which USCCs were seen before, across a whole streamed register, in ~16 bytes per firm.

    Keeps 64-bit hashes of the normalised USCCs (stripped, upper case) with the row of their first
    occurrence in a few sorted numpy runs (merged as they grow, like a log-structured index), never a
    Python set of strings. A 64-bit hash collision between two different USCCs is possible in
    principle (about 3 in a million for 10⁷ firms) and would flag one row wrongly.
    """

    def __init__(self) -> None:
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []

    def __len__(self) -> int:
        return sum(len(h) for h, _ in self._runs)

    @property
    def nbytes(self) -> int:
        return sum(h.nbytes + r.nbytes for h, r in self._runs)

    def update(self, rows: Sequence[int] | np.ndarray, usccs: Iterable[Any]) -> np.ndarray:
        """For each row (ascending row numbers), the row of the first occurrence of its USCC when
        that is an earlier row, else -1. Missing or empty USCCs are never duplicates."""
        rows_arr = np.asarray(rows, dtype=np.int64)
        keys = _norm_usccs(usccs)
        result = np.full(len(rows_arr), -1, dtype=np.int64)
        present = np.flatnonzero(pc.not_equal(keys, "").to_numpy(zero_copy_only=False))
        if present.size == 0:
            return result
        h = hash_text_keys(keys.take(pa.array(present)) if len(present) < len(keys) else keys)
        r = rows_arr[present]
        order = np.lexsort((r, h))
        hs, rs = h[order], r[order]
        head = np.empty(len(hs), dtype=bool)
        head[0] = True
        head[1:] = hs[1:] != hs[:-1]
        group = np.cumsum(head) - 1
        uh, ufirst = hs[head], rs[head]
        prev = np.full(len(uh), -1, dtype=np.int64)
        for run_h, run_r in self._runs:
            idx = np.searchsorted(run_h, uh)
            idx_c = np.minimum(idx, len(run_h) - 1)
            hit = (idx < len(run_h)) & (run_h[idx_c] == uh) & (prev < 0)
            prev[hit] = run_r[idx_c[hit]]
        first = np.where(prev >= 0, prev, ufirst)
        per_row = first[group]
        result[present[order]] = np.where(per_row != rs, per_row, -1)
        new = prev < 0
        if new.any():
            self._runs.append((uh[new].copy(), ufirst[new].copy()))
            while len(self._runs) > 1 and len(self._runs[-2][0]) <= 2 * len(self._runs[-1][0]):
                (h2, r2), (h1, r1) = self._runs.pop(), self._runs.pop()
                self._runs.append(_merge_runs(h1, r1, h2, r2))
        return result

    def flag(self, scored: pd.DataFrame, rows: np.ndarray, usccs: Iterable[Any]) -> tuple[pd.DataFrame, np.ndarray]:
        """Fill ``scored["duplicate_of"]`` for the input ``rows`` (sorted) of one chunk; also returns
        :meth:`update`'s answer per input row."""
        dup = self.update(rows, usccs)
        rows = np.asarray(rows, dtype=np.int64)
        values = np.full(len(scored), -1, dtype=np.int64)
        if len(rows) and len(scored):
            at = scored["row"].to_numpy(dtype=np.int64)
            contiguous = int(rows[-1]) - int(rows[0]) == len(rows) - 1
            pos = at - rows[0] if contiguous else np.searchsorted(rows, at)
            pos = np.clip(pos, 0, len(rows))  # rows outside the chunk's (malformed lines) find no match
            inside = (pos < len(rows)) & (rows[np.minimum(pos, len(rows) - 1)] == at)
            values[inside] = dup[pos[inside]]
        if "duplicate_of" in scored.columns:  # the engine's own flags (within a chunk) where we have none
            theirs = pd.array(scored["duplicate_of"], dtype="Int64").to_numpy(dtype=np.int64, na_value=-1)
            values = np.where(values >= 0, values, theirs)
        missing = values < 0
        ours = pd.arrays.IntegerArray(np.where(missing, 0, values), missing)
        scored["duplicate_of"] = pd.Series(ours, index=scored.index)
        return scored, dup


def _missing(value: Any) -> bool:
    """None, NA or NaN (not an empty string)."""
    return value is None or value is pd.NA or value is pd.NaT or (
        isinstance(value, (float, np.floating, Decimal)) and math.isnan(value))


def _norm_usccs(usccs: Iterable[Any]) -> pa.Array:
    """Stripped, upper-case USCCs ("" where missing) as an Arrow string array."""
    if isinstance(usccs, pd.Series) and isinstance(usccs.dtype, pd.ArrowDtype):
        arr: Any = usccs.array.__arrow_array__()  # type: ignore[attr-defined]
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    else:
        values = usccs.tolist() if isinstance(usccs, pd.Series) else list(usccs)
        try:
            arr = pa.array(values, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            arr = pa.array([_norm_uscc(v) for v in values], pa.string())
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type) or pa.types.is_null(arr.type)):
        arr = pa.array([_norm_uscc(v) for v in arr.to_pylist()], pa.string())
    arr = arr.cast(pa.string())
    if not pc.all(pc.fill_null(pc.string_is_ascii(arr), True)).as_py():  # full-width: as a profile reads it
        return pa.array([_norm_uscc(v) for v in arr.to_pylist()], pa.string())
    return pc.fill_null(pc.utf8_upper(pc.utf8_trim_whitespace(arr)), "")


def _norm_uscc(value: Any) -> str:
    if _missing(value):
        return ""
    return normalise_uscc(str(value))


# --------------------------------------------------------------------------------------------
# summaries
# --------------------------------------------------------------------------------------------

_RECONCILE = ("rows_read", "rows_error", "rows_scored", "rows_no_rule")


def _dec(value: Any) -> Decimal:
    if _missing(value):
        return Decimal(0)
    return value if isinstance(value, Decimal) else Decimal(str(value))


class SummaryAccumulator:
    """Merges per-chunk summaries (from ``engine.summarize``) exactly: counts add, amounts add as
    Decimal, the reconciliation attributes add; other attributes (provenance) are kept.

    Rules come out in ``order`` (e.g. the rule set's order) when given, then by rule id."""

    def __init__(self, order: Sequence[str] | None = None) -> None:
        self._order = {rid: i for i, rid in enumerate(order or ())}
        self._rules: dict[str, dict[str, Any]] = {}
        self._columns: list[str] | None = None
        self._attrs: dict[str, Any] = {}
        self._counts: dict[str, int | None] = {k: 0 for k in _RECONCILE}

    def add(self, summary: pd.DataFrame) -> None:
        if self._columns is None:
            self._columns = list(summary.columns)
        for k, v in summary.attrs.items():
            if k in self._counts:
                cur = self._counts[k]
                self._counts[k] = None if cur is None or v is None else cur + int(v)
            else:
                self._attrs.setdefault(k, v)
        for k in _RECONCILE:
            if k not in summary.attrs:
                self._counts[k] = None
        for rec in summary.to_dict("records"):
            rid = str(rec["rule_id"])
            acc = self._rules.get(rid)
            if acc is None:
                self._rules[rid] = {k: (_dec(v) if k.startswith("amount") else v) for k, v in rec.items()}
                continue
            for k, v in rec.items():
                if k == "rule_id":
                    continue
                if k.startswith("amount"):
                    acc[k] = _dec(acc[k]) + _dec(v)
                elif isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
                    acc[k] = int(acc[k]) + int(v)
                elif acc.get(k) is None or acc.get(k) == "":
                    acc[k] = v

    def result(self) -> pd.DataFrame:
        cols = self._columns or ["rule_id", "title", "eligible", "undetermined", "superseded", "ineligible",
                                 "amount_total"]
        last = len(self._order)
        rows = [self._rules[k] for k in sorted(self._rules, key=lambda k: (self._order.get(k, last), k))]
        out = pd.DataFrame(rows, columns=cols)
        for c in cols:
            if c not in ("rule_id", "title") and not c.startswith("amount") and len(out):
                try:
                    out[c] = out[c].astype("int64")
                except (TypeError, ValueError):
                    pass
        out.attrs.update(self._attrs)
        out.attrs.update(self._counts)
        return out


def merge_summaries(summaries: Iterable[pd.DataFrame], order: Sequence[str] | None = None) -> pd.DataFrame:
    """One summary from per-chunk summaries (see :class:`SummaryAccumulator`)."""
    acc = SummaryAccumulator(order)
    for s in summaries:
        acc.add(s)
    return acc.result()


def write_summary(summary: pd.DataFrame, path: str | Path) -> None:
    """The per-rule summary as CSV (amounts as text with 2 decimals) or Excel (with a second sheet
    holding the reconciliation and provenance)."""
    path = Path(path)
    frame = summary.copy()
    for c in frame.columns:
        if str(c).startswith("amount"):
            frame[c] = [None if v is None or v is pd.NA else f"{_dec(v):.2f}" for v in frame[c]]
    if path.suffix.lower() == ".xlsx":
        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "summary"
        ws.append([xlsx_text(str(c)) for c in frame.columns])
        for rec in summary.itertuples(index=False):
            ws.append([_dec(v) if str(c).startswith("amount") else xlsx_text(_plain(v))
                       for c, v in zip(summary.columns, rec, strict=True)])
        for row in ws.iter_rows(min_row=2):
            for cell, c in zip(row, summary.columns, strict=True):
                if str(c).startswith("amount"):
                    cell.number_format = "#,##0.00"
        about = wb.create_sheet("about")
        for k, v in summary.attrs.items():
            about.append([str(k), xlsx_text(_plain(v))])
        no_formulas(wb)
        wb.save(path)
    else:
        csv_safe_frame(frame, skip=tuple(c for c in frame.columns if str(c).startswith("amount"))).to_csv(
            path, index=False)


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (str, int, float, Decimal, date)):
        return value
    return str(value)


# --------------------------------------------------------------------------------------------
# wide table
# --------------------------------------------------------------------------------------------

def wide_rule_ids(rules: Any, as_of: date) -> list[str]:
    """The rules that can appear in a run on ``as_of`` (in force that day), in rule-set order."""
    ids = []
    for r in rules.rules:
        eff = getattr(r, "effective", None)
        if eff is None or eff.contains(as_of):
            ids.append(r.id)
    return ids


def to_wide(scored: pd.DataFrame, rows: Sequence[int] | np.ndarray, entity_ids: Sequence[Any],
            rule_ids: Sequence[str]) -> pd.DataFrame:
    """One row per input row: ``row``, ``entity_id``, ``duplicate_of``, then ``<rule_id>.status`` and
    ``<rule_id>.amount`` per rule (empty where the rule is not in scope), and ``reason`` (error rows).

    ``rows`` are the chunk's input rows (ascending; rows with no rule in scope included) and
    ``entity_ids`` their USCCs as given."""
    rows_arr = np.asarray(rows, dtype=np.int64)
    n, k = len(rows_arr), len(rule_ids)
    status = np.full((k, n), None, dtype=object)
    amount = np.full((k, n), None, dtype=object)
    reason = np.full(n, None, dtype=object)
    entity = np.array([None if _norm_uscc(e) == "" else str(e) for e in entity_ids], dtype=object)
    dup = pd.array([pd.NA] * n, dtype="Int64")
    if len(scored):
        pos = np.searchsorted(rows_arr, scored["row"].to_numpy(dtype=np.int64))
        if (pos >= n).any() or (rows_arr[np.minimum(pos, n - 1)] != scored["row"].to_numpy()).any():
            raise ValueError("scored rows outside the chunk's rows")
        rid = scored["rule_id"].astype(object).to_numpy()
        has_rule = np.array([not _missing(v) for v in rid], dtype=bool)
        index = pd.Index(list(rule_ids)).get_indexer(pd.Index(rid[has_rule].tolist(), dtype=object))
        if (index < 0).any():
            unknown = sorted({str(x) for x in rid[has_rule][index < 0]})
            raise ValueError(f"rule(s) not in the wide columns: {unknown}")
        p = pos[has_rule]
        status[index, p] = _objects(scored["status"])[has_rule]
        amount[index, p] = _objects(scored["amount"])[has_rule]
        err_pos = pos[~has_rule]
        reason[err_pos] = _objects(scored["reason"])[~has_rule]
        ent = _objects(scored["entity_id"])
        given = np.array([e is not None for e in ent], dtype=bool)
        entity[pos[given]] = ent[given]
        if "duplicate_of" in scored.columns:
            d = scored["duplicate_of"].astype("Int64")
            known = ~d.isna().to_numpy()
            dup[pos[known]] = d[known].to_numpy(dtype=np.int64)
    data: dict[str, Any] = {"row": rows_arr, "entity_id": pd.Series(entity, dtype=object),
                            "duplicate_of": pd.Series(dup)}
    for i, r in enumerate(rule_ids):
        data[f"{r}.status"] = pd.Series(status[i], dtype=object)
        data[f"{r}.amount"] = pd.Series(amount[i], dtype=object)
    data["reason"] = pd.Series(reason, dtype=object)
    return pd.DataFrame(data)


def _objects(series: pd.Series) -> np.ndarray:
    """Values as Python objects with None for missing (Arrow, categorical or object columns)."""
    if series.dtype != object:
        arr = pa.array(series, from_pandas=True)
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        out = np.empty(len(arr), dtype=object)
        out[:] = arr.to_pylist()
        return out
    values = series.to_numpy(dtype=object, copy=True)
    for i, v in enumerate(values):
        if _missing(v):
            values[i] = None
    return values


# --------------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------------

def _arrow_column(series: pd.Series | None, typ: pa.DataType, n: int) -> pa.Array:
    if series is None:
        return pa.nulls(n, type=typ)
    if series.dtype == object:
        values = _objects(series)
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


def wide_schema(columns: Sequence[str]) -> pa.Schema:
    """Arrow schema of a wide table with these columns."""
    fields = []
    for c in columns:
        if c in ("row", "duplicate_of"):
            fields.append((c, pa.int64()))
        elif c.endswith(".status"):
            fields.append((c, DICT_STR))
        elif c.endswith(".amount"):
            fields.append((c, MONEY))
        else:
            fields.append((c, pa.string()))
    return pa.schema(fields)


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
                    about.append([str(k), string_cell(about, _plain(v))])
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


# --------------------------------------------------------------------------------------------
# the stream: read → score → duplicates → write → summarize
# --------------------------------------------------------------------------------------------

# --- engine shim --------------------------------------------------------------------------------
# The row-by-row Engine.score(df, as_of) has no start_row; the vectorized one takes
# start_row=K. Remove the fallback branch once every engine accepts start_row.
def _score_chunk(engine: Any, df: pd.DataFrame, as_of: date, start_row: int, ingested: Any = None) -> pd.DataFrame:
    if ingested is not None:  # only from an Engine's own _ingest (see _ingest_ahead)
        return engine.score(df, as_of, start_row=start_row, _ingested=ingested)
    try:
        takes_start = "start_row" in inspect.signature(engine.score).parameters
    except (TypeError, ValueError):
        takes_start = False
    if takes_start:
        return engine.score(df, as_of, start_row=start_row)
    scored = engine.score(df, as_of)
    scored["row"] = scored["row"].astype("int64") + (start_row - 1)
    return scored
# --- end of shim ---------------------------------------------------------------------------------


def _error_rows(invalid: list[tuple[int, str, str, Any]]) -> pd.DataFrame:
    return pd.DataFrame({
        "row": pd.Series([i[0] for i in invalid], dtype="int64"),
        "entity_id": pd.Series([i[3] for i in invalid], dtype=object),
        "rule_id": None, "status": "error", "amount": None, "amount_kind": None, "superseded_by": None,
        "missing": pd.Series([[] for _ in invalid], dtype=object), "failed": None,
        "reason": pd.Series([f"{en} | {zh}" for _, zh, en, _ in invalid], dtype=object),
    })


def score_chunk(engine: Any, chunk: pd.DataFrame, as_of: date,
                tracker: DuplicateTracker | None = None) -> pd.DataFrame:
    """The long table of one chunk from :func:`read_register`: engine scores at the chunk's row
    numbers, ``error`` rows for malformed records, ``duplicate_of`` filled by ``tracker``;
    ``attrs["rows_read"]`` set for ``engine.summarize``."""
    return _score_chunk_rows(engine, chunk, as_of, tracker)[0]


def _chunk_rows(chunk: pd.DataFrame) -> tuple[np.ndarray, int, bool]:
    """A chunk's input row numbers, the row number its scoring starts at, and whether its rows are
    contiguous (else they are renumbered after scoring)."""
    rows = chunk.index.to_numpy(dtype=np.int64)
    contiguous = not len(rows) or int(rows[-1]) - int(rows[0]) == len(rows) - 1
    return rows, int(rows[0]) if len(rows) and contiguous else 1, contiguous


def _plain_frame(chunk: pd.DataFrame) -> pd.DataFrame:
    """The chunk's rows as the engine takes them: a 0-based index and no attrs."""
    frame = chunk.reset_index(drop=True)
    frame.attrs = {}
    return frame


def _ingest_ahead(engine: Any, reader: Iterable[tuple[int, pd.DataFrame]]
                  ) -> Iterator[tuple[int, pd.DataFrame, tuple[pd.DataFrame, Any] | None]]:
    """The reader's chunks, each with its frame already validated by the engine (``Engine._ingest``),
    for :func:`_read_ahead` to run on its thread: the next chunk is ingested while this one is
    decided. ``None`` for an engine without ``_ingest`` (it ingests when it scores)."""
    ingest = getattr(engine, "_ingest", None)
    for start, chunk in reader:
        if ingest is None or not len(chunk):
            yield start, chunk, None
            continue
        frame = _plain_frame(chunk)
        yield start, chunk, (frame, ingest(frame, _chunk_rows(chunk)[1]))


def _score_chunk_rows(engine: Any, chunk: pd.DataFrame, as_of: date, tracker: DuplicateTracker | None,
                      ingested: tuple[pd.DataFrame, Any] | None = None) -> tuple[pd.DataFrame, np.ndarray | None]:
    """:func:`score_chunk`, and the first-occurrence row per input row of the chunk (-1: none).
    ``ingested``: the chunk's frame and its table from :func:`_ingest_ahead`."""
    rows, first, contiguous = _chunk_rows(chunk)
    invalid = list(chunk.attrs.get("invalid_rows", ()))
    frame = ingested[0] if ingested is not None else _plain_frame(chunk)
    if len(frame):
        scored = _score_chunk(engine, frame, as_of, first, ingested[1] if ingested is not None else None)
        if not contiguous:
            scored["row"] = rows[scored["row"].to_numpy(dtype=np.int64) - 1]
    else:
        scored = pd.DataFrame({c: pd.Series([], dtype=object) for c in LONG_COLUMNS[:-1]})
        scored["row"] = scored["row"].astype("int64")
    if invalid:
        extra = _error_rows(invalid)
        scored = pd.concat([scored.astype({c: object for c in scored.columns if c != "row"}), extra],
                           ignore_index=True) if len(scored) else extra
        scored = scored.sort_values("row", kind="stable").reset_index(drop=True)
    dup = None
    if tracker is not None and "uscc" in frame.columns:
        scored, dup = tracker.flag(scored, rows, frame["uscc"])
    elif "duplicate_of" not in scored.columns:
        scored["duplicate_of"] = pd.Series(pd.array([pd.NA] * len(scored), dtype="Int64"), index=scored.index)
    scored.attrs["rows_read"] = len(frame) + len(invalid)
    return scored, dup


_WORKER_ENGINE: Any = None


def _start_worker(rules: Any) -> None:
    """A worker process holds its own Engine (compiled code is not sent between processes)."""
    global _WORKER_ENGINE
    from ..engine import Engine

    _WORKER_ENGINE = Engine(rules)


def _score_in_worker(chunk: pd.DataFrame, invalid: list[Any], as_of: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    chunk.attrs["invalid_rows"] = invalid
    return _score_and_summarize(_WORKER_ENGINE, chunk, as_of)


def _score_and_summarize(engine: Any, chunk: pd.DataFrame, as_of: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    scored, _ = _score_chunk_rows(engine, chunk, as_of, None)
    summary = engine.summarize(scored)
    summary.attrs["rows_read"] = scored.attrs["rows_read"]
    return scored, summary


class _Background:
    """Runs tasks on one background thread, one at a time and in order, while the next chunk is
    scored: duplicates, summary and writing (Parquet and CSV writing release the GIL). At most one
    task waits; an error surfaces at the next :meth:`submit` or at :meth:`close`."""

    def __init__(self) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.pool = ThreadPoolExecutor(1, thread_name_prefix="eligibility-writer")
        self.pending: Any = None

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        if self.pending is not None:
            self.pending.result()
        self.pending = self.pool.submit(fn, *args)

    def close(self) -> None:
        try:
            if self.pending is not None:
                self.pending.result()
        finally:
            self.pool.shutdown(wait=True)


def _read_ahead(reader: Iterable[Any]) -> Iterator[Any]:
    """The reader's items, the next one made on a background thread while this one is scored."""
    from concurrent.futures import ThreadPoolExecutor

    chunks = iter(reader)
    done = object()
    with ThreadPoolExecutor(1, thread_name_prefix="eligibility-reader") as pool:
        future = pool.submit(next, chunks, done)
        while True:
            item = future.result()
            if item is done:
                return
            future = pool.submit(next, chunks, done)
            yield item  # type: ignore[misc]


def default_workers() -> int:
    """Processes scoring chunks side by side: one per core, at most 4 (1 where there is one core)."""
    return max(1, min(4, os.cpu_count() or 1))


def score_chunks(engine: Any, reader: Iterable[tuple[int, pd.DataFrame]], writer: TableWriter, as_of: date, *,
                 wide: bool = False, rule_ids: Sequence[str] | None = None,
                 on_chunk: Callable[[int, pd.DataFrame], None] | None = None, workers: int = 1) -> pd.DataFrame:
    """Score a stream of chunks into ``writer``; returns the merged per-rule summary (with the
    reconciliation in ``attrs``, and ``rows_duplicate``: rows whose USCC appeared in an earlier
    row). ``on_chunk(rows_done, scored)`` is called after each chunk. With ``workers`` > 1, chunks
    are scored by that many processes side by side (the engine's rules are sent to each); reading,
    duplicate tracking and writing stay in this process and keep the input order."""
    tracker = DuplicateTracker()
    background = _Background()
    acc = SummaryAccumulator([r.id for r in engine.rules.rules] if hasattr(engine, "rules") else None)
    ids = list(rule_ids) if rule_ids is not None else wide_rule_ids(engine.rules, as_of)
    done = repeated = 0

    def consume(chunk: pd.DataFrame, scored: pd.DataFrame, summary: pd.DataFrame | None = None) -> None:
        """Duplicates, summary, writing and progress for one scored chunk (on the background thread)."""
        nonlocal done, repeated
        if summary is None:
            summary = engine.summarize(scored)
            summary.attrs["rows_read"] = scored.attrs["rows_read"]
        rows_read = scored.attrs["rows_read"]
        dup = None
        if "uscc" in chunk.columns:
            scored, dup = tracker.flag(scored, chunk.index.to_numpy(dtype=np.int64), chunk["uscc"])
        repeated += int((dup >= 0).sum()) if dup is not None else 0
        if wide:
            invalid = chunk.attrs.get("invalid_rows", ())
            rows = np.concatenate([chunk.index.to_numpy(dtype=np.int64),
                                   np.array([i[0] for i in invalid], dtype=np.int64)])
            usccs = (chunk["uscc"].astype(object).tolist() if "uscc" in chunk.columns else [None] * len(chunk))
            usccs += [i[3] for i in invalid]
            dups = np.concatenate([dup if dup is not None else np.full(len(chunk), -1, np.int64),
                                   np.full(len(invalid), -1, np.int64)])
            order = np.argsort(rows, kind="stable")
            table = to_wide(scored, rows[order], [usccs[i] for i in order], ids)
            flagged = dups[order]
            table["duplicate_of"] = pd.array(np.where(flagged >= 0, flagged, 0), dtype="Int64")
            table.loc[flagged < 0, "duplicate_of"] = pd.NA
            writer.write(table)
        else:
            writer.write(scored)
        acc.add(summary)
        done += rows_read
        if on_chunk is not None:
            on_chunk(done, scored)

    try:
        if workers > 1 and hasattr(engine, "rules"):
            import multiprocessing
            from collections import deque
            from concurrent.futures import ProcessPoolExecutor

            context = multiprocessing.get_context("spawn")  # no fork of a process holding Arrow threads
            with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                                     initargs=(engine.rules,)) as pool:
                pending: deque[Any] = deque()
                for _start, chunk in reader:
                    invalid = list(chunk.attrs.get("invalid_rows", ()))
                    pending.append((chunk, pool.submit(_score_in_worker, chunk, invalid, as_of)))
                    if len(pending) > workers:  # bounded: at most workers + 1 chunks in flight
                        first, future = pending.popleft()
                        background.submit(consume, first, *future.result())
                while pending:
                    first, future = pending.popleft()
                    background.submit(consume, first, *future.result())
        else:
            for _start, chunk, ingested in _read_ahead(_ingest_ahead(engine, reader)):
                background.submit(consume, chunk, _score_chunk_rows(engine, chunk, as_of, None, ingested)[0])
    except BaseException:
        background.pool.shutdown(wait=True)  # no write left running when the run fails
        raise
    background.close()
    if wide and writer.schema is None:  # nothing read: still write the header with every rule
        empty = pd.DataFrame({c: pd.Series([], dtype="int64" if c == "row" else object) for c in LONG_COLUMNS})
        writer.write(to_wide(empty, np.zeros(0, np.int64), [], ids))
    result = acc.result()
    result.attrs["rows_duplicate"] = repeated
    if hasattr(engine, "provenance"):
        for k, v in engine.provenance(as_of).items():
            result.attrs.setdefault(k, v)
    return result


def partial_path(target: Path) -> Path:
    """Where an output is written before it is complete (renamed onto ``target`` at the end)."""
    return target.with_name(f".{target.stem}.partial{target.suffix}")


def score_file(engine: Any, source: str | Path | RegisterReader, target: str | Path, as_of: date, *,
               chunk_size: int = 100_000, mapping: ColumnMapping | str | Path | None = None, wide: bool = False,
               on_chunk: Callable[[int, pd.DataFrame], None] | None = None, workers: int = 1) -> pd.DataFrame:
    """Stream ``source`` (a path, or a reader from :func:`read_register`) through ``engine`` into
    ``target``; returns the merged summary (reconciliation and provenance in ``attrs``, plus
    ``blank_rows``). The output is written under a temporary name and renamed when complete, so a
    failed run leaves no partial file (and an existing ``target`` untouched)."""
    target = Path(target)
    output_format(target)
    reader = source if isinstance(source, RegisterReader) else read_register(source, chunk_size, mapping)
    tmp = partial_path(target)
    provenance = engine.provenance(as_of) if hasattr(engine, "provenance") else {}
    # only a Parquet input knows its exact row count up front (a sheet's dimension may overstate it)
    known = reader.rows_total if wide and reader.format == "parquet" else None
    try:
        with reader, open_writer(tmp, wide, expected_rows=known, metadata=provenance) as writer:
            summary = score_chunks(engine, reader, writer, as_of, wide=wide, on_chunk=on_chunk, workers=workers)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    summary.attrs["blank_rows"] = reader.blank_rows
    return summary
