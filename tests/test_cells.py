"""Formula injection (issue "hardening", row 1): no live formula in any file we write.

Before the fix a register cell ``=HYPERLINK(...)`` / ``=1+1`` and a rule title ``=1+2`` were written
as formulas into the scored .xlsx, the summary .xlsx and the report .xlsx, and unescaped into CSV.
Each file is read back: with openpyxl (no cell of type formula) and with the csv module.
"""

from __future__ import annotations

import csv
import textwrap
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import eligibility as el
from eligibility._cells import csv_safe
from eligibility.batch import open_writer, write_summary
from eligibility.report.batch import batch_report
from ruletext import DOCUMENT, rule_yaml

AS_OF = date(2024, 6, 30)
VALID = "91350100M000100Y43"
HOSTILE = ['=HYPERLINK("http://example.invalid","x")', "=1+1", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> el.Engine:
    path = tmp_path_factory.mktemp("rules") / "r.yaml"
    rule = rule_yaml("t.cells", "'revenue > 0'", "1万").replace("zh: 测试规则", "zh: '=1+2'")
    path.write_text(DOCUMENT.format(jurisdiction="{code: national, name: 全国}") + textwrap.indent(rule, "  "),
                    encoding="utf-8")
    return el.Engine(el.load_rules(path))


@pytest.fixture(scope="module")
def register() -> pd.DataFrame:
    return pd.DataFrame({"uscc": [VALID, *HOSTILE], "revenue": ["5", *HOSTILE]})


def formulas(path: Path) -> list[str]:
    wb = openpyxl.load_workbook(path)
    return [f"{ws.title}!{c.coordinate}" for ws in wb.worksheets for row in ws.iter_rows() for c in row
            if c.data_type == "f"]


def texts(path: Path) -> list[str]:
    wb = openpyxl.load_workbook(path)
    return [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


def test_csv_safe_follows_the_owasp_rule() -> None:
    assert [csv_safe(t) for t in HOSTILE] == ["'" + t for t in HOSTILE]
    assert csv_safe(VALID) == VALID and csv_safe("营业收入") == "营业收入" and csv_safe("") == ""


@pytest.mark.parametrize("wide", [False, True])
def test_scored_xlsx_has_no_formula_and_keeps_the_text(tmp_path: Path, engine: el.Engine,
                                                       register: pd.DataFrame, wide: bool) -> None:
    scored = engine.score(register, AS_OF, wide=wide)
    path = tmp_path / "out.xlsx"
    with open_writer(path, wide, metadata={"note": "=1+1"}) as writer:
        writer.write(scored)
    assert formulas(path) == []
    assert set(HOSTILE[:5]) <= set(texts(path))


def test_scored_csv_escapes_text_but_not_amounts(tmp_path: Path, engine: el.Engine, register: pd.DataFrame) -> None:
    path = tmp_path / "out.csv"
    with open_writer(path) as writer:
        writer.write(engine.score(register, AS_OF))
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    ids = [r["entity_id"] for r in rows]
    assert ids[0] == VALID and ids[1:] == ["'" + t.strip() if t.strip() else t for t in HOSTILE][:len(ids) - 1]
    assert all(not (r[c] or " ")[0] in "=+-@\t\r" for r in rows for c in ("entity_id", "reason", "rule_id"))
    assert rows[0]["amount"] == "10000.00"


def test_summary_xlsx_and_csv_escape_a_rule_title(tmp_path: Path, engine: el.Engine, register: pd.DataFrame) -> None:
    summary = engine.summarize(engine.score(register, AS_OF))
    write_summary(summary, tmp_path / "s.xlsx")
    write_summary(summary, tmp_path / "s.csv")
    assert formulas(tmp_path / "s.xlsx") == [] and "=1+2" in texts(tmp_path / "s.xlsx")
    rows = list(csv.DictReader((tmp_path / "s.csv").open(encoding="utf-8", newline="")))
    assert rows[0]["title"] == "'=1+2"


def test_report_xlsx_has_no_formula(tmp_path: Path, engine: el.Engine, register: pd.DataFrame) -> None:
    scored = engine.score(register, AS_OF)
    path = batch_report(scored, register, engine, AS_OF).write(tmp_path / "report.xlsx", "zh")
    assert formulas(path) == [] and "=1+2" in texts(path)
