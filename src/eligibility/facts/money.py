"""Exact money: parsing profile values into Decimal yuan, rounding to the fen, formatting for people.

A float is read by its shortest representation (``repr``) and accepted only when that has at most
two decimals, so 19999999.0 is 19,999,999 yuan and 0.123 is refused. Strings may carry Chinese
units (``"2500万"``, ``"1.5亿元"``) and thousands separators in groups of three (``20,000,000``; not
``20,00``). An amount is below :data:`~eligibility.limits.MAX_MONEY` in magnitude and a text at most
:data:`~eligibility.limits.MAX_CELL_CHARS` long; a NaN is unknown (see :func:`unknown_number`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from ..limits import MAX_CELL_CHARS, MAX_MONEY, shown

FEN = Decimal("0.01")
_UNITS = {"": Decimal(1), "元": Decimal(1), "万": Decimal(10_000), "万元": Decimal(10_000), "亿": Decimal(10**8), "亿元": Decimal(10**8)}
# linear: no nested repetition; separators only between groups of three digits
_MONEY_TEXT = re.compile(r"\s*([+-]?(?:\d{1,3}(?:[,，]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+))\s*(亿元|万元|亿|万|元)?\s*")


class MoneyValueError(ValueError):
    """A value cannot be read as exact money; the message is bilingual."""


def unknown_number(value: Any) -> bool:
    """A NaN (float, numpy or Decimal) — an unknown value, as an empty cell is."""
    if isinstance(value, Decimal):
        return value.is_nan()
    return isinstance(value, float) and math.isnan(value)


def too_long(text: str) -> None:
    """Refuse a text longer than MAX_CELL_CHARS before parsing it (the message quotes its start)."""
    if len(text) > MAX_CELL_CHARS:
        raise MoneyValueError(
            f"取值过长（{len(text):,} 个字符，上限 {MAX_CELL_CHARS:,}）：{shown(text)}"
            f" / value too long ({len(text):,} characters, at most {MAX_CELL_CHARS:,}): {shown(text)}")


def in_range(amount: Decimal, value: object) -> Decimal:
    """``amount`` if finite and below MAX_MONEY in magnitude, else a MoneyValueError naming ``value``."""
    if not amount.is_finite() or abs(amount) >= MAX_MONEY:
        raise MoneyValueError(
            f"数值超出范围：{shown(value)}（绝对值应小于 10^15）"
            f" / value out of range: {shown(value)} (its magnitude must be below 10^15)")
    return amount


def parse_money(value: object) -> Decimal:
    """Read ``value`` as an exact amount of yuan (Decimal, at most two decimals).

    >>> parse_money("2500万"), parse_money(19999999.0), parse_money("1,234.50")
    (Decimal('25000000'), Decimal('19999999'), Decimal('1234.50'))
    """
    if isinstance(value, bool):
        raise MoneyValueError(f"金额不能是布尔值 {value!r} / money cannot be a boolean ({value!r})")
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int):
        amount = Decimal(value) if abs(value) < MAX_MONEY else in_range(MAX_MONEY, value)
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise MoneyValueError(f"金额无效：{shown(value)} / not a valid amount: {shown(value)}")
        amount = Decimal(repr(value))
    elif isinstance(value, str):
        too_long(value)
        m = _MONEY_TEXT.fullmatch(value)
        if not m:
            raise MoneyValueError(
                f"无法识别的金额 {shown(value)}（示例：1234.56、2500万、1.5亿元、20,000,000）"
                f" / cannot read {shown(value)} as money (e.g. 1234.56, 2500万, 1.5亿元, 20,000,000)"
            )
        try:
            amount = Decimal(m.group(1).replace(",", "").replace("，", "")) * _UNITS[m.group(2) or ""]
        except InvalidOperation:
            raise MoneyValueError(f"无法识别的金额 {shown(value)} / cannot read {shown(value)} as money") from None
    else:
        raise MoneyValueError(
            f"金额应为数字或数字字符串，实际为 {type(value).__name__} / money must be a number or a numeric string,"
            f" got {type(value).__name__}"
        )
    if not amount.is_finite():
        raise MoneyValueError(f"金额无效：{shown(value)} / not a valid amount: {shown(value)}")
    in_range(amount, value)
    if amount != amount.quantize(FEN, rounding=ROUND_HALF_UP):
        raise MoneyValueError(
            f"金额 {shown(value)} 精确到分以下（最多两位小数）"
            f" / amount {shown(value)} has more than two decimals (finer than a fen)"
        )
    return _canonical(amount)


def _canonical(amount: Decimal) -> Decimal:
    """One canonical form per value, so equal amounts print alike (``2.5E+7`` → ``25000000``)."""
    if amount == amount.to_integral_value():
        return amount.quantize(Decimal(1))
    return amount.quantize(FEN)


def round_fen(amount: Decimal) -> Decimal:
    """Round to the fen, half up (the rounding a rule states)."""
    return _canonical(amount.quantize(FEN, rounding=ROUND_HALF_UP))


def parse_rate(value: object) -> Decimal:
    """Read a rate or a plain number: ``0.0365``, ``"3.65%"`` or a Decimal; floats through their repr.
    It must be finite and below MAX_MONEY in magnitude."""
    if isinstance(value, bool):
        raise MoneyValueError(f"比率不能是布尔值 / a rate cannot be a boolean ({value!r})")
    if isinstance(value, str):
        too_long(value)
    if isinstance(value, int) and abs(value) >= MAX_MONEY:
        return in_range(MAX_MONEY, value)
    try:
        if isinstance(value, str) and value.strip().endswith("%"):
            number = Decimal(value.strip()[:-1]) / 100
        elif isinstance(value, float):
            number = Decimal(repr(value))
        else:
            number = Decimal(str(value)) if isinstance(value, (int, str)) else Decimal(value)  # type: ignore[arg-type]
    except (InvalidOperation, TypeError, ValueError):
        raise MoneyValueError(f"无法识别的数值 {shown(value)} / cannot read {shown(value)} as a number") from None
    return in_range(number, value)


def _group(d: Decimal, places: int) -> str:
    text = f"{d:,.{places}f}"
    if places and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


_PAGE_UNIT: ContextVar[str | None] = ContextVar("page_unit", default=None)


@contextmanager
def money_unit(unit: str | None) -> Iterator[None]:
    """Inside, every Chinese amount is written in ``unit`` (``万元`` or ``元``, exact either way): a
    report page's one money unit, also in the explanation texts rendered for it. ``None``: per value."""
    if unit not in (None, "万元", "元"):
        raise ValueError(f"金额单位只能是 万元 或 元，实际为 {unit!r} / the money unit must be 万元 or 元, got {unit!r}")
    token = _PAGE_UNIT.set(unit)
    try:
        yield
    finally:
        _PAGE_UNIT.reset(token)


def format_money(amount: Decimal, lang: str = "zh") -> str:
    """Money as a person reads it: ``2,500万元`` / ``1,234.56元``; English ``CNY 25,000,000``. The
    Chinese unit is chosen per value unless :func:`money_unit` fixes it (``0.123456万元``: exact)."""
    if lang == "en":
        return "CNY " + (f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}")
    unit = _PAGE_UNIT.get()
    if unit == "万元" or (unit is None and abs(amount) >= 10_000 and amount % 100 == 0):
        return _group(amount / 10_000, 6) + "万元"
    return (f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}") + "元"


def format_number(value: Decimal | int, unit: str | None = None, lang: str = "zh") -> str:
    """A plain number with its unit label (``120人``, ``315 kVA``, ``2年``)."""
    text = _group(Decimal(value), 4) if not isinstance(value, int) else f"{value:,}"
    labels_zh = {"person": "人", "kVA": "千伏安", "year": "年", "month": "个月", "count": "个"}
    labels_en = {"person": " persons", "kVA": " kVA", "year": " years", "month": " months", "count": ""}
    if unit is None:
        return text
    label = (labels_en if lang == "en" else labels_zh).get(unit, "")
    return text + (label[:-1] if lang == "en" and value == 1 and label.endswith("s") else label)


def format_rate(value: Decimal) -> str:
    """A rate as a percentage: ``0.2`` → ``20%``."""
    return _group(value * 100, 4) + "%"
