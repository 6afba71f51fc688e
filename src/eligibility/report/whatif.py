"""The what-if report: a rule change's effect on a register as one self-contained HTML page —
eligible firms and budget per rule before and after (charts and table), and the firms whose status
or amount changes (the first ones when there are many; the full list goes to ``-o``)."""

from __future__ import annotations

from decimal import Decimal

from ..errors import EligibilityError
from ..whatif import WhatIf
from .html import Bar, Html, bar_chart, definition_list, join, page, section, stat, table, tag

FIRMS_SHOWN = 200
"""Changed (firm, rule) pairs listed on the page."""

_STATUS = {"eligible": ("符合", "eligible"), "ineligible": ("不符合", "ineligible"),
           "undetermined": ("待定", "undetermined"), "superseded": ("被取代", "superseded"),
           "out_of_scope": ("不适用", "out of scope")}


def _t(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


def _unit(lang: str) -> str:
    """The page's one money unit (yuan, exact to the fen): every amount is in it, every heading names it."""
    return _t(lang, "元", "CNY")


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _signed(amount: Decimal) -> str:
    sign = "+" if amount > 0 else "−" if amount < 0 else "±"
    return sign + _money(abs(amount))


def _status(name: object, lang: str) -> str:
    zh, en = _STATUS.get(str(name), (str(name), str(name)))
    return _t(lang, zh, en)


def render_whatif(result: WhatIf, lang: str = "zh", firms_shown: int = FIRMS_SHOWN) -> str:
    """The what-if page for ``result`` in ``lang`` (zh or en)."""
    if lang not in ("zh", "en"):
        raise EligibilityError(f"lang 只能是 zh 或 en，实际为 {lang!r}", f"lang must be zh or en, got {lang!r}")
    prov = result.provenance()
    moved = result.changed_impacts()
    title = _t(lang, "政策调整影响测算（what-if）", "What-if: the impact of a rule change")
    delta = result.budget_delta
    status_changes = int((result.changes["status_before"] != result.changes["status_after"]).sum())
    stats = tag("div", join([
        stat(f"{result.rows_read:,}", _t(lang, "读入行数", "rows read")),
        stat(f"{len(moved):,}", _t(lang, "受影响的政策", "measures affected")),
        stat(f"{status_changes:,}", _t(lang, "状态变化", "status changes")),
        stat(_signed(delta), _t(lang, "预算变化", "budget change"), unit=_unit(lang), wide=True),
    ]), class_="summary")
    settings = join([tag("code", s) for s in result.settings], ", ") if result.settings else "—"
    pairs: list[tuple[object, object]] = [
        (_t(lang, "库版本", "library version"), prov["version"]),
        (_t(lang, "评估日期", "as of"), prov["as_of"]),
        (_t(lang, "调整前规则集哈希", "rule-set hash before"), tag("code", prov["ruleset_hash_before"])),
        (_t(lang, "调整后规则集哈希", "rule-set hash after"), tag("code", prov["ruleset_hash_after"])),
        (_t(lang, "对照规则", "compared against"), result.against or "—"),
        (_t(lang, "参数覆盖", "overrides"), settings),
        (_t(lang, "出错行（两侧相同）", "rows in error (same on both sides)"), f"{result.rows_error:,}"),
    ]
    provenance = section(_t(lang, "来源", "Provenance"), definition_list(pairs), id="provenance")
    unit = _unit(lang)
    if moved:
        budget_bars, count_bars = [], []
        for i in moved:
            name = i.title(lang)
            budget_bars += [Bar(f"{name} · {_t(lang, '调整前', 'before')}", i.budget_before, _money(i.budget_before),
                                "muted"),
                            Bar(f"{name} · {_t(lang, '调整后', 'after')}", i.budget_after, _money(i.budget_after),
                                "info")]
            count_bars += [Bar(f"{name} · {_t(lang, '调整前', 'before')}", i.eligible_before,
                               f"{i.eligible_before:,}", "muted"),
                           Bar(f"{name} · {_t(lang, '调整后', 'after')}", i.eligible_after, f"{i.eligible_after:,}", "ok")]
        rows = [[join([i.title(lang), " ", tag("span", i.rule_id, class_="rule-id")]), f"{i.eligible_before:,}",
                 f"{i.eligible_after:,}", f"{i.eligible_delta:+,}", _money(i.budget_before),
                 _money(i.budget_after), _signed(i.budget_delta), f"{i.changed:,}"] for i in moved]
        headers = [_t(lang, "政策", "measure"), _t(lang, "符合（前）", "eligible before"),
                   _t(lang, "符合（后）", "eligible after"), _t(lang, "变化", "change"),
                   _t(lang, f"预算（前，{unit}）", f"budget before ({unit})"),
                   _t(lang, f"预算（后，{unit}）", f"budget after ({unit})"),
                   _t(lang, f"预算变化（{unit}）", f"budget change ({unit})"), _t(lang, "变化的企业", "firms changed")]
        body = join([bar_chart(budget_bars, title=_t(lang, f"预算：调整前后（{unit}）", f"Budget before and after ({unit})")),
                     bar_chart(count_bars, title=_t(lang, "符合的企业：调整前后", "Eligible firms before and after")),
                     table(headers, rows, numeric=[1, 2, 3, 4, 5, 6, 7])])
    else:
        body = tag("p", _t(lang, "没有任何政策的结果发生变化。", "Nothing changes for any measure."), class_="empty")
    unchanged = len(result.impacts) - len(moved)
    if unchanged:
        body = join([body, tag("p", _t(lang, f"其余 {unchanged} 项政策结果不变。", f"{unchanged} other measures are unchanged."),
                               class_="empty")])
    measures = section(_t(lang, "按政策", "By measure"), body, id="measures")
    firms = section(_t(lang, "结果变化的企业", "Firms whose outcome changes"), _firms(result, lang, firms_shown), id="firms")
    footer = tag("footer", f"eligibility {prov['version']} · {prov['ruleset_hash_before'][:12]} → "
                           f"{prov['ruleset_hash_after'][:12]} · {prov['as_of']}")
    return page(title, join([tag("h1", title), stats, provenance, measures, firms, footer]), lang)


def _firms(result: WhatIf, lang: str, shown: int) -> Html:
    changes = result.changes
    if not len(changes):
        return tag("p", _t(lang, "没有企业的结果发生变化。", "Nothing changes for any firm."), class_="empty")
    first = result.listed(shown)
    rows = []
    for c in first:
        before = "—" if c.amount_before is None else _money(c.amount_before)
        after = "—" if c.amount_after is None else _money(c.amount_after)
        rows.append([f"{c.row:,}", c.entity_id or "—", c.rule_id,
                     f"{_status(c.status_before, lang)} → {_status(c.status_after, lang)}", before, after])
    headers = [_t(lang, "行号", "row"), _t(lang, "统一社会信用代码", "USCC"), _t(lang, "政策", "measure"),
               _t(lang, "状态", "status"), _t(lang, f"金额（前，{_unit(lang)}）", f"amount before ({_unit(lang)})"),
               _t(lang, f"金额（后，{_unit(lang)}）", f"amount after ({_unit(lang)})")]
    note = (tag("p", _t(lang, f"共 {len(changes):,} 条变化，此处列出前 {len(first):,} 条；全部见 -o 输出的清单。",
                        f"{len(changes):,} changes in all; the first {len(first):,} are listed — -o writes them all."),
                class_="chart-note") if len(changes) > len(first) else Html(""))
    summary = _t(lang, f"逐条列出（{len(first):,} 条）", f"List them ({len(first):,})")
    return join([tag("p", _t(lang, f"{len(changes):,} 个（企业，政策）的状态或金额发生变化。",
                             f"{len(changes):,} (firm, measure) pairs change status or amount.")),
                 tag("details", join([tag("summary", summary), table(headers, rows, numeric=[0, 4, 5]), note]))])
