"""An exact, simple builder of a :class:`~.columns.Table` from flat facts, one value at a time.

This is the reference that the fast DataFrame ingest is tested against and the way tests build
tables; it favours plain per-value Python over speed. Representation (see :mod:`.columns`):

- money: ``int`` scale 2 (fen), converted exactly from Decimal yuan; a column with an amount
  finer than a fen or beyond int64 fen is ``dec`` (Decimal yuan) instead.
- number: ``int`` scale 0 when every known value is integral (a Python int, not a bool, or an
  integral Decimal) and fits int64; otherwise ``dec`` (every value as Decimal).
- date: ``date`` (int64 days since 1970-01-01); bool: ``bool``; str and code: ``str``.
- enum: ``str`` when its values are strings; an enum of integers (``tech_transfer.evaluation_tier``
  1|2|3, which flatten gives as Python ints) is ``int`` scale 0 like a number.
- record: ``bool``, True where the record is given, null where it is known absent (``None``),
  unknown where its path is absent.

For every column ``known`` is "the path is in ``values``", ``null`` is "known and ``None``", and
``val`` holds the filler (0, False, "", Decimal(0)) where a row is unknown or null. A list is a
:class:`~.columns.ListCol` whose item fields follow the same rules over all items (an item without
a key is unknown for that item, a key with ``None`` null).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np

from ...errors import EligibilityError
from ...facts.fields import FieldSpec
from ...facts.profile import registry
from ...facts.flatten import Facts
from .columns import EPOCH_ORDINAL, Col, ListCol, Table

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

_MISSING = object()  # an item dict without the key (unknown for that item)


def table_from_facts(facts: Sequence[Facts], rows: Sequence[int] | None = None, entity: Any = None) -> Table:
    """A Table over ``facts`` (one row each): every registry field as a Col, every list as a ListCol.

    ``rows``: the input row numbers (default 1..n); ``entity``: the entity ids (default the ``uscc``
    values, None where unknown or empty). ``error`` is None for every row; ``presumed`` maps each
    path that a presumption supplied in some row to the rows where it did.
    """
    n = len(facts)
    if rows is None:
        row = np.arange(1, n + 1, dtype=np.int64)
    else:
        row = np.asarray(rows, dtype=np.int64)
        if row.shape != (n,):
            raise EligibilityError(f"rows 的长度应为 {n}，实际为 {len(row)}",
                                   f"rows must have length {n}, got {len(row)}")
    if entity is None:
        ent = _objects(f.values.get("uscc") for f in facts)
    else:
        ent = _objects(entity)
        if ent.shape != (n,):
            raise EligibilityError(f"entity 的长度应为 {n}，实际为 {len(ent)}",
                                   f"entity must have length {n}, got {len(ent)}")
    cols: dict[str, Col] = {}
    lists: dict[str, ListCol] = {}
    specs = registry()
    for path, spec in specs.items():
        if "[]" in path:
            continue
        if spec.type.kind == "list":
            lists[path] = _list_col(path, facts, specs)
        else:
            cols[path] = _column([f.values.get(path, _MISSING) for f in facts], spec)
    presumed: dict[str, np.ndarray] = {}
    for i, f in enumerate(facts):
        for path in f.presumed:
            presumed.setdefault(path, np.zeros(n, dtype=bool))[i] = True
    return Table(n, row, ent, np.full(n, None, dtype=object), cols, lists, presumed)


def _objects(values: Iterable[Any]) -> np.ndarray:
    items = list(values)
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def _list_col(path: str, facts: Sequence[Facts], specs: dict[str, FieldSpec]) -> ListCol:
    n = len(facts)
    known = np.zeros(n, dtype=bool)
    offsets = np.zeros(n + 1, dtype=np.int64)
    items: list[Any] = []
    for i, f in enumerate(facts):
        value = f.values.get(path, _MISSING)
        if value is not _MISSING and value is not None:
            known[i] = True
            items.extend(value)
        offsets[i + 1] = len(items)
    prefix = f"{path}[]."
    fields = {
        p[len(prefix):]: _column([_item_get(item, p[len(prefix):]) for item in items], spec)
        for p, spec in specs.items()
        if p.startswith(prefix) and "." not in p[len(prefix):]
    }
    return ListCol(offsets, known, fields)


def _item_get(item: Any, key: str) -> Any:
    if isinstance(item, dict):
        return item.get(key, _MISSING)
    return getattr(item, key, _MISSING)


def _column(values: Sequence[Any], spec: FieldSpec) -> Col:
    """One Col from per-row values of a field (``_MISSING``: unknown; None: known-empty)."""
    n = len(values)
    known = np.fromiter((v is not _MISSING for v in values), dtype=bool, count=n)
    null = np.fromiter((v is None for v in values), dtype=bool, count=n)
    present = [v for v in values if v is not _MISSING and v is not None]
    kind = spec.type.kind
    if kind == "record" or kind == "bool":
        val = np.fromiter((v is not _MISSING and v is not None and bool(v) for v in values), dtype=bool, count=n)
        return Col("bool", val, known, null)
    if kind == "date":
        days = [_days(v) if v is not _MISSING and v is not None else 0 for v in values]
        return Col("date", np.array(days, dtype=np.int64).reshape(n), known, null)
    if kind == "money":
        fen = [_fen(v) for v in present]
        if all(f is not None and INT64_MIN <= f <= INT64_MAX for f in fen):
            ints = iter(fen)
            val = [next(ints) if v is not _MISSING and v is not None else 0 for v in values]
            return Col("int", np.array(val, dtype=np.int64).reshape(n), known, null, 2)
        return _dec_col(values, known, null)
    if kind == "number" or (kind == "enum" and spec.type.values
                            and all(isinstance(e, int) and not isinstance(e, bool) for e in spec.type.values)):
        ints_ = [_integral(v) for v in present]
        if all(i is not None and INT64_MIN <= i <= INT64_MAX for i in ints_):
            ints = iter(ints_)
            val = [next(ints) if v is not _MISSING and v is not None else 0 for v in values]
            return Col("int", np.array(val, dtype=np.int64).reshape(n), known, null, 0)
        if kind == "number":
            return _dec_col(values, known, null)
    # str, code, enum (of strings; or an int enum holding something else: kept as given)
    val_obj = np.empty(n, dtype=object)
    val_obj[:] = [v if v is not _MISSING and v is not None else "" for v in values]
    return Col("str", val_obj, known, null)


def _dec_col(values: Sequence[Any], known: np.ndarray, null: np.ndarray) -> Col:
    out = np.empty(len(values), dtype=object)
    out[:] = [_decimal(v) if v is not _MISSING and v is not None else Decimal(0) for v in values]
    return Col("dec", out, known, null)


def _decimal(v: Any) -> Decimal:
    if isinstance(v, Decimal):
        return v
    if isinstance(v, float):
        return Decimal(repr(v))
    return Decimal(v)


def _days(v: Any) -> int:
    if not isinstance(v, date):
        raise EligibilityError(f"日期字段的值应为日期，实际为 {v!r}", f"a date field must hold a date, got {v!r}")
    return v.toordinal() - EPOCH_ORDINAL


def _exact_int(d: Decimal, places: int) -> int | None:
    """``d × 10**places`` as an exact int, or None when that is not an integer (or not finite)."""
    if not d.is_finite():
        return None
    sign, digits, exponent = d.as_tuple()
    assert isinstance(exponent, int)
    exponent += places
    number = int("".join(map(str, digits))) if digits else 0
    if exponent >= 0:
        number *= 10**exponent
    else:
        number, rest = divmod(number, 10**-exponent)
        if rest:
            return None
    return -number if sign else number


def _fen(v: Any) -> int | None:
    """Money (yuan) as exact fen, or None when it is finer than a fen or not a number."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v * 100
    if isinstance(v, (Decimal, float)):
        return _exact_int(_decimal(v), 2)
    return None


def _integral(v: Any) -> int | None:
    """An integral number as int (None for a non-integral value, a bool or a non-number)."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, (Decimal, float)):
        return _exact_int(_decimal(v), 0)
    return None
