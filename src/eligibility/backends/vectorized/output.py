"""Decisions → the batch tables of DESIGN.md ("Batch output"), built column-wise.

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

from .compiler import STATUS_NAMES, Decisions

AMOUNT_TYPE = pa.decimal128(18, 2)
LONG_COLUMNS = ["row", "entity_id", "rule_id", "status", "amount", "amount_kind", "superseded_by", "missing",
                "failed", "reason", "duplicate_of"]


def fen_to_decimal(fen: np.ndarray, valid: np.ndarray) -> pa.Array:
    """int64 fen → decimal128(18, 2) without Python objects (the unscaled value is the fen)."""
    n = len(fen)
    words = np.empty((n, 2), dtype="<i8")
    words[:, 0] = fen
    words[:, 1] = fen >> 63
    validity = pa.array(valid, pa.bool_()).buffers()[1] if not valid.all() else None
    return pa.Array.from_buffers(AMOUNT_TYPE, n, [validity, pa.py_buffer(words)],
                                 null_count=int(n - valid.sum()))


def duplicates(entity: np.ndarray, row: np.ndarray) -> np.ndarray:
    """For each row, the row number of the first row with the same USCC (0 when it is the first or has none)."""
    out = np.zeros(len(entity), np.int64)
    if not len(entity):
        return out
    keys = pc.utf8_upper(pc.utf8_trim_whitespace(pa.array(entity, pa.string())))
    encoded = pc.dictionary_encode(keys)
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    present = codes >= 0
    idx = np.flatnonzero(present)
    if not len(idx):
        return out
    _, first = np.unique(codes[idx], return_index=True)
    first_row_of = np.empty(len(encoded.dictionary), np.int64)
    first_row_of[codes[idx[first]]] = idx[first]
    firsts = first_row_of[codes[idx]]
    later = firsts != idx
    out[idx[later]] = row[firsts[later]]
    return out


def _strings(values: np.ndarray | None, index: np.ndarray | None = None, n: int = 0
             ) -> pd.api.extensions.ExtensionArray:
    """An object array of str/None as an Arrow-backed string column (optionally taken at ``index``);
    ``None`` for a column known to be empty (``n`` nulls)."""
    if values is None:
        return pd.array(pa.nulls(len(index) if index is not None else n, pa.string()), dtype=pd.ArrowDtype(pa.string()))
    arr = pa.array(values, pa.string(), from_pandas=True)
    if index is not None:
        arr = arr.take(pa.array(index))
    return pd.array(arr, dtype=pd.ArrowDtype(pa.string()))


def long_table(d: Decisions) -> pd.DataFrame:
    t = d.table
    n, k = t.n, len(d.rules)
    status = np.stack([o.status for o in d.outcomes], axis=1) if k else np.full((n, 0), -1, np.int8)
    err = ~t.valid()
    # error rows take one line each, placed at their input position (rule index -1 sorts first)
    in_scope = status >= 0
    rows_i, rules_j = np.nonzero(in_scope)
    err_i = np.flatnonzero(err)
    all_i = np.concatenate([rows_i, err_i])
    all_j = np.concatenate([rules_j, np.full(len(err_i), -1)])
    order = np.lexsort((all_j, all_i)) if len(err_i) else np.arange(len(all_i))
    all_i, all_j = all_i[order], all_j[order]
    is_rule = all_j >= 0
    jj = np.where(is_rule, all_j, 0)
    m = len(all_i)

    def per_rule(matrix: np.ndarray, fill: object) -> np.ndarray:
        return np.where(is_rule, matrix[all_i, jj], fill) if k else np.full(m, fill)

    st = per_rule(status, 4).astype(np.int8)
    status_names = [*STATUS_NAMES, "error"]
    amounts = np.stack([o.amount for o in d.outcomes], axis=1) if k else np.zeros((n, 0), np.int64)
    has = np.stack([o.has_amount for o in d.outcomes], axis=1) if k else np.zeros((n, 0), bool)
    amount = per_rule(amounts, 0).astype(np.int64)
    amount_valid = per_rule(has, False).astype(bool)
    rule_ids = [r.id for r in d.rules]
    kinds = [r.benefit.kind if r.benefit.amount is not None else None for r in d.rules]
    kind_names = sorted({kd for kd in kinds if kd})
    kind_code = np.array([kind_names.index(kd) if kd else -1 for kd in kinds] or [0], dtype=np.int32)
    sup = np.stack([o.superseded_by if o.superseded_by is not None else np.full(n, -1, np.int32)
                    for o in d.outcomes], axis=1) if k else np.zeros((n, 0), np.int32)
    sup_code = per_rule(sup, -1).astype(np.int32)
    # failed clause texts: one category table over all rules
    texts: list[str] = []
    position: dict[str, int] = {}
    lookups = []
    for o in d.outcomes:  # one category per distinct condition text (rules may share one)
        lut = np.array([position.setdefault(t_, len(position)) for t_ in o.clause_texts] + [-1], dtype=np.int32)
        lookups.append(lut)
    texts = list(position)
    failed_m = np.stack([lut[o.failed] for o, lut in zip(d.outcomes, lookups)], axis=1) \
        if k else np.zeros((n, 0), np.int32)
    failed = per_rule(failed_m, -1).astype(np.int32)
    reason = np.empty(m, dtype=object)
    reason[~is_rule] = t.error[all_i[~is_rule]]
    for j, o in enumerate(d.outcomes):
        for mask, text in o.reason:
            rows = np.flatnonzero(mask)
            pos = _positions(all_i, all_j, rows, j)
            reason[pos] = text
    missing = _missing_lists(d, all_i, all_j, m)
    dup = duplicates(t.entity, t.row) if t.has_entity else np.zeros(t.n, np.int64)
    out = pd.DataFrame({
        "row": t.row[all_i],
        "entity_id": _strings(t.entity if t.has_entity else None, all_i),
        "rule_id": pd.Categorical.from_codes(np.where(is_rule, all_j, -1).astype(np.int32), categories=rule_ids)
        if rule_ids else pd.Categorical([None] * m),
        "status": pd.Categorical.from_codes(st, categories=status_names),
        "amount": pd.array(fen_to_decimal(amount, amount_valid), dtype=pd.ArrowDtype(AMOUNT_TYPE)),
        "amount_kind": pd.Categorical.from_codes(np.where(is_rule, kind_code[jj], -1).astype(np.int32),
                                                 categories=kind_names),
        "superseded_by": pd.Categorical.from_codes(sup_code, categories=rule_ids) if rule_ids
        else pd.Categorical([None] * m),
        "missing": missing,
        "failed": pd.Categorical.from_codes(failed, categories=pd.Index(texts, dtype=object)),
        "reason": _strings(reason),
        "duplicate_of": pd.array(np.where(dup[all_i] > 0, dup[all_i], 0), dtype="Int64"),
    }, columns=LONG_COLUMNS)
    out.loc[out["duplicate_of"] == 0, "duplicate_of"] = pd.NA
    return out


def _positions(all_i: np.ndarray, all_j: np.ndarray, rows: np.ndarray, j: int) -> np.ndarray:
    """Long-table positions of (row in ``rows``, rule ``j``)."""
    sel = np.isin(all_i, rows) & (all_j == j)
    return np.flatnonzero(sel)


def _missing_lists(d: Decisions, all_i: np.ndarray, all_j: np.ndarray, m: int) -> pd.Series:
    """The ``missing`` column as Arrow list<string>, built from per-rule (fact, rows) masks."""
    n = d.table.n
    lengths = np.zeros(m, np.int64)
    pieces: list[tuple[np.ndarray, str]] = []
    # position of (row, rule) in the long table
    lookup = np.full((n, max(len(d.outcomes), 1)), -1, np.int64)
    rule_rows = all_j >= 0
    lookup[all_i[rule_rows], all_j[rule_rows]] = np.flatnonzero(rule_rows)
    for j, o in enumerate(d.outcomes):
        for path, mask in o.missing:
            pos = lookup[np.flatnonzero(mask), j]
            pos = pos[pos >= 0]
            if len(pos):
                lengths[pos] += 1
                pieces.append((pos, path))
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    codes = np.empty(int(offsets[-1]), dtype=np.int32)
    paths: dict[str, int] = {}
    fill = offsets[:-1].copy()
    for pos, path in pieces:
        codes[fill[pos]] = paths.setdefault(path, len(paths))
        fill[pos] += 1
    values = pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(list(paths), pa.string())).cast(pa.string())
    arr = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values)
    return pd.Series(pd.array(arr, dtype=pd.ArrowDtype(pa.list_(pa.string()))))


def wide_table(d: Decisions, long: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per input row: ``<rule_id>.status`` and ``<rule_id>.amount`` per rule, and ``reason`` for errors."""
    t = d.table
    data: dict[str, object] = {"row": t.row, "entity_id": _strings(t.entity if t.has_entity else None, n=t.n)}
    names = [*STATUS_NAMES, "error"]
    err = ~t.valid()
    for r, o in zip(d.rules, d.outcomes):
        codes = np.where(err, 4, o.status).astype(np.int8)
        data[f"{r.id}.status"] = pd.Categorical.from_codes(codes, categories=names)
        data[f"{r.id}.amount"] = pd.array(fen_to_decimal(o.amount, o.has_amount & (o.status >= 0)),
                                          dtype=pd.ArrowDtype(AMOUNT_TYPE))
    data["reason"] = _strings(t.error if err.any() else None, n=t.n)
    dup = duplicates(t.entity, t.row) if t.has_entity else np.zeros(t.n, np.int64)
    data["duplicate_of"] = pd.array(np.where(dup > 0, dup, 0), dtype="Int64")
    out = pd.DataFrame(data)
    out.loc[out["duplicate_of"] == 0, "duplicate_of"] = pd.NA
    return out
