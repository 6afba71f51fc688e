"""The ``eligibility`` command, run as a user would (through typer's runner)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import eligibility as el
from eligibility.cli import app

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()
PROFILE = ROOT / "examples" / "profiles" / "puer-manufacturer.yaml"


def test_match_explains_in_chinese() -> None:
    result = runner.invoke(app, ["match", str(PROFILE), "--rules", "examples", "--as-of", "2024-06-30"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "【符合】新建投产纳规工业企业一次性补助" in out
    assert "入库日期 2024-03-01，在2024年内" in out  # condition, value, threshold
    assert "✗ 新建投产纳规：是，应为 否" in out  # the failing condition of the 小升规 rule
    assert "依据：《普洱市促进民营经济发展、助企纾困若干措施》二(五)：“对新建投产纳规的工业企业" in out
    assert "被「新评定国家级专精特新“小巨人”企业补助」取代" in out
    assert "examples.puer." not in out  # titles, never ids


def test_match_json_and_english() -> None:
    result = runner.invoke(app, ["match", str(PROFILE), "-r", "examples", "--as-of", "2024-06-30", "-f", "json",
                                 "--lang", "en"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    statuses = {r["rule_id"]: r["status"] for r in data["results"]}
    assert statuses["examples.puer.new-industrial"] == "eligible"
    assert data["total"] == "800000.00"
    assert data["results"][0]["citation"]["clause"] == "二(五)"


def test_match_bad_profile_names_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"uscc": "9144030071526726XA", "revenu": 5}), encoding="utf-8")
    result = runner.invoke(app, ["match", str(bad), "-r", "examples", "--lang", "en"])
    assert result.exit_code == 2
    assert "uscc" in result.output and "did you mean 'revenue'" in result.output


def test_lint_reports_misspelt_field_with_line_and_suggestion(tmp_path: Path) -> None:
    text = (ROOT / "src/eligibility/rules/examples/puer-demo.yaml").read_text(encoding="utf-8")
    text = "\n".join(ln for ln in text.splitlines() if not ln.startswith("  source: ../")) + "\n"  # no shipped text here
    broken = text.replace("      - is_industrial\n      - expr:", "      - is_industral\n      - expr:", 1)
    assert broken != text
    path = tmp_path / "broken.yaml"
    path.write_text(broken, encoding="utf-8")
    line = next(i for i, ln in enumerate(broken.splitlines(), 1) if "is_industral" in ln)
    result = runner.invoke(app, ["lint", str(path)])
    assert result.exit_code == 1
    assert f"broken.yaml:{line}:9" in result.output
    assert "是否想写 'is_industrial'" in result.output and "did you mean 'is_industrial'" not in result.output
    en = runner.invoke(app, ["lint", str(path), "--lang", "en", "--format", "json"])
    findings = json.loads(en.output)
    assert findings[0]["line"] == line and "did you mean 'is_industrial'" in findings[0]["message"]


def test_lint_ok_and_rule_tests_pass() -> None:
    assert runner.invoke(app, ["lint", "examples"]).exit_code == 0
    result = runner.invoke(app, ["test", "examples"])
    assert result.exit_code == 0, result.output
    n = sum(len(r.tests) for r in el.load_rules("examples").rules)
    assert n >= 20 and f"{n} passed, 0 failed" in result.output


def test_rules_commands() -> None:
    listed = runner.invoke(app, ["rules", "list", "--rules", "examples"])
    assert listed.exit_code == 0 and "examples.puer.new-industrial" in listed.output
    shown = runner.invoke(app, ["rules", "show", "examples.puer.new-industrial", "-r", "examples"])
    assert shown.exit_code == 0 and "in_year(registers.above_scale_industrial.entered_on)" in shown.output
    missing = runner.invoke(app, ["rules", "show", "examples.puer.new-industral", "-r", "examples", "--lang", "en"])
    assert missing.exit_code == 2 and "did you mean 'examples.puer.new-industrial'" in missing.output
    schema = json.loads(runner.invoke(app, ["rules", "schema"]).output)
    assert schema["properties"]["rules"]["type"] == "array" and "Condition" in schema["$defs"]
    profile_schema = json.loads(runner.invoke(app, ["profile", "schema"]).output)
    assert "revenue" in profile_schema["properties"]


def test_score_does_not_read_rule_tests_but_test_reports_them(tmp_path: Path) -> None:
    """A broken tests file beside a rule file stops `eligibility test`, not the scoring of a register."""
    import shutil

    shutil.copytree(ROOT / "src" / "eligibility" / "rules", tmp_path / "packs")  # sources beside the packs
    rules = tmp_path / "packs" / "examples"
    (rules / "tengger-demo.tests.yaml").write_text("tests: [unclosed\n", encoding="utf-8")
    register = tmp_path / "reg.csv"
    register.write_text("uscc,region_code\n9144030071526726XG,530802\n", encoding="utf-8")
    scored = runner.invoke(app, ["score", str(register), "-o", str(tmp_path / "o.csv"), "-r", str(rules),
                                 "--as-of", "2024-06-30"])
    assert scored.exit_code == 0, scored.output
    tested = runner.invoke(app, ["test", str(rules)])
    assert tested.exit_code != 0 and "tengger-demo.tests.yaml" in tested.output


def test_score_accounts_for_every_row(tmp_path: Path) -> None:
    register = tmp_path / "reg.csv"
    register.write_text(
        "uscc,region_code,industry_code,registers.above_scale_industrial,registers.above_scale_industrial.entered_on,"
        "registers.above_scale_industrial.new_build\n"
        "9144030071526726XG,530802,C3011,true,2024-03-01,true\n"
        "9144030071526726XA,530802,C3011,,,\n"  # bad check character
        "91130600738737199K,110105,C3011,,,\n",  # no rule in scope (Beijing)
        encoding="utf-8")
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["score", str(register), "-o", str(out), "-r", "examples", "--as-of", "2024-06-30"])
    assert result.exit_code == 0, result.output
    assert "读入 3 行 = 已评估 1 + 出错 1 + 无适用政策 1" in result.output
    import pandas as pd

    scored = pd.read_csv(out)
    error = scored[scored["status"] == "error"].iloc[0]
    assert error["row"] == 2 and "check" in error["reason"]
    eligible = scored[(scored["row"] == 1) & (scored["rule_id"] == "examples.puer.new-industrial")].iloc[0]
    assert eligible["status"] == "eligible" and eligible["amount"] == 500000.0
    assert (tmp_path / "out.summary.csv").exists()


def test_the_readme_main_job_runs(tmp_path: Path) -> None:
    """The README's first set-up command scores the example register with the bundled packs: the
    command as the README writes it (output sent to a temporary folder), every row accounted for."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    line = next(ln for ln in readme.splitlines() if "eligibility score examples/register.csv" in ln)
    args = line.split("&& eligibility ", 1)[1].split()
    register = Path(__file__).resolve().parents[1] / args[1]
    out = tmp_path / "register.scored.csv"
    result = runner.invoke(app, [args[0], str(register), *args[2:], "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "读入 2400 行 = 已评估 2400 + 出错 0 + 无适用政策 0" in result.output
    assert out.exists() and (tmp_path / "register.scored.summary.csv").exists()


# -- eligibility score: streaming batch scoring -------------------------------------------------

REGISTER = ROOT / "examples" / "register.csv"
SCORE = ["-r", "examples", "--as-of", "2024-06-30"]
LONG = ["row", "entity_id", "rule_id", "status", "amount", "amount_kind", "superseded_by", "missing", "failed",
        "reason", "duplicate_of"]


def _register(limit: int | None = None) -> tuple[list[str], list[list[str]]]:
    import csv

    with open(REGISTER, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:] if limit is None else rows[1:limit + 1]


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    import csv

    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    return path


def _text(value: object, column: str) -> str | None:
    """One cell of any output format as text, so that formats compare."""
    from decimal import Decimal

    if value is None or value == "" or value != value:  # noqa: PLR0124 - NaN
        return None
    if column == "amount" or column.endswith(".amount"):
        return f"{Decimal(str(value)):.2f}"
    if column == "missing" and not isinstance(value, str):
        return ";".join(value) or None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _table(path: Path) -> list[tuple[str | None, ...]]:
    """An output file (.csv, .parquet or .xlsx: its codes sheet) as rows of text, in the normative columns."""
    if path.suffix == ".csv":
        import csv

        with open(path, encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        header, body = rows[0], rows[1:]
    elif path.suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        header, body = table.column_names, [list(r.values()) for r in table.to_pylist()]
    else:
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True)
        rows = [list(r) for r in wb["scored"].iter_rows(values_only=True)]  # the codes sheet
        wb.close()
        header = [str(h) for h in rows[0]]
        body = [r + [None] * (len(header) - len(r)) for r in rows[1:]]  # trailing empty cells are not stored
    keep = [i for i, c in enumerate(header) if c != "name"]  # the normative columns (the firm's name is carried)
    return [tuple(_text(r[i], header[i]) for i in keep) for r in body]


def _header(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()[0].split(",")


def test_score_round_trips_between_csv_parquet_and_excel(tmp_path: Path) -> None:
    import openpyxl
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    header, rows = _register(600)
    source = _write_csv(tmp_path / "reg.csv", header, rows)
    outputs = {}
    for suffix in (".csv", ".parquet", ".xlsx"):
        target = tmp_path / f"out{suffix}"
        result = runner.invoke(app, ["score", str(source), "-o", str(target), *SCORE])
        assert result.exit_code == 0, result.output
        assert "读入 600 行" in result.output
        outputs[suffix] = _table(target)
    assert outputs[".csv"] == outputs[".parquet"] == outputs[".xlsx"]
    assert len(outputs[".csv"]) > 500 and {r[3] for r in outputs[".csv"]} >= {"eligible", "ineligible", "undetermined"}
    assert (tmp_path / "out.summary.xlsx").exists() and not (tmp_path / "out.summary.parquet").exists()
    assert _header(tmp_path / "out.csv") == [*LONG[:2], "name", *LONG[2:]]  # the register's names carried
    assert pq.read_schema(tmp_path / "out.parquet").field("amount").type == pa.decimal128(18, 2)

    # the same register given as Parquet (text columns) and as an Excel sheet scores the same
    as_text = pacsv.ConvertOptions(column_types={h: pa.string() for h in header})
    pq.write_table(pacsv.read_csv(source, convert_options=as_text), tmp_path / "reg.parquet")
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("register")
    ws.append(header)
    for r in rows:
        ws.append([v if v != "" else None for v in r])
    wb.save(tmp_path / "reg.xlsx")
    for source in ("reg.parquet", "reg.xlsx"):
        target = tmp_path / f"{source}.csv"
        result = runner.invoke(app, ["score", str(tmp_path / source), "-o", str(target), *SCORE, "--lang", "en"])
        assert result.exit_code == 0, result.output
        assert "rows read 600 = scored" in result.output
        assert _table(target) == outputs[".csv"], source


def test_score_chunk_size_does_not_change_the_output(tmp_path: Path) -> None:
    header, rows = _register(160)
    source = _write_csv(tmp_path / "reg.csv", header, rows)
    for size in ("7", "10000"):
        result = runner.invoke(app, ["score", str(source), "-o", str(tmp_path / f"o{size}.csv"), *SCORE,
                                     "--chunk-size", size])
        assert result.exit_code == 0, result.output
    small, large = (tmp_path / "o7.csv").read_bytes(), (tmp_path / "o10000.csv").read_bytes()
    assert small == large and small.count(b"\n") > 100 and b'"eligible"' in small
    assert (tmp_path / "o7.summary.csv").read_bytes() == (tmp_path / "o10000.summary.csv").read_bytes()
    numbers = [int(r[0]) for r in _table(tmp_path / "o7.csv")]
    assert numbers == sorted(numbers) and numbers[-1] <= 160


def test_score_corrupted_register_accounts_for_every_row(tmp_path: Path) -> None:
    header, rows = _register(20)
    rows = [list(r) for r in rows]
    u, rev, reg = header.index("uscc"), header.index("revenue"), header.index("region_code")
    rows[2][u] = rows[2][u][:-1] + ("A" if rows[2][u][-1] != "A" else "B")  # data row 3: bad check character
    rows[4][rev] = "12x3"                                                     # data row 5: not a number
    rows[6][reg] = "999999"                                                   # data row 7: no such province
    def line(values: list[str]) -> str:
        import csv
        import io

        buf = io.StringIO()
        csv.writer(buf, lineterminator="").writerow(values)
        return buf.getvalue()

    lines = [line(header)]
    for i, r in enumerate(rows):
        lines.append(line(r))
        if i == 8:
            lines.append("")          # row 10: a blank line
        if i == 11:
            lines.append("x,y,z")     # row 14: cannot be split into the header's columns
    source = tmp_path / "bad.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")

    long = tmp_path / "bad.scored.csv"
    result = runner.invoke(app, ["score", str(source), "-o", str(long), *SCORE, "--chunk-size", "4"])
    assert result.exit_code == 0, result.output
    # row-level failures (no readable USCC, a malformed line) and field errors (a rule id: only the
    # rules reading revenue or the region are in error on rows 5 and 7; the rows are scored)
    assert "读入 21 行 = 已评估 " in result.output and "出错 2 +" in result.output and "跳过空行 1 行" in result.output
    table = _table(long)
    errors = {int(r[0]): r for r in table if r[3] == "error" and r[2] is None}
    assert sorted(errors) == [3, 14]
    assert "fails its check" in errors[3][9] and "校验" in errors[3][9]
    assert "3 fields but the header has" in errors[14][9] and errors[14][1] == "x"
    assert errors[3][2] is None and errors[3][1] == rows[2][u]
    fields = {int(r[0]): r for r in table if r[3] == "error" and r[2] is not None}
    assert set(fields) <= {5, 7} and 7 in fields
    assert "field region_code, row 7" in fields[7][9] and "999999" in fields[7][9]
    assert all("'12x3'" in r[9] for r in table if r[3] == "error" and r[2] is not None and int(r[0]) == 5)

    wide = tmp_path / "bad.wide.parquet"
    result = runner.invoke(app, ["score", str(source), "-o", str(wide), *SCORE, "--wide", "--chunk-size", "4"])
    assert result.exit_code == 0, result.output
    import pyarrow.parquet as pq

    table = pq.read_table(wide).to_pandas()
    assert table["row"].tolist() == [n for n in range(1, 23) if n != 10]  # every row once, the blank one skipped
    assert table.set_index("row").loc[14, "reason"].startswith("the line has 3 fields")
    assert table.set_index("row")["reason"].notna().sum() == 2
    assert "examples.puer.new-industrial.status" in table.columns


def test_score_maps_chinese_headers_and_converts_wan_yuan_exactly(tmp_path: Path) -> None:
    from decimal import Decimal

    header, rows = _register(150)
    rows = [list(r) for r in rows]
    rev = header.index("revenue")
    rows[0][rev] = "12345678"
    plain = _write_csv(tmp_path / "plain.csv", header, rows)
    renamed = {"uscc": "统一社会信用代码", "name": "企业名称", "revenue": "营业收入(万元)", "employees": "从业人数"}
    mapped_rows = []
    for r in rows:
        r = list(r)
        if r[rev]:
            r[rev] = format(Decimal(r[rev]) / 10_000, "f")  # yuan → 万元, exactly
        mapped_rows.append([*r, "备注文字"])
    assert mapped_rows[0][rev] == "1234.5678"
    mapped = _write_csv(tmp_path / "mapped.csv", [renamed.get(h, h) for h in header] + ["备注"], mapped_rows)
    mapping = tmp_path / "columns.yaml"
    mapping.write_text("columns:\n  统一社会信用代码: uscc\n  企业名称: name\n"
                       "  营业收入(万元): {field: revenue, unit: 万元}\n  从业人数: employees\nignore: [备注]\n",
                       encoding="utf-8")
    a = runner.invoke(app, ["score", str(plain), "-o", str(tmp_path / "a.csv"), *SCORE])
    b = runner.invoke(app, ["score", str(mapped), "-o", str(tmp_path / "b.csv"), *SCORE, "--columns", str(mapping)])
    assert a.exit_code == 0 and b.exit_code == 0, b.output
    assert "警告" not in b.output
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert (tmp_path / "a.summary.csv").read_bytes() == (tmp_path / "b.summary.csv").read_bytes()

    # without the mapping the Chinese headers are recognised (the unit from the header): the same
    # output, and only 备注 is named as left out
    c = runner.invoke(app, ["score", str(mapped), "-o", str(tmp_path / "c.csv"), *SCORE, "--lang", "en"])
    assert c.exit_code == 0 and "1 column(s) are not profile fields" in c.output and "'备注'" in c.output
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "c.csv").read_bytes()


def test_score_mapping_errors_exit_2_with_file_and_line(tmp_path: Path) -> None:
    mapping = tmp_path / "columns.yaml"
    mapping.write_text("columns:\n  统一社会信用代码: uscc\n  营业收入: {field: revenu, unit: 千元}\n", encoding="utf-8")
    result = runner.invoke(app, ["score", str(REGISTER), "-o", str(tmp_path / "o.csv"), *SCORE,
                                 "--columns", str(mapping), "--lang", "en"])
    assert result.exit_code == 2
    assert f"{mapping}:3:" in result.output and "unknown field 'revenu'; did you mean 'revenue'?" in result.output
    assert not (tmp_path / "o.csv").exists()
    zh = runner.invoke(app, ["score", str(REGISTER), "-o", str(tmp_path / "o.csv"), *SCORE, "--columns", str(mapping)])
    assert zh.exit_code == 2 and "未知字段 'revenu'" in zh.output


def test_score_excel_overflow_fails_cleanly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from eligibility.batch import writers

    monkeypatch.setattr(writers, "XLSX_MAX_ROWS", 100)
    out = tmp_path / "out"
    out.mkdir()
    for extra in ([], ["--lang", "en"]):
        result = runner.invoke(app, ["score", str(REGISTER), "-o", str(out / "big.xlsx"), *SCORE,
                                     "--chunk-size", "50", *extra])
        assert result.exit_code == 2, result.output
        assert ("write Parquet" in result.output) if extra else ("请改用 Parquet" in result.output)
    assert list(out.iterdir()) == []  # no partial output, no summary


def test_score_flags_duplicate_usccs_across_chunks(tmp_path: Path) -> None:
    header, rows = _register(30)
    rows = [list(r) for r in rows]
    u = header.index("uscc")
    rows[24][u] = rows[1][u]  # row 25 repeats row 2, six chunks later
    source = _write_csv(tmp_path / "dup.csv", header, rows)
    target = tmp_path / "dup.parquet"
    result = runner.invoke(app, ["score", str(source), "-o", str(target), *SCORE, "--chunk-size", "4", "--wide"])
    assert result.exit_code == 0, result.output
    assert "统一社会信用代码与前面重复的行：1 行" in result.output
    import pyarrow.parquet as pq

    wide = pq.read_table(target).to_pandas().set_index("row")
    assert wide.loc[25, "duplicate_of"] == 2 and wide["duplicate_of"].notna().sum() == 1
    assert wide.loc[2, "entity_id"] == wide.loc[25, "entity_id"]


def test_score_rejects_unknown_formats(tmp_path: Path) -> None:
    source = tmp_path / "reg.json"
    source.write_text("{}", encoding="utf-8")
    result = runner.invoke(app, ["score", str(source), *SCORE])
    assert result.exit_code == 2 and "不支持的输入文件格式 '.json'" in result.output
    result = runner.invoke(app, ["score", str(REGISTER), "-o", str(tmp_path / "o.txt"), *SCORE, "--lang", "en"])
    assert result.exit_code == 2 and "unsupported output format '.txt'" in result.output
    result = runner.invoke(app, ["score", str(REGISTER), "--help"])
    assert result.exit_code == 0 and "--chunk-size" in result.output and "100,000" in result.output
    assert "--columns" in result.output and "万元" in result.output and "--wide" in result.output
