"""The batch summary report: counts per region and scale class, condition funnels (checked against the
long table's statuses and first failed conditions), chunked runs equal to one whole run, the Excel
workbook, ``eligibility score --report``, and the HTML page in Chromium (desktop and 375 px)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

import eligibility as el
from eligibility.backends.vectorized.funnel import scope_step, steps
from eligibility.cli import app
from eligibility.facts.derived import DERIVED, evaluate_derived
from eligibility.facts.frame import row_to_profile
from eligibility.batch import score_file
from eligibility.model import expr as x
from eligibility.report.batch import BatchReport, amount_fen, batch_report
from eligibility.report.excel import SHEET_NAME_MAX, sheet_names

ROOT = Path(__file__).resolve().parents[2]
REGISTER = ROOT / "examples" / "register.csv"
AS_OF = date(2025, 6, 30)
runner = CliRunner()


@pytest.fixture(scope="module")
def engine() -> el.Engine:
    return el.Engine()


@pytest.fixture(scope="module")
def scored(engine: el.Engine, register: pd.DataFrame) -> pd.DataFrame:
    return engine.score(register, AS_OF)


@pytest.fixture(scope="module")
def report(engine: el.Engine, register: pd.DataFrame, scored: pd.DataFrame) -> BatchReport:
    return batch_report(scored, register, engine, AS_OF)


# -- content -------------------------------------------------------------------------------------
def test_region_totals_equal_a_groupby_of_the_long_table(report: BatchReport, register: pd.DataFrame,
                                                         scored: pd.DataFrame) -> None:
    region_of_row = dict(zip(range(1, len(register) + 1), register["region_code"].astype(str)))
    lines = scored[scored["rule_id"].notna()]
    eligible = lines[lines["status"] == "eligible"]
    fen, given = amount_fen(eligible["amount"])
    expected_amount: Counter[str] = Counter()
    for row, f in zip(eligible["row"].tolist(), fen.tolist()):
        expected_amount[region_of_row[row]] += f
    expected_firms = Counter(region_of_row[r] for r in lines["row"].unique().tolist())
    expected_eligible = Counter(region_of_row[r] for r in eligible["row"].unique().tolist())
    assert set(report.regions) == set(expected_firms)
    for code, g in report.regions.items():
        assert (g.firms, g.eligible_firms, g.amount_fen + g.up_to_fen) == (
            expected_firms[code], expected_eligible[code], expected_amount[code]), code
    assert sum(g.benefits for g in report.regions.values()) == len(eligible)
    for column, attr in (("amount_exact", "amount"), ("amount_up_to", "up_to")):
        total = sum((Decimal(v) for v in report.summary[column]), Decimal(0))
        assert sum((getattr(g, attr) for g in report.regions.values()), Decimal(0)) == total


def test_scale_classes_equal_the_interpreters_derived_scale(engine: el.Engine, register: pd.DataFrame) -> None:
    part = register.iloc[:300].reset_index(drop=True)
    small = batch_report(engine.score(part, AS_OF), part, engine, AS_OF)
    expected: Counter[str | None] = Counter()
    for record in part.to_dict("records"):
        facts = el.Profile.from_data(row_to_profile(record)).facts()
        value = evaluate_derived("scale", facts, AS_OF).value
        expected[value if isinstance(value, str) else None] += 1
    assert {k: g.firms for k, g in small.scales.items()} == dict(expected)
    assert set(expected) >= {"micro", "small", None}


def test_funnels_agree_with_statuses_and_first_failed_conditions(report: BatchReport, engine: el.Engine,
                                                                 scored: pd.DataFrame) -> None:
    lines = scored[scored["rule_id"].notna()]
    checked_steps = 0
    for rule_id, f in report.funnels.items():
        mine = lines[lines["rule_id"] == rule_id]
        assert f.in_scope == len(mine), rule_id
        if not len(mine):
            continue
        status = mine["status"].astype(str)
        failed = mine["failed"].astype(object).where(status == "ineligible")  # (an eligible `any` may name a false part)
        passed = int(((status == "eligible") | (status == "superseded") |
                      ((status == "ineligible") & failed.isna())).sum())
        assert f.cumulative[-1].tolist() == [passed, int(failed.notna().sum()), int((status == "undetermined").sum())]
        assert (f.cumulative.sum(axis=1) == f.in_scope).all()
        assert (np.diff(f.cumulative[:, 0]) <= 0).all() and (np.diff(f.cumulative[:, 1]) >= 0).all()
        rule = engine.rules[rule_id]
        nodes, _ = steps(rule)
        has_scope = scope_step(rule) is not None
        assert [s.scope for s in f.steps] == [True] * has_scope + [False] * len(nodes)
        if all(isinstance(n, x.Clause) for n in nodes):  # each step is a clause: its drop is its `failed` count
            texts = Counter(failed.dropna().tolist())
            assert f.excluded().tolist() == [0] * has_scope + [texts.get(n.text, 0) for n in nodes], rule_id  # type: ignore[attr-defined]
            checked_steps += len(nodes)
    assert checked_steps > 20
    trade = report.funnels["puer.new-industrial-above-scale"]
    assert [s.label("zh") for s in trade.steps][::2] == ["属适用范围：普洱市", "属新建投产项目纳规"]
    zone = report.funnels["tengger.large-industry-tariff-option"]
    assert zone.steps[0].label("zh") == "属适用范围：阿拉善左旗，腾格里经济技术开发区" and zone.cumulative[0][2] > 0
    assert trade.steps[1].label("zh") == DERIVED["is_industrial"].label("zh") != "is_industrial"  # its own label


def _counts(r: BatchReport) -> list[tuple[object, ...]]:
    return [(rec["rule_id"], int(rec["eligible"]), int(rec["undetermined"]), int(rec["superseded"]),
             int(rec["ineligible"]), Decimal(rec["amount_total"])) for rec in r.rule_rows()]


def test_chunked_streaming_report_equals_one_whole_report(engine: el.Engine, report: BatchReport,
                                                          scored: pd.DataFrame, tmp_path: Path) -> None:
    streamed = BatchReport(engine, AS_OF)
    seen: list[int] = []

    def on_chunk(done: int, chunk_scored: pd.DataFrame) -> None:
        seen.append(done)
        streamed.add_scored(chunk_scored)

    summary = score_file(engine, REGISTER, tmp_path / "out.parquet", AS_OF, chunk_size=700, on_chunk=on_chunk,
                         on_scored=streamed.observe)
    streamed.finish(summary)
    assert seen == [700, 1400, 2100, 2400]
    assert streamed.regions == report.regions and streamed.scales == report.scales
    assert streamed.funnels.keys() == report.funnels.keys()
    for rid, f in report.funnels.items():
        assert streamed.funnels[rid].cumulative.tolist() == f.cumulative.tolist(), rid
        assert streamed.funnels[rid].alone.tolist() == f.alone.tolist(), rid
    assert streamed.firms == report.firms
    assert sorted(_counts(streamed)) == sorted(_counts(report))
    assert streamed.provenance() == {**report.provenance(), "rows_duplicate": 0, "blank_rows": 0}
    assert len(pd.read_parquet(tmp_path / "out.parquet")) == len(scored)  # the long table is written as usual


def test_html_shows_provenance_reconciliation_and_every_section(report: BatchReport) -> None:
    zh, en = report.render_html("zh"), report.render_html("en")
    prov = report.provenance()
    for page in (zh, en):
        assert prov["ruleset_hash"] in page and "2025-06-30" in page
        assert "<script" not in page and not re.search(r"(src|href)=\"(https?:)?//", page)
        for anchor in ("provenance", "measures", "regions", "scales", "funnels"):
            assert f'id="{anchor}"' in page
    assert "读入 2,400 行 = 已评估 2,400 + 整行出错 0 + 无适用政策 0" in zh
    assert "rows read 2,400 = scored 2,400 + failed 0 + no rule in scope 0" in en
    assert "普洱市思茅区（530802）" in zh and "深圳市南山区（440305）" in zh and "广东省（" not in zh
    assert "微型" in zh and "排除最多" in zh
    assert "excludes most" in en and "micro" in en
    exact = sum((Decimal(v) for v in report.summary["amount_exact"]), Decimal(0))
    tile = re.search(r'<span class="n"><span class="q">至少</span><span class="f">([\d,.]+)<span class="u">万元</span>', zh)
    assert tile and tile.group(1) == f"{(exact / 10000).quantize(Decimal('0.01')):,}"  # a lower bound, in 万元


def _cells(page: str, rule_id: str) -> list[str]:
    """The cells of a rule's row in the per-measure table."""
    row = re.search(rf'<tr><td data-label="[^"]*">[^<]*<span class="rule-id">{re.escape(rule_id)}</span></td>(.*?)</tr>',
                    page)
    assert row, rule_id
    return re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))


def test_the_page_renders_the_summary_schema_of_every_rule(report: BatchReport) -> None:
    zh = report.render_html("zh")
    records = report.rule_rows()
    assert {"error", "amount_exact", "amount_up_to", "amount_unknown", "lower_bound"} <= set(records[0])
    for r in records:
        cells = _cells(zh, r["rule_id"])
        assert cells[:5] == [f"{int(r[k]):,}" for k in ("eligible", "superseded", "undetermined", "ineligible", "error")]
        if report.pays_money(r["rule_id"]):
            exact = f"{(Decimal(r['amount_exact']) / 10000).quantize(Decimal('0.01')):,}"
            assert cells[5] == (f"至少 {exact}" if r["lower_bound"] else exact), r["rule_id"]
            assert cells[6] == f"{(Decimal(r['amount_up_to']) / 10000).quantize(Decimal('0.01')):,}"
            assert cells[7] == f"{int(r['amount_unknown']):,}"
    six = next(r for r in records if r["rule_id"] == "cn.six-taxes-halved")
    assert six["lower_bound"] and six["amount_unknown"] > 0  # the register has firms whose six-tax amount is unknown
    trade = next(r for r in records if r["rule_id"] == "puer.trade-monthly-upgrade")
    assert Decimal(trade["amount_up_to"]) > 0 and Decimal(trade["amount_exact"]) == 0
    assert _cells(zh, "puer.trade-monthly-upgrade")[6] != "0.00"


def test_one_money_unit_per_page_named_in_every_heading(report: BatchReport) -> None:
    for lang, unit in (("zh", "万元"), ("en", "CNY thousand")):
        page = report.render_html(lang)
        body = re.sub(r"<style>.*?</style>", "", page, flags=re.S)
        text = re.sub(r"<[^>]+>", " ", body)
        assert not re.search(r"\d\s*元", text.replace("万元", "")), "an amount in 元 beside 万元"
        assert "CNY 1" not in text and "M " not in text
        headings = re.findall(r"<(?:th|figcaption)[^>]*>([^<]*(?:金额|amount|Amount|预算|Budget)[^<]*)<", body)
        assert headings and all(unit in h for h in headings if "（项）" not in h and "（家）" not in h
                                and "unknown" not in h), headings


def test_share_bars_are_drawn_to_the_share_they_label(report: BatchReport) -> None:
    zh = report.render_html("zh")
    chart = re.search(r'<figcaption>至少符合一项政策的企业占已评估企业的比例（%）</figcaption>(.*?)</figure>', zh, re.S)
    assert chart
    bars = re.findall(r'class="fill ok" x="0" y="0" width="([\d.]+)".*?class="bar-value">([\d,]+) / ([\d,]+) 家 · '
                      r'([\d.]+)%</span>', chart.group(1))
    assert len(bars) == min(20, len(report.regions))
    for width, eligible, firms, pct in bars:
        share = Decimal(eligible.replace(",", "")) * 100 / Decimal(firms.replace(",", ""))
        assert Decimal(width) == Decimal(pct) == share.quantize(Decimal("0.1"), ROUND_HALF_UP)
    beijing = report.regions["110105"]
    assert f"{beijing.eligible_firms} / {beijing.firms} 家" in chart.group(1)


def test_group_amounts_keep_exact_and_up_to_apart(report: BatchReport, scored: pd.DataFrame) -> None:
    eligible = scored[(scored["status"] == "eligible") & scored["rule_id"].notna()]
    up_to = eligible["amount_kind"] == "up_to"
    for column, mask in (("amount_fen", ~up_to), ("up_to_fen", up_to)):
        fen = sum(int(Decimal(str(v)) * 100) for v in eligible[mask]["amount"].dropna())
        assert sum(getattr(g, column) for g in report.regions.values()) == fen
        assert sum(getattr(g, column) for g in report.scales.values()) == fen
    unknown = int(report.summary["amount_unknown"].sum())
    assert sum(g.amount_unknown for g in report.regions.values()) == unknown > 0


# -- workbook ------------------------------------------------------------------------------------
def test_sheet_names_are_short_unique_and_valid() -> None:
    long = "tengger.graduate-social-insurance-subsidy"
    names = sheet_names([long, long + "-2", "a/b[c]", "Summary"], reserved=["summary"])
    assert all(len(n) <= SHEET_NAME_MAX for n in names.values())
    assert len({n.lower() for n in names.values()} | {"summary"}) == 5
    assert names[long] == long[:31] and names[long + "-2"].endswith("~2")
    assert names["a/b[c]"] == "a_b_c_" and names["Summary"] == "Summary~2"


def test_workbook_has_a_summary_and_a_sheet_per_rule(engine: el.Engine, register: pd.DataFrame,
                                                     scored: pd.DataFrame, tmp_path: Path) -> None:
    few = batch_report(scored, register, engine, AS_OF, firms_per_rule=5)
    path = few.write(tmp_path / "summary.xlsx", "zh")
    wb = openpyxl.load_workbook(path)
    records = few.rule_rows()
    assert wb.sheetnames[:3] == ["汇总", "地区", "规模"] and len(wb.sheetnames) == 3 + len(records)
    summary = wb["汇总"]
    rows = [r for r in summary.iter_rows(values_only=True) if r and r[0] in {rec["rule_id"] for rec in records}]
    assert [r[0] for r in rows] == [rec["rule_id"] for rec in records]
    assert sum(Decimal(str(r[7])) for r in rows) == sum(Decimal(rec["amount_exact"]) for rec in records)
    assert sum(Decimal(str(r[8])) for r in rows) == sum(Decimal(rec["amount_up_to"]) for rec in records)
    assert [r[6] for r in rows] == [int(rec["error"]) for rec in records]
    assert [r[9] for r in rows] == [int(rec["amount_unknown"]) for rec in records]
    rid = "cn.small-low-profit-income-tax"
    sheet = wb[next(r[11] for r in rows if r[0] == rid)]
    values = [r for r in sheet.iter_rows(values_only=True)]
    flat = [v for r in values for v in r if v is not None]
    eligible = int(next(rec["eligible"] for rec in records if rec["rule_id"] == rid))
    assert f"符合的企业（共 {eligible} 家）" in flat and "仅列出输入顺序的前 5 家；完整名单见长表（status = eligible）。" in flat
    header = next(i for i, r in enumerate(values) if r[:4] == ("行号", "统一社会信用代码", "金额（元）", None))
    listed = values[header + 1:]
    first = scored[(scored["rule_id"] == rid) & (scored["status"] == "eligible")].head(5)
    assert [r[0] for r in listed] == first["row"].tolist() and [r[1] for r in listed] == first["entity_id"].tolist()
    funnel_head = next(i for i, r in enumerate(values)
                       if r[:8] == ("步", "条件", "累计通过", "累计待定", "累计排除", "本步排除", "单独不满足", "条件原文"))
    f = few.funnels[rid]
    assert [list(r[2:5]) for r in values[funnel_head + 1: funnel_head + 1 + len(f.steps)]] == \
        [[int(p), int(u), int(q)] for p, q, u in f.cumulative]


# -- CLI -----------------------------------------------------------------------------------------
def test_score_writes_html_and_xlsx_reports(tmp_path: Path) -> None:
    html, xlsx = tmp_path / "summary.html", tmp_path / "summary.xlsx"
    result = runner.invoke(app, ["score", str(REGISTER), "-o", str(tmp_path / "s.parquet"), "--as-of", "2025-06-30",
                                 "--chunk-size", "1000", "--report", str(html), "--report", str(xlsx), "--lang", "en"])
    assert result.exit_code == 0, result.output
    page = html.read_text(encoding="utf-8")
    assert "Batch scoring summary" in page and "rows read 2,400 = scored 2,400" in page
    assert openpyxl.load_workbook(xlsx).sheetnames[:3] == ["summary", "regions", "scales"]
    assert str(html) in result.stdout


@pytest.mark.parametrize(("lang", "message"), [("zh", "报告文件应为 .html 或 .xlsx，收到 'r.pdf'"),
                                             ("en", "a report file is .html or .xlsx, got 'r.pdf'")])
def test_score_refuses_a_report_it_cannot_write_before_scoring(tmp_path: Path, lang: str, message: str) -> None:
    out = tmp_path / "s.csv"
    result = runner.invoke(app, ["score", str(REGISTER), "-o", str(out), "--report", str(tmp_path / "r.pdf"),
                                 "--lang", lang])
    assert result.exit_code == 2
    assert message in result.stderr
    assert not out.exists()


# -- in the browser ------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_batch_report_renders_in_chromium(render_html, report: BatchReport, tmp_path: Path, lang: str) -> None:
    path = tmp_path / f"summary.{lang}.html"
    path.write_text(report.render_html(lang), encoding="utf-8")
    for width in (1280, 375):
        shown = render_html(path, width=width)
        assert shown.ok and shown.errors == [], shown.errors
        assert shown.scroll_width <= shown.inner_width, f"{width}px: {shown.scroll_width} > {shown.inner_width}"
        page = shown.page
        charts = page.locator("figure.chart")
        funnels = [f for f in report.funnels.values() if f.in_scope]
        assert charts.count() == 2 + 2 + 2 + len(funnels)
        bars = page.locator("figure.chart svg.bar rect.fill")
        assert bars.count() > 100
        widths = page.eval_on_selector_all("#funnels svg.bar", "els => els.map(e => e.getBoundingClientRect().width)")
        assert min(widths) > 40, f"{width}px: a funnel bar is squeezed to {min(widths)}px"
        first = page.locator("#funnels .card").first
        assert first.locator("h3").is_visible() and first.locator("figure.chart").is_visible()


def test_field_errors_are_counted_per_rule_and_per_column(engine: el.Engine, register: pd.DataFrame) -> None:
    bad = register.head(60).copy()
    bad["employees"] = bad["employees"].astype(object)
    bad.loc[:9, "employees"] = "x1"
    report = batch_report(engine.score(bad, AS_OF), bad, engine, AS_OF)
    zh, en = report.render_html("zh"), report.render_html("en")
    assert "从业人员（employees）10 处" in zh and "unreadable values (per column)</dt><dd>employees: 10<" in en
    errors = {r["rule_id"]: int(r["error"]) for r in report.rule_rows()}
    assert sum(errors.values()) > 0 and all(_cells(zh, rid)[4] == f"{n:,}" for rid, n in errors.items())
