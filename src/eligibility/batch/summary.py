"""The per-rule summary of a streamed run: per-chunk summaries (``engine.summarize``) merged exactly
(:class:`SummaryAccumulator`, :func:`merge_summaries`) and written as CSV or Excel."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._cells import csv_safe_frame, no_formulas, xlsx_text
from ..engine import SUMMARY_COLUMNS, SUMMARY_MONEY
from .values import is_missing, plain_value


_RECONCILE = ("rows_read", "rows_error", "rows_scored", "rows_no_rule")


def _dec(value: Any) -> Decimal:
    if is_missing(value):
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
            if k == "field_errors":  # per column: field errors add up
                mine = self._attrs.setdefault(k, {})
                for path, count in v.items():
                    mine[path] = mine.get(path, 0) + int(count)
            elif k in self._counts:
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
                self._rules[rid] = {k: (_dec(v) if k in SUMMARY_MONEY else v) for k, v in rec.items()}
                continue
            for k, v in rec.items():
                if k == "rule_id":
                    continue
                if k in SUMMARY_MONEY:
                    acc[k] = _dec(acc[k]) + _dec(v)
                elif k == "lower_bound":
                    acc[k] = bool(acc[k]) or bool(v)
                elif isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
                    acc[k] = int(acc[k]) + int(v)
                elif acc.get(k) is None or acc.get(k) == "":
                    acc[k] = v

    def result(self) -> pd.DataFrame:
        cols = self._columns or list(SUMMARY_COLUMNS)
        last = len(self._order)
        rows = [self._rules[k] for k in sorted(self._rules, key=lambda k: (self._order.get(k, last), k))]
        out = pd.DataFrame(rows, columns=cols)
        for c in cols:
            if c not in ("rule_id", "title", "lower_bound", *SUMMARY_MONEY) and len(out):
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


def write_summary(summary: pd.DataFrame, path: str | Path, bom: bool = False) -> None:
    """The per-rule summary (:data:`~eligibility.engine.SUMMARY_COLUMNS`) as CSV (amounts as text with
    2 decimals, the reconciliation — rows read, scored, failed, no rule — in columns on every line;
    ``bom``: a UTF-8 byte order mark first, for spreadsheets) or Excel (with a second sheet holding the
    reconciliation and provenance)."""
    path = Path(path)
    frame = summary.copy()
    for k in _RECONCILE:  # the reconciliation on every line: the file stands alone
        if k in summary.attrs and path.suffix.lower() != ".xlsx":
            frame[k] = summary.attrs[k]
    for c in frame.columns:
        if c in SUMMARY_MONEY:
            frame[c] = [None if v is None or v is pd.NA else f"{_dec(v):.2f}" for v in frame[c]]
    if path.suffix.lower() == ".xlsx":
        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "summary"
        ws.append([xlsx_text(str(c)) for c in frame.columns])
        for rec in summary.itertuples(index=False):
            ws.append([_dec(v) if c in SUMMARY_MONEY else xlsx_text(plain_value(v))
                       for c, v in zip(summary.columns, rec, strict=True)])
        for row in ws.iter_rows(min_row=2):
            for cell, c in zip(row, summary.columns, strict=True):
                if c in SUMMARY_MONEY:
                    cell.number_format = "#,##0.00"
        about = wb.create_sheet("about")
        for k, v in summary.attrs.items():
            about.append([str(k), xlsx_text(plain_value(v))])
        no_formulas(wb)
        wb.save(path)
    else:
        csv_safe_frame(frame, skip=tuple(c for c in frame.columns if c in SUMMARY_MONEY)).to_csv(
            path, index=False, encoding="utf-8-sig" if bom else "utf-8")
