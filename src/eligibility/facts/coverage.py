"""Knownness of certifications part by part: what a department list's coverage makes known.

A profile's ``certifications`` list, when given, is complete: a certification not on it does not
exist. Department lists say less: a complete municipal 专精特新 list of 2024 for 思茅区 states every
municipal ``specialised_sme`` certification of 2024 for firms there, and nothing about national 小巨人
or 高企. A bundle puts what the lists hold in ``certifications_listed`` and what they state completely
in ``certification_coverage`` (kind, level, certification period, list name).

:func:`with_coverage` rewrites a rule's ``any(certifications, body)`` once, when the rule is checked,
into ordinary nodes that every backend already evaluates:

- ``certifications`` given (or no coverage): the list decides, as before;
- else a listed certification for which ``body`` holds makes it true;
- else, when every certification ``body`` can hold for lies inside the coverage (its kinds × levels ×
  the window of ``certified_on`` that ``body`` reads, up to ``as_of``), it is false: the lists are
  complete there;
- else it is unknown, and ``certifications`` is the fact a data team must supply.

The window is read from the conjuncts of ``body``: ``kind ==``/``in``, ``level ==``/``in``,
``within(certified_on, …)``, ``in_year(certified_on)`` and comparisons of ``certified_on`` with a
date. A certification dated after ``as_of`` is not held at ``as_of``. A body whose window has no
lower end can never be covered (an older certification could satisfy it): it stays unknown.
"""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import date
from collections.abc import Callable
from typing import Any

from ..model import expr as x

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


def _item(node: x.Node, name: str) -> bool:
    return isinstance(node, x.ItemField) and node.list_path == CERTIFICATIONS and node.name == name


def _cell(name: str) -> x.ItemField:
    return x.ItemField(COVERAGE, name)


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "=="}


def _window(body: x.Node) -> tuple[set[str] | None, set[str] | None, list[x.Node], list[x.Node]]:
    """What ``body`` needs of a certification: its kinds, its levels (None: not restricted) and the
    conditions a coverage cell must meet to contain the lower and the upper end of its date window."""
    kinds: set[str] | None = None
    levels: set[str] | None = None
    lowers: list[x.Node] = []
    uppers: list[x.Node] = [x.Compare((_cell("certified_to"), x.AsOf()), (">=",))]
    start = _cell("certified_from")
    for c in _conjuncts(body):
        found: tuple[str, set[str]] | None = None
        if isinstance(c, x.Compare) and len(c.operands) == 2 and c.ops == ("==",):
            a, b = c.operands
            if isinstance(b, x.ItemField):
                a, b = b, a
            for name in ("kind", "level"):
                if _item(a, name) and isinstance(b, x.Literal) and isinstance(b.value, str):
                    found = (name, {b.value})
        elif isinstance(c, x.InList) and not c.negated and all(isinstance(i, x.Literal) for i in c.items):
            for name in ("kind", "level"):
                if _item(c.operand, name):
                    found = (name, {str(i.value) for i in c.items})  # type: ignore[attr-defined]
        if found is not None:
            name, values = found
            if name == "kind":
                kinds = values if kinds is None else kinds & values
            else:
                levels = values if levels is None else levels & values
            continue
        if isinstance(c, x.Call) and c.args and _item(c.args[0], "certified_on"):
            if c.func == "within" and isinstance(c.args[1], x.Literal):
                # within: as_of − d < certified_on ≤ as_of; the cell must start by the day after as_of − d
                lowers.append(x.Compare((x.Arith("-", start, _DAY), x.Arith("-", x.AsOf(), c.args[1])), ("<=",)))
            elif c.func == "in_year":
                lowers.append(x.Compare((x.Call("year", (x.Arith("-", start, _DAY),)), x.Call("year", (x.AsOf(),))),
                                        ("<",)))
            continue
        if isinstance(c, x.Compare) and len(c.operands) == 2:
            a, b = c.operands
            op = c.ops[0]
            if _item(b, "certified_on"):
                a, b, op = b, a, _FLIP[op]
            if _item(a, "certified_on") and isinstance(b, x.Literal) and isinstance(b.value, date):
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
    """``any(certifications, body)`` read under the lists' coverage (see the module docstring);
    any other quantifier unchanged."""
    if node.func != "any" or node.list_path != CERTIFICATIONS:
        return node
    whole = node
    listed = x.Quantifier("any", LISTED, _retarget(node.body, LISTED), span=node.span)
    by_lists = x.And((x.Not(x.Call("known", (x.Field(CERTIFICATIONS),))), x.Call("known", (x.Field(COVERAGE),))))
    rest = x.IfElse(covered(node.body), x.Literal(False), whole)
    return x.IfElse(by_lists, x.Or((listed, rest)), whole, span=node.span)
