"""Statistics-register facts: 限额以上批零住餐企业 (above-quota wholesale, retail, accommodation, catering).

Membership of the register decides, as for 规上工业: the firm is above quota on ``as_of`` when it has
entered the register and not left it. The revenue threshold of the firm's trade (国家统计局 限额以上
标准, annual main-business revenue) is shown beside the answer for reference and never overrides
the register, which also reflects monthly entries (月度升限) and the statistics office's review.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from ..lang.types import BOOL
from .codes import normalize_industry_code
from .derived import DerivedValue, derived_fact, register_fact
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
            sign = "≥" if revenue >= limit else "<"
            zh.append(f"营业收入 {format_money(revenue)} {sign} {trade_zh}限额 {format_money(limit)}")
            en.append(f"revenue {format_money(revenue, 'en')} {sign} the {trade_en} threshold"
                      f" {format_money(limit, 'en')}")
        else:
            zh.append(f"{trade_zh}限额为营业收入 {format_money(limit)}")
            en.append(f"the {trade_en} threshold is revenue of {format_money(limit, 'en')}")
    return (f"；{'，'.join(zh)}（仅供参考，以名录为准）",
            f"; {', '.join(en)} (for reference; the register decides)")


@derived_fact(
    "is_above_quota_trade", BOOL, "限额以上批零住餐企业", "above-quota trade enterprise",
    (_REGISTER, f"{_REGISTER}.entered_on", f"{_REGISTER}.left_on", "industry_code", "revenue"),
)
def _is_above_quota_trade(facts: Facts, as_of: date) -> DerivedValue:
    return register_fact(facts, as_of, "above_quota_trade", "限额以上批零住餐名录", "above-quota trade register",
                         lambda: _beside(facts))
