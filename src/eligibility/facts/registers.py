"""Statistics-register facts: 限额以上批零住餐企业 (above-quota wholesale, retail, accommodation, catering).

Membership of the register decides, as for 规上工业: the firm is above quota on ``as_of`` when it has
entered the register and not left it. The revenue threshold of the firm's trade (国家统计局 限额以上
标准, annual main-business revenue) is shown beside the answer for reference and never overrides
the register, which also reflects monthly entries (月度升限) and the statistics office's review.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from ..model.types import BOOL
from .codes import normalize_industry_code
from .derivation import DISTINCT, DerivedValue, Points, Read, derived_fact
from .flatten import UNKNOWN, Facts
from .money import format_money

QUOTA_THRESHOLDS: Mapping[str, tuple[Decimal, str, str]] = MappingProxyType(
    {
        "F51": (Decimal(20_000_000), "批发业", "wholesale"),
        "F52": (Decimal(5_000_000), "零售业", "retail"),
        "H": (Decimal(2_000_000), "住宿和餐饮业", "accommodation and catering"),
    }
)
"""Industry code prefix → (annual revenue threshold in yuan, trade zh, trade en); shown, never applied."""

_REGISTER = "registers.above_quota_trade"


def quota_thresholds(industry_code: Any) -> list[tuple[Decimal, str, str]]:
    """The thresholds of the trades an industry code may be in ("F" → wholesale and retail; "C30" → none)."""
    if industry_code is UNKNOWN or industry_code is None:
        return list(QUOTA_THRESHOLDS.values())
    code = normalize_industry_code(industry_code)
    return [t for prefix, t in QUOTA_THRESHOLDS.items() if code.startswith(prefix) or prefix.startswith(code)]


def _beside(facts: Facts) -> tuple[str, str]:
    """The trade's threshold (compared with revenue when known), marked as reference only."""
    thresholds = quota_thresholds(facts.get("industry_code"))
    if not thresholds:
        return "", ""
    revenue = facts.get("revenue")
    zh: list[str] = []
    en: list[str] = []
    for limit, trade_zh, trade_en in thresholds:
        if isinstance(revenue, Decimal):
            reached = revenue >= limit
            zh.append(f"营业收入 {format_money(revenue)}，{'达到' if reached else '未达到'}{trade_zh}限额 {format_money(limit)}")
            en.append(f"revenue {format_money(revenue, 'en')}, {'at or above' if reached else 'below'} the {trade_en}"
                      f" threshold {format_money(limit, 'en')}")
        else:
            zh.append(f"{trade_zh}限额为营业收入 {format_money(limit)}")
            en.append(f"the {trade_en} threshold is revenue of {format_money(limit, 'en')}")
    return (f"；{'，'.join(zh)}（仅供参考，以名录为准）",
            f"; {', '.join(en)} (for reference; the register decides)")


def _register_reads(register: str) -> Callable[[date], dict[str, Read]]:
    """Register membership: the record, and its dates against as_of (revenue and the industry code
    are read only for the explanation)."""
    base = f"registers.{register}"

    def reads(as_of: date) -> dict[str, Read]:
        return {base: DISTINCT, f"{base}.entered_on": Points((as_of,)), f"{base}.left_on": Points((as_of,))}

    return reads


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
"""规模以上工业: annual main-business revenue ≥ 2000万 (docs/standards.md §4) — shown, never deciding."""


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
    _register_reads("above_scale_industrial"),
)
def _is_above_scale_industrial(facts: Facts, as_of: date) -> DerivedValue:
    def beside() -> tuple[str, str]:
        revenue = facts.get("revenue")
        if not isinstance(revenue, Decimal):
            return "", ""
        reached = revenue >= ABOVE_SCALE_REVENUE
        return (f"；营业收入 {format_money(revenue)}，{'达到' if reached else '未达到'} {format_money(ABOVE_SCALE_REVENUE)}"
                "（仅供参考，以名录为准）",
                f"; revenue {format_money(revenue, 'en')}, {'at or above' if reached else 'below'}"
                f" {format_money(ABOVE_SCALE_REVENUE, 'en')} (for reference; the register decides)")

    return register_fact(facts, as_of, "above_scale_industrial", "规上工业名录", "above-scale industrial register", beside)


@derived_fact(
    "is_above_quota_trade", BOOL, "限额以上批零住餐企业", "above-quota trade enterprise",
    (_REGISTER, f"{_REGISTER}.entered_on", f"{_REGISTER}.left_on", "industry_code", "revenue"),
    _register_reads("above_quota_trade"),
)
def _is_above_quota_trade(facts: Facts, as_of: date) -> DerivedValue:
    return register_fact(facts, as_of, "above_quota_trade", "限额以上批零住餐名录", "above-quota trade register",
                         lambda: _beside(facts))
