"""One dispatch style for every translator over expression nodes: a table per backend.

Each backend (interpreter, compiled, vectorized, durable, and the static walkers) fills one
:class:`NodeTable` — one translation per node class, in the manner of ibis' per-operation
compilers — and declares the node classes it does not translate: ``unsupported`` (a rule using
one cannot run there) and ``inside`` (translated by its parent, e.g. a ``[bound, rate]`` pair
inside ``tiered``). A test holds every table to every node class of :mod:`eligibility.model.expr`;
:func:`check_rules` turns an unsupported node into an error when the backend is built, naming
the rule and the backend, never an ``AttributeError`` at run time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from ..errors import UnsupportedNodeError
from . import expr as x
from .rule import Rule

F = TypeVar("F", bound=Callable[..., Any])


def node_classes() -> frozenset[type[x.Node]]:
    """Every concrete expression node class: the subclasses of ``Node`` that :mod:`~eligibility.model.expr`
    defines (read from the module, since a slotted dataclass replaces the class it decorates)."""
    return frozenset(v for v in vars(x).values() if isinstance(v, type) and issubclass(v, x.Node) and v is not x.Node)


class NodeTable(Generic[F]):
    """The translation of each node class for one backend, and the classes it declares it leaves out."""

    __slots__ = ("backend", "unsupported", "inside", "_table")

    def __init__(self, backend: str, *, unsupported: Iterable[type[x.Node]] = (),
                 inside: Iterable[type[x.Node]] = ()) -> None:
        self.backend = backend
        self.unsupported = frozenset(unsupported)
        self.inside = frozenset(inside)
        self._table: dict[type, F] = {}

    def on(self, *classes: type[x.Node]) -> Callable[[F], F]:
        """Register the decorated function as the translation of ``classes`` (usable in a class body)."""
        def register(fn: F) -> F:
            for cls in classes:
                self._table[cls] = fn
            return fn

        return register

    def __getitem__(self, cls: type) -> F:
        """The translation of ``cls``; an undeclared or unsupported class is an :class:`UnsupportedNodeError`."""
        fn = self._table.get(cls)
        if fn is None:
            raise UnsupportedNodeError(self.backend, cls.__name__)
        return fn

    def __call__(self, node: x.Node, *args: Any) -> Any:
        """Translate ``node``: its class's function called with ``node`` first."""
        return self[type(node)](node, *args)

    @property
    def handled(self) -> frozenset[type]:
        return frozenset(self._table)

    def accepts(self, cls: type) -> bool:
        """Whether a rule may use ``cls`` on this backend (translated itself or by its parent)."""
        return cls in self._table or cls in self.inside


def rule_roots(rule: Rule) -> tuple[x.Node, ...]:
    """The expressions of a rule: its condition, amount, cap and instalment start."""
    b = rule.benefit
    roots = [rule.when, b.amount, b.cap, b.schedule.start if b.schedule else None]
    return tuple(r for r in roots if r is not None)


def check_rules(rules: Iterable[Rule], *tables: NodeTable[Any]) -> None:
    """Raise :class:`UnsupportedNodeError` (naming rule and backend) for the first node a table cannot translate."""
    for rule in rules:
        for root in rule_roots(rule):
            for node in x.walk(root):
                cls = type(node)
                for table in tables:
                    if not table.accepts(cls):
                        raise UnsupportedNodeError(table.backend, cls.__name__, rule.id)
