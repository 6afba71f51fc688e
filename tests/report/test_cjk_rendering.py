"""Chinese text in the HTML reports renders in a CJK font in Chromium (the font CI installs with it),
not as tofu, and the pages hold at phone (375 px) and desktop width: no sideways scrolling, and each
headline tile keeps its figure and unit on one line."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import eligibility as el
from eligibility.io.yamlload import load_yaml
from eligibility.report import render_checkup
from eligibility.report.batch import batch_report



ROOT = Path(__file__).resolve().parents[2]
PHONE, DESKTOP = 375, 1280
CJK_FAMILIES = ("Noto Sans CJK", "Noto Serif CJK", "Source Han", "WenQuanYi", "Droid Sans Fallback")


@pytest.fixture(scope="module")
def pages(register: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    engine = el.Engine()
    as_of = date(2025, 6, 30)
    out = tmp_path_factory.mktemp("cjk")
    paths = {}
    report = batch_report(engine.score(register, as_of), register, engine, as_of)
    for lang in ("zh", "en"):
        paths[f"batch.{lang}"] = out / f"batch.{lang}.html"
        paths[f"batch.{lang}"].write_text(report.render_html(lang), encoding="utf-8")
    source = ROOT / "examples" / "profiles" / "puer-near-miss.yaml"
    profile = el.Profile.from_data(load_yaml(source.read_text(encoding="utf-8"), str(source)))
    ev = engine.evaluate(profile, as_of="2025-06-30")  # certified after as_of: the warning shows too
    for lang in ("zh", "en"):
        paths[f"checkup.{lang}"] = out / f"checkup.{lang}.html"
        paths[f"checkup.{lang}"].write_text(render_checkup(ev, "html", lang, profile), encoding="utf-8")
    return paths


def _platform_fonts(page: Any, selector: str) -> dict[str, int]:
    """The fonts Chromium actually drew a node's text with (family → glyph count), through DevTools."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    cdp.detach()
    return {f["familyName"]: int(f["glyphCount"]) for f in fonts}


GLYPHS = """(text) => {
    const canvas = document.createElement('canvas');
    canvas.width = 64; canvas.height = 64;
    const ctx = canvas.getContext('2d');
    const font = '40px ' + getComputedStyle(document.body).fontFamily;
    const draw = (ch) => { ctx.clearRect(0, 0, 64, 64); ctx.font = font; ctx.fillText(ch, 8, 48);
                           return Array.from(ctx.getImageData(0, 0, 64, 64).data).join(','); };
    ctx.font = '20px ' + getComputedStyle(document.body).fontFamily;
    return {width: ctx.measureText(text).width, distinct: new Set(Array.from('中国企业政策').map(draw)).size};
}"""


@pytest.mark.parametrize("name", ["batch.zh", "checkup.zh"])
def test_chinese_renders_in_a_cjk_font_not_tofu(render_html, pages: dict[str, Path], name: str) -> None:
    shown = render_html(pages[name], width=DESKTOP)
    assert shown.ok and shown.errors == [], shown.errors
    title = shown.page.locator("h1").inner_text()
    han = [ch for ch in title if "\u4e00" <= ch <= "\u9fff"]
    fonts = _platform_fonts(shown.page, "h1")
    cjk = {family: n for family, n in fonts.items() if family.startswith(CJK_FAMILIES)}
    assert cjk and sum(cjk.values()) >= len(han), f"the title was drawn with {fonts}: no CJK font"
    measured = shown.page.evaluate(GLYPHS, "".join(han))
    # a CJK font sets each Han character on a square em: n characters at 20px are n × 20px wide
    assert abs(measured["width"] - 20 * len(han)) <= 0.02 * 20 * len(han), measured
    assert measured["distinct"] == 6, "six different characters drew the same box: tofu"


@pytest.mark.parametrize("name", ["batch.zh", "batch.en", "checkup.zh", "checkup.en"])
@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_layout_at_phone_and_desktop_width(render_html, pages: dict[str, Path], name: str, width: int) -> None:
    shown = render_html(pages[name], width=width)
    assert shown.ok and shown.errors == [], shown.errors
    assert shown.scroll_width <= shown.inner_width, f"{name} at {width}px scrolls sideways: {shown.scroll_width}"
    # the figure with its unit: one line (a line box as tall as the figure's line height) inside its tile
    tiles = shown.page.eval_on_selector_all(".stat .n .f", """els => els.map(f => ({
        text: f.innerText, lines: f.getClientRects().length, right: f.getBoundingClientRect().right,
        box: f.closest('.stat').getBoundingClientRect().right,
        unit: f.querySelector('.u') ? f.querySelector('.u').getBoundingClientRect().bottom
                                       - f.getBoundingClientRect().bottom : 0}))""")
    assert len(tiles) >= 6
    for tile in tiles:
        assert tile["lines"] == 1, f"{name} at {width}px: tile {tile['text']!r} wraps"
        assert abs(tile["unit"]) <= 6, f"{name} at {width}px: the unit of {tile['text']!r} is on another line"
        assert tile["right"] <= tile["box"], f"{name} at {width}px: tile {tile['text']!r} overflows its box"
    if name.startswith("checkup"):
        assert shown.page.locator("#warnings").is_visible()
