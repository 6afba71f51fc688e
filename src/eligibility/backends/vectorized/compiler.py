"""The vectorized backend: a RuleSet evaluated over a :class:`~.columns.Table` with numpy masks.

One translation per node type (``_Evaluator._<NodeType>``), each with the interpreter's value
semantics (:mod:`.ops`). A rule's decision is computed for every row at once: scope (scenarios,
jurisdiction, development zone), conditions, benefits already received, the amount (cap, rounding,
instalments) and then exclusive groups across rules. The result is a :class:`Decisions` matrix;
:mod:`.output` turns it into the long or wide table.

``missing`` (the facts an undetermined rule needs) is computed like the explaining interpreter's:
the unknown facts under the unknown parts of the condition, per row, only where needed.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from ..._cache import BoundedCache
from ...errors import EligibilityError
from ...facts.coverage import COVERAGE, is_coverage
from ...facts.flatten import Facts
from ...facts.profile import registry
from ...groups import LOWEST_FEN, NO_AMOUNT_FEN, winners
from ...lower import RECEIVED, Lowered, lower, param_values, why_not_in_force
from ...model import expr as x
from ...model.dispatch import NodeTable, check_rules
from ...model.rule import Rule, RuleSet
from ..interpreter import ops as scalar_ops
from ..interpreter.evaluator import above, one_off, settle, undated
from . import ops
from .columns import EPOCH_ORDINAL, Col, ListCol, Table
from .derived import _facts_at, _is_money, _native

OUT, INELIGIBLE, ELIGIBLE, UNDETERMINED, SUPERSEDED = -1, 0, 1, 2, 3
STATUS_NAMES = ("ineligible", "eligible", "undetermined", "superseded")

Missing = list[tuple[str, np.ndarray]]
_Scope = tuple[Col, np.ndarray, np.ndarray, Missing]  # a scope test: column, unknown rows, rows inside, missing facts


@dataclass(slots=True)
class RuleOutcome:
    """One rule over every row: status code, amount (int64 fen, with where it is given), the failed
    clause index (-1 none), missing facts where undetermined, and an already-received marker."""

    rule: Rule
    status: np.ndarray
    amount: np.ndarray
    has_amount: np.ndarray
    failed: np.ndarray
    clause_texts: list[str]
    missing: Missing
    reason: list[tuple[np.ndarray, str]] = field(default_factory=list)
    received: np.ndarray | None = None  # rows where a this-year receipt takes part in the group
    received_amount: np.ndarray | None = None
    received_has_amount: np.ndarray | None = None
    superseded_by: np.ndarray | None = None  # index into Decisions.rules, -1 none
    possible: np.ndarray | None = None  # in a one-off group: rows where it could hold on some date (_settle_rows)


@dataclass(slots=True)
class Decisions:
    """Every rule in force, decided for every row of a table."""

    table: Table
    as_of: date
    rules: list[Rule]
    outcomes: list[RuleOutcome]


def _clauses(node: x.Node) -> list[x.Clause]:
    """The conditions as written (the explaining interpreter's ``clauses``): Clause nodes not under another."""
    if isinstance(node, x.Clause):
        return [node]
    if isinstance(node, x.Quantifier):
        return []
    out: list[x.Clause] = []
    for kid in x.children(node):
        out.extend(_clauses(kid))
    return out


@dataclass(slots=True)
class _Ctx:
    """Evaluation context: rows are the table's, or the items of one list (with their parent rows)."""

    lst: ListCol | None = None
    key: int = 0


def _items(lst: ListCol) -> _Ctx:
    """The context of ``lst``'s items, keyed by the list: a node read over the same items by several
    quantifiers (a condition and its undated or coverage form, a receipt test) is evaluated once."""
    return _Ctx(lst, id(lst))


VECTORIZED: NodeTable[Callable[..., Col]] = NodeTable("vectorized", unsupported={x.Name})
"""The column translation of each node class (a method of the per-rule evaluator)."""


class _Evaluator:
    """Evaluates the nodes of one rule (its parameters bound) over a table, memoizing each node.

    ``shared`` (:func:`shared_nodes`) names the nodes that read no parameter by one id per structure;
    those are memoized in ``common``, which the rules of one decide share, so a test several rules
    write alike is evaluated once.
    """

    def __init__(self, table: Table, as_of: date, params: dict[str, Any], derived: Callable[[str], Col],
                 shared: dict[int, int] | None = None, common: dict[tuple[int, int], Col] | None = None) -> None:
        self.table = table
        self.as_of = as_of
        self.params = params
        self.derived = derived
        self.memo: dict[tuple[int, int], Col] = {}
        self.shared = shared if shared is not None else {}
        self.common = common if common is not None else self.memo
        self.row_ctx = _Ctx()

    def ev(self, node: x.Node, ctx: _Ctx | None = None) -> Col:
        ctx = ctx or self.row_ctx
        same = self.shared.get(id(node))
        if same is None:
            memo, key = self.memo, (id(node), ctx.key)
        else:
            memo, key = self.common, (same, ctx.key)
        hit = memo.get(key)
        if hit is None:
            hit = memo[key] = VECTORIZED[type(node)](self, node, ctx)
        return hit

    def remember(self, node: x.Node, col: Col) -> None:
        """``node``'s value over the table's rows, found elsewhere (a scope test of the decide)."""
        same = self.shared.get(id(node))
        if same is None:
            self.memo[(id(node), 0)] = col
        else:
            self.common[(same, 0)] = col

    def _field_col(self, path: str, ctx: _Ctx) -> Col:
        spec = registry().get(path)
        if spec is not None and spec.type.kind == "list":
            lst = self.table.lists.get(path)
            col = Col("list", np.False_, lst.known if lst is not None else np.zeros(self.table.n, bool), np.False_)
        else:
            col = self.table.col(path)
        return col.take(ctx.lst.parent) if ctx.lst is not None else col

    # -- leaves --------------------------------------------------------------------------------
    @VECTORIZED.on(x.Literal)
    def _Literal(self, node: x.Literal, ctx: _Ctx) -> Col:
        return ops.const(node.value)

    @VECTORIZED.on(x.Field)
    def _Field(self, node: x.Field, ctx: _Ctx) -> Col:
        return self._field_col(node.path, ctx)

    @VECTORIZED.on(x.ItemField)
    def _ItemField(self, node: x.ItemField, ctx: _Ctx) -> Col:
        assert ctx.lst is not None
        found = ctx.lst.items.get(node.name)
        if found is None:
            return Col("bool", np.False_, np.zeros(ctx.lst.size, bool), np.False_)
        return found

    @VECTORIZED.on(x.Derived)
    def _Derived(self, node: x.Derived, ctx: _Ctx) -> Col:
        col = self.derived(node.name)
        return col.take(ctx.lst.parent) if ctx.lst is not None else col

    @VECTORIZED.on(x.Param)
    def _Param(self, node: x.Param, ctx: _Ctx) -> Col:
        return ops.const(self.params[node.name])

    @VECTORIZED.on(x.AsOf)
    def _AsOf(self, node: x.AsOf, ctx: _Ctx) -> Col:
        return ops.const(self.as_of)

    @VECTORIZED.on(x.ListLit)
    def _ListLit(self, node: x.ListLit, ctx: _Ctx) -> Col:
        return Col("bool", np.False_, np.True_, np.False_)  # only read through tiered/lookup pairs

    @VECTORIZED.on(x.Clause)
    def _Clause(self, node: x.Clause, ctx: _Ctx) -> Col:
        return self.ev(node.item, ctx)

    # -- logic ---------------------------------------------------------------------------------
    @VECTORIZED.on(x.Compare)
    def _Compare(self, node: x.Compare, ctx: _Ctx) -> Col:
        operands = [self.ev(o, ctx) for o in node.operands]
        if _is_true_test(node) and operands[0].kind == "bool":  # a scenario's test: the column as it is
            a = operands[0]
            return Col("bool", ops.and_not(ops.as_mask(a.val), a.null), ops.as_mask(a.known), np.False_)
        if len(node.ops) == 1:
            return ops.compare(node.ops[0], *operands)
        return ops.chain(node.ops, operands)

    @VECTORIZED.on(x.InList)
    def _InList(self, node: x.InList, ctx: _Ctx) -> Col:
        operand = self.ev(node.operand, ctx)
        hits = [ops.compare("==", operand, self.ev(i, ctx)) for i in node.items]
        val: Any = np.False_
        for h in hits:
            val = val | (h.known & h.val)
        return Col("bool", ~val if node.negated else val, operand.known, np.False_)

    @VECTORIZED.on(x.Under)
    def _Under(self, node: x.Under, ctx: _Ctx) -> Col:
        system = registry()[node.operand.path].type.code if isinstance(node.operand, x.Field) else None
        return under(self.ev(node.operand, ctx), node.codes, system, node.negated, self.table.memo)

    @VECTORIZED.on(x.And)
    def _And(self, node: x.And, ctx: _Ctx) -> Col:
        return ops.junction([self.ev(i, ctx) for i in node.items], is_and=True)

    @VECTORIZED.on(x.Or)
    def _Or(self, node: x.Or, ctx: _Ctx) -> Col:
        return ops.junction([self.ev(i, ctx) for i in node.items], is_and=False)

    @VECTORIZED.on(x.Not)
    def _Not(self, node: x.Not, ctx: _Ctx) -> Col:
        return ops.negate(self.ev(node.item, ctx))

    # -- values --------------------------------------------------------------------------------
    @VECTORIZED.on(x.Arith)
    def _Arith(self, node: x.Arith, ctx: _Ctx) -> Col:
        return ops.arith(node.op, self.ev(node.left, ctx), self.ev(node.right, ctx))

    @VECTORIZED.on(x.Neg)
    def _Neg(self, node: x.Neg, ctx: _Ctx) -> Col:
        return ops.neg(self.ev(node.item, ctx))

    @VECTORIZED.on(x.IfElse)
    def _IfElse(self, node: x.IfElse, ctx: _Ctx) -> Col:
        if self._uncovered(node):
            return self.ev(node.otherwise, ctx)
        cond = self.ev(node.cond, ctx)
        if is_coverage(node):  # both branches are conditions: where every row takes one, the other is not decided
            taken = _uniform(cond)
            if taken is not None:
                return self.ev(node.then if taken else node.otherwise, ctx)
        return ops.where(cond, self.ev(node.then, ctx), self.ev(node.otherwise, ctx))

    def _uncovered(self, node: x.IfElse) -> bool:
        """Whether ``node`` is a coverage rewrite (:mod:`eligibility.facts.coverage`) over a table that
        holds no list coverage: every row then takes its ``otherwise`` branch (the list as written),
        decided once for the table instead of row by row."""
        return is_coverage(node) and COVERAGE not in self.table.lists and COVERAGE not in self.table.cols

    @VECTORIZED.on(x.Call)
    def _Call(self, node: x.Call, ctx: _Ctx) -> Col:
        f, args = node.func, node.args
        if f == "known":
            a = self.ev(args[0], ctx)
            return Col("bool", _arr(a.known, self._n(ctx)), np.True_, np.False_)
        if f == "exists":
            a = self.ev(args[0], ctx)
            return Col("bool", ~a.null, a.known, np.False_)
        if f == "tiered":
            return self._tiered(node, ctx)
        if f == "lookup":
            key = self.ev(args[0], ctx)
            acc = ops.const(None)
            for pair in reversed(args[1:]):
                k, v = pair.items  # type: ignore[attr-defined]
                hit = ops.compare("==", key, self.ev(k, ctx))
                acc = ops.where(hit, self.ev(v, ctx), acc)
            return acc
        cols = [self.ev(a, ctx) for a in args]
        if f == "within":
            d, dur = cols[0], args[1]
            duration = dur.value if isinstance(dur, x.Literal) else cols[1].val
            low = scalar_ops.shift(self.as_of, duration, -1).toordinal() - EPOCH_ORDINAL
            high = self.as_of.toordinal() - EPOCH_ORDINAL
            return Col("bool", ~d.null & (d.val > low) & (d.val <= high), d.known, np.False_)
        if f == "in_year":
            d = cols[0]
            low = date(self.as_of.year, 1, 1).toordinal() - EPOCH_ORDINAL
            high = self.as_of.toordinal() - EPOCH_ORDINAL
            return Col("bool", ~d.null & (d.val >= low) & (d.val <= high), d.known, np.False_)
        if f == "year":
            d = cols[0]
            years = np.asarray(d.val, dtype="int64").astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64)
            return Col("int", np.where(d.null, 0, years + 1970), d.known, d.null, 0)
        if f == "round_fen":
            return ops.round_fen(cols[0])
        if f in ("min", "max"):
            return ops.minmax(f, cols)
        raise EligibilityError(f"函数 {f} 没有列式实现", f"function {f} has no column-wise form")  # the checker admits no other

    def _tiered(self, node: x.Call, ctx: _Ctx) -> Col:
        base = self.ev(node.args[0], ctx)
        total = ops.const(Decimal(0))
        lower = ops.const(Decimal(0))
        known: Any = base.known
        for pair in node.args[1:]:
            bound, rate = (self.ev(i, ctx) for i in pair.items)  # type: ignore[attr-defined]
            known = known & bound.known & rate.known
            top = ops.minmax("min", [base, bound])
            piece = ops.arith("*", ops.arith("-", top, lower), rate)
            above = ops.compare(">", base, lower)
            total = ops.arith("+", total, ops.where(above, piece, ops.const(Decimal(0))))
            lower = bound
        return Col(total.kind, total.val, known, base.null, total.scale)

    @VECTORIZED.on(x.Quantifier)
    def _Quantifier(self, node: x.Quantifier, ctx: _Ctx) -> Col:
        lst = self.table.lists.get(node.list_path)
        n = self.table.n
        if lst is None:
            return Col("bool", np.False_, np.zeros(n, bool), np.False_)
        ictx = _items(lst)
        body = self.ev(node.body, ictx)
        m = lst.size

        def rows_with(mask: Any) -> np.ndarray:
            out = np.zeros(n, bool)
            out[lst.parent[np.flatnonzero(_arr(mask, m))]] = True
            return out

        if node.func in ("any", "all", "count"):
            bval = _arr(body.val, m).astype(bool, copy=False)
            given = ops.and_not(body.known, body.null)
            some_unknown = np.ndim(body.known) != 0 or not body.known
            unknown = rows_with(~_arr(body.known, m)) if some_unknown else None
            if node.func == "all":
                decided = rows_with(ops.and_(given, ~bval))
                return Col("bool", ~decided, lst.known & (decided | ~unknown) if unknown is not None else lst.known,
                           np.False_)
            true_items = _arr(ops.and_(given, bval), m)
            if node.func == "any":
                hit = rows_with(true_items)
                return Col("bool", hit, lst.known & (hit | ~unknown) if unknown is not None else lst.known,
                           np.False_)
            counts = np.bincount(lst.parent[true_items], minlength=n).astype(np.int64)
            return Col("int", counts, lst.known & ~unknown if unknown is not None else lst.known, np.False_, 0)
        # sum, with an optional filter
        take = np.ones(m, bool)
        unknown_items = np.zeros(m, bool)
        if node.where is not None:
            w = self.ev(node.where, ictx)
            take = _arr(w.known & ~w.null & _arr(w.val, m).astype(bool, copy=False), m)
            unknown_items |= ~_arr(w.known, m)
        unknown_items |= take & ~_arr(body.known, m)
        use = take & _arr(body.known, m) & ~_arr(body.null, m)
        parent = lst.parent
        unknown = np.bincount(parent[unknown_items], minlength=n) > 0
        if body.kind == "int" and (m == 0 or int(np.abs(_arr(body.val, m)).sum()) < 2**62):
            vals = np.where(use, _arr(body.val, m), 0).astype(np.int64)
            cs = np.concatenate([[0], np.cumsum(vals)])
            totals = cs[lst.offsets[1:]] - cs[lst.offsets[:-1]]
            return Col("int", totals, lst.known & ~unknown, np.False_, body.scale)
        dec = ops.to_dec(body) if body.kind == "int" else body
        totals_obj = np.empty(n, dtype=object)
        totals_obj[:] = [Decimal(0)] * n
        vals = _arr(dec.val, m)
        for j in np.flatnonzero(use).tolist():
            totals_obj[parent[j]] += vals[j]
        return Col("dec", totals_obj, lst.known & ~unknown, np.False_)

    def _n(self, ctx: _Ctx) -> int:
        return ctx.lst.size if ctx.lst is not None else self.table.n

    # -- missing facts (the explaining interpreter's rule: unknown facts under unknown nodes) -----
    def missing(self, node: x.Node, rows: np.ndarray, ctx: _Ctx | None = None) -> Missing:
        """(fact, rows) pairs: for each row in ``rows`` where ``node`` is unknown, the facts it lacks."""
        if not rows.any():  # no row asks: nothing to decide (a branch no row takes is not evaluated)
            return []
        return self._missing(node, rows, ctx or self.row_ctx)

    def _missing(self, node: x.Node, rows: np.ndarray, ctx: _Ctx) -> Missing:
        """:meth:`missing` for ``rows`` that hold a row (a node's unknown rows, read by its children)."""
        value = self.ev(node, ctx)
        if np.ndim(value.known) == 0:  # known everywhere or nowhere: no pass over the rows
            if value.known:
                return []
            unknown = rows
        else:
            unknown = rows & ~value.known
            if not unknown.any():
                return []
        if isinstance(node, x.Field):
            return self._field_missing(node.path, unknown)
        if isinstance(node, x.ItemField):
            return [(f"{node.list_path}[].{node.name}", unknown)]
        if isinstance(node, x.Derived):
            return derived_missing(node.name, self.table, self.as_of, unknown, ctx)
        if isinstance(node, x.Quantifier):
            lst = self.table.lists.get(node.list_path)
            if lst is None:
                return [(node.list_path, unknown)]
            out: Missing = []
            if (unknown & ~lst.known).any():
                out.append((node.list_path, unknown & ~lst.known))
            item_rows = unknown[lst.parent] & lst.known[lst.parent]
            ictx = _items(lst)
            found: Missing = []
            if node.where is not None:
                w = self.ev(node.where, ictx)
                found += self.missing(node.where, item_rows, ictx)
                item_rows = item_rows & _arr(w.known & ~w.null & _arr(w.val, lst.size).astype(bool, copy=False), lst.size)
            found += self.missing(node.body, item_rows, ictx)
            for path, mask in found:
                out.append((path, np.bincount(lst.parent[mask], minlength=self.table.n) > 0))
            return _merge(out)
        if isinstance(node, x.Param | x.Literal | x.AsOf):
            return []
        if isinstance(node, x.IfElse) and self._uncovered(node):
            return self._missing(node.otherwise, unknown, ctx)
        if isinstance(node, x.IfElse):  # only the branch taken is read
            c = self.ev(node.cond, ctx)
            ck = _arr(c.known, len(rows))
            pick = ck & ~_arr(c.null, len(rows)) & _arr(c.val, len(rows)).astype(bool, copy=False)
            return _merge(self.missing(node.cond, unknown & ~ck, ctx) + self.missing(node.then, unknown & pick, ctx)
                          + self.missing(node.otherwise, unknown & ck & ~pick, ctx))
        out = []
        if isinstance(node, x.Arith) and node.op == "/":  # a division by zero: the facts that made the zero
            a, b = self.ev(node.left, ctx), self.ev(node.right, ctx)
            by_zero = unknown & _arr(a.known, len(rows)) & _arr(b.known, len(rows))
            if by_zero.any():
                out += [(path, by_zero) for path in x.read_facts(node.right)]
                unknown = unknown & ~by_zero
                if not unknown.any():
                    return _merge(out)
        for kid in x.children(node):
            out.extend(self._missing(kid, unknown, ctx))
        return _merge(out)

    def _field_missing(self, path: str, rows: np.ndarray) -> Missing:
        """The outermost unknown record above ``path``, else the path itself (``missing_fact``)."""
        out: Missing = []
        left = rows
        parts = path.split(".")
        for i in range(1, len(parts)):
            ancestor = ".".join(parts[:i])
            col = self.table.col(ancestor)
            hit = left & ~_arr(col.known, len(left))
            if hit.any():
                out.append((ancestor, hit))
                left = left & ~hit
        if left.any():
            out.append((path, left))
        return out


def _arr(a: Any, n: int) -> np.ndarray:
    """A mask or value as a full array of length n."""
    return a if np.ndim(a) else np.full(n, a)


def _is_true_test(node: x.Compare) -> bool:
    """``operand == true``: for a boolean operand, true where it is given and true (no comparison pass)."""
    right = node.operands[-1]
    return node.ops == ("==",) and isinstance(right, x.Literal) and right.value is True


def _uniform(c: Col) -> bool | None:
    """A condition's one value when every row has it known and the same, else None."""
    if not np.all(c.known) or np.any(c.null):
        return None
    v = ops.as_mask(c.val)
    if not np.ndim(v):
        return bool(v)
    return True if v.all() else False if not v.any() else None


def _merge(items: Missing) -> Missing:
    """Union of (fact, rows) pairs, keeping the first order of facts."""
    out: dict[str, np.ndarray] = {}
    for path, mask in items:
        out[path] = out[path] | mask if path in out else mask
    return list(out.items())


def under(c: Col, codes: tuple[str, ...], system: str | None, negated: bool = False,
          memo: dict[Any, Any] | None = None) -> Col:
    """Code-hierarchy membership, decided once per distinct code (a column holds few). ``memo``: the
    table's per-decide memo, where a column tested by many rules is factorized once."""
    if c.cats is not None:  # the column's own codes: one test per category, -1 (no value) last
        inverse = c.cats[0]
        uniques = [*c.cats[1].tolist(), None]
        results = [scalar_ops.under(u, codes, system) if isinstance(u, str) else False for u in uniques]
    elif np.ndim(c.val) == 0:
        r = scalar_ops.under(c.val, codes, system)
        uniques, inverse = [c.val], None
        results = [r]
    else:
        vals = c.val
        hit = memo.get(id(vals)) if memo is not None else None
        if hit is None or hit[0] is not vals:  # one column is tested by many rules: factorize it once
            hit = (vals, pd.factorize(vals, use_na_sentinel=False))
            if memo is not None:
                memo[id(vals)] = hit
        inverse, uniques = hit[1]
        results = [scalar_ops.under(u, codes, system) if isinstance(u, str) else False for u in uniques]
    true = np.array([r is True for r in results], dtype=bool)
    unknown = np.array([r is scalar_ops.U for r in results], dtype=bool)
    if inverse is None:
        t, u = true[0], unknown[0]
    else:
        t, u = true[inverse], unknown[inverse] if unknown.any() else np.False_
    no_null = np.ndim(c.null) == 0 and not c.null
    val = t if no_null else ~c.null & t
    if np.ndim(u) or u:
        known = c.known & ~(u if no_null else u & ~c.null)
    else:
        known = c.known
    if negated:
        val = ~val
    return Col("bool", val, known, np.False_)


# -- derived facts --------------------------------------------------------------------------
def derived_missing(name: str, table: Table, as_of: date, rows: np.ndarray, ctx: _Ctx) -> Missing:
    """The facts a derived fact lacks, per row (from its own decision, once per distinct input)."""
    found = table_missing(name, table, as_of)
    if ctx.lst is not None:  # a derived fact inside a list: the parent's facts
        return [(p, m[ctx.lst.parent] & rows) for p, m in found]
    return [(p, m & rows) for p, m in found]


def table_missing(name: str, table: Table, as_of: date) -> Missing:
    """A derived fact's missing inputs over the whole table, computed once per table and date."""
    from .derived import derived_missing as find

    key = (name, as_of)
    hit = table.derived_missing.get(key)
    if hit is None:
        hit = table.derived_missing[key] = find(name, table, as_of)
    return hit


# -- rules ----------------------------------------------------------------------------------
def in_force(rules: Iterable[Rule], table: Table, as_of: date) -> list[Rule]:
    """The rules in force at ``as_of``: their in-force tests evaluated over the table like any node
    (each reads as_of alone, so its column is one value)."""
    from .derived import derived_column

    ev = _Evaluator(table, as_of, {}, lambda name: derived_column(name, table, as_of))

    def holds(node: x.Node) -> bool:
        c = ev.ev(node)
        return bool(np.all(c.known & ~c.null & c.val))

    return [r for r in rules if why_not_in_force(lower(r), as_of, holds) is None]


_WORDING = frozenset({"text", "label_zh", "label_en", "line"})  # a Clause's wording: not what it evaluates to


def shared_nodes(lowered: Iterable[Lowered]) -> dict[int, int]:
    """The nodes of ``lowered`` that read no parameter, by id, each mapped to the id of the first node
    of the same structure (:func:`_structure`): what one decide may evaluate once for all its rules.
    The caller keeps ``lowered`` alive while it uses the map, so no id is reused meanwhile."""
    seen: dict[int, Hashable | None] = {}
    first: dict[Hashable, int] = {}
    out: dict[int, int] = {}
    for low in lowered:
        for root in low.roots():
            for node in x.walk(root):
                key = _structure(node, seen)
                if key is not None:
                    out[id(node)] = first.setdefault(key, id(node))
    return out


def _structure(node: x.Node, seen: dict[int, Hashable | None]) -> Hashable | None:
    """What ``node`` evaluates to over a table on a date, as a key: its class and fields (a Clause
    without its wording; a constant by its type and exact text, so ``1`` is not ``true`` and ``1.0``
    is not ``1.00``); None for a node that reads a parameter (bound per rule)."""
    if id(node) in seen:
        return seen[id(node)]
    key: Hashable | None = None
    if not isinstance(node, x.Param | x.Name):
        parts: list[Hashable] = [type(node).__name__]
        for f in fields(node):  # type: ignore[arg-type]
            if f.name == "span" or (f.name in _WORDING and isinstance(node, x.Clause)):
                continue
            part = _part(getattr(node, f.name), seen)
            if part is None:
                break
            parts.append((f.name, part))
        else:
            key = tuple(parts)
    seen[id(node)] = key
    return key


def _part(value: Any, seen: dict[int, Hashable | None]) -> Hashable | None:
    if isinstance(value, x.Node):
        return _structure(value, seen)
    if isinstance(value, tuple):
        items = [_part(v, seen) for v in value]
        return None if any(i is None for i in items) else ("tuple", *items)
    return (type(value).__name__, repr(value))


@dataclass(frozen=True, slots=True)
class _Plan:
    """What decides one rule in force on one date, made once per date: its core nodes, its parameters'
    values then, its conditions as written (and their text), and whether its group is settled across
    dates (:func:`_settling`)."""

    lowered: Lowered
    params: dict[str, Any]
    clauses: tuple[x.Clause, ...]
    texts: tuple[str, ...]
    settles: bool


class VectorizedRules:
    """A RuleSet compiled for column-wise evaluation (the vectorized backend)."""

    def __init__(self, rules: RuleSet) -> None:
        check_rules(rules.rules, VECTORIZED)
        self.rules = rules
        self._lowered = tuple(lower(r) for r in rules.rules)  # kept: the ids in _shared stay theirs
        self._shared = shared_nodes(self._lowered)
        self._in_force: BoundedCache[date, tuple[tuple[Rule, ...], list[str], tuple[_Plan, ...]]] = BoundedCache(
            self._rules_in_force, 64)

    def _rules_in_force(self, as_of: date) -> tuple[tuple[Rule, ...], list[str], tuple[_Plan, ...]]:
        """The rules in force at ``as_of`` (their tests read no row, so a table without rows decides them),
        the derived facts they read, and each one's plan on that date."""
        no_rows = Table(0, np.zeros(0, np.int64), np.zeros(0, object), np.zeros(0, object), {}, {})
        active = tuple(in_force(self.rules.rules, no_rows, as_of))
        used = sorted({n.name for r in active for root in lower(r).roots() for n in x.walk(root)
                       if isinstance(n, x.Derived)})
        settling = _settling(list(active))
        plans = tuple(_Plan(lower(r), param_values(r, as_of) or {}, tuple(_clauses(r.when)),
                            tuple(c.text for c in _clauses(r.when)), id(r) in settling) for r in active)
        return active, used, plans

    def decide(self, table: Table, as_of: date, explain: bool = True) -> Decisions:
        """Decide every rule in force on ``as_of`` for every row (error rows are out of scope).

        ``explain=False`` leaves out what only the long table shows (missing facts, the first failed
        condition): statuses, amounts and groups are the same.
        """
        from .derived import derived_column, derived_columns

        rules, used, plans = self._in_force(as_of)
        active = list(rules)
        missing: dict[str, Missing] = {}
        cache: dict[str, Col] = derived_columns(used, table, as_of, missing if explain else None) \
            if used else {}  # shared reads, one pass, with the inputs each unknown row lacks
        for name, found in missing.items():
            table.derived_missing[(name, as_of)] = found

        def derived(name: str) -> Col:
            hit = cache.get(name)
            if hit is None:  # derived_column refuses an unregistered name with a bilingual error
                hit = cache[name] = derived_column(name, table, as_of)
            return hit

        valid = table.valid()
        no_failed = None if explain else np.full(table.n, -1, np.int16)  # shared by the rules: never written
        scopes: dict[int, _Scope] = {}  # this decide's scope tests, by node
        common: dict[tuple[int, int], Col] = {}  # this decide's values of the nodes its rules share
        try:
            outcomes = [self._rule(plan, table, as_of, valid, derived, explain, no_failed, scopes, common)
                        for plan in plans]
        finally:
            table.memo.clear()
        resolve_groups(active, outcomes, table, as_of)
        return Decisions(table, as_of, active, outcomes)

    def _rule(self, plan: _Plan, table: Table, as_of: date, valid: np.ndarray, derived: Callable[[str], Col],
              explain: bool, no_failed: np.ndarray | None, scopes: dict[int, _Scope],
              common: dict[tuple[int, int], Col]) -> RuleOutcome:
        low = plan.lowered
        rule = low.rule
        n = table.n
        ev = _Evaluator(table, as_of, plan.params, derived, self._shared, common)
        in_scope: Any = np.True_ if table.all_valid() else valid  # a scalar until a test narrows it
        scope_unknown: Any = np.False_
        scope_missing: Missing = []
        for node in low.scenarios:
            s = ev.ev(node)
            in_scope = _arr(ops.and_(in_scope, ops.and_(ops.and_not(s.known, s.null), ops.as_mask(s.val))), n)
        for node in low.tests:  # region, zone: false puts a row out of scope, unknown leaves it undetermined
            hit = scopes.get(id(node))
            if hit is None:  # rules of one jurisdiction share the node, so the test and its missing facts are made once
                col = ev.ev(node)
                known = _arr(col.known, n)
                unknown = ~known
                inside = ~(known & ~_arr(col.null, n) & ~_arr(col.val, n).astype(bool))
                hit = scopes[id(node)] = (col, unknown, inside, ev.missing(node, unknown) if explain else [])
            ev.remember(node, hit[0])
            in_scope = ops.and_(in_scope, hit[2])
            scope_unknown = ops.or_(scope_unknown, hit[1])
            scope_missing += hit[3]
        c = ev.ev(rule.when)
        c_false = _arr(ops.and_(ops.and_not(c.known, c.null), ~_arr(c.val, n).astype(bool, copy=False)), n)
        c_unknown = _arr(ops.or_(~ops.as_mask(c.known), scope_unknown), n)
        # ELIGIBLE (1), UNDETERMINED (2) where unknown, INELIGIBLE (0) where false (a false condition
        # decides even where something else is unknown), OUT (-1) out of scope
        decided = (np.int8(ELIGIBLE) + c_unknown.view(np.int8)) * (~c_false).view(np.int8)
        status = decided if in_scope is np.True_ else np.where(in_scope, decided, np.int8(OUT)).astype(np.int8,
                                                                                                      copy=False)
        clause_nodes = plan.clauses
        failed = np.full(n, -1, np.int16) if no_failed is None else no_failed  # no_failed: only without explain
        for i in reversed(range(len(clause_nodes)) if explain else ()):  # the first false clause wins
            cv = ev.ev(clause_nodes[i])
            is_false = cv.known & ~cv.null & ~_arr(cv.val, n).astype(bool, copy=False)
            np.putmask(failed, _arr(is_false, n), np.int16(i))  # in place: this rule's own array
        outcome = RuleOutcome(rule, status, np.zeros(n, np.int64), np.zeros(n, bool), failed,
                              list(plan.texts), [])
        open_rows = ops.and_(in_scope, ~c_false)
        f = low.finish
        if low.received is not None:
            self._received(low, ev, as_of, open_rows, outcome)
            open_rows = open_rows & (outcome.status != INELIGIBLE)
        amount_missing: Missing = []
        if f.amount is not None:
            m = ev.ev(f.amount)
            if f.cap is not None:
                cap = ev.ev(f.cap)
                capped = ops.minmax("min", [m, cap])
                # the cap is read only where the amount is known and given
                amount_given = _arr(m.known & ~m.null, n)
                m = Col(capped.kind, capped.val, np.where(amount_given, capped.known, m.known),
                        np.where(amount_given, capped.null, m.null), capped.scale)
                if explain:
                    amount_missing += ev.missing(f.cap, open_rows & amount_given & ~_arr(cap.known, n))
            if explain:
                amount_missing += ev.missing(f.amount, open_rows)
            m = ops.to_fen(ops.round_fen(m)) if m.kind in ("int", "dec") else ops.to_fen(m)
            known, given = m.known, ops.and_not(m.known, m.null)  # scalars for a fixed amount
            amount = m.val
            if f.index is not None:
                known, given, amount = _arr(known, n), _arr(given, n), _arr(amount, n).astype(np.int64)
                due = ev.ev(f.index)
                sk = _arr(due.known & ~due.null, n)
                pending = given & ~sk
                if explain:
                    sm = ev.missing(f.start, open_rows & given & ~_arr(due.known, n))  # type: ignore[arg-type]
                    amount_missing += sm or ([(f.start_text, open_rows & pending)] if pending.any() else [])
                    no_start = open_rows & given & _arr(due.known & due.null, n)
                    if no_start.any():
                        amount_missing.append((f.start_text, no_start))  # type: ignore[arg-type]
                index = _arr(due.val, n).astype(np.int64) // 10 ** due.scale
                count = f.instalments
                refused = open_rows & given & sk & ((index < 1) | (index > count))
                if not f.each_year:  # each_year: every instalment is the whole amount
                    part = _round_div(amount, count)
                    amount = np.where(index == count, amount - part * (count - 1), part)
                known = known & ~(given & ~sk)
                given = given & sk
                status[refused] = INELIGIBLE
                for idx in sorted(set(index[refused].tolist())):
                    rows = refused & (index == idx)
                    first = as_of.year - idx + 1
                    text = (f"paid over {count} years from {first}; {as_of.year} is "
                            f"{'before' if idx < 1 else 'after'} the schedule | 分{count}年兑现，自{first}年起；"
                            f"{as_of.year}年{'尚未开始' if idx < 1 else '已不在兑现期内'}")
                    outcome.reason.append((rows, text))
                open_rows = open_rows & ~refused
            have = ops.and_(given, known)
            outcome.amount = _amounts(have, amount, n)
            outcome.has_amount = _arr(ops.and_(have, open_rows), n)
        if explain:
            und = open_rows & (status == UNDETERMINED)
            cond_missing = _merge(scope_missing + ev.missing(rule.when, und)) if und.any() else []
            cond_missing = [(p, mk & und) for p, mk in cond_missing]
            # facts in name order: a row's list must not depend on which other rows share its frame
            outcome.missing = sorted(_merge(cond_missing + [(p, mk & open_rows) for p, mk in amount_missing]))
        if plan.settles:  # read with this rule's evaluator: its undated condition shares the nodes decided above
            u = ev.ev(_undated(rule))
            outcome.possible = ~_arr(u.known & ~u.null & ~_arr(u.val, n).astype(bool), n)
        return outcome

    def _received(self, low: Lowered, ev: _Evaluator, as_of: date, rows: np.ndarray, outcome: RuleOutcome) -> None:
        """Rows whose receipt test holds (a one-off in any year, an instalment this year) are ineligible;
        the first matching record gives the year shown and, in as_of's year, what ranks in the group."""
        table, q = ev.table, low.received
        lst = table.lists.get(RECEIVED)
        if lst is None or lst.size == 0 or q is None:
            return
        body = ev.ev(q.body, _items(lst))
        match = _arr(body.known & ~body.null & _arr(body.val, lst.size).astype(bool, copy=False), lst.size)
        year = lst.items.get("year")
        this_year = np.zeros(lst.size, bool)
        if year is not None:
            this_year = _arr(year.known & ~year.null, lst.size) & (
                _arr(year.val, lst.size) == as_of.year * 10 ** year.scale)
        match = match & lst.known[lst.parent] & rows[lst.parent]
        idx = np.flatnonzero(match)
        if not len(idx):
            return
        parents, first = np.unique(lst.parent[idx], return_index=True)
        first_items = idx[first]
        outcome.status[parents] = INELIGIBLE
        n = table.n
        years_col = year
        for yr in np.unique(_arr(years_col.val, lst.size)[first_items]) if years_col is not None else []:
            sel = np.zeros(n, bool)
            sel[parents[_arr(years_col.val, lst.size)[first_items] == yr]] = True
            got = int(yr) // 10 ** years_col.scale
            outcome.reason.append((sel, f"already received in {got} | 已于{got}年享受"))
        recv = np.zeros(n, bool)
        recv_amount = np.zeros(n, np.int64)
        recv_has = np.zeros(n, bool)
        ty = this_year[first_items]
        recv[parents[ty]] = True
        amt = lst.items.get("amount")
        fixed = low.finish.fixed
        fixed_fen = int(fixed.scaleb(2)) if fixed is not None else None
        if amt is not None:
            a_given = _arr(amt.known & ~amt.null, lst.size)[first_items]
            a_fen = ops.to_fen(amt)
            vals = _arr(a_fen.val, lst.size)[first_items]
        else:
            a_given = np.zeros(len(first_items), bool)
            vals = np.zeros(len(first_items), np.int64)
        use_fixed = ~a_given & (fixed_fen is not None)
        recv_amount[parents] = np.where(a_given, vals, fixed_fen or 0)
        recv_has[parents] = a_given | use_fixed
        outcome.received = recv
        outcome.received_amount = recv_amount
        outcome.received_has_amount = recv_has & recv


def _amounts(have: Any, amount: Any, n: int) -> np.ndarray:
    """int64 fen per row: ``amount`` where ``have``, else 0 (one pass, or one fill for a fixed amount).
    Always a new array: groups write into it, and ``amount`` may be a column other rules read."""
    if np.ndim(have) == 0:
        if not have:
            return np.zeros(n, np.int64)
        return np.full(n, amount, np.int64) if np.ndim(amount) == 0 else np.array(amount, np.int64)
    return np.where(have, np.int64(amount) if np.ndim(amount) == 0 else amount, np.int64(0)).astype(np.int64,
                                                                                                   copy=False)


def _round_div(total: np.ndarray, count: int) -> np.ndarray:
    """round_fen(total / count) on fen, half up (away from zero)."""
    mag = (2 * np.abs(total) + count) // (2 * count)
    return np.where(total < 0, -mag, mag)


def resolve_groups(rules: list[Rule], outcomes: list[RuleOutcome], table: Table, as_of: date) -> None:
    """就高不重复 on every row at once (:func:`eligibility.groups.winners` over arrays, as every backend);
    a group of one-off grants is then settled across dates row by row, on the rows where that can
    change the outcome (:func:`_settle_rows`)."""
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(rules):
        if r.group:
            groups.setdefault(r.group, []).append(i)
    for members in groups.values():
        if len(members) < 2:
            continue
        settled = one_off([rules[i] for i in members])
        eligible = [outcomes[i].status == ELIGIBLE for i in members] if settled else []
        candidate, amount = [], []
        for i in members:
            o = outcomes[i]
            c = o.status == ELIGIBLE
            a = np.where(o.has_amount, o.amount, NO_AMOUNT_FEN)
            if o.received is not None:  # a receipt of this year ranks with what was received
                c = c | o.received
                a = np.where(o.received, np.where(o.received_has_amount, o.received_amount, NO_AMOUNT_FEN), a)
            candidate.append(c)
            amount.append(a)
        local = winners([rules[i] for i in members], candidate, amount, LOWEST_FEN)
        winner = np.where(local >= 0, np.asarray(members, np.int32)[local], -1).astype(np.int32)
        n = len(winner)
        for i in members:
            o = outcomes[i]
            lose = (o.status == ELIGIBLE) & (winner != i) & (winner >= 0)
            if lose.any():
                o.status[lose] = SUPERSEDED
                sb = np.full(n, -1, np.int32) if o.superseded_by is None else o.superseded_by
                sb[lose] = winner[lose]
                o.superseded_by = sb
        if settled:
            _settle_rows(rules, outcomes, members, eligible, local, table, as_of)


def _settling(rules: list[Rule]) -> set[int]:
    """The rules (by id) of the one-off groups that :func:`resolve_groups` settles across dates."""
    groups: dict[str, list[Rule]] = {}
    for r in rules:
        if r.group:
            groups.setdefault(r.group, []).append(r)
    return {id(r) for members in groups.values() if len(members) > 1 and one_off(members) for r in members}


_UNDATED: dict[int, tuple[Rule, x.Node]] = {}  # each rule's condition with its dated parts unknown


def _undated(rule: Rule) -> x.Node:
    hit = _UNDATED.get(id(rule))
    if hit is None or hit[0] is not rule:
        hit = _UNDATED[id(rule)] = (rule, undated(rule.when))
    return hit[1]


def _settle_rows(rules: list[Rule], outcomes: list[RuleOutcome], members: list[int], eligible: list[np.ndarray],
                 local: np.ndarray, table: Table, as_of: date) -> None:
    """A group of one-off grants settled across dates (:func:`..interpreter.evaluator.settle`, the interpreter's own
    resolution) on the rows where a member is eligible and either a member was received or another
    member could be eligible on some date (its condition with the dated parts unknown is not false)
    and could then outrank ``local``, the winner just ranked (with fixed amounts only the members
    above it can); elsewhere the settlement is the ranking just made. Each such row's facts are read
    back from the table."""
    rows = np.logical_or.reduce(eligible)
    if not rows.any():
        return
    group = [rules[i] for i in members]
    ids = np.array([r.id for r in group], dtype=object)
    received = np.zeros(table.n, bool)
    lst = table.lists.get(RECEIVED)
    rid = lst.items.get("rule_id") if lst is not None else None
    if lst is not None and rid is not None and lst.size:
        hit = _arr(rid.known & ~rid.null, lst.size) & np.isin(np.asarray(_arr(rid.val, lst.size), dtype=object), ids)
        received[lst.parent[hit]] = True
    possible = [outcomes[i].possible for i in members]
    assert all(p is not None for p in possible), "decide marks every member of a one-off group (_settling)"
    higher = above(group)
    if higher is None:
        barred = np.add.reduce([p.view(np.int8) for p in possible]) >= 2  # type: ignore[union-attr]
    else:  # an earlier date bars the winner only where a member above it could have been eligible
        barred = np.zeros(table.n, bool)
        for k, over in enumerate(higher):
            if over:
                barred |= (local == k) & np.logical_or.reduce([possible[j] for j in over])
    rows = np.flatnonzero(rows & (received | barred))
    if not len(rows):
        return
    paths = _group_reads(group)
    n = table.n
    reasons: dict[tuple[int, str], list[int]] = {}  # (member, text) → its rows: one mask per text
    item_fields: dict[str, list[tuple[str, Col, bool, bool, bool]]] = {}  # per list, for every row
    for row in rows.tolist():
        facts = row_facts(table, row, paths, item_fields)
        amounts = [Decimal(int(outcomes[i].amount[row])).scaleb(-2) if outcomes[i].has_amount[row] else None
                   for i in members]
        flags = [bool(e[row]) for e in eligible]
        s = settle(group, flags, amounts, facts, as_of)
        for k, i in enumerate(members):
            o = outcomes[i]
            if flags[k]:
                o.status[row] = ELIGIBLE
                if o.superseded_by is not None:
                    o.superseded_by[row] = -1
        for k, by in s.superseded.items():
            o = outcomes[members[k]]
            o.status[row] = SUPERSEDED
            if o.superseded_by is None:
                o.superseded_by = np.full(n, -1, np.int32)
            o.superseded_by[row] = members[group.index(by)]
        for k, (zh, en) in s.reasons.items():
            reasons.setdefault((members[k], f"{en} | {zh}"), []).append(row)
        if s.amount is not None:
            outcomes[members[s.paid]].amount[row] = int(s.amount.scaleb(2))
    for (i, en), at in reasons.items():
        mask = np.zeros(n, bool)
        mask[at] = True
        outcomes[i].reason.append((mask, en))


_READS: dict[tuple[int, ...], tuple[list[Rule], list[str]]] = {}  # a group's rules → the paths they read


def _group_reads(group: list[Rule]) -> list[str]:
    """The flat-fact paths a group's rules read (sorted), found once per group (the rules kept alive
    with the entry, so their ids are not reused)."""
    key = tuple(map(id, group))
    hit = _READS.get(key)
    if hit is None or any(a is not b for a, b in zip(hit[0], group)):
        hit = _READS[key] = (list(group), sorted({p for r in group for p in lower(r).reads()}))
    return hit[1]


def row_facts(table: Table, row: int, paths: list[str],
              item_fields: dict[str, list[tuple[str, Col, bool, bool, bool]]] | None = None) -> Facts:
    """The flat facts of one row at ``paths`` (fields and lists; other paths unknown). ``item_fields``:
    what each list's item fields are, kept across the rows of one table."""
    scalar = [p for p in paths if p in table.cols]
    facts = _facts_at(table, row, scalar, [table.cols[p] for p in scalar])
    specs = registry()
    kept = {} if item_fields is None else item_fields
    for path in paths:
        lc = table.lists.get(path)
        if lc is None or not (lc.known[row] if np.ndim(lc.known) else lc.known):
            continue
        fields = kept.get(path)
        if fields is None:  # what each item field is, looked up once per list
            fields = kept[path] = [(name, c, _is_money(specs, f"{path}[].{name}"), np.ndim(c.known) > 0,
                                    np.ndim(c.null) > 0) for name, c in lc.items.items()]
        items = []
        for j in range(int(lc.offsets[row]), int(lc.offsets[row + 1])):
            item: dict[str, Any] = {}
            for name, c, money, known_each, null_each in fields:
                if not (c.known[j] if known_each else c.known):
                    continue
                item[name] = None if (c.null[j] if null_each else c.null) else _native(c, c.at(j), money)
            items.append(item)
        facts.values[path] = tuple(items)
    return facts
