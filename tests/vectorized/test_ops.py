"""Exact integer arithmetic of the vectorized backend: magnitudes and the move to Decimal."""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from eligibility.backends.vectorized.columns import Col
from eligibility.backends.vectorized.ops import _max_abs, rescale


def _ints(values: list[int], scale: int = 0) -> Col:
    n = len(values)
    return Col("int", np.array(values, dtype=np.int64), np.ones(n, bool), np.zeros(n, bool), scale)


def test_the_largest_magnitude_is_exact_at_the_int64_edge() -> None:
    assert _max_abs(_ints([3, -7, 2])) == 7
    assert _max_abs(_ints([-(2**63), 4])) == 2**63  # numpy's abs of the minimum wraps to a negative number
    assert _max_abs(_ints([2**63 - 1])) == 2**63 - 1
    assert _max_abs(_ints([])) == 0


def test_a_rescale_that_would_overflow_moves_to_decimal() -> None:
    big = rescale(_ints([-(2**62), 1]), 2)
    assert big.kind == "dec" and big.val.tolist() == [Decimal(-(2**62)), Decimal(1)]
    small = rescale(_ints([-5, 1]), 2)
    assert small.kind == "int" and small.val.tolist() == [-500, 100] and small.scale == 2
