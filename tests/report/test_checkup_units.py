"""One money unit per check-up page: 万元 when the largest amount on it reaches 10,000 yuan, else 元
(English pages in CNY), every amount written in it exactly and every section heading naming it."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

import eligibility as el
from eligibility.report import checkup, render_checkup

RULES = """\
- id: t.large
  title: {zh: 大额奖励, en: Large award}
  source: {clause: 一, quote: 给予奖励}
  kind: grant
  mode: auto
  basis: threshold
  when: ["employees >= 10"]
  benefit: {amount: 8万}
- id: t.odd
  title: {zh: 零星补助, en: Odd grant}
  source: {clause: 二, quote: 给予补助}
  kind: grant
  mode: auto
  basis: threshold
  when: ["employees >= 10"]
  benefit: {amount: "1234.56"}
- id: t.revenue
  title: {zh: 营收奖励, en: Revenue award}
  source: {clause: 三, quote: 给予奖励}
  kind: grant
  mode: auto
  basis: threshold
  when: ["revenue >= 2000万"]
  benefit: {amount: 1500}
"""
SMALL = "\n".join(RULES.split("- id: ")[0:1] + ["- id: " + r for r in RULES.split("- id: ")[2:]])
FIRM = {"name": "测试企业有限公司", "region_code": "530802", "industry_code": "F5212", "employees": 12,
        "revenue": "1800万"}


def _text(page: str, fmt: str) -> str:
    """What a reader sees of the page's own wording: no style sheet, no quoted policy text."""
    if fmt == "md":
        return "\n".join(line for line in page.splitlines() if not line.startswith(">"))
    page = re.sub(r"<(style|blockquote)>.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"<[^>]+>", " ", page)


def _headings(page: str, fmt: str) -> list[str]:
    return re.findall(r"^## (.+)$", page, re.M) if fmt == "md" else re.findall(r"<h2[^>]*>([^<]*)<", page)


@pytest.mark.parametrize("fmt", ["html", "md"])
def test_one_unit_per_page_in_wan_when_an_amount_reaches_ten_thousand(make_rules: Callable[..., el.RuleSet],
                                                                       fmt: str) -> None:
    ev = el.Engine(make_rules(RULES)).evaluate(FIRM, as_of="2024-06-30")
    page = render_checkup(ev, fmt, "zh")
    text = _text(page, fmt)
    assert not re.search(r"\d\s*元", text.replace("万元", "")), "an amount in 元 on a page in 万元"
    assert "0.123456万元" in text and "0.15万元" in text  # exact to the fen, not rounded for the unit
    assert "营业收入 1,800万元，不低于 2,000万元" in text  # the explanation texts too
    assert "确定金额8.123456万元" in text
    headings = _headings(page, fmt)
    assert len(headings) == 5 and all("金额单位：万元" in h for h in headings), headings
    assert checkup(ev, "zh").unit == "万元"


@pytest.mark.parametrize("fmt", ["html", "md"])
def test_one_unit_per_page_in_yuan_when_every_amount_is_small(make_rules: Callable[..., el.RuleSet], fmt: str) -> None:
    ev = el.Engine(make_rules(SMALL)).evaluate(FIRM, as_of="2024-06-30")
    page = render_checkup(ev, fmt, "zh")
    text = _text(page, fmt)
    assert "万元" not in text, "an amount in 万元 on a page in 元"
    assert "1,234.56元" in text and "营业收入 18,000,000元，不低于 20,000,000元" in text
    assert all("金额单位：元" in h for h in _headings(page, fmt))
    assert checkup(ev, "zh").unit == "元"


def test_english_pages_are_in_cny_named_in_every_heading(make_rules: Callable[..., el.RuleSet]) -> None:
    ev = el.Engine(make_rules(RULES)).evaluate(FIRM, as_of="2024-06-30")
    page = render_checkup(ev, "html", "en")
    headings = _headings(page, "html")
    assert len(headings) == 5 and all("amounts in CNY" in h for h in headings), headings
    assert "CNY 81,234.56" in _text(page, "html")
