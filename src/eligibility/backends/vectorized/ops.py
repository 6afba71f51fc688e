"""Column operations with exactly the value semantics of :mod:`eligibility.backends.interpreter.ops`.

Each function takes and returns :class:`~.columns.Col` values. UNKNOWN (``known`` False) propagates;
a known-empty value (``null``) compares false (``!=`` true, ``== none`` true) and makes arithmetic
empty. Numbers are exact: scaled int64 where they fit, Decimal objects where they do not.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pyarrow.compute as pc

from ...facts.money import FEN
from ...model.expr import Duration
from .columns import EPOCH_ORDINAL, Col

_LIMIT = 2**62  # a scaled integer beyond this moves to Decimal objects (no overflow, ever)
_CMP: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq, "!=": operator.ne,
}


def as_mask(a: Any) -> Any:
    """A mask as numpy booleans; a scalar too, since ``~`` on a Python bool is integer negation."""
    if isinstance(a, np.ndarray):
        return a.astype(bool, copy=False) if a.dtype != bool else a
    return np.bool_(a)


# -- masks: a constant side (numpy scalar) costs no pass over the rows and never copies ----------
def _one(mask: Any) -> bool:
    """Whether a mask is one value for all rows (a numpy or Python bool, or a 0-d array): ``np.ndim(mask)
    == 0`` without its dispatch, which a decide call would pay thousands of times."""
    return not isinstance(mask, np.ndarray) or mask.ndim == 0


def and_(a: Any, b: Any) -> Any:
    """``a & b``; a scalar side returns the other side itself (masks are never changed in place)."""
    if _one(a):
        return as_mask(b) if a else np.False_
    if _one(b):
        return a if b else np.False_
    return a & b


def or_(a: Any, b: Any) -> Any:
    """``a | b`` (as :func:`and_`)."""
    if _one(a):
        return np.True_ if a else as_mask(b)
    if _one(b):
        return np.True_ if b else a
    return a | b


def and_not(a: Any, b: Any) -> Any:
    """``a & ~b`` (as :func:`and_`)."""
    if _one(b):
        return np.False_ if b else as_mask(a)
    if _one(a):
        return ~b if a else np.False_
    return a & ~b


def const(value: Any) -> Col:
    """A constant (a literal or a parameter) as a broadcast Col."""
    if value is None:
        return Col("bool", np.False_, np.True_, np.True_)
    if isinstance(value, bool):
        return Col.const("bool", np.bool_(value))
    if isinstance(value, int):
        return number(Decimal(value))
    if isinstance(value, Decimal):
        return number(value)
    if isinstance(value, date):
        return Col.const("date", np.int64(value.toordinal() - EPOCH_ORDINAL))
    if isinstance(value, Duration):
        return Col("dur", value, np.True_, np.False_)
    if isinstance(value, str):
        return Col.const("str", value)
    raise TypeError(f"no column form for constant {value!r}")


def number(value: Decimal) -> Col:
    exponent = value.as_tuple().exponent
    scale = max(0, -exponent) if isinstance(exponent, int) else 0
    scaled = int(value.scaleb(scale))
    if abs(scaled) < _LIMIT:
        return Col.const("int", np.int64(scaled), scale)
    return Col.const("dec", value)


# -- numbers ------------------------------------------------------------------------------------
def _max_abs(c: Col) -> int:
    """The largest magnitude of an int Col's values (as a Python int: no overflow at the int64 edge),
    from its minimum and maximum (no array of magnitudes made)."""
    v = c.val
    if np.ndim(v) == 0:
        return abs(int(v))
    return max(-int(v.min()), int(v.max())) if len(v) else 0


def rescale(c: Col, scale: int) -> Col:
    """An int Col at a larger scale (exact); moves to dec if it would not fit."""
    if c.kind != "int" or scale == c.scale:
        return c
    factor = 10 ** (scale - c.scale)
    if _max_abs(c) * factor >= _LIMIT:
        return to_dec(c)
    return Col("int", c.val * np.int64(factor), c.known, c.null, scale)


def to_dec(c: Col) -> Col:
    """The same numbers as Decimal objects."""
    if c.kind == "dec":
        return c
    if c.kind != "int":
        raise TypeError(f"not a number column: {c.kind}")
    s = c.scale
    if np.ndim(c.val) == 0:
        return Col("dec", Decimal(int(c.val)).scaleb(-s), c.known, c.null)
    vals = np.empty(len(c.val), dtype=object)
    vals[:] = [Decimal(v).scaleb(-s) for v in c.val.tolist()]
    return Col("dec", vals, c.known, c.null)


def align(a: Col, b: Col) -> tuple[Col, Col]:
    """Two numbers at one representation (common scale, or both Decimal)."""
    if a.kind == "int" and b.kind == "int":
        scale = max(a.scale, b.scale)
        a, b = rescale(a, scale), rescale(b, scale)
        if a.kind == "int" and b.kind == "int":
            return a, b
    return to_dec(a), to_dec(b)


# -- comparisons --------------------------------------------------------------------------------
def compare(op: str, a: Col, b: Col) -> Col:
    """``a op b`` in three-valued logic (a known-empty side: == / != by emptiness, order false)."""
    known = and_(a.known, b.known)
    if a.kind in ("int", "dec") and b.kind in ("int", "dec"):
        a, b = align(a, b)
    if a.cats is not None and b.is_const and op in ("==", "!="):  # once per category
        categories = np.append(a.cats[1], None)
        lut = np.array([_CMP[op](v, b.val) if v is not None else False for v in categories.tolist()], dtype=bool)
        raw = lut[a.cats[0]]
    elif a.kind == "str" and b.is_const and op in ("==", "!=") and (text := a.arrow_text()) is not None:
        # names still in Arrow (a development zone as read): compared there, no Python string per row
        raw = (pc.equal if op == "==" else pc.not_equal)(text, b.val).to_numpy(zero_copy_only=False)
    elif a.kind == "str" or b.kind == "str":
        raw = _str_compare(op, a.val, b.val)
    else:
        raw = _CMP[op](a.val, b.val)
    raw = as_mask(raw)
    either_null = or_(a.null, b.null)
    if op in ("==", "!="):
        both_null = and_(a.null, b.null)
        eq_null = both_null if op == "==" else ~both_null
        val = np.where(either_null, eq_null, raw) if np.ndim(either_null) or either_null else raw
    else:
        val = and_not(raw, either_null)
    return Col("bool", val, known, np.False_)


def _str_compare(op: str, a: Any, b: Any) -> Any:
    if op in ("==", "!="):
        if np.ndim(a) == 0 and np.ndim(b) == 0:
            return _CMP[op](a, b)
        res = np.asarray(a == b if op == "==" else a != b)
        return res.astype(bool, copy=False)
    return np.asarray(_CMP[op](a, b)).astype(bool, copy=False)


def chain(ops_: Sequence[str], operands: Sequence[Col]) -> Col:
    """``a < b <= c``: and of the pairwise comparisons."""
    parts = [compare(op, x, y) for op, x, y in zip(ops_, operands, operands[1:])]
    return junction(parts, is_and=True)


def junction(items: Sequence[Col], is_and: bool) -> Col:
    """Three-valued all/any, by the compiled path's rule: for ``all`` an item decides when it is
    False, for ``any`` when it is True; a known-empty item counts as neither."""
    decisive: Any = np.False_
    unknown: Any = np.False_
    for c in items:
        v = as_mask(c.val)
        hit = and_(and_not(c.known, c.null), ~v if is_and else v)
        decisive = or_(decisive, hit)
        unknown = or_(unknown, ~as_mask(c.known))
    known = or_(decisive, ~unknown)
    val = decisive if not is_and else ~decisive
    return Col("bool", val, known, np.False_)


def negate(c: Col) -> Col:
    """``not``: unknown stays unknown; ``not none`` is true (as in the compiled path)."""
    return Col("bool", or_(c.null, ~as_mask(c.val)), c.known, np.False_)


# -- arithmetic ---------------------------------------------------------------------------------
def arith(op: str, a: Col, b: Col) -> Col:
    known = and_(a.known, b.known)
    null = or_(a.null, b.null)
    if b.kind == "dur" or a.kind == "dur":
        d, dur, sign = (a, b.val, 1 if op == "+" else -1) if b.kind == "dur" else (b, a.val, 1)
        days = shift_days(d.val, dur, sign)
        calendar = (days >= _FIRST_DAY) & (days <= _LAST_DAY)  # else unknown, as in the interpreter
        if np.ndim(days) == 0:
            return Col("date", days if calendar else np.int64(0), known & bool(calendar), null)
        return Col("date", np.where(calendar, days, 0), known & calendar, null)
    if op == "/":
        a, b = to_dec(a), to_dec(b)
        zero_raw = as_mask(np.asarray(b.val == 0))
        safe_b = _obj_where(zero_raw, Decimal(1), b.val) if np.ndim(zero_raw) or zero_raw else b.val
        val = a.val / safe_b
        return Col("dec", val, known & ~(zero_raw & ~null), null)  # a division by zero decides nothing
    if a.kind == "int" and b.kind == "int":
        if op == "*":
            if _max_abs(a) * _max_abs(b) < _LIMIT:
                return Col("int", a.val * b.val, known, null, a.scale + b.scale)
        else:
            x, y = align(a, b)
            if x.kind == "int" and _max_abs(x) + _max_abs(y) < _LIMIT:
                fn = operator.add if op == "+" else operator.sub
                return Col("int", fn(x.val, y.val), known, null, x.scale)
    x, y = to_dec(a), to_dec(b)
    fn = {"+": operator.add, "-": operator.sub, "*": operator.mul}[op]
    return Col("dec", fn(x.val, y.val), known, null)


def neg(c: Col) -> Col:
    return Col(c.kind, -c.val, c.known, c.null, c.scale)


_FIRST_DAY = date.min.toordinal() - EPOCH_ORDINAL
_LAST_DAY = date.max.toordinal() - EPOCH_ORDINAL


def shift_days(days: Any, duration: Duration, sign: int) -> Any:
    """``date ± duration`` on day numbers, months clamping to the month's end."""
    if duration.unit == "day":
        return days + sign * duration.amount
    months = sign * (duration.months() or 0)
    d = np.asarray(days, dtype="int64").astype("datetime64[D]")
    m = d.astype("datetime64[M]")
    day = (d - m).astype(np.int64)  # 0-based day of month
    target = m + np.timedelta64(months, "M")
    last = ((target + np.timedelta64(1, "M")).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(np.int64)
    out = target.astype("datetime64[D]") + np.minimum(day, last - 1)
    result = out.astype(np.int64)
    return result if np.ndim(days) else np.int64(result)


def round_fen(c: Col) -> Col:
    """Round to the fen, half up (away from zero at .5), exactly."""
    if c.kind == "dec":
        if np.ndim(c.val) == 0:
            return Col("dec", c.val.quantize(FEN, rounding=ROUND_HALF_UP), c.known, c.null)
        vals = np.empty(len(c.val), dtype=object)
        vals[:] = [v.quantize(FEN, rounding=ROUND_HALF_UP) for v in c.val.tolist()]
        return Col("dec", vals, c.known, c.null)
    if c.scale <= 2:
        return rescale(c, 2)
    q = np.int64(10 ** (c.scale - 2))
    v = c.val
    mag = (np.abs(v) + q // 2) // q
    return Col("int", np.where(v < 0, -mag, mag) if np.ndim(v) else (-mag if v < 0 else mag), c.known, c.null, 2)


def to_fen(c: Col) -> Col:
    """A rounded amount as int64 fen (Decimal amounts beyond int64 are refused loudly)."""
    if c.kind == "int":
        return rescale(c, 2) if c.scale <= 2 else round_fen(c)
    if c.kind == "bool":  # an all-empty amount (none)
        return Col("int", np.int64(0), c.known, c.null | True, 2)
    vals = c.val
    if np.ndim(vals) == 0:
        return Col("int", np.int64(int(vals.scaleb(2))), c.known, c.null, 2)
    out = np.fromiter((int(v.scaleb(2)) if v.is_finite() else 0 for v in vals.tolist()), dtype=np.int64,
                      count=len(vals))
    return Col("int", out, c.known, c.null, 2)


def minmax(func: str, cols: Sequence[Col]) -> Col:
    """min/max ignoring known-empty values; unknown if any is unknown; empty if all are empty."""
    known: Any = np.True_
    for c in cols:
        known = known & c.known
    kinds = {c.kind for c in cols if c.kind != "bool"}
    if kinds == {"date"}:
        vals = [c for c in cols]
        sentinel = np.int64(np.iinfo(np.int64).max if func == "min" else np.iinfo(np.int64).min)
        kind, scale = "date", 0
    else:
        numeric = [c for c in cols if c.kind in ("int", "dec")]
        if all(c.kind == "int" for c in numeric):
            scale = max(c.scale for c in numeric)
            vals = [rescale(c, scale) if c.kind == "int" else c for c in cols]
        else:
            vals = [to_dec(c) if c.kind in ("int", "dec") else c for c in cols]
            scale = 0
        if any(c.kind == "dec" for c in vals if c.kind != "bool"):
            vals = [to_dec(c) if c.kind in ("int", "dec") else c for c in vals]
            kind = "dec"
            sentinel = Decimal("Infinity") if func == "min" else Decimal("-Infinity")
        else:
            kind = "int"
            sentinel = np.int64(np.iinfo(np.int64).max if func == "min" else np.iinfo(np.int64).min)
    pick = np.minimum if func == "min" else np.maximum
    out: Any = None
    all_null: Any = np.True_
    for c in vals:
        v = np.where(c.null, sentinel, c.val) if kind != "dec" else _obj_where(c.null, sentinel, c.val)
        if c.kind == "bool":  # a literal none
            continue
        out = v if out is None else (pick(out, v) if kind != "dec" else _obj_pick(func, out, v))
        all_null = all_null & c.null
    if out is None:
        return Col("bool", np.False_, known, np.True_)
    fill = Decimal(0) if kind == "dec" else np.int64(0)
    out = np.where(all_null, fill, out) if kind != "dec" else _obj_where(all_null, fill, out)
    return Col(kind, out, known, all_null, scale if kind == "int" else 0)


def _obj_where(mask: Any, a: Any, b: Any) -> Any:
    if np.ndim(mask) == 0 and np.ndim(b) == 0:
        return a if mask else b
    n = max(np.size(mask), np.size(b))
    out = np.empty(n, dtype=object)
    out[:] = b if np.ndim(b) else [b] * n
    if np.ndim(mask):
        out[mask] = a
    elif mask:
        out[:] = [a] * n
    return out


def _obj_pick(func: str, a: Any, b: Any) -> Any:
    fn = min if func == "min" else max
    if np.ndim(a) == 0 and np.ndim(b) == 0:
        return fn(a, b)
    n = max(np.size(a), np.size(b))
    aa = a if np.ndim(a) else [a] * n
    bb = b if np.ndim(b) else [b] * n
    out = np.empty(n, dtype=object)
    out[:] = [fn(x, y) for x, y in zip(aa, bb)]
    return out


def where(cond: Col, then: Col, otherwise: Col) -> Col:
    """``then if cond else otherwise``; unknown when cond is (the compiled path's rule: None is false)."""
    pick = and_(and_not(cond.known, cond.null), as_mask(cond.val))
    if then.kind in ("int", "dec") and otherwise.kind in ("int", "dec"):
        then, otherwise = align(then, otherwise)
    elif then.kind == "bool" and np.all(then.null) and otherwise.kind != "bool":
        then = Col(otherwise.kind, _zero(otherwise), then.known, then.null, otherwise.scale)
    elif otherwise.kind == "bool" and np.all(otherwise.null) and then.kind != "bool":
        otherwise = Col(then.kind, _zero(then), otherwise.known, otherwise.null, then.scale)
    if then.kind == "dec":
        val = _obj_where(pick, then.val, otherwise.val) if np.ndim(then.val) == 0 else _obj_select(pick, then.val,
                                                                                                  otherwise.val)
    else:
        val = np.where(pick, then.val, otherwise.val)
    known = and_(cond.known, _choose(pick, then.known, otherwise.known))
    null = _choose(pick, then.null, otherwise.null)
    return Col(then.kind, val, known, null, then.scale)


def _choose(pick: Any, a: Any, b: Any) -> Any:
    """The mask ``a`` where ``pick``, else ``b``: one value when both sides are the same one (no pass)."""
    if _one(a) and _one(b) and bool(a) == bool(b):
        return as_mask(a)
    return np.where(pick, a, b)


def _zero(c: Col) -> Any:
    return {"int": np.int64(0), "dec": Decimal(0), "date": np.int64(0), "str": ""}.get(c.kind, np.False_)


def _obj_select(mask: Any, a: Any, b: Any) -> Any:
    n = max(np.size(mask), np.size(a), np.size(b))
    mm = np.broadcast_to(mask, (n,))
    aa = a if np.ndim(a) else [a] * n
    bb = b if np.ndim(b) else [b] * n
    out = np.empty(n, dtype=object)
    out[:] = [x if m else y for m, x, y in zip(mm.tolist(), aa, bb)]
    return out
