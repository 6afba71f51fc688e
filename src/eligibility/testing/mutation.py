"""Mutation check of rule tests: would the tests notice a wrong operator or a threshold off by one?

Each mutant changes one thing in one rule — a comparison flipped between inclusive and exclusive
(≥ ↔ >, ≤ ↔ <) or a threshold nudged by one unit (0.01 yuan, 1, one day; dated parameters too) —
and the rule's own tests are run against it. A mutant no test notices "survives". A survivor
that cannot be told apart by any profile (an equivalent mutant) is explained in the rule's notes
by a line containing ``equivalent mutant: <mutant id>`` (or ``等价变异：<mutant id>``).
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from ..engine import Engine
from ..lang.render import literal_text, unparse
from ..model import expr as x
from ..model.dispatch import NodeTable
from ..model.rule import Parameter, ParamValue, Rule, RuleSet
from .runner import run_test

FLIPS = {">=": ">", ">": ">=", "<=": "<", "<": "<="}


@dataclass(frozen=True)
class Mutant:
    rule_id: str
    id: str  # stable text: what was changed and how, e.g. "revenue >= 2000万: >= → >"
    rule: Rule


def _replace(node: Any, target: x.Node, new: x.Node) -> Any:
    """``node`` with the subtree ``target`` (by identity) replaced by ``new``."""
    if node is target:
        return new
    if isinstance(node, tuple):
        items = tuple(_replace(n, target, new) for n in node)
        return items if any(a is not b for a, b in zip(items, node)) else node
    if not isinstance(node, x.Node):
        return node
    changes = {}
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        replaced = _replace(value, target, new)
        if replaced is not value:
            changes[f.name] = replaced
    return dataclasses.replace(node, **changes) if changes else node


def _nudge(lit: x.Literal) -> list[Any]:
    v = lit.value
    if isinstance(v, bool) or v is None:
        return []
    if isinstance(v, Decimal):
        step = Decimal("0.01") if lit.unit == "money" else Decimal("0.0001") if lit.unit == "percent" else Decimal(1)
        return [v - step, v + step]
    if hasattr(v, "toordinal"):
        return [v - timedelta(days=1), v + timedelta(days=1)]
    return []


Change = tuple[str, x.Node, x.Node]  # (mutant id, the node replaced, its replacement)
MUTATIONS: NodeTable[Callable[[x.Node, str | None], Iterator[Change]]] = NodeTable("mutation")
"""The single changes a node of each class offers, then those of its parts, in a stable order; the
text of the written condition they are in (``where``) names them."""


def _changes(node: x.Node, where: str | None) -> Iterator[Change]:
    return MUTATIONS(node, where)  # type: ignore[no-any-return]


@MUTATIONS.on(x.Clause)
def _clause_changes(node: x.Clause, where: str | None) -> Iterator[Change]:
    return _changes(node.item, node.text)


@MUTATIONS.on(x.Compare)
def _compare_changes(node: x.Compare, where: str | None) -> Iterator[Change]:
    """Each operator flipped between inclusive and exclusive, each literal operand nudged by one unit."""
    text = where if where is not None else unparse(node)
    for i, op in enumerate(node.ops):
        if op in FLIPS:
            flipped = node.ops[:i] + (FLIPS[op],) + node.ops[i + 1:]
            yield f"{text}: {op} → {FLIPS[op]}", node, dataclasses.replace(node, ops=flipped)
    for operand in node.operands:
        if isinstance(operand, x.Literal):
            for value in _nudge(operand):
                new_lit = dataclasses.replace(operand, value=value)
                yield f"{text}: {literal_text(operand)} → {literal_text(new_lit)}", operand, new_lit
    yield from _part_changes(node, where)


@MUTATIONS.on(x.Literal, x.Name, x.Field, x.ItemField, x.Derived, x.Param, x.AsOf, x.InList, x.Under, x.And, x.Or,
              x.Not, x.Arith, x.Neg, x.IfElse, x.ListLit, x.Call, x.Quantifier)
def _part_changes(node: x.Node, where: str | None) -> Iterator[Change]:
    for part in x.children(node):
        yield from _changes(part, where)


def mutants(rule: Rule) -> Iterator[Mutant]:
    """Every single-change mutant of a rule, in a stable order."""
    for mutant_id, target, new in _changes(rule.when, None):
        yield Mutant(rule.id, mutant_id, dataclasses.replace(rule, when=_replace(rule.when, target, new)))
    for name, param in rule.params.items():
        for j, pv in enumerate(param.values):
            if not isinstance(pv.value, x.Literal):
                continue
            for value in _nudge(pv.value):
                new_lit = dataclasses.replace(pv.value, value=value)
                values = param.values[:j] + (ParamValue(pv.start, new_lit, pv.basis),) + param.values[j + 1:]
                params = dict(rule.params)
                params[name] = Parameter(name, values, param.end)
                yield Mutant(rule.id, f"param {name} from {pv.start}: {literal_text(pv.value)} → {literal_text(new_lit)}",
                             dataclasses.replace(rule, params=params))


def explained(rule: Rule, mutant: Mutant) -> bool:
    """Whether the rule's notes declare this mutant equivalent."""
    for line in rule.notes.splitlines():
        for marker in ("equivalent mutant:", "等价变异：", "等价变异:"):
            if marker in line and mutant.id in line:
                return True
    return False


@dataclass
class MutationResult:
    mutant: Mutant
    caught: bool
    explained: bool
    by: str | None = None  # the test that caught it


def _caught(rules: RuleSet, mutant: Mutant) -> tuple[bool, str | None]:
    mutated = [mutant.rule if r.id == mutant.rule_id else r for r in rules.rules]
    engine = Engine(RuleSet(mutated, list(rules.documents), rules.hash + ":mutant"))
    for test in mutant.rule.tests:
        if not run_test(engine, mutant.rule, test).passed:
            return True, test.name
    return False, None


def run_mutation(rules: RuleSet, sample: int | None = None, seed: int = 0,
                 progress: Callable[[int, int], None] | None = None,
                 only: Collection[str] | None = None) -> list[MutationResult]:
    """Run mutants (all, or a seeded random sample of ``sample``) of every rule (or of the rule ids
    ``only``) against the rules' own tests."""
    everything = [m for rule in rules.rules if only is None or rule.id in only for m in mutants(rule)]
    chosen = everything if sample is None or sample >= len(everything) else random.Random(seed).sample(everything, sample)
    results = []
    for i, mutant in enumerate(chosen, 1):
        caught, by = _caught(rules, mutant)
        original = rules[mutant.rule_id]
        results.append(MutationResult(mutant, caught, not caught and explained(original, mutant), by))
        if progress is not None:
            progress(i, len(chosen))
    return results


def score(results: list[MutationResult]) -> float:
    """Share of mutants caught, in percent; declared-equivalent survivors are left out."""
    counted = [r for r in results if not r.explained]
    return 100.0 if not counted else 100.0 * sum(r.caught for r in counted) / len(counted)


def format_mutation(results: list[MutationResult], lang: str = "zh") -> str:
    """The survivors, then the score; with no mutant at all, says so instead of a score."""
    en = lang == "en"
    if not results:
        return ("no mutant: the rules have no comparison or threshold to change, so the tests were not checked"
                if en else "没有可生成的变异：规则中没有可改动的比较符或门槛，测试未经变异检查")
    survivors = [r for r in results if not r.caught]
    lines = []
    for r in survivors:
        tag = ("equivalent (explained in notes)" if en else "等价（notes 已说明）") if r.explained else (
            "SURVIVED" if en else "未被发现")
        lines.append(f"{tag}: {r.mutant.rule_id}: {r.mutant.id}")
    caught = sum(r.caught for r in results)
    eq = sum(r.explained for r in results)
    lines.append(
        f"{caught}/{len(results)} mutants caught, {eq} explained as equivalent: score {score(results):.1f}%" if en else
        f"{len(results)} 个变异中发现 {caught} 个，{eq} 个已说明为等价：得分 {score(results):.1f}%"
    )
    return "\n".join(lines)
