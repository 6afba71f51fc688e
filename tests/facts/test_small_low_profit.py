"""小型微利企业 by period: the dated limits, inclusive at each limit, unknowns and presumptions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eligibility.facts.derived import DERIVED, evaluate_derived
from eligibility.facts.flatten import UNKNOWN, Facts
from eligibility.facts.profile import Profile
from eligibility.facts.tax_classes import SMALL_LOW_PROFIT_LIMITS, small_low_profit_limits

AT_LIMITS = {
    "restricted_industry": False,
    "taxable_income": Decimal(3_000_000),
    "employees": 300,
    "total_assets": Decimal(50_000_000),
}
COVERED = [date(2019, 1, 1), date(2021, 6, 30), date(2022, 12, 31), date(2023, 1, 1), date(2024, 6, 30),
           date(2027, 12, 31)]


def slp(values: dict[str, object], as_of: date = date(2024, 6, 30)) -> object:
    return evaluate_derived("is_small_low_profit", Facts(dict(values)), as_of)


def test_limits_are_a_dated_table_citing_their_documents() -> None:
    first, second = SMALL_LOW_PROFIT_LIMITS
    assert "财税〔2019〕13号" in first.document_zh and first.effective_from == date(2019, 1, 1)
    assert second.document_zh == "财政部 税务总局公告2023年第12号" and second.effective_from == date(2023, 1, 1)
    assert first.effective_to == date(2022, 12, 31) and second.effective_to == date(2027, 12, 31)
    for limits in SMALL_LOW_PROFIT_LIMITS:
        assert (limits.max_taxable_income, limits.max_employees, limits.max_total_assets) == (
            Decimal(3_000_000), 300, Decimal(50_000_000))
    assert small_low_profit_limits(date(2022, 12, 31)) is first
    assert small_low_profit_limits(date(2023, 1, 1)) is second


@pytest.mark.parametrize("as_of", COVERED, ids=str)
def test_every_limit_is_inclusive(as_of: date) -> None:
    found = slp(AT_LIMITS, as_of)
    assert (found.value, found.missing) == (True, ())


@pytest.mark.parametrize("as_of", COVERED, ids=str)
@pytest.mark.parametrize(
    ("field", "over"),
    [("employees", 301), ("total_assets", Decimal("50000000.01")), ("taxable_income", Decimal("3000000.01"))],
)
def test_one_unit_over_any_limit_fails(as_of: date, field: str, over: object) -> None:
    found = slp({**AT_LIMITS, field: over}, as_of)
    assert (found.value, found.missing) == (False, ())


def test_the_explanation_cites_the_period_s_document() -> None:
    assert "财税〔2019〕13号" in slp(AT_LIMITS, date(2020, 5, 1)).zh
    assert "公告2022年第13号" in slp(AT_LIMITS, date(2022, 5, 1)).zh
    later = slp(AT_LIMITS, date(2023, 5, 1))
    assert later.zh == (
        "依据 财政部 税务总局公告2023年第12号：非国家限制和禁止行业；应纳税所得额 300万元，不超过 300万元；"
        "从业人员 300人，不超过 300人；资产总额 5,000万元，不超过 5,000万元"
    )
    assert later.en == (
        "per MOF/STA Announcement No. 12 of 2023: not in a restricted or prohibited industry;"
        " taxable income CNY 3,000,000, at most CNY 3,000,000; employees 300 persons, at most 300 persons;"
        " total assets CNY 50,000,000, at most CNY 50,000,000"
    )
    over = slp({**AT_LIMITS, "taxable_income": Decimal("3000000.01")})
    assert "应纳税所得额 3,000,000.01元，超过 300万元" in over.zh


@pytest.mark.parametrize("as_of", [date(2018, 12, 31), date(2008, 1, 1), date(2028, 1, 1)], ids=str)
def test_a_date_no_table_covers_is_unknown_with_that_reason(as_of: date) -> None:
    found = slp(AT_LIMITS, as_of)
    assert (found.value, found.missing) == (UNKNOWN, ())
    assert "无适用的认定标准" in found.zh and "no table held covers" in found.en
    assert as_of.isoformat() in found.zh


def test_a_restricted_industry_is_never_small_low_profit() -> None:
    assert slp({**AT_LIMITS, "restricted_industry": True}).value is False


def test_unknown_facts_are_named_only_when_they_could_decide() -> None:
    partial = {k: v for k, v in AT_LIMITS.items() if k != "total_assets"}
    found = slp(partial)
    assert (found.value, found.missing) == (UNKNOWN, ("total_assets",))
    assert "缺少资产总额，上限 5,000万元" in found.zh
    # one limit already exceeded: the unknown facts cannot make it true
    failing = slp({"employees": 301})
    assert (failing.value, failing.missing) == (False, ())
    nothing = slp({})
    assert nothing.missing == ("restricted_industry", "taxable_income", "employees", "total_assets")


def test_the_presumption_about_restricted_industry_is_shown() -> None:
    profile = Profile.from_data({"taxable_income": 3_000_000, "employees": 300, "total_assets": "5000万"})
    found = evaluate_derived("is_small_low_profit", profile.facts(), date(2024, 6, 30))
    assert found.value is True
    assert "推定" in found.zh and "assumed" in found.en


def test_registered_as_a_boolean_fact() -> None:
    assert DERIVED["is_small_low_profit"].type.kind == "bool"


@given(
    income=st.decimals(min_value=0, max_value=6_000_000, places=2),
    staff=st.integers(min_value=0, max_value=600),
    assets=st.decimals(min_value=0, max_value=100_000_000, places=2),
    as_of=st.sampled_from(COVERED),
)
def test_matches_the_three_inclusive_limits(income: Decimal, staff: int, assets: Decimal, as_of: date) -> None:
    found = slp({"restricted_industry": False, "taxable_income": income, "employees": staff, "total_assets": assets},
                as_of)
    assert found.value is (income <= 3_000_000 and staff <= 300 and assets <= 50_000_000)
