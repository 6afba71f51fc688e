"""Profiles a rule decides a given way, built from the rule's own tests (no hypothesis needed).

``seed_profiles(rule, status)`` starts from the rule's test profiles (moved to the evaluation date),
then makes each eligible one ineligible by violating exactly one condition, or undetermined by
dropping exactly one fact the rule reads, and keeps each only when the engine agrees. The
boundary cases and the hypothesis strategies (``profiles_for``) both build on these seeds.
"""

from __future__ import annotations

import copy
import dataclasses
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from ..backends.interpreter.ops import add_months, shift
from ..engine import Engine
from ..errors import EligibilityError
from ..facts.codes import PROVINCES, SECTIONS
from ..facts.derived import DERIVED
from ..facts.profile import registry
from ..lint import conjuncts, constraints
from ..model import expr as x
from ..model.dispatch import NodeTable
from ..model.rule import Rule, RuleSet

STATUSES = ("eligible", "ineligible", "undetermined")
FEN = Decimal("0.01")

# -- what a rule reads, and how to change a profile ------------------------------------------------
def default_as_of(rule: Rule) -> date:
    """The date ``profiles_for`` and ``boundary_cases`` use when none is given: the date most of the
    rule's tests use, else today clamped into the rule's effective period."""
    if rule.tests:
        return Counter(t.as_of for t in rule.tests).most_common(1)[0][0]
    day = date.today()
    if rule.effective.end is not None and day > rule.effective.end:
        return rule.effective.end
    if rule.effective.start is not None and day < rule.effective.start:
        return rule.effective.start
    return day


def read_paths(rule: Rule) -> frozenset[str]:
    """Profile paths whose values can change the rule's status: fields in its conditions (list items
    as the list), the raw fields of its derived facts, and where it applies."""
    paths: set[str] = {"region_code", "development_zone", "benefits_received"}
    if rule.scenarios or rule.jurisdiction.by:
        paths.add("scenario")
    for node in x.walk(rule.when):
        if isinstance(node, x.Field):
            paths.add(node.path)
        elif isinstance(node, x.Quantifier):
            paths.add(node.list_path)
        elif isinstance(node, x.Derived):
            paths.update(DERIVED[node.name].reads)
    return frozenset(p.split("[]")[0] for p in paths)


FOLD: NodeTable[Callable[[x.Node, Rule, date], x.Node]] = NodeTable("boundaries")
"""How :func:`fold` makes constants of each node class (the boundary cases read the folded thresholds)."""


def fold(node: x.Node, rule: Rule, as_of: date) -> x.Node:
    """``node`` with the rule's parameters read at ``as_of``, and ``as_of`` (± a duration), made constants,
    so a threshold written as a dated parameter or relative to the evaluation date is a constant too."""
    return FOLD(node, rule, as_of)  # type: ignore[no-any-return]


@FOLD.on(x.Param)
def _fold_param(node: x.Param, rule: Rule, as_of: date) -> x.Node:
    value = rule.params[node.name].at(as_of) if node.name in rule.params else None
    return value.value if value is not None and isinstance(value.value, x.Literal) else node


@FOLD.on(x.AsOf)
def _fold_as_of(node: x.AsOf, rule: Rule, as_of: date) -> x.Node:
    return x.Literal(as_of, span=node.span)


@FOLD.on(x.Arith)
def _fold_arith(node: x.Arith, rule: Rule, as_of: date) -> x.Node:
    """A date ± a duration, once both are constants, is a date."""
    folded = _fold_parts(node, rule, as_of)
    left, right = folded.left, folded.right  # type: ignore[attr-defined]
    if node.op in "+-" and isinstance(left, x.Literal) and isinstance(right, x.Literal) \
            and isinstance(left.value, date) and isinstance(right.value, x.Duration):
        return x.Literal(shift(left.value, right.value, 1 if node.op == "+" else -1), span=node.span)
    return folded


@FOLD.on(x.Literal, x.Name, x.Field, x.ItemField, x.Derived, x.Compare, x.InList, x.Under, x.And, x.Or, x.Not, x.Neg,
         x.IfElse, x.ListLit, x.Call, x.Quantifier, x.Clause)
def _fold_parts(node: x.Node, rule: Rule, as_of: date) -> x.Node:
    """The node with its parts folded."""
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        if isinstance(value, x.Node):
            changes[f.name] = fold(value, rule, as_of)
        elif isinstance(value, tuple) and value and all(isinstance(v, x.Node) for v in value):
            changes[f.name] = tuple(fold(v, rule, as_of) for v in value)
    return dataclasses.replace(node, **changes) if changes else node


@dataclass(frozen=True)
class DateWindow:
    """A date condition relative to the evaluation date: ``within(d, 12 months)`` or ``in_year(d)``."""

    node: x.Call
    path: str  # the date's profile path; "list[].field" for a list item's date
    inside: date  # the first day inside the window
    outside: date  # the last day before it


def date_windows(node: x.Node, rule: Rule, as_of: date) -> list[DateWindow]:
    """Every ``within`` and ``in_year`` under ``node`` whose date is a profile field, at ``as_of``."""
    out = []
    for n in x.walk(node):
        if not (isinstance(n, x.Call) and n.func in ("within", "in_year")):
            continue
        arg = n.args[0]
        if isinstance(arg, x.Field):
            path = arg.path
        elif isinstance(arg, x.ItemField):
            path = f"{arg.list_path}[].{arg.name}"
        else:
            continue
        if n.func == "in_year":
            first = date(as_of.year, 1, 1)
            out.append(DateWindow(n, path, first, first - timedelta(days=1)))
            continue
        duration = fold(n.args[1], rule, as_of)
        if isinstance(duration, x.Literal) and isinstance(duration.value, x.Duration):
            cutoff = shift(as_of, duration.value, -1)
            out.append(DateWindow(n, path, cutoff + timedelta(days=1), cutoff))
    return out


def _related(path: str, paths: frozenset[str]) -> bool:
    return any(p == path or p.startswith(path + ".") or path.startswith(p + ".") for p in paths)


def _overlay(seed: dict[str, Any], noise: dict[str, Any], protected: frozenset[str],
             prefix: str = "") -> dict[str, Any]:
    """``seed`` with ``noise`` copied in wherever no protected path is concerned (records are entered only
    when the seed has them, so a record the rule reads never turns from unknown to known)."""
    out = dict(seed)
    for key, value in noise.items():
        path = prefix + key
        if not _related(path, protected):
            out[key] = value
        elif path not in protected and not any(path.startswith(p + ".") for p in protected) \
                and isinstance(seed.get(key), dict) and isinstance(value, dict):
            out[key] = _overlay(seed[key], value, protected, path + ".")
    return out


def set_path(profile: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``profile`` with ``path`` set (records created as needed); ``list[].field`` sets the
    field on every item of the list."""
    out = copy.deepcopy(profile)
    head, _, item_field = path.partition("[].")
    *parents, last = head.split(".")
    node = out
    for part in parents:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    if item_field:
        for item in node.get(last) or []:
            item[item_field] = value
    else:
        node[last] = value
    return out


def drop_path(profile: dict[str, Any], path: str) -> dict[str, Any] | None:
    """A copy of ``profile`` without ``path``; None when it has no such value."""
    out = copy.deepcopy(profile)
    *parents, last = path.split(".")
    node: Any = out
    for part in parents:
        node = node.get(part) if isinstance(node, dict) else None
    if not isinstance(node, dict) or last not in node:
        return None
    del node[last]
    return out


def _shift_dates(value: Any, move: Callable[[date], date]) -> Any:
    if isinstance(value, dict):
        return {k: _shift_dates(v, move) for k, v in value.items()}
    if isinstance(value, list):
        return [_shift_dates(v, move) for v in value]
    return move(value) if isinstance(value, date) else value


def _moved(profile: dict[str, Any], from_day: date, to_day: date) -> Iterator[dict[str, Any]]:
    """A test profile written for ``from_day``, for ``to_day``: as is, then its dates moved by the
    same number of months, then by the same number of days."""
    yield profile
    if from_day != to_day:
        months = (to_day.year - from_day.year) * 12 + to_day.month - from_day.month
        yield _shift_dates(profile, lambda d: add_months(d, months))
        yield _shift_dates(profile, lambda d: d + (to_day - from_day))


# -- the rule's own decision ------------------------------------------------------------------------
@lru_cache(maxsize=256)
def rule_engine(rule: Rule) -> Engine:
    """An engine holding ``rule`` alone, so its status is its own decision (no exclusive group)."""
    return Engine(RuleSet([rule], [rule.source.document], f"single:{rule.id}:{id(rule)}"))


def rule_status(rule: Rule, profile: dict[str, Any], as_of: date) -> str:
    """The rule's own status for ``profile`` at ``as_of``: eligible, ineligible, undetermined or out_of_scope."""
    ev = rule_engine(rule).evaluate(profile, as_of)
    return ev.results[0].status.value if ev.results else "out_of_scope"


def field_step(path: str) -> Any:
    """The smallest change of a field's value that matters: 1 day, 1 person, 0.0001 of a rate, else 0.01."""
    t = registry()[path].type
    if t.kind == "date":
        return timedelta(days=1)
    if t.kind == "number" and t.unit in ("person", "count"):
        return 1
    return Decimal("0.0001") if t.unit == "rate" else FEN


def field_value(path: str, value: Any) -> Any:
    """A threshold value in the form the profile field takes (a head count is an int)."""
    t = registry()[path].type
    return int(value) if t.kind == "number" and t.unit in ("person", "count") else value


def _violations(path: str, op: str, value: Any) -> list[Any]:
    """Values of ``path`` that make ``path op value`` false."""
    spec = registry().get(path)
    if spec is None:
        return []
    if op in ("in", "==", "!=", "under"):
        if op == "!=":
            return [value]
        if spec.type.kind == "enum":
            wanted = value if op == "in" else {value}
            return [v for v in spec.type.values if v not in wanted][:1]
        if op == "under" and spec.type.code == "industry":
            return [s for s in SECTIONS if not any(c.startswith(s) or s.startswith(c) for c in value)][:1]
        if op == "under" and spec.type.code == "region":
            return [p for p in sorted(PROVINCES) if not any(p.startswith(c[:2]) for c in value)][:1]
        return []
    if isinstance(value, (bool, str)):
        return []
    step = field_step(path)
    if op == ">=":
        return [field_value(path, value - step)]
    if op == "<=":
        return [field_value(path, value + step)]
    return [field_value(path, value)] if op in (">", "<") else []


def _bool_compare(node: x.Node) -> tuple[str, bool] | None:
    """``field == true`` / ``field != false`` and the like, as (path, the value that holds)."""
    inner = node.item if isinstance(node, x.Clause) else node
    if isinstance(inner, x.Compare) and len(inner.ops) == 1 and inner.ops[0] in ("==", "!="):
        a, b = inner.operands
        if isinstance(a, x.Field) and isinstance(b, x.Literal) and isinstance(b.value, bool):
            return a.path, b.value == (inner.ops[0] == "==")
    return None


def violated(rule: Rule, profile: dict[str, Any], as_of: date) -> Iterator[dict[str, Any]]:
    """``profile`` with exactly one of the rule's conditions (its top-level conjuncts) made false."""
    for conjunct in conjuncts(rule.when):
        for path, op, value in constraints(fold(conjunct, rule, as_of)):
            for bad in _violations(path, op, value):
                yield set_path(profile, path, bad)
        flag = _bool_compare(conjunct)
        if flag is not None:
            yield set_path(profile, flag[0], not flag[1])
        for window in date_windows(conjunct, rule, as_of):
            yield set_path(profile, window.path, window.outside)


def dropped(rule: Rule, profile: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """``profile`` with exactly one fact the rule reads (or a record holding it) left out."""
    seen: set[str] = set()
    for path in sorted(read_paths(rule)):
        parts = path.split(".")
        for depth in range(len(parts), 0, -1):
            candidate = ".".join(parts[:depth])
            if candidate not in seen:
                seen.add(candidate)
                out = drop_path(profile, candidate)
                if out is not None:
                    yield out


def _unique(profiles_: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen, out = set(), []
    for p in profiles_:
        key = repr(sorted(p.items(), key=lambda kv: kv[0]))
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def seed_profiles(rule: Rule, status: str, as_of: date | None = None) -> list[dict[str, Any]]:
    """Profiles the rule decides ``status`` at ``as_of``, built from its tests: the test profiles
    themselves, eligible ones with exactly one condition violated, and ones with exactly one read
    fact dropped — each kept only when the engine agrees. Deterministic; may be empty."""
    if status not in STATUSES:
        raise EligibilityError(f"状态应为 {'、'.join(STATUSES)} 之一，实际为 {status!r}",
                               f"status must be one of {', '.join(STATUSES)}, got {status!r}")
    day = as_of or default_as_of(rule)
    by_status: dict[str, list[dict[str, Any]]] = {s: [] for s in (*STATUSES, "out_of_scope")}
    for test in rule.tests:
        for candidate in _moved(dict(test.profile), test.as_of, day):
            got = _safe_status(rule, candidate, day)
            if got is not None:
                by_status[got].append(candidate)
                if got == status:
                    break
    base = _unique(by_status["eligible"])
    if status == "eligible":
        return base
    derived = [p for b in base for p in violated(rule, b, day)] if status == "ineligible" else \
        [p for b in base + _unique(by_status["ineligible"]) for p in dropped(rule, b)]
    extra = [p for p in derived if _safe_status(rule, p, day) == status]
    return _unique(by_status[status] + extra)


def _safe_status(rule: Rule, profile: dict[str, Any], as_of: date) -> str | None:
    try:
        return rule_status(rule, profile, as_of)
    except EligibilityError:
        return None  # a test profile that does not validate decides nothing
