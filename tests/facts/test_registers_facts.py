"""限额以上批零住餐 (is_above_quota_trade): the register decides; the trade's threshold is only shown."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from eligibility.facts.derived import DERIVED, evaluate_derived
from eligibility.facts.flatten import UNKNOWN, Facts
from eligibility.facts.profile import Profile
from eligibility.facts.registers import quota_thresholds

AS_OF = date(2024, 6, 30)
REG = "registers.above_quota_trade"


def member(entered: date | None = date(2020, 1, 1), left: date | None = None, **more: object) -> dict[str, object]:
    return {REG: True, f"{REG}.entered_on": entered, f"{REG}.left_on": left, **more}


def above_quota(values: dict[str, object]) -> object:
    return evaluate_derived("is_above_quota_trade", Facts(dict(values)), AS_OF)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (member(), True),
        (member(entered=date(2024, 6, 30)), True),
        (member(entered=date(2024, 7, 1)), False),  # enters after as_of
        (member(left=date(2024, 6, 30)), False),  # left on as_of
        (member(left=date(2024, 7, 1)), True),
        ({REG: None}, False),  # known not to be in the register
    ],
)
def test_membership_on_as_of_decides(values: dict[str, object], expected: bool) -> None:
    found = above_quota(values)
    assert (found.value, found.missing) == (expected, ())


def test_unknown_membership_names_the_register_fields() -> None:
    assert above_quota({}).missing == ("registers",)  # no register data at all: the outermost unknown record
    assert above_quota({}).value is UNKNOWN
    assert above_quota({"registers": True}).missing == (REG,)
    assert above_quota({REG: True, f"{REG}.left_on": None}).missing == (f"{REG}.entered_on",)


def test_revenue_never_overrides_the_register() -> None:
    small_member = above_quota(member(industry_code="F5110", revenue=Decimal(1_000_000)))
    assert small_member.value is True
    assert "营业收入 100万元，未达到批发业限额 2,000万元" in small_member.zh
    assert "以名录为准" in small_member.zh and "the register decides" in small_member.en
    big_outsider = above_quota({REG: None, "industry_code": "F5110", "revenue": Decimal(90_000_000)})
    assert big_outsider.value is False
    assert "营业收入 9,000万元，达到批发业限额 2,000万元" in big_outsider.zh


@pytest.mark.parametrize(
    ("code", "limits"),
    [
        ("F5110", [20_000_000]),
        ("F51", [20_000_000]),
        ("F5211", [5_000_000]),
        ("H6110", [2_000_000]),
        ("H6210", [2_000_000]),
        ("H", [2_000_000]),
        ("F", [20_000_000, 5_000_000]),
        ("C3011", []),
        (None, [20_000_000, 5_000_000, 2_000_000]),
    ],
)
def test_the_threshold_shown_is_the_firm_s_trade(code: str | None, limits: list[int]) -> None:
    assert [limit for limit, _, _ in quota_thresholds(code)] == limits


def test_the_threshold_is_shown_even_when_revenue_is_unknown() -> None:
    found = above_quota(member(industry_code="F5211"))
    assert found.zh == "在限额以上批零住餐名录中；零售业限额为营业收入 500万元（仅供参考，以名录为准）"
    assert found.en == (
        "in the above-quota trade register; the retail threshold is revenue of CNY 5,000,000"
        " (for reference; the register decides)"
    )
    catering = above_quota({REG: None, "industry_code": "H6210", "revenue": Decimal(2_000_000)})
    assert "营业收入 200万元，达到住宿和餐饮业限额 200万元" in catering.zh


def test_from_a_validated_profile() -> None:
    inside = Profile.from_data({"industry_code": "F5110",
                                "registers": {"above_quota_trade": {"entered_on": "2023-03-01", "basis": "month"}}})
    assert evaluate_derived("is_above_quota_trade", inside.facts(), AS_OF).value is True
    outside = Profile.from_data({"industry_code": "F5110", "registers": {}})
    assert evaluate_derived("is_above_quota_trade", outside.facts(), AS_OF).value is False


def test_registered_as_a_boolean_fact() -> None:
    fact = DERIVED["is_above_quota_trade"]
    assert fact.type.kind == "bool"
    assert REG in fact.reads
