"""The explaining evaluator generated: one Python function per condition that builds its traces inline.

The closures of :mod:`.trace` are the reference; a builder makes the same traces (same nodes, values,
missing and presumed facts, notes, clauses) as straight-line code — every node's value computed in
place, its constants and missing-fact tuples bound when the function is generated (as globals, never
spliced into the text), no call per node. Nodes it does not write out (the loop over a list's items,
chained comparisons, ``in``, ``if`` nested deeper than :data:`BLOCK_LEVEL`) run their reference
closure from the generated code (a list's loop calls the builders of its body and filter). Tested
equal to the closures on random expressions and profiles."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from ...facts.derived import evaluate_derived
from ...facts.profile import registry
from ...facts.flatten import UNKNOWN
from ...model import expr as x
from ...model.dispatch import NodeTable
from ...results import Trace
from . import ops
from .trace import (Env, Program, _ancestors, _FieldCompareTrace, _is_field_compare, _missing, _presumed, compile_node,
                    quantifier)

U = UNKNOWN
_EMPTY: tuple[str, ...] = ()

BLOCK_LEVEL = 8
"""``if`` blocks one builder nests (an ``if`` node's branches are evaluated only when taken); deeper
ones run their reference closure (Python allows 100 levels of indentation)."""

_COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">="})
_ARITH = frozenset({"+", "-", "*", "/"})

BUILD: NodeTable[Callable[..., tuple[str, str]]] = NodeTable(
    "trace builder", unsupported={x.Name}, inside={x.ListLit})
"""How each node class is written out (a method of :class:`BuilderGen` returning the names of its
trace and value)."""


def _pair_missing(a: Trace, b: Trace) -> tuple[str, ...]:
    """A comparison's missing facts: the left's, then the right's not already named."""
    return a.missing + tuple(m for m in b.missing if m not in a.missing) if a.missing else b.missing


_NAMESPACE: dict[str, Any] = {
    "U": U, "E": _EMPTY, "T": Trace, "FCT": _FieldCompareTrace, "new": object.__new__, "Decimal": Decimal,
    "_missing": _missing, "_presumed": _presumed, "_pair_missing": _pair_missing, "evaluate_derived": evaluate_derived,
    "arith": ops.arith, "under": ops.under, "within": ops.within, "in_year": ops.in_year,
    "minmax": ops.minmax, "round_money": ops.round_money, "tiered": ops.tiered, "lookup": ops.lookup,
}


class BuilderGen:
    """The source of one builder: statements computing each node's trace (``t<n>``) and value
    (``v<n>``), with every constant bound to a global name (``k<n>``). ``pr`` records that a trace
    with presumed facts was made, so merging presumptions is skipped while none was."""

    def __init__(self) -> None:
        self.consts: list[Any] = []
        self.named: dict[int, str] = {}
        self.lines: list[str] = []
        self.n = 0
        self.indent = 1

    def const(self, value: Any) -> str:
        """A global name bound to ``value`` (by identity: nodes and traces are never merged)."""
        name = self.named.get(id(value))
        if name is None:
            name = self.named[id(value)] = f"k{len(self.consts)}"
            self.consts.append(value)  # kept alive with its name, so its id is not reused
        return name

    def emit(self, line: str) -> None:
        self.lines.append("    " * self.indent + line)

    def names(self) -> tuple[str, str]:
        self.n += 1
        return f"t{self.n}", f"v{self.n}"

    def node(self, node: x.Node) -> tuple[str, str]:
        """Statements computing ``node``'s trace; the names of the trace and of its value."""
        return BUILD[type(node)](self, node)  # type: ignore[no-any-return]

    def opaque(self, program: Program) -> tuple[str, str]:
        """A trace made by a closure called from the builder."""
        t, v = self.names()
        self.emit(f"{t} = {self.const(program)}(env)")
        self.emit(f"{v} = {t}.value")
        self.emit(f"if {t}.presumed: pr = True")
        return t, v

    def fallback(self, node: x.Node) -> tuple[str, str]:
        """The node's reference closure, called from the builder."""
        return self.opaque(compile_node(node))

    def with_(self, t: str, node: str, v: str, kids: str, alone: str | None = None) -> None:
        """``t = Trace(node, v, kids, ...)`` with the children's missing (when unknown) and presumed facts
        (``alone``: the only child, whose missing facts are its parent's as they are)."""
        c = f"c{self.n}"
        self.emit(f"{c} = {kids}")
        missing = f"{alone}.missing" if alone is not None else f"_missing({c})"
        self.emit(self.trace(t, node, v, c, f"{missing} if {v} is U else E", f"_presumed({c}) if pr else E"))

    @staticmethod
    def once_each(*nodes: x.Node) -> bool:
        """Do these nodes' traces name each missing fact once? Every trace does but a derived fact's,
        whose missing facts are its own (merging them with the reference's ``_missing`` can be skipped)."""
        return not any(isinstance(n, x.Derived) for node in nodes for n in x.walk(node))

    @staticmethod
    def merged(a: str, b: str) -> str:
        """The missing facts of two children that each name a fact once (what ``_missing`` gives)."""
        return (f"(_missing(({a}, {b})) if {a}.missing and {b}.missing and {a}.missing != {b}.missing "
                f"else {a}.missing or {b}.missing)")

    @staticmethod
    def trace(t: str, node: str, value: str, kids: str = "()", missing: str = "E", presumed: str = "E",
              note: str = "None") -> str:
        """Statements making ``t`` a :class:`Trace` slot by slot (what its ``__init__`` does, without a
        Python call per trace; the arguments may not read ``t``)."""
        return (f"{t} = new(T); {t}.node = {node}; {t}.value = {value}; {t}.children = {kids}; "
                f"{t}.missing = {missing}; {t}.presumed = {presumed}; {t}.note = {note}; {t}.clause = None")

    @staticmethod
    def compared(t: str, node: str, value: str, missing: str, presumed: str, field_value: str, constant: str,
                 clause: str) -> str:
        """Statements making ``t`` the trace of ``field op constant`` slot by slot (its ``__init__``)."""
        return (f"{t} = new(FCT); {t}.node = {node}; {t}.value = {value}; {t}.missing = {missing}; "
                f"{t}.presumed = {presumed}; {t}.note = None; {t}.clause = {clause}; "
                f"{t}._field_value = {field_value}; {t}._constant = {constant}")

    def missing(self, path: str) -> str:
        """The fact to supply when ``path`` is unknown (as :func:`.trace.missing_fact`): its outermost
        record not in the values, else itself — each a tuple bound when generated."""
        out = self.const((path,))
        for record in reversed(_ancestors(path)):
            out = f"({self.const((record,))} if {self.const(record)} not in V else {out})"
        return out

    @BUILD.on(x.Literal)
    def _literal(self, node: x.Literal) -> tuple[str, str]:
        trace = compile_node(node)(None)  # type: ignore[arg-type]  # the shared, never-mutated trace
        t = self.const(trace)
        return t, self.const(node.value) if not isinstance(node.value, bool | type(None)) else repr(node.value)

    @BUILD.on(x.Field)
    def _field(self, node: x.Field) -> tuple[str, str]:
        t, v = self.names()
        path, k = node.path, self.const(node)
        p = self.const(path)
        self.emit(f"{v} = V.get({p}, U)")
        self.emit(f"if {v} is U: " + self.trace(t, k, "U", missing=self.missing(path)))
        self.emit(f"elif {p} in P: " + self.trace(t, k, v, presumed=self.const((path,))) + "; pr = True")
        self.emit("elif A: " + self.trace(t, k, v, note=f"A.get({p})"))
        self.emit("else: " + self.trace(t, k, v))
        return t, v

    @BUILD.on(x.ItemField)
    def _item_field(self, node: x.ItemField) -> tuple[str, str]:
        t, v = self.names()
        k, name = self.const(node), self.const(node.name)
        self.emit(f"{v} = I.get({name}, U) if I is not None else U")
        self.emit(f"if {v} is U: " + self.trace(t, k, "U", missing=self.const((f"{node.list_path}[].{node.name}",))))
        self.emit("else: " + self.trace(t, k, v))
        return t, v

    @BUILD.on(x.Derived)
    def _derived(self, node: x.Derived) -> tuple[str, str]:
        t, v = self.names()
        d = f"d{self.n}"
        self.emit(f"{d} = evaluate_derived({self.const(node.name)}, env.facts, env.as_of)")
        self.emit(f"{v} = {d}.value")
        self.emit(self.trace(t, self.const(node), v, missing=f"{d}.missing if {v} is U else E", note=d))
        return t, v

    @BUILD.on(x.Param)
    def _param(self, node: x.Param) -> tuple[str, str]:
        t, v = self.names()
        self.emit(f"{v} = env.params.get({self.const(node.name)}, U)")
        self.emit(self.trace(t, self.const(node), v))
        return t, v

    @BUILD.on(x.AsOf)
    def _as_of(self, node: x.AsOf) -> tuple[str, str]:
        t, v = self.names()
        self.emit(f"{v} = env.as_of")
        self.emit(self.trace(t, self.const(node), v))
        return t, v

    def _field_compare(self, node: x.Compare, clause: x.Clause | None) -> tuple[str, str]:
        """``field op constant`` in one trace (as :func:`.trace._field_compare`)."""
        t, v = self.names()
        path = node.operands[0].path  # type: ignore[attr-defined]
        constant = compile_node(node.operands[1])(None)  # type: ignore[arg-type]
        op, bound = node.ops[0], constant.value
        assert op in _COMPARISONS
        k, c, p, cl = self.const(node), self.const(constant), self.const(path), self.const(clause)
        lost = self.missing(path)
        f = f"f{self.n}"
        self.emit(f"{f} = V.get({p}, U)")
        self.emit(f"if {f} is U: {v} = U; " + self.compared(t, k, "U", lost, "E", "U", c, cl))
        self.emit("else:")
        self.indent += 1
        if op in ("==", "!="):
            self.emit(f"{v} = {f} {op} {self.const(bound)}")
        elif bound is None:
            self.emit(f"{v} = False")
        else:
            self.emit(f"{v} = {f} is not None and {f} {op} {self.const(bound)}")
        self.emit(f"if {p} in P: " + self.compared(t, k, v, "E", self.const((path,)), f, c, cl) + "; pr = True")
        self.emit("else: " + self.compared(t, k, v, "E", "E", f, c, cl))
        self.indent -= 1
        return t, v

    @BUILD.on(x.Compare)
    def _compare(self, node: x.Compare) -> tuple[str, str]:
        if len(node.ops) != 1:
            return self.fallback(node)
        if _is_field_compare(node):
            return self._field_compare(node, None)
        (ta, va), (tb, vb) = self.node(node.operands[0]), self.node(node.operands[1])
        t, v = self.names()
        op, k = node.ops[0], self.const(node)
        assert op in _COMPARISONS
        kids = f"({ta}, {tb})"
        self.emit(f"if {va} is U or {vb} is U: {v} = U; " + self.trace(
            t, k, "U", kids, f"_pair_missing({ta}, {tb})", f"_presumed({kids}) if pr else E"))
        self.emit("else:")
        self.indent += 1
        if op in ("==", "!="):
            self.emit(f"{v} = {va} {op} {vb}")
        else:
            self.emit(f"{v} = {va} is not None and {vb} is not None and {va} {op} {vb}")
        presumed = f"(({ta}.presumed or {tb}.presumed) and _presumed({kids})) if pr else E"
        self.emit(self.trace(t, k, v, kids, "E", presumed))
        self.indent -= 1
        return t, v

    @BUILD.on(x.InList)
    def _in_list(self, node: x.InList) -> tuple[str, str]:
        return self.fallback(node)

    @BUILD.on(x.Under)
    def _under(self, node: x.Under) -> tuple[str, str]:
        to, vo = self.node(node.operand)
        t, v = self.names()
        system = registry()[node.operand.path].type.code if isinstance(node.operand, x.Field) else None
        self.emit(f"{v} = under({vo}, {self.const(node.codes)}, {self.const(system)})")
        if node.negated:
            self.emit(f"if {v} is not U: {v} = not {v}")
        self.with_(t, self.const(node), v, f"({to},)", to if self.once_each(node.operand) else None)
        return t, v

    @BUILD.on(x.And, x.Or)
    def _junction(self, node: x.And | x.Or) -> tuple[str, str]:
        parts = [self.node(i) for i in node.items]  # every part (no short cut): all failing ones are named
        t, v = self.names()
        decisive = isinstance(node, x.Or)
        k, kids = self.const(node), f"({', '.join(p[0] for p in parts)},)"
        c = f"c{self.n}"
        self.emit(f"{c} = {kids}")
        self.emit(f"if {' or '.join(f'{pv} is {decisive}' for _, pv in parts)}: "
                  f"{v} = {decisive}; " + self.trace(t, k, v, c, "E", f"_presumed({c}) if pr else E"))
        self.emit(f"elif {' or '.join(f'{pv} is U' for _, pv in parts)}: "
                  f"{v} = U; " + self.trace(t, k, v, c, f"_missing({c})", f"_presumed({c}) if pr else E"))
        self.emit(f"else: {v} = {not decisive}; " + self.trace(t, k, v, c, "E", f"_presumed({c}) if pr else E"))
        return t, v

    @BUILD.on(x.Not)
    def _not(self, node: x.Not) -> tuple[str, str]:
        ti, vi = self.node(node.item)
        t, v = self.names()
        self.emit(f"{v} = U if {vi} is U else not {vi}")
        self.with_(t, self.const(node), v, f"({ti},)", ti if self.once_each(node.item) else None)
        return t, v

    @BUILD.on(x.Clause)
    def _clause(self, node: x.Clause) -> tuple[str, str]:
        if _is_field_compare(node.item):
            return self._field_compare(node.item, node)  # type: ignore[arg-type]
        t, v = self.node(node.item)
        if isinstance(node.item, x.Literal):  # literal traces are shared: mark a copy
            shared = t
            t, _ = self.names()
            self.emit(self.trace(t, f"{shared}.node", f"{shared}.value"))
        self.emit(f"{t}.clause = {self.const(node)}")
        return t, v

    @BUILD.on(x.Arith)
    def _arith(self, node: x.Arith) -> tuple[str, str]:
        (ta, va), (tb, vb) = self.node(node.left), self.node(node.right)
        t, v = self.names()
        assert node.op in _ARITH
        k, kids, p = self.const(node), f"({ta}, {tb})", f"p{self.n}"
        divisor = x.read_facts(node.right) if node.op == "/" else ()
        self.emit(f"{p} = (({ta}.presumed or {tb}.presumed) and _presumed({kids})) if pr else E")
        missing = self.merged(ta, tb) if self.once_each(node.left, node.right) else f"_missing({kids})"
        self.emit(f"if {va} is U or {vb} is U: {v} = U; " + self.trace(t, k, "U", kids, missing, p))
        self.emit("else:")
        self.indent += 1
        self.emit(f"{v} = arith({node.op!r}, {va}, {vb})")
        lost = f"{self.const(divisor)} or {missing}" if divisor else missing
        self.emit(f"if {v} is U: " + self.trace(t, k, "U", kids, lost, p))
        self.emit("else: " + self.trace(t, k, v, kids, "E", p))
        self.indent -= 1
        return t, v

    @BUILD.on(x.Neg)
    def _neg(self, node: x.Neg) -> tuple[str, str]:
        ti, vi = self.node(node.item)
        t, v = self.names()
        self.emit(f"{v} = {vi} if {vi} is U or {vi} is None else -{vi}")
        self.with_(t, self.const(node), v, f"({ti},)", ti if self.once_each(node.item) else None)
        return t, v

    @BUILD.on(x.IfElse)
    def _if_else(self, node: x.IfElse) -> tuple[str, str]:
        if self.indent > BLOCK_LEVEL:
            return self.fallback(node)
        tc, vc = self.node(node.cond)
        t, v = self.names()
        k = self.const(node)
        self.emit(f"if {vc} is U: {v} = U; " + self.trace(t, k, "U", f"({tc},)", f"_missing(({tc},))",
                                                          f"_presumed(({tc},)) if pr else E"))
        for head, branch in ((f"elif {vc}:", node.then), ("else:", node.otherwise)):
            self.emit(head)
            self.indent += 1
            tb, vb = self.node(branch)
            self.emit(f"{v} = {vb}")
            self.with_(t, k, v, f"({tc}, {tb})")
            self.indent -= 1
        return t, v

    @BUILD.on(x.Call)
    def _call(self, node: x.Call) -> tuple[str, str]:
        f = node.func
        if f in ("tiered", "lookup"):
            return self._pairs(node)
        args = [self.node(a) for a in node.args]
        t, v = self.names()
        k, kids = self.const(node), f"({', '.join(a[0] for a in args)},)"
        if f == "known":
            self.emit(f"{v} = {args[0][1]} is not U")
            self.emit(self.trace(t, k, v, kids, "E", f"{args[0][0]}.presumed"))
            return t, v
        vals = [a[1] for a in args]
        if f == "exists":
            self.emit(f"{v} = U if {vals[0]} is U else {vals[0]} is not None")
        elif f == "within":
            self.emit(f"{v} = within({vals[0]}, {vals[1]}, env.as_of)")
        elif f == "in_year":
            self.emit(f"{v} = in_year({vals[0]}, env.as_of)")
        elif f == "year":
            self.emit(f"{v} = U if {vals[0]} is U else None if {vals[0]} is None else Decimal({vals[0]}.year)")
        elif f == "round_fen":
            self.emit(f"{v} = round_money({vals[0]})")
        else:
            assert f in ("min", "max")
            self.emit(f"{v} = minmax({f!r}, [{', '.join(vals)}])")
        self.with_(t, k, v, kids, args[0][0] if len(args) == 1 and self.once_each(*node.args) else None)
        return t, v

    def _pairs(self, node: x.Call) -> tuple[str, str]:
        """``tiered``/``lookup``: the base, then each pair's two items, all children of one trace."""
        base = self.node(node.args[0])
        pairs = [(self.node(p.items[0]), self.node(p.items[1])) for p in node.args[1:]]  # type: ignore[attr-defined]
        t, v = self.names()
        values = ", ".join(f"({a[1]}, {b[1]})" for a, b in pairs)
        kids = ", ".join([base[0], *(f"{a[0]}, {b[0]}" for a, b in pairs)])
        self.emit(f"{v} = {node.func}({base[1]}, [{values}])")
        self.with_(t, self.const(node), v, f"({kids},)")
        return t, v

    @BUILD.on(x.Quantifier)
    def _quantifier(self, node: x.Quantifier) -> tuple[str, str]:
        where = builder(node.where) if node.where is not None else None
        return self.opaque(quantifier(node, builder(node.body), where))

    def function(self, node: x.Node) -> Program:
        """The builder of ``node``: a generated function of the :class:`Env`."""
        t, _ = self.node(node)
        self.emit(f"return {t}")
        built: Program = self.define("build(env)", f"<eligibility trace builder of {type(node).__name__}>")
        return built

    def define(self, signature: str, filename: str, names: dict[str, Any] | None = None) -> Callable[..., Any]:
        """The generated function ``signature`` (reading ``env``) whose body is the statements emitted,
        its globals the builders' helpers, ``names`` and the constants."""
        head = [f"def {signature}:", "    V = env.values; P = env.presumed; A = env.facts.attested; I = env.item",
                "    pr = False"]
        namespace = dict(_NAMESPACE, **(names or {}), **{f"k{i}": c for i, c in enumerate(self.consts)})
        code = compile("\n".join([*head, *self.lines]), filename, "exec")
        exec(code, namespace)  # noqa: S102 - generated from the validated model
        return namespace[signature.split("(")[0]]  # type: ignore[no-any-return]


_LOCK = threading.RLock()  # a quantifier's builder generates its body's; a rule's function, its conditions'
_T = TypeVar("_T")
_R = TypeVar("_R")


def generated(make: Callable[[_T], _R]) -> Callable[[_T], _R]:
    """``make`` run once per object (by identity; the object is kept alive with what was made, so its
    id is never reused), under one lock for every generated function: one thread generates while the
    others wait."""
    made: dict[int, tuple[_T, _R]] = {}

    @functools.wraps(make)
    def get(obj: _T) -> _R:
        hit = made.get(id(obj))
        if hit is not None and hit[0] is obj:
            return hit[1]
        with _LOCK:
            hit = made.get(id(obj))
            if hit is None or hit[0] is not obj:
                hit = made[id(obj)] = (obj, make(obj))
            return hit[1]

    return get


@generated
def builder(node: x.Node) -> Program:
    """The generated builder of ``node``'s trace (generated once per node and kept)."""
    return BuilderGen().function(node)


def build(node: x.Node, env: Env) -> Trace:
    """``node``'s trace on ``env``, by its generated builder."""
    return builder(node)(env)
