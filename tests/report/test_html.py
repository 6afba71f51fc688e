"""The shared page shell and its building blocks: escaping, tables, badges, the inline-SVG bar chart."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from eligibility.report import Bar, Html, badge, bar_chart, escape, join, page, section, stat, table, tag
from eligibility.report.figures import region_label


def test_escape_and_html_concatenation() -> None:
    assert escape('<a href="x">&') == "&lt;a href=&quot;x&quot;&gt;&amp;"
    assert escape(Html("<b>ok</b>")) == "<b>ok</b>"
    joined = Html("<b>") + "<i>" + Html("</b>")
    assert isinstance(joined, Html) and joined == "<b>&lt;i&gt;</b>"
    assert "<x>" + Html("<b>") == "&lt;x&gt;<b>"
    assert join(["<", Html("<br>"), 3], sep="|") == "&lt;|<br>|3"


def test_tag_attributes() -> None:
    assert tag("td", "a<b", class_="num", data_label='营业"收入', hidden=True, title=None) == \
        '<td class="num" data-label="营业&quot;收入" hidden>a&lt;b</td>'


def test_table_cells_carry_their_header_for_phones() -> None:
    html = table([Html("<em>政策</em>"), "金额"], [["A<", "50万元"]], numeric=[1], caption="合计")
    assert '<td data-label="政策">A&lt;</td>' in html
    assert '<td data-label="金额" class="num">50万元</td>' in html
    assert '<th scope="col" class="num">金额</th>' in html and "<caption>合计</caption>" in html


def test_badge_tones_are_checked() -> None:
    assert badge("符合", "ok") == '<span class="badge ok">符合</span>'
    with pytest.raises(ValueError, match="unknown tone 'green'"):
        badge("x", "green")


def test_bar_lengths_are_exact_shares_of_the_largest() -> None:
    chart = bar_chart([Bar("甲", Decimal("19999999")), Bar("乙", 20_000_000, "2,000万元", "ok"), Bar("丙", 0)],
                      title="预算 <万元>")
    widths = re.findall(r'class="fill \w+" x="0" y="0" width="([\d.]+)"', chart)
    assert widths == ["100.0", "100.0", "0.0"]  # 19,999,999 / 20,000,000 = 99.999995% → 100.0 (half up)
    assert '<figcaption>预算 &lt;万元&gt;</figcaption>' in chart and "2,000万元" in chart
    assert bar_chart([Bar("甲", 1), Bar("乙", 3)], title="t", max_value=4).count('width="25.0"') == 1


def test_a_bar_in_two_parts_draws_each_part_after_the_other() -> None:
    chart = bar_chart([Bar("甲", 30, "30 + 上限 10", "info", extra=10), Bar("乙", 20, "20")], title="t")
    rects = re.findall(r'class="fill (\w+)" x="([\d.]+)" y="0" width="([\d.]+)"', chart)
    assert rects == [("info", "0", "75.0"), ("warn", "75.0", "25.0"), ("info", "0", "50.0")]
    share = bar_chart([Bar("北京", Decimal(90) / 109, "90 / 109")], title="t", max_value=1)
    assert 'width="82.6"' in share


def test_page_is_a_whole_document_without_external_resources() -> None:
    doc = page("标题 <1>", section("概况", Html("<p>x</p>"), id="s"), "en")
    assert doc.startswith("<!DOCTYPE html>") and '<html lang="en">' in doc
    assert "<title>标题 &lt;1&gt;</title>" in doc and '<section id="s"><h2>概况</h2><p>x</p></section>' in doc
    assert "@media print" in doc and "@media (max-width:600px)" in doc
    assert not re.search(r"https?://|<script|<link|@import|url\(", doc)
    with pytest.raises(ValueError, match="lang must be zh or en"):
        page("t", "", "fr")


def test_chart_and_table_render_at_phone_width(render_html, tmp_path: Path) -> None:
    rows = [[f"非常长的政策名称用来测试手机宽度下的换行效果{i}", f"{i},000,000.00", "91530802MA6K4L2X1W" * 3]
            for i in range(5)]
    body = section("表", table(["政策", "金额", "代码"], rows, numeric=[1])) + section(
        "图", bar_chart([Bar(r[0], i + 1, r[1]) for i, r in enumerate(rows)], title="金额"))
    path = tmp_path / "blocks.html"
    path.write_text(page("测试", body), encoding="utf-8")
    shown = render_html(path, width=375)
    assert shown.ok and shown.errors == [], shown.errors
    assert shown.scroll_width <= shown.inner_width
    bars = shown.page.locator("figure.chart svg.bar rect.fill")
    assert bars.count() == 5
    assert bars.nth(4).bounding_box()["width"] > bars.nth(0).bounding_box()["width"] * 4
    assert shown.page.locator("table.data td[data-label='金额']").first.is_visible()


@pytest.mark.parametrize(("code", "zh", "en"), [
    ("440305", "深圳市南山区（440305）", "Nanshan District, Shenzhen City (440305)"),
    ("110105", "北京市朝阳区（110105）", "Chaoyang District, Beijing Municipality (110105)"),
    ("530802", "普洱市思茅区（530802）", "Simao District, Pu'er City (530802)"),
    ("152971", "内蒙古阿拉善高新技术产业开发区（152971）",
     "Inner Mongolia Alxa High-tech Industrial Development Zone (152971)"),
    ("530899", "普洱市（530899）", "Pu'er City (530899)"),
    (None, "未知地区", "region unknown"),
])
def test_region_labels_name_the_county_with_its_city(code: str | None, zh: str, en: str) -> None:
    assert region_label(code, "zh") == zh
    assert region_label(code, "en") == en


def test_a_long_tile_wraps_after_its_qualifier_never_inside_figure_and_unit(render_html, tmp_path: Path) -> None:
    tiles = Html('<div class="summary">') + join([
        stat("14,231,913.13", "exact amounts (lower bound)", unit="CNY thousand", qualifier="at least", wide=True),
        stat("1,234,567,890.12", "确定金额合计（下限）", unit="万元", qualifier="至少", wide=True, tone="ok"),
        stat("2,400", "rows read"),
    ]) + Html("</div>")
    assert 'class="stat ok wide"' in tiles and '<span class="f">2,400</span>' in tiles
    with pytest.raises(ValueError, match="unknown tone"):
        stat("1", "x", tone="green")
    path = tmp_path / "tiles.html"
    path.write_text(page("tiles", tiles), encoding="utf-8")
    shown = render_html(path, width=375)
    assert shown.scroll_width <= shown.inner_width
    figures = shown.page.eval_on_selector_all(".stat .f", """els => els.map(f => [f.getClientRects().length,
        f.getBoundingClientRect().right <= f.closest('.stat').getBoundingClientRect().right])""")
    assert figures == [[1, True]] * 3
