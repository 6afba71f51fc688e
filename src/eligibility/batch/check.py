"""A dry run over a register: per column, what it maps to and how many values were read, unknown
and refused (with examples), before a long scoring run.

The register is read exactly as ``score`` reads it (headers, value spellings, units, encodings,
Excel rows) and each chunk is validated by the engine's own column-wise ingest, so a value counted
as refused here is one the run would report as a field error (or, for the USCC, a row error). No
rule is evaluated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["ColumnCheck", "RegisterCheck", "check_register"]

EXAMPLES = 3


@dataclass
class ColumnCheck:
    """One column: its header, the field and unit it became, and its value counts."""

    header: str
    field: str
    unit: str | None
    read: int = 0
    unknown: int = 0
    refused: int = 0
    examples: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class RegisterCheck:
    """The whole file: columns in file order, rows read, rows that cannot be scored at all, and the
    reader's warnings (columns left out, rows skipped); for a bundle, the join of each list."""

    path: str
    columns: list[ColumnCheck]
    rows_read: int = 0
    rows_failed: int = 0
    blank_rows: int = 0
    warnings: list[tuple[str, str]] = field(default_factory=list)
    join: list[tuple[str, str]] = field(default_factory=list)  # a bundle: per department list, rows joined


def check_register(path: str | Path, mapping: Any = None, *, sheet: str | int | None = None, strict: bool = True,
                   chunk_size: int = 100_000, on_chunk: Callable[[int], None] | None = None) -> RegisterCheck:
    """Read and validate every value of a register without scoring it (see the module docs).

    Raises :class:`~eligibility.batch.RegisterError` where ``score`` would stop before
    scoring (with ``strict``: no USCC column, a mapped header not in the file)."""
    from ..backends.vectorized.ingest import frame_errors
    from .sources import read_register

    reader = read_register(path, chunk_size, mapping, strict=strict, sheet=sheet)
    keys = getattr(reader, "count_keys", {rec.header: rec.field for rec in reader.recognised})  # a bundle's lists too
    checks = {rec.header: ColumnCheck(rec.header, rec.field, rec.unit) for rec in reader.recognised}
    columns = {keys[h]: c for h, c in checks.items()}  # by field for the register's columns
    result = RegisterCheck(str(path), list(checks.values()))
    with reader:
        for _start, chunk in reader:
            invalid = chunk.attrs.get("invalid_rows", ())
            result.rows_read += len(chunk) + len(invalid)
            result.rows_failed += len(invalid)
            frame = chunk.reset_index(drop=True)
            frame.attrs = {}
            rows = chunk.index.to_numpy(dtype=np.int64)
            if len(frame):
                failed, texts, field_errors = frame_errors(frame)
                result.rows_failed += len(failed)
                if "uscc" in columns and len(failed):
                    _refuse(columns["uscc"], rows[failed], texts)
                for path_, (idx, refused) in field_errors.items():
                    if path_ in columns:
                        _refuse(columns[path_], rows[idx], refused)
            if on_chunk is not None:
                on_chunk(result.rows_read)
    for name, col in columns.items():
        counts = reader.column_counts.get(name)
        if counts is not None:
            col.unknown = counts.unknown
            col.read = counts.read + counts.refused - col.refused
    result.blank_rows = reader.blank_rows
    result.warnings = list(reader.warnings)
    report = getattr(reader, "report", None)
    result.join = report.messages() if report is not None else []
    return result


def _refuse(col: ColumnCheck, rows: np.ndarray, texts: np.ndarray) -> None:
    col.refused += len(rows)
    for row, text in zip(rows[:EXAMPLES].tolist(), texts[:EXAMPLES].tolist()):
        if len(col.examples) < EXAMPLES:
            col.examples.append((int(row), str(text)))
