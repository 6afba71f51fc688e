"""Condition coverage of rule tests: which outcomes (true / false / unknown) of each written
condition the rule's own tests exercised.

A condition that cannot be unknown (it reads only presumed facts, or asks ``known(...)``) is
not expected to be; a condition that reads no data at all is expected neither true nor false.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from ..engine import Engine
from ..errors import EligibilityError
from ..explain import clauses, describe
from ..facts.profile import registry
from ..facts.flatten import UNKNOWN
from ..model import expr as x
from ..model.dispatch import NodeTable
from ..model.rule import Rule, RuleSet

OUTCOMES = ("true", "false", "unknown")


UNKNOWABLE: NodeTable[Callable[[x.Node], bool]] = NodeTable("coverage")
"""Whether some profile could leave a node of each class unknown."""


def can_be_unknown(node: x.Node) -> bool:
    """Whether some profile could leave this expression unknown."""
    return UNKNOWABLE(node)  # type: ignore[no-any-return]


@UNKNOWABLE.on(x.Field)
def _field_unknowable(node: x.Field) -> bool:
    spec = registry().get(node.path)
    return spec is None or spec.presume is None or "." in node.path


@UNKNOWABLE.on(x.Derived, x.ItemField, x.Quantifier)
def _always_unknowable(node: x.Node) -> bool:
    return True


@UNKNOWABLE.on(x.Call)
def _call_unknowable(node: x.Call) -> bool:
    return node.func != "known" and _any_unknowable(node)


@UNKNOWABLE.on(x.Literal, x.Name, x.Param, x.AsOf, x.Compare, x.InList, x.Under, x.And, x.Or, x.Not, x.Arith, x.Neg,
               x.IfElse, x.ListLit, x.Clause)
def _any_unknowable(node: x.Node) -> bool:
    """Unknown when a part can be (a leaf without parts never is)."""
    return any(can_be_unknown(c) for c in x.children(node))


def _reads_data(node: x.Node) -> bool:
    return any(isinstance(n, (x.Field, x.Derived, x.ItemField, x.Quantifier, x.Param, x.AsOf)) for n in x.walk(node))


def written_conditions(node: x.Node) -> list[x.Clause]:
    """The conditions of ``when`` as written, in order."""
    return [n for n in x.walk(node) if isinstance(n, x.Clause)]


@dataclass
class ConditionCoverage:
    clause: x.Clause
    possible: frozenset[str]
    seen: set[str] = field(default_factory=set)

    @property
    def missing(self) -> list[str]:
        return [o for o in OUTCOMES if o in self.possible and o not in self.seen]


@dataclass
class RuleCoverage:
    rule: Rule
    conditions: list[ConditionCoverage]
    tests_run: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def covered(self) -> int:
        return sum(len(c.possible & c.seen) for c in self.conditions)

    @property
    def total(self) -> int:
        return sum(len(c.possible) for c in self.conditions)

    @property
    def percent(self) -> float:
        return 100.0 if self.total == 0 else 100.0 * self.covered / self.total


def _possible(clause: x.Clause) -> frozenset[str]:
    if not _reads_data(clause.item):
        return frozenset()
    return frozenset(("true", "false", "unknown") if can_be_unknown(clause.item) else ("true", "false"))


def rule_coverage(engine: Engine, rule: Rule) -> RuleCoverage:
    """Run the rule's tests and record each written condition's outcomes."""
    conditions = [ConditionCoverage(c, _possible(c)) for c in written_conditions(rule.when)]
    by_clause = {id(c.clause): c for c in conditions}
    report = RuleCoverage(rule, conditions)
    for test in rule.tests:
        try:
            ev = engine.evaluate(dict(test.profile), test.as_of)
        except EligibilityError as exc:
            report.errors.append(f"{test.name}: {exc.en}")
            continue
        report.tests_run += 1
        result = next((r for r in ev.results if r.rule_id == rule.id), None)
        if result is None:
            continue
        for trace in clauses(result.trace):
            cov = by_clause.get(id(trace.clause))
            if cov is not None:
                cov.seen.add("unknown" if trace.value is UNKNOWN else "true" if trace.value else "false")
    return report


def coverage(rules: RuleSet, only: Collection[str] | None = None) -> list[RuleCoverage]:
    """Condition coverage of every rule (or of the rule ids ``only``), evaluated with the whole set."""
    engine = Engine(rules)
    return [rule_coverage(engine, rule) for rule in rules.rules if only is None or rule.id in only]


def total_percent(reports: list[RuleCoverage]) -> float:
    covered = sum(r.covered for r in reports)
    total = sum(r.total for r in reports)
    return 100.0 if total == 0 else 100.0 * covered / total


def format_coverage(reports: list[RuleCoverage], lang: str = "zh", only_incomplete: bool = False) -> str:
    """A table: each rule's percentage, then each condition with its outcomes seen (✓) or missing (✗)."""
    en = lang == "en"
    mark = {"true": "T", "false": "F", "unknown": "U"}
    lines = ["condition coverage (T = true, F = false, U = unknown)" if en else "条件覆盖率（T 真、F 假、U 未知）"]
    for r in reports:
        if only_incomplete and r.covered == r.total:
            continue
        lines.append(f"{r.percent:5.1f}%  {r.rule.id}  ({r.tests_run} tests)" if en else
                     f"{r.percent:5.1f}%  {r.rule.id}（{r.tests_run} 条测试）")
        for c in r.conditions:
            cells = " ".join(f"{mark[o]}{'✓' if o in c.seen else '✗'}" for o in OUTCOMES if o in c.possible) or "—"
            lines.append(f"        {cells:<14} {describe(c.clause, r.rule, lang)}")
            if c.missing:
                need = ", ".join(c.missing)
                lines.append(f"        {'':<14} → " + (f"add a test where it is {need}" if en else f"需补充使其为 {need} 的测试"))
        lines += [f"        ! {e}" for e in r.errors]
    lines.append(f"total {total_percent(reports):.1f}%" if en else f"合计 {total_percent(reports):.1f}%")
    return "\n".join(lines)
