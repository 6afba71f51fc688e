"""Tax classes: 小型微利企业 (small low-profit enterprise, for enterprise income tax), by period.

A firm is 小型微利 when it is in no restricted or prohibited industry and its annual taxable income,
employees and total assets are each at most the period's limit, all inclusive ("不超过"). The limits
are a dated table citing the document that sets them; a date no table covers gives UNKNOWN with
that reason, since older definitions (企业所得税法实施条例 第九十二条) are not held and are not guessed.
Employees and assets are annual averages of quarterly averages (国家税务总局公告2019年第2号); the
profile carries them already averaged.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from datetime import date
from decimal import Decimal
from typing import Any

from ..model.types import BOOL
from .derivation import DISTINCT, DerivedValue, Points, Read, derived_fact
from .flatten import UNKNOWN, Facts
from .money import format_money, format_number


@dataclass(frozen=True, slots=True)
class SmallLowProfitLimits:
    """The 小型微利 limits of one period (each inclusive) and the documents that set them."""

    document_zh: str
    document_en: str
    effective_from: date
    effective_to: date
    max_taxable_income: Decimal
    max_employees: int
    max_total_assets: Decimal

    def covers(self, day: date) -> bool:
        return self.effective_from <= day <= self.effective_to


SMALL_LOW_PROFIT_LIMITS: tuple[SmallLowProfitLimits, ...] = (
    SmallLowProfitLimits(
        # 13号 第二条 (2019-01-01 – 2021-12-31); 公告2022年第13号 第二条 restates it for 2022 on.
        "财税〔2019〕13号（2022年起由财政部 税务总局公告2022年第13号重申）",
        "Caishui [2019] No. 13 (restated from 2022 by MOF/STA Announcement No. 13 of 2022)",
        date(2019, 1, 1), date(2022, 12, 31), Decimal(3_000_000), 300, Decimal(50_000_000),
    ),
    SmallLowProfitLimits(
        # 第二条 defines (docs/standards.md §2); the announcement runs 2023-01-01 – 2027-12-31.
        "财政部 税务总局公告2023年第12号", "MOF/STA Announcement No. 12 of 2023",
        date(2023, 1, 1), date(2027, 12, 31), Decimal(3_000_000), 300, Decimal(50_000_000),
    ),
)
"""小型微利 limits by period, oldest first; periods do not overlap."""


@lru_cache(maxsize=4096)
def small_low_profit_limits(as_of: date) -> SmallLowProfitLimits | None:
    """The limits in force on ``as_of`` (None when no table held covers it)."""
    return next((t for t in SMALL_LOW_PROFIT_LIMITS if t.covers(as_of)), None)


def _at_most(value: Any, limit: int | Decimal) -> Any:
    return UNKNOWN if value is UNKNOWN or value is None else value <= limit


def _shown(path: str, value: int | Decimal, lang: str) -> str:
    return format_number(value, "person", lang) if path == "employees" else format_money(Decimal(value), lang)


_LIMITED = (("taxable_income", "应纳税所得额", "taxable income"), ("employees", "从业人员", "employees"),
            ("total_assets", "资产总额", "total assets"))


def _industry_test(facts: Facts) -> tuple[str, Any, str, str]:
    restricted = facts.get("restricted_industry")
    if restricted is UNKNOWN or restricted is None:
        return ("restricted_industry", UNKNOWN, "是否属于限制和禁止行业未知",
                "whether in a restricted or prohibited industry unknown")
    presumed = facts.presumed.get("restricted_industry")
    note_zh = f"（推定：{presumed.zh}）" if presumed else ""
    note_en = f" (assumed: {presumed.en})" if presumed else ""
    return (
        "restricted_industry", not restricted,
        ("属于国家限制和禁止行业" if restricted else "非国家限制和禁止行业") + note_zh,
        ("in" if restricted else "not in") + " a restricted or prohibited industry" + note_en,
    )


def _small_low_profit_reads(as_of: date) -> dict[str, Read]:
    limits = small_low_profit_limits(as_of)
    if limits is None:
        return {}  # no table held covers as_of: UNKNOWN whatever the inputs
    return {
        "restricted_industry": DISTINCT,
        "taxable_income": Points((limits.max_taxable_income,)),
        "employees": Points((limits.max_employees,)),
        "total_assets": Points((limits.max_total_assets,)),
    }


@derived_fact(
    "is_small_low_profit", BOOL, "小型微利企业", "small low-profit enterprise",
    ("restricted_industry", "taxable_income", "employees", "total_assets"),
    _small_low_profit_reads,
)
def _is_small_low_profit(facts: Facts, as_of: date) -> DerivedValue:
    limits = small_low_profit_limits(as_of)
    if limits is None:
        held_zh = "、".join(f"{t.document_zh}（{t.effective_from}至{t.effective_to}）" for t in SMALL_LOW_PROFIT_LIMITS)
        held_en = "; ".join(f"{t.document_en} ({t.effective_from} to {t.effective_to})"
                            for t in SMALL_LOW_PROFIT_LIMITS)
        return DerivedValue(
            UNKNOWN, (),
            f"{as_of}无适用的认定标准（已收录：{held_zh}）",
            f"no table held covers {as_of} (held: {held_en})",
        )
    get = facts.values.get
    restricted = get("restricted_industry", UNKNOWN)
    values = (get("taxable_income", UNKNOWN), get("employees", UNKNOWN), get("total_assets", UNKNOWN))  # _LIMITED order
    limit_of = (limits.max_taxable_income, limits.max_employees, limits.max_total_assets)
    industry_ok = UNKNOWN if restricted is UNKNOWN or restricted is None else not restricted
    oks = (_at_most(values[0], limit_of[0]), _at_most(values[1], limit_of[1]), _at_most(values[2], limit_of[2]))
    unknown: tuple[str, ...] = ()
    if industry_ok is False or False in oks:
        result: Any = False
    elif industry_ok is UNKNOWN or UNKNOWN in oks:
        result = UNKNOWN
        unknown = (("restricted_industry",) if industry_ok is UNKNOWN else ()) + tuple(
            path for (path, _, _), ok in zip(_LIMITED, oks) if ok is UNKNOWN)
    else:
        result = True

    def render() -> tuple[str, str]:
        # the explanation is built only when read (the decision path never reads it)
        industry = _industry_test(facts)  # (field, outcome, zh, en)
        zh, en = [industry[2]], [industry[3]]
        for (path, zh_name, en_name), value, limit, ok in zip(_LIMITED, values, limit_of, oks):
            if ok is UNKNOWN:
                zh.append(f"缺少{zh_name}，上限 {_shown(path, limit, 'zh')}")
                en.append(f"{en_name} missing, limit {_shown(path, limit, 'en')}")
            else:
                said_zh, said_en = ("不超过", "at most") if ok else ("超过", "above")
                zh.append(f"{zh_name} {_shown(path, value, 'zh')}，{said_zh} {_shown(path, limit, 'zh')}")
                en.append(f"{en_name} {_shown(path, value, 'en')}, {said_en} {_shown(path, limit, 'en')}")
        return f"依据 {limits.document_zh}：{'；'.join(zh)}", f"per {limits.document_en}: {'; '.join(en)}"

    return DerivedValue(result, unknown, render=render)
