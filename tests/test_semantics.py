"""Shared semantics on the interpreter (explanations) and the compiled decision path alike."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

import eligibility as el
from ruletext import rule_yaml

AS_OF = date(2024, 6, 30)


def statuses(engine: el.Engine, profile: dict[str, Any], as_of: date = AS_OF) -> dict[str, tuple[str, Any]]:
    """Status and amount per rule from the interpreter, checked equal to the compiled path."""
    ev = engine.evaluate(profile, as_of)
    explained = {r.rule_id: (r.status.value, r.amount) for r in ev.results}
    decided = {d.rule_id: (d.status.value, d.amount) for d in engine.decide(profile, as_of)}
    assert explained == decided
    return explained


# -- three-valued logic ---------------------------------------------------------------------------
T, F, N = "true", "false", None  # N: unknown (field absent)
TRUTH = {"true": True, "false": False}


def _flags(a: str | None, b: str | None) -> dict[str, Any]:
    ops: dict[str, Any] = {}
    if a is not None:
        ops["never_operated"] = TRUTH[a]
    if b is not None:
        ops["debts_settled"] = TRUTH[b]
    return {"operations": ops}


@pytest.mark.parametrize(
    ("a", "b", "and_", "or_"),
    [
        (T, T, "eligible", "eligible"), (T, F, "ineligible", "eligible"), (T, N, "undetermined", "eligible"),
        (F, T, "ineligible", "eligible"), (F, F, "ineligible", "ineligible"), (F, N, "ineligible", "undetermined"),
        (N, T, "undetermined", "eligible"), (N, F, "ineligible", "undetermined"), (N, N, "undetermined", "undetermined"),
    ],
)
def test_three_valued_and_or(make_rules, a, b, and_, or_) -> None:
    rules = make_rules(
        rule_yaml("t.and", '"operations.never_operated and operations.debts_settled"')
        + rule_yaml("t.or", '"operations.never_operated or operations.debts_settled"')
        + rule_yaml("t.not-a", '"not operations.never_operated"')
    )
    got = statuses(el.Engine(rules), _flags(a, b))
    assert got["t.and"][0] == and_
    assert got["t.or"][0] == or_
    assert got["t.not-a"][0] == {T: "ineligible", F: "eligible", N: "undetermined"}[a]


def test_undetermined_lists_exactly_the_deciding_facts(make_rules) -> None:
    rules = make_rules(rule_yaml("t.r", "[revenue >= 2000万, employees <= 300, is_industrial]"))
    ev = el.Engine(rules).evaluate({"employees": 10}, AS_OF)
    r = ev["t.r"]
    assert r.status == "undetermined"
    assert set(r.missing) == {"revenue", "industry_code"}
    # a false condition decides: nothing is missing any more
    r2 = el.Engine(rules).evaluate({"employees": 500}, AS_OF)["t.r"]
    assert r2.status == "ineligible" and r2.missing == ()


# -- exact money at boundaries ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("revenue", "expected"),
    [(19_999_999, "ineligible"), ("19999999.99", "ineligible"), (20_000_000, "eligible"), (19999999.0, "ineligible"),
     (20000000.0, "eligible"), ("2000万", "eligible"), ("1999.9999万", "ineligible"), ("20000000.01", "eligible")],
)
def test_money_threshold_is_exact(make_rules, revenue, expected) -> None:
    rules = make_rules(rule_yaml("t.rev", '"revenue >= 2000万"', "50万"))
    assert statuses(el.Engine(rules), {"revenue": revenue})["t.rev"][0] == expected


@pytest.mark.parametrize(("income", "expected"), [(3_000_000, "eligible"), ("3000000.01", "ineligible"),
                                                  (2_999_999, "eligible")])
def test_inclusive_upper_bound_han_ben_shu(make_rules, income, expected) -> None:
    """"不超过300万元(含本数)": ≤ is inclusive."""
    rules = make_rules(rule_yaml("t.le", '"taxable_income <= 300万"'))
    assert statuses(el.Engine(rules), {"taxable_income": income})["t.le"][0] == expected


@pytest.mark.parametrize(("revenue", "expected"), [("299.99万", "ineligible"), ("300万", "eligible"),
                                                   ("1999.99万", "eligible"), ("2000万", "ineligible")])
def test_chained_range(make_rules, revenue, expected) -> None:
    rules = make_rules(rule_yaml("t.range", '"300万 <= revenue < 2000万"'))
    assert statuses(el.Engine(rules), {"revenue": revenue})["t.range"][0] == expected


def test_distance_to_threshold_is_reported(make_rules) -> None:
    rules = make_rules(rule_yaml("t.rev", '"revenue >= 2000万"', "50万"))
    r = el.Engine(rules).evaluate({"revenue": "1800万"}, AS_OF)["t.rev"]
    assert r.status == "ineligible"
    assert "营业收入还差 200万元" in r.explain("zh")
    assert "CNY 2,000,000 short" in r.explain("en")
    clause = r.to_dict()["conditions"][0]
    assert clause["distance"][0]["gap"] == "2000000"


def test_amount_is_computed_exactly(make_rules) -> None:
    rules = make_rules(rule_yaml("t.pct", '"known(scenario.procurement.bid_price)"', "scenario.procurement.bid_price * 20%"))
    got = statuses(el.Engine(rules), {"scenario": {"procurement": {"bid_price": "1234567.89"}}})
    assert got["t.pct"] == ("eligible", Decimal("246913.58"))  # 246913.578 rounded half up to the fen


def test_eligible_with_amount_needing_missing_fact(make_rules) -> None:
    rules = make_rules(rule_yaml("t.amt", '"employees > 0"', "taxable_income * 10%"))
    r = el.Engine(rules).evaluate({"employees": 3}, AS_OF)["t.amt"]
    assert r.status == "eligible" and r.amount is None and r.missing == ("taxable_income",)
    assert "金额待定" in r.explain()


def test_tiered_brackets(make_rules) -> None:
    rules = make_rules(rule_yaml("t.tier", '"taxable_income > 0元"',
                                 "'taxable_income * 25% - tiered(taxable_income, [100万, 5%], [300万, 10%])'"))
    engine = el.Engine(rules)
    # 2,000,000: 25% = 500,000; brackets 1,000,000 × 5% + 1,000,000 × 10% = 150,000 → saving 350,000
    assert statuses(engine, {"taxable_income": 2_000_000})["t.tier"] == ("eligible", Decimal(350_000))
    assert statuses(engine, {"taxable_income": 1_000_000})["t.tier"] == ("eligible", Decimal(200_000))


# -- dates ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("certified_on", "as_of", "expected"),
    [
        (date(2023, 6, 30), date(2024, 6, 30), "ineligible"),  # exactly 12 months back: excluded
        (date(2023, 7, 1), date(2024, 6, 30), "eligible"),
        (date(2024, 6, 30), date(2024, 6, 30), "eligible"),  # as_of itself: included
        (date(2024, 7, 1), date(2024, 6, 30), "ineligible"),  # after as_of
        (date(2023, 2, 28), date(2024, 2, 29), "ineligible"),  # 29 Feb − 12 months clamps to 28 Feb
        (date(2023, 3, 1), date(2024, 2, 29), "eligible"),
    ],
)
def test_within_twelve_months(make_rules, certified_on, as_of, expected) -> None:
    rules = make_rules(rule_yaml("t.w", '"any(certifications, kind == \\"high_tech\\" and within(certified_on, 12 months))"'))
    profile = {"certifications": [{"kind": "high_tech", "certified_on": certified_on}]}
    assert statuses(el.Engine(rules), profile, as_of)["t.w"][0] == expected


def test_in_year_of_as_of(make_rules) -> None:
    rules = make_rules(rule_yaml("t.y", '"in_year(registered_on)"'))
    engine = el.Engine(rules)
    assert statuses(engine, {"registered_on": "2024-01-01"})["t.y"][0] == "eligible"
    assert statuses(engine, {"registered_on": "2023-12-31"})["t.y"][0] == "ineligible"


def test_effective_period_and_dated_parameters(make_rules) -> None:
    rules = make_rules(rule_yaml("t.vat", '"monthly_sales <= limit"', extra="""\
        effective: {from: 2019-01-01, to: 2021-12-31}
        params:
          limit:
            values:
              - {from: 2019-01-01, value: 10万, basis: 财税〔2019〕13号}
              - {from: 2021-04-01, value: 15万, basis: 公告2021年第11号}
        """))
    engine = el.Engine(rules)
    assert statuses(engine, {"monthly_sales": 120_000}, date(2021, 3, 31))["t.vat"][0] == "ineligible"
    assert statuses(engine, {"monthly_sales": 120_000}, date(2021, 6, 30))["t.vat"][0] == "eligible"
    ev = engine.evaluate({"monthly_sales": 120_000}, date(2022, 1, 1))
    assert ev.results == [] and ev.out_of_scope[0].rule_id == "t.vat"
    assert "公告2021年第11号" in engine.evaluate({"monthly_sales": 1}, date(2021, 6, 30))["t.vat"].explain()


# -- jurisdictions and scenarios --------------------------------------------------------------------
def test_jurisdiction_prefix(make_rules) -> None:
    rules = make_rules(rule_yaml("t.j", '"employees > 0"'), jurisdiction="{code: '530800', name: 普洱市}")
    engine = el.Engine(rules)
    assert statuses(engine, {"employees": 1, "region_code": "530802"})["t.j"][0] == "eligible"
    assert statuses(engine, {"employees": 1, "region_code": "530800"})["t.j"][0] == "eligible"
    assert statuses(engine, {"employees": 1, "region_code": "530102"}) == {}  # another city: left out
    r = engine.evaluate({"employees": 1}, AS_OF)["t.j"]  # region unknown: undetermined, not dropped
    assert r.status == "undetermined" and r.missing == ("region_code",)


def test_development_zone(make_rules) -> None:
    rules = make_rules(rule_yaml("t.z", '"employees > 0"'),
                       jurisdiction="{code: '152921', name: 阿拉善左旗, development_zone: 腾格里经济技术开发区}")
    engine = el.Engine(rules)
    base = {"employees": 1, "region_code": "152921"}
    assert statuses(engine, {**base, "development_zone": "腾格里经济技术开发区"})["t.z"][0] == "eligible"
    assert statuses(engine, {**base, "development_zone": "别的园区"}) == {}
    assert statuses(engine, base)["t.z"][0] == "undetermined"


def test_procurement_judged_where_it_is_held(make_rules) -> None:
    rules = make_rules(rule_yaml("t.p", '"scenario.procurement.reserved_for_sme == false"', extra="""\
        jurisdiction: {code: '150523', name: 开鲁县, by: procurement}
        """))
    engine = el.Engine(rules)
    bidder_elsewhere = {"region_code": "530802",
                        "scenario": {"procurement": {"reserved_for_sme": False, "region_code": "150523"}}}
    assert statuses(engine, bidder_elsewhere)["t.p"][0] == "eligible"
    held_elsewhere = {"region_code": "150523",
                      "scenario": {"procurement": {"reserved_for_sme": False, "region_code": "530802"}}}
    assert statuses(engine, held_elsewhere) == {}
    # no procurement in the profile: the rule is not in scope at all (not "undetermined")
    assert statuses(engine, {"region_code": "150523"}) == {}


# -- exclusive groups ------------------------------------------------------------------------------
def _group_rules(make_rules, a_amount: str, b_amount: str, a_extra: str = "", b_extra: str = ""):
    return make_rules(
        rule_yaml("g.a", '"employees > 0"', a_amount, "group: g\n" + a_extra)
        + rule_yaml("g.b", '"employees > 0"', b_amount, "group: g\n" + b_extra)
    )


def test_group_highest_amount_wins(make_rules) -> None:
    engine = el.Engine(_group_rules(make_rules, "10万", "30万"))
    got = {r.rule_id: r for r in engine.evaluate({"employees": 5}, AS_OF).results}
    assert got["g.b"].status == "eligible" and got["g.a"].status == "superseded"
    assert got["g.a"].superseded_by == "g.b"
    assert {d.rule_id: d.superseded_by for d in engine.decide({"employees": 5}, AS_OF)} == {"g.a": "g.b", "g.b": None}


def test_group_tie_priority_then_id(make_rules) -> None:
    engine = el.Engine(_group_rules(make_rules, "10万", "10万", b_extra="priority: 1\n"))
    assert statuses(engine, {"employees": 5}) == {"g.a": ("superseded", Decimal(100_000)),
                                                  "g.b": ("eligible", Decimal(100_000))}
    engine = el.Engine(_group_rules(make_rules, "10万", "10万"))
    assert statuses(engine, {"employees": 5})["g.a"][0] == "eligible"  # same priority and level: smaller id


def test_group_tie_goes_to_higher_jurisdiction(make_rules, tmp_path) -> None:
    national = make_rules(rule_yaml("g.national", '"employees > 0"', "10万", "group: g\n"))
    local = make_rules(rule_yaml("g.county", '"employees > 0"', "10万", "group: g\n"),
                       jurisdiction="{code: '150523', name: 开鲁县}")
    both = el.load_rules(national.documents[0].file, local.documents[0].file)
    got = statuses(el.Engine(both), {"employees": 5, "region_code": "150523"})
    assert got == {"g.national": ("eligible", Decimal(100_000)), "g.county": ("superseded", Decimal(100_000))}


def test_group_undetermined_member_stays_undetermined(make_rules) -> None:
    rules = make_rules(
        rule_yaml("g.a", '"employees > 0"', "10万", "group: g\n")
        + rule_yaml("g.b", '"revenue > 0元"', "30万", "group: g\n")
    )
    ev = el.Engine(rules).evaluate({"employees": 5}, AS_OF)
    assert ev["g.a"].status == "eligible" and ev["g.b"].status == "undetermined"
    assert "可能在同组就高不重复的政策中胜出" in ev["g.b"].explain()


# -- already received, instalments, presumptions -------------------------------------------------
def test_one_off_already_received(make_rules) -> None:
    rules = make_rules(rule_yaml("t.once", '"employees > 0"', extra="benefit: {amount: 10万, once: true}\n"))
    r = el.Engine(rules).evaluate({"employees": 1, "benefits_received": [{"rule_id": "t.once", "year": 2023}]}, AS_OF)
    assert r["t.once"].status == "ineligible" and "已于2023年享受" in r["t.once"].explain()
    assert statuses(el.Engine(rules), {"employees": 1, "benefits_received": []})["t.once"][0] == "eligible"


@pytest.mark.parametrize(("as_of", "expected"), [
    (date(2022, 12, 31), ("ineligible", None)), (date(2023, 6, 30), ("eligible", Decimal(150_000))),
    (date(2025, 1, 1), ("eligible", Decimal(150_000))), (date(2026, 1, 1), ("ineligible", None)),
])
def test_instalments_counted_from_the_event_year(make_rules, as_of, expected) -> None:
    rules = make_rules(rule_yaml("t.inst", '"known(registered_on)"', extra="""\
        benefit: {amount: 45万, kind: instalment, schedule: {instalments: 3, start: registered_on}}
        """))
    assert statuses(el.Engine(rules), {"registered_on": "2023-03-01"}, as_of)["t.inst"] == expected


def test_uneven_instalments_sum_to_total(make_rules) -> None:
    rules = make_rules(rule_yaml("t.inst", '"known(registered_on)"', extra="""\
        benefit: {amount: 100元, kind: instalment, schedule: {instalments: 3, start: registered_on}}
        """))
    engine = el.Engine(rules)
    parts = [statuses(engine, {"registered_on": "2023-03-01"}, date(y, 6, 30))["t.inst"][1] for y in (2023, 2024, 2025)]
    assert parts == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")] and sum(parts) == 100


def test_presumption_is_shown(make_rules) -> None:
    rules = make_rules(rule_yaml("t.pres", '"not restricted_industry"'))
    r = el.Engine(rules).evaluate({}, AS_OF)["t.pres"]
    assert r.status == "eligible" and r.presumed == ("restricted_industry",)
    assert "假设：未标记为限制或禁止行业" in r.explain("zh")
    assert statuses(el.Engine(rules), {"restricted_industry": True})["t.pres"][0] == "ineligible"


def test_register_not_listed_is_known_absent(make_rules) -> None:
    rules = make_rules(rule_yaml("t.reg", '"exists(registers.above_scale_industrial)"'))
    engine = el.Engine(rules)
    assert statuses(engine, {"registers": {}})["t.reg"][0] == "ineligible"
    assert statuses(engine, {})["t.reg"][0] == "undetermined"
    assert statuses(engine, {"registers": {"above_scale_industrial": {"entered_on": "2020-01-01"}}})["t.reg"][0] == "eligible"


def test_coarse_industry_code_is_undetermined(make_rules) -> None:
    rules = make_rules(rule_yaml("t.ind", '"industry_code under \\"C30\\""'))
    engine = el.Engine(rules)
    assert statuses(engine, {"industry_code": "C3011"})["t.ind"][0] == "eligible"
    assert statuses(engine, {"industry_code": "C"})["t.ind"][0] == "undetermined"
    assert statuses(engine, {"industry_code": "B"})["t.ind"][0] == "ineligible"


def test_provenance(make_rules) -> None:
    rules = make_rules(rule_yaml("t.p", '"employees > 0"'))
    ev = el.Engine(rules).evaluate({"employees": 1}, AS_OF)
    assert ev.provenance == {"version": el.__version__, "ruleset_hash": rules.hash, "as_of": "2024-06-30"}
    assert len(rules.hash) == 64


def test_group_counts_a_member_already_received_this_year(make_rules) -> None:
    """就高不重复 after payment: the higher grant paid this year supersedes a lower one newly due."""
    rules = make_rules(
        rule_yaml("g.high", '"employees > 0"', extra="group: g\nbenefit: {amount: 30万, once: true}\n")
        + rule_yaml("g.low", '"employees > 0"', extra="group: g\nbenefit: {amount: 10万, once: true}\n")
    )
    engine = el.Engine(rules)
    this_year = {"employees": 5, "benefits_received": [{"rule_id": "g.high", "year": 2024, "amount": 300000}]}
    got = statuses(engine, this_year)
    assert got == {"g.high": ("ineligible", None), "g.low": ("superseded", Decimal(100_000))}
    assert {d.rule_id: d.superseded_by for d in engine.decide(this_year, AS_OF)}["g.low"] == "g.high"
    # received in an earlier year: in a group of one-off grants it still bars the lower grant (就高不重复
    # across dates), and a lower grant received earlier leaves the higher one the difference
    earlier = {"employees": 5, "benefits_received": [{"rule_id": "g.high", "year": 2022, "amount": 300000}]}
    assert statuses(engine, earlier) == {"g.high": ("ineligible", None), "g.low": ("superseded", Decimal(100_000))}
    low_first = {"employees": 5, "benefits_received": [{"rule_id": "g.low", "year": 2022, "amount": 100000}]}
    assert statuses(engine, low_first) == {"g.high": ("eligible", Decimal(200_000)), "g.low": ("ineligible", None)}
    assert {d.rule_id: d.topped_up for d in engine.decide(low_first, AS_OF)}["g.high"] == Decimal(100_000)


def test_total_counts_money_paid_or_saved_only(make_rules) -> None:
    rules = make_rules(
        rule_yaml("k.grant", '"employees > 0"', "10万")
        + rule_yaml("k.price", '"employees > 0"', "2万").replace("kind: grant", "kind: price")
    )
    ev = el.Engine(rules).evaluate({"employees": 1}, AS_OF)
    assert ev.total() == Decimal(100_000)
    assert "合计 10万元" in ev.explain("zh")


def test_conditional_amount_explains_the_branch_taken(make_rules) -> None:
    rules = make_rules(rule_yaml("k.fee", '"known(scenario.guarantee.amount)"',
                                 "'if scenario.guarantee.amount <= 500万 then scenario.guarantee.amount * 1% "
                                 "else scenario.guarantee.amount * 1.5%'"))
    r = el.Engine(rules).evaluate({"scenario": {"guarantee": {"amount": "800万"}}}, AS_OF)["k.fee"]
    assert r.amount == Decimal(120_000)
    assert "因 担保金额 800万元，超过 500万元" in r.explain("zh")


def test_document_notes_are_kept(tmp_path) -> None:
    (tmp_path / "d.yaml").write_text(
        "document:\n  title: 测试\n  issuer: 测试\n  jurisdiction: {code: national, name: 全国}\n"
        "  notes: 全文的读法\nrules: []\n", encoding="utf-8")
    assert el.load_rules(tmp_path / "d.yaml").documents[0].notes == "全文的读法"
