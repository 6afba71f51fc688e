"""Column mappings: headers renamed to profile fields, money units converted exactly, errors naming
file, line and a suggestion."""

from __future__ import annotations

import warnings
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eligibility.errors import RuleSetError, UnknownFieldError
from eligibility.batch import (
    ColumnMapping,
    RegisterError,
    RegisterWarning,
    load_column_mapping,
    read_register,
    scale_money,
)

from registerfile import write_csv


MAPPING = """\
columns:
  统一社会信用代码: uscc
  企业名称: name
  营业收入(万元): {field: revenue, unit: 万元}
  资产总额(亿元): {field: total_assets, unit: 亿元}
  从业人数: employees
ignore: [备注]
"""


def test_mapping_renames_and_converts_units_exactly(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(MAPPING, encoding="utf-8")
    mapping = load_column_mapping(tmp_path / "m.yaml")
    assert mapping.columns["营业收入(万元)"] == "revenue" and mapping.ignore == frozenset({"备注"})
    path = write_csv(tmp_path / "r.csv", ["统一社会信用代码", "企业名称", "营业收入(万元)", "资产总额(亿元)", "从业人数", "备注"], [
        ["X1", "甲", "1234.5678", "0.00000001", "9", "n"],
        ["X2", "乙", "12x3", "1.5", "", ""],
        ["X3", "丙", " 1,234.5 ", "", "3", ""],
        ["X4", "丁", "2500万", "0.000000001", "3", ""],
    ])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RegisterWarning)
        (_, chunk), = list(read_register(path, mapping=tmp_path / "m.yaml"))
    assert list(chunk.columns) == ["uscc", "name", "revenue", "total_assets", "employees"]
    # exact yuan as text (the profile schema reads it as Decimal)
    assert chunk.loc[1, "revenue"] == "12345678"
    assert chunk.loc[1, "total_assets"] == "1"
    assert chunk.loc[2, "revenue"] == "12x3"  # unreadable: left for the engine to report
    assert chunk.loc[2, "total_assets"] == "150000000"
    assert chunk.loc[3, "revenue"] == "12345000" and pd.isna(chunk.loc[3, "total_assets"])
    assert chunk.loc[4, "revenue"] == "2500万"  # carries its own unit
    assert chunk.loc[4, "total_assets"] == "0.1"  # finer than a fen: the engine refuses it
    assert chunk.loc[1, "employees"] == "9"


def test_scale_money_is_exact_for_every_representation() -> None:
    wan = Decimal(10_000)
    assert scale_money("1234.5678", wan) == Decimal(12345678)
    assert scale_money(1234.5678, wan) == Decimal(12345678)  # float read by its repr, not binary value
    assert scale_money(np.float64(0.1), wan) == Decimal(1000)
    assert scale_money(np.int64(7), wan) == Decimal(70000) and scale_money(7, wan) == Decimal(70000)
    assert scale_money(Decimal("0.01"), Decimal(10) ** 8) == Decimal(1000000)
    assert scale_money(None, wan) is None and scale_money(float("nan"), wan) is None
    assert scale_money("  ", wan) is None
    assert scale_money(True, wan) is True and scale_money("abc", wan) == "abc"
    assert scale_money("1e3", wan) == Decimal(10000000)


def mapping_error(tmp_path: Path, text: str) -> RuleSetError:
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleSetError) as info:
        load_column_mapping(path)
    return info.value


def test_mapping_errors_name_file_line_and_suggestion(tmp_path: Path) -> None:
    e = mapping_error(tmp_path, "columns:\n  统一社会信用代码: uscc\n  营业收入: revenu\n")
    (first,) = e.errors
    assert isinstance(first, UnknownFieldError) and first.suggestion == "revenue"
    assert (first.line, first.col) == (3, 9)
    assert f"{tmp_path / 'm.yaml'}:3:9: unknown field 'revenu'; did you mean 'revenue'?" in first.message("en")
    assert "未知字段 'revenu'，是否想写 'revenue'？" in first.message("zh")

    e = mapping_error(tmp_path, "columns:\n  营业收入: {field: revenue, unit: 万}\n  人数: {field: employees, unit: 万元}\n"
                                "  收入2: revenue\n  名称: scenario.loan\n  证书: certifications[].kind\n")
    messages = [x.message("en") for x in e.errors]
    assert len(e.errors) == 4, messages
    assert "m.yaml:2:32: unit '万' is not one of 元, 千元, 万元, 亿元; did you mean '万元'?" in messages[0]
    assert "m.yaml:3:32: only money fields take a unit; 'employees' is" in messages[1]
    assert "m.yaml:4:3: two headers map onto field 'revenue': '营业收入' (line 2) and '收入2'" in messages[2]
    assert "unknown field 'certifications[].kind'" in messages[3]
    assert "两个表头映射到同一字段 'revenue'" in e.errors[2].message("zh")

    e = mapping_error(tmp_path, "colums:\n  a: uscc\n")
    assert any("unknown key 'colums'; did you mean 'columns'?" in x.message("en") for x in e.errors)
    e = mapping_error(tmp_path, "columns:\n  a: uscc\nignore: [a]\n")
    assert "m.yaml:3:10: header 'a' is both mapped and ignored" in e.errors[0].message("en")
    e = mapping_error(tmp_path, "columns: [a, b\n")
    assert "YAML syntax error" in e.errors[0].message("en") and e.errors[0].line is not None


def test_mapped_column_clashing_with_a_field_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", ["营业收入", "revenue"], [["1", "2"]])
    mapping = ColumnMapping({"营业收入": "revenue"}, {}, frozenset())
    with pytest.raises(RegisterError, match="two columns give field 'revenue'"):
        read_register(path, mapping=mapping)
    with pytest.warns(RegisterWarning, match="mapped header"):
        read_register(path, mapping=ColumnMapping({"收入": "revenue"}, {}, frozenset({"营业收入"})))
