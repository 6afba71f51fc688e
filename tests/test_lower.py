"""Rules lowered to core nodes: what each rule-level step becomes, and that it is built once per rule."""

from __future__ import annotations

from pathlib import Path

import eligibility as el
from eligibility.lower import lower
from eligibility.model import expr as x

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
