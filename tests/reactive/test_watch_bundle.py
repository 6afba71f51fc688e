"""`eligibility watch` takes a bundle as its change file: the register with department lists joined by
USCC, their coverage kept in the stored facts; a bundle whose list changed is a new batch."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from eligibility.cli import app
from eligibility.facts.codes import check_character
from eligibility.store import SQLiteStore


def _uscc(body17: str) -> str:
    return body17 + check_character(body17)


A, B = _uscc("91530802MA6K0X1T2"), _uscc("91530802MA6K0X1T3")
MANIFEST = """bundle: 测试 2024
files:
  - path: register.csv
    kind: register
  - path: specialised.csv
    kind: certifications
    coverage: {regions: ["530802"], period: {from: 2024-01-01, to: 2024-12-31}, complete: true,
               kinds: [specialised_sme], levels: [municipal]}
"""


def test_a_bundle_is_a_change_file(tmp_path: Path) -> None:
    (tmp_path / "register.csv").write_text(f"统一社会信用代码,企业名称,行政区划代码\n{A},甲,530802\n{B},乙,530802\n",
                                           encoding="utf-8")
    listed = tmp_path / "specialised.csv"
    listed.write_text(f"统一社会信用代码,级别,认定日期\n{A},市级,2024年5月20日\n", encoding="utf-8")
    (tmp_path / "bundle.yaml").write_text(MANIFEST, encoding="utf-8")
    store, runner = tmp_path / "watch.sqlite", CliRunner()

    def watch(out: str) -> pd.DataFrame:
        result = runner.invoke(app, ["watch", str(tmp_path / "bundle.yaml"), "--state", str(store), "--as-of",
                                     "2024-12-31", "-o", str(tmp_path / out)])
        assert result.exit_code == 0, result.output
        return pd.read_csv(tmp_path / out, dtype=str)

    first = watch("e1.csv")
    mine = first[first["rule_id"] == "puer.specialised-municipal"]
    assert set(mine["entity_id"]) == {A} and set(mine["kind"]) == {"newly_eligible"}
    s = SQLiteStore(store)
    try:
        state = s.load()
    finally:
        s.close()
    at = state.firms[B]  # held as a row of the batch: its facts are the segment's f.* columns
    facts = {k[2:]: v for k, v in state.segments[at.segment].slice(at.row, 1).to_pylist()[0].items()
             if k.startswith("f.")}
    assert facts["certifications_listed"] == []
    assert facts["certification_coverage"][0]["source"] == "测试 2024 specialised"

    listed.write_text(f"统一社会信用代码,级别,认定日期\n{A},市级,2024年5月20日\n{B},市级,2024-06-01\n", encoding="utf-8")
    second = watch("e2.csv")  # the manifest is unchanged, its list is not: a new batch
    mine = second[second["rule_id"] == "puer.specialised-municipal"]
    assert set(mine["entity_id"]) == {B} and set(mine["kind"]) == {"newly_eligible"}
