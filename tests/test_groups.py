"""One group resolution for one firm and for many: groups.winners on scalars and on arrays."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

import eligibility as el
from eligibility.groups import LOWEST_FEN, NO_AMOUNT, NO_AMOUNT_FEN, tie_order, winners
from eligibility.model.rule import Jurisdiction, Rule

BASE = el.load_rules(Path(__file__).parent / "conformance" / "rules")["conf.group-b"]


def _rule(rule_id: str, priority: int = 0, code: str = "000000") -> Rule:
    return replace(BASE, id=rule_id, priority=priority, jurisdiction=Jurisdiction(code))


RULES = [_rule("z.county", code="530802"), _rule("b.national"), _rule("a.national"), _rule("c.city", 1, "530800")]


def test_tie_order_is_priority_then_level_then_id() -> None:
    assert [RULES[i].id for i in tie_order(RULES)] == ["c.city", "a.national", "b.national", "z.county"]


@pytest.mark.parametrize(("candidate", "amount", "won"), [
    ([True, True, True, True], [5, 5, 5, 5], "c.city"),  # priority first
    ([True, True, True, False], [5, 5, 5, 5], "a.national"),  # then the level, then the id
    ([True, False, False, False], [5, 5, 5, 5], "z.county"),
    ([True, True, True, True], [9, 5, 5, 5], "z.county"),  # the highest amount before any tie rule
    ([True, True, False, False], [None, None, 5, 5], "b.national"),  # no amount ranks lowest but still wins alone
    ([False, False, False, False], [9, 9, 9, 9], None),
])
def test_one_firm(candidate: list[bool], amount: list[int | None], won: str | None) -> None:
    got = winners(RULES, candidate, [NO_AMOUNT if a is None else Decimal(a) for a in amount])
    assert (RULES[got].id if got >= 0 else None) == won


def test_arrays_decide_each_row_as_one_firm() -> None:
    rng = np.random.default_rng(7)
    n = 400
    candidate = [rng.random(n) < 0.6 for _ in RULES]
    given = [rng.random(n) < 0.8 for _ in RULES]
    fen = [rng.integers(0, 4, n) * 100_000 for _ in RULES]  # few distinct amounts: many ties
    many = winners(RULES, candidate, [np.where(g, f, NO_AMOUNT_FEN) for g, f in zip(given, fen)], LOWEST_FEN)
    for row in range(n):
        one = winners(RULES, [bool(c[row]) for c in candidate],
                      [Decimal(int(f[row])) / 100 if g[row] else NO_AMOUNT for g, f in zip(given, fen)])
        assert many[row] == one, row
