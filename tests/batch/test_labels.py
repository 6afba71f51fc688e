"""Output files for people: labelled headers and outcome words (CSV, Excel), the codes kept on the
Excel file's second sheet and in Parquet, a BOM for spreadsheet users, frozen headers and column
widths; the firm's name and kept input columns carried through CSV, Parquet and Excel registers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest

from eligibility.batch import LONG_COLUMNS, Labels, RegisterError, open_writer, read_register, score_file

ROOT = Path(__file__).resolve().parents[2]
REGISTER = ROOT / "examples" / "register.csv"
AS_OF = date(2024, 6, 30)
TITLES = {"r1": "小微企业所得税优惠", "r2": "Tax relief"}


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "row": [1, 2, 3], "entity_id": ["A", "B", None], "name": ["甲公司", "乙公司", None],
        "rule_id": ["r1", "r2", None], "status": ["eligible", "superseded", "error"],
        "amount": [Decimal("1.50"), None, None], "amount_kind": ["up_to", "exact", None],
        "superseded_by": [None, "r1", None], "missing": [["employees"], [], []], "failed": [None, None, None],
        "reason": [None, None, "bad | 坏"],
    })


def test_labelled_csv_has_words_titles_and_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    with open_writer(path, labels=Labels("zh", TITLES), bom=True) as w:
        w.write(_frame())
    assert path.read_bytes()[:3] == b"\xef\xbb\xbf"
    back = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(back.columns[:7]) == ["行号", "统一社会信用代码", "企业名称", "政策编号", "政策名称", "判定结果", "金额（元）"]
    assert back["判定结果"].tolist() == ["符合", "被取代", "出错"]
    assert back["政策名称"].tolist() == ["小微企业所得税优惠", "Tax relief", ""]
    assert back["被以下政策取代"].tolist() == ["", "小微企业所得税优惠", ""]
    assert back["金额性质"].tolist() == ["最高金额（上限）", "", ""]  # no kind where there is no amount
    assert back["缺少的数据"].tolist()[0] == "从业人员"
    assert back["金额（元）"].tolist()[0] == "1.50"
    assert back["出错原因"].tolist() == ["", "", "坏"]  # the Chinese side of "en | zh"


def test_english_labels_and_default_csv_keeps_the_codes(tmp_path: Path) -> None:
    with open_writer(tmp_path / "en.csv", labels=Labels("en", TITLES)) as w:
        w.write(_frame())
    en = pd.read_csv(tmp_path / "en.csv", dtype=str, keep_default_na=False)
    assert "outcome" in en.columns and en["outcome"].tolist() == ["eligible", "superseded", "error"]
    assert en["measure"].tolist()[:2] == ["小微企业所得税优惠", "Tax relief"]
    assert en["error reason"].tolist()[2] == "bad"
    assert (tmp_path / "en.csv").read_bytes()[:3] != b"\xef\xbb\xbf"
    with open_writer(tmp_path / "codes.csv") as w:
        w.write(_frame())
    codes = pd.read_csv(tmp_path / "codes.csv", dtype=str, keep_default_na=False)
    assert list(codes.columns) == [*LONG_COLUMNS[:2], "name", *LONG_COLUMNS[2:]]
    assert codes["status"].tolist() == ["eligible", "superseded", "error"]


def test_xlsx_labelled_sheet_then_codes_sheet_frozen_and_sized(tmp_path: Path) -> None:
    path = tmp_path / "o.xlsx"
    with open_writer(path, labels=Labels("zh", TITLES)) as w:
        w.write(_frame())
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:2] == ["结果", "scored"]
    people, codes = wb["结果"], wb["scored"]
    assert [c.value for c in people[1]][:6] == ["行号", "统一社会信用代码", "企业名称", "政策编号", "政策名称", "判定结果"]
    assert [c.value for c in people[2]][5] == "符合" and people["G2"].value == 1.5 and people["G2"].number_format == "0.00"
    assert [c.value for c in codes[1]] == [*LONG_COLUMNS[:2], "name", *LONG_COLUMNS[2:]]
    assert [c.value for c in codes[2]][4] == "eligible"
    for sheet in (people, codes):
        assert sheet.freeze_panes == "A2"
        widths = {k: v.width for k, v in sheet.column_dimensions.items()}
        assert widths["B"] >= 18 and widths["A"] < widths["B"]  # a USCC fits; the row number is narrow
    assert people.column_dimensions["E"].width >= 30  # the rule title


def test_parquet_refuses_labels_and_a_bom(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="Parquet"):
        open_writer(tmp_path / "o.parquet", labels=Labels("zh"))
    with pytest.raises(ValueError, match="CSV"):
        open_writer(tmp_path / "o.xlsx", bom=True)
    with pytest.raises(ValueError):
        Labels("fr")


def test_wide_headers_use_rule_titles(tmp_path: Path) -> None:
    labels = Labels("zh", {"r1": "甲政策", "r2": "甲政策"})
    assert labels.headers(["row", "r1.status", "r2.amount", "备注"]) == ["行号", "甲政策：判定结果", "甲政策：金额（元）", "备注"]
    assert labels.headers(["r1.status", "r2.status"]) == ["甲政策：判定结果 [r1.status]", "甲政策：判定结果 [r2.status]"]


def test_titles_and_kept_headers_never_become_formulas(tmp_path: Path) -> None:
    frame = _frame().rename(columns={"name": "=HYPERLINK(1)"})
    with open_writer(tmp_path / "o.csv", labels=Labels("zh", {"r1": "=1+2", "r2": "ok"})) as w:
        w.write(frame)
    header, first = (tmp_path / "o.csv").read_text(encoding="utf-8").splitlines()[:2]
    assert header.split(",")[2] == "'=HYPERLINK(1)" and "'=1+2" in first


def _register(tmp_path: Path, rows: int = 40) -> pd.DataFrame:
    frame = pd.read_csv(REGISTER, dtype=str, keep_default_na=False).head(rows)
    frame = frame.rename(columns={"name": "纳税人名称"})  # the name under a header departments write
    frame["备注"] = [f"备注{i}" for i in range(1, rows + 1)]
    frame["经营地址"] = [f"地址{i}" for i in range(1, rows + 1)]
    return frame


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_name_and_kept_columns_are_carried_by_row(engine, tmp_path: Path, suffix: str) -> None:  # type: ignore[no-untyped-def]
    frame = _register(tmp_path)
    source = tmp_path / f"reg{suffix}"
    if suffix == ".csv":
        frame.to_csv(source, index=False)
    elif suffix == ".parquet":
        frame.to_parquet(source, index=False)
    else:
        frame.replace("", None).to_excel(source, index=False)
    reader = read_register(source, chunk_size=7, keep=["经营地址", "备注"])
    assert reader.carried == ["name", "经营地址", "备注"]
    for out in ("o.parquet", "o.csv"):
        score_file(engine, reader if out == "o.parquet" else read_register(source, 7, keep=["经营地址", "备注"]),
                   tmp_path / out, AS_OF)
    table = pq.read_table(tmp_path / "o.parquet").to_pandas()
    back = pd.read_csv(tmp_path / "o.csv", dtype=str)
    for got in (table, back):
        assert list(got.columns[:5]) == ["row", "entity_id", "name", "经营地址", "备注"]
        rows = got["row"].astype(int)
        assert (got["name"] == frame["纳税人名称"].to_numpy()[rows - 1]).all()
        assert (got["备注"] == [f"备注{r}" for r in rows]).all()
        assert (got["经营地址"] == [f"地址{r}" for r in rows]).all()
        assert set(rows) <= set(range(1, 41)) and len(set(rows)) > 10
    wide = tmp_path / "w.csv"
    score_file(engine, read_register(source, 9, keep=["备注"]), wide, AS_OF, wide=True)
    w = pd.read_csv(wide, dtype=str)
    assert list(w.columns[:4]) == ["row", "entity_id", "name", "备注"] and len(w) == 40
    assert (w["备注"] == [f"备注{r}" for r in w["row"].astype(int)]).all()


def test_kept_column_not_in_the_file_names_it_and_the_columns(tmp_path: Path) -> None:
    source = tmp_path / "reg.csv"
    _register(tmp_path, 3).to_csv(source, index=False)
    with pytest.raises(RegisterError) as exc:
        read_register(source, keep=["经营范围"])
    assert "经营范围" in exc.value.message("zh") and "经营地址" in exc.value.message("zh")
    assert "'经营范围' is not in the file" in exc.value.message("en") and "备注" in exc.value.message("en")
    with pytest.raises(RegisterError, match="output column"):
        (tmp_path / "s.csv").write_text("uscc,status\n91152921DGPKY69HN4,x\n", encoding="utf-8")
        read_register(tmp_path / "s.csv", keep=["status"])


def test_malformed_rows_keep_their_place_without_carried_values(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lines = REGISTER.read_text(encoding="utf-8").splitlines()[:6]
    lines.insert(3, "x,y,z")  # data row 3: cannot be split into columns
    source = tmp_path / "bad.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    score_file(engine, read_register(source, 2), tmp_path / "o.csv", AS_OF)
    back = pd.read_csv(tmp_path / "o.csv", dtype=str)
    bad = back[back["row"] == "3"]
    assert len(bad) == 1 and bad["status"].iloc[0] == "error" and bad["name"].isna().all()
    names = {str(i): line.split(",")[1] for i, line in enumerate(lines[1:], start=1) if i != 3}
    others = back[back["row"] != "3"]
    assert len(others) and (others["name"] == others["row"].map(names)).all()
