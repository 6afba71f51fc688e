"""The columnar form of many profiles that the vectorized backend computes on.

A fact over ``n`` rows is a :class:`Col` in three-valued form: ``val`` holds the values, ``known``
says where the value is not UNKNOWN, ``null`` where it is known to be empty (``None`` in flat
facts: a register the firm is not in, a ``left_on`` of a firm still in the register). Where a row
is unknown or null, ``val`` holds a harmless filler (0, False, "") so that operations never fail;
every operation combines the masks explicitly. Any of the three may be a numpy scalar instead of
an array (a constant broadcasts).

Kinds:

- ``bool``: numpy bool.
- ``int``: exact scaled integers: int64 with ``scale`` decimal places (money in fen has scale 2,
  persons scale 0). Comparisons align scales exactly; an operation that could overflow or cannot
  stay exact (division) moves to ``dec``.
- ``dec``: numpy object array of :class:`decimal.Decimal` (exact, slower).
- ``date``: int64 days since 1970-01-01.
- ``str``: numpy object array of str (codes, enums, names).
- ``dur``: a scalar :class:`~eligibility.model.expr.Duration` (``val`` only).

A list fact (``certifications``) is a :class:`ListCol`: per-row ``offsets`` into flattened items,
whose fields are Cols of the items' length, and ``known`` (a missing list is unknown, an empty one
known and empty).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

EPOCH_ORDINAL = 719163  # date(1970, 1, 1).toordinal()


class Col:
    """One fact over ``n`` rows (or a broadcast constant) in three-valued form.

    A coded text column (``cats``: codes per row and the categories) builds its object array of
    values only when something reads ``val``: code tests (``under``, ``==``) run on the codes, so a
    column no rule compares as text never becomes a million Python strings.
    """

    __slots__ = ("kind", "_val", "known", "null", "scale", "cats")

    def __init__(self, kind: str, val: Any, known: Any = True, null: Any = False, scale: int = 0,
                 cats: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        self.kind = kind
        self._val = val
        self.known = known
        self.null = null
        self.scale = scale
        self.cats = cats  # str columns: (codes, categories), -1 = no category

    @staticmethod
    def coded(codes: np.ndarray, categories: np.ndarray, known: Any, null: Any = np.False_) -> Col:
        """A text column given by its codes (-1: no value, read as "") and categories (None: unused)."""
        return Col("str", _LAZY, known, null, 0, (codes, categories))

    @property
    def val(self) -> Any:
        if self._val is _LAZY:
            codes, categories = self.cats  # type: ignore[misc]
            table = np.empty(len(categories) + 1, dtype=object)
            table[:-1] = categories
            table[np.equal(table, None)] = ""
            self._val = table[codes]
        elif type(self._val) is Deferred:
            self._val = self._val.build()
        return self._val

    def arrow_text(self) -> Any:
        """The values as an Arrow string array without nulls ("" where none), while they are deferred
        from one; else None (read ``val``)."""
        if type(self._val) is not Deferred:
            return None
        if callable(self._val.arrow):
            self._val.arrow = self._val.arrow()
        return self._val.arrow

    def at(self, row: int) -> Any:
        """The value of one row (as ``val[row]``), without building a coded column's values."""
        if self._val is _LAZY:
            codes, categories = self.cats  # type: ignore[misc]
            code = int(codes[row]) if np.ndim(codes) else int(codes)
            value = categories[code] if code >= 0 else None
            return "" if value is None else value
        arrow = self.arrow_text()
        if arrow is not None:  # still in Arrow: one value, not the whole column as Python strings
            return arrow[row].as_py()
        val = self.val
        return val[row] if np.ndim(val) else val

    def __repr__(self) -> str:
        val = "<coded>" if self._val is _LAZY else repr(self._val)
        return f"Col(kind={self.kind!r}, val={val}, known={self.known!r}, null={self.null!r}, scale={self.scale})"

    @staticmethod
    def const(kind: str, value: Any, scale: int = 0) -> Col:
        return Col(kind, value, np.True_, np.False_, scale)

    @staticmethod
    def unknown(kind: str = "bool") -> Col:
        return Col(kind, _FILL.get(kind, 0), np.False_, np.False_)

    @property
    def is_const(self) -> bool:
        return (self._val is not _LAZY and type(self._val) is not Deferred and np.ndim(self._val) == 0
                and np.ndim(self.known) == 0 and np.ndim(self.null) == 0)

    def true(self) -> Any:
        """Rows where this boolean is known True."""
        return self.known & ~self.null & self.val if self.kind == "bool" else self.known & ~self.null

    def false(self) -> Any:
        """Rows where this boolean is known False (a known-empty boolean reads as False)."""
        return self.known & (self.null | ~self.val)

    def take(self, index: np.ndarray) -> Col:
        """The rows at ``index`` (a constant stays a constant; a coded column stays coded)."""
        if self._val is _LAZY:
            return Col.coded(self.cats[0][index], self.cats[1], _take(self.known, index),  # type: ignore[index]
                             _take(self.null, index))
        cats = (self.cats[0][index], self.cats[1]) if self.cats is not None else None
        return Col(self.kind, _take(self.val, index), _take(self.known, index), _take(self.null, index), self.scale,
                   cats)


_LAZY = object()  # Col.val not built yet (a coded text column)


class Deferred:
    """A column's values, built on first read of ``Col.val``: a free-text column that no rule reads
    (a firm's name) never becomes a Python string per row."""

    __slots__ = ("build", "arrow")

    def __init__(self, build: Callable[[], np.ndarray], arrow: Any = None) -> None:
        self.build = build
        # the same values as an Arrow string array (no nulls), or a function making it, when there is one
        self.arrow = arrow


_FILL: dict[str, Any] = {"bool": np.False_, "int": np.int64(0), "dec": Decimal(0), "date": np.int64(0), "str": ""}


def _take(a: Any, index: np.ndarray) -> Any:
    return a[index] if np.ndim(a) else a


@dataclass(slots=True)
class ListCol:
    """A list fact: row ``i`` owns items ``offsets[i]:offsets[i+1]``; ``items`` maps an item field to
    its Col over all items; ``parent[j]`` is the row of item ``j``; ``known`` is False for an unknown list."""

    offsets: np.ndarray
    known: np.ndarray
    items: dict[str, Col]
    _parent: np.ndarray | None = field(default=None, init=False)

    @property
    def parent(self) -> np.ndarray:
        """The row of each item (built on first use: a rule that only asks "any item?" never needs it)."""
        if self._parent is None:
            # row i's items start at offsets[i]: count the row starts at each item position and sum up
            # (empty rows add their count at the same position, so the sum skips them)
            m = int(self.offsets[-1])
            starts = np.bincount(self.offsets[1:-1], minlength=m + 1)[:m]
            self._parent = np.cumsum(starts, dtype=np.int64)
        return self._parent

    @property
    def size(self) -> int:
        return int(self.offsets[-1])


@dataclass(slots=True)
class Table:
    """Many profiles in columnar form, ready for compiled rules.

    ``row``: input row numbers (1-based, as a user counts them); ``entity``: the USCC as given
    (object array, None where absent); ``error``: the reason a row cannot be scored (None when it
    can) — an error row is never evaluated but always reported. ``cols``: flat path → Col for every
    field of the registry (an absent column is all-unknown); ``lists``: list path → ListCol;
    ``presumed``: path → rows where a presumption supplied the value; ``ignored``: input columns
    that are not profile fields (reported once, not per row).
    """

    n: int
    row: np.ndarray
    entity_values: np.ndarray | None  # read as ``entity``; None: built from ``entity_arrow`` when read
    error: np.ndarray
    cols: dict[str, Col]
    lists: dict[str, ListCol]
    presumed: dict[str, np.ndarray] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    derived_missing: dict[Any, Any] = field(default_factory=dict)  # memo of the compiler's missing inputs
    has_entity: bool = True  # False when the input had no uscc column (entity all None)
    entity_arrow: Any = None  # the same ids as an Arrow string array, when ingest has one
    # field path → (rows (0-based) whose value could not be read, the reason per row): the field is
    # unknown there, and the rules that read it are reported as in error (see .isolation)
    field_errors: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    @property
    def entity(self) -> np.ndarray:
        """The entity ids as an object array (None where absent), built from Arrow on first read."""
        if self.entity_values is None:
            self.entity_values = (self.entity_arrow.to_numpy(zero_copy_only=False) if self.entity_arrow is not None
                                  else np.empty(self.n, dtype=object))
        return self.entity_values

    @entity.setter
    def entity(self, value: np.ndarray) -> None:
        self.entity_values = value
        self.entity_arrow = None

    def entity_ids(self) -> Any:
        """The entity ids as an Arrow string array (built once)."""
        if self.entity_arrow is None:
            import pyarrow as pa

            self.entity_arrow = pa.array(self.entity, pa.string(), from_pandas=True)
        return self.entity_arrow
    _valid: np.ndarray | None = None
    _all_valid: bool | None = None

    def col(self, path: str) -> Col:
        found = self.cols.get(path)
        return found if found is not None else Col("bool", np.False_, np.zeros(self.n, bool), np.False_)

    def valid(self) -> np.ndarray:
        """Rows that can be scored (computed once)."""
        if self._valid is None:
            self._valid = np.equal(self.error, None) if self.n else np.zeros(0, bool)
        return self._valid

    def all_valid(self) -> bool:
        """No row is in error (computed once)."""
        if self._all_valid is None:
            self._all_valid = bool(self.valid().all())
        return self._all_valid

    def set_errors(self, error: np.ndarray, rows: Any) -> None:
        """The per-row error texts and the rows that have one (so validity needs no pass over the texts)."""
        self.error = error
        valid = np.ones(self.n, bool)
        valid[np.fromiter(rows, dtype=np.int64)] = False
        self._valid = valid
        self._all_valid = None
