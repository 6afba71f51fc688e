"""The batch summary report: what a whole register gets, per policy, region and scale class, and
each rule's condition funnel — as one self-contained HTML page (inline SVG charts) or an Excel workbook.

Built chunk by chunk so a register of millions of rows never needs its whole long table in memory:
:meth:`BatchReport.observe` takes one chunk's ingested frame and long table (counts per region and
scale class, funnel counts — plain integers, so chunks add up; it is the streaming scorer's
``on_scored`` observer), :meth:`BatchReport.add_scored` keeps
the first eligible firms per rule, and the per-rule counts and budget come from the run's merged
summary (``engine.summarize`` or the streaming scorer's). Money is summed in integer fen.

    report = batch_report(engine.score(df, as_of), df, engine, as_of)
    html = report.render_html(lang="zh")
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ..backends.vectorized.columns import Col
from ..backends.vectorized.derived import derived_columns
from ..backends.vectorized.funnel import FunnelCounts, derived_needed, funnels
from ..engine import Engine, IngestedFrame
from ..errors import EligibilityError
from ..facts.profile import registry
from .figures import SCALES, Firm, GroupTotals, region_label, scale_label
from .html import Bar, Html, badge, bar_chart, definition_list, escape, join, page, section, stat, table, tag

FIRMS_PER_RULE = 1000
"""Eligible firms kept per rule for the workbook (the first ones in input order)."""

_CHART_GROUPS = 20  # regions drawn in a chart; the table lists all


def _t(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh






def amount_fen(amount: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(fen as int64, given) of an amount column: Arrow decimal128 read from its buffer (the unscaled
    value of a 2-place decimal is the fen), anything else Decimal by Decimal."""
    if isinstance(amount.dtype, pd.ArrowDtype) and pa.types.is_decimal(amount.dtype.pyarrow_dtype):
        arr = pa.chunked_array([amount.array.__arrow_array__()]).combine_chunks()  # type: ignore[attr-defined]
        arr = arr.cast(pa.decimal128(38, 2))
        words = np.frombuffer(arr.buffers()[1], dtype="<i8")[2 * arr.offset: 2 * (arr.offset + len(arr))]
        given = ~np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        return np.where(given, words[0::2], 0).astype(np.int64), given
    values = amount.astype(object).tolist()
    given = np.array([v is not None and not pd.isna(v) for v in values], dtype=bool)
    fen = np.array([int(Decimal(str(v)).scaleb(2)) if g else 0 for v, g in zip(values, given)], dtype=np.int64)
    return fen, given


def _strings(c: Col, n: int) -> np.ndarray:
    """A text column as an object array with None where unknown or empty."""
    if c.cats is not None:
        codes, cats = c.cats
        lut = np.array([*cats.tolist(), None], dtype=object)
        out = lut[np.where(codes >= 0, codes, len(cats))]
    else:
        out = np.array(c.val, dtype=object) if np.ndim(c.val) else np.full(n, c.val, dtype=object)
    known = np.broadcast_to(np.asarray(c.known & ~np.asarray(c.null)), (n,))
    return np.where(known, out, None)


def _add_groups(into: dict[str | None, GroupTotals], keys: np.ndarray, scored: np.ndarray, eligible_n: np.ndarray,
                fen: np.ndarray, up_to_fen: np.ndarray, unknown_n: np.ndarray) -> None:
    """Adds per-row counts into per-key totals (``keys`` may hold None)."""
    codes, uniques = pd.factorize(pd.Series(keys, dtype=object), use_na_sentinel=True)
    k = len(uniques) + 1
    idx = np.where(codes >= 0, codes, len(uniques))
    firms = np.bincount(idx[scored], minlength=k)
    with_benefit = np.bincount(idx[scored & (eligible_n > 0)], minlength=k)

    def total(per_row: np.ndarray) -> np.ndarray:
        out = np.zeros(k, np.int64)
        np.add.at(out, idx, per_row)
        return out

    benefits, money, capped, unknown = total(eligible_n), total(fen), total(up_to_fen), total(unknown_n)
    names = [*uniques.tolist(), None]
    for i, key in enumerate(names):
        if firms[i] == 0 and benefits[i] == 0:
            continue
        acc = into.setdefault(key, GroupTotals())
        acc.firms += int(firms[i])
        acc.eligible_firms += int(with_benefit[i])
        acc.benefits += int(benefits[i])
        acc.amount_fen += int(money[i])
        acc.up_to_fen += int(capped[i])
        acc.amount_unknown += int(unknown[i])


@dataclass
class BatchReport:
    """Accumulates what the batch summary shows, chunk by chunk (see the module docstring)."""

    engine: Engine
    as_of: date
    firms_per_rule: int = FIRMS_PER_RULE
    regions: dict[str | None, GroupTotals] = field(default_factory=dict)
    scales: dict[str | None, GroupTotals] = field(default_factory=dict)
    funnels: dict[str, FunnelCounts] = field(default_factory=dict)
    firms: dict[str, list[Firm]] = field(default_factory=dict)
    summary: pd.DataFrame | None = None

    # -- accumulation ----------------------------------------------------------------------------
    def observe(self, ingested: IngestedFrame, scored: pd.DataFrame) -> None:
        """Counts of one chunk: ``ingested`` is the chunk as :meth:`Engine.ingest` validated it and
        ``scored`` the engine's long table of it (row numbers as in ``ingested.table.row``)."""
        table = ingested.table
        n = table.n
        rule_col = scored["rule_id"]
        line = (rule_col.notna() & (scored["status"] != "error")).to_numpy(dtype=bool)
        pos = np.searchsorted(table.row, scored["row"].to_numpy(dtype=np.int64)[line])
        status = scored["status"].to_numpy(dtype=object)[line]
        eligible = status == "eligible"
        fen, given = amount_fen(scored["amount"][line])
        up_to = (scored["amount_kind"].astype(object).to_numpy()[line] == "up_to") if "amount_kind" in scored \
            else np.zeros(len(status), bool)
        rule_ids = rule_col.astype(object).to_numpy()[line]
        pays = np.isin(rule_ids.astype(str), [r.id for r in self.engine.rules.rules if r.benefit.amount is not None])
        scored_rows = np.zeros(n, bool)
        scored_rows[pos] = True
        eligible_n = np.bincount(pos[eligible], minlength=n).astype(np.int64)
        unknown_n = np.bincount(pos[eligible & ~given & pays], minlength=n).astype(np.int64)
        row_fen, row_up_to = np.zeros(n, np.int64), np.zeros(n, np.int64)
        np.add.at(row_fen, pos[eligible & given & ~up_to], fen[eligible & given & ~up_to])
        np.add.at(row_up_to, pos[eligible & given & up_to], fen[eligible & given & up_to])
        amounts = (row_fen, row_up_to, unknown_n)
        _add_groups(self.regions, _strings(table.col("region_code"), n), scored_rows, eligible_n, *amounts)
        derived = derived_columns(["scale", *derived_needed(self.engine.rules.rules)], table, self.as_of)
        _add_groups(self.scales, _strings(derived["scale"], n), scored_rows, eligible_n, *amounts)
        order = np.argsort(rule_ids.astype(str), kind="stable")
        ids_sorted = rule_ids[order]
        bounds = np.flatnonzero(np.r_[True, ids_sorted[1:] != ids_sorted[:-1], True]) if len(order) else []
        in_scope: dict[str, np.ndarray] = {}
        for a, b in zip(bounds[:-1], bounds[1:]):
            mask = np.zeros(n, bool)
            mask[pos[order[a:b]]] = True
            in_scope[str(ids_sorted[a])] = mask
        for rid, counts in funnels(self.engine.rules.rules, table, self.as_of, in_scope, derived).items():
            if rid in self.funnels:
                self.funnels[rid].add(counts)
            else:
                self.funnels[rid] = counts

    def add_scored(self, scored: pd.DataFrame) -> None:
        """Keeps the first :attr:`firms_per_rule` eligible firms of each rule from a final long table."""
        eligible = scored[(scored["status"] == "eligible") & scored["rule_id"].notna()]
        if not len(eligible):
            return
        fen, given = amount_fen(eligible["amount"])
        rows = eligible["row"].to_numpy(dtype=np.int64)
        ids = eligible["entity_id"].astype(object).tolist()
        for i, rid in enumerate(eligible["rule_id"].astype(object).tolist()):
            kept = self.firms.setdefault(str(rid), [])
            if len(kept) < self.firms_per_rule:
                entity = ids[i] if isinstance(ids[i], str) else None
                kept.append(Firm(int(rows[i]), entity, Decimal(int(fen[i])).scaleb(-2) if given[i] else None))

    def finish(self, summary: pd.DataFrame) -> BatchReport:
        """Sets the run's merged per-rule summary (counts, budget, reconciliation and provenance)."""
        self.summary = summary
        return self

    # -- output ----------------------------------------------------------------------------------
    def provenance(self) -> dict[str, Any]:
        """Version, rule-set hash, as_of and the reconciliation counts of the run."""
        attrs = dict(self.summary.attrs) if self.summary is not None else {}
        out = dict(self.engine.provenance(self.as_of))
        for key in ("rows_read", "rows_scored", "rows_error", "rows_no_rule", "rows_duplicate", "blank_rows"):
            if attrs.get(key) is not None:
                out[key] = int(attrs[key])
        return out

    def rule_rows(self) -> list[dict[str, Any]]:
        """The summary's per-rule records (counts and exact budget) in rule-set order."""
        if self.summary is None:
            raise EligibilityError("报告尚无汇总：先调用 finish(summary)", "the report has no summary yet: call finish(summary)")
        return self.summary.to_dict("records")

    def pays_money(self, rule_id: str) -> bool:
        """Whether the rule's benefit is an amount (not access or a service)."""
        rule = self.engine.rules.get(rule_id)
        return rule is None or rule.benefit.amount is not None

    def rule_title(self, rule_id: str, lang: str) -> str:
        rule = self.engine.rules.get(rule_id)
        return rule.title.get(lang) if rule is not None else rule_id

    def render_html(self, lang: str = "zh") -> str:
        """The whole report as one self-contained HTML page."""
        return render_html(self, lang)

    def write(self, path: str | Path, lang: str = "zh") -> Path:
        """Writes the report to ``path``: ``.html`` (the page) or ``.xlsx`` (the workbook)."""
        target = Path(path)
        suffix = target.suffix.lower()
        if suffix in (".html", ".htm"):
            target.write_text(self.render_html(lang), encoding="utf-8")
        elif suffix == ".xlsx":
            from .excel import write_workbook

            write_workbook(self, target, lang)
        else:
            raise EligibilityError(f"报告文件应为 .html 或 .xlsx，收到 '{target.name}'",
                                   f"a report file is .html or .xlsx, got '{target.name}'", path=str(target))
        return target


def check_report_path(path: str | Path) -> None:
    """Refuses a report path that is neither ``.html`` nor ``.xlsx`` (before a long run starts)."""
    target = Path(path)
    if target.suffix.lower() not in (".html", ".htm", ".xlsx"):
        raise EligibilityError(f"报告文件应为 .html 或 .xlsx，收到 '{target.name}'",
                               f"a report file is .html or .xlsx, got '{target.name}'", path=str(target))


def batch_report(scored: pd.DataFrame, df: pd.DataFrame, engine: Engine, as_of: date | str,
                 start_row: int = 1, firms_per_rule: int = FIRMS_PER_RULE) -> BatchReport:
    """The report of one scored frame: ``scored = engine.score(df, as_of, start_row=start_row)``."""
    day = as_of if isinstance(as_of, date) else date.fromisoformat(as_of)
    report = BatchReport(engine, day, firms_per_rule)
    report.observe(engine.ingest(df, start_row), scored)
    report.add_scored(scored)
    summary = engine.summarize(scored)
    summary.attrs.setdefault("rows_read", len(df))
    return report.finish(summary)


# -- HTML --------------------------------------------------------------------------------------


_UNIT = {"zh": ("万元", Decimal(10_000)), "en": ("CNY thousand", Decimal(1_000))}
"""The page's one money unit: every amount on a page is in it, and every heading over amounts names it."""


def _unit(lang: str) -> str:
    return _UNIT[lang][0]


def _in_unit(amount: Decimal, lang: str) -> str:
    """An amount in the page's unit, two places, rounded half up for display (``2,085.26``); the
    workbook and the summary file keep the exact yuan."""
    return f"{(amount / _UNIT[lang][1]).quantize(Decimal('0.01'), ROUND_HALF_UP):,}"


def _at_least(text: str, lower_bound: bool, lang: str) -> str:
    """``至少 2,085.26`` where some eligible amounts are unknown (the sum is a lower bound)."""
    return _t(lang, f"至少 {text}", f"at least {text}") if lower_bound else text


def _short(text: str, limit: int = 32) -> str:
    """A chart label cut to ``limit`` characters (the table beside the chart has it in full)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _money_bar(label: str, exact: Decimal, up_to: Decimal, lower_bound: bool, lang: str) -> Bar:
    """A bar of exact (blue) and up-to (amber) amounts whose text states both parts as drawn."""
    parts = []
    if exact or not up_to:
        parts.append(_at_least(_in_unit(exact, lang), lower_bound, lang))
    if up_to:
        parts.append(_t(lang, f"上限 {_in_unit(up_to, lang)}", f"up to {_in_unit(up_to, lang)}"))
    return Bar(label, exact, " + ".join(parts), "info", extra=up_to)


def _money_note(lang: str) -> str:
    return _t(lang, f"单位：{_unit(lang)}。蓝色为确定金额，黄色为“不超过”类的上限金额，两者分开相加；“至少”表示另有符合的企业金额未知，"
                    "合计只是下限。",
              f"Unit: {_unit(lang)}. Blue: exact amounts; amber: up-to amounts (caps), added up apart; "
              "'at least' means some eligible firms' amounts are unknown, so the sum is a lower bound.")


def _group_section(report: BatchReport, groups: dict[str | None, GroupTotals], label: Callable[[Any, str], str],
                   title: str, order: list[Any] | None, lang: str, anchor: str) -> Html:
    keys = order if order is not None else sorted(
        groups, key=lambda k: (-(groups[k].amount_fen + groups[k].up_to_fen), -groups[k].firms, str(k)))
    keys = [k for k in keys if k in groups]
    if not keys:
        return section(title, tag("p", _t(lang, "没有已评估的企业。", "No firm was scored."), class_="empty"), id=anchor)
    shown = keys[:_CHART_GROUPS]
    more = len(keys) - len(shown)
    note = (_t(lang, f"另有 {more} 个未画出，见下表。", f"{more} more not drawn; see the table.") if more else None)
    share_bars = []
    for k in shown:
        g = groups[k]
        share = Decimal(g.eligible_firms) / g.firms if g.firms else Decimal(0)
        pct = f"{(share * 100).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"
        share_bars.append(Bar(label(k, lang), share, _t(lang, f"{g.eligible_firms:,} / {g.firms:,} 家 · {pct}",
                                                         f"{g.eligible_firms:,} of {g.firms:,} · {pct}"), "ok"))
    firms_chart = bar_chart(share_bars, max_value=1, caption=note,
                            title=_t(lang, "至少符合一项政策的企业占已评估企业的比例（%）",
                                     "Share of firms scored that are eligible for at least one measure (%)"))
    money_chart = bar_chart([_money_bar(label(k, lang), groups[k].amount, groups[k].up_to, groups[k].lower_bound, lang)
                             for k in shown],
                            title=_t(lang, f"符合政策的金额（{_unit(lang)}）", f"Amount of eligible benefits ({_unit(lang)})"),
                            caption=join([_money_note(lang), " ", note or ""]))
    rows = [[label(k, lang), f"{g.firms:,}", f"{g.eligible_firms:,}", f"{g.benefits:,}",
             _at_least(_in_unit(g.amount, lang), g.lower_bound, lang), _in_unit(g.up_to, lang), f"{g.amount_unknown:,}"]
            for k in keys for g in [groups[k]]]
    headers = [_t(lang, "分组", "group"), _t(lang, "已评估企业（家）", "firms scored"),
               _t(lang, "符合企业（家）", "eligible firms"), _t(lang, "符合项数", "eligible benefits"),
               _t(lang, f"确定金额（{_unit(lang)}）", f"exact amount ({_unit(lang)})"),
               _t(lang, f"上限金额（{_unit(lang)}）", f"up-to amount ({_unit(lang)})"),
               _t(lang, "金额未知（项）", "amount unknown (benefits)")]
    return section(title, join([firms_chart, money_chart, table(headers, rows, numeric=[1, 2, 3, 4, 5, 6])]), id=anchor)


def _funnel_chart(f: FunnelCounts, lang: str, worst: int | None) -> Html:
    """The funnel as stacked inline-SVG bars, one per step: passing so far (green), unknown (amber) and
    failed (red) out of the firms in scope — the markup and classes of :func:`.html.bar_chart`."""
    total = max(f.in_scope, 1)
    rows = []
    for k, step in enumerate(f.steps):
        p, q, u = (int(v) for v in f.cumulative[k])
        x0 = Decimal(0)
        rects = []
        for value, tone in ((p, "ok"), (u, "warn"), (q, "no")):
            width = (Decimal(value) * 100 / total).quantize(Decimal("0.1"), ROUND_HALF_UP)
            if value:
                rects.append(f'<rect class="fill {tone}" x="{x0}" y="0" width="{width}" height="10"/>')
            x0 += width
        text = f"✓{p:,} ?{u:,} ✗{q:,}"
        spoken = _t(lang, f"通过 {p}，待定 {u}，排除 {q}", f"pass {p}, unknown {u}, fail {q}")
        label = f"{k + 1}. {_short(step.label(lang), 40)}"
        svg = Html(f'<svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" '
                   f'aria-label="{escape(label)}: {escape(spoken)}"><rect class="track" x="0" y="0" width="100" '
                   f'height="10"/>{"".join(rects)}</svg>')
        mark = join([" ", badge(_t(lang, "排除最多", "excludes most"), "no")]) if k == worst else Html("")
        rows.append(tag("li", join([tag("span", join([label, mark]), class_="bar-label"), svg,
                                    tag("span", text, class_="bar-value")])))
    title = _t(lang, f"条件漏斗（适用企业 {f.in_scope:,} 家）", f"Condition funnel ({f.in_scope:,} firms in scope)")
    note = _t(lang, "每步：✓ 前 k 个条件都满足（绿）· ? 数据缺失尚不能判断（黄）· ✗ 有一个不满足（红）。",
              "Each step: ✓ meets the first k conditions (green) · ? data missing to decide (amber) · ✗ fails one (red).")
    return tag("figure", join([tag("figcaption", title), tag("ol", join(rows), class_="bars"),
                               tag("p", note, class_="chart-note")]), class_="chart", role="figure", aria_label=title)


def _funnel_block(report: BatchReport, rule_id: str, f: FunnelCounts, lang: str) -> Html:
    excluded = f.excluded()
    worst = int(np.argmax(excluded)) if len(excluded) and excluded.max() > 0 else None
    rows = []
    for k, step in enumerate(f.steps):
        p, q, u = (int(v) for v in f.cumulative[k])
        mark = badge(_t(lang, "排除最多", "excludes most"), "no") if k == worst else ""
        rows.append([str(k + 1), join([step.label(lang), " ", mark]), f"{p:,}", f"{u:,}", f"{q:,}",
                     f"{int(excluded[k]):,}", f"{int(f.alone[k][1]):,}"])
    headers = [_t(lang, "步", "step"), _t(lang, "条件", "condition"), _t(lang, "累计通过", "pass so far"),
               _t(lang, "累计待定", "unknown so far"), _t(lang, "累计排除", "failed so far"),
               _t(lang, "本步排除", "excluded here"), _t(lang, "单独不满足", "fail alone")]
    head = tag("h3", join([report.rule_title(rule_id, lang), " ", tag("span", rule_id, class_="rule-id")]))
    details = tag("details", join([tag("summary", _t(lang, "逐步明细", "Step by step")),
                                   table(headers, rows, numeric=[0, 2, 3, 4, 5, 6])]))
    return tag("div", join([head, _funnel_chart(f, lang, worst), details]), class_="card", id=f"funnel-{rule_id}")


def render_html(report: BatchReport, lang: str = "zh") -> str:
    """The batch summary page (see :class:`BatchReport`): it renders the run's summary schema
    (``engine.summarize``: per rule the five statuses, exact and up-to amounts, unknown amounts and the
    lower-bound flag; the reconciliation) with every amount in one unit named in each heading."""
    if lang not in ("zh", "en"):
        raise EligibilityError(f"lang 只能是 zh 或 en，实际为 {lang!r}", f"lang must be zh or en, got {lang!r}")
    prov = report.provenance()
    records = report.rule_rows()
    exact = sum((Decimal(r["amount_exact"]) for r in records), Decimal(0))
    up_to = sum((Decimal(r["amount_up_to"]) for r in records), Decimal(0))
    unknown = sum(int(r["amount_unknown"]) for r in records)
    lower = any(bool(r["lower_bound"]) for r in records)
    total_benefits = sum(int(r["eligible"]) for r in records)
    read = prov.get("rows_read")
    scored, failed, no_rule = (prov.get(k, 0) for k in ("rows_scored", "rows_error", "rows_no_rule"))
    unit = _unit(lang)
    title = _t(lang, "批量评估汇总报告", "Batch scoring summary")
    lead = tag("p", _t(lang, f"评估日期 {prov['as_of']} · 共 {len(records)} 项政策有适用企业 · 金额单位：{unit}",
                       f"As of {prov['as_of']} · {len(records)} measures with firms in scope · amounts in {unit}"),
               class_="lead")
    stats = tag("div", join([
        stat(f"{read:,}" if read is not None else "—", _t(lang, "读入行数", "rows read")),
        stat(f"{scored:,}", _t(lang, "已评估", "scored")),
        stat(f"{failed:,}", _t(lang, "整行出错", "rows failed")),
        stat(f"{no_rule:,}", _t(lang, "无适用政策", "no rule in scope")),
        stat(f"{total_benefits:,}", _t(lang, "符合项数", "eligible benefits")),
        stat(f"{unknown:,}", _t(lang, "金额未知（项）", "amount unknown")),
        stat(_in_unit(exact, lang), _t(lang, "确定金额合计" + ("（下限）" if lower else ""),
                                        "exact amounts" + (" (lower bound)" if lower else "")),
             unit=unit, qualifier=_t(lang, "至少", "at least") if lower else None, wide=True),
        stat(_in_unit(up_to, lang), _t(lang, "“不超过”类上限合计", "up-to amounts (caps)"), unit=unit,
             qualifier=_t(lang, "最多", "up to"), wide=True),
    ]), class_="summary")
    if read is not None:
        recon = _t(lang, f"读入 {read:,} 行 = 已评估 {scored:,} + 整行出错 {failed:,} + 无适用政策 {no_rule:,}",
                   f"rows read {read:,} = scored {scored:,} + failed {failed:,} + no rule in scope {no_rule:,}")
    else:
        recon = _t(lang, "读入行数未知", "rows read unknown")
    pairs: list[tuple[object, object]] = [
        (_t(lang, "库版本", "library version"), prov["version"]),
        (_t(lang, "规则集哈希", "rule-set hash"), tag("code", prov["ruleset_hash"])),
        (_t(lang, "评估日期", "as of"), prov["as_of"]),
        (_t(lang, "行数核对", "reconciliation"), recon),
    ]
    if prov.get("rows_duplicate"):
        pairs.append((_t(lang, "重复信用代码", "repeated USCCs"), f"{prov['rows_duplicate']:,}"))
    field_errors = report.summary.attrs.get("field_errors") if report.summary is not None else None
    if field_errors:
        spec = registry()
        named = [(spec[f].label(lang) if f in spec else f, f, int(n)) for f, n in sorted(field_errors.items())]
        pairs.append((_t(lang, "无法读取的值（按列）", "unreadable values (per column)"),
                      _t(lang, "、".join(f"{label}（{f}）{n:,} 处" for label, f, n in named),
                         "; ".join(f"{label} ({f}): {n:,}" if label != f else f"{f}: {n:,}" for label, f, n in named))))
    provenance = section(_t(lang, "来源与核对", "Provenance and reconciliation"), definition_list(pairs), id="provenance")

    def money_cells(r: dict[str, Any]) -> list[str]:
        if not report.pays_money(r["rule_id"]):
            return ["—", "—", "—"]
        return [_at_least(_in_unit(Decimal(r["amount_exact"]), lang), bool(r["lower_bound"]), lang),
                _in_unit(Decimal(r["amount_up_to"]), lang), f"{int(r['amount_unknown']):,}"]

    policy_rows = [[join([report.rule_title(r["rule_id"], lang), " ", tag("span", r["rule_id"], class_="rule-id")]),
                    *(f"{int(r[k]):,}" for k in ("eligible", "superseded", "undetermined", "ineligible", "error")),
                    *money_cells(r)] for r in records]
    policy_headers = [_t(lang, "政策", "measure"), _t(lang, "符合", "eligible"), _t(lang, "被取代", "superseded"),
                      _t(lang, "待定", "undetermined"), _t(lang, "不符合", "ineligible"), _t(lang, "出错", "error"),
                      _t(lang, f"确定金额（{unit}）", f"exact amount ({unit})"),
                      _t(lang, f"上限金额（{unit}）", f"up-to amount ({unit})"),
                      _t(lang, "金额未知（家）", "amount unknown (firms)")]
    by_count = sorted(records, key=lambda r: (-int(r["eligible"]), r["rule_id"]))
    by_amount = sorted([r for r in records if Decimal(r["amount_exact"]) + Decimal(r["amount_up_to"]) > 0],
                       key=lambda r: (-(Decimal(r["amount_exact"]) + Decimal(r["amount_up_to"])), r["rule_id"]))
    policy = section(_t(lang, "按政策", "By measure"), join([
        bar_chart([Bar(report.rule_title(r["rule_id"], lang), int(r["eligible"]),
                       _t(lang, f"{int(r['eligible']):,} 家", f"{int(r['eligible']):,}"), "ok") for r in by_count],
                  title=_t(lang, "符合的企业数（家）", "Eligible firms")),
        bar_chart([_money_bar(report.rule_title(r["rule_id"], lang), Decimal(r["amount_exact"]),
                              Decimal(r["amount_up_to"]), bool(r["lower_bound"]), lang) for r in by_amount],
                  title=_t(lang, f"预算影响：符合企业的金额（{unit}）", f"Budget impact: amounts for eligible firms ({unit})"),
                  caption=join([_money_note(lang), " ", _t(lang, "只列有金额的政策。", "Measures with an amount only.")])),
        table(policy_headers, policy_rows, numeric=list(range(1, 9))),
    ]), id="measures")
    regions = _group_section(report, report.regions, region_label, _t(lang, "按地区", "By region"), None, lang, "regions")
    scales = _group_section(report, report.scales, scale_label, _t(lang, "按企业规模", "By scale class"),
                            [*SCALES, None], lang, "scales")
    order = [r.id for r in report.engine.rules.rules]
    blocks = [_funnel_block(report, rid, report.funnels[rid], lang) for rid in order
              if rid in report.funnels and report.funnels[rid].in_scope > 0]
    none_in_scope = [rid for rid in order if rid in report.funnels and report.funnels[rid].in_scope == 0]
    intro = tag("p", _t(lang, "每项政策的条件按规则中的顺序依次检查：第 k 步“通过”为前 k 个条件都满足的企业，"
                              "“排除”为其中有一个不满足的，“待定”为数据缺失、尚不能判断的。“本步排除”最大的一步就是排除企业最多的条件。",
                        "Each measure's conditions are checked in the rule's order: at step k, 'pass' counts firms meeting "
                        "the first k conditions, 'fail' those failing one of them, 'unknown' those whose data cannot decide "
                        "yet. The step with the largest 'excluded here' is the condition that excludes most."))
    tail = (tag("p", _t(lang, "没有适用企业的政策：", "Measures with no firm in scope: ") + "、".join(none_in_scope),
                class_="empty") if none_in_scope else Html(""))
    funnel = section(_t(lang, "条件漏斗", "Condition funnels"), join([intro, tag("div", join(blocks), class_="cards"), tail]),
                     id="funnels")
    footer = tag("footer", _t(lang, f"eligibility {prov['version']} · 规则集 {prov['ruleset_hash'][:12]} · 评估日期 {prov['as_of']}",
                              f"eligibility {prov['version']} · rule set {prov['ruleset_hash'][:12]} · as of {prov['as_of']}"))
    body = join([tag("h1", title), lead, stats, provenance, policy, regions, scales, funnel, footer])
    return page(title, body, lang)
