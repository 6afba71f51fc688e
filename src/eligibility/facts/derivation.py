"""How a derived fact is declared: its value type, the raw fields it reads, how it explains itself,
and which values of those fields can change it (the critical points the vectorized backend codes
rows by). The facts themselves are declared in :mod:`eligibility.facts.derived` and the modules it
gathers (scale, 小型微利, registers); this module holds only the mechanism, so that they can import
it without importing one another.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..model.types import Type
from .flatten import Facts


@dataclass(frozen=True, slots=True)
class Points:
    """A number or date read that the compute function only compares with ``points`` (in the
    profile's units: yuan as Decimal, persons as int, dates). With ``given`` (another read, declared
    as :class:`Classes`), ``within(class)`` names the subset of ``points`` that matters when that
    read is in ``class``; regions that differ only by the other points are then merged."""

    points: tuple[Any, ...]
    given: str | None = None
    within: Callable[[Hashable], Iterable[Any]] | None = None


@dataclass(frozen=True, slots=True)
class Classes:
    """A read whose value matters only through ``key(value)`` (None: every value its own class).
    ``prefix``: only the first ``prefix`` characters of a text value matter, and ``key`` is given
    them (the representative passed to the compute function is still a whole value of a row)."""

    key: Callable[[Any], Hashable] | None = None
    prefix: int | None = None


Read = Points | Classes
DISTINCT = Classes()
Critical = Callable[[date], dict[str, Read]]
"""as_of → the reads a derived fact's value depends on, each with how it matters. Facts declared
with the same function (scale, is_sme, is_small_or_micro) are computed together by the vectorized
backend; a fact declared without one is coded by every distinct value of every read (exact, slower)."""


class DerivedValue:
    """A derived fact's value (or UNKNOWN), the raw fields it still needs, and its explanation.

    The explanation may be given as text or as ``render``, a function returning (zh, en) that is
    called only when the text is read: the decision path never reads it.
    """

    __slots__ = ("value", "missing", "_zh", "_en", "_render")

    def __init__(self, value: Any, missing: tuple[str, ...] = (), zh: str = "", en: str = "",
                 render: Callable[[], tuple[str, str]] | None = None) -> None:
        self.value = value
        self.missing = missing
        self._zh, self._en, self._render = zh, en, render

    def _texts(self) -> None:
        if self._render is not None:
            self._zh, self._en = self._render()
            self._render = None

    @property
    def zh(self) -> str:
        self._texts()
        return self._zh

    @property
    def en(self) -> str:
        self._texts()
        return self._en

    def __repr__(self) -> str:
        return f"DerivedValue({self.value!r}, missing={self.missing!r})"


@dataclass(frozen=True, slots=True)
class DerivedFact:
    name: str
    type: Type
    label_zh: str
    label_en: str
    reads: tuple[str, ...]
    compute: Callable[[Facts, date], DerivedValue]
    critical: Critical | None = None

    def label(self, lang: str = "zh") -> str:
        return self.label_en if lang == "en" else self.label_zh


DERIVED: dict[str, DerivedFact] = {}

CACHE_READS: dict[str, tuple[str, ...]] = {}
"""Name of each entry kept in ``Facts.derived_cache`` (a derived fact, or a value several of them
share) → the flat facts it is computed from: a cached value stays right for another profile whose
values at these paths are the same (the reactive backend carries such values over an update)."""


def derived_fact(name: str, type_: Type, label_zh: str, label_en: str, reads: tuple[str, ...],  # type: ignore[no-untyped-def]
                 critical: Critical | None = None):
    """Register a derived fact under ``name`` (decorator); ``critical`` declares which values of its
    reads can change it (see :data:`Critical`)."""

    def register(fn: Callable[[Facts, date], DerivedValue]) -> Callable[[Facts, date], DerivedValue]:
        DERIVED[name] = DerivedFact(name, type_, label_zh, label_en, reads, fn, critical)
        CACHE_READS[name] = reads
        return fn

    return register
