"""Each rule's rule-level semantics lowered once to core expression nodes, plus one small finish.

A backend decides a rule in the same few steps: is it in force at as_of (its effective period, a
value of every parameter)? Is the firm in scope (the matters it concerns, its region — or, for a
procurement measure, the region where the matter is held — and its development zone)? Do its
conditions hold? Was it already received (a one-off in any year, an instalment in as_of's year)?
What is paid (the amount, capped, the instalment due)? Everything but the last step is an ordinary
node of :mod:`eligibility.model.expr`, built here once per rule, so a backend only translates nodes
and applies the :class:`Finish`; none re-derives period, scope or receipt from the rule.

The in-force tests read as_of alone: a backend translates them like any node and decides them once
per date (:func:`why_not_in_force`, given the backend's value of each test), as it binds the parameter
values of that date (:func:`param_values`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from .facts.flatten import UNKNOWN
from .model import expr as x
from .model.rule import Rule
from .reads import node_reads
from .results import OutOfScope

RECEIVED = "benefits_received"


@dataclass(frozen=True, slots=True)
class Finish:
    """What an eligible firm is paid, as declared by the rule: the amount (capped), its kind, the
    instalments it is paid in, and whether it is paid once only."""

    amount: x.Node | None
    kind: str
    cap: x.Node | None = None
    once: bool = False
    instalments: int = 0  # 0: paid at once; n: n yearly parts
    start: x.Node | None = None  # the triggering event's date (year 1 of the instalments)
    start_text: str | None = None  # how the writer named it (shown when it is missing)
    index: x.Node | None = None  # which instalment falls due in as_of's year (1-based)
    each_year: bool = False  # every instalment is the whole amount (at most ``instalments`` years)

    @property
    def fixed(self) -> Decimal | None:
        """The amount when the rule fixes it (what a receipt without an amount is taken to be)."""
        a = self.amount
        return a.value if isinstance(a, x.Literal) and isinstance(a.value, Decimal) else None

    def received_amount(self, record: dict[str, Any]) -> Decimal | None:
        """What a ``benefits_received`` record says was paid, else the fixed amount, else None."""
        amount = record.get("amount")
        return Decimal(amount) if amount is not None else self.fixed


@dataclass(frozen=True, slots=True)
class Dated:
    """A test of as_of alone that a rule must pass to be in force: its effective ``period``, or a value
    of every one of its ``params`` on that date; and what is said of a date that fails it."""

    node: x.Node
    kind: str  # "period" | "params"

    def not_in_force(self, rule: Rule, as_of: date) -> OutOfScope:
        """Why ``rule`` is left out at ``as_of`` when this test fails there."""
        if self.kind == "period":
            return OutOfScope(rule, f"{as_of} 不在施行期（{rule.effective.describe()}）内",
                              f"{as_of} is outside its effective period ({rule.effective.describe('en')})")
        return OutOfScope(rule, f"{as_of} 没有适用的参数取值（该期政策未施行）",
                          f"no parameter value applies on {as_of} (not in force then)")


@dataclass(frozen=True, slots=True)
class Lowered:
    """One rule as core nodes: in-force tests, scope tests, its condition, the receipt test, and its finish.

    ``dated``: the tests of as_of that must all be true for the rule to be in force (the period first).
    Scope: every ``scenarios`` node must be true (a matter absent from the profile puts the firm out
    of scope, never undetermined); ``region`` and ``zone`` put it out of scope when false and make
    the rule undetermined when unknown. ``received`` is ``any(benefits_received, …)``: true when a
    receipt blocks the rule (its body, read on one record, says which record).
    """

    rule: Rule
    dated: tuple[Dated, ...]
    scenarios: tuple[x.Node, ...]
    region: x.Node | None
    zone: x.Node | None
    when: x.Node
    received: x.Quantifier | None
    finish: Finish

    @property
    def scoped(self) -> bool:
        return bool(self.scenarios) or self.region is not None or self.zone is not None

    @property
    def tests(self) -> tuple[x.Node, ...]:
        """The region and zone tests (false: out of scope; unknown: undetermined), in that order."""
        return tuple(n for n in (self.region, self.zone) if n is not None)

    def roots(self) -> Iterator[x.Node]:
        """Every node the rule's decision of a firm reads (the in-force tests, decided per date, apart)."""
        f = self.finish
        for node in (*self.scenarios, self.region, self.zone, self.when, self.received, f.amount, f.cap, f.index):
            if node is not None:
                yield node

    def reads(self) -> frozenset[str]:
        """The flat-fact paths the decision reads: fields, lists, and the raw fields of derived facts."""
        return frozenset(node_reads(self.roots()))

    def reads_as_of(self) -> bool:
        """Can the decision change with as_of alone? (A receipt of as_of's year also ranks in groups.)"""
        if self.received is not None:
            return True
        return any(isinstance(n, x.AsOf | x.Derived) or (isinstance(n, x.Call) and n.func in ("within", "in_year"))
                   for root in self.roots() for n in x.walk(root))

    def may_apply(self, region: Any, zone: Any) -> bool:
        """Can a firm with this region code and zone be in scope? (A quick, conservative test: the
        rule's own nodes decide exactly; a rule judged where its matter is held is not filtered.)"""
        j = self.rule.jurisdiction
        if j.prefix and not j.by and region is not UNKNOWN and not (region is not None and region.startswith(j.prefix)):
            return False
        return not (j.development_zone and zone is not UNKNOWN and zone != j.development_zone)


def _region(field: str, prefix: str) -> x.Under:
    return x.Under(x.Field(field), (prefix,))


@cache
def _region_test(prefix: str, by: str | None) -> x.Node:
    """The region test of a jurisdiction (one node per jurisdiction, shared by its rules)."""
    firm = _region("region_code", prefix)
    if by is None:
        return firm
    path = f"scenario.{by}.region_code"
    held = x.And((x.Call("known", (x.Field(path),)), x.Call("exists", (x.Field(path),))))
    return x.IfElse(held, _region(path, prefix), firm)


@cache
def _within(start: date | None, end: date | None) -> x.Node:
    """``start <= as_of <= end`` (one end may be open), one node per pair of dates, shared by its rules."""
    operands: list[x.Node] = [x.AsOf()]
    if start is not None:
        operands.insert(0, x.Literal(start))
    if end is not None:
        operands.append(x.Literal(end))
    return x.Compare(tuple(operands), ("<=",) * (len(operands) - 1))


def _dated_tests(rule: Rule) -> tuple[Dated, ...]:
    """The effective period, then the dates on which every parameter has a value (from the latest
    first value to the earliest end): :meth:`Parameter.at <eligibility.model.rule.Parameter.at>`."""
    out = []
    period = rule.effective
    if period.start is not None or period.end is not None:
        out.append(Dated(_within(period.start, period.end), "period"))
    params = rule.params.values()
    if params:
        if all(p.values for p in params):
            ends = [p.end for p in params if p.end is not None]
            node = _within(max(p.values[0].start for p in params), min(ends) if ends else None)
        else:
            node = x.Literal(False)
        out.append(Dated(node, "params"))
    return tuple(out)


@cache
def _zone_test(zone: str) -> x.Node:
    return x.Compare((x.Field("development_zone"), x.Literal(zone)), ("==",))


@cache
def _scenario_test(name: str) -> x.Node:
    return x.Compare((x.Field(f"scenario.{name}"), x.Literal(True)), ("==",))


def _received_test(rule: Rule) -> x.Quantifier | None:
    """``any(benefits_received, rule_id == id [and year == year(as_of)])``: a one-off counts in any
    year, an instalment only in as_of's year."""
    b = rule.benefit
    if not (b.once or b.schedule):
        return None
    same = x.Compare((x.ItemField(RECEIVED, "rule_id"), x.Literal(rule.id)), ("==",))
    if not b.once:
        year = x.Compare((x.ItemField(RECEIVED, "year"), x.Call("year", (x.AsOf(),))), ("==",))
        same = x.And((same, year))  # type: ignore[assignment]
    return x.Quantifier("any", RECEIVED, same)


def _finish(rule: Rule) -> Finish:
    b = rule.benefit
    s = b.schedule
    if s is None:
        return Finish(b.amount, b.kind, b.cap, b.once)
    year = x.Call("year", (s.start,))
    index = x.Arith("+", x.Arith("-", x.Call("year", (x.AsOf(),)), year), x.Literal(Decimal(1)))
    return Finish(b.amount, b.kind, b.cap, b.once, s.count, s.start, s.start_text, index, s.each_year)


_LOWERED: dict[int, tuple[Rule, Lowered]] = {}  # by the rule object (rules of equal content stay apart)


def lower(rule: Rule) -> Lowered:
    """The rule as core nodes, built once per rule object (the Engine's compiled path lowers every
    rule when it is built). The entry keeps its rule alive, so an id is never reused; two threads
    lowering one rule at once build equal values, either of which is kept."""
    hit = _LOWERED.get(id(rule))
    if hit is not None and hit[0] is rule:
        return hit[1]
    low = _lower(rule)
    _LOWERED[id(rule)] = (rule, low)
    return low


def _lower(rule: Rule) -> Lowered:
    j = rule.jurisdiction
    return Lowered(
        rule,
        _dated_tests(rule),
        tuple(_scenario_test(name) for name in sorted(rule.scenarios)),
        _region_test(j.prefix, j.by) if j.prefix else None,
        _zone_test(j.development_zone) if j.development_zone else None,
        rule.when,
        _received_test(rule),
        _finish(rule),
    )


def param_values(rule: Rule, as_of: date) -> dict[str, Any] | None:
    """The rule's parameters at as_of; None when one has no value then (the rule is not in force)."""
    values: dict[str, Any] = {}
    for name, param in rule.params.items():
        pv = param.at(as_of)
        if pv is None:
            return None
        values[name] = pv.value.value  # type: ignore[attr-defined]
    return values


def why_not_in_force(low: Lowered, as_of: date, holds: Callable[[x.Node], Any]) -> OutOfScope | None:
    """None when the rule is in force at as_of, else why not: its first in-force test whose value at
    as_of (``holds``, the backend's translation of the node) is not true."""
    for test in low.dated:
        if holds(test.node) is not True:
            return test.not_in_force(low.rule, as_of)
    return None
