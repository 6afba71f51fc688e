"""Reading a register in chunks (CSV, Parquet, Excel): :func:`read_register` yields
``(start_row, chunk)`` pairs of ``chunk_size`` rows (100,000 by default), so a register of 10⁷
firms never sits in memory at once:

- **CSV** is parsed by pyarrow's streaming reader with *every* column read as text (a bad number in
  one row never fails the file: conversion and its errors happen in the engine, per row); empty
  fields are missing. Each line is decoded on its own (:mod:`.encoding`): UTF-8 where it is valid
  UTF-8, else GB 18030 (GBK), else the record is a row-level error at its number.
- **Parquet** is read batch by batch and keeps its Arrow types (decimal, date, list and struct
  columns stay Arrow-backed: ``pd.ArrowDtype``).
- **Excel (.xlsx, .xlsm, .xls)** through python-calamine (:mod:`.excel`): the header row found below
  title rows, total and notes rows skipped and reported, one sheet, another, or all.

Row numbers (the ``row`` column of the output) count data records from the first one after the
header, as a spreadsheet shows them: row *N* is record *N + 1* of the file (its line *N + 1* when no
quoted value spans lines; row *N + 1* of the sheet). Blank records (every cell empty) keep their
number but are skipped and counted apart (``blank_rows``): they are not firms. A CSV record with the wrong
number of fields cannot be read into columns; it is reported as an ``error`` row at its number
(``chunk.attrs["invalid_rows"]``), so every record is still accounted for. ``chunk.index`` holds the
row numbers of the chunk's rows (contiguous from ``start_row`` unless such records were taken out).
Headers become profile columns through a column mapping (:mod:`.mapping`) and the spellings
departments write (:mod:`.headers`); values are normalised per field (:mod:`.spellings`). Columns
named in ``keep`` are also carried as text, as written, for the output (:func:`carried_columns`).
"""

from __future__ import annotations

import csv
import io
import warnings
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Self

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..backends.vectorized.ingest import forget_encodings
from ..errors import EligibilityError
from .errors import RegisterError, RegisterWarning
from .formats import input_format
from .mapping import ColumnMapping, as_mapping, plan_columns
from .spellings import ColumnCounts, normalise_column


#: a kept input column's name in a chunk (the header as written after it), apart from profile fields
KEPT = "\x1fkept:"
#: the output's own column names, which a kept column may not take
_OUTPUT_NAMES = frozenset(("row", "entity_id", "name", "rule_id", "rule_title", "status", "amount", "amount_kind",
                           "superseded_by", "missing", "failed", "reason", "duplicate_of", "sheet"))


def carried_columns(chunk: pd.DataFrame) -> list[tuple[str, pd.Series]]:
    """The input columns a chunk carries into the output, by output name: the firm's ``name`` where
    one was read, then the columns kept (``keep`` of :func:`read_register`) under their headers."""
    out = [("name", chunk["name"])] if "name" in chunk.columns else []
    out += [(str(c)[len(KEPT):], chunk[c]) for c in chunk.columns if str(c).startswith(KEPT)]
    return out


def profile_columns(chunk: pd.DataFrame) -> pd.DataFrame:
    """The chunk without its kept columns: what the engine reads."""
    kept = [c for c in chunk.columns if str(c).startswith(KEPT)]
    return chunk.drop(columns=kept) if kept else chunk


def _cell_text(value: Any) -> str | None:
    """A spreadsheet cell as text, as a person reads it (12.0 → "12", a date in ISO form)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _arrow_text(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """An Arrow column as text (nested values by their Python form)."""
    if isinstance(column, pa.ChunkedArray):  # one chunk is taken as it is (combining copies it)
        column = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
    try:
        return pc.cast(column, pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pa.array([None if v is None else str(v) for v in column.to_pylist()], pa.string())


def count_rows(path: str | Path) -> int | None:
    """Data rows of a register when that is cheap to know (Parquet metadata; the dimension an
    .xlsx sheet declares); None otherwise (CSV: follow the bytes read instead)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    if suffix in (".xlsx", ".xlsm", ".xls"):
        from ..batch.excel import open_workbook

        try:
            wb = open_workbook(path)
            sheet = wb.get_sheet_by_name(wb.sheet_names[0])
            return max(int(sheet.height) - 1, 0)
        except Exception:  # noqa: BLE001 - a workbook that cannot be opened: unknown
            return None
    return None


class RegisterReader(Iterator[tuple[int, pd.DataFrame]]):
    """An iterator of ``(start_row, chunk)``; made by :func:`read_register`.

    Attributes while reading: ``format`` ("csv" | "parquet" | "xlsx"), ``columns`` (profile
    columns produced), ``unknown_columns`` and ``missing_columns`` (mapped headers absent),
    ``warnings`` (bilingual ``(zh, en)`` pairs, also issued once as :class:`RegisterWarning`),
    ``rows_total`` (data rows when known), ``bytes_total``/``bytes_read`` (CSV progress),
    ``rows_read`` (rows yielded so far, malformed ones included) and ``blank_rows`` (skipped).
    ``recognised``: per kept column what it became (``column → field (unit)``); ``column_counts``:
    per field the values read, unknown and refused so far (with examples); ``sheet_reports``
    (Excel: header row, skipped title/total/notes rows, formula cells without value, merged cells).

    ``strict``: a mapped header missing from the file, or no USCC column, raises
    :class:`RegisterError` at once (the CLI's default; ``--lenient`` turns it off). ``sheet``
    (Excel): a 1-based number, a name, or ``"all"`` (each chunk then carries ``attrs["sheet"]``).
    ``keep``: headers (as written) of columns carried as text into the output; ``carried`` lists
    the output columns carried (``name`` where the firm's name is read, then ``keep``).
    """

    def __init__(self, path: str | Path, chunk_size: int = 100_000,
                 mapping: ColumnMapping | str | Path | None = None, *, strict: bool = False,
                 sheet: str | int | None = None, keep: Sequence[str] = ()) -> None:
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        self.keep = [str(h).strip() for h in keep]
        self.path = Path(path)
        self.chunk_size = int(chunk_size)
        self.mapping = as_mapping(mapping)
        self.strict = strict
        self.sheet = sheet
        self.column_counts: dict[str, ColumnCounts] = {}
        self.sheet_reports: list[Any] = []
        self.sheet_reports_done = False
        self.decoder: Any = None
        self.format = input_format(self.path)
        if self.format == "bundle":
            raise RegisterError(f"{self.path} 是数据包：请用 read_register 读取", f"{self.path} is a bundle: read it with "
                                "read_register", file=str(self.path))
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
        self.carried = (["name"] if "name" in self.columns else []) + self.keep
        try:
            self._check_keep(self._plan.headers)
        except EligibilityError:
            self.close()
            raise
        self.recognised = list(self._plan.recognised)
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
            reports, self.sheet_reports_done = (self.sheet_reports if not self.sheet_reports_done else []), True
            for report in reports:  # rows skipped below the header, known now
                self.warnings.extend(report.messages(str(self.path), "tail"))
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

    def _check_keep(self, headers: list[str]) -> None:
        """Each kept header is in the file and is not an output column's name."""
        headers = [str(x).strip() for x in headers]
        for h in self.keep:
            if h not in headers:
                present = [x for x in headers if x]
                raise RegisterError(
                    f"--keep 的列 '{h}' 不在文件中；文件中的列：{'、'.join(present)}",
                    f"--keep column '{h}' is not in the file; its columns are: {', '.join(present)}",
                    file=str(self.path), column=h)
            if h in _OUTPUT_NAMES or h.endswith((".status", ".amount")):
                raise RegisterError(f"--keep 的列 '{h}' 与输出列同名，无法带出", f"--keep column '{h}' has the name of an "
                                    "output column and cannot be carried", file=str(self.path), column=h)
        if len(set(self.keep)) < len(self.keep):
            raise RegisterError("--keep 中有重复的列", "--keep names a column twice", file=str(self.path))

    # -- per-chunk conversion ---------------------------------------------------------------------
    def _finish(self, frame: pd.DataFrame, numbers: np.ndarray, invalid: list[tuple[int, str, str, Any]],
                kept: dict[str, pa.Array] | None = None) -> tuple[int, pd.DataFrame]:
        """Rename to profile columns, convert units, number the rows, attach malformed records and
        the kept columns (as text, as written)."""
        frame.index = pd.Index(numbers, dtype="int64", name=None)
        frame = frame.rename(columns=self._plan.rename)
        forget_encodings()  # the previous chunk's, if it was not ingested on this thread
        spellings = self.mapping.values if self.mapping else {}
        formats = self.mapping.date_formats if self.mapping else ()
        for target in frame.columns:  # value spellings, placeholders and header units (batch.spellings)
            column = frame[target]
            out, counts = normalise_column(column, target, numbers, self._plan.units.get(target),
                                           spellings.get(target), formats)
            if out is not column:  # a clean column comes back as it was: nothing to put back
                frame[target] = out
            if target in self.column_counts:
                self.column_counts[target].add(counts)
            else:
                self.column_counts[target] = counts
        for h in self.keep:
            frame[KEPT + h] = pd.arrays.ArrowExtensionArray((kept or {}).get(h, pa.array([], pa.string())))
        frame.attrs["invalid_rows"] = invalid
        firsts = ([int(numbers[0])] if len(numbers) else []) + ([invalid[0][0]] if invalid else [])
        return (min(firsts) if firsts else 0), frame

    # -- CSV ------------------------------------------------------------------------------------
    def _open_csv(self) -> Iterator[tuple[int, pd.DataFrame]]:
        import pyarrow.csv as pacsv

        from ..batch.encoding import LineDecoder, utf8_throughout

        invalid: list[tuple[int | None, str]] = []

        def on_invalid(row: Any) -> str:
            invalid.append((row.number, row.text))
            return "skip"

        parse = pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=on_invalid)
        # each line decoded on its own (UTF-8, else GB 18030); a file that is UTF-8 throughout is
        # parsed as it is, which is the same text
        utf8 = utf8_throughout(self.path)
        raw_names = _csv_header(self.path, utf8, parse)
        invalid.clear()
        headers = [n.strip().lstrip("\ufeff").strip() for n in raw_names]
        self._plan = plan_columns(headers, self.mapping, str(self.path), self.strict,
                                  self.keep)
        self._raw_names = raw_names
        kept_raw = [raw_names[i] for i in self._plan.keep]
        uscc_index = next((i for i in self._plan.keep if self._plan.rename[headers[i]] == "uscc"), None)
        handle = open(self.path, "rb") if utf8 else LineDecoder(open(self.path, "rb"))  # noqa: SIM115 - closed by close()
        self.decoder = None if utf8 else handle
        self._closers.append(handle.close)
        reader = pacsv.open_csv(
            handle,
            read_options=pacsv.ReadOptions(use_threads=False, block_size=1 << 20),
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
            self.bytes_read = (min(handle.tell() if self.decoder is None else handle.bytes_read, self.bytes_total)
                               if not handle.closed else self.bytes_total)
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
        if self.decoder is not None and len(self.decoder.bad_lines) > self._bad_seen:
            table, numbers = self._undecodable(table, numbers, invalid)
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
        table = table.combine_chunks()  # the parser's blocks made one array per column, once for every reader of it
        kept = {h: _arrow_text(table.column(self._raw_of(h))) for h in self.keep}
        frame = table.select(kept_raw).to_pandas(types_mapper=pd.ArrowDtype)
        frame.columns = [self._plan.headers[i] for i in self._plan.keep]
        return self._finish(frame, numbers, invalid, kept)

    def _raw_of(self, header: str) -> str:
        """A kept header's column name as the file spells it (before trimming)."""
        return self._raw_names[self._plan.headers.index(header)]

    _bad_seen = 0

    def _undecodable(self, table: pa.Table, numbers: np.ndarray, invalid: list[tuple[int, str, str, Any]]
                     ) -> tuple[pa.Table, np.ndarray]:
        """Records holding a line that is neither UTF-8 nor GB 18030 (marked by the decoder) become
        row-level errors at their row numbers."""
        from ..batch.encoding import MARK

        marked = None
        for col in table.columns:
            hit = pc.fill_null(pc.match_substring(col, MARK), False)
            marked = hit if marked is None else pc.or_(marked, hit)
        mask = np.asarray(marked.to_numpy(zero_copy_only=False), dtype=bool) if marked is not None else None
        if mask is None or not mask.any():
            return table, numbers
        lines = self.decoder.bad_lines
        for no in numbers[mask].tolist():
            line = lines[self._bad_seen] if self._bad_seen < len(lines) else None
            self._bad_seen += 1
            at_zh, at_en = (f"第 {line} 行", f"line {line}") if line else ("该行", "the line")
            invalid.append((int(no), f"{at_zh}既不是 UTF-8 也不是 GB18030（GBK）编码，无法读取",
                            f"{at_en} is neither UTF-8 nor GB18030 (GBK) text and cannot be read", None))
        invalid.sort(key=lambda i: i[0])
        return table.filter(pa.array(~mask)), numbers[~mask]

    # -- Parquet ----------------------------------------------------------------------------------
    def _open_parquet(self) -> Iterator[tuple[int, pd.DataFrame]]:
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(self.path)
        self._closers.append(pf.close)
        raw_names = list(pf.schema_arrow.names)
        headers = [n.strip() for n in raw_names]
        self._plan = plan_columns(headers, self.mapping, str(self.path), self.strict,
                                  self.keep)
        self._raw_names = raw_names
        self.rows_total = int(pf.metadata.num_rows)
        kept_raw = [raw_names[i] for i in self._plan.keep]
        return self._parquet_chunks(pf, kept_raw)

    def _parquet_chunks(self, pf: Any, kept_raw: list[str]) -> Iterator[tuple[int, pd.DataFrame]]:
        next_no = 1
        extra = [self._raw_of(h) for h in self.keep]
        for batch in pf.iter_batches(batch_size=self.chunk_size, columns=list(dict.fromkeys(kept_raw + extra))):
            kept = {h: _arrow_text(batch.column(raw)) for h, raw in zip(self.keep, extra, strict=True)}
            frame = batch.select(kept_raw).to_pandas(types_mapper=pd.ArrowDtype)
            frame.columns = [self._plan.headers[i] for i in self._plan.keep]
            numbers = np.arange(next_no, next_no + batch.num_rows, dtype=np.int64)
            next_no += batch.num_rows
            yield self._finish(frame, numbers, [], kept)

    # -- Excel ----------------------------------------------------------------------------------
    def _open_xlsx(self) -> Iterator[tuple[int, pd.DataFrame]]:
        """Excel through :mod:`eligibility.batch.excel` (python-calamine): the header row found, the
        rows that are not firms skipped and reported, one or several sheets."""
        from ..batch.excel import iter_sheet, open_workbook, select_sheets
        from ..batch.headers import normalise_header, recognise, split_unit

        try:
            wb = open_workbook(self.path)
            names = select_sheets(list(wb.sheet_names), self.sheet)
        except LookupError as exc:
            zh, en = exc.args if len(exc.args) == 2 else (str(exc), str(exc))
            raise RegisterError(zh, en, file=str(self.path)) from None
        except Exception as exc:  # noqa: BLE001 - calamine's own errors: not a workbook, damaged
            raise _read_error(self.path, exc) from None
        self._closers.append(wb.close)
        mapped = {h for h in (self.mapping.columns if self.mapping else {})}
        aliases = self.mapping.aliases if self.mapping else {}

        def known(text: str) -> bool:
            norm = normalise_header(text)
            return (text.strip() in mapped or recognise(text) is not None
                    or (bool(aliases) and (norm in aliases or split_unit(norm)[0] in aliases)))

        sheets = []
        skipped: list[str] = []
        for name in names:
            headers_raw, rows, report = iter_sheet(wb, name, self.path, known)
            if len(names) > 1 and not any(h and known(h) for h in headers_raw):
                skipped.append(name)  # with --sheet all: a sheet of notes, not a list of firms
                continue
            self.sheet_reports.append(report)
            sheets.append((report, headers_raw, rows))
        if not sheets:
            raise RegisterError(f"没有一个工作表有可识别的表头：{'、'.join(names)}",
                                f"no sheet has a recognised header: {', '.join(names)}", file=str(self.path))
        first = sheets[0][1]
        present = [i for i, h in enumerate(first) if h]      # columns without a header are left out
        self._plan = plan_columns([first[i] for i in present], self.mapping, str(self.path), self.strict,
                                  self.keep)
        if skipped:
            self._plan.warnings.append((f"{self.path}: 工作表 {'、'.join(skipped)} 没有可识别的表头，未读取",
                                        f"{self.path}: sheet(s) {', '.join(skipped)} have no recognised header "
                                        "and were not read"))
        for report in self.sheet_reports:
            for zh, en in report.messages(str(self.path)):
                self._plan.warnings.append((zh, en))
        self.rows_total = None
        return self._xlsx_sheets(sheets, len(names) > 1)

    def _xlsx_sheets(self, sheets: list[tuple[Any, list[str], Iterator[tuple[int, list[Any]]]]], several: bool
                     ) -> Iterator[tuple[int, pd.DataFrame]]:
        """Each sheet's rows in chunks; with several sheets each sheet's columns are matched to the
        first sheet's by header, and every chunk carries ``attrs["sheet"]``. Rows are numbered within
        their sheet from the first after the header (``row`` N is sheet row header + N)."""
        names = [self._plan.headers[i] for i in self._plan.keep]
        for report, headers, rows in sheets:
            where = {h.strip(): i for i, h in enumerate(headers) if h}
            source = [where.get(n, -1) for n in names]
            kept = [where.get(h, -1) for h in self.keep]
            for start, frame in self._xlsx_chunks(rows, source, names, report.header_row, kept):
                if several:
                    frame.attrs["sheet"] = report.sheet
                yield start, frame
            self.blank_rows += report.blank_rows

    def _xlsx_chunks(self, rows: Iterator[tuple[int, list[Any]]], source: list[int], names: list[str],
                     header_row: int, kept_source: list[int]) -> Iterator[tuple[int, pd.DataFrame]]:
        numbers: list[int] = []
        block: list[list[Any]] = []

        def flush() -> tuple[int, pd.DataFrame]:
            width = max(map(len, block))
            columns = list(zip(*(r if len(r) == width else [*r, *([None] * (width - len(r)))] for r in block)))
            data = {}
            for n, j in zip(names, source, strict=True):
                col = np.empty(len(block), dtype=object)
                if 0 <= j < width:
                    col[:] = columns[j]
                data[n] = pd.Series(col, dtype=object)
            frame = pd.DataFrame(data, columns=names)
            kept = {h: pa.array([_cell_text(columns[j][i]) if 0 <= j < width else None for i in range(len(block))],
                                pa.string()) for h, j in zip(self.keep, kept_source, strict=True)}
            nums = np.asarray(numbers, dtype=np.int64)
            numbers.clear()
            block.clear()
            return self._finish(frame, nums, [], kept)

        for sheet_row, row in rows:
            numbers.append(sheet_row - header_row)
            block.append(row)
            if len(numbers) >= self.chunk_size:
                yield flush()
        if numbers:
            yield flush()


def _csv_header(path: Path, utf8: bool, parse: Any) -> list[str]:
    """The column names of a CSV file as the parser reads them, from a small first block (the
    parser infers every column's type from the block it reads first); from the whole default block
    when the header and first record do not fit in the small one."""
    import pyarrow.csv as pacsv

    from ..batch.encoding import LineDecoder

    def names(options: Any) -> list[str]:
        with open(path, "rb") as raw:
            probe = pacsv.open_csv(raw if utf8 else LineDecoder(raw), read_options=options, parse_options=parse)
            return list(probe.schema.names)

    try:
        return names(pacsv.ReadOptions(block_size=1 << 16))
    except pa.ArrowInvalid:
        return names(pacsv.ReadOptions())


def _read_error(path: Path, exc: BaseException) -> RegisterError:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return RegisterError(f"无法读取企业名录：{detail}", f"cannot read the register: {detail}", file=str(path))
