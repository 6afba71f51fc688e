"""Exclusive groups (就高不重复): which eligible member wins, the same for every backend.

Among eligible members the highest amount wins; ties go to the higher ``priority``, then to the
higher jurisdiction level ("按上级规定执行": national over provincial over city over county), then to
the smaller rule id — so the outcome never depends on file order.

A member already received in as_of's year (``benefits_received``) still takes part, with the
amount received: a firm paid 30万 for a national 小巨人 this year is not paid the municipal 10万
on top of it (the lower member is superseded by the one already received).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .model import expr as x
from .model.rule import Rule


def rank_key(rule: Rule, amount: Decimal | None) -> tuple[Decimal, int, int, str]:
    """Sort key: the smallest key wins its group."""
    return (-(amount if amount is not None else Decimal(-1)), -rule.priority, rule.jurisdiction.level, rule.id)


def winner(members: list[tuple[Rule, Decimal | None]]) -> Rule:
    """The winning rule among eligible members ``(rule, amount)``."""
    return min(members, key=lambda m: rank_key(*m))[0]


def received_amount(rule: Rule, record: dict[str, Any]) -> Decimal | None:
    """What a ``benefits_received`` record says was paid, else the rule's fixed amount, else None."""
    amount = record.get("amount")
    if amount is not None:
        return Decimal(amount)
    if isinstance(rule.benefit.amount, x.Literal) and isinstance(rule.benefit.amount.value, Decimal):
        return rule.benefit.amount.value
    return None


def received_record(rule: Rule, items: Any, year: int) -> dict[str, Any] | None:
    """The record that blocks this rule: any year for a one-off, this year for an instalment."""
    if not (rule.benefit.once or rule.benefit.schedule) or not isinstance(items, (list, tuple)):
        return None
    for b in items:
        if b.get("rule_id") == rule.id and (rule.benefit.once or b.get("year") == year):
            return b  # type: ignore[no-any-return]
    return None
