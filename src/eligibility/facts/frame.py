"""Profiles ↔ flat tables with dotted column names, keeping unknown apart from empty.

A record column (``registers``, ``registers.above_scale_industrial``) holds True when the record is
given, False when it is known to be absent, and NA when unknown. A list column holds a list
(possibly empty) or NA when unknown, Arrow-backed (``list<struct>``) so that Parquet and Dask keep
it a list. A leaf column holds the value or NA (unknown). Every column is Arrow-backed, typed from
the schema, where its values allow.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd
import pyarrow as pa

from ..errors import ProfileError
from ..limits import MAX_DEPTH
from .profile import Profile, registry


def columns() -> list[str]:
    """Every column of a profile table, in schema order."""
    return [p for p in registry() if "[]" not in p]


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [dict(v) for v in value]
    return value


def to_frame(profiles: Iterable[Profile | Mapping[str, Any]]) -> pd.DataFrame:
    """Flatten profiles (validated first) into a DataFrame with one dotted column per field."""
    rows = []
    cols = columns()
    for p in profiles:
        profile = Profile.from_data(dict(p) if not isinstance(p, Profile) else p)
        values = profile.facts().values
        row: dict[str, Any] = {}
        for c in cols:
            if c not in values:
                row[c] = pd.NA
            elif registry()[c].type.kind == "record":
                row[c] = values[c] is not None
            else:
                row[c] = _plain(values[c])
        rows.append(row)
    frame = pd.DataFrame(rows, columns=cols).astype({c: "object" for c in cols})
    for c in cols:  # Arrow-backed: lists as list<struct>, which pandas, Parquet and Dask keep as lists
        kind = registry()[c].type.kind
        arrow = _list_array(c, frame[c].tolist()) if kind == "list" else _leaf_array(kind, frame[c].tolist())
        if arrow is not None:
            frame[c] = pd.Series(arrow, index=frame.index)
    return frame


_ARROW_LEAF: dict[str, tuple[tuple[pa.DataType, type], ...]] = {
    "record": ((pa.bool_(), bool),), "bool": ((pa.bool_(), bool),), "money": ((pa.decimal128(20, 2), Decimal),),
    "date": ((pa.date32(), date),), "number": ((pa.int64(), int),), "str": ((pa.string(), str),),
    "code": ((pa.string(), str),), "enum": ((pa.string(), str), (pa.int64(), int))}


def _leaf_array(kind: str, values: list[Any]) -> Any:
    """A record or leaf column as an Arrow-backed array typed from the schema (records and booleans
    bool, money decimal128(20, 2) — every valid amount fits —, dates date32, whole numbers int64, text
    string), so that the engine reads it without Python objects; None (the column stays Python
    objects) when its values are not all of the type's Python type (a number that is not an integer:
    Arrow would truncate it)."""
    given = [None if v is pd.NA else v for v in values]
    kinds = {type(v) for v in given if v is not None}
    for typ, py in _ARROW_LEAF.get(kind, ()):
        if kinds <= {py}:
            try:
                arr = pa.array(given, type=typ)
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
                return None
            return pd.array(arr, dtype=pd.ArrowDtype(typ))
    return None


_ARROW_ITEM = {"str": pa.string(), "enum": pa.string(), "code": pa.string(), "date": pa.date32(),
               "money": pa.decimal128(18, 2), "number": pa.int64(), "bool": pa.bool_()}


def _list_array(path: str, values: list[Any]) -> Any:
    """A list column as an Arrow-backed ``list<struct>`` array (the item fields typed from the
    schema: money decimal128(18, 2), dates date32); None (the column stays Python lists) when a
    value does not fit those types (a number that is not an integer)."""
    prefix = path + "[]."
    fields = [(p[len(prefix):], _ARROW_ITEM.get(s.type.kind, pa.string())) for p, s in registry().items()
              if p.startswith(prefix) and "." not in p[len(prefix):]]
    typ = pa.list_(pa.struct(fields))
    try:
        arr = pa.array([None if v is pd.NA or v is None else v for v in values], type=typ)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
        return None
    return pd.array(arr, dtype=pd.ArrowDtype(typ))


def is_missing(value: Any) -> bool:
    """NA, None, NaN or an empty string: no value given."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, Decimal) and value.is_nan():
        return True
    return isinstance(value, str) and value.strip() == ""


def _truth(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "是", "y", "t"):
        return True
    if text in ("false", "0", "no", "否", "n", "f"):
        return False
    return None


def row_to_profile(row: Mapping[str, Any]) -> dict[str, Any]:
    """Rebuild a nested profile dict from one flat row (dotted keys). Unknown columns are kept at
    their place so that validation names them."""
    spec = registry()
    out: dict[str, Any] = {}
    absent: set[str] = set()
    for key, value in row.items():
        if is_missing(value):
            continue
        s = spec.get(key)
        if s is not None and s.type.kind == "record":
            truth = _truth(value)
            if truth is False:
                absent.add(key)
                parent = key.rsplit(".", 1)[0] if "." in key else None
                if parent is not None:
                    _ensure(out, parent)
                continue
            if truth is True:
                _ensure(out, key)
                continue
        if isinstance(value, str) and s is not None and s.type.kind == "list":
            value = _json_list(key, value)
        elif s is not None and s.type.kind == "list" and isinstance(value, (list, tuple)):
            # an Arrow list<struct> gives every item every field: a null one was not given
            value = [{k: v for k, v in item.items() if v is not None} if isinstance(item, dict) else item
                     for item in value]
        if isinstance(value, float) and s is not None and s.type.kind == "money":
            value = Decimal(repr(value))
        _put(out, key, list(value) if isinstance(value, tuple) else value)
    for key in absent:
        _drop(out, key)
    return out


def _json_list(key: str, text: str) -> Any:
    """A list column read from CSV holds JSON (``[{"kind": "high_tech", ...}]``)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProfileError(f"{key} 应为 JSON 列表：{exc.msg}（第 {exc.pos} 个字符）",
                           f"{key} must be a JSON list: {exc.msg} (at character {exc.pos})", field=key) from None
    except RecursionError:  # far deeper than MAX_DEPTH (a shallower one is refused by the profile)
        raise ProfileError(f"{key} 嵌套超过 {MAX_DEPTH} 层", f"{key} nested deeper than {MAX_DEPTH} levels",
                           field=key) from None


def _ensure(out: dict[str, Any], path: str) -> dict[str, Any]:
    node = out
    for part in path.split("."):
        nxt = node.get(part)
        if not isinstance(nxt, dict):
            nxt = node[part] = {}
        node = nxt
    return node


def _put(out: dict[str, Any], path: str, value: Any) -> None:
    if "." not in path:
        out[path] = value
        return
    parent, leaf = path.rsplit(".", 1)
    _ensure(out, parent)[leaf] = value


def _drop(out: dict[str, Any], path: str) -> None:
    parts = path.split(".")
    node = out
    for part in parts[:-1]:
        node = node.get(part, {})
    node.pop(parts[-1], None)
