"""The what-if page: what it says, and how Chromium renders it (desktop and 375 px, zh and en)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

import eligibility as el
from eligibility.report.whatif import render_whatif
from eligibility.whatif import WhatIf, apply_overrides, what_if

ROOT = Path(__file__).resolve().parents[2]
REGISTER = ROOT / "examples" / "register.csv"
AS_OF = date(2025, 6, 30)
SETTINGS = ["puer.new-industrial-above-scale.amount=60万", "cn.small-scale-vat-exemption.params.monthly_limit=15万"]


@pytest.fixture(scope="module")
def result() -> WhatIf:
    base = el.load_rules()
    return what_if(REGISTER, base, apply_overrides(base, SETTINGS, AS_OF), AS_OF, settings=SETTINGS)


def test_page_names_both_rule_sets_the_overrides_and_the_budget_change(result: WhatIf) -> None:
    zh, en = render_whatif(result, "zh"), render_whatif(result, "en")
    for page in (zh, en):
        assert result.base_hash in page and result.changed_hash in page and all(s in page for s in SETTINGS)
        assert "<script" not in page and not re.search(r"(src|href)=\"(https?:)?//", page)
    assert ">+200,000.00<" in zh and ">+200,000.00<" in en
    for page, unit in ((zh, "元"), (en, "CNY")):  # one money unit per page, named in every heading over amounts
        assert re.findall(r'<span class="u">([^<]*)</span>', page) == [unit]  # the budget tile names its unit
        body = re.sub(r'<style>.*?</style>|<span class="u">[^<]*</span>', "", page, flags=re.S)
        text = re.sub(r"<[^>]+>", " ", body)
        assert "万元" not in text and not re.search(r"\d\s*元|CNY \d|\d\.\d\dM\b", text)
        headings = re.findall(r"<(?:th|figcaption)[^>]*>([^<]*(?:预算|金额|[Bb]udget|amount)[^<]*)<", page)
        assert headings and all(unit in h for h in headings), headings
    assert "不符合 → 符合" in zh and "ineligible → eligible" in en
    assert f"{len(result.changes):,} (firm, measure) pairs change status or amount." in en


def test_nothing_changed_says_so(result: WhatIf) -> None:
    base = el.load_rules("puer")
    same = what_if(REGISTER, base, base, AS_OF, chunk_size=5000)
    assert "没有任何政策的结果发生变化。" in render_whatif(same, "zh") and "Nothing changes for any firm." in render_whatif(same, "en")


# -- in the browser --------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_whatif_report_renders_in_chromium(render_html, result: WhatIf, tmp_path: Path, lang: str) -> None:
    path = tmp_path / f"whatif.{lang}.html"
    path.write_text(render_whatif(result, lang), encoding="utf-8")
    for width in (1280, 375):
        shown = render_html(path, width=width)
        assert shown.ok and shown.errors == [], shown.errors
        assert shown.scroll_width <= shown.inner_width, f"{width}px: {shown.scroll_width} > {shown.inner_width}"
        page = shown.page
        assert page.locator("figure.chart").count() == 2
        assert page.locator("figure.chart svg.bar rect.fill").count() == 4 * len(result.changed_impacts())
        page.locator("#firms details summary").click()
        assert page.locator("#firms table tbody tr").count() == min(200, len(result.changes))
