"""Readings corrected after an audit of the bundled packs against the seeds and the national law:
what the rule tests in the packs cannot state (notes, the profile schema, sums across rules)."""

from __future__ import annotations

from datetime import date

import pytest

import eligibility as el

BUNDLED = el.load_rules()


def test_startup_guarantee_loan_says_it_encodes_the_zone_text_and_how_the_national_ratio_moved() -> None:
    notes = BUNDLED["tengger.startup-guarantee-loan"].notes
    assert "按原文编码" in notes and "25%" in notes
    assert "财金〔2020〕21号" in notes and "15%" in notes and "8%" in notes
    assert "待确认" in notes  # what the sources did not confirm is said to be unconfirmed


def test_changed_rules_say_what_changed_with_the_document_number() -> None:
    expected = {
        "cn.small-scale-vat-exemption": "公告2022年第15号 第一条",
        "wugong.simplified-deregistration": "工商企注字〔2016〕253号",
        "puer.small-to-above-scale": "2022-01-01",
        "ordos.guarantee-fee-cap": "年化",
    }
    for rule_id, fragment in expected.items():
        notes = BUNDLED[rule_id].notes
        assert "2026-12" in notes and fragment in notes, rule_id


YUNNAN_2024 = ({"region_code": "530802", "employees": 10, "total_assets": "100万", "taxable_income": "200万"},
               date(2024, 6, 30))
ZONE = {"region_code": "152921", "development_zone": "腾格里经济技术开发区"}
SMALL = {"vat_taxpayer": "small_scale", "vat_filing_period": "month", "monthly_sales": "12万", "employees": 10,
         "total_assets": "100万", "taxable_income": "200万", "taxes_due": {"stamp": 100}}
ENGINE = el.Engine(BUNDLED)


def test_a_yunnan_firm_in_2024_is_shown_the_2023_national_document_not_the_zone_restatement() -> None:
    result = ENGINE.evaluate(*YUNNAN_2024)["cn.small-low-profit-income-tax"]
    for lang in ("zh", "en"):
        text = result.explain(lang)
        assert "公告2023年第6号、第12号" in text and "阿腾党发" not in text and "地方分享部分" not in text
    assert "原文未随规则包附带，按文号与条款引用" in result.explain()
    cite = result.to_dict()["citation"]
    assert (cite["document"], cite["clause"], cite["quote"], cite["restatements"]) == (
        "财政部 税务总局公告2023年第6号、第12号", "第6号 第一条、第12号 第二条", None, [])


@pytest.mark.parametrize(("rule_id", "day", "document", "clause"), [
    ("cn.small-low-profit-income-tax", date(2020, 6, 30), "财税〔2019〕13号", "第二条"),
    ("cn.small-low-profit-income-tax", date(2021, 6, 30), "财政部 税务总局公告2021年第12号", "第一条"),
    ("cn.small-low-profit-income-tax", date(2022, 6, 30), "财政部 税务总局公告2022年第13号", "第一条"),
    ("cn.small-scale-vat-exemption", date(2021, 3, 31), "财税〔2019〕13号", "第一条"),
    ("cn.small-scale-vat-exemption", date(2021, 4, 1), "财政部 税务总局公告2021年第11号", "第一条"),
    ("cn.small-scale-vat-exemption", date(2022, 4, 1), "财政部 税务总局公告2022年第15号", "第二条"),
    ("cn.small-scale-vat-exemption", date(2024, 6, 30), "财政部 税务总局公告2023年第1号、第19号", "第1号 第一条、第19号 第一条"),
    ("cn.six-taxes-halved", date(2021, 12, 31), "财税〔2019〕13号", "第三条"),
    ("cn.six-taxes-halved", date(2022, 1, 1), "财政部 税务总局公告2022年第10号", "第一条"),
    ("cn.six-taxes-halved", date(2023, 1, 1), "财政部 税务总局公告2023年第12号", "第一条"),
])
def test_each_period_cites_its_own_national_document(rule_id: str, day: date, document: str, clause: str) -> None:
    result = ENGINE.evaluate({"region_code": "330106", **SMALL}, day)[rule_id]
    assert f"依据：《{document}》{clause}（" in result.explain()
    assert "阿腾党发" not in result.explain()


@pytest.mark.parametrize("rule_id", ["cn.small-low-profit-income-tax", "cn.small-scale-vat-exemption",
                                     "cn.six-taxes-halved"])
def test_the_zone_restatement_is_cited_beside_the_national_document_only_there_and_then(rule_id: str) -> None:
    here_then = ENGINE.evaluate({**ZONE, **SMALL}, date(2021, 6, 30))[rule_id]
    text = here_then.explain()
    assert "地方转述：《腾格里经济技术开发区关于进一步优化营商环境的若干措施（阿腾党发〔2021〕50号）》二(九)：“" in text
    assert "（腾格里经济技术开发区，2019-01-01 至 2021-12-31）" in text
    assert text.index("依据：") < text.index("地方转述：")
    assert "local restatement:" in here_then.explain("en")
    assert here_then.to_dict()["citation"]["restatements"][0]["clause"] == "二(九)"
    later = ENGINE.evaluate({**ZONE, **SMALL}, date(2022, 6, 30))[rule_id]
    elsewhere = ENGINE.evaluate({"region_code": "152921", "development_zone": "其他园区", **SMALL}, date(2021, 6, 30))[rule_id]
    unknown_zone = ENGINE.evaluate({"region_code": "152921", **SMALL}, date(2021, 6, 30))[rule_id]
    for result in (later, elsewhere, unknown_zone):
        assert "阿腾党发" not in result.explain() and not result.to_dict()["citation"]["restatements"]


def test_dated_parameters_show_their_basis_after_依据() -> None:
    ev = ENGINE.evaluate({"region_code": "330106", **SMALL}, date(2021, 6, 30))
    text = ev["cn.small-scale-vat-exemption"].explain()
    assert "15万元（依据 财政部 税务总局公告2021年第11号）" in text
    assert "当期不适用（依据 财税〔2019〕13号）" in text
    assert "否（财税〔2019〕13号）" not in text and "否（财税〔2019〕13号）" not in ev["cn.six-taxes-halved"].explain()
    assert "(per 财政部 税务总局公告2021年第11号)" in ev["cn.small-scale-vat-exemption"].explain("en")
