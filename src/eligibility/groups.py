"""Exclusive groups (就高不重复): which member wins, the same for every backend.

Among eligible members the highest amount wins; ties go to the higher ``priority``, then to the
higher jurisdiction level ("按上级规定执行": national over provincial over city over county), then to
the smaller rule id — so the outcome never depends on file order.

A member already received in as_of's year (``benefits_received``) still takes part, with the
amount received: a firm paid 30万 for a national 小巨人 this year is not paid the municipal 10万
on top of it (the lower member is superseded by the one already received).

:func:`winners` decides one firm (bools and Decimal amounts) or many at once (numpy arrays per
member: candidate masks and int64 fen), with the same code: every backend calls it.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any

import numpy as np

from .model.rule import Rule

NO_AMOUNT = Decimal(-1)  # a member without an amount ranks as −1 yuan
NO_AMOUNT_FEN = -100
LOWEST = Decimal("-Infinity")  # below every amount: the starting best of one firm
LOWEST_FEN = np.iinfo(np.int64).min  # the same over int64 fen


def tie_order(rules: Sequence[Rule]) -> tuple[int, ...]:
    """Member positions in tie order: higher priority, then higher jurisdiction level, then smaller id."""
    return _tie_order(tuple(rules))


@lru_cache(maxsize=4096)
def _tie_order(rules: tuple[Rule, ...]) -> tuple[int, ...]:  # a group's members recur firm after firm
    return tuple(sorted(range(len(rules)), key=lambda i: (-rules[i].priority, rules[i].jurisdiction.level,
                                                          rules[i].id)))


def _where(cond: Any, a: Any, b: Any) -> Any:
    return np.where(cond, a, b) if isinstance(cond, np.ndarray) else (a if cond else b)


def winners(rules: Sequence[Rule], candidate: Sequence[Any], amount: Sequence[Any], lowest: Any = LOWEST) -> Any:
    """The position (in ``rules``) of each group's winner, -1 where no member is a candidate.

    ``candidate[i]``: member i is eligible or was received this year (a bool, or a bool array over
    rows); ``amount[i]``: what it ranks by (Decimal yuan, or int64 fen arrays), :data:`NO_AMOUNT` /
    :data:`NO_AMOUNT_FEN` for none; ``lowest``: below every amount (:data:`LOWEST` / :data:`LOWEST_FEN`).
    The first member in :func:`tie_order` with the highest amount wins.
    """
    win: Any = -1
    best: Any = lowest
    for i in tie_order(rules):
        better = candidate[i] & (amount[i] > best)
        best = _where(better, amount[i], best)
        win = _where(better, i, win)
    return win
