"""Profiles ↔ flat tables with dotted column names, keeping unknown apart from empty.

A record column (``registers``, ``registers.above_scale_industrial``) holds True when the record is
given, False when it is known to be absent, and NA when unknown. A list column holds a list
(possibly empty) or NA when unknown. A leaf column holds the value or NA (unknown).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import pandas as pd

from ..errors import ProfileError
from ..limits import MAX_DEPTH
from .fields import registry
from .flatten import flatten
from .profile import Profile


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
        values = flatten(profile).values
        row: dict[str, Any] = {}
        for c in cols:
            if c not in values:
                row[c] = pd.NA
            elif registry()[c].type.kind == "record":
                row[c] = values[c] is not None
            else:
                row[c] = _plain(values[c])
        rows.append(row)
    frame = pd.DataFrame(rows, columns=cols)
    return frame.astype({c: "object" for c in cols})


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
