"""Condition funnels: how many rows pass each top-level condition of a rule in turn.

A rule's ``when`` is read as its top-level conditions in the order written (the items of an
``all``; a single condition or an ``any`` is one step), after a first step for a rule with a region
or a development zone (placed inside it, or unknown where the data lacks the region or zone). At step k a row *passes* when the first k
conditions are all true, *fails* when one of them is false, and is *unknown* otherwise (three-valued
``all``), so the drop at each step is exactly the rows whose first false condition is that one (the
long table's ``failed``). The conditions are evaluated column-wise by the vectorized compiler, over
the rows a caller says are in the rule's scope; counts are plain integers, so chunks add up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np

from ...facts.derived import DERIVED
from ...lang.render import unparse
from ...lower import lower, param_values
from ...model import expr as x
from ...model.rule import Rule
from . import compiler
from .columns import Col, Table
from .derived import derived_columns


@dataclass(frozen=True, slots=True)
class Step:
    """One top-level condition: its text as written and its label (zh, en) when the writer gave one."""

    text: str
    label_zh: str | None = None
    label_en: str | None = None
    scope: bool = False  # the rule's region or zone (unknown where the data cannot place the firm)

    def label(self, lang: str = "zh") -> str:
        chosen = self.label_en if lang == "en" else self.label_zh
        return chosen or self.text


def _clause_step(node: x.Clause) -> Step:
    """A clause as shown: the writer's label, else a derived fact's own label, else the text."""
    if node.label_zh is None and isinstance(node.item, x.Derived) and node.item.name in DERIVED:
        fact = DERIVED[node.item.name]
        return Step(node.text, fact.label("zh"), fact.label("en"))
    return Step(node.text, node.label_zh, node.label_en)


def steps(rule: Rule) -> tuple[list[x.Node], list[Step]]:
    """The top-level condition nodes of ``rule`` in order, and how each is shown."""
    items = list(rule.when.items) if isinstance(rule.when, x.And) else [rule.when]
    shown = []
    for node in items:
        if isinstance(node, x.Clause):
            shown.append(_clause_step(node))
        elif isinstance(node, x.Or) and all(isinstance(i, x.Clause) for i in node.items):
            parts = [_clause_step(i) for i in node.items]  # type: ignore[arg-type]
            shown.append(Step(" or ".join(p.text for p in parts), "任一：" + "；".join(p.label("zh") for p in parts),
                              "any of: " + "; ".join(p.label("en") for p in parts)))
        else:
            shown.append(Step(unparse(node)))
    return items, shown


def scope_step(rule: Rule) -> Step | None:
    """The step a rule with a region or a development zone starts with: is the firm placed inside it?"""
    j = rule.jurisdiction
    if not j.prefix and not j.development_zone:
        return None
    zh = "属适用范围：" + "，".join(p for p in (j.name if j.prefix else "", j.development_zone) if p)
    en = "in scope: " + ", ".join(p for p in (j.code if j.prefix else "", j.development_zone) if p)
    return Step("jurisdiction", zh, en, scope=True)


def _scope_unknown(ev: compiler._Evaluator, rule: Rule, n: int) -> np.ndarray:
    """Rows the compiler keeps in scope although their region or zone is unknown (its lowered tests)."""
    unknown = np.zeros(n, bool)
    for node in lower(rule).tests:
        unknown |= ~compiler._arr(ev.ev(node).known, n)
    return unknown


def derived_needed(rules: Iterable[Rule]) -> list[str]:
    """The derived facts the rules' conditions read (to compute them once, with any others wanted)."""
    return sorted({n.name for r in rules for n in x.walk(r.when) if isinstance(n, x.Derived)})


@dataclass(slots=True)
class FunnelCounts:
    """A rule's funnel over some rows: ``in_scope`` rows, then per step (rows of ``cumulative``) the
    pass / fail / unknown counts of the first k conditions together, and (``alone``) of that condition
    by itself. Arrays are int64 of shape (steps, 3); :meth:`add` merges another chunk's counts."""

    rule_id: str
    steps: list[Step]
    in_scope: int
    cumulative: np.ndarray
    alone: np.ndarray

    def add(self, other: FunnelCounts) -> None:
        self.in_scope += other.in_scope
        self.cumulative += other.cumulative
        self.alone += other.alone

    def excluded(self) -> np.ndarray:
        """Rows newly failing at each step (their first false condition is that one)."""
        fail = self.cumulative[:, 1]
        return np.diff(fail, prepend=0)


def _three(c: Col, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(true, false) masks of a condition column, with the compiler's reading of known and null."""
    known = compiler._arr(c.known, n) & ~compiler._arr(c.null, n)
    val = compiler._arr(c.val, n).astype(bool, copy=False)
    return known & val, known & ~val


def funnels(rules: Iterable[Rule], table: Table, as_of: date, in_scope: Mapping[str, np.ndarray],
            derived: dict[str, Col] | None = None) -> dict[str, FunnelCounts]:
    """The funnel of every rule in force on ``as_of`` that has a scope mask in ``in_scope``.

    ``in_scope[rule_id]`` marks the table rows the rule was decided on (status not out of scope).
    Derived facts are computed once for all rules, as the compiler does; ``derived`` may hold some
    already computed for this table and date (it is filled with the rest).
    """
    active = compiler.in_force([r for r in rules if r.id in in_scope], table, as_of)
    cache: dict[str, Col] = derived if derived is not None else {}
    wanted = [name for name in derived_needed(active) if name not in cache]
    if wanted:
        cache.update(derived_columns(wanted, table, as_of))

    def derived(name: str) -> Col:
        hit = cache.get(name)
        if hit is None:
            hit = cache[name] = derived_columns((name,), table, as_of)[name]
        return hit

    n = table.n
    out: dict[str, FunnelCounts] = {}
    try:
        for rule in active:
            out[rule.id] = _funnel(rule, table, as_of, in_scope[rule.id], derived, n)
    finally:
        table.memo.clear()  # the compiler's per-decide memo of code columns
    return out


def _funnel(rule: Rule, table: Table, as_of: date, scope: np.ndarray, derived: Callable[[str], Col],
            n: int) -> FunnelCounts:
    nodes, shown = steps(rule)
    ev = compiler._Evaluator(table, as_of, param_values(rule, as_of) or {}, derived)
    first = scope_step(rule)
    masks: list[Callable[[], tuple[np.ndarray, np.ndarray]]] = [lambda node=node: _three(ev.ev(node), n)
                                                                for node in nodes]
    if first is not None:
        shown = [first, *shown]
        masks.insert(0, lambda: (~_scope_unknown(ev, rule, n), np.zeros(n, bool)))
    cumulative = np.zeros((len(masks), 3), np.int64)
    alone = np.zeros((len(masks), 3), np.int64)
    passing = scope.copy()
    failing = np.zeros(n, bool)
    total = int(scope.sum())
    for k, mask in enumerate(masks):
        true, false = mask()
        t, f = int((true & scope).sum()), int((false & scope).sum())
        alone[k] = (t, f, total - t - f)
        passing &= true
        failing |= false & scope
        p, q = int(passing.sum()), int(failing.sum())
        cumulative[k] = (p, q, total - p - q)
    return FunnelCounts(rule.id, shown, total, cumulative, alone)
