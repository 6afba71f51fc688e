"""Excel as it is: header row found, title/total/notes rows skipped and reported, sheets chosen,
formula cells without value and merged cells reported."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from eligibility.batch.excel import cell_ref, find_header, row_kind, select_sheets
from eligibility.batch import RegisterError, read_register

HEAD = ["统一社会信用代码", "企业名称", "行政区划代码", "营业收入（万元）", "成立日期"]


def _sheet(ws: openpyxl.worksheet.worksheet.Worksheet, n: int, title: bool = True) -> None:
    if title:
        ws.append(["2024年规模以上工业企业名录"])
        ws.merge_cells("A1:E1")
        ws.append(["填报单位：思茅区统计局"])
    ws.append(HEAD)
    for i in range(n):
        ws.append([f"9153080200000000{i:02d}", f"企业{i}", 530802.0, 12.5 + i, datetime(2019, 5, 20)])
    ws.append(["合计", None, None, 100, None])
    ws.append(["注：金额单位为万元"])


def test_title_rows_total_and_notes_skipped_and_reported(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    _sheet(wb.active, 3)
    wb.active["D5"] = "=D4*2"   # a formula written by a program: no cached value
    path = tmp_path / "r.xlsx"
    wb.save(path)
    reader = read_register(path)
    (_, chunk), = list(reader)
    assert list(chunk.columns) == ["uscc", "name", "region_code", "revenue", "registered_on"]
    assert list(chunk.index) == [1, 2, 3]  # row N: sheet row header + N
    assert chunk["region_code"].tolist() == ["530802"] * 3
    assert chunk.loc[1, "revenue"] == "125000" and pd.isna(chunk.loc[2, "revenue"])
    (report,) = reader.sheet_reports
    assert report.header_row == 3 and report.title_rows == [1, 2]
    assert report.total_rows == [7] and report.note_rows == [8]
    assert report.formula_cells == ["D5"] and report.merged_cells == []
    text = "\n".join(en for _, en in reader.warnings)
    assert "header on row 3" in text and "total row(s) skipped: rows 7" in text
    assert "1 formula cell(s) have no computed value" in text and "D5" in text
    assert [r.describe() for r in reader.recognised][3] == "营业收入（万元） → revenue (万元)"


def test_merged_cells_below_the_header_are_reported(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    _sheet(wb.active, 3, title=False)
    wb.active.merge_cells("B2:B3")
    path = tmp_path / "r.xlsx"
    wb.save(path)
    reader = read_register(path)
    list(reader)
    assert reader.sheet_reports[0].merged_cells == ["B2:B3"]
    assert any("merged cell range" in en and "B2:B3" in en for _, en in reader.warnings)


def test_sheets_by_number_name_and_all(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active.append(["本文件为2024年名录"])
    _sheet(wb.create_sheet("思茅区"), 2)
    _sheet(wb.create_sheet("宁洱县"), 3, title=False)
    path = tmp_path / "r.xlsx"
    wb.save(path)
    assert sum(len(c) for _, c in read_register(path, sheet=2)) == 2
    assert sum(len(c) for _, c in read_register(path, sheet="宁洱县")) == 3
    reader = read_register(path, sheet="all")
    chunks = list(reader)
    assert any("说明 have no recognised header" in en for _, en in reader.warnings)
    assert [(c.attrs["sheet"], list(c.index)) for _, c in chunks if len(c)] == [("思茅区", [1, 2]), ("宁洱县", [1, 2, 3])]
    with pytest.raises(RegisterError) as e:
        read_register(path, sheet=9)
    assert "no sheet 9" in e.value.en and "思茅区" in e.value.en


def test_select_sheets_and_helpers() -> None:
    names = ["a", "b"]
    assert select_sheets(names, None) == ["a"] and select_sheets(names, "2") == ["b"] and select_sheets(names, "ALL") == names
    assert cell_ref(0, 0) == "A1" and cell_ref(9, 27) == "AB10"
    assert row_kind(["合计", None, 3]) == "total" and row_kind([None, ""]) == "blank"
    assert row_kind(["注：单位万元"]) == "note" and row_kind(["注册资本", 3, 4]) is None
    rows = [["名录"], ["", ""], ["统一社会信用代码", "企业名称", "x"], ["9153", "甲", 1]]
    assert find_header(rows, lambda t: t in ("统一社会信用代码", "企业名称")) == 2


def test_xls_is_an_input_format(tmp_path: Path) -> None:
    path = tmp_path / "r.xls"
    path.write_bytes(b"not a workbook")
    with pytest.raises(RegisterError) as e:
        read_register(path)
    assert "unsupported" not in e.value.en and "cannot read the register" in e.value.en
