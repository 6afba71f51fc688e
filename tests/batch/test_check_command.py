"""``eligibility check``: per column read / unknown / refused with examples, no scoring; strict
problems exit 2 before anything else."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from eligibility.batch.check import check_register
from eligibility.cli import app

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def _write(path: Path) -> Path:
    with open(ROOT / "examples" / "register.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    head, body = rows[0], rows[1:101]
    body[3][head.index("revenue")] = "12x3"
    body[4][head.index("uscc")] = "91530802MA6K00001X"      # fails its check character
    body[5][head.index("registered_on")] = "2019年5月20日"   # a spelling that is read
    body[6][head.index("employees")] = "-"                    # a placeholder: unknown
    head[head.index("revenue")] = "营业收入（千元）"
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([head, *body])
    return path


def test_counts_and_examples(tmp_path: Path) -> None:
    result = check_register(_write(tmp_path / "r.csv"))
    cols = {c.field: c for c in result.columns}
    assert result.rows_read == 100 and result.rows_failed == 1
    rev = cols["revenue"]
    assert rev.header == "营业收入（千元）" and rev.unit == "千元"
    assert rev.refused == 1 and rev.examples[0][0] == 4 and "12x3" in rev.examples[0][1]
    assert rev.read + rev.unknown + rev.refused == 100
    assert cols["uscc"].refused == 1 and cols["uscc"].examples[0][0] == 5
    assert cols["registered_on"].refused == 0
    emp = cols["employees"]
    assert emp.read + emp.unknown == 100 and emp.refused == 0


def test_cli_prints_the_table_and_strict_problems_exit_2(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.csv")
    result = runner.invoke(app, ["check", str(path), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "千元" in result.output and "'12x3'" in result.output  # (the table wraps its cells at 80 columns)
    assert "rows read 100; rows that cannot be scored at all 1" in result.output
    mapping = tmp_path / "m.yaml"
    mapping.write_text("columns:\n  利润总额: taxable_income\n", encoding="utf-8")
    result = runner.invoke(app, ["check", str(path), "--columns", str(mapping), "--lang", "en"])
    assert result.exit_code == 2 and "mapped header(s) not found" in result.output
    result = runner.invoke(app, ["check", str(path), "--columns", str(mapping), "--lenient", "--lang", "en"])
    assert result.exit_code == 0 and "mapped header(s) not found" in result.output
