"""The profile schema: money parsing, validation errors naming the field, unknown vs empty in frames."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

import eligibility as el
from eligibility.facts.frame import row_to_profile
from eligibility.facts.money import MoneyValueError, format_money, parse_money


@pytest.mark.parametrize(("given", "expected"), [
    (100, Decimal(100)), ("2500万", Decimal(25_000_000)), ("1.5亿元", Decimal(150_000_000)), (0.1, Decimal("0.1")),
    (19999999.0, Decimal(19_999_999)), ("1,234.50", Decimal("1234.5")), (Decimal("7.25"), Decimal("7.25")),
])
def test_money_parsing(given, expected) -> None:
    assert parse_money(given) == expected


@pytest.mark.parametrize("given", [0.123, "1.001", True, "abc", float("nan"), [1]])
def test_money_parsing_refuses(given) -> None:
    with pytest.raises(MoneyValueError):
        parse_money(given)


def test_money_formatting() -> None:
    assert format_money(Decimal(25_000_000)) == "2,500万元"
    assert format_money(Decimal("1234.56")) == "1,234.56元"
    assert format_money(Decimal(25_000_000), "en") == "CNY 25,000,000"


def test_bad_uscc_names_the_field() -> None:
    with pytest.raises(el.ProfileError) as info:
        el.Profile.from_data({"uscc": "9144030071526726XA"})
    assert info.value.fields == ["uscc"]
    assert "校验码" in info.value.zh and "check" in info.value.en


def test_unknown_field_suggests() -> None:
    with pytest.raises(el.ProfileError) as info:
        el.Profile.from_data({"revenu": 1, "registers": {"above_scale": {}}})
    assert "did you mean 'revenue'" in info.value.en
    assert "registers.above_scale" in info.value.en and "above_scale_industrial" in info.value.en


def test_bad_values_name_each_field() -> None:
    with pytest.raises(el.ProfileError) as info:
        el.Profile.from_data({"revenue": "lots", "employees": 1.5, "region_code": "990000",
                              "vat_taxpayer": "tiny"})
    assert set(info.value.fields) == {"revenue", "employees", "region_code", "vat_taxpayer"}


def test_industry_code_normalised() -> None:
    assert el.Profile.from_data({"industry_code": "3011"}).industry_code == "C3011"


def test_to_frame_keeps_unknown_apart_from_empty() -> None:
    frame = el.to_frame([
        {"uscc": "9144030071526726XG", "certifications": [], "registers": {}},
        {"uscc": "91130600738737199K"},
    ])
    first, second = frame.iloc[0], frame.iloc[1]
    assert first["certifications"] == [] and pd.isna(second["certifications"])
    assert first["registers"] is True and first["registers.above_scale_industrial"] is False
    assert pd.isna(second["registers"]) and pd.isna(second["registers.above_scale_industrial"])
    assert "registers.above_scale_industrial.entered_on" in frame.columns


def test_frame_round_trip_gives_same_decisions() -> None:
    profiles = [
        {"revenue": "2500万", "industry_code": "C3011", "registers": {}},
        {"revenue": 1, "registers": {"above_scale_industrial": {"entered_on": "2024-03-01", "new_build": True}}},
        {"certifications": [{"kind": "high_tech", "certified_on": "2024-01-01"}]},
    ]
    frame = el.to_frame(profiles)
    for i, original in enumerate(profiles):
        rebuilt = el.Profile.from_data(row_to_profile(frame.iloc[i].to_dict()))
        assert rebuilt.facts().values == el.Profile.from_data(original).facts().values


@pytest.mark.parametrize(("given", "expected"), [("2", 2), (3.0, 3), (1, 1)])
def test_evaluation_tier_read_from_text_or_float(given, expected) -> None:
    assert el.Profile.from_data({"tech_transfer": {"evaluation_tier": given}}).tech_transfer.evaluation_tier == expected


def test_evaluation_tier_out_of_range_names_the_field() -> None:
    with pytest.raises(el.ProfileError) as info:
        el.Profile.from_data({"tech_transfer": {"evaluation_tier": "4"}})
    assert info.value.fields == ["tech_transfer.evaluation_tier"]
