"""Derived facts: classes that policies speak of, computed from raw profile fields and as_of.

Each derived fact is a pure function of flat facts and ``as_of`` with its thresholds held as data,
returns UNKNOWN together with the raw fields that would decide it, and explains itself in
Chinese and English. Rules name them like fields (``is_industrial``, ``is_small_low_profit``).
"""

from __future__ import annotations

from datetime import date

from ..model.types import BOOL
from .codes import industry_section
from .derivation import CACHE_READS, DERIVED, Classes, DerivedValue, Read, derived_fact
from .flatten import UNKNOWN, Facts


def evaluate_derived(name: str, facts: Facts, as_of: date) -> DerivedValue:
    """The derived fact ``name`` for these facts at ``as_of``, cached on the facts."""
    key = (name, as_of)
    cached = facts.derived_cache.get(key)
    if cached is None:
        cached = facts.derived_cache[key] = DERIVED[name].compute(facts, as_of)
    return cached  # type: ignore[no-any-return]


INDUSTRIAL_SECTIONS = ("B", "C", "D")


def _industrial_reads(as_of: date) -> dict[str, Read]:
    return {"industry_code": Classes(industry_section)}


@derived_fact("is_industrial", BOOL, "工业企业", "industrial enterprise", ("industry_code",), _industrial_reads)
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


def _individual_business_reads(as_of: date) -> dict[str, Read]:
    return {"uscc": Classes(lambda head: head == "92", prefix=2)}


@derived_fact("is_individual_business", BOOL, "个体工商户", "individual business", ("uscc",),
              _individual_business_reads)
def _is_individual_business(facts: Facts, as_of: date) -> DerivedValue:
    code = facts.get("uscc")
    if code is UNKNOWN or code is None:
        return DerivedValue(UNKNOWN, ("uscc",), "统一社会信用代码未知", "USCC unknown")
    yes = code.startswith("92")
    return DerivedValue(yes, (), render=lambda: (
        f"统一社会信用代码前两位为 {code[:2]}（92 为个体工商户）", f"USCC starts with {code[:2]} (92 = individual business)",
    ))


# the other families declare their facts on import, after the two above (the order of `rules facts`)
from . import registers, scale, tax_classes  # noqa: E402,F401

__all__ = ["CACHE_READS", "DERIVED", "DerivedValue", "INDUSTRIAL_SECTIONS", "evaluate_derived"]
