"""The policy check-up (政策体检报告): its content from an evaluation, its three formats, the CLI, and
the HTML page as Chromium renders it (desktop and 375 px phone width, zh and en)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
from typer.testing import CliRunner

import eligibility as el
from eligibility.cli import app
from eligibility.explain import result_dict
from eligibility.io.yamlload import load_yaml
from eligibility.report import checkup, checkup_dict, format_from_suffix, render_checkup

ROOT = Path(__file__).resolve().parents[2]
PROFILES = ROOT / "examples" / "profiles"
runner = CliRunner()

RULES = """\
- id: t.revenue-award
  title: {zh: 营收达标奖励, en: Revenue award}
  source: {clause: 一, quote: 营业收入达到2000万元的给予20万元奖励}
  kind: grant
  mode: auto
  basis: threshold
  when: ["revenue >= 2000万"]
  benefit: {amount: 20万}
- id: t.industrial-revenue
  title: {zh: 工业营收奖励, en: Industrial revenue award}
  source: {clause: 二, quote: 工业企业营业收入达到2000万元的给予5万元奖励}
  kind: grant
  mode: auto
  basis: threshold
  when: ["industry_code under \\"C\\"", "revenue >= 2000万"]
  benefit: {amount: 5万}
- id: t.small
  title: {zh: "<script>alert(1)</script>小额补助", en: "Small <b>grant</b>"}
  source: {clause: 三, quote: "给予1万元补助 <i>"}
  kind: grant
  mode: apply
  basis: threshold
  when: ["employees >= 10"]
  benefit: {amount: 1万}
- id: t.group-high
  title: {zh: 同组高额, en: Group high}
  source: {clause: 四, quote: 高额}
  kind: grant
  mode: auto
  basis: threshold
  when: ["employees >= 10"]
  benefit: {amount: 8万}
  group: g.one
- id: t.group-low
  title: {zh: 同组低额, en: Group low}
  source: {clause: 五, quote: 低额}
  kind: grant
  mode: auto
  basis: threshold
  when: ["employees >= 10"]
  benefit: {amount: 3万}
  group: g.one
- id: t.needs-assets
  title: {zh: 资产奖励, en: Assets award}
  source: {clause: 六, quote: 资产}
  kind: grant
  mode: auto
  basis: threshold
  when: ["total_assets >= 1000万"]
  benefit: {amount: 2万}
"""
FIRM = {"name": "测试企业有限公司", "region_code": "530802", "industry_code": "F5212", "employees": 12,
        "revenue": "1800万"}


@pytest.fixture
def evaluation(make_rules: Callable[..., el.RuleSet]) -> el.Evaluation:
    return el.Engine(make_rules(RULES)).evaluate(FIRM, as_of="2024-06-30")


@cache
def _bundled() -> el.Engine:
    return el.Engine(el.load_rules())


def _example(name: str, as_of: str) -> el.Evaluation:
    path = PROFILES / f"{name}.yaml"
    return _bundled().evaluate(load_yaml(path.read_text(encoding="utf-8"), str(path)), as_of=as_of)


# -- content -------------------------------------------------------------------------------------
def test_sections_hold_each_status_sorted_by_value(evaluation: el.Evaluation) -> None:
    c = checkup(evaluation, "zh")
    assert [i.rule_id for i in c.benefits] == ["t.group-high", "t.small"]  # 8万 before 1万
    assert [i.amount for i in c.benefits] == [Decimal("80000"), Decimal("10000")]
    assert c.total == Decimal("90000")
    (sup,) = c.superseded
    assert (sup.rule_id, sup.superseded_by, sup.superseded_by_title, sup.group) == \
        ("t.group-low", "t.group-high", "同组高额", "g.one")
    (und,) = c.undetermined
    assert und.rule_id == "t.needs-assets" and und.missing == (("total_assets", "资产总额"),)
    assert [i.rule_id for i in c.near_misses] == ["t.revenue-award"]
    assert c.not_eligible == 1  # the industrial rule fails on industry too: not a near miss
    assert c.counts == {"eligible": 2, "superseded": 1, "undetermined": 1, "near_miss": 1, "ineligible": 2}


def test_near_miss_gap_is_the_explanations_own(evaluation: el.Evaluation) -> None:
    (near,) = checkup(evaluation, "zh").near_misses
    assert near.gaps == ("营业收入还差 200万元",)
    assert near.amount == Decimal("200000") and near.benefit == "20万元"
    assert near.near == "营业收入还差 200万元，即可享受营收达标奖励"
    explained = result_dict(evaluation["t.revenue-award"], "zh", evaluation.as_of)
    assert list(near.gaps) == [d["text"] for c in explained["conditions"] for d in c["distance"]]
    (line,) = near.lines
    assert (line.outcome, line.text) == (False, "营业收入 1,800万元，不低于 2,000万元")
    assert "营业收入还差 200万元，即可享受营收达标奖励" in render_checkup(evaluation, "md", "zh")
    assert "operating revenue is CNY 2,000,000 short; close that gap and Revenue award applies" in \
        render_checkup(evaluation, "md", "en")


def test_a_gap_with_unknown_conditions_beside_it_is_not_a_near_miss() -> None:
    c = checkup(_example("tengger-small-scale", "2021-06-30"), "zh")
    near = {i.rule_id: i.gaps for i in c.near_misses}
    assert near == {"tengger.large-industry-tariff-option": ("受电变压器容量还差 215千伏安",),
                    "tengger.property-land-tax-exemption": ("月销售额超出 5万元",)}  # monthly branch of an any()
    lowered = next(i for i in c.near_misses if i.rule_id == "tengger.property-land-tax-exemption")
    assert lowered.near == "月销售额超出 5万元，降至门槛以内即可享受月销售额3万元以下小规模纳税人免征房产税和城镇土地使用税"
    # one hire short, but the contract and social-insurance conditions are unknown: not "just short"
    assert "tengger.graduate-social-insurance-subsidy" not in near


def test_bundled_example_lists_match_the_engine() -> None:
    ev = _example("puer-manufacturer", "2024-06-30")
    c = checkup(ev, "en")
    assert {i.rule_id for i in c.benefits} == {r.rule_id for r in ev.eligible}
    assert [i.rule_id for i in c.benefits][:3] == ["cn.small-low-profit-income-tax", "puer.new-industrial-above-scale",
                                                   "puer.little-giant-national"]
    assert c.benefits[-1].rule_id == "cn.six-taxes-halved" and c.benefits[-1].amount is None  # amount pending last
    assert c.benefits[-1].missing == (("taxes_due", "taxes due before relief"),)
    assert [i.superseded_by for i in c.superseded] == ["puer.little-giant-national"]
    new_build = c.benefits[1]
    assert new_build.clause == "二(五)" and new_build.quote.startswith("对新建投产纳规的工业企业")
    assert (new_build.amount, new_build.amount_kind, new_build.benefit) == (Decimal("500000"), "up_to", "up to CNY 500,000")
    assert "**eligible** · grant · granted without applying · cap (up to) · **up to CNY 500,000**" in \
        render_checkup(ev, "md", "en")
    assert any(ln.outcome is True and "registered region" in ln.text for ln in new_build.lines)


def test_json_is_the_checkup_as_data(evaluation: el.Evaluation) -> None:
    data = json.loads(render_checkup(evaluation, "json", "en"))
    assert data == checkup_dict(checkup(evaluation, "en"))
    assert data["report"] == "checkup" and data["lang"] == "en" and data["total"] == "90000.00"
    assert [b["amount"] for b in data["benefits"]] == ["80000.00", "10000.00"]
    assert data["near_misses"][0]["gaps"] == ["operating revenue is CNY 2,000,000 short"]
    assert data["undetermined"][0]["missing"] == [{"field": "total_assets", "label": "total assets"}]
    assert data["provenance"] == evaluation.provenance and len(data["provenance"]["ruleset_hash"]) == 64


def test_markdown_sections_and_escaping(evaluation: el.Evaluation) -> None:
    md = render_checkup(evaluation, "md", "zh")
    headings = re.findall(r"^## (.+)$", md, re.M)
    assert headings == ["可享受的政策（金额单位：万元）", "被更优政策取代的政策（就高不重复；金额单位：万元）",
                        "待定：补齐数据后可判断（金额单位：万元）", "差一点即可享受（金额单位：万元）", "不符合的政策（金额单位：万元）"]
    assert "\\<script>alert(1)\\</script>小额补助" in md and not re.search(r"(?<!\\)<script", md)
    assert "所需数据：资产总额 `total_assets`" in md
    assert evaluation.provenance["ruleset_hash"] in md


def test_html_is_self_contained_and_escaped(evaluation: el.Evaluation) -> None:
    page = render_checkup(evaluation, "html", "zh")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in page
    assert "<script" not in page and "<link" not in page and not re.search(r"(src|href)=\"?https?:", page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;小额补助" in page and "给予1万元补助 &lt;i&gt;" in page
    for key in ("benefits", "superseded", "undetermined", "near_misses"):
        assert f'<section id="{key}">' in page
    assert page.count('class="card ') == 6  # the measure not met too, collapsed
    assert re.search(r'<section id="not_met">.*<details><summary>展开 1 项</summary>.*id="t.industrial-revenue"', page,
                     re.S)


def test_english_report_reads_in_english(evaluation: el.Evaluation) -> None:
    page = render_checkup(evaluation, "html", "en")
    assert '<html lang="en">' in page and "Benefits the firm gets" in page and "Near misses" in page
    assert "可享受的政策" not in page and "Data needed:</strong></p><ul class=\"needs\"><li><strong>total assets</strong> <code>total_assets</code></li>" in page


def test_unknown_format_and_suffix_are_bilingual_errors(evaluation: el.Evaluation) -> None:
    assert [format_from_suffix(p) for p in ("a.html", "b.HTM", "c.md", "d.json")] == ["html", "html", "md", "json"]
    with pytest.raises(ValueError, match=r"后缀 \.pdf 无法识别.*unknown suffix \.pdf"):
        format_from_suffix("out.pdf")
    with pytest.raises(ValueError, match="report format must be one of html, md, json, got 'pdf'"):
        render_checkup(evaluation, "pdf")


# -- CLI -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".html", ".md", ".json"])
def test_match_writes_the_report_in_the_suffixs_format(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"checkup{suffix}"
    result = runner.invoke(app, ["match", str(PROFILES / "puer-manufacturer.yaml"), "--as-of", "2024-06-30",
                                 "--report", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "【" not in result.stdout and "check-up report written to" in result.stderr
    text = out.read_text(encoding="utf-8")
    expected = render_checkup(_example("puer-manufacturer", "2024-06-30"), suffix[1:], "en")
    assert text == expected


def test_match_refuses_an_unknown_report_suffix(tmp_path: Path) -> None:
    out = tmp_path / "checkup.pdf"
    result = runner.invoke(app, ["match", str(PROFILES / "puer-manufacturer.yaml"), "--report", str(out)])
    assert result.exit_code == 2
    assert "无法识别" in result.stderr and "unknown suffix .pdf" in result.stderr
    assert not out.exists()


# -- in the browser ------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(("name", "as_of"), [("puer-manufacturer", "2024-06-30"), ("tengger-small-scale", "2021-06-30")])
def test_checkup_renders_in_chromium(render_html, tmp_path: Path, name: str, as_of: str, lang: str) -> None:
    ev = _example(name, as_of)
    c = checkup(ev, lang)
    path = tmp_path / f"{name}.{lang}.html"
    path.write_text(render_checkup(ev, "html", lang), encoding="utf-8")
    for width in (1280, 375):
        shown = render_html(path, width=width)
        assert shown.ok and shown.errors == [], shown.errors
        assert shown.screenshot.stat().st_size > 10_000
        assert shown.scroll_width <= shown.inner_width, f"{width}px: {shown.scroll_width} > {shown.inner_width}"
        page = shown.page
        for key in ("benefits", "superseded", "undetermined", "near_misses"):
            assert page.locator(f"section#{key} h2").is_visible()
        assert page.locator("article.card").count() == sum(
            len(items) for items in (c.benefits, c.superseded, c.undetermined, c.near_misses, c.not_met))
        if c.not_met:  # collapsed until opened
            assert not page.locator("section#not_met article.card").first.is_visible()
            page.locator("section#not_met summary").click()
            assert page.locator("section#not_met article.card").first.is_visible()
        first = page.locator("section#benefits article.card").first
        assert first.locator("h3").inner_text().startswith(c.benefits[0].title)
        assert first.locator("blockquote").inner_text().endswith(c.benefits[0].quote or c.benefits[0].clause)
    page.emulate_media(media="print")
    assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
