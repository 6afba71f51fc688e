"""The interpreter backend: one profile, every rule, a full explanation of each decision; and the
settlement of groups of one-off grants across evaluation dates, which every backend calls."""

from __future__ import annotations

from functools import lru_cache
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from ...facts.flatten import UNKNOWN, Facts
from ...facts.money import format_money, round_fen
from ...groups import NO_AMOUNT, tie_order, winners
from ...lower import Finish, Lowered, lower, param_values, why_not_in_force
from ...model import expr as x
from ...model.dispatch import NodeTable
from ...model.rule import Rule
from ...results import Instalment, OutOfScope, RuleResult, Status, Trace
from . import ops
from .builders import BuilderGen, build, builder, generated
from .trace import Env, _missing, _presumed, compile_node, evaluate

U = UNKNOWN


def scope(low: Lowered, env: Env, seen: dict[int, Trace] | None = None) -> OutOfScope | tuple[Trace, ...]:
    """Is the firm (or its matter) within the rule's reach? Out of scope, or the traces that decide it
    (an UNKNOWN trace makes the rule undetermined). ``seen`` keeps the traces of scope tests already
    evaluated on this firm: rules of one jurisdiction share their test nodes."""
    rule = low.rule
    memo = {} if seen is None else seen
    for node in low.scenarios:
        if _scope_test(node, env, memo).value is not True:
            path = node.operands[0].path  # type: ignore[attr-defined]
            return OutOfScope(rule, f"不涉及该事项（{path}）", f"no such matter in the profile ({path})")
    traces: list[Trace] = []
    j = rule.jurisdiction
    if low.region is not None:
        t = _scope_test(low.region, env, memo)
        if isinstance(low.region, x.IfElse):
            t = t.children[1]  # the region test taken (the matter's where it is held, else the firm's)
        if t.value is False:
            return OutOfScope(rule, f"不在适用地区（{j.name}）", f"outside its jurisdiction ({j.name})")
        traces.append(t)
    if low.zone is not None:
        zt = _scope_test(low.zone, env, memo)
        if zt.value is False:
            return OutOfScope(rule, f"不在{j.development_zone}", f"not in {j.development_zone}")
        traces.append(zt)
    return tuple(traces)


def _scope_test(node: x.Node, env: Env, seen: dict[int, Trace]) -> Trace:
    """A scope test's trace on this firm, evaluated once (scope tests read no parameter)."""
    t = seen.get(id(node))
    if t is None:
        t = seen[id(node)] = evaluate(node, env)
    return t


def first_item(node: x.Quantifier, env: Env) -> dict[str, Any] | None:
    """The first item of ``node``'s list for which its body holds (the record a receipt test found)."""
    items = env.values.get(node.list_path, U)
    if not isinstance(items, list | tuple):
        return None
    body, saved = compile_node(node.body), env.item
    try:
        for item in items:
            env.item = item
            if body(env).value is True:
                return item  # type: ignore[no-any-return]
    finally:
        env.item = saved
    return None


def received_record(low: Lowered, env: Env) -> tuple[int, Decimal | None] | None:
    """The year (and amount) this one-off, or this year's instalment, was already received."""
    record = first_item(low.received, env) if low.received is not None else None  # the receipt test holds
    if record is None:
        return None
    return int(record["year"]), low.finish.received_amount(record)


def _amount(f: Finish, env: Env, trace: Callable[[x.Node, Env], Trace] = evaluate
            ) -> tuple[Any, Trace | None, Instalment | None, tuple[str, str] | None]:
    """(amount or UNKNOWN or None, its trace, the instalment, a reason the schedule refuses), the
    traces made by ``trace`` (the reference closures, or the generated builders)."""
    if f.amount is None:
        return None, None, None, None
    t = trace(f.amount, env)
    value = t.value
    if f.cap is not None and value is not U and value is not None:
        cap = trace(f.cap, env)
        capped = ops.minmax("min", [value, cap.value])
        t = Trace(x.Call("min", (f.amount, f.cap)), capped, (t, cap), cap.missing if capped is U else ())
        value = capped
    if f.index is None or value is U or value is None:
        return (value if value is U or value is None else round_fen(value)), t, None, None
    due = trace(f.index, env).value
    if due is U or due is None:
        start = trace(f.start, env)  # type: ignore[arg-type]
        t = Trace(t.node, U, (t, start), start.missing or (f.start_text,))  # type: ignore[arg-type]
        return U, t, None, None
    index, n, year = int(due), f.instalments, env.as_of.year
    first = year - index + 1
    total = round_fen(value) * n if f.each_year else round_fen(value)
    if not 1 <= index <= n:
        zh = f"分{n}年兑现，自{first}年起；{year}年{'尚未开始' if index < 1 else '已不在兑现期内'}"
        en = f"paid over {n} years from {first}; {year} is {'before' if index < 1 else 'after'} the schedule"
        return None, t, Instalment(index, n, total, first), (zh, en)
    part = round_fen(value) if f.each_year else round_fen(total / n)
    amount = total - part * (n - 1) if index == n else part
    return amount, t, Instalment(index, n, total, first), None


def evaluate_rule(rule: Rule, facts: Facts, as_of: date) -> RuleResult | OutOfScope:
    """Decide one rule for one firm, keeping every trace for the explanation."""
    low, env = lower(rule), Env(facts, as_of, {})
    out = why_not_in_force(low, as_of, lambda node: evaluate(node, env).value)
    if out is not None:
        return out
    env.params = param_values(rule, as_of) or {}
    return runner(low)(env, {})


def run_rule(low: Lowered, env: Env, seen: dict[int, Trace] | None = None) -> RuleResult | OutOfScope:
    """One rule on one firm by the reference closures: scope, conditions, already-received, the finish
    (the env carries its params; ``seen`` the scope tests already evaluated on this firm). What each
    rule's generated :func:`runner` does, and is tested against."""
    rule, as_of = low.rule, env.as_of
    scoped: tuple[Trace, ...] = ()
    if low.scoped:
        checked = scope(low, env, seen)
        if isinstance(checked, OutOfScope):
            return checked
        scoped = checked
    trace = evaluate(rule.when, env)
    decided = trace.value
    if scoped:
        for s in scoped:
            if s.value is False or decided is False:
                decided = False
            elif s.value is U:
                decided = U
        missing = _missing((*scoped, trace))
        presumed = _presumed((trace, *scoped))
    else:
        missing, presumed = trace.missing, trace.presumed
    result = RuleResult(rule, Status.INELIGIBLE, trace)
    result.as_of = as_of
    if scoped:
        result.scope_traces = scoped
    if presumed:
        result.presumed = presumed
    finish = low.finish
    if finish.amount is not None:
        result.amount_kind = finish.kind
    if decided is False:
        return result
    received = received_record(low, env)
    if received is not None:
        result.received_year, result.received_amount = received
        result.reason = (f"已于{received[0]}年享受", f"already received in {received[0]}")
        return result
    amount, amount_trace, instalment, refusal = _amount(finish, env)
    result.amount_trace, result.instalment = amount_trace, instalment
    if refusal is not None:
        result.reason = refusal
        return result
    if decided is U:
        result.status = Status.UNDETERMINED
        result.missing = missing
    else:
        result.status = Status.ELIGIBLE
    if amount is U:
        assert amount_trace is not None
        result.missing = tuple(dict.fromkeys((*result.missing, *amount_trace.missing)))
    else:
        result.amount = amount
    if amount_trace is not None and amount_trace.presumed:
        result.presumed = tuple(dict.fromkeys((*result.presumed, *amount_trace.presumed)))
    return result


Runner = Callable[[Env, dict[int, Trace]], "RuleResult | OutOfScope"]
"""A rule generated into one function of the env and the scope traces already made on this firm."""


def _received(result: RuleResult, received: tuple[int, Decimal | None]) -> RuleResult:
    """The result of a rule already received (ineligible, with the year and amount received)."""
    result.received_year, result.received_amount = received
    result.reason = (f"已于{received[0]}年享受", f"already received in {received[0]}")
    return result


_RUNNER_NAMES: dict[str, Any] = {
    "RR": RuleResult, "OOS": OutOfScope, "INELIGIBLE": Status.INELIGIBLE, "ELIGIBLE": Status.ELIGIBLE,
    "UNDETERMINED": Status.UNDETERMINED, "received_record": received_record, "received": _received,
    "amount_of": _amount, "build": build, "round_fen": round_fen,
}


def _runner_source(low: Lowered, gen: BuilderGen) -> None:
    """The statements of :func:`run_rule` for one rule, with what is known of the rule decided when
    they are generated and its condition's (and a plain amount's) traces built inline."""
    rule, f, emit = low.rule, low.finish, gen.emit
    k = gen.const
    scoped: list[str] = []

    def scope_test(node: x.Node, name: str) -> None:
        key = k(id(node))
        emit(f"{name} = seen.get({key})")
        emit(f"if {name} is None: {name} = seen[{key}] = {k(builder(node))}(env)")

    for i, node in enumerate(low.scenarios):
        scope_test(node, f"s{i}")
        path = node.operands[0].path  # type: ignore[attr-defined]
        out = OutOfScope(rule, f"不涉及该事项（{path}）", f"no such matter in the profile ({path})")
        emit(f"if s{i}.value is not True: return {k(out)}")
    j = rule.jurisdiction
    if low.region is not None:
        scope_test(low.region, "sr")
        if isinstance(low.region, x.IfElse):
            emit("sr = sr.children[1]")  # the region test taken (the matter's where it is held, else the firm's)
        out = OutOfScope(rule, f"不在适用地区（{j.name}）", f"outside its jurisdiction ({j.name})")
        emit(f"if sr.value is False: return {k(out)}")
        scoped.append("sr")
    if low.zone is not None:
        scope_test(low.zone, "sz")
        out = OutOfScope(rule, f"不在{j.development_zone}", f"not in {j.development_zone}")
        emit(f"if sz.value is False: return {k(out)}")
        scoped.append("sz")
    t, v = gen.node(rule.when)
    emit(f"d = {v}")
    if scoped:
        for s in scoped:
            emit(f"if {s}.value is False or d is False: d = False")
            emit(f"elif {s}.value is U: d = U")
        emit(f"presumed = _presumed(({t}, {', '.join(scoped)}))")
        missing = f"_missing(({', '.join(scoped)}, {t}))"  # read only when undetermined
    else:
        emit(f"presumed = {t}.presumed")
        missing = f"{t}.missing"
    emit(f"r = new(RR); r.rule = {k(rule)}; r.status = INELIGIBLE; r.trace = {t}; r.as_of = env.as_of")
    if scoped:
        emit(f"r.scope_traces = ({', '.join(scoped)},)")
    emit("if presumed: r.presumed = presumed")
    if f.amount is not None:
        emit(f"r.amount_kind = {k(f.kind)}")
    emit("if d is False: return r")
    if low.received is not None:
        emit(f"got = received_record({k(low)}, env)")
        emit("if got is not None: return received(r, got)")
    if f.amount is None:
        emit("m = at = r.amount_trace = r.instalment = None")
    elif isinstance(f.amount, x.Literal) and f.cap is None and f.index is None:  # a fixed sum
        value = f.amount.value
        emit(f"at = r.amount_trace = {k(compile_node(f.amount)(None))}; r.instalment = None")  # type: ignore[arg-type]
        emit(f"m = {k(value if value is None else round_fen(value))}")
    elif f.cap is None and f.index is None:
        at, av = gen.node(f.amount)
        emit(f"at = r.amount_trace = {at}; r.instalment = None")
        emit(f"m = {av} if {av} is U or {av} is None else round_fen({av})")
    else:
        emit(f"m, at, r.instalment, refusal = amount_of({k(f)}, env, build); r.amount_trace = at")
        emit("if refusal is not None: r.reason = refusal; return r")
    emit(f"if d is U: r.status = UNDETERMINED; r.missing = {missing}")
    emit("else: r.status = ELIGIBLE")
    emit("if m is U: r.missing = tuple(dict.fromkeys((*r.missing, *at.missing)))")
    emit("else: r.amount = m")
    emit("if at is not None and at.presumed: r.presumed = tuple(dict.fromkeys((*r.presumed, *at.presumed)))")
    emit("return r")


@generated
def runner(low: Lowered) -> Runner:
    """The rule generated into one function (generated once per lowered rule and kept): what
    :func:`run_rule` does, the traces built inline."""
    gen = BuilderGen()
    _runner_source(low, gen)
    run: Runner = gen.define("run(env, seen)", f"<eligibility rule {low.rule.id}>", _RUNNER_NAMES)
    return run


def resolve_groups(results: Iterable[RuleResult], facts: Facts | None = None) -> None:
    """Apply 就高不重复 in place: in each group only the winner (:func:`eligibility.groups.winners`) stays
    eligible; a group of one-off grants is settled across dates (:func:`settle`, with ``facts``)."""
    by_group: dict[str, list[RuleResult]] = {}
    for r in results:
        if r.rule.group:
            by_group.setdefault(r.rule.group, []).append(r)
    for members in by_group.values():
        eligible = [r.status == Status.ELIGIBLE for r in members]
        if not any(eligible):
            continue
        rules = [r.rule for r in members]
        if facts is not None and one_off(rules):
            _settle(members, settle(rules, eligible, [r.amount for r in members], facts, members[0].as_of))  # type: ignore[arg-type]
            continue
        candidate = [e or (r.received_year is not None and r.as_of is not None and r.received_year == r.as_of.year)
                     for r, e in zip(members, eligible)]
        amount = [(r.amount if e else r.received_amount) for r, e in zip(members, eligible)]
        best = members[winners(rules, candidate, [NO_AMOUNT if a is None else a for a in amount])]
        losers = tuple(r for r, e in zip(members, eligible) if e and r is not best)
        for r in losers:
            r.status = Status.SUPERSEDED
            r.superseded_by = best.rule_id
            r.related = (best.rule,)
        if best.status == Status.ELIGIBLE:
            best.outranks = tuple(r.rule_id for r in losers)
            best.related = tuple(r.rule for r in losers)


def _settle(members: list[RuleResult], settled: Any) -> None:
    """Write a settled one-off group (:class:`Settled`) into its members' results."""
    for i, by in settled.superseded.items():
        members[i].status = Status.SUPERSEDED
        members[i].superseded_by = by.id
        members[i].related = (by,)
    for i, reason in settled.reasons.items():
        members[i].reason = reason
    if settled.paid >= 0:
        paid = members[settled.paid]
        paid.outranks = tuple(members[i].rule_id for i, by in settled.superseded.items() if by is paid.rule)
        paid.related = tuple(members[i].rule for i, by in settled.superseded.items() if by is paid.rule)
        if settled.amount is not None:
            paid.amount = settled.amount


@dataclass(frozen=True, slots=True)
class Prepared:
    """The rules of a set as they stand on one date: those in force, with their parameter values,
    generated function and lowered form."""

    active: tuple[tuple[Lowered, dict[str, Any], Runner], ...]
    skipped: tuple[OutOfScope, ...]
    provenance: dict[str, str]


def prepare(rules: Iterable[Rule], as_of: date, provenance: dict[str, str] | None = None) -> Prepared:
    """The rules as they stand at ``as_of``: each one's in-force tests decided once for the date."""
    active, skipped = [], []
    env = Env(Facts({}), as_of, {})  # the in-force tests read as_of alone

    def holds(node: x.Node) -> Any:
        return evaluate(node, env).value

    for rule in rules:
        low = lower(rule)
        out = why_not_in_force(low, as_of, holds)
        if out is None:
            active.append((low, param_values(rule, as_of) or {}, runner(low)))
        else:
            skipped.append(out)
    return Prepared(tuple(active), tuple(skipped), provenance or {"as_of": as_of.isoformat()})


def evaluate_all(rules: Iterable[Rule] | Prepared, facts: Facts, as_of: date) -> tuple[list[RuleResult], list[OutOfScope]]:
    """Every rule on one firm (pass a :class:`Prepared` to reuse the date's set-up across firms)."""
    prepared = rules if isinstance(rules, Prepared) else prepare(rules, as_of)
    results: list[RuleResult] = []
    skipped: list[OutOfScope] = list(prepared.skipped)
    grouped = False
    env = Env(facts, as_of, {})
    seen: dict[int, Trace] = {}
    for _, params, run in prepared.active:
        env.params = params
        r = run(env, seen)
        if isinstance(r, OutOfScope):
            skipped.append(r)
        else:
            results.append(r)
            grouped = grouped or r.rule.group is not None
    if grouped:
        resolve_groups(results, facts)
    return results, skipped


# -- groups of one-off grants across evaluation dates ---------------------------------------------
# A group is *one-off* when one of its members is paid once (``once: true``). Such a rule's
# eligibility as a function of the date changes only where a window it reads opens (a
# ``within(certified_on, 12 months)`` window opens on ``certified_on``, ``in_year(entered_on)`` on
# ``entered_on``) or where the rule comes into force; so "were H and M both eligible on some date
# d <= as_of" is decided by evaluating the members on the *candidate dates*: the dates the members
# read in this profile, and the starts of their effective periods and parameter values, before as_of.
# Decided here, by the interpreter, for every backend.

def one_off(members: Sequence[Rule]) -> bool:
    """Is the group resolved across dates (one of its members is paid once)?"""
    return any(r.benefit.once for r in members)


def _dates(value: Any, into: set[date]) -> None:
    if isinstance(value, date):
        into.add(value)
    elif isinstance(value, list | tuple):
        for item in value:
            if isinstance(item, dict):
                for v in item.values():
                    if isinstance(v, date):
                        into.add(v)


_READS: dict[tuple[int, ...], tuple[Sequence[Rule], tuple[str, ...], frozenset[date]]] = {}


def _group_reads(members: Sequence[Rule]) -> tuple[tuple[str, ...], frozenset[date]]:
    """The paths the members read and the starts of their effective periods and parameter values
    (worked out once per group; the entry keeps its rules alive, so an id is never reused)."""
    key = tuple(id(r) for r in members)
    hit = _READS.get(key)
    if hit is None or any(a is not b for a, b in zip(hit[0], members)):
        paths = tuple(sorted({p for r in members for p in lower(r).reads()}))
        starts = frozenset(s for r in members for s in (r.effective.start, *(v.start for param in r.params.values()
                                                                            for v in param.values)) if s is not None)
        hit = _READS[key] = (tuple(members), paths, starts)
    return hit[1], hit[2]


def candidate_dates(members: Sequence[Rule], facts: Facts, as_of: date) -> list[date]:
    """The dates before as_of on which a member's eligibility may have begun, in order."""
    paths, found = _group_reads(members)
    found = set(found)
    for path in paths:
        _dates(facts.values.get(path), found)
    return sorted(d for d in found if d < as_of)


UNDATED = x.Field("\u2026undated")  # a path no profile holds: unknown on every backend


def _dated(node: x.Node) -> bool:
    return any(isinstance(n, x.AsOf | x.Param | x.Derived) or (isinstance(n, x.Call) and n.func in ("within", "in_year"))
               for n in x.walk(node))


UNDATE: NodeTable[Callable[[x.Node], x.Node]] = NodeTable("undated")
"""How :func:`undated` makes unknown the parts of each node class that can change with the date."""


def undated(node: x.Node) -> x.Node:
    """The condition with every part that can change with the date (as_of, a dated parameter, a
    derived fact, a window) made unknown: where it is false, the rule is false on every date (a
    false and/or/not/any/all in three-valued logic stays false whatever an unknown part is)."""
    return UNDATE(node) if _dated(node) else node  # type: ignore[no-any-return]


@UNDATE.on(x.And, x.Or)
def _undated_junction(node: x.And | x.Or) -> x.Node:
    return replace(node, items=tuple(undated(i) for i in node.items))


@UNDATE.on(x.Not, x.Clause)
def _undated_item(node: x.Not | x.Clause) -> x.Node:
    return replace(node, item=undated(node.item))


@UNDATE.on(x.Quantifier)
def _undated_quantifier(node: x.Quantifier) -> x.Node:
    return replace(node, body=undated(node.body)) if node.func in ("any", "all") and node.where is None else UNDATED


@UNDATE.on(x.IfElse)
def _undated_if(node: x.IfElse) -> x.Node:
    """Each branch read undated when the condition that picks it does not change with the date."""
    return UNDATED if _dated(node.cond) else replace(node, then=undated(node.then), otherwise=undated(node.otherwise))


@UNDATE.on(x.Literal, x.Name, x.Field, x.ItemField, x.Derived, x.Param, x.AsOf, x.Compare, x.InList, x.Under, x.Arith,
           x.Neg, x.ListLit, x.Call)
def _unknown(node: x.Node) -> x.Node:
    """A part read as a whole: unknown once it can change with the date."""
    return UNDATED


def above(members: Sequence[Rule]) -> tuple[tuple[int, ...], ...] | None:
    """For each member, the members that outrank it on every date, highest first (:func:`winners`'
    order), when every member pays a fixed amount, so that the order cannot change with the date;
    else None."""
    return _above(tuple(members))


@lru_cache(maxsize=256)
def _above(members: tuple[Rule, ...]) -> tuple[tuple[int, ...], ...] | None:
    fixed = []
    for r in members:
        f = lower(r).finish
        if f.fixed is None or f.cap is not None or f.instalments:
            return None
        fixed.append(f.fixed)
    ties = tie_order(members)
    ranked = sorted(range(len(members)), key=lambda k: (-fixed[k], ties.index(k)))
    return tuple(tuple(ranked[:ranked.index(k)]) for k in range(len(members)))


def earlier_bar(members: Sequence[Rule], winner: Rule, facts: Facts, as_of: date
                ) -> tuple[Rule, date, Decimal | None] | None:
    """The member that outranked ``winner`` on the first candidate date on which both were eligible
    (with that date and its amount then), or None: the winner was never eligible together with a
    higher member."""
    higher = above(members)
    for day in candidate_dates(members, facts, as_of):
        mine = evaluate_rule(winner, facts, day)
        if getattr(mine, "status", None) != Status.ELIGIBLE:
            continue
        if higher is not None:  # fixed amounts: the first member above the winner eligible then outranks it
            for j in higher[members.index(winner)]:
                then = evaluate_rule(members[j], facts, day)
                if getattr(then, "status", None) == Status.ELIGIBLE:
                    return members[j], day, getattr(then, "amount", None)
            continue
        at = [evaluate_rule(r, facts, day) if r is not winner else mine for r in members]
        eligible = [getattr(r, "status", None) == Status.ELIGIBLE for r in at]
        amounts = [getattr(r, "amount", None) for r in at]
        w = winners(members, eligible, [NO_AMOUNT if a is None else a for a in amounts])
        if members[w] is not winner:
            return members[w], day, amounts[w]
    return None


@dataclass(frozen=True, slots=True)
class Settled:
    """A one-off group settled for one firm: ``superseded`` maps each eligible member's position to
    the rule that supersedes it; ``paid`` is the position of the member paid (-1 none), ``amount``
    what it is paid when that differs from its own amount (a top-up), ``deducted`` what the group
    had already paid; ``reasons`` the (zh, en) text shown for a position."""

    superseded: dict[int, Rule]
    paid: int = -1
    amount: Decimal | None = None
    deducted: Decimal | None = None
    reasons: dict[int, tuple[str, str]] = field(default_factory=dict)


def receipt(rule: Rule, facts: Facts, as_of: date) -> tuple[bool, Decimal | None]:
    """Was the rule received (its own receipt test: a one-off in any year, an instalment in as_of's
    year), whatever its conditions say now; and what was received (the record's amount, else the
    rule's fixed amount)."""
    found = received_record(lower(rule), Env(facts, as_of, {}))
    return (False, None) if found is None else (True, found[1])


def settle(members: Sequence[Rule], eligible: Sequence[bool], amount: Sequence[Decimal | None],
           facts: Facts, as_of: date) -> Settled:
    """就高不重复 in a one-off group, across dates (the reading stated in the design notes).

    Members received (any year, by their own receipt test) rank with what was received; the winner
    among them and the members eligible now supersedes the others. A winner eligible now is
    superseded by a higher member that was eligible together with it on an earlier date
    (:func:`earlier_bar`); otherwise it is paid its amount less what the group already received
    (superseded by the best received member when nothing is left).
    """
    n = len(members)
    receipts = [receipt(r, facts, as_of) for r in members]
    received = [r[0] for r in receipts]
    received_amount = [r[1] for r in receipts]
    candidate = [eligible[i] or received[i] for i in range(n)]
    ranked = [(amount[i] if eligible[i] else received_amount[i]) for i in range(n)]
    w = winners(members, candidate, [NO_AMOUNT if a is None else a for a in ranked])
    if w < 0:
        return Settled({})
    superseded = {i: members[w] for i in range(n) if eligible[i] and i != w}
    if not eligible[w]:
        then = received_amount[w]
        zh = f"（{format_money(then)}）" if then is not None else ""
        en = f" ({format_money(then, 'en')})" if then is not None else ""
        reason = (f"已享受同组的「{members[w].title.zh}」{zh}，按就高不重复不再给予",
                  f"already received “{members[w].title.en}”{en} of its group: highest applies, not paid again")
        return Settled(superseded, reasons=dict.fromkeys(superseded, reason))
    bar = earlier_bar(members, members[w], facts, as_of)
    if bar is not None:
        rule, day, then = bar
        zh = f"（{format_money(then)}）" if then is not None else ""
        en = f" ({format_money(then, 'en')})" if then is not None else ""
        reason = (f"{day.isoformat()} 已同时符合同组的「{rule.title.zh}」{zh}，按就高不重复不再给予",
                  f"on {day.isoformat()} already eligible together with “{rule.title.en}”{en} of its group: "
                  "highest applies, not paid again")
        return Settled({**superseded, w: rule}, reasons={w: reason})
    got = [i for i in range(n) if received[i]]
    own = amount[w]
    if not got or own is None:
        return Settled(superseded, w)
    deducted = sum((received_amount[i] for i in got if received_amount[i] is not None), Decimal(0))
    listed_zh = "、".join(f"「{members[i].title.zh}」{format_money(received_amount[i])}" if received_amount[i] is not None
                         else f"「{members[i].title.zh}」" for i in got)
    listed_en = ", ".join(f"“{members[i].title.en}” {format_money(received_amount[i], 'en')}"
                          if received_amount[i] is not None else f"“{members[i].title.en}”" for i in got)
    pay = own - deducted
    if pay <= 0:
        best = winners([members[i] for i in got], [True] * len(got),
                       [NO_AMOUNT if received_amount[i] is None else received_amount[i] for i in got])
        return Settled({**superseded, w: members[got[best]]},
                       reasons={w: (f"已享受同组的{listed_zh}，不低于本项金额，按就高不重复不再给予",
                                    f"already received in its group: {listed_en}, not less than this amount: "
                                    "highest applies, not paid again")})
    return Settled(superseded, w, pay, deducted,
                   {w: (f"已享受同组的{listed_zh}，补差 {format_money(pay)}",
                        f"already received in its group: {listed_en}; pays the difference, {format_money(pay, 'en')}")})
