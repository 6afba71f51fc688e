"""Decisions → the batch tables of docs/semantics.md ("Batch output"), built column-wise.

Long table: one row per (input row, rule in scope) in input order then rule order, plus one
``error`` row per bad input row. ``amount`` is an exact decimal (Arrow decimal128(18, 2)),
``missing`` a list of fact paths; repeated texts are categoricals. Wide table: one row per input
row with ``<rule_id>.status`` and ``<rule_id>.amount``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..._hashing import all_distinct
from .compiler import STATUS_NAMES, Decisions

AMOUNT_TYPE = pa.decimal128(18, 2)
LONG_COLUMNS = ["row", "entity_id", "rule_id", "status", "amount", "amount_kind", "superseded_by", "missing",
                "failed", "reason", "duplicate_of"]


def fen_to_decimal(fen: np.ndarray, valid: np.ndarray) -> pa.Array:
    """int64 fen → decimal128(18, 2) without Python objects (the unscaled value is the fen)."""
    n = len(fen)
    if not valid.any():  # no amount at all (a rule without one)
        return pa.nulls(n, AMOUNT_TYPE)
    if fen.min() >= 0:  # the sign words are all zero
        words = np.zeros((n, 2), dtype="<i8")
        words[:, 0] = fen
    else:
        words = np.empty((n, 2), dtype="<i8")
        words[:, 0] = fen
        np.right_shift(fen, 63, out=words[:, 1])  # the sign word
    validity = pa.py_buffer(np.packbits(valid, bitorder="little")) if not valid.all() else None
    return pa.Array.from_buffers(AMOUNT_TYPE, n, [validity, pa.py_buffer(words)],
                                 null_count=int(n - valid.sum()))


def duplicates(entity: np.ndarray | pa.Array, row: np.ndarray) -> np.ndarray:
    """For each row, the row number of the first row with the same USCC (0 when it is the first or has none)."""
    out = np.zeros(len(entity), np.int64)
    if not len(entity):
        return out
    ids = entity if isinstance(entity, pa.Array) else pa.array(entity, pa.string(), from_pandas=True)
    keys = pc.utf8_upper(pc.utf8_trim_whitespace(ids))
    if all_distinct(keys):  # the common case, proven by distinct 64-bit hashes (no hash table of strings)
        return out
    encoded = pc.dictionary_encode(keys)  # exact: which rows repeat which
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    present = codes >= 0
    idx = np.flatnonzero(present)
    if len(encoded.dictionary) == len(idx):  # as many distinct USCCs as rows that have one: no repeats
        return out
    _, first = np.unique(codes[idx], return_index=True)
    first_row_of = np.empty(len(encoded.dictionary), np.int64)
    first_row_of[codes[idx[first]]] = idx[first]
    firsts = first_row_of[codes[idx]]
    later = firsts != idx
    out[idx[later]] = row[firsts[later]]
    return out


def _strings(values: np.ndarray | pa.Array | None, index: np.ndarray | None = None, n: int = 0
             ) -> pd.api.extensions.ExtensionArray:
    """An object array (or Arrow array) of str/None as an Arrow-backed string column (optionally taken
    at ``index``); ``None`` for a column known to be empty (``n`` nulls)."""
    if values is None:
        return pd.array(pa.nulls(len(index) if index is not None else n, pa.string()), dtype=pd.ArrowDtype(pa.string()))
    arr = values if isinstance(values, pa.Array) else pa.array(values, pa.string(), from_pandas=True)
    if index is not None:
        arr = arr.take(pa.array(index))
    return pd.array(arr, dtype=pd.ArrowDtype(pa.string()))


def long_table(d: Decisions) -> pd.DataFrame:
    """The long table, scattered rule by rule: each input row owns a run of lines (its rules in
    scope in rule order, or its one ``error`` line), so every line's position is known up front."""
    t = d.table
    n = t.n
    err_rows = np.flatnonzero(~t.valid())
    scoped = [np.flatnonzero(o.status >= 0) for o in d.outcomes]  # rows in scope, per rule (sorted)
    lines = np.zeros(n, np.int64)
    for rows in scoped:
        lines += np.bincount(rows, minlength=n)
    lines[err_rows] += 1
    start = np.concatenate([[0], np.cumsum(lines)[:-1]]) if n else np.zeros(0, np.int64)
    m = int(lines.sum())
    fill = start.copy()
    where: list[np.ndarray] = []  # line positions of rule j's rows
    for rows in scoped:
        where.append(fill[rows])
        fill[rows] += 1
    rule_ids = [r.id for r in d.rules]
    kinds = [r.benefit.kind if r.benefit.amount is not None else None for r in d.rules]
    kind_names = sorted({kd for kd in kinds if kd})
    position: dict[str, int] = {}  # one category per distinct condition text (rules may share one)
    rule_code = np.full(m, -1, np.int32)
    status = np.full(m, 4, np.int8)  # 4: error
    amount = np.zeros(m, np.int64)
    has_amount = np.zeros(m, bool)
    kind_code = np.full(m, -1, np.int32)
    superseded = np.full(m, -1, np.int32)
    failed = np.full(m, -1, np.int32)
    # reasons by code into their texts (an error row's own message, or a rule's reason text)
    reason = np.full(m, -1, np.int32)
    reason[start[err_rows]] = np.arange(len(err_rows), dtype=np.int32)
    reason_texts: list[str] = list(t.error[err_rows])
    for j, (o, rows, pos) in enumerate(zip(d.outcomes, scoped, where)):
        rule_code[pos] = j
        status[pos] = o.status[rows]
        amount[pos] = o.amount[rows]
        has_amount[pos] = o.has_amount[rows]
        kind_code[pos] = kind_names.index(kinds[j]) if kinds[j] else -1
        if o.superseded_by is not None:
            superseded[pos] = o.superseded_by[rows]
        lut = np.array([position.setdefault(text, len(position)) for text in o.clause_texts] + [-1], dtype=np.int32)
        failed[pos] = lut[o.failed[rows]]
        for mask, text in o.reason:
            at = pos[mask[rows]]
            if len(at):
                reason[at] = len(reason_texts)
                reason_texts.append(text)
    owner = np.repeat(np.arange(n), lines)  # the input row of each line
    dup = duplicates(t.entity_ids(), t.row) if t.has_entity else np.zeros(n, np.int64)
    out = pd.DataFrame({
        "row": t.row[owner],
        "entity_id": _strings(t.entity_ids() if t.has_entity else None, owner),
        "rule_id": pd.Categorical.from_codes(rule_code, categories=rule_ids) if rule_ids
        else pd.Categorical([None] * m),
        "status": pd.Categorical.from_codes(status, categories=[*STATUS_NAMES, "error"]),
        "amount": pd.array(fen_to_decimal(amount, has_amount), dtype=pd.ArrowDtype(AMOUNT_TYPE)),
        "amount_kind": pd.Categorical.from_codes(kind_code, categories=kind_names),
        "superseded_by": pd.Categorical.from_codes(superseded, categories=rule_ids) if rule_ids
        else pd.Categorical([None] * m),
        "missing": _missing_lists(d, scoped, where, m),
        "failed": pd.Categorical.from_codes(failed, categories=pd.Index(list(position), dtype=object)),
        "reason": _coded_strings(reason, reason_texts),
        "duplicate_of": _first_rows(dup[owner]),
    }, columns=LONG_COLUMNS)
    return out


def _coded_strings(codes: np.ndarray, texts: list[str]) -> pd.api.extensions.ExtensionArray:
    """An Arrow-backed string column from int32 ``codes`` into ``texts`` (−1: null), taken in Arrow
    (no column of Python objects)."""
    if not texts:
        return _strings(None, n=len(codes))
    taken = pa.array(texts, pa.string()).take(pa.array(codes, mask=codes < 0))
    return pd.array(taken, dtype=pd.ArrowDtype(pa.string()))


def _first_rows(dup: np.ndarray) -> pd.arrays.IntegerArray:
    """``duplicate_of`` from :func:`duplicates`' output: NA where the row is the first (0)."""
    return pd.arrays.IntegerArray(dup, dup <= 0)


def _missing_lists(d: Decisions, scoped: list[np.ndarray], where: list[np.ndarray], m: int) -> pd.Series:
    """The ``missing`` column as Arrow list<string>, built from per-rule (fact, rows) masks."""
    lengths = np.zeros(m, np.int64)
    pieces: list[tuple[np.ndarray, str]] = []
    for o, rows, pos in zip(d.outcomes, scoped, where):
        for path, mask in o.missing:
            at = pos[mask[rows]]
            if len(at):
                lengths[at] += 1
                pieces.append((at, path))
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    codes = np.empty(int(offsets[-1]), dtype=np.int32)
    paths: dict[str, int] = {}
    fill = offsets[:-1].copy()
    for at, path in pieces:
        codes[fill[at]] = paths.setdefault(path, len(paths))
        fill[at] += 1
    values = pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(list(paths), pa.string())).cast(pa.string())
    arr = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values)
    return pd.Series(pd.array(arr, dtype=pd.ArrowDtype(pa.list_(pa.string()))))


def wide_table(d: Decisions, long: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per input row: ``<rule_id>.status`` and ``<rule_id>.amount`` per rule, and ``reason`` for errors."""
    t = d.table
    data: dict[str, object] = {"row": t.row, "entity_id": _strings(t.entity_ids() if t.has_entity else None, n=t.n)}
    names = [*STATUS_NAMES, "error"]
    clean = t.all_valid()
    err = ~t.valid()
    for r, o in zip(d.rules, d.outcomes):
        codes = o.status if clean and o.status.dtype == np.int8 else np.where(err, 4, o.status).astype(np.int8)
        data[f"{r.id}.status"] = pd.Categorical.from_codes(codes, categories=names)
        data[f"{r.id}.amount"] = pd.array(fen_to_decimal(o.amount, o.has_amount & (o.status >= 0)),
                                          dtype=pd.ArrowDtype(AMOUNT_TYPE))
    data["reason"] = _strings(t.error if not clean else None, n=t.n)
    if t.has_entity:
        data["duplicate_of"] = _first_rows(duplicates(t.entity_ids(), t.row))
    else:  # no USCC: no duplicates
        data["duplicate_of"] = pd.arrays.IntegerArray(np.zeros(t.n, np.int64), np.ones(t.n, bool))
    return pd.DataFrame(data, copy=False)  # the columns are this table's own: no copies
