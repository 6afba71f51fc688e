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


TAX_COMPLIANCE = ("refund_fraud_36m", "false_invoices_36m", "tax_evasion_36m", "immediate_refund_since_2019_04")


def test_tax_compliance_records_are_optional_labelled_fields_presumed_absent() -> None:
    """The VAT credit refund conditions (公告2022年第14号 第三条) the tax authority holds: each optional,
    labelled in both languages, with the declared presumption "no record → presumed not"."""
    from eligibility.facts.profile import registry

    specs = registry()
    assert specs["tax_compliance"].label("zh") and specs["tax_compliance"].label("en")
    for name in TAX_COMPLIANCE:
        spec = specs[f"tax_compliance.{name}"]
        assert spec.label("zh") != spec.label("en")
        assert spec.presume is not None and spec.presume.value is False
        assert "推定没有" in spec.presume.zh and "presumed not" in spec.presume.en
    facts = el.Profile.from_data({"tax_compliance": {"tax_evasion_36m": True}}).facts()
    assert facts.values["tax_compliance.tax_evasion_36m"] is True
    assert facts.values["tax_compliance.refund_fraud_36m"] is False
    assert "tax_compliance.refund_fraud_36m" in facts.presumed
    assert "tax_compliance.tax_evasion_36m" not in facts.presumed
    assert "tax_compliance.refund_fraud_36m" not in el.Profile.from_data({}).facts().values


def test_profile_json_schema_exports_the_tax_compliance_and_guarantee_term_fields() -> None:
    schema = el.Profile.model_json_schema()
    record = schema["$defs"]["TaxCompliance"]["properties"]
    assert set(TAX_COMPLIANCE) <= set(record)
    assert all(record[n]["presume"]["value"] is False for n in TAX_COMPLIANCE)
    assert "tax_compliance" in schema["properties"]
    term = schema["$defs"]["Guarantee"]["properties"]["term_years"]
    assert term["label_zh"] == "担保期限" and str(term["presume"]["value"]) == "1"


def test_tax_compliance_accepts_booleans_only_and_names_the_field() -> None:
    with pytest.raises(el.ProfileError) as err:
        el.Profile.from_data({"tax_compliance": {"false_invoices_36m": "maybe"}})
    assert "tax_compliance.false_invoices_36m" in str(err.value)
    with pytest.raises(el.ProfileError) as err:
        el.Profile.from_data({"tax_compliance": {"fraud": True}})
    assert "tax_compliance.fraud" in str(err.value)


def test_the_refund_rule_reads_the_tax_records_never_the_dishonesty_list() -> None:
    from eligibility.model import expr as x

    rule = el.load_rules("ordos")["ordos.small-micro-vat-credit-refund"]
    read = {n.path for n in x.walk(rule.when) if isinstance(n, x.Field)}
    assert {f"tax_compliance.{n}" for n in TAX_COMPLIANCE} | {"tax_credit_rating"} <= read
    assert "dishonest_record" not in read
    assert rule.benefit.kind == "up_to"
