"""Rules lowered to core nodes: what each rule-level step becomes (in force, scope, receipt), that every
backend decides the in-force tests as the rule says, and that a rule is lowered once."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd

import eligibility as el
from eligibility.backends.interpreter import compiled
from eligibility.backends.interpreter.evaluator import prepare
from eligibility.backends.vectorized import compiler as vectorized
from eligibility.backends.vectorized.ingest import table_from_frame
from eligibility.lower import lower, param_values
from eligibility.model import expr as x
from eligibility.model.rule import Parameter, ParamValue, Period

RULES = el.load_rules(Path(__file__).parent / "conformance" / "rules")


def test_region_test_is_shared_by_a_jurisdiction_and_judged_where_a_procurement_is_held() -> None:
    region = lower(RULES["conf.region"]).region
    assert region == x.Under(x.Field("region_code"), ("5308",))
    held = lower(RULES["conf.procurement-held"])
    assert isinstance(held.region, x.IfElse)
    assert held.region.then == x.Under(x.Field("scenario.procurement.region_code"), ("150523",))
    assert held.region.otherwise == x.Under(x.Field("region_code"), ("150523",))
    assert held.scenarios == (x.Compare((x.Field("scenario.procurement"), x.Literal(True)), ("==",)),)
    assert lower(RULES["conf.zone"]).zone == x.Compare(
        (x.Field("development_zone"), x.Literal("腾格里经济技术开发区")), ("==",))
    assert lower(RULES["conf.not-over-unknown"]).scoped is False


def test_receipts_count_in_any_year_for_a_one_off_and_in_as_of_year_for_an_instalment() -> None:
    once = lower(RULES["conf.group-a"]).received
    assert once is not None and not any(isinstance(n, x.AsOf) for n in x.walk(once))
    instalment = lower(RULES["conf.each-year"]).received
    assert instalment is not None and any(isinstance(n, x.AsOf) for n in x.walk(instalment))
    assert lower(RULES["conf.group-b"]).received is None


def test_what_a_lowered_rule_reads() -> None:
    assert {"region_code", "scenario.procurement", "scenario.procurement.region_code",
            "scenario.procurement.bid_price"} <= lower(RULES["conf.procurement-held"]).reads()
    each_year = lower(RULES["conf.each-year"])
    assert {"benefits_received", "registers.above_scale_industrial.entered_on", "employees"} <= each_year.reads()
    assert each_year.reads_as_of() and not lower(RULES["conf.region"]).reads_as_of()
    assert each_year.finish.instalments == 3 and each_year.finish.each_year


def test_lowered_once_per_rule_object() -> None:
    again = el.load_rules(Path(__file__).parent / "conformance" / "rules")["conf.region"]
    assert again == RULES["conf.region"] and again is not RULES["conf.region"]
    assert lower(RULES["conf.region"]) is lower(RULES["conf.region"])
    assert lower(again).rule is again  # equal content, its own object


def test_static_reads_agree_with_the_lowered_rule() -> None:
    """eligibility.reads (per-field isolation in batches) sits below lowering and restates what a rule
    reads; it must name exactly what the lowered rule reads, for every bundled rule."""
    from eligibility.reads import rule_reads, with_records

    for rule in [*el.load_rules(tests=False).rules, *RULES.rules]:
        assert rule_reads(rule) == with_records(lower(rule).reads()), rule.id


def _dates(rule: el.Rule) -> list[date]:
    """Dates on and either side of every date a rule's being in force turns on."""
    edges = {rule.effective.start, rule.effective.end}
    for param in rule.params.values():
        edges |= {param.end, *(v.start for v in param.values)}
    one = timedelta(days=1)
    return sorted({d + k * one for d in edges if d is not None for k in (-1, 0, 1)} | {date(2024, 6, 30)})


def _expected(rule: el.Rule, day: date) -> bool:
    return rule.effective.contains(day) and param_values(rule, day) is not None


def test_in_force_tests_are_ordinary_nodes_of_as_of() -> None:
    for rule in [*el.load_rules(tests=False).rules, *RULES.rules]:
        low = lower(rule)
        assert [t.kind for t in low.dated] == (["period"] if rule.effective != Period() else []) + (
            ["params"] if rule.params else []), rule.id
        for test in low.dated:
            kinds = {type(n) for n in x.walk(test.node)}
            assert kinds <= {x.Compare, x.AsOf, x.Literal} and x.AsOf in kinds, rule.id
    dated = lower(dataclasses.replace(RULES["conf.region"], effective=Period(date(2023, 1, 1), date(2025, 12, 31))))
    assert dated.dated[0].node == x.Compare(
        (x.Literal(date(2023, 1, 1)), x.AsOf(), x.Literal(date(2025, 12, 31))), ("<=", "<="))
    assert not dated.reads_as_of()  # decided once per date, apart from what the decision of a firm reads


def test_every_backend_decides_in_force_from_the_lowered_tests() -> None:
    """Interpreter, compiled and vectorized translate the in-force nodes and agree with the period and
    the parameter values, on and either side of every date that matters."""
    rules = [*el.load_rules(tests=False).rules, *RULES.rules]
    table = table_from_frame(pd.DataFrame({"uscc": ["91110000MA00000000"]}))
    days = sorted({d for rule in rules for d in _dates(rule)})
    for day in days[:: max(1, len(days) // 60)] + [d for r in rules[:40] for d in _dates(r)]:
        expected = {r.id for r in rules if _expected(r, day)}
        interpreted = prepare(rules, day)
        assert {low.rule.id for low, _, _ in interpreted.active} == expected, day
        assert {s.rule_id for s in interpreted.skipped} == {r.id for r in rules} - expected, day
        assert {r.id for r in rules if compiled.in_force(r, day) is None} == expected, day
        assert {r.id for r in vectorized.in_force(rules, table, day)} == expected, day


def test_a_rule_not_in_force_says_so_as_before() -> None:
    rule = RULES["conf.region"]
    dated = dataclasses.replace(rule, effective=Period(date(2023, 1, 1), date(2025, 12, 31)))
    early = prepare([dated], date(2022, 12, 31)).skipped[0]
    assert early.zh == "2022-12-31 不在施行期（2023-01-01 至 2025-12-31）内"
    assert early.en == "2022-12-31 is outside its effective period (2023-01-01 – 2025-12-31)"
    assert prepare([dated], date(2023, 1, 1)).skipped == ()
    param = Parameter("floor", (ParamValue(date(2024, 1, 1), x.Literal(Decimal(1))),), end=date(2024, 12, 31))
    valued = dataclasses.replace(rule, params={"floor": param})
    late = prepare([valued], date(2025, 1, 1)).skipped[0]
    assert (late.zh, late.en) == ("2025-01-01 没有适用的参数取值（该期政策未施行）",
                                  "no parameter value applies on 2025-01-01 (not in force then)")
    assert compiled.in_force(valued, date(2025, 1, 1)) == late
    assert compiled.in_force(valued, date(2024, 12, 31)) is None
