"""``eligibility score`` files for people: --labels, --excel (CSV with a BOM), .xlsx with labels and
a codes sheet, the firm's name carried and --keep; opened back as a user would (pandas, openpyxl)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from eligibility.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]
SCORE = ["-r", "examples", "--as-of", "2024-06-30"]
LONG = ["row", "entity_id", "name", "rule_id", "status", "amount", "amount_kind", "superseded_by", "missing",
        "failed", "reason", "duplicate_of"]
BOM = b"\xef\xbb\xbf"


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60 firms of the example register, named under 企业名称, with an address column."""
    frame = pd.read_csv(ROOT / "examples" / "register.csv", dtype=str, keep_default_na=False).head(60)
    frame = frame.rename(columns={"name": "企业名称"})
    frame.insert(2, "经营地址", [f"思茅区{i}号" for i in range(1, 61)])
    path = tmp_path_factory.mktemp("reg") / "reg.csv"
    frame.to_csv(path, index=False)
    return path


def _score(register: Path, out: Path, *extra: str) -> str:
    result = runner.invoke(app, ["score", str(register), "-o", str(out), *SCORE, *extra])
    assert result.exit_code == 0, result.output
    return result.output


def test_default_csv_keeps_the_codes_with_the_name_carried(register: Path, tmp_path: Path) -> None:
    out = tmp_path / "o.csv"
    _score(register, out)
    assert out.read_bytes()[:3] != BOM and (tmp_path / "o.summary.csv").read_bytes()[:3] != BOM
    back = pd.read_csv(out, dtype=str)
    assert list(back.columns) == LONG
    assert set(back["status"]) <= {"eligible", "ineligible", "undetermined", "superseded", "error"}
    assert back["name"].str.startswith("示例").all()


def test_excel_csv_has_a_bom_and_labels_in_the_lang(register: Path, tmp_path: Path) -> None:
    out = tmp_path / "o.csv"
    _score(register, out, "--excel", "--keep", "经营地址")
    raw = out.read_bytes()
    assert (tmp_path / "o.summary.csv").read_bytes()[:3] == BOM  # the summary beside it opens in Excel too
    assert raw[:3] == BOM and raw[3:].decode("utf-8").startswith("行号,统一社会信用代码,企业名称,经营地址,政策编号,政策名称,判定结果")
    back = pd.read_csv(out, encoding="utf-8-sig", dtype=str)
    assert set(back["判定结果"]) <= {"符合", "不符合", "待定", "被取代", "出错"} and "不符合" in set(back["判定结果"])
    assert (back["经营地址"] == "思茅区" + back["行号"] + "号").all()
    assert not back["政策名称"].str.contains(r"^examples\.").any()

    en = tmp_path / "en.csv"
    _score(register, en, "--excel", "--lang", "en")
    assert pd.read_csv(en, encoding="utf-8-sig", dtype=str).columns[5] == "outcome"
    codes = tmp_path / "codes.csv"
    _score(register, codes, "--excel", "--labels", "codes")
    assert codes.read_bytes()[:3] == BOM
    assert list(pd.read_csv(codes, encoding="utf-8-sig", dtype=str).columns) == LONG


def test_labels_opt_in_for_plain_csv(register: Path, tmp_path: Path) -> None:
    out = tmp_path / "o.csv"
    _score(register, out, "--labels", "en")
    back = pd.read_csv(out, dtype=str)
    assert list(back.columns[:6]) == ["row", "USCC", "firm name", "rule id", "measure", "outcome"]
    assert "not eligible" in set(back["outcome"]) and out.read_bytes()[:3] != BOM


def test_xlsx_labels_in_the_lang_and_codes_on_the_second_sheet(register: Path, tmp_path: Path) -> None:
    out = tmp_path / "o.xlsx"
    _score(register, out, "--lang", "en", "--keep", "经营地址")
    wb = openpyxl.load_workbook(out, read_only=True)
    assert wb.sheetnames[:2] == ["results", "scored"]
    people = list(wb["results"].iter_rows(values_only=True))
    codes = list(wb["scored"].iter_rows(values_only=True))
    assert people[0][:7] == ("row", "USCC", "firm name", "经营地址", "rule id", "measure", "outcome")
    assert codes[0] == (*LONG[:3], "经营地址", *LONG[3:])
    assert len(people) == len(codes) > 20
    words = {"eligible": "eligible", "ineligible": "not eligible", "undetermined": "undetermined",
             "superseded": "superseded", "error": "error"}
    assert all(words[c[5]] == p[6] for p, c in zip(people[1:], codes[1:], strict=True))
    wb.close()
    sheet = openpyxl.load_workbook(out)["results"]
    assert sheet.freeze_panes == "A2" and sheet.column_dimensions["F"].width >= 30

    zh = tmp_path / "zh.xlsx"
    _score(register, zh)
    assert openpyxl.load_workbook(zh, read_only=True).sheetnames[:2] == ["结果", "scored"]
    only_codes = tmp_path / "codes.xlsx"
    _score(register, only_codes, "--labels", "codes")
    assert openpyxl.load_workbook(only_codes, read_only=True).sheetnames[0] == "scored"


@pytest.mark.parametrize(("out", "extra", "words"), [
    ("o.parquet", ["--labels", "zh"], "Parquet"),
    ("o.xlsx", ["--excel"], "--excel"),
    ("o.csv", ["--labels", "fr"], "--labels"),
    ("o.csv", ["--keep", "经营地址,经营范围"], "经营范围"),
])
def test_bad_combinations_exit_2(register: Path, tmp_path: Path, out: str, extra: list[str], words: str) -> None:
    result = runner.invoke(app, ["score", str(register), "-o", str(tmp_path / out), *SCORE, *extra])
    assert result.exit_code == 2 and words in result.output, result.output
    assert not (tmp_path / out).exists()


def test_unknown_kept_column_lists_the_columns_present(register: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["score", str(register), "-o", str(tmp_path / "o.csv"), *SCORE, "--lang", "en",
                                 "--keep", "经营范围"])
    assert result.exit_code == 2
    assert "'经营范围' is not in the file" in result.output and "企业名称" in result.output and "经营地址" in result.output


def test_help_says_what_excel_and_keep_are_for() -> None:
    result = runner.invoke(app, ["score", "--help"], terminal_width=200)
    text = " ".join(result.output.split())
    assert "--excel" in text and "BOM" in text and "Chinese Windows" in text and "中文 Windows" in text
    assert "--keep" in text and "--labels" in text and "codes" in text
