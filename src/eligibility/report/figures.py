"""What a batch report counts and how it names it: totals per region or scale class, the eligible
firms kept per rule, region and scale-class labels, and what the workbook reads of a report."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from ..backends.vectorized.funnel import FunnelCounts
from ..facts.codes.regions import region_name, region_path

SCALES = ("large", "medium", "small", "micro")
_SCALE_NAMES = {"large": ("大型", "large"), "medium": ("中型", "medium"), "small": ("小型", "small"),
                "micro": ("微型", "micro"), None: ("未知", "unknown")}


def _t(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


@dataclass(slots=True)
class GroupTotals:
    """One region or scale class: firms scored, firms with at least one eligible benefit, eligible
    benefits and their amount (integer fen, exact)."""

    firms: int = 0
    eligible_firms: int = 0
    benefits: int = 0
    amount_fen: int = 0

    @property
    def amount(self) -> Decimal:
        return Decimal(self.amount_fen).scaleb(-2)


@dataclass(slots=True)
class Firm:
    """An eligible firm of a rule, for the workbook."""

    row: int
    entity_id: str | None
    amount: Decimal | None


class BatchFigures(Protocol):
    """A batch report as the workbook reads it (:class:`~eligibility.report.batch.BatchReport`)."""

    regions: dict[str | None, GroupTotals]
    scales: dict[str | None, GroupTotals]
    funnels: dict[str, FunnelCounts]
    firms: dict[str, list[Firm]]

    def provenance(self) -> dict[str, Any]: ...

    def rule_rows(self) -> list[dict[str, Any]]: ...

    def rule_title(self, rule_id: str, lang: str) -> str: ...


def region_label(code: str | None, lang: str) -> str:
    """``普洱市 思茅区（530802）``: the names held for the code's levels below the province, and the code."""
    if code is None:
        return _t(lang, "未知地区", "region unknown")
    names = region_path(code, lang)
    shown = " ".join(names[1:] if len(names) > 1 else names) or (region_name(code, lang) or "")
    return f"{shown}（{code}）" if lang != "en" else f"{shown} ({code})".strip()


def scale_label(scale: str | None, lang: str) -> str:
    zh, en = _SCALE_NAMES.get(scale, (str(scale), str(scale)))
    return _t(lang, zh, en)
