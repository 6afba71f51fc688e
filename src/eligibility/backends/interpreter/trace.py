"""The explaining evaluator: walks a typed expression and records every node's value.

Each node yields a :class:`Trace` with its value, the raw fields whose unknown values made it
unknown (``missing``), the presumptions it used and, for derived facts, their own explanation.
Text is rendered later (:mod:`eligibility.explain`), so evaluation stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from datetime import date
from decimal import Decimal
from typing import Any

from ...facts.derived import evaluate_derived
from ...facts.fields import registry
from ...facts.flatten import UNKNOWN, Facts
from ...model import expr as x
from . import ops

U = UNKNOWN
_EMPTY: tuple[str, ...] = ()


@dataclass(slots=True)
class Trace:
    node: x.Node
    value: Any
    children: tuple[Trace, ...] = ()
    missing: tuple[str, ...] = _EMPTY
    presumed: tuple[str, ...] = _EMPTY
    note: tuple[str, str] | None = None  # (zh, en), e.g. a derived fact's own explanation


class Env:
    """What one evaluation reads: flat facts, as_of, the rule's parameter values, the current list item."""

    __slots__ = ("facts", "as_of", "params", "item", "item_list")

    def __init__(self, facts: Facts, as_of: date, params: dict[str, Any]) -> None:
        self.facts = facts
        self.as_of = as_of
        self.params = params
        self.item: dict[str, Any] | None = None
        self.item_list: str | None = None


def _merge(traces: tuple[Trace, ...], attr: str) -> tuple[str, ...]:
    out: list[str] = []
    for t in traces:
        for m in getattr(t, attr):
            if m not in out:
                out.append(m)
    return tuple(out)


def evaluate(node: x.Node, env: Env) -> Trace:
    """Evaluate ``node`` and return its trace."""
    return _DISPATCH[type(node)](node, env)


def _literal(node: x.Literal, env: Env) -> Trace:
    return Trace(node, node.value)


@cache
def _ancestors(path: str) -> tuple[str, ...]:
    """``a.b.c`` → ``("a", "a.b")``: the records above a field, outermost first."""
    parts = path.split(".")
    return tuple(".".join(parts[:i]) for i in range(1, len(parts)))


def missing_fact(facts: Facts, path: str) -> str:
    """The fact a data team must supply for an unknown ``path``: its outermost unknown record."""
    values = facts.values
    return next((a for a in _ancestors(path) if a not in values), path)


def _field(node: x.Field, env: Env) -> Trace:
    value = env.facts.values.get(node.path, U)
    if value is U:
        return Trace(node, U, missing=(missing_fact(env.facts, node.path),))
    if node.path in env.facts.presumed:
        return Trace(node, value, presumed=(node.path,))
    return Trace(node, value)


def _item_field(node: x.ItemField, env: Env) -> Trace:
    value = env.item.get(node.name, U) if env.item is not None else U
    if value is U:
        return Trace(node, U, missing=(f"{node.list_path}[].{node.name}",))
    return Trace(node, value)


def _derived(node: x.Derived, env: Env) -> Trace:
    dv = evaluate_derived(node.name, env.facts, env.as_of)
    return Trace(node, dv.value, missing=dv.missing if dv.value is U else _EMPTY, note=(dv.zh, dv.en))


def _param(node: x.Param, env: Env) -> Trace:
    return Trace(node, env.params.get(node.name, U))


def _as_of(node: x.AsOf, env: Env) -> Trace:
    return Trace(node, env.as_of)


def _with(node: x.Node, value: Any, children: tuple[Trace, ...]) -> Trace:
    missing = _merge(children, "missing") if value is U else _EMPTY
    return Trace(node, value, children, missing, _merge(children, "presumed"))


def _compare(node: x.Compare, env: Env) -> Trace:
    children = tuple(evaluate(op, env) for op in node.operands)
    result: Any = True
    for op, left, right in zip(node.ops, children, children[1:]):
        r = ops.compare(op, left.value, right.value)
        if r is False:
            result = False
            break
        if r is U:
            result = U
    if result is False:
        return Trace(node, False, children, _EMPTY, _merge(children, "presumed"))
    return _with(node, result, children)


def _in_list(node: x.InList, env: Env) -> Trace:
    operand = evaluate(node.operand, env)
    items = tuple(evaluate(i, env) for i in node.items)
    v = operand.value
    if v is U:
        result: Any = U
    else:
        result = any(v == i.value for i in items)
        if node.negated:
            result = not result
    return _with(node, result, (operand, *items))


def _under(node: x.Under, env: Env) -> Trace:
    operand = evaluate(node.operand, env)
    system = registry()[node.operand.path].type.code if isinstance(node.operand, x.Field) else None
    result = ops.under(operand.value, node.codes, system)
    if node.negated and result is not U:
        result = not result
    return _with(node, result, (operand,))


def _and(node: x.And, env: Env) -> Trace:
    # every part is evaluated (no short cut), so an explanation names every failing condition
    children = tuple(evaluate(item, env) for item in node.items)
    values = [t.value for t in children]
    if False in values:
        return Trace(node, False, children, _EMPTY, _merge(children, "presumed"))
    return _with(node, U if any(v is U for v in values) else True, children)


def _or(node: x.Or, env: Env) -> Trace:
    children = tuple(evaluate(item, env) for item in node.items)
    values = [t.value for t in children]
    if True in values:
        return Trace(node, True, children, _EMPTY, _merge(children, "presumed"))
    return _with(node, U if any(v is U for v in values) else False, children)


def _not(node: x.Not, env: Env) -> Trace:
    t = evaluate(node.item, env)
    return _with(node, U if t.value is U else not t.value, (t,))


def _clause(node: x.Clause, env: Env) -> Trace:
    t = evaluate(node.item, env)
    return Trace(node, t.value, (t,), t.missing, t.presumed)


def _arith(node: x.Arith, env: Env) -> Trace:
    left, right = evaluate(node.left, env), evaluate(node.right, env)
    return _with(node, ops.arith(node.op, left.value, right.value), (left, right))


def _neg(node: x.Neg, env: Env) -> Trace:
    t = evaluate(node.item, env)
    return _with(node, t.value if t.value is U or t.value is None else -t.value, (t,))


def _if_else(node: x.IfElse, env: Env) -> Trace:
    cond = evaluate(node.cond, env)
    if cond.value is U:
        return _with(node, U, (cond,))
    branch = evaluate(node.then if cond.value else node.otherwise, env)
    return _with(node, branch.value, (cond, branch))


def _call(node: x.Call, env: Env) -> Trace:
    f = node.func
    if f == "known":
        t = evaluate(node.args[0], env)
        return Trace(node, t.value is not U, (t,), presumed=t.presumed)
    if f == "exists":
        t = evaluate(node.args[0], env)
        return _with(node, U if t.value is U else t.value is not None, (t,))
    if f in ("tiered", "lookup"):
        base = evaluate(node.args[0], env)
        pair_traces = [tuple(evaluate(i, env) for i in p.items) for p in node.args[1:]]  # type: ignore[attr-defined]
        pairs = [(a.value, b.value) for a, b in pair_traces]
        value = ops.tiered(base.value, pairs) if f == "tiered" else ops.lookup(base.value, pairs)
        return _with(node, value, (base, *(t for p in pair_traces for t in p)))
    args = tuple(evaluate(a, env) for a in node.args)
    vals = [a.value for a in args]
    if f == "within":
        value = ops.within(vals[0], vals[1], env.as_of)
    elif f == "in_year":
        value = ops.in_year(vals[0], env.as_of)
    elif f == "year":
        value = U if vals[0] is U else None if vals[0] is None else Decimal(vals[0].year)
    elif f == "round_fen":
        value = ops.round_money(vals[0])
    else:  # min, max
        value = ops.minmax(f, vals)
    return _with(node, value, args)


def _quantifier(node: x.Quantifier, env: Env) -> Trace:
    items = env.facts.values.get(node.list_path, U)
    if items is U:
        return Trace(node, U, missing=(node.list_path,))
    saved = env.item, env.item_list
    env.item_list = node.list_path
    children: list[Trace] = []
    unknown_children: list[Trace] = []
    total: Any = Decimal(0)
    count = 0
    result: Any = None
    try:
        for item in items or ():
            env.item = item
            if node.func == "sum":
                if node.where is not None:
                    w = evaluate(node.where, env)
                    if w.value is False:
                        continue
                    if w.value is U:
                        unknown_children.append(w)
                        continue
                t = evaluate(node.body, env)
                children.append(t)
                if t.value is U:
                    unknown_children.append(t)
                elif t.value is not None and total is not U:
                    total += t.value
                continue
            t = evaluate(node.body, env)
            children.append(t)
            if t.value is U:
                unknown_children.append(t)
            elif node.func == "any" and t.value is True:
                result = True
                break
            elif node.func == "all" and t.value is False:
                result = False
                break
            elif node.func == "count" and t.value is True:
                count += 1
    finally:
        env.item, env.item_list = saved
    if result is None:
        if unknown_children:
            result = U
        else:
            result = {"any": False, "all": True, "count": Decimal(count), "sum": total}[node.func]
    kids = tuple(children)
    missing = _merge(tuple(unknown_children), "missing") if result is U else _EMPTY
    return Trace(node, result, kids, missing, _merge(kids, "presumed"))


_DISPATCH: dict[type, Any] = {
    x.Literal: _literal,
    x.Field: _field,
    x.ItemField: _item_field,
    x.Derived: _derived,
    x.Param: _param,
    x.AsOf: _as_of,
    x.Compare: _compare,
    x.InList: _in_list,
    x.Under: _under,
    x.And: _and,
    x.Or: _or,
    x.Not: _not,
    x.Clause: _clause,
    x.Arith: _arith,
    x.Neg: _neg,
    x.IfElse: _if_else,
    x.Call: _call,
    x.Quantifier: _quantifier,
}
