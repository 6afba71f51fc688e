"""The interpreter backend: one profile, every rule, a full explanation of each decision."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from datetime import date
from decimal import Decimal
from typing import Any

from ...facts.flatten import UNKNOWN, Facts
from ...facts.money import round_fen
from ...groups import received_amount, received_record, winner
from ...model import expr as x
from ...model.rule import Rule
from ...results import Instalment, OutOfScope, RuleResult, Status, Trace
from . import ops
from .trace import Env, Program, compile_node, evaluate

U = UNKNOWN


def param_values(rule: Rule, as_of: date) -> dict[str, Any] | None:
    """The rule's parameters at as_of; None when one has no value then (the rule is not in force)."""
    values: dict[str, Any] = {}
    for name, param in rule.params.items():
        pv = param.at(as_of)
        if pv is None:
            return None
        values[name] = pv.value.value  # type: ignore[attr-defined]
    return values


def in_force(rule: Rule, as_of: date) -> OutOfScope | None:
    if not rule.effective.contains(as_of):
        return OutOfScope(rule, f"{as_of} 不在施行期（{rule.effective.describe()}）内",
                          f"{as_of} is outside its effective period ({rule.effective.describe('en')})")
    if param_values(rule, as_of) is None:
        return OutOfScope(rule, f"{as_of} 没有适用的参数取值（该期政策未施行）",
                          f"no parameter value applies on {as_of} (not in force then)")
    return None


@cache
def _scope_nodes(rule: Rule) -> tuple[tuple[str, ...], x.Under | None, x.Under | None, x.Compare | None]:
    """Scenario paths, jurisdiction tests (by the firm's region; by the matter's) and zone test."""
    j = rule.jurisdiction
    scenarios = tuple(f"scenario.{name}" for name in sorted(rule.scenarios))
    firm = matter = zone = None
    if j.prefix:
        firm = x.Under(x.Field("region_code"), (j.prefix,))
        if j.by:
            matter = x.Under(x.Field(f"scenario.{j.by}.region_code"), (j.prefix,))
    if j.development_zone:
        zone = x.Compare((x.Field("development_zone"), x.Literal(j.development_zone)), ("==",))
    return scenarios, firm, matter, zone


def scope(rule: Rule, facts: Facts, env: Env) -> OutOfScope | tuple[Trace, ...]:
    """Is the firm (or its matter) within the rule's reach? Out of scope, or the traces that decide it
    (an UNKNOWN trace makes the rule undetermined)."""
    scenarios, firm, matter, zone = _scope_nodes(rule)
    values = facts.values
    for path in scenarios:
        if values.get(path, U) is not True:
            return OutOfScope(rule, f"不涉及该事项（{path}）", f"no such matter in the profile ({path})")
    if firm is None and zone is None:
        return ()
    traces: list[Trace] = []
    j = rule.jurisdiction
    if firm is not None:
        by_matter = matter is not None and values.get(matter.operand.path, U) not in (U, None)  # type: ignore[attr-defined]
        t = evaluate(matter if by_matter else firm, env)  # type: ignore[arg-type]
        if t.value is False:
            return OutOfScope(rule, f"不在适用地区（{j.name}）", f"outside its jurisdiction ({j.name})")
        traces.append(t)
    if zone is not None:
        zt = evaluate(zone, env)
        if zt.value is False:
            return OutOfScope(rule, f"不在{j.development_zone}", f"not in {j.development_zone}")
        traces.append(zt)
    return tuple(traces)


def _received(rule: Rule, facts: Facts, as_of: date) -> tuple[int, Decimal | None] | None:
    """The year (and amount) this one-off, or this year's instalment, was already received."""
    record = received_record(rule, facts.values.get("benefits_received", U), as_of.year)
    if record is None:
        return None
    return int(record["year"]), received_amount(rule, record)


def _amount(rule: Rule, env: Env) -> tuple[Any, Trace | None, Instalment | None, tuple[str, str] | None]:
    """(amount or UNKNOWN or None, its trace, the instalment, a reason the schedule refuses)."""
    b = rule.benefit
    if b.amount is None:
        return None, None, None, None
    t = evaluate(b.amount, env)
    value = t.value
    if b.cap is not None and value is not U and value is not None:
        cap = evaluate(b.cap, env)
        capped = ops.minmax("min", [value, cap.value])
        t = Trace(x.Call("min", (b.amount, b.cap)), capped, (t, cap), cap.missing if capped is U else ())
        value = capped
    if b.schedule is None or value is U or value is None:
        return (value if value is U or value is None else round_fen(value)), t, None, None
    start = evaluate(b.schedule.start, env)
    if start.value is U or start.value is None:
        t = Trace(t.node, U, (t, start), start.missing or (b.schedule.start_text,))
        return U, t, None, None
    index = env.as_of.year - start.value.year + 1
    n = b.schedule.count
    total = round_fen(value)
    if not 1 <= index <= n:
        zh = f"分{n}年兑现，自{start.value.year}年起；{env.as_of.year}年{'尚未开始' if index < 1 else '已不在兑现期内'}"
        en = f"paid over {n} years from {start.value.year}; {env.as_of.year} is {'before' if index < 1 else 'after'} the schedule"
        return None, t, Instalment(index, n, total, start.value.year), (zh, en)
    part = round_fen(total / n)
    amount = total - part * (n - 1) if index == n else part
    return amount, t, Instalment(index, n, total, start.value.year), None


def evaluate_rule(rule: Rule, facts: Facts, as_of: date) -> RuleResult | OutOfScope:
    """Decide one rule for one firm, keeping every trace for the explanation."""
    out = in_force(rule, as_of)
    if out is not None:
        return out
    return _evaluate_in_force(rule, param_values(rule, as_of) or {}, facts, as_of)


def _evaluate_in_force(rule: Rule, params: dict[str, Any], facts: Facts, as_of: date) -> RuleResult | OutOfScope:
    return _run_rule(rule, compile_node(rule.when), _has_scope(rule), Env(facts, as_of, params))


def _has_scope(rule: Rule) -> bool:
    return bool(rule.scenarios or rule.jurisdiction.prefix or rule.jurisdiction.development_zone)


def _run_rule(rule: Rule, when: Program, scoped_rule: bool, env: Env) -> RuleResult | OutOfScope:
    """One rule on one firm: scope, conditions, already-received, amount (the env carries its params)."""
    facts, as_of = env.facts, env.as_of
    scoped: tuple[Trace, ...] = ()
    if scoped_rule:
        checked = scope(rule, facts, env)
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
    if rule.benefit.amount is not None:
        result.amount_kind = rule.benefit.kind
    if decided is False:
        return result
    received = _received(rule, facts, as_of)
    if received is not None:
        result.received_year, result.received_amount = received
        result.reason = (f"已于{received[0]}年享受", f"already received in {received[0]}")
        return result
    amount, amount_trace, instalment, refusal = _amount(rule, env)
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


def resolve_groups(results: Iterable[RuleResult]) -> None:
    """Apply 就高不重复 in place: in each group only the winner stays eligible."""
    by_group: dict[str, list[RuleResult]] = {}
    for r in results:
        if r.rule.group:
            by_group.setdefault(r.rule.group, []).append(r)
    for members in by_group.values():
        eligible = [r for r in members if r.status == Status.ELIGIBLE]
        if not eligible:
            continue
        this_year = [r for r in members if r.received_year is not None and r.as_of and r.received_year == r.as_of.year]
        best = winner([(r.rule, r.amount) for r in eligible] + [(r.rule, r.received_amount) for r in this_year])
        for r in eligible:
            if r.rule is not best:
                r.status = Status.SUPERSEDED
                r.superseded_by = best.id
        best_result = next(r for r in members if r.rule is best)
        if best_result.status == Status.ELIGIBLE:
            best_result.outranks = tuple(r.rule_id for r in eligible if r.rule is not best)


@dataclass(frozen=True, slots=True)
class Prepared:
    """The rules of a set as they stand on one date: those in force, with their parameter values,
    compiled condition and whether they have a scope to check."""

    active: tuple[tuple[Rule, dict[str, Any], Program, bool], ...]
    skipped: tuple[OutOfScope, ...]
    provenance: dict[str, str]


def prepare(rules: Iterable[Rule], as_of: date, provenance: dict[str, str] | None = None) -> Prepared:
    active, skipped = [], []
    for rule in rules:
        out = in_force(rule, as_of)
        if out is None:
            active.append((rule, param_values(rule, as_of) or {}, compile_node(rule.when), _has_scope(rule)))
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
    for rule, params, when, scoped in prepared.active:
        env.params = params
        r = _run_rule(rule, when, scoped, env)
        if isinstance(r, OutOfScope):
            skipped.append(r)
        else:
            results.append(r)
            grouped = grouped or rule.group is not None
    if grouped:
        resolve_groups(results)
    return results, skipped
