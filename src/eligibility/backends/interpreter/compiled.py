"""The fast decision path: a RuleSet compiled, per as_of, into one generated Python function.

The source is generated from the validated, typed model — never from rule text — and every
constant is passed in a table, never spliced into the code. Parameters are resolved at compile
time (they depend only on as_of), and so are the rules' in-force tests (generated like any node,
decided once per date): the rules not in force are left out. The function returns, for each rule
in scope, its status and amount with exactly the interpreter's semantics (tested differentially),
but without explanations.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from ...facts.derived import evaluate_derived
from ...facts.profile import registry
from ...facts.flatten import UNKNOWN, Facts
from ...facts.money import round_fen
from ..._cache import BoundedCache
from ...groups import NO_AMOUNT, winners
from ...lower import Finish, Lowered, lower, param_values, why_not_in_force
from ...model import expr as x
from ...model.dispatch import NodeTable
from ...model.rule import Rule, RuleSet
from ...results import Decision, OutOfScope, Status
from . import ops
from .evaluator import one_off, settle

U = UNKNOWN
ELIGIBLE, INELIGIBLE, UNDETERMINED, SUPERSEDED = (Status.ELIGIBLE, Status.INELIGIBLE, Status.UNDETERMINED,
                                                  Status.SUPERSEDED)


SOURCE: NodeTable[Callable[..., str]] = NodeTable("compiled", unsupported={x.Name}, inside={x.ListLit})
"""The generated-source translation of each node class (a method of :class:`SourceGen`)."""


SPLIT_LEVEL = 40
"""Nested nodes one generated function holds (each adds at most three brackets; Python allows 200)."""


class SourceGen:
    """Generates the source of one generated module: expressions and rule statements, with every
    constant bound to a global name (``self.consts``), never spliced into the text. The decision
    paths (whole rule set, one function per rule, the durable backend's) all build through it."""

    def __init__(self) -> None:
        self.consts: list[Any] = []
        self.n = 0
        self.helpers: list[str] = []  # functions holding the deep parts of expressions
        self.level = 0  # nodes open above the one being generated, in the current function

    def rule_statements(self, i: int, rule: Rule, as_of: date) -> list[str]:
        """Statements deciding rule ``i`` at ``as_of`` (its dated parameters bound); they append its
        decision to ``out`` or leave it out (out of scope)."""
        return _rule_source(i, lower(rule), param_values(rule, as_of) or {}, self)

    def module(self, source: str) -> str:
        """The whole generated module: the helper functions of deep expressions, then ``source``."""
        return "\n".join([*self.helpers, source])

    def define(self, source: str, filename: str) -> dict[str, Any]:
        """Execute the generated ``source`` with its helpers (names: :data:`_NAMESPACE` and the constants);
        its globals."""
        namespace = dict(_NAMESPACE, **{f"k{i}": c for i, c in enumerate(self.consts)})
        exec(compile(self.module(source), filename, "exec"), namespace)  # noqa: S102 - generated from the validated model
        return namespace

    def const(self, value: Any) -> str:
        """A global name bound to ``value`` (constants are never spliced into the source)."""
        for i, c in enumerate(self.consts):
            if c is value or (type(c) is type(value) and c == value and not isinstance(c, bool | type(None))):
                return f"k{i}"
        self.consts.append(value)
        return f"k{len(self.consts) - 1}"

    def tmp(self) -> str:
        self.n += 1
        return f"t{self.n}"

    def expr(self, node: x.Node, params: dict[str, Any], item: str | None = None) -> str:
        """The source of ``node``'s value; below :data:`SPLIT_LEVEL` nested nodes it moves into a helper
        function, so no generated function nests deeper than Python's parser allows (200 brackets)."""
        if self.level >= SPLIT_LEVEL:
            return self._helper(node, params, item)
        self.level += 1
        try:
            return SOURCE[type(node)](self, node, params, item)  # type: ignore[no-any-return]
        finally:
            self.level -= 1

    def _helper(self, node: x.Node, params: dict[str, Any], item: str | None) -> str:
        """A call of a new helper function returning ``node``'s value (it reads the facts, derived facts,
        as_of and the current list item, as the expression would)."""
        saved, self.level = self.level, 0
        body = self.expr(node, params, item)
        self.level = saved
        name = f"h{len(self.helpers)}"
        args = "g, d, a" if item is None else f"g, d, a, {item}"
        self.helpers.append(f"def {name}({args}):\n    return {body}")
        return f"{name}({args})"

    @SOURCE.on(x.Literal)
    def _Literal(self, node: x.Literal, params: dict[str, Any], item: str | None) -> str:
        v = node.value
        if v is None or isinstance(v, bool):
            return repr(v)
        return self.const(v)

    @SOURCE.on(x.Field)
    def _Field(self, node: x.Field, params: dict[str, Any], item: str | None) -> str:
        return f"g({node.path!r}, U)"

    @SOURCE.on(x.ItemField)
    def _ItemField(self, node: x.ItemField, params: dict[str, Any], item: str | None) -> str:
        return f"{item}.get({node.name!r}, U)"

    @SOURCE.on(x.Derived)
    def _Derived(self, node: x.Derived, params: dict[str, Any], item: str | None) -> str:
        return f"d({node.name!r})"

    @SOURCE.on(x.Param)
    def _Param(self, node: x.Param, params: dict[str, Any], item: str | None) -> str:
        return self.const(params[node.name])

    @SOURCE.on(x.AsOf)
    def _AsOf(self, node: x.AsOf, params: dict[str, Any], item: str | None) -> str:
        return "a"

    @SOURCE.on(x.Clause)
    def _Clause(self, node: x.Clause, params: dict[str, Any], item: str | None) -> str:
        return self.expr(node.item, params, item)

    @SOURCE.on(x.Compare)
    def _Compare(self, node: x.Compare, params: dict[str, Any], item: str | None) -> str:
        if len(node.ops) > 1:
            operands = ", ".join(self.expr(o, params, item) for o in node.operands)
            return f"chain(({operands},), {node.ops!r})"
        op = node.ops[0]
        left, right = node.operands
        a = self.expr(left, params, item)
        if isinstance(right, x.Literal) and right.value is not None:
            t = self.tmp()
            c = self.expr(right, params, item)
            if op in ("==", "!="):
                return f"(U if ({t} := {a}) is U else {t} {op} {c})"
            return f"(U if ({t} := {a}) is U else ({t} is not None and {t} {op} {c}))"
        b = self.expr(right, params, item)
        t1, t2 = self.tmp(), self.tmp()
        if op in ("==", "!="):
            return f"(U if ({t1} := {a}) is U or ({t2} := {b}) is U else {t1} {op} {t2})"
        return (f"(U if ({t1} := {a}) is U or ({t2} := {b}) is U else "
                f"({t1} is not None and {t2} is not None and {t1} {op} {t2}))")

    @SOURCE.on(x.InList)
    def _InList(self, node: x.InList, params: dict[str, Any], item: str | None) -> str:
        values = [self.expr(i, params, item) for i in node.items]
        if all(isinstance(i, x.Literal) for i in node.items):
            members = self.const(frozenset(i.value for i in node.items))  # type: ignore[attr-defined]
        else:
            members = f"({', '.join(values)},)"
        t = self.tmp()
        test = "not in" if node.negated else "in"
        return f"(U if ({t} := {self.expr(node.operand, params, item)}) is U else {t} {test} {members})"

    @SOURCE.on(x.Under)
    def _Under(self, node: x.Under, params: dict[str, Any], item: str | None) -> str:
        system = registry()[node.operand.path].type.code if isinstance(node.operand, x.Field) else None
        t = self.tmp()
        operand = self.expr(node.operand, params, item)
        if len(node.codes) == 1:
            c = self.const(node.codes[0])
            coarse = f"(U if {c}.startswith({t}) else False)" if system == "industry" else "False"
            call = (f"(U if ({t} := {operand}) is U else "
                    f"({t} is not None and (True if {t}.startswith({c}) else {coarse})))")
        else:
            call = f"under({operand}, {self.const(node.codes)}, {system!r})"
        if not node.negated:
            return call
        return f"(U if ({t} := {call}) is U else not {t})"

    @SOURCE.on(x.And, x.Or)
    def _junction(self, node: x.And | x.Or, params: dict[str, Any], item: str | None) -> str:
        """Three-valued and/or, short-cut on the deciding value (False for and, True for or): one flat
        test of the parts in order, however many there are."""
        decisive = isinstance(node, x.Or)
        temps = [self.tmp() for _ in node.items]
        parts = [self.expr(i, params, item) for i in node.items]
        tests = " or ".join(f"({t} := {p}) is {decisive}" for t, p in zip(temps, parts))
        unknown = " or ".join(f"{t} is U" for t in temps)
        return f"({decisive} if {tests} else (U if {unknown} else {not decisive}))"

    @SOURCE.on(x.Not)
    def _Not(self, node: x.Not, params: dict[str, Any], item: str | None) -> str:
        t = self.tmp()
        return f"(U if ({t} := {self.expr(node.item, params, item)}) is U else not {t})"

    @SOURCE.on(x.Arith)
    def _Arith(self, node: x.Arith, params: dict[str, Any], item: str | None) -> str:
        return f"arith({node.op!r}, {self.expr(node.left, params, item)}, {self.expr(node.right, params, item)})"

    @SOURCE.on(x.Neg)
    def _Neg(self, node: x.Neg, params: dict[str, Any], item: str | None) -> str:
        t = self.tmp()
        return f"(U if ({t} := {self.expr(node.item, params, item)}) is U or {t} is None else -{t})"

    @SOURCE.on(x.IfElse)
    def _IfElse(self, node: x.IfElse, params: dict[str, Any], item: str | None) -> str:
        t = self.tmp()
        return (f"(U if ({t} := {self.expr(node.cond, params, item)}) is U else "
                f"({self.expr(node.then, params, item)} if {t} else {self.expr(node.otherwise, params, item)}))")

    @SOURCE.on(x.Call)
    def _Call(self, node: x.Call, params: dict[str, Any], item: str | None) -> str:
        f = node.func
        if f == "known":
            return f"({self.expr(node.args[0], params, item)} is not U)"
        if f == "exists":
            t = self.tmp()
            return f"(U if ({t} := {self.expr(node.args[0], params, item)}) is U else {t} is not None)"
        if f in ("tiered", "lookup"):
            pairs = ", ".join(
                f"({self.expr(p.items[0], params, item)}, {self.expr(p.items[1], params, item)})"  # type: ignore[attr-defined]
                for p in node.args[1:])
            return f"{f}({self.expr(node.args[0], params, item)}, ({pairs},))"
        args = [self.expr(a, params, item) for a in node.args]
        if f == "within":
            return f"within({args[0]}, {args[1]}, a)"
        if f == "in_year":
            return f"in_year({args[0]}, a)"
        if f == "year":
            t = self.tmp()
            return f"(U if ({t} := {args[0]}) is U else None if {t} is None else Decimal({t}.year))"
        if f == "round_fen":
            return f"round_money({args[0]})"
        return f"minmax({f!r}, ({', '.join(args)},))"

    def first_item(self, node: x.Quantifier, params: dict[str, Any]) -> str:
        """The first item of the quantifier's list for which its body holds, or None."""
        it = f"it{self.n + 1}"
        self.n += 1
        return f"first_item(g({node.list_path!r}, U), lambda {it}: {self.expr(node.body, params, it)})"

    @SOURCE.on(x.Quantifier)
    def _Quantifier(self, node: x.Quantifier, params: dict[str, Any], item: str | None) -> str:
        it = f"it{self.n + 1}"
        self.n += 1
        body = f"lambda {it}: {self.expr(node.body, params, it)}"
        where = f"lambda {it}: {self.expr(node.where, params, it)}" if node.where is not None else "None"
        if node.func == "any":
            return f"exists_item(g({node.list_path!r}, U), {body})"
        return f"quantify({node.func!r}, g({node.list_path!r}, U), {body}, {where})"


def chain(values: Sequence[Any], ops_: Sequence[str]) -> Any:
    result: Any = True
    for op, a, b in zip(ops_, values, values[1:]):
        r = ops.compare(op, a, b)
        if r is False:
            return False
        if r is U:
            result = U
    return result


def quantify(func: str, items: Any, body: Callable[[Any], Any], where: Callable[[Any], Any] | None) -> Any:
    """any/all/count/sum over a list in three-valued logic (same as the explaining walk)."""
    if items is U:
        return U
    unknown = False
    total, count = Decimal(0), 0
    for item in items or ():
        if func == "sum":
            if where is not None:
                w = where(item)
                if w is not True:
                    unknown = unknown or w is U
                    continue
            v = body(item)
            if v is U:
                unknown = True
            elif v is not None:
                total += v
            continue
        v = body(item)
        if v is U:
            unknown = True
        elif func == "any" and v is True:
            return True
        elif func == "all" and v is False:
            return False
        elif func == "count" and v is True:
            count += 1
    if unknown:
        return U
    return {"any": False, "all": True, "count": Decimal(count), "sum": total}[func]


def exists_item(items: Any, body: Callable[[Any], Any]) -> Any:
    """``any(list, cond)``: true if one item holds, UNKNOWN if none holds but one is unknown."""
    if items is U:
        return U
    unknown = False
    for item in items:
        v = body(item)
        if v is True:
            return True
        if v is U:
            unknown = True
    return U if unknown else False


def first_item(items: Any, body: Callable[[Any], Any]) -> Any:
    """The first item for which ``body`` holds (None when none does, or the list is unknown)."""
    if items is U:
        return None
    for item in items:
        if body(item) is True:
            return item
    return None


def received(rule_id: str, finish: Finish, record: dict[str, Any], year: int) -> Decision:
    """The decision for a rule already received: ineligible, ranking in its group with what was
    received when that was in as_of's year."""
    this_year = None
    if record.get("year") == year:
        amount = finish.received_amount(record)
        this_year = amount if amount is not None else True
    return Decision(rule_id, INELIGIBLE, None, None, this_year)


def finish_amount(value: Any, cap: Any, index: Any, count: int, each_year: bool = False) -> Any:
    """Cap, then the instalment ``index`` of ``count`` due (each the whole amount with ``each_year``);
    returns the amount, U, None, or False (refused)."""
    if value is U or value is None:
        return value
    if cap is not None:
        value = ops.minmax("min", [value, cap])
        if value is U:
            return U
    if count == 0:
        return round_fen(value)
    if index is U or index is None:
        return U
    if not 1 <= index <= count:
        return False
    total = round_fen(value)
    if each_year:
        return total
    part = round_fen(total / count)
    return total - part * (count - 1) if index == count else part


_NAMESPACE: dict[str, Any] = {
    "U": U, "Decimal": Decimal, "chain": chain, "quantify": quantify, "received": received,
    "first_item": first_item,
    "finish_amount": finish_amount, "exists_item": exists_item, "Decision": Decision,
    "new": tuple.__new__, "under": ops.under, "arith": ops.arith, "within": ops.within,
    "in_year": ops.in_year, "tiered": ops.tiered, "lookup": ops.lookup, "minmax": ops.minmax,
    "round_money": ops.round_money, "ELIGIBLE": ELIGIBLE, "INELIGIBLE": INELIGIBLE, "UNDETERMINED": UNDETERMINED,
}


def _rule_source(i: int, low: Lowered, params: dict[str, Any], gen: SourceGen) -> list[str]:
    """Statements deciding rule ``i`` (its lowered form); they append its decision to ``out`` or skip it."""
    rule = low.rule
    lines = [f"    # {rule.id}", "    while True:"]
    body: list[str] = [f"if {gen.expr(node, params)} is not True: break" for node in low.scenarios]
    scope_unknown = []
    for k, node in enumerate(low.tests):
        body.append(f"s{k} = {gen.expr(node, params)}")
        body.append(f"if s{k} is False: break")
        scope_unknown.append(f"s{k} is U")
    body.append(f"c = {gen.expr(low.when, params)}")
    rid = gen.const(rule.id)
    # decisions are immutable: the ones that do not depend on the profile are shared constants
    no = gen.const(Decision(rule.id, INELIGIBLE, None))
    body.append(f"if c is False: out.append({no}); break")
    if scope_unknown:
        body.append(f"if {' or '.join(scope_unknown)}: c = U")
    f = low.finish
    if low.received is not None:
        body.append(f"r = {gen.first_item(low.received, params)}")
        body.append(f"if r is not None: out.append(received({rid}, {gen.const(f)}, r, a.year)); break")
    if f.amount is None or (isinstance(f.amount, x.Literal) and f.cap is None and not f.instalments):
        m = None if f.amount is None else round_fen(f.amount.value)  # type: ignore[attr-defined]
        yes, maybe = gen.const(Decision(rule.id, ELIGIBLE, m)), gen.const(Decision(rule.id, UNDETERMINED, m))
        body.append(f"out.append({maybe} if c is U else {yes}); break")
        return lines + ["        " + ln for ln in body]
    cap = gen.expr(f.cap, params) if f.cap is not None else "None"
    index = gen.expr(f.index, params) if f.index is not None else "None"
    body.append(f"m = finish_amount({gen.expr(f.amount, params)}, {cap}, {index}, {f.instalments}, {f.each_year})")
    body.append(f"if m is False: out.append({no}); break")
    body.append("if m is U: m = None")
    body.append(f"out.append(new(Decision, ({rid}, UNDETERMINED if c is U else ELIGIBLE, m, None, None, None))); break")
    return lines + ["        " + ln for ln in body]


class CompiledRules:
    """A RuleSet compiled to one generated decision function per as_of (cached)."""

    def __init__(self, rules: RuleSet, cache_size: int = 32) -> None:
        self.rules = rules
        self._functions: BoundedCache[date, tuple[Callable[..., list[Decision]], list[Rule]]] = BoundedCache(
            self._build, cache_size)
        self._by_id = dict(rules.items())
        self._grouped = any(r.group for r in rules.rules)
        self._uses_derived = any(
            isinstance(n, x.Derived) for r in rules.rules for root in lower(r).roots() for n in x.walk(root))

    def _generate(self, as_of: date) -> tuple[str, SourceGen, list[Rule]]:
        active = [r for r in self.rules.rules if in_force(r, as_of) is None]
        gen = SourceGen()
        src = ["def decide(g, d, a):", "    out = []"]
        for i, rule in enumerate(active):
            src += gen.rule_statements(i, rule, as_of)
        src.append("    return out")
        return "\n".join(src), gen, active

    def _build(self, as_of: date) -> tuple[Callable[..., list[Decision]], list[Rule]]:
        source, gen, active = self._generate(as_of)
        return gen.define(source, f"<eligibility rules as of {as_of}>")["decide"], active

    def function(self, as_of: date) -> tuple[Callable[..., list[Decision]], list[Rule]]:
        """The decision function for ``as_of`` and the rules it covers (those in force); built once
        per date and kept (a bounded cache, safe when threads share the Engine)."""
        return self._functions(as_of)

    def source(self, as_of: date) -> str:
        """The generated source for ``as_of`` (for auditing and debugging)."""
        source, gen, _ = self._generate(as_of)
        return gen.module(source)

    def decide(self, facts: Facts, as_of: date) -> list[Decision]:
        """Statuses and amounts of the rules in scope, with exclusive groups applied."""
        fn, _ = self._functions(as_of)
        derived = None
        if self._uses_derived:
            def derived(name: str) -> Any:
                return evaluate_derived(name, facts, as_of).value

        return resolve(fn(facts.values.get, derived, as_of), self._by_id, self._grouped, facts, as_of)

    def decider(self, as_of: date) -> Callable[[Any], list[Decision]]:
        """A closure deciding validated profiles at ``as_of``, with no per-call set-up."""
        fn, _ = self._functions(as_of)
        if self._uses_derived or self._grouped:
            return lambda profile: self.decide(profile.facts(), as_of)
        return lambda profile: fn(profile.facts().values.get, None, as_of)  # type: ignore[no-any-return]


@cache
def _in_force_test(node: x.Node) -> Callable[[date], Any]:
    """An in-force test generated into a function of as_of (once per distinct test: rules share them)."""
    gen = SourceGen()
    return gen.define(f"def dated(a):\n    return {gen.expr(node, {})}", "<eligibility in-force test>")["dated"]  # type: ignore[no-any-return]


def in_force(rule: Rule, as_of: date) -> OutOfScope | None:
    """Why ``rule`` is not in force at ``as_of`` on the compiled path, or None when it is."""
    return why_not_in_force(lower(rule), as_of, lambda node: _in_force_test(node)(as_of))


def rule_deciders(rules: Sequence[Rule], as_of: date) -> list[Callable[..., Decision | None]]:
    """One generated function ``(g, d, a)`` per rule (each in force at ``as_of``), deciding that rule
    alone before groups, or None when the firm is out of its scope: the entry point of incremental
    (reactive) evaluation, built from the same statements as the whole decision function."""
    gen = SourceGen()
    src: list[str] = []
    for i, rule in enumerate(rules):
        src += [f"def r{i}(g, d, a):", "    out = []", *gen.rule_statements(i, rule, as_of), "    return out[0] if out else None"]
    namespace = gen.define("\n".join(src), f"<eligibility rules as of {as_of}, one function each>")
    return [namespace[f"r{i}"] for i in range(len(rules))]


def resolve(raw: list[Decision], active: dict[str, Rule], grouped: bool, facts: Facts | None = None,
            as_of: date | None = None) -> list[Decision]:
    """Decisions with 就高不重复 applied (:func:`eligibility.groups.winners`, as every backend); with
    the firm's ``facts`` and ``as_of``, a group of one-off grants is settled across dates
    (:func:`.evaluator.settle`, as the interpreter)."""
    if not grouped:
        return raw
    groups: dict[str, list[Decision]] = {}
    contested: set[str] = set()
    for dec in raw:
        group = active[dec.rule_id].group
        if group and (dec.status is ELIGIBLE or dec.received is not None):
            groups.setdefault(group, []).append(dec)
            if dec.status is ELIGIBLE:
                contested.add(group)
    if not contested:
        return raw
    won: dict[str, str] = {}
    settled: dict[str, Decision] = {}
    for group in contested:
        members = groups[group]
        if facts is not None and as_of is not None and one_off(active[d.rule_id] for d in raw
                                                                if active[d.rule_id].group == group):
            settled.update(_settled(raw, active, group, facts, as_of))
            continue
        if len(members) == 1:  # no rival
            won[group] = members[0].rule_id
            continue
        amounts = [(d.amount if d.status is ELIGIBLE else d.received if isinstance(d.received, Decimal) else None)
                   for d in members]
        w = winners([active[d.rule_id] for d in members], [True] * len(members),
                    [NO_AMOUNT if a is None else a for a in amounts])
        won[group] = members[w].rule_id
    out = []
    for dec in raw:
        hit = settled.get(dec.rule_id)
        if hit is not None:
            out.append(hit)
            continue
        group = active[dec.rule_id].group
        win = won.get(group) if group else None
        if win is not None and dec.status is ELIGIBLE and win != dec.rule_id:
            out.append(dec._replace(status=SUPERSEDED, superseded_by=win))
        else:
            out.append(dec)
    return out


def _settled(raw: list[Decision], active: dict[str, Rule], group: str, facts: Facts, as_of: date
             ) -> dict[str, Decision]:
    """The changed decisions of one group of one-off grants, by rule id."""
    members = [d for d in raw if active[d.rule_id].group == group]
    s = settle([active[d.rule_id] for d in members], [d.status is ELIGIBLE for d in members],
               [d.amount for d in members], facts, as_of)
    out = {members[i].rule_id: members[i]._replace(status=SUPERSEDED, superseded_by=by.id)
           for i, by in s.superseded.items()}
    if s.amount is not None:
        d = members[s.paid]
        out[d.rule_id] = d._replace(amount=s.amount, topped_up=s.deducted)
    return out
