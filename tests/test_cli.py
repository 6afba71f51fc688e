"""The ``eligibility`` command, run as a user would (through typer's runner)."""

from __future__ import annotations

import json
from pathlib import Path

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
    assert "入库日期 2024-03-01 在2024年内" in out  # condition, value, threshold
    assert "✗ 新建投产纳规：是（应为 否）" in out  # the failing condition of the 小升规 rule
    assert "依据：《普洱市促进民营经济发展、助企纾困若干措施》二(五)：“对新建投产纳规的工业企业" in out
    assert "被 examples.puer.little-giant-national 取代" in out


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
