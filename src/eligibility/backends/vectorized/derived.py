"""Derived facts (scale, 小型微利, register membership, ...) over every row of a Table at once.

The scalar compute functions of :mod:`eligibility.facts.derived` compare their numeric and date
inputs only with a finite set of critical points (the 划型 bounds in force, the 小型微利 limits,
``as_of``) and read little of their text inputs (an industry code's 划型 groups or section, the
first two characters of a USCC). So the rows fall into few *regions*: each read is mapped per row
to a small integer code (numbers and dates: the interval between critical points or the point
itself; text: a class of equivalent values; unknown and known-empty get codes of their own), the
codes are combined into one key, the scalar function runs **once per distinct key** on flat facts
built from a representative row, and the results are taken back to the rows. This is exact by
construction and generic: the value is whatever :func:`~eligibility.facts.derived.evaluate_derived`
gives, and a derived fact declared without critical points (``DerivedFact.critical``) falls back to every distinct
value of every read as its own code (exact, slower).

Codes of a read: 0 unknown, 1 known-empty, 2… known. For a number or date with sorted distinct
critical points ``p``, the known code is ``2 + 2*i + e``, ``i`` the number of points below the
value and ``e`` whether it equals ``p[i]`` (even: strictly between points, odd: at a point). With
integer columns this is one ``searchsorted`` over the boundaries ``p[i], p[i] + 1``.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from ..._cache import BoundedCache
from ...errors import EligibilityError
from ...facts.derivation import DISTINCT, Classes, Points, Read
from ...facts.derived import DERIVED, evaluate_derived
from ...facts.profile import registry
from ...facts.flatten import UNKNOWN, Facts
from ...facts.money import FEN
from .columns import EPOCH_ORDINAL, Col, Table

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
DENSE_LIMIT = 1 << 22
"""Largest product of code counts for which keys index a dense array (else they are sorted)."""
SPARSE_RATIO = 8
"""Beyond this many combinations of codes per row, the rows' keys are hashed rather than indexing
an array of every combination (a small table read by many points)."""
LOOKUP_LIMIT = 1 << 20
"""Widest range of integer values coded through a lookup table instead of a binary search."""


# -- public API ---------------------------------------------------------------------------------
def derived_column(name: str, table: Table, as_of: date) -> Col:
    """The derived fact ``name`` for every row of ``table`` on ``as_of``: per row exactly
    ``evaluate_derived(name, facts, as_of).value`` (UNKNOWN → known False; kind ``bool`` for a
    boolean fact, ``str`` for a class such as scale; ``null`` never set). Rows with an error get
    an arbitrary value."""
    return derived_columns((name,), table, as_of)[name]


def derived_columns(names: Iterable[str], table: Table, as_of: date,
                    missing_out: dict[str, list[tuple[str, np.ndarray]]] | None = None) -> dict[str, Col]:
    """Several derived facts at once (as :func:`derived_column`), sharing the reading of their
    inputs; facts declared with the same reads are computed in one pass. With ``missing_out``, also
    fills it as :func:`derived_missing` would, from the same pass."""
    wanted = list(dict.fromkeys(names))
    for name in wanted:
        if name not in DERIVED:
            raise EligibilityError(f"未知的派生事实 '{name}'", f"unknown derived fact '{name}'", name=name)
    families: dict[Any, list[str]] = {}
    for name in wanted:
        declared = DERIVED[name].critical
        families.setdefault(declared if declared is not None else ("undeclared", name), []).append(name)
    encoder = _Encoder(table)
    out: dict[str, Col] = {}
    for family, members in families.items():
        reads = (_READS_AT((family, as_of)) if callable(family)
                 else {path: DISTINCT for path in DERIVED[members[0]].reads})
        out.update(_family(members, reads, table, as_of, encoder, missing_out, family))
    return {name: out[name] for name in wanted}


def derived_missing(name: str, table: Table, as_of: date) -> list[tuple[str, np.ndarray]]:
    """For the derived fact ``name``: (fact, rows) pairs naming, on each row where it is unknown,
    exactly the inputs ``evaluate_derived(...).missing`` gives (decided once per group of rows)."""
    found: dict[str, list[tuple[str, np.ndarray]]] = {}
    derived_columns((name,), table, as_of, found)
    return found[name]


_READS_AT: BoundedCache[tuple[Callable[[date], dict[str, Read]], date], dict[str, Read]] = BoundedCache(
    lambda key: key[0](key[1]), 256)
"""A declaration's reads on a date (a pure function of the two), made once instead of per table."""


# -- encoding reads -----------------------------------------------------------------------------
@dataclass(slots=True)
class _Code:
    """One read over the rows: ``codes`` in [0, radix); ``classes``: the class key of each known
    code (Classes); ``points``: the sorted distinct critical points (Points)."""

    codes: np.ndarray
    radix: int
    classes: list[Hashable] | None = None
    points: list[Any] | None = None


def _full(a: Any, n: int, dtype: Any = None) -> np.ndarray:
    """``a`` as an array of ``n`` rows (a constant broadcast)."""
    return np.full(n, a, dtype=dtype) if np.ndim(a) == 0 else np.asarray(a, dtype=dtype)


class _Encoder:
    """Encodes the reads of one table, sharing work between derived facts within one call."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.n = table.n
        self._factorized: dict[tuple[str, int | None], tuple[np.ndarray, Sequence[Any]]] = {}
        self._cache: dict[tuple[str, Any], _Code] = {}
        self._valid: np.ndarray | None = None

    def valid(self) -> np.ndarray:
        if self._valid is None:
            self._valid = self.table.valid()  # known from ingest, no pass over the error texts
        return self._valid

    def col(self, path: str) -> Col:
        if path in self.table.lists:
            return _list_as_col(self.table, path)
        return self.table.col(path)

    def masks(self, col: Col) -> tuple[np.ndarray, np.ndarray]:
        return _full(col.known, self.n, bool), _full(col.null, self.n, bool)

    def _finish(self, codes: np.ndarray, col: Col) -> np.ndarray:
        """Unknown rows → 0, known-empty rows → 1 (``codes`` already shifted by 2)."""
        if np.ndim(col.null) or col.null:
            np.putmask(codes, _full(col.null, self.n, bool), 1)
        if np.ndim(col.known) or not col.known:
            np.putmask(codes, ~_full(col.known, self.n, bool), 0)
        return codes

    # Points ----------------------------------------------------------------------------------
    def points(self, path: str, read: Points) -> _Code:
        pts = sorted(set(read.points))
        cache_key = (path, ("points", tuple(pts)))
        found = self._cache.get(cache_key)
        if found is not None:
            return found
        col = self.col(path)
        n = self.n
        if col.kind in ("int", "date"):
            bounds = _boundaries(col, pts, path)
            if bounds is not None:
                codes = _search(bounds, _full(col.val, n, np.int64))
            else:
                codes = self._points_slow(col, pts)
        elif col.kind == "dec":
            codes = self._points_slow(col, pts)
        else:
            known, null = self.masks(col)
            given = known & ~null
            if given.any() and (given & self.valid()).any():
                raise EligibilityError(
                    f"字段 {path} 应为数值或日期，实际为 {col.kind} 类型的列",
                    f"field {path} should be a number or a date, got a column of kind {col.kind}", field=path)
            codes = np.full(n, 2, dtype=np.int64)
        found = self._cache[cache_key] = _Code(self._finish(codes, col), 2 * len(pts) + 3, points=pts)
        return found

    def _points_slow(self, col: Col, pts: list[Any]) -> np.ndarray:
        """Exact codes through Python comparisons, once per distinct value (decimals, huge bounds)."""
        fcodes, uniques = pd.factorize(_full(col.val, self.n))
        lut = np.zeros(len(uniques) + 1, dtype=np.int64)
        for i, u in enumerate(uniques):
            try:
                value = _native(col, u)
                j = bisect.bisect_left(pts, value)
                lut[i] = 2 + 2 * j + (j < len(pts) and pts[j] == value)
            except (TypeError, ValueError, OverflowError, ArithmeticError):
                lut[i] = 0  # a filler or a broken value: only on unknown or error rows
        return lut[fcodes]  # fcodes -1 (NA) → the last entry, 0

    # Classes ---------------------------------------------------------------------------------
    def factorized(self, path: str, col: Col, prefix: int | None) -> tuple[np.ndarray, Sequence[Any]]:
        cache_key = (path, prefix)
        found = self._factorized.get(cache_key)
        if found is None:
            try:
                found = _factorize(col, self.n, prefix)
            except TypeError:  # something unhashable: allowed on error rows only, which never matter
                val = _full(col.val, self.n).copy()
                val[~self.valid()] = None
                found = _factorize(Col(col.kind, val, col.known, col.null, col.scale), self.n, prefix)
            self._factorized[cache_key] = found
        return found

    def classes(self, path: str, read: Classes) -> _Code:
        cache_key = (path, ("classes", read.key, read.prefix))
        found = self._cache.get(cache_key)
        if found is not None:
            return found
        col = self.col(path)
        fcodes, uniques = self.factorized(path, col, read.prefix if col.kind == "str" else None)
        index: dict[Hashable, int] = {}
        lut = np.zeros(len(uniques) + 1, dtype=np.int64)
        failed: dict[int, Exception] = {}
        known = _class_keys(read.key) if read.key is not None else None
        for i, u in enumerate(uniques):
            if known is None:
                k = u
            else:
                k = known.get((type(u), u), _NOT_KEPT)
                if k is _NOT_KEPT:
                    try:  # a failure is re-raised below unless only unknown or error rows hold the value
                        k = read.key(u)  # type: ignore[misc]
                    except Exception as exc:  # noqa: BLE001
                        failed[i] = exc
                        continue
                    if len(known) >= _KEYS_MAX:
                        known.clear()
                    known[(type(u), u)] = k
            lut[i] = 2 + index.setdefault(k, len(index))
        if failed:
            self._check_failed(col, fcodes, failed)
        codes = self._finish(lut[fcodes], col)
        found = self._cache[cache_key] = _Code(codes, len(index) + 2, classes=list(index))
        return found

    def _check_failed(self, col: Col, fcodes: np.ndarray, failed: dict[int, Exception]) -> None:
        """A value the class function rejects is fine on unknown, known-empty and error rows only."""
        bad = np.zeros(int(fcodes.max(initial=-1)) + 2, dtype=bool)
        bad[list(failed)] = True
        known, null = self.masks(col)
        rows = np.flatnonzero(bad[fcodes] & known & ~null)
        if len(rows):
            rows = rows[np.equal(self.table.error[rows], None)]
        if len(rows):
            raise failed[int(fcodes[rows[0]])]


_KEYS: dict[Callable[[Any], Hashable], dict[tuple[type, Any], Hashable]] = {}
"""The class of each value seen, by class function (declared reads are made once per date, so their
functions, and what they say of a value, stay the same across tables)."""
_KEYS_MAX = 100_000
_NOT_KEPT = object()


def _class_keys(key: Callable[[Any], Hashable]) -> dict[tuple[type, Any], Hashable]:
    """What ``key`` said of each value (by its type and value, so ``1`` is not ``True``)."""
    known = _KEYS.get(key)
    if known is None:
        if len(_KEYS) >= 256:
            _KEYS.clear()
        known = _KEYS.setdefault(key, {})
    return known


def _search(bounds: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``searchsorted(bounds, values, 'right') + 2``, by the fastest of three exact ways: a table of
    every value in range when the values span a small range (head counts, dates); else, for a few
    bounds and many rows, a count of the bounds at or below each value (one vectorized comparison per
    bound, faster than a binary search per row); else a binary search."""
    n = len(values)
    if n >= _MANY_ROWS:
        low, high = int(values.min()), int(values.max())
        if high - low < 2 * n or (n > LOOKUP_LIMIT // 4 and high - low < LOOKUP_LIMIT):
            table = np.searchsorted(bounds, np.arange(low, high + 1, dtype=np.int64), "right") + 2
            return table[values - low]
        if len(bounds) <= _FEW_BOUNDS:
            counts = np.full(n, 2, dtype=np.int8)  # 2 + at most _FEW_BOUNDS: fits
            for bound in bounds.tolist():
                counts += values >= bound
            return counts.astype(np.int64)
    codes = np.searchsorted(bounds, values, "right")
    codes += 2
    return codes


_MANY_ROWS = 256
"""Rows from which :func:`_search` reads the values' range first (below, a binary search is cheapest)."""
_FEW_BOUNDS = 64
"""Bounds up to which :func:`_search` counts by comparisons rather than searching."""


def _boundaries(col: Col, pts: list[Any], path: str) -> np.ndarray | None:
    """Sorted int64 boundaries whose ``searchsorted(..., 'right')`` is ``2*i + at_point``; None when
    a bound does not fit int64."""
    out: list[int] = []
    for p in pts:
        if col.kind == "date":
            if not isinstance(p, date):
                raise EligibilityError(f"字段 {path} 为日期，临界点 {p!r} 不是日期",
                                       f"field {path} is a date but critical point {p!r} is not", field=path)
            q = Fraction(p.toordinal() - EPOCH_ORDINAL)
        else:
            if isinstance(p, (date, bool)) or not isinstance(p, (int, Decimal, Fraction)):
                raise EligibilityError(f"字段 {path} 为数值，临界点 {p!r} 不是数值",
                                       f"field {path} is a number but critical point {p!r} is not", field=path)
            q = Fraction(p) * 10**col.scale
        if q.denominator == 1:
            out += [q.numerator, q.numerator + 1]
        else:
            out += [math.ceil(q)] * 2  # no integer equals it: the "at" region stays empty
    if any(b < INT64_MIN or b > INT64_MAX for b in out):
        return None
    return np.array(out, dtype=np.int64)


def _factorize(col: Col, n: int, prefix: int | None) -> tuple[np.ndarray, Sequence[Any]]:
    """Codes (−1 for none) and distinct values of a column; with ``prefix``, of its text prefixes."""
    if col.kind == "str" and col.cats is not None and np.ndim(col.cats[0]):
        return _factorize_coded(col.cats[0], col.cats[1], prefix)
    arrow = col.arrow_text() if col.kind == "str" else None
    if arrow is not None and len(arrow) == n:  # text still in Arrow (the USCC): cut and encoded there
        cut = pc.utf8_slice_codeunits(arrow, 0, prefix) if prefix is not None else arrow
        encoded = pc.dictionary_encode(cut)  # distinct values in order of first appearance, as pd.factorize
        return encoded.indices.to_numpy().astype(np.int64), encoded.dictionary.to_pylist()
    val = _full(col.val, n)
    if col.kind == "bool":
        return val.astype(np.int64), [False, True]
    if prefix is None:
        return pd.factorize(val)
    if 0 < prefix <= 3:
        try:
            text = val.astype(f"U{prefix}")
        except Exception:  # noqa: BLE001 — a value without a text form: cut one by one below
            text = None
        if text is not None:
            chars = text.view(np.uint32).reshape(n, prefix).astype(np.int64)
            packed = np.zeros(n, dtype=np.int64)
            for k in range(prefix):
                packed = (packed << 21) | chars[:, k]
            fcodes, uniq = pd.factorize(packed)
            return fcodes, [_unpack(int(u), prefix) for u in uniq]
    cut = np.empty(n, dtype=object)
    cut[:] = [v[:prefix] if isinstance(v, str) else None for v in val]
    return pd.factorize(cut)


def _unique_rows(rows: np.ndarray, radices: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(rows, axis=0, return_inverse=True)`` (inverse flat) for rows of codes each below its
    radix: one mixed-radix int64 key per row sorts in the same (lexicographic) order, several times
    faster than comparing rows. Other rows (a product of radices beyond int64) go to ``np.unique``."""
    bounds = np.array(radices, dtype=np.int64)
    if not rows.shape[1] or math.prod(radices) >= 2**62 or (rows.size and (
            rows.min() < 0 or (rows >= bounds).any())):
        unique, inverse = np.unique(rows, axis=0, return_inverse=True)
        return unique, inverse.reshape(-1)
    key = rows[:, 0].astype(np.int64, copy=True)
    for j in range(1, len(radices)):
        key *= radices[j]
        key += rows[:, j]
    keys, inverse = np.unique(key, return_inverse=True)
    unique = np.empty((len(keys), len(radices)), dtype=np.int64)
    for j in range(len(radices) - 1, -1, -1):
        keys, unique[:, j] = np.divmod(keys, radices[j])
    return unique, inverse.reshape(-1)


def _factorize_coded(codes: np.ndarray, categories: np.ndarray, prefix: int | None
                     ) -> tuple[np.ndarray, Sequence[Any]]:
    """:func:`_factorize` of a coded text column from its codes: the same codes and distinct values,
    in the same order (of first appearance), without building a value per row. A row without a
    category reads "", as ``Col.val`` does."""
    fcodes, seen = pd.factorize(codes)  # the categories present, in order of first appearance
    index: dict[str, int] = {}
    lut = np.empty(len(seen), dtype=np.int64)
    for i, c in enumerate(seen.tolist()):
        value = categories[c] if c >= 0 else None
        text = "" if value is None else value
        lut[i] = index.setdefault(text if prefix is None else text[:prefix], len(index))
    return lut[fcodes], list(index)


def _unpack(packed: int, prefix: int) -> str:
    chars = [(packed >> (21 * (prefix - 1 - k))) & 0x1FFFFF for k in range(prefix)]
    return "".join(chr(c) for c in chars if c)


def _list_as_col(table: Table, path: str) -> Col:
    """A list read as one value per row (a tuple of item dicts): for undeclared derived facts only."""
    lc = table.lists[path]
    specs = registry()
    fields = {k: [_native(c, v, _is_money(specs, f"{path}[].{k}")) if known and not null else None
                  for v, known, null in zip(_full(c.val, lc.size), _full(c.known, lc.size, bool),
                                            _full(c.null, lc.size, bool), strict=True)]
              for k, c in lc.items.items()}
    knowns = {k: _full(c.known, lc.size, bool) for k, c in lc.items.items()}
    items = [{k: fields[k][j] for k in fields if knowns[k][j]} for j in range(lc.size)]
    val = np.empty(table.n, dtype=object)
    val[:] = [_Items(items[lc.offsets[i]:lc.offsets[i + 1]]) for i in range(table.n)]
    return Col("list", val, lc.known, np.False_)


class _Items(tuple):  # type: ignore[type-arg]
    """A list value (a tuple of item dicts) that can be hashed, so equal lists share a code."""

    __slots__ = ()

    def __hash__(self) -> int:
        return hash(tuple(tuple(sorted(item.items())) for item in self))


# -- representatives ----------------------------------------------------------------------------
def _native(col: Col, v: Any, money: bool = False) -> Any:
    """A column value in the form flat facts hold it (yuan Decimal, int, date, bool, str)."""
    if col.kind == "bool":
        return bool(v)
    if col.kind == "int":
        v = int(v)
        if not col.scale and not money:
            return v
        amount = Decimal(v).scaleb(-col.scale)
        if money:
            return amount.quantize(Decimal(1)) if amount == amount.to_integral_value() else amount.quantize(FEN)
        return amount
    if col.kind == "date":
        return date.fromordinal(int(v) + EPOCH_ORDINAL)
    if col.kind == "list":
        return tuple(v)
    return v


def _is_money(specs: dict[str, Any], path: str) -> bool:
    spec = specs.get(path)
    return spec is not None and spec.type.kind == "money"


def _facts_at(table: Table, row: int, paths: Sequence[str], cols: Sequence[Col]) -> Facts:
    """Flat facts holding the reads of one row (other paths unknown)."""
    values: dict[str, Any] = {}
    presumed = {}
    specs = registry()
    for path, col in zip(paths, cols, strict=True):
        if not (col.known[row] if np.ndim(col.known) else col.known):
            continue
        if col.null[row] if np.ndim(col.null) else col.null:
            values[path] = None
        else:
            values[path] = _native(col, col.at(row), _is_money(specs, path))
        mask = table.presumed.get(path)
        if mask is not None and mask[row] and path in specs and specs[path].presume is not None:
            presumed[path] = specs[path].presume
    return Facts(values, presumed)


# -- one family ---------------------------------------------------------------------------------
def _family(names: list[str], reads: dict[str, Read], table: Table, as_of: date,
            encoder: _Encoder, missing_out: dict[str, list[tuple[str, np.ndarray]]] | None = None,
            declared_by: Hashable = None) -> dict[str, Col]:
    """Derived facts sharing ``reads``: group the rows by their codes, compute once per group.
    ``declared_by`` (the declaration the reads came from) keys the memory of groups across tables."""
    n = table.n
    paths = list(reads)
    codes: list[_Code] = [
        encoder.points(p, r) if isinstance(r, Points) else encoder.classes(p, r) for p, r in reads.items()
    ]
    cols = [encoder.col(p) for p in paths]
    radices = [c.radix for c in codes]

    # row → slot (a distinct combination of codes), and the codes and a row of each slot present
    total = math.prod(radices)
    if total <= DENSE_LIMIT:
        key = _combined(codes, radices, n)
        if total > SPARSE_RATIO * n:  # few rows, many combinations: the rows' keys hashed
            row_slot, found = pd.factorize(key)
            nslots = len(found)
            present = np.arange(nslots)
            rep = np.empty(nslots, dtype=np.int64)
            rep[row_slot] = np.arange(n, dtype=np.int64)
            rest = np.asarray(found, dtype=np.int64).copy()
        else:  # a dense array of every combination
            rep = np.full(total, -1, dtype=np.int64)
            rep[key] = np.arange(n, dtype=np.int64)
            present = np.flatnonzero(rep >= 0)
            row_slot, nslots = key, total
            rest = present.copy()
        slot_codes = np.empty((len(rest), len(codes)), dtype=np.int64)
        for j in range(len(codes) - 1, -1, -1):
            rest, slot_codes[:, j] = np.divmod(rest, radices[j])
    else:
        stacked = np.stack([c.codes for c in codes], axis=1) if codes else np.zeros((n, 0), dtype=np.int64)
        slot_codes, row_slot = _unique_rows(stacked, radices)
        nslots = len(slot_codes)
        present = np.arange(nslots)
        rep = np.empty(nslots, dtype=np.int64)
        rep[row_slot] = np.arange(n, dtype=np.int64)
    slot_rep = rep[present]
    if len(slot_rep) and not np.equal(table.error[slot_rep], None).all():
        # a representative must be a row without error: pick again among those
        valid = encoder.valid()
        rep = np.full(nslots, -1, dtype=np.int64)
        rep[row_slot[valid]] = np.flatnonzero(valid)
        slot_rep = rep[present]

    # merge slots whose codes differ only where a conditional read does not matter
    canon = slot_codes.copy()
    for j, (path, read) in enumerate(reads.items()):
        if isinstance(read, Points) and read.given is not None and read.within is not None:
            g = paths.index(read.given)
            lut = _conditional(codes[j], codes[g], read, (declared_by, as_of, path))
            canon[:, j] = lut[canon[:, g], canon[:, j]]
    if len(canon):
        groups, group_of = _unique_rows(canon, radices)
    else:
        groups, group_of = canon, np.zeros(0, dtype=np.int64)
    group_rep = np.full(len(groups), -1, dtype=np.int64)
    has_rep = slot_rep >= 0
    group_rep[group_of[has_rep]] = slot_rep[has_rep]

    out: dict[str, Col] = {}
    boolean = {name: DERIVED[name].type.kind == "bool" for name in names}
    # a group's answer depends only on its codes and as_of: remembered across tables (chunks)
    decoded = [_decode(code, groups[:, j]) for j, code in enumerate(codes)]
    # the declaration and as_of fix the meaning of every code (the reads themselves hold fresh closures)
    memory = _remembered((tuple(names), as_of, declared_by, tuple(reads)))
    unknown = tuple((UNKNOWN, ()) for _ in names)  # a group only error rows hold
    hits = []
    for key, r in zip(zip(*decoded) if decoded else [()] * len(groups), group_rep.tolist(), strict=True):
        hit = memory.get(key)
        if hit is None:
            if r < 0:
                hits.append(unknown)
                continue
            facts = _facts_at(table, r, paths, cols)
            found = [evaluate_derived(name, facts, as_of) for name in names]
            hit = tuple((dv.value, dv.missing if dv.value is UNKNOWN else ()) for dv in found)
            if len(memory) >= _GROUPS_MAX:
                memory.clear()
            memory[key] = hit
        hits.append(hit)
    results = {name: [h[k][0] for h in hits] for k, name in enumerate(names)}
    lacking = {name: [h[k][1] for h in hits] for k, name in enumerate(names)}
    if missing_out is not None:  # the facts each unknown row lacks, decided once per group too
        for name in names:
            by_path: dict[str, np.ndarray] = {}
            for gi, found in enumerate(lacking[name]):
                for path in found:
                    by_path.setdefault(path, np.zeros(len(groups), dtype=bool))[gi] = True
            pairs = []
            for path, in_group in by_path.items():
                slot_has = np.zeros(nslots, dtype=bool)
                slot_has[present] = in_group[group_of]
                pairs.append((path, slot_has[row_slot]))
            missing_out[name] = pairs
    for name in names:
        values = results[name]
        known_g = np.array([v is not UNKNOWN for v in values], dtype=bool)
        if boolean[name]:
            val_g = np.array([v is True for v in values], dtype=bool)
        else:
            val_g = np.empty(len(values), dtype=object)
            val_g[:] = [v if v is not UNKNOWN else "" for v in values]
        slot_known = np.zeros(nslots, dtype=bool)
        slot_known[present] = known_g[group_of]
        slot_val = np.zeros(nslots, dtype=bool) if boolean[name] else np.full(nslots, "", dtype=object)
        slot_val[present] = val_g[group_of]
        out[name] = Col("bool" if boolean[name] else "str", slot_val[row_slot], slot_known[row_slot], np.False_)
    return out


_GROUPS: dict[tuple[Any, ...], dict[tuple[Hashable, ...], tuple[tuple[Any, tuple[str, ...]], ...]]] = {}
"""Each family's answers by group (its codes' values), under what fixes their meaning: the family's
names, as_of, its declaration and reads (:func:`_remembered`)."""
_GROUPS_MAX = 200_000
_FAMILIES_MAX = 256


def _remembered(meaning: tuple[Any, ...]) -> dict[tuple[Hashable, ...], tuple[tuple[Any, tuple[str, ...]], ...]]:
    """The answers by group kept for ``meaning``; its key is hashed once per table, not per group."""
    memory = _GROUPS.get(meaning)
    if memory is None:
        if len(_GROUPS) >= _FAMILIES_MAX:
            _GROUPS.clear()
        memory = _GROUPS.setdefault(meaning, {})
    return memory


def _combined(codes: list[_Code], radices: list[int], n: int) -> np.ndarray:
    """One mixed-radix key per row from the reads' codes (read only: a single read's own codes)."""
    if len(codes) == 1:
        return codes[0].codes
    key = codes[0].codes.copy() if codes else np.zeros(n, dtype=np.int64)
    for c, r in zip(codes[1:], radices[1:], strict=True):
        key *= r
        key += c.codes
    return key


def _decode(code: _Code, column: np.ndarray) -> list[Hashable]:
    """Codes of one read as values that mean the same in every table: a point code is stable for a
    given as_of; a class code is replaced by its class key (0 unknown, 1 known-empty)."""
    if code.classes is None:
        return column.tolist()
    names: list[Hashable] = [("unknown",), ("empty",), *[("class", k) for k in code.classes]]
    return [names[c] for c in column.tolist()]


def _conditional(own: _Code, given: _Code, read: Points, meaning: tuple[Hashable, date, str]) -> np.ndarray:
    """Table [given code, own code] → own code in terms of the points that matter for the given
    read's class (unknown and known-empty given: all points). ``meaning`` (the declaration, as_of and
    the read's path) with the points and classes fixes the table: it is made once, not per table."""
    key = (*meaning, tuple(own.points or ()), tuple(given.classes or ()))
    hit = _LUTS.get(key)
    if hit is None:
        hit = _conditional_lut(own, given, read)
        hit.setflags(write=False)
        if len(_LUTS) >= _LUTS_MAX:
            _LUTS.clear()
        _LUTS[key] = hit
    return hit


_LUTS: dict[tuple[Any, ...], np.ndarray] = {}  # the conditional tables made, by what fixes them
_LUTS_MAX = 4096


def _conditional_lut(own: _Code, given: _Code, read: Points) -> np.ndarray:
    """:func:`_conditional`'s table, computed."""
    union = own.points or []
    classes = given.classes or []
    lut = np.tile(np.arange(own.radix, dtype=np.int64), (given.radix, 1))
    assert read.within is not None
    for k, cls in enumerate(classes):
        subset = sorted(set(read.within(cls)))
        if not set(subset) <= set(union):
            raise EligibilityError("派生事实声明有误：条件临界点不在全部临界点之中",
                                   "bad derived-fact declaration: conditional points are not among all points")
        for code in range(2, own.radix):
            u = code - 2
            i = u // 2
            if u % 2:
                j = bisect.bisect_left(subset, union[i])
                lut[k + 2, code] = 2 + 2 * j + (j < len(subset) and subset[j] == union[i])
            else:
                j = bisect.bisect_right(subset, union[i - 1]) if i > 0 else 0
                lut[k + 2, code] = 2 + 2 * j
    return lut
