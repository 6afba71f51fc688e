"""Knownness of certifications part by part: what a department list's coverage makes known.

A profile's ``certifications`` list, when given, is complete: a certification not on it does not
exist. Department lists say less: a complete municipal 专精特新 list of 2024 for 思茅区 states every
municipal ``specialised_sme`` certification of 2024 for firms there, and nothing about national 小巨人
or 高企. A bundle puts what the lists hold in ``certifications_listed`` and what they state completely
in ``certification_coverage`` (kind, level, certification period, list name).

:func:`with_coverage` rewrites a rule's quantifiers over ``certifications`` once, when the rule is checked,
into ordinary nodes that every backend already evaluates. For ``any(certifications, body)``:

- ``certifications`` given (or no coverage): the list decides, as before;
- else a listed certification for which ``body`` holds makes it true;
- else, when every certification ``body`` can hold for lies inside the coverage (its kinds × levels ×
  the window of ``certified_on`` that ``body`` reads, up to ``as_of``), it is false: the lists are
  complete there;
- else it is unknown, and ``certifications`` is the fact a data team must supply.

The other quantifiers follow the same coverage: ``all(certifications, body)`` is false when a listed
certification fails ``body``, true when every listed one holds and every certification that could
fail ``body`` lies inside the coverage (``not body`` read as above), else unknown;
``count(certifications, body)`` and ``sum(certifications, e, body)`` are the listed certifications'
count and sum when every certification ``body`` can hold for lies inside the coverage, else unknown
(a lower bound is not a value). ``not any(…)`` is the negation of the rewritten ``any``.

The window is read from the conjuncts of ``body`` (``not`` pushed inwards first): ``kind ==``/``!=``/
``in``/``not in`` (kinds are a closed set), ``level ==``/``in``, a disjunction of such tests of one
field, ``within(certified_on, …)``, ``in_year(certified_on)`` and comparisons of ``certified_on`` with
a date that reads no certification (a literal, ``as_of - 3 years``, a field of the firm). A
certification dated after ``as_of`` is not held at ``as_of``. A body whose window has no lower end can
never be covered (an older certification could satisfy it): it stays unknown.
"""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import date
from collections.abc import Callable
from typing import Any, get_args

from ..model import expr as x
from .profile import CertificationKind

LISTED = "certifications_listed"
COVERAGE = "certification_coverage"
CERTIFICATIONS = "certifications"
_DAY = x.Literal(x.Duration(1, "day"))


def _rebuild(node: x.Node, swap: Callable[[x.Node], x.Node | None]) -> x.Node:
    """``node`` with every sub-node for which ``swap`` gives a node replaced by it (outermost first)."""
    got = swap(node)
    if got is not None:
        return got
    changes: dict[str, Any] = {}
    for f in fields(node):
        value = getattr(node, f.name)
        if isinstance(value, x.Node):
            changes[f.name] = _rebuild(value, swap)
        elif isinstance(value, tuple) and any(isinstance(v, x.Node) for v in value):
            changes[f.name] = tuple(_rebuild(v, swap) if isinstance(v, x.Node) else v for v in value)
    return replace(node, **changes) if changes else node


def _retarget(node: x.Node, path: str) -> x.Node:
    """``node`` with the item fields of ``certifications`` read from list ``path`` instead."""
    return _rebuild(node, lambda n: x.ItemField(path, n.name, span=n.span)
                    if isinstance(n, x.ItemField) and n.list_path == CERTIFICATIONS else None)


def written(node: x.Node) -> x.Node:
    """``node`` as the policy writer wrote it: every coverage rewrite back to its ``any(certifications, …)``
    (for tools that derive test cases from the written conditions: boundaries, seeds)."""
    return _rebuild(node, lambda n: n.otherwise if is_coverage(n) else None)  # type: ignore[attr-defined]


def _conjuncts(node: x.Node) -> list[x.Node]:
    if isinstance(node, x.Clause):
        return _conjuncts(node.item)
    if isinstance(node, x.And):
        return [c for item in node.items for c in _conjuncts(item)]
    return [node]


_NEGATE = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}


def _negated(node: x.Node) -> x.Node:
    """``not node`` with the ``not`` pushed inwards (De Morgan, a comparison's opposite): the same
    three-valued condition, in the shape :func:`_window` reads."""
    if isinstance(node, x.Clause):
        return _negated(node.item)
    if isinstance(node, x.Not):
        return node.item
    if isinstance(node, x.And):
        return x.Or(tuple(_negated(i) for i in node.items))
    if isinstance(node, x.Or):
        return x.And(tuple(_negated(i) for i in node.items))
    if isinstance(node, x.Compare) and len(node.ops) == 1:
        return x.Compare(node.operands, (_NEGATE[node.ops[0]],))
    if isinstance(node, x.InList):
        return x.InList(node.operand, node.items, not node.negated)
    return x.Not(node)


def _item(node: x.Node, name: str) -> bool:
    return isinstance(node, x.ItemField) and node.list_path == CERTIFICATIONS and node.name == name


def _outer(node: x.Node) -> bool:
    """Whether ``node`` reads no field of a certification (its value is the same for every item)."""
    return not any(isinstance(n, x.ItemField) and n.list_path == CERTIFICATIONS for n in x.walk(node))


def _cell(name: str) -> x.ItemField:
    return x.ItemField(COVERAGE, name)


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_KINDS = frozenset(get_args(CertificationKind))


def _restriction(c: x.Node) -> tuple[str, set[str]] | None:
    """The kinds or the levels a condition lets a certification have (kinds are a closed set, so
    ``!=`` and ``not in`` restrict them too; a level may be empty, so only ``==``/``in`` do)."""
    if isinstance(c, x.Clause):
        return _restriction(c.item)
    if isinstance(c, x.Compare) and len(c.operands) == 2 and c.ops[0] in ("==", "!="):
        a, b = c.operands
        if isinstance(b, x.ItemField):
            a, b = b, a
        for name in ("kind", "level"):
            if _item(a, name) and isinstance(b, x.Literal) and isinstance(b.value, str):
                if c.ops[0] == "==":
                    return name, {b.value}
                if name == "kind":
                    return name, set(_KINDS - {b.value})
    if isinstance(c, x.InList) and all(isinstance(i, x.Literal) for i in c.items):
        values = {str(i.value) for i in c.items}  # type: ignore[attr-defined]
        if _item(c.operand, "kind"):
            return "kind", set(_KINDS - values) if c.negated else values
        if _item(c.operand, "level") and not c.negated:
            return "level", values
    if isinstance(c, x.Or):
        parts = [_restriction(i) for i in c.items]
        if all(p is not None for p in parts) and len({p[0] for p in parts}) == 1:  # type: ignore[index]
            return parts[0][0], set().union(*(p[1] for p in parts))  # type: ignore[index]
    return None


def _window(body: x.Node) -> tuple[set[str] | None, set[str] | None, list[x.Node], list[x.Node]]:
    """What ``body`` needs of a certification: its kinds, its levels (None: not restricted) and the
    conditions a coverage cell must meet to contain the lower and the upper end of its date window."""
    kinds: set[str] | None = None
    levels: set[str] | None = None
    lowers: list[x.Node] = []
    uppers: list[x.Node] = [x.Compare((_cell("certified_to"), x.AsOf()), (">=",))]
    start = _cell("certified_from")
    for c in _conjuncts(body):
        found = _restriction(c)
        if found is not None:
            name, values = found
            if name == "kind":
                kinds = values if kinds is None else kinds & values
            else:
                levels = values if levels is None else levels & values
            continue
        if isinstance(c, x.Call) and c.args and _item(c.args[0], "certified_on"):
            if c.func == "within" and _outer(c.args[1]):
                # within: as_of − d < certified_on ≤ as_of; the cell must start by the day after as_of − d
                lowers.append(x.Compare((x.Arith("-", start, _DAY), x.Arith("-", x.AsOf(), c.args[1])), ("<=",)))
            elif c.func == "in_year":
                lowers.append(x.Compare((x.Call("year", (x.Arith("-", start, _DAY),)), x.Call("year", (x.AsOf(),))),
                                        ("<",)))
            continue
        if isinstance(c, x.Compare):
            for a, op, b in zip(c.operands, c.ops, c.operands[1:]):
                if _item(b, "certified_on"):
                    a, b, op = b, a, _FLIP[op]
                if not _item(a, "certified_on") or not _outer(b) or (isinstance(b, x.Literal) and b.value is None):
                    continue
                if op in (">=", "=="):
                    lowers.append(x.Compare((start, b), ("<=",)))
                if op == ">":
                    lowers.append(x.Compare((x.Arith("-", start, _DAY), b), ("<=",)))
                if op in ("<=", "=="):
                    uppers.append(x.Compare((_cell("certified_to"), b), (">=",)))
                if op == "<":
                    uppers.append(x.Compare((x.Arith("+", _cell("certified_to"), _DAY), b), (">=",)))
    return kinds, levels, lowers, uppers


def _either(items: list[x.Node]) -> x.Node:
    return items[0] if len(items) == 1 else x.Or(tuple(items))


def covered(body: x.Node) -> x.Node:
    """True when the coverage cells contain every certification ``body`` can hold for (a
    ``Literal(False)`` when ``body`` does not bound its kinds or its dates from below)."""
    kinds, levels, lowers, uppers = _window(body)
    if not kinds or not lowers:
        return x.Literal(False)
    window = (_either(lowers), _either(uppers))
    unlevelled = x.Or((x.Not(x.Call("known", (_cell("level"),))), x.Not(x.Call("exists", (_cell("level"),)))))
    tests: list[x.Node] = []
    for kind in sorted(kinds):
        for level in sorted(levels) if levels is not None else [None]:
            level_ok = unlevelled if level is None else x.Or(
                (x.Compare((_cell("level"), x.Literal(level)), ("==",)), unlevelled))
            has_name = x.Call("known", (_cell("source"),))
            named = x.Or((has_name, x.Not(has_name)))  # always true: puts the list's name in the trace
            cell = x.And((x.Compare((_cell("kind"), x.Literal(kind)), ("==",)), level_ok, *window, named))
            tests.append(x.Quantifier("any", COVERAGE, cell))
    return tests[0] if len(tests) == 1 else x.And(tuple(tests))


def is_coverage(node: x.Node) -> bool:
    """Whether ``node`` is the rewrite :func:`with_coverage` made (an explanation reads it as one condition)."""
    if not isinstance(node, x.IfElse) or not isinstance(node.cond, x.And) or len(node.cond.items) != 2:
        return False
    second = node.cond.items[1]
    return isinstance(second, x.Call) and second.func == "known" and second.args == (x.Field(COVERAGE),)


def with_coverage(node: x.Quantifier) -> x.Node:
    """A quantifier over ``certifications`` read under the lists' coverage (see the module docstring);
    a quantifier over any other list, or a ``count``/``sum`` whose condition the coverage can never
    contain, unchanged."""
    if node.list_path != CERTIFICATIONS:
        return node
    whole = node
    listed = x.Quantifier(node.func, LISTED, _retarget(node.body, LISTED),
                          _retarget(node.where, LISTED) if node.where is not None else None, span=node.span)
    if node.func == "any":
        by_lists: x.Node = x.Or((listed, x.IfElse(covered(node.body), x.Literal(False), whole)))
    elif node.func == "all":
        by_lists = x.And((listed, x.IfElse(covered(_negated(node.body)), x.Literal(True), whole)))
    else:
        condition = node.body if node.func == "count" else node.where
        within = covered(condition) if condition is not None else x.Literal(False)
        if isinstance(within, x.Literal):  # never covered: the list alone decides, as written
            return node
        by_lists = x.IfElse(within, listed, whole)
    lists_only = x.And((x.Not(x.Call("known", (x.Field(CERTIFICATIONS),))), x.Call("known", (x.Field(COVERAGE),))))
    return x.IfElse(lists_only, by_lists, whole, span=node.span)
