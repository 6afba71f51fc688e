"""Value-level semantics shared by the explaining walk and the compiled decision path.

UNKNOWN propagates; ``None`` is a known absence (no register entry, no amount). Comparisons with
``None`` are false (``!=`` true, ``== none`` true); arithmetic with ``None`` gives ``None``.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from ...facts.flatten import UNKNOWN
from ...facts.money import round_fen
from ...model.expr import Duration

U = UNKNOWN


def _lt(a: Any, b: Any) -> bool:
    return a < b  # type: ignore[no-any-return]


def _le(a: Any, b: Any) -> bool:
    return a <= b  # type: ignore[no-any-return]


def _gt(a: Any, b: Any) -> bool:
    return a > b  # type: ignore[no-any-return]


def _ge(a: Any, b: Any) -> bool:
    return a >= b  # type: ignore[no-any-return]


ORDER: dict[str, Callable[[Any, Any], bool]] = {"<": _lt, "<=": _le, ">": _gt, ">=": _ge}


def compare(op: str, a: Any, b: Any) -> Any:
    """``a op b`` in three-valued logic."""
    if a is U or b is U:
        return U
    if op == "==":
        return a == b
    if op == "!=":
        return a != b
    if a is None or b is None:
        return False
    return ORDER[op](a, b)


def add_months(d: date, months: int) -> date:
    """Calendar month arithmetic clamping to the month's end (2024-02-29 − 12 months = 2023-02-28)."""
    total = d.year * 12 + (d.month - 1) + months
    year, month = divmod(total, 12)
    day = min(d.day, calendar.monthrange(year, month + 1)[1])
    return date(year, month + 1, day)


def shift(d: date, duration: Duration, sign: int) -> Any:
    """``d ± duration``; unknown when it leaves the calendar (9999-12-31 + 1 day)."""
    try:
        if duration.unit == "day":
            return d + timedelta(days=sign * duration.amount)
        return add_months(d, sign * (duration.months() or 0))
    except (OverflowError, ValueError):
        return U


def arith(op: str, a: Any, b: Any) -> Any:
    if a is U or b is U:
        return U
    if a is None or b is None:
        return None
    if isinstance(b, Duration):
        return shift(a, b, 1 if op == "+" else -1)
    if isinstance(a, Duration):
        return shift(b, a, 1)
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if b == 0:
        return U  # a division by zero decides nothing; the explanation shows the zero
    return a / b


def within(d: Any, duration: Duration, as_of: date) -> Any:
    """``as_of − duration < d ≤ as_of``."""
    if d is U:
        return U
    if d is None:
        return False
    return shift(as_of, duration, -1) < d <= as_of


def in_year(d: Any, as_of: date) -> Any:
    if d is U:
        return U
    return d is not None and d.year == as_of.year and d <= as_of


def under(code: Any, codes: Sequence[str], system: str | None) -> Any:
    """Code-hierarchy membership on normalised codes (profiles and rules are normalised at load).

    Industry: "C3011" is under "C" and "C30"; a firm coded only "C" is UNKNOWN under "C30" (too
    coarse to decide). Region: prefix match of the 6-digit code ("530802" under "5308").
    """
    if code is U:
        return U
    if code is None:
        return False
    unknown = False
    for c in codes:
        if code.startswith(c):
            return True
        if system == "industry" and c.startswith(code):
            unknown = True
    return U if unknown else False


def tiered(base: Any, brackets: Sequence[tuple[Any, Any]]) -> Any:
    """Marginal brackets: each rate applies to the slice of ``base`` between the previous bound and its own."""
    if base is U or any(b is U or r is U for b, r in brackets):
        return U
    if base is None:
        return None
    total, lower = Decimal(0), Decimal(0)
    for bound, rate in brackets:
        if base > lower:
            total += (min(base, bound) - lower) * rate
        lower = bound
    return total


def lookup(key: Any, pairs: Sequence[tuple[Any, Any]]) -> Any:
    if key is U:
        return U
    for k, v in pairs:
        if k == key:
            return v
    return None


def minmax(func: str, values: Sequence[Any]) -> Any:
    if any(v is U for v in values):
        return U
    known = [v for v in values if v is not None]
    if not known:
        return None
    return min(known) if func == "min" else max(known)


def round_money(value: Any) -> Any:
    if value is U or value is None:
        return value
    return round_fen(value)
