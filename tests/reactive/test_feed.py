"""Change files read as registers are: Chinese headers with units, and the spellings departments
write, recognised by the batch reader before a change row merges into a firm's stored facts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

import eligibility as el
from eligibility.batch.errors import RegisterWarning
from eligibility.reactive import Watcher
from eligibility.reactive.feed import apply_changes

PUER = "91530802MA6K0UPC6M"
HANGZHOU = "91330106MA2H4K7P16"


def _plain(tmp_path: Path) -> Path:
    """The same changes in the schema's own columns and spellings."""
    path = tmp_path / "plain.csv"
    path.write_text(
        "uscc,region_code,industry_code,revenue,employees,total_assets,taxable_income,tax_credit_rating,"
        "vat_taxpayer,dishonest_record,registered_on\n"
        f"{PUER},530802,C30,25000000,180,30000000,800000,A,general,false,2020-03-01\n"
        f"{HANGZHOU},330106,I65,3000000,45,20000000,2000000,B,small_scale,false,2019-07-15\n", encoding="utf-8")
    return path


def _chinese_csv(tmp_path: Path) -> Path:
    path = tmp_path / "变更.csv"
    path.write_text(
        "统一社会信用代码,行政区划代码,行业代码,营业收入（万元）,从业人员（人）,资产总计（万元）,应纳税所得额（元）,"
        "纳税信用等级,纳税人资格,是否失信,成立日期\n"
        f"{PUER.lower()},530802,C30,\"2,500\",１８０,3000,\"800,000元\",A级,一般纳税人,否,2020年3月1日\n"
        f"{HANGZHOU},330106.0,I65,300,45,2000,2000000,B级,小规模纳税人,否,2019/7/15\n", encoding="utf-8")
    return path


def _chinese_xlsx(tmp_path: Path) -> Path:
    path = tmp_path / "变更.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["企业变更信息（2025年6月）"])  # a title row above the header
    ws.append(["统一社会信用代码", "行政区划代码", "行业代码", "营业收入（万元）", "从业人员", "资产总计（万元）",
               "应纳税所得额", "纳税信用级别", "增值税纳税人类型", "是否失信", "成立日期"])
    ws.append([PUER, "530802", "C30", 2500, 180, 3000, 800000, "A", "一般纳税人", "否", date(2020, 3, 1)])
    ws.append([HANGZHOU, 330106, "I65", 300, 45, 2000, 2000000, "B级", "小规模", "否", "2019-07-15"])
    wb.save(path)
    return path


@pytest.mark.parametrize("make", [_chinese_csv, _chinese_xlsx], ids=["csv", "xlsx"])
def test_a_chinese_change_file_reads_as_its_plain_twin(engine: el.Engine, tmp_path: Path, make: object) -> None:
    plain = Watcher(engine, as_of="2025-06-30")
    want = apply_changes(plain, _plain(tmp_path))
    w = Watcher(engine, as_of="2025-06-30")
    if make is _chinese_xlsx:
        with pytest.warns(RegisterWarning, match="header on row 2"):  # the title row is skipped, and said so
            got = apply_changes(w, make(tmp_path))
    else:
        got = apply_changes(w, make(tmp_path))  # type: ignore[operator]
    assert got.problems == [] and got.applied == 2
    assert [ev.key() for ev in got.events] == [ev.key() for ev in want.events] and got.events
    p = w.profile(PUER)
    assert (p.revenue, p.employees, p.total_assets, p.taxable_income) == (
        Decimal(25_000_000), 180, Decimal(30_000_000), Decimal(800_000))
    assert (p.tax_credit_rating, p.vat_taxpayer, p.dishonest_record, p.registered_on) == (
        "A", "general", False, date(2020, 3, 1))
    assert w.profile(HANGZHOU).vat_taxpayer == "small_scale" and w.profile(HANGZHOU).region_code == "330106"
    for uscc in (PUER, HANGZHOU):
        assert w.profile(uscc) == plain.profile(uscc)


def test_a_chinese_change_row_merges_and_clears(engine: el.Engine, tmp_path: Path) -> None:
    """A later file with some columns: only those change; ``[清空]`` clears one."""
    w = Watcher(engine, as_of="2025-06-30")
    apply_changes(w, _chinese_csv(tmp_path))
    later = tmp_path / "第二天.csv"
    later.write_text(f"统一社会信用代码,营业收入（亿元）,纳税信用等级\n{PUER},0.3,[清空]\n", encoding="utf-8")
    result = apply_changes(w, later)
    assert result.problems == [] and result.applied == 1
    p = w.profile(PUER)
    assert p.revenue == Decimal(30_000_000) and p.tax_credit_rating is None and p.employees == 180
