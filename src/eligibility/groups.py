"""Exclusive groups (就高不重复): which eligible member wins, the same for every backend.

Among eligible members the highest amount wins; ties go to the higher ``priority``, then to the
higher jurisdiction level ("按上级规定执行": national over provincial over city over county), then to
the smaller rule id — so the outcome never depends on file order.
"""

from __future__ import annotations

from decimal import Decimal

from .model.rule import Rule


def rank_key(rule: Rule, amount: Decimal | None) -> tuple[Decimal, int, int, str]:
    """Sort key: the smallest key wins its group."""
    return (-(amount if amount is not None else Decimal(-1)), -rule.priority, rule.jurisdiction.level, rule.id)


def winner(members: list[tuple[Rule, Decimal | None]]) -> Rule:
    """The winning rule among eligible members ``(rule, amount)``."""
    return min(members, key=lambda m: rank_key(*m))[0]
