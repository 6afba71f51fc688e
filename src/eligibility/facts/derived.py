"""Derived facts: classes that policies speak of, computed from raw profile fields and as_of.

Each derived fact is a pure function of flat facts and ``as_of`` with its thresholds held as data,
returns UNKNOWN together with the raw fields that would decide it, and explains itself in
Chinese and English. Rules name them like fields (``is_industrial``, ``is_small_low_profit``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from ..lang.types import BOOL, Type
from .codes import industry_section
from .flatten import UNKNOWN, Facts
from .money import format_money


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

    def label(self, lang: str = "zh") -> str:
        return self.label_en if lang == "en" else self.label_zh


DERIVED: dict[str, DerivedFact] = {}

CACHE_READS: dict[str, tuple[str, ...]] = {}
"""Name of each entry kept in ``Facts.derived_cache`` (a derived fact, or a value several of them
share) → the flat facts it is computed from: a cached value stays right for another profile whose
values at these paths are the same (the reactive backend carries such values over an update)."""


def derived_fact(name: str, type_: Type, label_zh: str, label_en: str, reads: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """Register a derived fact under ``name`` (decorator)."""

    def register(fn: Callable[[Facts, date], DerivedValue]) -> Callable[[Facts, date], DerivedValue]:
        DERIVED[name] = DerivedFact(name, type_, label_zh, label_en, reads, fn)
        CACHE_READS[name] = reads
        return fn

    return register


def evaluate_derived(name: str, facts: Facts, as_of: date) -> DerivedValue:
    """The derived fact ``name`` for these facts at ``as_of``, cached on the facts."""
    key = (name, as_of)
    cached = facts.derived_cache.get(key)
    if cached is None:
        cached = facts.derived_cache[key] = DERIVED[name].compute(facts, as_of)
    return cached  # type: ignore[no-any-return]


INDUSTRIAL_SECTIONS = ("B", "C", "D")


@derived_fact("is_industrial", BOOL, "工业企业", "industrial enterprise", ("industry_code",))
def _is_industrial(facts: Facts, as_of: date) -> DerivedValue:
    code = facts.get("industry_code")
    if code is UNKNOWN or code is None:
        return DerivedValue(UNKNOWN, ("industry_code",), "行业代码未知", "industry code unknown")
    section = industry_section(code)
    yes = section in INDUSTRIAL_SECTIONS
    return DerivedValue(yes, (), render=lambda: (
        f"行业门类 {section}{'属于' if yes else '不属于'}工业（B采矿、C制造、D电力热力燃气及水）",
        f"industry section {section} {'is' if yes else 'is not'} industrial (B, C, D)",
    ))


@derived_fact("is_individual_business", BOOL, "个体工商户", "individual business", ("uscc",))
def _is_individual_business(facts: Facts, as_of: date) -> DerivedValue:
    code = facts.get("uscc")
    if code is UNKNOWN or code is None:
        return DerivedValue(UNKNOWN, ("uscc",), "统一社会信用代码未知", "USCC unknown")
    yes = code.startswith("92")
    return DerivedValue(yes, (), render=lambda: (
        f"统一社会信用代码前两位为 {code[:2]}（92 为个体工商户）", f"USCC starts with {code[:2]} (92 = individual business)",
    ))


def _in_register(facts: Facts, as_of: date, register: str) -> tuple[Any, tuple[str, ...]]:
    base = f"registers.{register}"
    present = facts.get(base)
    if present is UNKNOWN:
        # name the outermost unknown record: "registers" when no register data was given at all
        return UNKNOWN, ("registers" if facts.get("registers") is UNKNOWN else base,)
    if present is None:
        return False, ()
    entered, left = facts.get(f"{base}.entered_on"), facts.get(f"{base}.left_on")
    if entered is UNKNOWN:
        return UNKNOWN, (f"{base}.entered_on",)
    if entered is not None and entered > as_of:
        return False, ()
    if left is UNKNOWN:
        return UNKNOWN, (f"{base}.left_on",)
    return (left is None or left > as_of), ()


ABOVE_SCALE_REVENUE = Decimal(20_000_000)
"""规模以上工业: annual main-business revenue ≥ 2000万 (STANDARDS.md §4) — shown, never deciding."""


def register_fact(facts: Facts, as_of: date, register: str, name_zh: str, name_en: str,
                  beside: Callable[[], tuple[str, str]] = lambda: ("", "")) -> DerivedValue:
    """Membership of a statistics register as a derived fact; the register decides, and ``beside``
    (a revenue threshold, for reference) is only shown next to it, when the explanation is read."""
    member, missing = _in_register(facts, as_of, register)

    def render() -> tuple[str, str]:
        beside_zh, beside_en = beside()
        if member is UNKNOWN:
            return f"{name_zh}信息未知{beside_zh}", f"{name_en} membership unknown{beside_en}"
        return (f"{'在' if member else '不在'}{name_zh}中{beside_zh}",
                f"{'in' if member else 'not in'} the {name_en}{beside_en}")

    return DerivedValue(member, missing if member is UNKNOWN else (), render=render)


@derived_fact(
    "is_above_scale_industrial", BOOL, "规模以上工业企业", "above-scale industrial enterprise",
    ("registers.above_scale_industrial", "registers.above_scale_industrial.entered_on",
     "registers.above_scale_industrial.left_on", "revenue"),
)
def _is_above_scale_industrial(facts: Facts, as_of: date) -> DerivedValue:
    def beside() -> tuple[str, str]:
        revenue = facts.get("revenue")
        if not isinstance(revenue, Decimal):
            return "", ""
        sign = "≥" if revenue >= ABOVE_SCALE_REVENUE else "<"
        return (f"；营业收入 {format_money(revenue)} {sign} {format_money(ABOVE_SCALE_REVENUE)}（仅供参考，以名录为准）",
                f"; revenue {format_money(revenue, 'en')} {sign} {format_money(ABOVE_SCALE_REVENUE, 'en')}"
                " (for reference; the register decides)")

    return register_fact(facts, as_of, "above_scale_industrial", "规上工业名录", "above-scale industrial register", beside)


from . import registers, scale, tax_classes  # noqa: E402,F401  (register their derived facts)
