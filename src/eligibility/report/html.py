"""The shared shell of every HTML report: one self-contained, printable page and small building blocks.

A report is a single file a caseworker can mail, open offline or print: inline CSS only, no script,
no external URL. It reads on a 375 px phone without sideways scrolling (tables stack into cards,
long codes wrap) and prints cleanly (no shadows, sections kept together, links shown).
Every helper escapes the text it is given; already-built HTML is passed as :class:`Html`.
"""

from __future__ import annotations

import html as _html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

TONES = ("ok", "no", "warn", "info", "muted")
"""Badge and bar colours: ok (eligible), no (not eligible), warn (undetermined / near miss),
info (superseded, neutral facts), muted (secondary)."""


class Html(str):
    """A string that is already HTML: helpers insert it as is instead of escaping it.

    Adding plain text to it escapes that text, so ``Html("<b>x</b>") + "a<b"`` stays safe HTML.
    """

    __slots__ = ()

    def __add__(self, other: object) -> Html:
        return Html(str.__add__(self, escape(other)))

    def __radd__(self, other: object) -> Html:
        return Html(str.__add__(escape(other), self))


def escape(value: object) -> Html:
    """``value`` as HTML text (``&``, ``<``, ``>`` and quotes escaped); :class:`Html` passes through."""
    if isinstance(value, Html):
        return value
    return Html(_html.escape("" if value is None else str(value), quote=True))


def join(parts: Iterable[object], sep: str = "") -> Html:
    """Concatenate pieces, escaping the ones that are not :class:`Html` already."""
    return Html(escape(sep).join(escape(p) for p in parts))


def tag(name: str, content: object = "", /, **attrs: object) -> Html:
    """``<name attrs>content</name>``; ``class_`` stands for ``class``, None/False attributes are left out."""
    rendered = "".join(
        f' {key.rstrip("_").replace("_", "-")}' + ("" if value is True else f'="{escape(value)}"')
        for key, value in attrs.items() if value is not None and value is not False
    )
    return Html(f"<{name}{rendered}>{escape(content)}</{name}>")


def badge(text: object, tone: str = "info") -> Html:
    """A small coloured label ("符合", "待定"); ``tone`` is one of :data:`TONES`."""
    if tone not in TONES:
        raise ValueError(f"未知的样式 {tone!r}，可选 {', '.join(TONES)} / unknown tone {tone!r}, one of {', '.join(TONES)}")
    return tag("span", text, class_=f"badge {tone}")


def section(title: object, body: object, *, id: str | None = None, level: int = 2) -> Html:
    """A titled section of the page (``<section>`` with an ``<h2>``; ``id`` makes it linkable)."""
    return tag("section", join([tag(f"h{level}", title), body]), id=id)


def definition_list(pairs: Iterable[tuple[object, object]]) -> Html:
    """Label–value pairs (``<dl>``), e.g. the firm's identity or a report's provenance."""
    return tag("dl", join(join([tag("dt", k), tag("dd", v)]) for k, v in pairs), class_="facts")


def table(headers: Sequence[object], rows: Iterable[Sequence[object]], *, numeric: Iterable[int] = (),
          caption: object = None) -> Html:
    """A data table. ``numeric`` columns are right-aligned; on a phone each row becomes a card whose
    cells carry their column header (no sideways scrolling)."""
    right = set(numeric)
    head = tag("thead", tag("tr", join(tag("th", h, scope="col", class_="num" if i in right else None)
                                        for i, h in enumerate(headers))))
    body_rows = []
    for row in rows:
        cells = [tag("td", cell, data_label=_plain(headers[i]) if i < len(headers) else None,
                     class_="num" if i in right else None) for i, cell in enumerate(row)]
        body_rows.append(tag("tr", join(cells)))
    cap = tag("caption", caption) if caption is not None else Html("")
    return tag("table", join([cap, head, tag("tbody", join(body_rows))]), class_="data")


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar of a chart: its label, its exact value, the text shown beside it (default: the value),
    and optionally a second part drawn after the first in ``extra_tone`` (e.g. up-to amounts beside
    exact ones); the text must state what is drawn."""

    label: str
    value: Decimal | int
    text: str | None = None
    tone: str = "info"
    extra: Decimal | int = 0
    extra_tone: str = "warn"


def bar_chart(bars: Sequence[Bar], *, title: object, caption: object = None,
              max_value: Decimal | int | None = None) -> Html:
    """A horizontal bar chart in inline SVG, one row per bar: label, bar, value text.

    Bar lengths are proportional to ``value`` (plus ``extra``; exact Decimal arithmetic, rounded for
    drawing) against ``max_value`` (default: the largest bar) — a share is drawn with ``max_value=1``;
    the label and value stay HTML text so they wrap and stay legible at any width. The figure has an
    accessible name (``title``) and no script.
    """
    top = Decimal(max_value) if max_value is not None else max((Decimal(b.value) + Decimal(b.extra) for b in bars),
                                                               default=Decimal(0))
    rows = []
    for b in bars:
        if b.tone not in TONES or b.extra_tone not in TONES:
            raise ValueError(f"未知的样式 {b.tone!r} / unknown tone {b.tone!r}")
        x0 = Decimal(0)
        rects = []
        for value, tone in ((b.value, b.tone), (b.extra, b.extra_tone)):
            share = Decimal(0) if top <= 0 else max(Decimal(0), min(Decimal(1), Decimal(value) / top))
            width = min((share * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP), 100 - x0)
            if width > 0 or not rects:
                rects.append(f'<rect class="fill {tone}" x="{x0}" y="0" width="{width}" height="10"/>')
            x0 += width
        svg = Html(
            f'<svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" '
            f'aria-label="{escape(b.label)}: {escape(b.text if b.text is not None else b.value)}">'
            f'<rect class="track" x="0" y="0" width="100" height="10"/>{"".join(rects)}</svg>'
        )
        rows.append(tag("li", join([tag("span", b.label, class_="bar-label"), svg,
                                    tag("span", b.text if b.text is not None else b.value, class_="bar-value")])))
    body = tag("ol", join(rows), class_="bars")
    cap = tag("p", caption, class_="chart-note") if caption is not None else Html("")
    return tag("figure", join([tag("figcaption", title), body, cap]), class_="chart", role="figure",
               aria_label=_plain(title))


def stat(figure: object, label: object, *, unit: object = None, qualifier: object = None, tone: str | None = None,
         wide: bool = False) -> Html:
    """A headline tile: the figure over its label. The figure and its unit never break apart (a narrow
    tile wraps after the qualifier, "至少" / "at least", instead); ``wide`` spans two columns."""
    if tone is not None and tone not in TONES:
        raise ValueError(f"未知的样式 {tone!r} / unknown tone {tone!r}")
    body = join([tag("span", qualifier, class_="q") if qualifier else "",
                 tag("span", join([figure, tag("span", unit, class_="u") if unit else ""]), class_="f")])
    classes = " ".join(["stat", *([tone] if tone else []), *(["wide"] if wide else [])])
    return tag("div", join([tag("span", body, class_="n"), tag("span", label, class_="l")]), class_=classes)


def _plain(value: object) -> str:
    """Text of a header for attributes: tags stripped from :class:`Html`, plain text as is."""
    if isinstance(value, Html):
        return _html.unescape(re.sub(r"<[^>]+>", "", value))
    return "" if value is None else str(value)


CSS = """
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--soft:#f6f8fa;
--ok:#1a7f37;--ok-bg:#dafbe1;--no:#cf222e;--no-bg:#ffebe9;--warn:#9a6700;--warn-bg:#fff8c5;
--info:#0969da;--info-bg:#ddf4ff;--muted-bg:#eaeef2}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);line-height:1.6;font-size:16px;
font-family:system-ui,-apple-system,"Segoe UI","PingFang SC","Hiragino Sans GB","Microsoft YaHei",
"Noto Sans CJK SC","Source Han Sans SC","WenQuanYi Zen Hei",sans-serif;overflow-wrap:anywhere}
main{max-width:960px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:1.6rem;line-height:1.3;margin:0 0 .4rem}
h2{font-size:1.25rem;margin:2rem 0 .75rem;padding-bottom:.3rem;border-bottom:2px solid var(--line)}
h3{font-size:1.05rem;margin:0 0 .4rem;line-height:1.4}
p{margin:.4rem 0}
a{color:var(--info)}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em;background:var(--soft);
padding:0 .25em;border-radius:4px}
.lead{color:var(--muted);margin:0 0 1rem}
.badge{display:inline-block;padding:0 .55em;border-radius:999px;font-size:.8rem;font-weight:600;line-height:1.7;
border:1px solid transparent;vertical-align:middle;max-width:100%}
.badge.ok{color:var(--ok);background:var(--ok-bg);border-color:var(--ok)}
.badge.no{color:var(--no);background:var(--no-bg);border-color:var(--no)}
.badge.warn{color:var(--warn);background:var(--warn-bg);border-color:var(--warn)}
.badge.info{color:var(--info);background:var(--info-bg);border-color:var(--info)}
.badge.muted{color:var(--muted);background:var(--muted-bg);border-color:var(--line)}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:.5rem 0}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0}
.cards{display:grid;grid-template-columns:minmax(0,1fr);gap:12px}
.card{min-width:0;border:1px solid var(--line);border-radius:8px;padding:14px 16px;background:var(--bg);break-inside:avoid}
.card.ok{border-left:5px solid var(--ok)}
.card.no{border-left:5px solid var(--no)}
.card.warn{border-left:5px solid var(--warn)}
.card.info{border-left:5px solid var(--info)}
.card.muted{border-left:5px solid var(--line)}
.card-head{display:flex;flex-wrap:wrap;align-items:baseline;justify-content:space-between;gap:.25rem .75rem}
.amount{font-size:1.15rem;font-weight:700}
.rule-id{color:var(--muted);font-size:.85rem}
ul.needs{margin:.25rem 0 .5rem;padding-left:1.4em}
ul.conds{list-style:none;padding:0;margin:.5rem 0}
ul.conds li{padding:.15rem 0 .15rem 1.6em;text-indent:-1.6em}
ul.conds ul.conds{margin:0 0 0 1.2em}
.mark{display:inline-block;width:1.6em;text-indent:0;text-align:center;font-weight:700}
.mark.ok{color:var(--ok)}
.mark.no{color:var(--no)}
.mark.warn{color:var(--warn)}
.callout{margin:.5rem 0;padding:.45rem .75rem;border-radius:6px;background:var(--warn-bg);color:#6b4a00;font-weight:600}
.gap{display:block;text-indent:0;color:var(--warn);font-weight:600}
.note{display:block;text-indent:0;color:var(--muted);font-size:.9rem}
blockquote{margin:.5rem 0 0;padding:.4rem .8rem;border-left:4px solid var(--line);background:var(--soft);
color:var(--fg);font-size:.95rem}
blockquote cite{display:block;font-style:normal;color:var(--muted);font-size:.85rem;margin-bottom:.2rem}
table.data{border-collapse:collapse;width:100%;margin:.5rem 0;font-size:.95rem}
table.data caption{text-align:left;color:var(--muted);padding:.25rem 0;caption-side:top}
table.data th,table.data td{border-bottom:1px solid var(--line);padding:.4rem .5rem;text-align:left;vertical-align:top}
table.data th{background:var(--soft);font-weight:600}
table.data .num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
@media (min-width:601px){table.data th.num{white-space:normal;overflow-wrap:normal}}
figure.chart{margin:1rem 0;padding:12px 14px;border:1px solid var(--line);border-radius:8px;break-inside:avoid}
figure.chart figcaption{font-weight:600;margin-bottom:.5rem}
ol.bars{list-style:none;margin:0;padding:0;display:grid;grid-template-columns:minmax(6em,max-content) 1fr max-content;
gap:.35rem .6rem;align-items:center}
ol.bars li{display:contents}
.bar-label{font-size:.9rem}
.bar-value{font-size:.9rem;font-variant-numeric:tabular-nums;text-align:right;white-space:nowrap}
svg.bar{display:block;width:100%;height:14px}
svg.bar .track{fill:var(--soft)}
svg.bar .fill.ok{fill:var(--ok)}
svg.bar .fill.no{fill:var(--no)}
svg.bar .fill.warn{fill:#d4a72c}
svg.bar .fill.info{fill:var(--info)}
svg.bar .fill.muted{fill:#8c959f}
.chart-note{color:var(--muted);font-size:.85rem}
.summary{display:grid;grid-template-columns:repeat(auto-fit,minmax(7.5rem,1fr));gap:10px;margin:1rem 0}
.stat{border:1px solid var(--line);border-radius:8px;padding:10px 12px;break-inside:avoid}
.stat.wide{grid-column:span 2}
.stat .n{display:block;font-size:1.4rem;font-weight:700;line-height:1.2}
.stat .n .f{white-space:nowrap}
.stat .n .u,.stat .n .q{font-size:.8rem;font-weight:600}
.stat .n .u{margin-left:.2em}
.stat .n .q{margin-right:.2em}
.stat .l{display:block;color:var(--muted);font-size:.85rem;overflow-wrap:normal}
.stat.ok .n{color:var(--ok)}
.stat.warn .n{color:var(--warn)}
.stat.info .n{color:var(--info)}
.sub{margin:.6rem 0 0;font-size:.95rem}
ul.conds li.heading{font-weight:600}
.empty{color:var(--muted)}
footer{margin-top:2.5rem;padding-top:.75rem;border-top:1px solid var(--line);color:var(--muted);font-size:.85rem}
@media (max-width:600px){
main{padding:16px 12px 32px}
h1{font-size:1.35rem}
dl.facts{grid-template-columns:1fr;gap:0}
dl.facts dd{margin-bottom:.35rem}
table.data thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
table.data thead,table.data thead tr,table.data thead th{display:block}
table.data,table.data tbody,table.data tr,table.data td{display:block;width:100%}
table.data tr{border:1px solid var(--line);border-radius:8px;margin-bottom:8px;padding:4px 0}
table.data td{border:0;padding:.2rem .6rem;text-align:left}
table.data td.num{text-align:left;white-space:normal}
table.data td[data-label]::before{content:attr(data-label) "：";color:var(--muted);font-size:.85rem}
ol.bars{grid-template-columns:1fr max-content}
.bar-label{grid-column:1/-1;margin-top:.25rem}
}
@media print{
@page{margin:15mm 12mm}
body{font-size:11pt;background:#fff}
main{max-width:none;padding:0}
.card,.stat,figure.chart{box-shadow:none;break-inside:avoid}
h2{break-after:avoid}
a[href^="http"]::after{content:" (" attr(href) ")";font-size:.8em;color:var(--muted)}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
"""
"""The page's whole style sheet (inline in every report)."""


def page(title: str, body_html: str, lang: str = "zh") -> str:
    """A complete, self-contained HTML document: ``title`` (escaped) and ``body_html`` (HTML) inside
    ``<main>``, with the shared style sheet inline; ``lang`` is ``zh`` or ``en``."""
    if lang not in ("zh", "en"):
        raise ValueError(f"lang 只能是 zh 或 en，实际为 {lang!r} / lang must be zh or en, got {lang!r}")
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<meta name=\"referrer\" content=\"no-referrer\">\n"
        f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n"
        f"<body>\n<main>\n{body_html}\n</main>\n</body>\n</html>\n"
    )
