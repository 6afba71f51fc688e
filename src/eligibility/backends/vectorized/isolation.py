"""Per-field isolation in the batch tables: a value that could not be read touches only the rules
that read its field.

Ingest leaves such a field unknown on its row and records the reason (``Table.field_errors``); the
rules are decided as usual. Then, on that row, every rule that reads the field
(:func:`eligibility.reads.readers`: statically, through derived facts too) is reported as ``error``
with its rule id and the reason (field, value, row) — or ``undetermined`` with the field as missing
where the field has a presumption (a value was given but cannot be read: the presumption does not
stand in for it). Every other rule of the row keeps its decision.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ...facts.profile import registry
from ...model.rule import Rule
from ...reads import readers
from .columns import Table

__all__ = ["field_error_reason", "isolate_long", "isolate_wide"]


def field_error_reason(path: str, row: int, message: str) -> str:
    """The reason of a rule in field error: the field, the row and the schema's words (which quote
    the cell), in English then Chinese.

    >>> field_error_reason("revenue", 7, "invalid profile:\n  revenue: cannot read 'x' | 企业画像有误：\n  revenue: 无法识别 'x'")
    "field revenue, row 7: revenue: cannot read 'x' | 字段 revenue，第 7 行：revenue: 无法识别 'x'"
    """
    en, _, zh = message.partition(" | ")
    en = " ".join(en.replace("invalid profile:", "").split())
    zh = " ".join(zh.replace("企业画像有误：", "").split())
    return f"field {path}, row {row}: {en} | 字段 {path}，第 {row} 行：{zh}"


@cache
def _readers(rules: tuple[Rule, ...], path: str) -> frozenset[str]:
    return frozenset(readers(rules, path))


def _lines(rows: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions in the (row-sorted) long table of the lines of each wanted row, and which wanted
    row each position belongs to."""
    lo = np.searchsorted(rows, wanted, "left")
    hi = np.searchsorted(rows, wanted, "right")
    lengths = hi - lo
    total = int(lengths.sum())
    owner = np.repeat(np.arange(len(wanted)), lengths)
    first = np.repeat(lo - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return first + np.arange(total), owner


def isolate_long(out: pd.DataFrame, table: Table, rules: list[Rule]) -> pd.DataFrame:
    """Apply the table's field errors to its long table (in place where possible; returned)."""
    if not table.field_errors or not len(out):
        return out
    spec = registry()
    rule_cat = out["rule_id"].cat
    rule_codes = rule_cat.codes.to_numpy()
    names = list(map(str, rule_cat.categories))
    row_numbers = out["row"].to_numpy(dtype=np.int64)
    m = len(out)
    error = np.zeros(m, bool)
    undetermined = np.zeros(m, bool)
    reasons = np.empty(m, dtype=object)
    missing: dict[int, list[str]] = {}
    key = tuple(rules)
    for path, (idx, texts) in table.field_errors.items():
        who = _readers(key, path)
        lut = np.array([n in who for n in names] + [False])  # code -1 (a row-level error line): no rule
        if not lut.any():
            continue
        rows = table.row[idx]
        pos, owner = _lines(row_numbers, rows)
        hit = lut[rule_codes[pos]]
        pos, owner = pos[hit], owner[hit]
        presumed = spec[path].presume is not None if path in spec else False
        (undetermined if presumed else error)[pos] = True
        for p, o in zip(pos.tolist(), owner.tolist()):
            text = field_error_reason(path, int(rows[o]), str(texts[o]))
            reasons[p] = text if reasons[p] is None else f"{reasons[p]}; {text}"
            if presumed:
                missing.setdefault(p, []).append(path)
    undetermined &= ~error
    touched = error | undetermined
    if not touched.any():
        return out
    status = out["status"].cat
    codes = status.codes.to_numpy().copy()
    cats = list(status.categories)
    codes[error] = cats.index("error")
    codes[undetermined] = cats.index("undetermined")
    out["status"] = pd.Categorical.from_codes(codes, categories=status.categories)
    for col in ("amount_kind", "superseded_by", "failed"):
        c = out[col].cat
        cc = c.codes.to_numpy().copy()
        cc[touched] = -1
        out[col] = pd.Categorical.from_codes(cc, categories=c.categories)
    at = np.flatnonzero(touched)
    amount = _arrow(out["amount"])
    out["amount"] = pd.array(pc.if_else(pa.array(~touched), amount, pa.scalar(None, amount.type)),
                             dtype=pd.ArrowDtype(amount.type))
    reason = pa.array(out["reason"].array, pa.string(), from_pandas=True) \
        if not isinstance(out["reason"].dtype, pd.ArrowDtype) else _arrow(out["reason"])
    out["reason"] = pd.array(_replace(reason, at, pa.array(reasons[at].tolist(), pa.string())),
                             dtype=pd.ArrowDtype(pa.string()))
    lists = _arrow(out["missing"])
    new = pa.array([missing.get(p, []) if undetermined[p] else [] for p in at.tolist()], lists.type)
    out["missing"] = pd.array(_replace(lists, at, new), dtype=pd.ArrowDtype(lists.type))
    return out


def _arrow(series: pd.Series) -> pa.Array:
    arr = series.array.__arrow_array__()  # type: ignore[attr-defined]
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _replace(values: pa.Array, at: np.ndarray, new: pa.Array) -> pa.Array:
    """``values`` with the positions ``at`` taken from ``new`` (any type: one take, no Python loop)."""
    index = np.arange(len(values), dtype=np.int64)
    index[at] = len(values) + np.arange(len(at), dtype=np.int64)
    return pa.concat_arrays([values, new.cast(values.type)]).take(pa.array(index))


def isolate_wide(out: pd.DataFrame, table: Table, rules: list[Rule]) -> pd.DataFrame:
    """Apply the table's field errors to its wide table: each reading rule's status on the row."""
    if not table.field_errors:
        return out
    spec = registry()
    key = tuple(rules)
    for path, (idx, _texts) in table.field_errors.items():
        presumed = spec[path].presume is not None if path in spec else False
        for rid in _readers(key, path):
            col = f"{rid}.status"
            if col not in out.columns:
                continue
            cat = out[col].cat
            codes = cat.codes.to_numpy().copy()
            inside = idx[codes[idx] >= 0]  # rows where the rule is in scope
            codes[inside] = list(cat.categories).index("undetermined" if presumed else "error")
            out[col] = pd.Categorical.from_codes(codes, categories=cat.categories)
            amount = out[f"{rid}.amount"].array.__arrow_array__().combine_chunks()  # type: ignore[attr-defined]
            keep = np.ones(len(out), bool)
            keep[inside] = False
            out[f"{rid}.amount"] = pd.array(pc.if_else(pa.array(keep), amount, pa.scalar(None, amount.type)),
                                            dtype=pd.ArrowDtype(amount.type))
    return out
