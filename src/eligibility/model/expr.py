"""Expression nodes: the immutable, typed form of a rule's conditions and amounts.

The parser (``eligibility.lang``) builds these from rule text; backends compile them. Nothing
here evaluates anything. Every node keeps ``span`` (start, end offsets into the expression
text) so errors and explanations can point back at what the policy writer wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from functools import cache

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Duration:
    """A calendar duration: ``12 months``, ``1 year``, ``30 days``."""

    amount: int
    unit: str  # "day" | "month" | "year"

    def months(self) -> int | None:
        return self.amount * 12 if self.unit == "year" else self.amount if self.unit == "month" else None


Value = Decimal | int | str | bool | date | Duration | None


@dataclass(frozen=True, slots=True)
class Node:
    span: Span = field(default=(0, 0), compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Literal(Node):
    """A constant. ``unit`` is how it was written: "money" (万/亿/元), "percent", "person", None."""

    value: Value
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class Name(Node):
    """A name as written; the type checker replaces it by Field, Derived, Param, ItemField or AsOf."""

    name: str


@dataclass(frozen=True, slots=True)
class Field(Node):
    """A profile field by dotted path (``revenue``, ``registers.above_scale_industrial.entered_on``)."""

    path: str


@dataclass(frozen=True, slots=True)
class ItemField(Node):
    """A field of the current list item inside ``any/all/count/sum`` (``kind`` of a certification)."""

    list_path: str
    name: str


@dataclass(frozen=True, slots=True)
class Derived(Node):
    """A named derived fact (``scale``, ``is_industrial``), computed from profile fields and as_of."""

    name: str


@dataclass(frozen=True, slots=True)
class Param(Node):
    """A rule parameter, read at as_of from its dated values."""

    name: str


@dataclass(frozen=True, slots=True)
class AsOf(Node):
    """The evaluation date."""


@dataclass(frozen=True, slots=True)
class Compare(Node):
    """``a op b [op c ...]``, a chained comparison: true when every adjacent pair holds."""

    operands: tuple[Node, ...]
    ops: tuple[str, ...]  # "<", "<=", ">", ">=", "==", "!="


@dataclass(frozen=True, slots=True)
class InList(Node):
    """``x in [a, b]`` / ``x not in [...]``."""

    operand: Node
    items: tuple[Node, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Under(Node):
    """``code under "C"`` / ``under ["B", "C"]``: code-hierarchy membership (industry or region)."""

    operand: Node
    codes: tuple[str, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class And(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not(Node):
    item: Node


@dataclass(frozen=True, slots=True)
class Arith(Node):
    op: str  # "+", "-", "*", "/"
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Neg(Node):
    item: Node


@dataclass(frozen=True, slots=True)
class IfElse(Node):
    cond: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True, slots=True)
class ListLit(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Call(Node):
    """A built-in function: known, exists, within, in_year, year, min, max, round_fen, tiered, lookup."""

    func: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Quantifier(Node):
    """``any(list, cond)``, ``all(list, cond)``, ``count(list, cond)``, ``sum(list, expr[, cond])``."""

    func: str  # "any" | "all" | "count" | "sum"
    list_path: str
    body: Node  # the condition (any/all/count) or the summed expression (sum)
    where: Node | None = None  # sum's optional filter


@dataclass(frozen=True, slots=True)
class Clause(Node):
    """One condition as the policy writer wrote it in ``when:`` (a leaf of its all/any structure),
    with its source text, optional label and file line: the unit of explanations and coverage."""

    item: Node
    text: str
    label_zh: str | None = None
    label_en: str | None = None
    line: int | None = None


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-nodes of ``node`` (for walks: field collection, linting, mutation), in field order."""
    out: list[Node] = []
    for name in _node_fields(type(node)):
        value = getattr(node, name)
        if isinstance(value, Node):
            out.append(value)
        elif isinstance(value, tuple):
            out.extend(v for v in value if isinstance(v, Node))
    return tuple(out)


@cache
def _node_fields(cls: type[Node]) -> tuple[str, ...]:
    """The fields of a node class that may hold sub-nodes (a node or a tuple of them): read from its
    annotations, so a new node class is walked without being listed anywhere."""
    return tuple(f.name for f in fields(cls) if "Node" in str(f.type))


def walk(node: Node):  # type: ignore[no-untyped-def]
    """Yield ``node`` and every node below it, depth first."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(children(n)))


def read_facts(node: Node) -> tuple[str, ...]:
    """The facts ``node`` reads, in order, once each: field paths, list item fields, derived facts."""
    found: dict[str, None] = {}
    for n in walk(node):
        if isinstance(n, Field):
            found[n.path] = None
        elif isinstance(n, ItemField):
            found[f"{n.list_path}[].{n.name}"] = None
        elif isinstance(n, Derived):
            found[n.name] = None
    return tuple(found)
