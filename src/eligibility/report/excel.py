"""The batch summary as an Excel workbook: a summary sheet, regions and scale classes, and a sheet
per rule (its counts, its condition funnel and its eligible firms, the first ones if there are many).

Amounts are written as exact decimals with a 2-place number format; sheet names follow Excel's
limits (at most 31 characters, none of ``[]:*?/\\``, unique regardless of case).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from .._cells import no_formulas, xlsx_text
from .figures import SCALES, BatchFigures, region_label, scale_label

SHEET_NAME_MAX = 31
_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_MONEY = "#,##0.00"


def _t(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


def sheet_names(ids: Sequence[str], reserved: Iterable[str] = ()) -> dict[str, str]:
    """A valid, unique sheet name for each id: forbidden characters replaced, cut to 31 characters,
    and a ``~2``, ``~3``… suffix where a cut name (or a reserved one) is already taken."""
    taken = {name.lower() for name in reserved}
    out: dict[str, str] = {}
    for rid in ids:
        base = _FORBIDDEN.sub("_", rid).strip("'") or "rule"
        name = base[:SHEET_NAME_MAX]
        n = 2
        while name.lower() in taken:
            suffix = f"~{n}"
            name = base[: SHEET_NAME_MAX - len(suffix)] + suffix
            n += 1
        taken.add(name.lower())
        out[rid] = name
    return out


def _header(ws: Worksheet, values: Sequence[object]) -> None:
    ws.append(list(values))
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)


def _money_cells(ws: Worksheet, columns: Iterable[int]) -> None:
    """The 2-place number format on the last row's money columns (1-based)."""
    for c in columns:
        ws.cell(ws.max_row, c).number_format = _MONEY


def _widths(ws: Worksheet, widths: Sequence[int]) -> None:
    for i, w in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + i)].width = w


def _status_headers(lang: str) -> list[str]:
    return [_t(lang, "符合", "eligible"), _t(lang, "被取代", "superseded"), _t(lang, "待定", "undetermined"),
            _t(lang, "不符合", "ineligible"), _t(lang, "出错", "error")]


def _statuses(r: dict[str, Any]) -> list[int]:
    return [int(r[k]) for k in ("eligible", "superseded", "undetermined", "ineligible", "error")]


def _money_headers(lang: str) -> list[str]:
    return [_t(lang, "确定金额（元）", "exact amount (yuan)"), _t(lang, "上限金额（元）", "up-to amount (yuan)"),
            _t(lang, "金额未知（家）", "amount unknown (firms)"), _t(lang, "合计为下限", "sum is a lower bound")]


def _amounts(r: dict[str, Any], lang: str) -> list[object]:
    """The summary schema's money columns: exact and up-to sums kept apart, unknown amounts, lower bound."""
    return [Decimal(r["amount_exact"]), Decimal(r["amount_up_to"]), int(r["amount_unknown"]),
            _t(lang, "是", "yes") if bool(r["lower_bound"]) else _t(lang, "否", "no")]


def write_workbook(report: BatchFigures, path: str | Path, lang: str = "zh") -> Path:
    """Writes the workbook of ``report`` (which must have its summary) to ``path``."""
    target = Path(path)
    prov = report.provenance()
    records = report.rule_rows()
    wb = Workbook()
    ws = wb.active
    summary_name = _t(lang, "汇总", "summary")
    ws.title = summary_name
    reserved = [summary_name, _t(lang, "地区", "regions"), _t(lang, "规模", "scales")]
    names = sheet_names([r["rule_id"] for r in records], reserved)
    ws.append([_t(lang, "批量评估汇总报告", "Batch scoring summary")])
    ws["A1"].font = Font(bold=True, size=14)
    for key, zh, en in (("version", "库版本", "library version"), ("ruleset_hash", "规则集哈希", "rule-set hash"),
                        ("as_of", "评估日期", "as of"), ("rows_read", "读入行数", "rows read"),
                        ("rows_scored", "已评估", "rows scored"), ("rows_error", "出错行", "rows in error"),
                        ("rows_no_rule", "无适用政策", "rows with no rule in scope"),
                        ("rows_duplicate", "重复信用代码", "rows repeating a USCC")):
        if key in prov:
            ws.append([_t(lang, zh, en), prov[key]])
    if prov.get("rows_read") is not None:
        ws.append([_t(lang, "核对", "reconciliation"),
                   _t(lang, "读入 = 已评估 + 出错 + 无适用政策", "read = scored + errors + no rule in scope"),
                   prov["rows_read"] == prov.get("rows_scored", 0) + prov.get("rows_error", 0) + prov.get("rows_no_rule", 0)])
    ws.append([])
    _header(ws, ["rule_id", _t(lang, "政策", "measure"), *_status_headers(lang), *_money_headers(lang),
                 _t(lang, "工作表", "sheet")])
    for r in records:
        rid = r["rule_id"]
        ws.append([rid, report.rule_title(rid, lang), *_statuses(r), *_amounts(r, lang), names[rid]])
        _money_cells(ws, [8, 9])
        link = ws.cell(ws.max_row, 12)
        link.hyperlink = f"#'{names[rid]}'!A1"
        link.style = "Hyperlink"
    _widths(ws, [44, 40, 10, 10, 12, 10, 8, 18, 18, 14, 10, 34])

    for title, groups, label, order in (
        (_t(lang, "地区", "regions"), report.regions, region_label, None),
        (_t(lang, "规模", "scales"), report.scales, scale_label, [*SCALES, None]),
    ):
        gs = wb.create_sheet(title)
        _header(gs, [_t(lang, "分组", "group"), _t(lang, "代码", "code"), _t(lang, "已评估企业", "firms scored"),
                     _t(lang, "符合企业", "eligible firms"), _t(lang, "符合项数", "eligible benefits"),
                     _t(lang, "确定金额（元）", "exact amount (yuan)"), _t(lang, "上限金额（元）", "up-to amount (yuan)"),
                     _t(lang, "金额未知（项）", "amount unknown (benefits)")])
        keys = order if order is not None else sorted(
            groups, key=lambda k: (-(groups[k].amount_fen + groups[k].up_to_fen), str(k)))
        for k in keys:
            if k in groups:
                g = groups[k]
                gs.append([label(k, lang), k, g.firms, g.eligible_firms, g.benefits, g.amount, g.up_to,
                           g.amount_unknown])
                _money_cells(gs, [6, 7])
        _widths(gs, [40, 10, 14, 14, 14, 18, 18, 16])

    for r in records:
        _rule_sheet(wb.create_sheet(names[r["rule_id"]]), report, r, lang, summary_name)
    no_formulas(wb)
    wb.save(target)
    return target


def _rule_sheet(ws: Worksheet, report: BatchFigures, r: dict[str, Any], lang: str, summary_name: str) -> None:
    rid = r["rule_id"]
    ws.append([report.rule_title(rid, lang)])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(["rule_id", rid])
    back = ws.cell(2, 3, _t(lang, "← 返回汇总", "← back to summary"))
    back.hyperlink = f"#'{summary_name}'!A1"
    back.style = "Hyperlink"
    ws.append([])
    _header(ws, [*_status_headers(lang), *_money_headers(lang)])
    ws.append([*_statuses(r), *_amounts(r, lang)])
    _money_cells(ws, [6, 7])
    f = report.funnels.get(rid)
    if f is not None:
        ws.append([])
        ws.append([_t(lang, f"条件漏斗（适用企业 {f.in_scope} 家）", f"Condition funnel ({f.in_scope} firms in scope)")])
        ws.cell(ws.max_row, 1).font = Font(bold=True)
        _header(ws, [_t(lang, "步", "step"), _t(lang, "条件", "condition"), _t(lang, "累计通过", "pass so far"),
                     _t(lang, "累计待定", "unknown so far"), _t(lang, "累计排除", "failed so far"),
                     _t(lang, "本步排除", "excluded here"), _t(lang, "单独不满足", "fail alone"),
                     _t(lang, "条件原文", "condition as written")])
        excluded = f.excluded()
        for k, step in enumerate(f.steps):
            p, q, u = (int(v) for v in f.cumulative[k])
            ws.append([k + 1, step.label(lang), p, u, q, int(excluded[k]), int(f.alone[k][1]), step.text])
    firms = report.firms.get(rid, [])
    total = int(r["eligible"])
    ws.append([])
    ws.append([_t(lang, f"符合的企业（共 {total} 家）", f"Eligible firms ({total} in all)")])
    ws.cell(ws.max_row, 1).font = Font(bold=True)
    if total > len(firms):
        ws.append([_t(lang, f"仅列出输入顺序的前 {len(firms)} 家；完整名单见长表（status = eligible）。",
                      f"Only the first {len(firms)} in input order; the long table (status = eligible) has them all.")])
    _header(ws, [_t(lang, "行号", "row"), _t(lang, "统一社会信用代码", "USCC"), _t(lang, "金额（元）", "amount (yuan)")])
    for firm in firms:
        ws.append([firm.row, xlsx_text(firm.entity_id), firm.amount])
        _money_cells(ws, [3])
    _widths(ws, [12, 48, 14, 14, 14, 14, 14, 60])
