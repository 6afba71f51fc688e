"""The scored tables' shape: the long table's Arrow schema, and the wide table (one row per input
row, a status and amount column per rule) with its schema."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from .duplicates import norm_uscc
from .values import is_missing, object_values

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
    entity = np.array([None if norm_uscc(e) == "" else str(e) for e in entity_ids], dtype=object)
    dup = pd.array([pd.NA] * n, dtype="Int64")
    if len(scored):
        pos = np.searchsorted(rows_arr, scored["row"].to_numpy(dtype=np.int64))
        if (pos >= n).any() or (rows_arr[np.minimum(pos, n - 1)] != scored["row"].to_numpy()).any():
            raise ValueError("scored rows outside the chunk's rows")
        rid = scored["rule_id"].astype(object).to_numpy()
        has_rule = np.array([not is_missing(v) for v in rid], dtype=bool)
        index = pd.Index(list(rule_ids)).get_indexer(pd.Index(rid[has_rule].tolist(), dtype=object))
        if (index < 0).any():
            unknown = sorted({str(x) for x in rid[has_rule][index < 0]})
            raise ValueError(f"rule(s) not in the wide columns: {unknown}")
        p = pos[has_rule]
        status[index, p] = object_values(scored["status"])[has_rule]
        amount[index, p] = object_values(scored["amount"])[has_rule]
        err_pos = pos[~has_rule]
        reason[err_pos] = object_values(scored["reason"])[~has_rule]
        ent = object_values(scored["entity_id"])
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
