"""The explaining evaluator: typed expressions compiled to closures that record every node's value.

Each node yields a :class:`Trace` with its value, the raw fields whose unknown values made it
unknown (``missing``), the presumptions it used and, for derived facts, their own explanation.
A node is compiled once into a closure (one translation per node type, like the ibis compilers);
text is rendered later (:mod:`eligibility.explain`), so evaluation stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from datetime import date
from functools import cache
from typing import Any

from ...facts.derived import evaluate_derived
from ...facts.profile import registry
from ...facts.flatten import UNKNOWN, Facts
from ...model import expr as x
from ...model.dispatch import NodeTable
from ...results import Trace
from . import ops

U = UNKNOWN
_EMPTY: tuple[str, ...] = ()


class Env:
    """What one evaluation reads: flat facts, as_of, the rule's parameter values, the current list item."""

    __slots__ = ("facts", "values", "presumed", "as_of", "params", "item")

    def __init__(self, facts: Facts, as_of: date, params: dict[str, Any]) -> None:
        self.facts = facts
        self.values = facts.values
        self.presumed = facts.presumed
        self.as_of = as_of
        self.params = params
        self.item: dict[str, Any] | None = None


Program = Callable[[Env], Trace]
TRACE: NodeTable[Callable[[Any], Program]] = NodeTable("interpreter", unsupported={x.Name}, inside={x.ListLit})
"""The explaining evaluator's translation of each node class to its closure (pairs of ``tiered`` and
``lookup`` are compiled by the call; a ``Name`` never outlives type checking)."""
_PROGRAMS: dict[int, tuple[x.Node, Program]] = {}


def compile_node(node: x.Node) -> Program:
    """The closure evaluating ``node`` (compiled once per node and kept)."""
    hit = _PROGRAMS.get(id(node))
    if hit is not None and hit[0] is node:
        return hit[1]
    program = TRACE[type(node)](node)
    _PROGRAMS[id(node)] = (node, program)  # the node is kept alive, so its id is never reused
    return program


def evaluate(node: x.Node, env: Env) -> Trace:
    """Evaluate ``node`` and return its trace."""
    return compile_node(node)(env)


def _merge(traces: tuple[Trace, ...], attr: str) -> tuple[str, ...]:
    out = dict.fromkeys([m for t in traces for m in getattr(t, attr)])
    return tuple(out) if out else _EMPTY


def _missing(traces: tuple[Trace, ...]) -> tuple[str, ...]:
    """The children's missing facts, in order, once each (the common cases without a list)."""
    found: tuple[str, ...] = _EMPTY
    merged = False
    for t in traces:
        m = t.missing
        if m:
            if found:
                found += m
                merged = True
            else:
                found = m
    return tuple(dict.fromkeys(found)) if merged or len(found) > 1 else found


def _presumed(traces: tuple[Trace, ...]) -> tuple[str, ...]:
    for t in traces:
        if t.presumed:
            return _merge(traces, "presumed")
    return _EMPTY


def _with(node: x.Node, value: Any, children: tuple[Trace, ...]) -> Trace:
    return Trace(node, value, children, _missing(children) if value is U else _EMPTY, _presumed(children))


@cache
def _ancestors(path: str) -> tuple[str, ...]:
    """``a.b.c`` → ``("a", "a.b")``: the records above a field, outermost first."""
    parts = path.split(".")
    return tuple(".".join(parts[:i]) for i in range(1, len(parts)))


def missing_fact(path: str) -> Callable[[dict[str, Any]], tuple[str, ...]]:
    """The fact a data team must supply when ``path`` is unknown — its outermost unknown record — as
    a function of the flat values (bound when the node is compiled: a top-level path is its own)."""
    ancestors = _ancestors(path)
    alone = (path,)
    if not ancestors:
        return lambda values: alone

    def missing(values: dict[str, Any]) -> tuple[str, ...]:
        for a in ancestors:
            if a not in values:
                return (a,)
        return alone

    return missing


# -- one compiler per node type ---------------------------------------------------------------
@TRACE.on(x.Literal)
def _literal(node: x.Literal) -> Program:
    trace = Trace(node, node.value)  # constant: one shared, never-mutated trace
    return lambda env: trace


@TRACE.on(x.Field)
def _field(node: x.Field) -> Program:
    path = node.path
    missing = missing_fact(path)

    def run(env: Env) -> Trace:
        value = env.values.get(path, U)
        if value is U:
            return Trace(node, U, (), missing(env.values))
        if path in env.presumed:
            return Trace(node, value, (), _EMPTY, (path,))
        if env.facts.attested:  # a caseworker confirmed it: the explanation says who and when
            return Trace(node, value, note=env.facts.attested.get(path))
        return Trace(node, value)

    return run


@TRACE.on(x.ItemField)
def _item_field(node: x.ItemField) -> Program:
    name, missing = node.name, (f"{node.list_path}[].{node.name}",)

    def run(env: Env) -> Trace:
        value = env.item.get(name, U) if env.item is not None else U
        return Trace(node, U, (), missing) if value is U else Trace(node, value)

    return run


@TRACE.on(x.Derived)
def _derived(node: x.Derived) -> Program:
    name = node.name

    def run(env: Env) -> Trace:
        dv = evaluate_derived(name, env.facts, env.as_of)
        return Trace(node, dv.value, (), dv.missing if dv.value is U else _EMPTY, _EMPTY, dv)

    return run


@TRACE.on(x.Param)
def _param(node: x.Param) -> Program:
    name = node.name
    return lambda env: Trace(node, env.params.get(name, U))


@TRACE.on(x.AsOf)
def _as_of(node: x.AsOf) -> Program:
    return lambda env: Trace(node, env.as_of)


@TRACE.on(x.Compare)
def _compare(node: x.Compare) -> Program:
    if len(node.ops) == 1:
        return _compare_pair(node)
    programs = tuple(compile_node(o) for o in node.operands)
    pairs = tuple(enumerate(node.ops))
    compare = ops.compare

    def run(env: Env) -> Trace:
        children = tuple(p(env) for p in programs)
        result: Any = True
        for i, op in pairs:
            r = compare(op, children[i].value, children[i + 1].value)
            if r is False:
                return Trace(node, False, children, _EMPTY, _presumed(children))
            if r is U:
                result = U
        return _with(node, result, children)

    return run


class _FieldCompareTrace(Trace):
    """The trace of ``field op constant``, whose two child traces are built only when read."""

    __slots__ = ("_field_value", "_constant")

    def __init__(self, node: x.Compare, value: Any, missing: tuple[str, ...], presumed: tuple[str, ...],
                 field_value: Any, constant: Trace, clause: x.Clause | None) -> None:
        self.node = node
        self.value = value
        self.missing = missing
        self.presumed = presumed
        self.note = None
        self.clause = clause
        self._field_value = field_value
        self._constant = constant

    @property  # type: ignore[override]
    def children(self) -> tuple[Trace, ...]:
        field = self.node.operands[0]  # type: ignore[attr-defined]
        return (Trace(field, self._field_value, (), self.missing, self.presumed), self._constant)


def _field_compare(node: x.Compare, clause: x.Clause | None = None) -> Program:
    """``field op constant`` — the most common condition — in one step and one trace (marked with
    the written ``clause`` it is the whole of, if any)."""
    path = node.operands[0].path  # type: ignore[attr-defined]
    constant_node = node.operands[1]
    constant = compile_node(constant_node)(None)  # type: ignore[arg-type]  # literals ignore the env
    bound = constant.value
    op = node.ops[0]
    order = ops.ORDER.get(op)
    missing = missing_fact(path)

    def run(env: Env) -> Trace:
        v = env.values.get(path, U)
        if v is U:
            return _FieldCompareTrace(node, U, missing(env.values), _EMPTY, U, constant, clause)
        presumed = (path,) if path in env.presumed else _EMPTY
        if order is None:
            result = (v == bound) if op == "==" else (v != bound)
        else:
            result = v is not None and bound is not None and order(v, bound)
        return _FieldCompareTrace(node, result, _EMPTY, presumed, v, constant, clause)

    return run


def _is_field_compare(node: x.Node) -> bool:
    return (isinstance(node, x.Compare) and len(node.ops) == 1 and isinstance(node.operands[0], x.Field)
            and isinstance(node.operands[1], x.Literal))


def _compare_pair(node: x.Compare) -> Program:
    """``a op b``: the common case, without the chain machinery."""
    if _is_field_compare(node):
        return _field_compare(node)
    left, right = (compile_node(o) for o in node.operands)
    op = node.ops[0]
    order = ops.ORDER.get(op)

    def run(env: Env) -> Trace:
        a, b = left(env), right(env)
        av, bv = a.value, b.value
        if av is U or bv is U:
            missing = a.missing + tuple(m for m in b.missing if m not in a.missing) if a.missing else b.missing
            return Trace(node, U, (a, b), missing, _presumed((a, b)))
        if order is None:
            result = (av == bv) if op == "==" else (av != bv)
        else:
            result = av is not None and bv is not None and order(av, bv)
        return Trace(node, result, (a, b), _EMPTY, (a.presumed or b.presumed) and _presumed((a, b)))

    return run


@TRACE.on(x.InList)
def _in_list(node: x.InList) -> Program:
    operand = compile_node(node.operand)
    items = tuple(compile_node(i) for i in node.items)
    negated = node.negated

    def run(env: Env) -> Trace:
        o = operand(env)
        kids = tuple(i(env) for i in items)
        v = o.value
        result: Any = U if v is U else (any(v == k.value for k in kids) != negated)
        return _with(node, result, (o, *kids))

    return run


@TRACE.on(x.Under)
def _under(node: x.Under) -> Program:
    operand = compile_node(node.operand)
    system = registry()[node.operand.path].type.code if isinstance(node.operand, x.Field) else None
    codes, negated = node.codes, node.negated

    def run(env: Env) -> Trace:
        o = operand(env)
        result = ops.under(o.value, codes, system)
        if negated and result is not U:
            result = not result
        return _with(node, result, (o,))

    return run


@TRACE.on(x.And, x.Or)
def _junction(node: x.And | x.Or) -> Program:
    # every part is evaluated (no short cut), so an explanation names every failing condition
    programs = tuple(compile_node(i) for i in node.items)
    decisive = isinstance(node, x.Or)  # the value that decides: True for or, False for and

    def run(env: Env) -> Trace:
        children = tuple([p(env) for p in programs])
        unknown = False
        for t in children:
            if t.value is decisive:
                return Trace(node, decisive, children, _EMPTY, _presumed(children))
            if t.value is U:
                unknown = True
        return _with(node, U if unknown else not decisive, children)

    return run


@TRACE.on(x.Not)
def _not(node: x.Not) -> Program:
    item = compile_node(node.item)

    def run(env: Env) -> Trace:
        t = item(env)
        return _with(node, U if t.value is U else not t.value, (t,))

    return run


@TRACE.on(x.Clause)
def _clause(node: x.Clause) -> Program:
    """A written condition: its item's own trace, marked with the clause (no wrapper object)."""
    if _is_field_compare(node.item):
        return _field_compare(node.item, node)  # type: ignore[arg-type]
    item = compile_node(node.item)
    shared = isinstance(node.item, x.Literal)  # literal traces are shared: never mark those

    def run(env: Env) -> Trace:
        t = item(env)
        if shared:
            t = Trace(t.node, t.value)
        t.clause = node
        return t

    return run


@TRACE.on(x.Arith)
def _arith(node: x.Arith) -> Program:
    left, right, op = compile_node(node.left), compile_node(node.right), node.op
    divisor = x.read_facts(node.right) if op == "/" else ()

    def run(env: Env) -> Trace:
        a, b = left(env), right(env)
        children = (a, b)
        presumed = (a.presumed or b.presumed) and _presumed(children)
        if a.value is U or b.value is U:
            return Trace(node, U, children, _missing(children), presumed)
        value = ops.arith(op, a.value, b.value)
        if value is U:  # a division by zero (the facts that made the zero), or a date off the calendar
            return Trace(node, U, children, divisor or _missing(children), presumed)
        return Trace(node, value, children, _EMPTY, presumed)

    return run


@TRACE.on(x.Neg)
def _neg(node: x.Neg) -> Program:
    item = compile_node(node.item)

    def run(env: Env) -> Trace:
        t = item(env)
        return _with(node, t.value if t.value is U or t.value is None else -t.value, (t,))

    return run


@TRACE.on(x.IfElse)
def _if_else(node: x.IfElse) -> Program:
    cond, then, otherwise = compile_node(node.cond), compile_node(node.then), compile_node(node.otherwise)

    def run(env: Env) -> Trace:
        c = cond(env)
        if c.value is U:
            return _with(node, U, (c,))
        branch = (then if c.value else otherwise)(env)
        return _with(node, branch.value, (c, branch))

    return run


@TRACE.on(x.Call)
def _call(node: x.Call) -> Program:
    f = node.func
    if f in ("known", "exists"):
        arg = compile_node(node.args[0])

        def run_presence(env: Env) -> Trace:
            t = arg(env)
            if f == "known":
                return Trace(node, t.value is not U, (t,), _EMPTY, t.presumed)
            return _with(node, U if t.value is U else t.value is not None, (t,))

        return run_presence
    if f in ("tiered", "lookup"):
        base = compile_node(node.args[0])
        pairs = tuple((compile_node(p.items[0]), compile_node(p.items[1])) for p in node.args[1:])  # type: ignore[attr-defined]
        combine = ops.tiered if f == "tiered" else ops.lookup

        def run_pairs(env: Env) -> Trace:
            b = base(env)
            evaluated = [(k(env), v(env)) for k, v in pairs]
            value = combine(b.value, [(k.value, v.value) for k, v in evaluated])
            return _with(node, value, (b, *(t for pair in evaluated for t in pair)))

        return run_pairs
    args = tuple(compile_node(a) for a in node.args)

    def run(env: Env) -> Trace:
        kids = tuple(a(env) for a in args)
        vals = [k.value for k in kids]
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
        return _with(node, value, kids)

    return run


@TRACE.on(x.Quantifier)
def _quantifier(node: x.Quantifier) -> Program:
    return quantifier(node, compile_node(node.body), compile_node(node.where) if node.where is not None else None)


def quantifier(node: x.Quantifier, body: Program, where: Program | None) -> Program:
    """The quantifier's closure over the programs of its body and filter (closures here, generated
    builders in :mod:`.builders`)."""
    func, list_path = node.func, node.list_path

    def run(env: Env) -> Trace:
        items = env.values.get(list_path, U)
        if items is U:
            return Trace(node, U, (), (list_path,))
        saved = env.item
        children: list[Trace] = []
        unknown: list[Trace] = []
        total: Any = Decimal(0)
        count = 0
        result: Any = None
        try:
            for item in items or ():
                env.item = item
                if where is not None:
                    w = where(env)
                    if w.value is not True:
                        if w.value is U:
                            unknown.append(w)
                        continue
                t = body(env)
                children.append(t)
                if t.value is U:
                    unknown.append(t)
                elif func == "sum":
                    if t.value is not None:
                        total += t.value
                elif func == "any" and t.value is True:
                    result = True
                    break
                elif func == "all" and t.value is False:
                    result = False
                    break
                elif func == "count" and t.value is True:
                    count += 1
        finally:
            env.item = saved
        if result is None:
            result = U if unknown else {"any": False, "all": True, "count": Decimal(count), "sum": total}[func]
        kids = tuple(children)
        missing = _merge(tuple(unknown), "missing") if result is U else _EMPTY
        return Trace(node, result, kids, missing, _presumed(kids))

    return run
