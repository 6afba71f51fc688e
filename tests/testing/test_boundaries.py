"""Boundary cases: just below, at and just above each threshold and date boundary, and the report."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

import eligibility as el
from ruletext import rule_yaml
from eligibility.testing.boundaries import BoundaryCase, boundary_cases, boundary_report, format_boundary_report

EXAMPLES = el.load_rules("examples")
ENGINE = el.Engine(EXAMPLES)


def _statuses(rules: el.RuleSet, rule_id: str | None = None) -> dict[object, str]:
    """Status by case value, for one rule's boundary cases run through the engine."""
    return {r.case.value: r.status for r in boundary_report(rules) if rule_id in (None, r.case.rule_id)}


def _tested(profile: str, as_of: str = "2024-06-30", extra: str = "") -> str:
    """A ``tests:`` block with one eligible example (after ``extra`` rule keys)."""
    return extra + f"tests:\n  - {{name: base, as_of: {as_of}, profile: {profile}, expect: {{status: eligible}}}}\n"


def test_at_most_10wan_is_eligible_at_100000_and_not_a_fen_above(make_rules) -> None:
    rules = make_rules(rule_yaml("b.le", '"monthly_sales <= 10万"', extra=_tested("{monthly_sales: 5万}")))
    cases = boundary_cases(rules["b.le"])
    assert [(c.position, c.value) for c in cases] == [
        ("below", Decimal("99999.99")), ("at", Decimal("100000")), ("above", Decimal("100000.01"))]
    assert {(c.field, c.op, c.threshold, c.as_of) for c in cases} == {
        ("monthly_sales", "<=", 100000, date(2024, 6, 30))}
    assert _statuses(rules) == {Decimal("99999.99"): "eligible", Decimal("100000"): "eligible",
                                Decimal("100000.01"): "ineligible"}


def test_more_than_a_threshold_is_ineligible_at_it_and_eligible_a_fen_above(make_rules) -> None:
    rules = make_rules(rule_yaml("b.gt", '"revenue > 2000万"', extra=_tested("{revenue: 1亿}")))
    assert _statuses(rules) == {Decimal("19999999.99"): "ineligible", Decimal("20000000"): "ineligible",
                                Decimal("20000000.01"): "eligible"}


def test_a_shipped_pack_reads_its_thresholds_as_the_notes_say() -> None:
    # “1000万元以下”含本数 (notes of examples.kailu.bid-bond-waiver); "0 < 应纳税所得额 ≤ 300万" both ends
    assert _statuses(EXAMPLES, "examples.kailu.bid-bond-waiver") == {
        Decimal("9999999.99"): "eligible", Decimal("10000000"): "eligible", Decimal("10000000.01"): "ineligible"}
    assert _statuses(EXAMPLES, "examples.tengger.small-low-profit-income-tax") == {
        Decimal("-0.01"): "ineligible", Decimal("0"): "ineligible", Decimal("0.01"): "eligible",
        Decimal("2999999.99"): "eligible", Decimal("3000000"): "eligible", Decimal("3000000.01"): "ineligible"}


def test_head_counts_step_by_one_person_and_never_go_negative(make_rules) -> None:
    rules = make_rules(rule_yaml("b.staff", '"employees >= 1 and employees <= 300"', extra=_tested("{employees: 5}")))
    cases = boundary_cases(rules["b.staff"])
    assert [c.value for c in cases] == [0, 1, 2, 299, 300, 301]
    assert all(type(c.value) is int for c in cases)
    assert _statuses(rules) == {0: "ineligible", 1: "eligible", 2: "eligible", 299: "eligible", 300: "eligible",
                                301: "ineligible"}
    zero = make_rules(rule_yaml("b.zero", '"employees > 0"', extra=_tested("{employees: 5}")))
    assert [c.value for c in boundary_cases(zero["b.zero"])] == [0, 1]


def test_within_12_months_gives_the_first_day_inside_and_the_last_day_outside() -> None:
    rule = EXAMPLES["examples.puer.little-giant-national"]
    cases = boundary_cases(rule)
    assert [(c.field, c.op, c.position, c.value) for c in cases] == [
        ("certifications[].certified_on", "within", "inside", date(2023, 7, 1)),
        ("certifications[].certified_on", "within", "outside", date(2023, 6, 30))]
    assert cases[0].description_zh == "认定日期 2023-07-01（期间内第一天：认定日期在评估日前12个月内）"
    assert cases[1].description_en == ("date certified 2023-06-30 (the last day outside: date certified within "
                                       "12 months before the evaluation date)")
    assert _statuses(EXAMPLES, rule.id) == {date(2023, 7, 1): "eligible", date(2023, 6, 30): "ineligible"}


def test_within_clamps_to_the_month_end(make_rules) -> None:
    rules = make_rules(rule_yaml("b.new", '"within(registered_on, 12 months)"',
                                 extra=_tested("{registered_on: 2023-12-01}", as_of="2024-02-29")))
    cases = boundary_cases(rules["b.new"])
    assert [(c.position, c.value) for c in cases] == [("inside", date(2023, 3, 1)), ("outside", date(2023, 2, 28))]
    assert _statuses(rules) == {date(2023, 3, 1): "eligible", date(2023, 2, 28): "ineligible"}


def test_in_year_gives_new_year_and_the_day_before() -> None:
    assert _statuses(EXAMPLES, "examples.puer.new-industrial") == {
        date(2024, 1, 1): "eligible", date(2023, 12, 31): "ineligible"}


def test_dated_parameters_and_dates_relative_to_as_of_are_read_at_as_of(make_rules) -> None:
    params = "params:\n  limit:\n    values: [{from: 2019-01-01, value: 10万}, {from: 2021-04-01, value: 15万}]\n"
    rules = make_rules(rule_yaml("b.param", '"monthly_sales <= limit"',
                                 extra=_tested("{monthly_sales: 5万}", "2021-06-30", params)))
    rule = rules["b.param"]
    assert {c.threshold for c in boundary_cases(rule)} == {Decimal(150_000)}
    assert {c.threshold for c in boundary_cases(rule, date(2020, 6, 30))} == {Decimal(100_000)}
    earlier = {r.case.value: r.status for r in boundary_report(rules, date(2020, 6, 30))}
    assert earlier[Decimal("100000")] == "eligible" and earlier[Decimal("100000.01")] == "ineligible"
    young = make_rules(rule_yaml("b.young", '"registered_on >= as_of - 3 years"',
                                 extra=_tested("{registered_on: 2023-01-01}")))
    assert [(c.value, c.op) for c in boundary_cases(young["b.young"])] == [
        (date(2021, 6, 29), ">="), (date(2021, 6, 30), ">="), (date(2021, 7, 1), ">=")]


def test_rules_not_in_force_have_no_cases() -> None:
    assert boundary_cases(EXAMPLES["examples.tengger.small-scale-vat-exemption"], date(2022, 6, 30)) == []
    assert boundary_cases(EXAMPLES["examples.tengger.tech-transfer-award"]) == []  # no threshold at all


def test_the_base_is_chosen_where_the_threshold_decides() -> None:
    # the rule's first eligible example is a monthly filer: the quarterly limit is tested on the quarterly one
    rule = EXAMPLES["examples.tengger.small-scale-vat-exemption"]
    quarterly = [c for c in boundary_cases(rule) if c.field == "quarterly_sales"]
    assert all(c.profile["vat_filing_period"] == "quarter" for c in quarterly)
    assert {c.value: c.position for c in quarterly}[Decimal("300000.01")] == "above"


@given(st.sampled_from(boundary_cases(EXAMPLES["examples.kailu.bid-bond-waiver"])))
def test_boundary_cases_as_a_strategy(case: BoundaryCase) -> None:
    result = next(r for r in ENGINE.evaluate(case.profile, case.as_of).results if r.rule_id == case.rule_id)
    assert (result.status == "eligible") == (case.value <= case.threshold)


def test_the_report_runs_the_whole_rule_set_so_groups_apply() -> None:
    report = {(r.case.rule_id, r.case.position): r.status for r in boundary_report(EXAMPLES)}
    # the municipal grant's base example also holds a national "little giant" recognition, which wins the group
    assert report[("examples.puer.specialised-municipal", "inside")] == "superseded"
    assert report[("examples.puer.specialised-municipal", "outside")] == "ineligible"


def test_the_report_is_a_readable_table_in_both_languages() -> None:
    results = boundary_report(EXAMPLES)
    zh, en = format_boundary_report(results), format_boundary_report(results, "en")
    assert "examples.kailu.bid-bond-waiver（评估日期 2025-06-30）\n  采购预算 ≤ 1,000万元\n" in zh
    assert "    门槛上方        10,000,000.01元  不符合" in zh
    assert "  0 < 应纳税所得额 ≤ 300万元（边界：应纳税所得额 > 0元）" in zh
    assert "  monthly sales ≤ monthly_limit (CNY 100,000 from 2019-01-01) (boundary: monthly sales ≤ CNY 100,000)" in en
    assert "    just above        CNY 10,000,000.01  not eligible" in en
    assert "    first day inside  2023-07-01         eligible" in en
    assert format_boundary_report([], "en") == "no thresholds or date boundaries found"
