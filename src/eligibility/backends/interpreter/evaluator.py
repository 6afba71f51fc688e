"""The interpreter backend: one profile, every rule, a full explanation of each decision."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from ...facts.flatten import UNKNOWN, Facts
from ...facts.money import round_fen
from ...groups import NO_AMOUNT, winners
from ...lower import Finish, Lowered, in_force, lower, param_values
from ...model import expr as x
from ...model.rule import Rule
from ...results import Instalment, OutOfScope, RuleResult, Status
from . import ops
from .trace import Env, Program, Trace, compile_node, evaluate

U = UNKNOWN


def scope(low: Lowered, env: Env) -> OutOfScope | tuple[Trace, ...]:
    """Is the firm (or its matter) within the rule's reach? Out of scope, or the traces that decide it
    (an UNKNOWN trace makes the rule undetermined)."""
    rule = low.rule
    for node in low.scenarios:
        if evaluate(node, env).value is not True:
            path = node.operands[0].path  # type: ignore[attr-defined]
            return OutOfScope(rule, f"不涉及该事项（{path}）", f"no such matter in the profile ({path})")
    traces: list[Trace] = []
    j = rule.jurisdiction
    if low.region is not None:
        t = evaluate(low.region, env)
        if isinstance(low.region, x.IfElse):
            t = t.children[1]  # the region test taken (the matter's where it is held, else the firm's)
        if t.value is False:
            return OutOfScope(rule, f"不在适用地区（{j.name}）", f"outside its jurisdiction ({j.name})")
        traces.append(t)
    if low.zone is not None:
        zt = evaluate(low.zone, env)
        if zt.value is False:
            return OutOfScope(rule, f"不在{j.development_zone}", f"not in {j.development_zone}")
        traces.append(zt)
    return tuple(traces)


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


def _amount(f: Finish, env: Env) -> tuple[Any, Trace | None, Instalment | None, tuple[str, str] | None]:
    """(amount or UNKNOWN or None, its trace, the instalment, a reason the schedule refuses)."""
    if f.amount is None:
        return None, None, None, None
    t = evaluate(f.amount, env)
    value = t.value
    if f.cap is not None and value is not U and value is not None:
        cap = evaluate(f.cap, env)
        capped = ops.minmax("min", [value, cap.value])
        t = Trace(x.Call("min", (f.amount, f.cap)), capped, (t, cap), cap.missing if capped is U else ())
        value = capped
    if f.index is None or value is U or value is None:
        return (value if value is U or value is None else round_fen(value)), t, None, None
    due = evaluate(f.index, env).value
    if due is U or due is None:
        start = evaluate(f.start, env)  # type: ignore[arg-type]
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
    out = in_force(rule, as_of)
    if out is not None:
        return out
    return _evaluate_in_force(rule, param_values(rule, as_of) or {}, facts, as_of)


def _evaluate_in_force(rule: Rule, params: dict[str, Any], facts: Facts, as_of: date) -> RuleResult | OutOfScope:
    return _run_rule(lower(rule), compile_node(rule.when), Env(facts, as_of, params))


def _run_rule(low: Lowered, when: Program, env: Env) -> RuleResult | OutOfScope:
    """One rule on one firm: scope, conditions, already-received, the finish (the env carries its params)."""
    rule, as_of = low.rule, env.as_of
    scoped: tuple[Trace, ...] = ()
    if low.scoped:
        checked = scope(low, env)
        if isinstance(checked, OutOfScope):
            return checked
        scoped = checked
    trace = when(env)
    decided = trace.value
    if scoped:
        for s in scoped:
            if s.value is False or decided is False:
                decided = False
            elif s.value is U:
                decided = U
        missing = tuple(dict.fromkeys(m for t in (*scoped, trace) for m in t.missing))
        presumed = tuple(dict.fromkeys(p for t in (trace, *scoped) for p in t.presumed))
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


def resolve_groups(results: Iterable[RuleResult], facts: Facts | None = None) -> None:
    """Apply 就高不重复 in place: in each group only the winner (:func:`eligibility.groups.winners`) stays
    eligible; a group of one-off grants is settled across dates (:func:`.earlier.settle`, with ``facts``)."""
    from .earlier import one_off, settle

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
        if best.status == Status.ELIGIBLE:
            best.outranks = tuple(r.rule_id for r in losers)


def _settle(members: list[RuleResult], settled: Any) -> None:
    """Write a settled one-off group (:class:`.earlier.Settled`) into its members' results."""
    for i, by in settled.superseded.items():
        members[i].status = Status.SUPERSEDED
        members[i].superseded_by = by.id
    for i, reason in settled.reasons.items():
        members[i].reason = reason
    if settled.paid >= 0:
        paid = members[settled.paid]
        paid.outranks = tuple(members[i].rule_id for i, by in settled.superseded.items() if by is paid.rule)
        if settled.amount is not None:
            paid.amount = settled.amount


@dataclass(frozen=True, slots=True)
class Prepared:
    """The rules of a set as they stand on one date: those in force, with their parameter values,
    compiled condition and lowered form."""

    active: tuple[tuple[Lowered, dict[str, Any], Program], ...]
    skipped: tuple[OutOfScope, ...]
    provenance: dict[str, str]


def prepare(rules: Iterable[Rule], as_of: date, provenance: dict[str, str] | None = None) -> Prepared:
    active, skipped = [], []
    for rule in rules:
        out = in_force(rule, as_of)
        if out is None:
            active.append((lower(rule), param_values(rule, as_of) or {}, compile_node(rule.when)))
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
    for low, params, when in prepared.active:
        env.params = params
        r = _run_rule(low, when, env)
        if isinstance(r, OutOfScope):
            skipped.append(r)
        else:
            results.append(r)
            grouped = grouped or r.rule.group is not None
    if grouped:
        resolve_groups(results, facts)
    return results, skipped
