"""What a batch report counts and how it names it: totals per region or scale class, the eligible
firms kept per rule, region and scale-class labels, and what the workbook reads of a report."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from ..backends.vectorized.funnel import FunnelCounts
from ..facts.codes.regions import region_path

SCALES = ("large", "medium", "small", "micro")
_SCALE_NAMES = {"large": ("大型", "large"), "medium": ("中型", "medium"), "small": ("小型", "small"),
                "micro": ("微型", "micro"), None: ("未知", "unknown")}


def _t(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


@dataclass(slots=True)
class GroupTotals:
    """One region or scale class: firms scored, firms with at least one eligible benefit, eligible
    benefits, and their amounts as the summary schema keeps them: exact and up-to apart (integer fen),
    and the eligible benefits of paying rules whose amount is unknown (the exact sum is then a lower bound)."""

    firms: int = 0
    eligible_firms: int = 0
    benefits: int = 0
    amount_fen: int = 0
    up_to_fen: int = 0
    amount_unknown: int = 0

    @property
    def amount(self) -> Decimal:
        """The exact amounts' sum in yuan."""
        return Decimal(self.amount_fen).scaleb(-2)

    @property
    def up_to(self) -> Decimal:
        """The up-to (cap) amounts' sum in yuan."""
        return Decimal(self.up_to_fen).scaleb(-2)

    @property
    def lower_bound(self) -> bool:
        return self.amount_unknown > 0


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


_MUNICIPALITIES = frozenset({"11", "12", "31", "50"})
"""Province-level cities: their districts are named with the city (北京市朝阳区)."""


def region_label(code: str | None, lang: str) -> str:
    """``深圳市南山区（440305）`` / ``Nanshan District, Shenzhen City (440305)``: the names held from the
    prefecture down to the code (from the province for the four province-level cities), and the code."""
    if code is None:
        return _t(lang, "未知地区", "region unknown")
    names, zh = region_path(code, lang), region_path(code, "zh")
    below = names if code[:2] in _MUNICIPALITIES or len(names) < 2 else names[1:]
    if len(below) > 1 and zh[-1].startswith(zh[0][:2]):  # a zone named after its province says it all
        below = below[-1:]
    if lang == "en":
        return f"{', '.join(reversed(below))} ({code})" if below else code
    return f"{''.join(below)}（{code}）" if below else code


def scale_label(scale: str | None, lang: str) -> str:
    zh, en = _SCALE_NAMES.get(scale, (str(scale), str(scale)))
    return _t(lang, zh, en)
