"""The CLI's share of the decision service's audit trail: ``match`` prints the determination id the
service gives, answers with an archived rule set (``--rule-set``), writes ``--format json`` errors in
the service's error body, and ``serve`` says how to install its extra when FastAPI is absent."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

import eligibility as el
from eligibility.cli import app
from eligibility.io.archive import archive_rules
from eligibility.provenance import determination_id

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ROOT / "examples" / "profiles" / "puer-manufacturer.yaml"
runner = CliRunner()


def _expected_id(rules: el.RuleSet) -> str:
    from eligibility.io.yamlload import load_yaml

    profile = el.Profile.from_data(load_yaml(PROFILE.read_text(encoding="utf-8"), str(PROFILE)))
    return determination_id(profile, rules.hash, date(2024, 6, 30))


def test_match_prints_the_determination_id_in_text_and_json() -> None:
    want = _expected_id(el.load_rules("examples"))
    text = runner.invoke(app, ["match", str(PROFILE), "-r", "examples", "--as-of", "2024-06-30", "--lang", "en"])
    assert text.exit_code == 0 and f"determination id {want}" in text.output
    as_json = runner.invoke(app, ["match", str(PROFILE), "-r", "examples", "--as-of", "2024-06-30", "-f", "json"])
    assert json.loads(as_json.output)["provenance"]["determination_id"] == want
    other_day = runner.invoke(app, ["match", str(PROFILE), "-r", "examples", "--as-of", "2024-07-01", "-f", "json"])
    assert json.loads(other_day.output)["provenance"]["determination_id"] != want


def test_match_answers_with_an_archived_rule_set(tmp_path: Path) -> None:
    rules = el.load_rules("examples", tests=False)
    archive_rules(["examples"], rules, tmp_path)
    result = runner.invoke(app, ["match", str(PROFILE), "--rule-set", rules.hash, "--archive", str(tmp_path),
                                 "--as-of", "2024-06-30", "-f", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["provenance"]["ruleset_hash"] == rules.hash
    assert data["provenance"]["determination_id"] == _expected_id(rules)
    missing = runner.invoke(app, ["match", str(PROFILE), "--rule-set", "f" * 64, "--archive", str(tmp_path), "-f", "json"])
    assert missing.exit_code == 2 and json.loads(missing.output)["error"]["code"] == "request_invalid"
    both = runner.invoke(app, ["match", str(PROFILE), "--rule-set", rules.hash, "-r", "examples"])
    assert both.exit_code == 2


def test_json_errors_use_the_service_error_body(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"revenue": "lots"}), encoding="utf-8")
    result = runner.invoke(app, ["match", str(bad), "-r", "examples", "-f", "json"])
    assert result.exit_code == 2
    body = json.loads(result.output)
    assert set(body["error"]) == {"code", "message_zh", "message_en", "location"}
    assert body["error"]["code"] == "profile_invalid" and body["error"]["location"] == "revenue"
    no_rules = runner.invoke(app, ["match", str(PROFILE), "-r", str(tmp_path / "no-such-rules.yaml"), "-f", "json"])
    rules_body = json.loads(no_rules.output)
    assert no_rules.exit_code == 2 and rules_body["error"]["code"] == "rules_invalid"
    assert rules_body["error"]["location"] == str(tmp_path / "no-such-rules.yaml")


def test_serve_without_fastapi_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "fastapi", None)  # an import of it now fails, as when it is not installed
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 2
    assert 'pip install "eligibility[serve]"' in result.output
    assert "判定服务需要" in result.output and "needs the serve extra" in result.output
