"""Header recognition: the spellings departments write, units from the header, mapping keys in normal form."""

from __future__ import annotations

from decimal import Decimal

import pytest

from eligibility.batch.headers import normalise_header, plan_headers, recognise, split_unit


@pytest.mark.parametrize(("header", "field", "unit", "factor"), [
    ("统一社会信用代码", "uscc", None, None),
    ("纳税人识别号", "uscc", None, None),
    ("*统一社会信用代码", "uscc", None, None),
    ("单位详细名称", "name", None, None),
    ("营业收入（万元）", "revenue", "万元", Decimal(10_000)),
    ("营业收入(万元)", "revenue", "万元", Decimal(10_000)),
    ("营业收入 (千元)", "revenue", "千元", Decimal(1_000)),
    ("营业收入/元", "revenue", "元", Decimal(1)),
    ("本年营业收入（千元）", "revenue", "千元", Decimal(1_000)),
    ("营业收入\n（亿元）", "revenue", "亿元", Decimal(10) ** 8),
    ("营业收入", "revenue", None, Decimal(1)),
    ("资产总计（千元）", "total_assets", "千元", Decimal(1_000)),
    ("从业人员期末人数（人）", "employees", "人", None),
    ("行政区划代码", "region_code", None, None),
    ("行业代码", "industry_code", None, None),
    ("成立日期", "registered_on", None, None),
    ("纳税人资格", "vat_taxpayer", None, None),
    ("纳税信用级别", "tax_credit_rating", None, None),
    ("申报方式", "vat_filing_period", None, None),
    ("revenue", "revenue", None, Decimal(1)),
    ("ＲＥＶＥＮＵＥ", "revenue", None, Decimal(1)),
])
def test_common_spellings_are_recognised_with_their_unit(header: str, field: str, unit: str | None,
                                                         factor: Decimal | None) -> None:
    rec = recognise(header)
    assert rec is not None, header
    assert (rec.field, rec.unit, rec.factor) == (field, unit, factor)


def test_unrecognised_headers_and_units_that_are_not_units() -> None:
    assert recognise("备注") is None
    assert recognise("营业收入（预计）") is None  # a bracket that is not a unit is part of the name
    assert split_unit("营业收入(预计)") == ("营业收入(预计)", None)


def test_normal_form_folds_width_space_star_and_case() -> None:
    assert normalise_header(" *营业收入（万元）\r\n") == normalise_header("营业收入(万元)") == "营业收入(万元)"
    assert normalise_header("【营业收入】") == "(营业收入)"


def test_describe_is_column_field_unit() -> None:
    rec = recognise("营业收入（万元）")
    assert rec is not None and rec.describe() == "营业收入（万元） → revenue (万元)"


def test_plan_matches_mapping_keys_in_normal_form_and_keeps_the_header_unit() -> None:
    headers = ["统一社会信用代码", "营业收入(万元)", "从业人数", "备注", "资产总额（亿元）", "联系人"]
    # the mapping writes full-width brackets, the file half-width; no unit in the mapping
    plan = plan_headers(headers, {"营业收入（万元）": "revenue", "人数（期末）": "employees"}, {}, ["备注"])
    assert {headers[i]: (r.field, r.factor, r.how) for i, r in plan.fields.items()} == {
        "统一社会信用代码": ("uscc", None, "alias"),
        "营业收入(万元)": ("revenue", Decimal(10_000), "mapping"),
        "从业人数": ("employees", None, "alias"),
        "资产总额（亿元）": ("total_assets", Decimal(10) ** 8, "alias"),
    }
    assert [headers[i] for i in plan.unknown] == ["联系人"]
    assert plan.not_found == ["人数（期末）"] and [headers[i] for i in plan.ignored] == ["备注"]
    assert "营业收入(万元) → revenue (万元)" in plan.lines()


def test_a_mapping_unit_wins_over_the_header() -> None:
    plan = plan_headers(["收入(万元)"], {"收入(万元)": "revenue"}, {"收入(万元)": Decimal(1000)})
    assert plan.fields[0].factor == Decimal(1000) and plan.fields[0].unit == "千元"
