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

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ...errors import EligibilityError
from ...facts.fields import registry
from ...model import expr as x
from ...model.rule import Rule, RuleSet
from ..interpreter import ops as scalar_ops
from ..interpreter.evaluator import in_force, param_values
from . import ops
from .columns import EPOCH_ORDINAL, Col, ListCol, Table

OUT, INELIGIBLE, ELIGIBLE, UNDETERMINED, SUPERSEDED = -1, 0, 1, 2, 3
STATUS_NAMES = ("ineligible", "eligible", "undetermined", "superseded")

Missing = list[tuple[str, np.ndarray]]


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


class _Evaluator:
    """Evaluates the nodes of one rule (its parameters bound) over a table, memoizing each node."""

    def __init__(self, table: Table, as_of: date, params: dict[str, Any], derived: Callable[[str], Col]) -> None:
        self.table = table
        self.as_of = as_of
        self.params = params
        self.derived = derived
        self.memo: dict[tuple[int, int], Col] = {}
        self.row_ctx = _Ctx()

    def ev(self, node: x.Node, ctx: _Ctx | None = None) -> Col:
        ctx = ctx or self.row_ctx
        key = (id(node), ctx.key)
        hit = self.memo.get(key)
        if hit is None:
            hit = self.memo[key] = getattr(self, f"_{type(node).__name__}")(node, ctx)
        return hit

    def _field_col(self, path: str, ctx: _Ctx) -> Col:
        spec = registry().get(path)
        if spec is not None and spec.type.kind == "list":
            lst = self.table.lists.get(path)
            col = Col("list", np.False_, lst.known if lst is not None else np.zeros(self.table.n, bool), np.False_)
        else:
            col = self.table.col(path)
        return col.take(ctx.lst.parent) if ctx.lst is not None else col

    # -- leaves --------------------------------------------------------------------------------
    def _Literal(self, node: x.Literal, ctx: _Ctx) -> Col:
        return ops.const(node.value)

    def _Field(self, node: x.Field, ctx: _Ctx) -> Col:
        return self._field_col(node.path, ctx)

    def _ItemField(self, node: x.ItemField, ctx: _Ctx) -> Col:
        assert ctx.lst is not None
        found = ctx.lst.items.get(node.name)
        if found is None:
            return Col("bool", np.False_, np.zeros(ctx.lst.size, bool), np.False_)
        return found

    def _Derived(self, node: x.Derived, ctx: _Ctx) -> Col:
        col = self.derived(node.name)
        return col.take(ctx.lst.parent) if ctx.lst is not None else col

    def _Param(self, node: x.Param, ctx: _Ctx) -> Col:
        return ops.const(self.params[node.name])

    def _AsOf(self, node: x.AsOf, ctx: _Ctx) -> Col:
        return ops.const(self.as_of)

    def _ListLit(self, node: x.ListLit, ctx: _Ctx) -> Col:
        return Col("bool", np.False_, np.True_, np.False_)  # only read through tiered/lookup pairs

    def _Clause(self, node: x.Clause, ctx: _Ctx) -> Col:
        return self.ev(node.item, ctx)

    # -- logic ---------------------------------------------------------------------------------
    def _Compare(self, node: x.Compare, ctx: _Ctx) -> Col:
        operands = [self.ev(o, ctx) for o in node.operands]
        if len(node.ops) == 1:
            return ops.compare(node.ops[0], *operands)
        return ops.chain(node.ops, operands)

    def _InList(self, node: x.InList, ctx: _Ctx) -> Col:
        operand = self.ev(node.operand, ctx)
        hits = [ops.compare("==", operand, self.ev(i, ctx)) for i in node.items]
        val: Any = np.False_
        for h in hits:
            val = val | (h.known & h.val)
        return Col("bool", ~val if node.negated else val, operand.known, np.False_)

    def _Under(self, node: x.Under, ctx: _Ctx) -> Col:
        system = registry()[node.operand.path].type.code if isinstance(node.operand, x.Field) else None
        return under(self.ev(node.operand, ctx), node.codes, system, node.negated)

    def _And(self, node: x.And, ctx: _Ctx) -> Col:
        return ops.junction([self.ev(i, ctx) for i in node.items], is_and=True)

    def _Or(self, node: x.Or, ctx: _Ctx) -> Col:
        return ops.junction([self.ev(i, ctx) for i in node.items], is_and=False)

    def _Not(self, node: x.Not, ctx: _Ctx) -> Col:
        return ops.negate(self.ev(node.item, ctx))

    # -- values --------------------------------------------------------------------------------
    def _Arith(self, node: x.Arith, ctx: _Ctx) -> Col:
        return ops.arith(node.op, self.ev(node.left, ctx), self.ev(node.right, ctx))

    def _Neg(self, node: x.Neg, ctx: _Ctx) -> Col:
        return ops.neg(self.ev(node.item, ctx))

    def _IfElse(self, node: x.IfElse, ctx: _Ctx) -> Col:
        return ops.where(self.ev(node.cond, ctx), self.ev(node.then, ctx), self.ev(node.otherwise, ctx))

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

    def _Quantifier(self, node: x.Quantifier, ctx: _Ctx) -> Col:
        lst = self.table.lists.get(node.list_path)
        n = self.table.n
        if lst is None:
            return Col("bool", np.False_, np.zeros(n, bool), np.False_)
        ictx = _Ctx(lst, id(node))
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
        ctx = ctx or self.row_ctx
        value = self.ev(node, ctx)
        unknown = rows & ~_arr(value.known, len(rows))
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
            ictx = _Ctx(lst, id(node))
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
        for kid in x.children(node):
            out.extend(self.missing(kid, unknown, ctx))
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


def _merge(items: Missing) -> Missing:
    """Union of (fact, rows) pairs, keeping the first order of facts."""
    out: dict[str, np.ndarray] = {}
    for path, mask in items:
        out[path] = out[path] | mask if path in out else mask
    return list(out.items())


_FACTORIZED: dict[int, tuple[np.ndarray, tuple[np.ndarray, Any]]] = {}  # live during one decide() only
_SCOPES: dict[tuple[int, str], tuple[Any, Any]] = {}  # likewise: region and development-zone tests of scope


def under(c: Col, codes: tuple[str, ...], system: str | None, negated: bool = False) -> Col:
    """Code-hierarchy membership, decided once per distinct code (a column holds few)."""
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
        hit = _FACTORIZED.get(id(vals))
        if hit is None or hit[0] is not vals:  # one column is tested by many rules: factorize it once
            hit = _FACTORIZED[id(vals)] = (vals, pd.factorize(vals, use_na_sentinel=False))
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
class VectorizedRules:
    """A RuleSet compiled for column-wise evaluation (the vectorized backend)."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules

    def decide(self, table: Table, as_of: date, explain: bool = True) -> Decisions:
        """Decide every rule in force on ``as_of`` for every row (error rows are out of scope).

        ``explain=False`` leaves out what only the long table shows (missing facts, the first failed
        condition): statuses, amounts and groups are the same.
        """
        from .derived import derived_column, derived_columns

        active = [r for r in self.rules.rules if in_force(r, as_of) is None]
        used = sorted({n.name for r in active for root in (r.when, r.benefit.amount, r.benefit.cap)
                       if root is not None for n in x.walk(root) if isinstance(n, x.Derived)})
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
        try:
            outcomes = [self._rule(r, table, as_of, valid, derived, explain, no_failed) for r in active]
        finally:
            _FACTORIZED.clear()
            _SCOPES.clear()
        resolve_groups(active, outcomes)
        return Decisions(table, as_of, active, outcomes)

    def _rule(self, rule: Rule, table: Table, as_of: date, valid: np.ndarray, derived: Callable[[str], Col],
              explain: bool, no_failed: np.ndarray | None = None) -> RuleOutcome:
        n = table.n
        ev = _Evaluator(table, as_of, param_values(rule, as_of) or {}, derived)
        in_scope: Any = np.True_ if table.all_valid() else valid  # a scalar until a test narrows it
        scope_unknown: Any = np.False_
        scope_missing: Missing = []
        for name in sorted(rule.scenarios):
            s = table.col(f"scenario.{name}")
            in_scope = in_scope & _arr(s.known & ~s.null & s.val, n).astype(bool, copy=False)
        j = rule.jurisdiction
        if j.prefix:
            region_path = "region_code"
            region = table.col("region_code")
            if j.by:
                matter = table.col(f"scenario.{j.by}.region_code")
                use_matter = _arr(matter.known & ~matter.null, n)
                region = Col("str", np.where(use_matter, matter.val, region.val),
                             np.where(use_matter, True, region.known), np.where(use_matter, False, region.null))
            memo = _SCOPES.get((id(region), j.prefix))  # rules of one jurisdiction share the test
            if memo is None or memo[0] is not region:
                inside = under(region, (j.prefix,), "region")
                known = _arr(inside.known, n)
                memo = _SCOPES[(id(region), j.prefix)] = (region, (known, known & ~_arr(inside.val, n)))
            known, outside = memo[1]
            in_scope = in_scope & ~outside
            scope_unknown = scope_unknown | ~known
            if explain:
                scope_missing += ev._field_missing(region_path, ~known)
        if j.development_zone:
            z = table.col("development_zone")
            zk = _arr(z.known, n)
            source = z.arrow_text()  # the zone names still in Arrow (no Python string per row), or built
            if source is None:
                source = z.val
            other = _SCOPES.get((id(source), j.development_zone))
            if other is None or other[0] is not source:  # one test per zone, shared by its rules
                differs = (pc.not_equal(source, j.development_zone).to_numpy(zero_copy_only=False)
                           if isinstance(source, pa.Array) else _arr(source, n) != j.development_zone)
                other = _SCOPES[(id(source), j.development_zone)] = (source, differs)
            in_scope = in_scope & ~(zk & (_arr(z.null, n) | other[1]))
            scope_unknown = scope_unknown | ~zk
            if explain:
                scope_missing += ev._field_missing("development_zone", ~zk)
        c = ev.ev(rule.when)
        c_false = _arr(ops.and_(ops.and_not(c.known, c.null), ~_arr(c.val, n).astype(bool, copy=False)), n)
        c_unknown = _arr(ops.or_(~ops.as_mask(c.known), scope_unknown), n)
        # ELIGIBLE (1), UNDETERMINED (2) where unknown, INELIGIBLE (0) where false (a false condition
        # decides even where something else is unknown), OUT (-1) out of scope
        decided = (np.int8(ELIGIBLE) + c_unknown.view(np.int8)) * (~c_false).view(np.int8)
        status = decided if in_scope is np.True_ else np.where(in_scope, decided, np.int8(OUT)).astype(np.int8,
                                                                                                      copy=False)
        clause_nodes = _clauses(rule.when)
        failed = np.full(n, -1, np.int16) if no_failed is None else no_failed  # no_failed: only without explain
        for i in reversed(range(len(clause_nodes)) if explain else ()):  # the first false clause wins
            cv = ev.ev(clause_nodes[i])
            is_false = cv.known & ~cv.null & ~_arr(cv.val, n).astype(bool, copy=False)
            np.putmask(failed, _arr(is_false, n), np.int16(i))  # in place: this rule's own array
        outcome = RuleOutcome(rule, status, np.zeros(n, np.int64), np.zeros(n, bool), failed,
                              [cl.text for cl in clause_nodes], [])
        open_rows = ops.and_(in_scope, ~c_false)
        b = rule.benefit
        if b.once or b.schedule:
            self._received(rule, table, as_of, open_rows, outcome)
            open_rows = open_rows & (outcome.status != INELIGIBLE)
        amount_missing: Missing = []
        if b.amount is not None:
            m = ev.ev(b.amount)
            if b.cap is not None:
                cap = ev.ev(b.cap)
                capped = ops.minmax("min", [m, cap])
                # the cap is read only where the amount is known and given
                amount_given = _arr(m.known & ~m.null, n)
                m = Col(capped.kind, capped.val, np.where(amount_given, capped.known, m.known),
                        np.where(amount_given, capped.null, m.null), capped.scale)
                if explain:
                    amount_missing += ev.missing(b.cap, open_rows & amount_given & ~_arr(cap.known, n))
            if explain:
                amount_missing += ev.missing(b.amount, open_rows)
            m = ops.to_fen(ops.round_fen(m)) if m.kind in ("int", "dec") else ops.to_fen(m)
            known, given = m.known, ops.and_not(m.known, m.null)  # scalars for a fixed amount
            amount = m.val
            if b.schedule is not None:
                known, given, amount = _arr(known, n), _arr(given, n), _arr(amount, n).astype(np.int64)
                start = ev.ev(b.schedule.start)
                sk = _arr(start.known & ~start.null, n)
                pending = given & ~sk
                if explain:
                    sm = ev.missing(b.schedule.start, open_rows & given & ~_arr(start.known, n))
                    amount_missing += sm or ([(b.schedule.start_text, open_rows & pending)] if pending.any() else [])
                    no_start = open_rows & given & _arr(start.known & start.null, n)
                    if no_start.any():
                        amount_missing.append((b.schedule.start_text, no_start))
                years = np.asarray(_arr(start.val, n), dtype="int64").astype("datetime64[D]").astype(
                    "datetime64[Y]").astype(np.int64) + 1970
                index = as_of.year - years + 1
                count = b.schedule.count
                refused = open_rows & given & sk & ((index < 1) | (index > count))
                part = _round_div(amount, count)
                last = amount - part * (count - 1)
                amount = np.where(index == count, last, part)
                known = known & ~(given & ~sk)
                given = given & sk
                status[refused] = INELIGIBLE
                for (yr, idx) in _distinct_pairs(years[refused], index[refused]):
                    rows = refused & (years == yr) & (index == idx)
                    text = (f"paid over {count} years from {yr}; {as_of.year} is "
                            f"{'before' if idx < 1 else 'after'} the schedule")
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
        return outcome

    def _received(self, rule: Rule, table: Table, as_of: date, rows: np.ndarray, outcome: RuleOutcome) -> None:
        """One-offs received in any year and instalments received this year make the rule ineligible."""
        lst = table.lists.get("benefits_received")
        if lst is None or lst.size == 0:
            return
        rid = lst.items.get("rule_id")
        if rid is None:
            return
        match = _arr(rid.known & ~rid.null, lst.size) & (_arr(rid.val, lst.size) == rule.id)
        year = lst.items.get("year")
        this_year = np.zeros(lst.size, bool)
        if year is not None:
            this_year = _arr(year.known & ~year.null, lst.size) & (
                _arr(year.val, lst.size) == as_of.year * 10 ** year.scale)
        if not rule.benefit.once:
            match &= this_year
        match &= lst.known[lst.parent] & rows[lst.parent]
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
            outcome.reason.append((sel, f"already received in {int(yr) // 10 ** years_col.scale}"))
        recv = np.zeros(n, bool)
        recv_amount = np.zeros(n, np.int64)
        recv_has = np.zeros(n, bool)
        ty = this_year[first_items]
        recv[parents[ty]] = True
        amt = lst.items.get("amount")
        fixed = rule.benefit.amount
        fixed_fen = (int(fixed.value.scaleb(2)) if isinstance(fixed, x.Literal) and isinstance(fixed.value, Decimal)
                     else None)
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
    """int64 fen per row: ``amount`` where ``have``, else 0 (one pass, or one fill for a fixed amount)."""
    if np.ndim(have) == 0:
        if not have:
            return np.zeros(n, np.int64)
        return np.full(n, amount, np.int64) if np.ndim(amount) == 0 else np.asarray(amount, np.int64)
    return np.where(have, np.int64(amount) if np.ndim(amount) == 0 else amount, np.int64(0)).astype(np.int64,
                                                                                                   copy=False)


def _round_div(total: np.ndarray, count: int) -> np.ndarray:
    """round_fen(total / count) on fen, half up (away from zero)."""
    mag = (2 * np.abs(total) + count) // (2 * count)
    return np.where(total < 0, -mag, mag)


def _distinct_pairs(a: np.ndarray, b: np.ndarray) -> list[tuple[int, int]]:
    return sorted({(int(p), int(q)) for p, q in zip(a.tolist(), b.tolist())})


def resolve_groups(rules: list[Rule], outcomes: list[RuleOutcome]) -> None:
    """就高不重复 on every row at once, with the ranking of :func:`eligibility.groups.rank_key`."""
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(rules):
        if r.group:
            groups.setdefault(r.group, []).append(i)
    for members in groups.values():
        if len(members) < 2:
            continue
        # static tie order: higher priority, then higher jurisdiction level (smaller number), then id
        order = sorted(members, key=lambda i: (-rules[i].priority, rules[i].jurisdiction.level, rules[i].id))
        n = len(outcomes[order[0]].status)
        best = np.full(n, np.iinfo(np.int64).min, np.int64)
        winner = np.full(n, -1, np.int32)
        eligible_count = np.zeros(n, np.int32)
        for i in order:
            o = outcomes[i]
            eligible = o.status == ELIGIBLE
            eligible_count += eligible
            candidate = eligible.copy()
            amount = np.where(o.has_amount, o.amount, -100)  # no amount ranks as −1 yuan
            if o.received is not None:
                candidate |= o.received
                amount = np.where(o.received, np.where(o.received_has_amount, o.received_amount, -100), amount)
            better = candidate & (amount > best)
            best = np.where(better, amount, best)
            winner = np.where(better, i, winner)
        for i in members:
            o = outcomes[i]
            lose = (o.status == ELIGIBLE) & (winner != i) & (winner >= 0)
            if lose.any():
                o.status[lose] = SUPERSEDED
                sb = np.full(n, -1, np.int32) if o.superseded_by is None else o.superseded_by
                sb[lose] = winner[lose]
                o.superseded_by = sb

