"""The linter: each check finds what it should, with file:line, rule id, severity and hint."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ruletext import rule_yaml
from eligibility.cli import app
from eligibility.lint import lint, lint_rules


def codes(findings, rule_id=None):
    return {(f.code, f.severity) for f in findings if rule_id is None or f.rule_id == rule_id}


@pytest.mark.parametrize(("when", "expected"), [
    ("[revenue >= 300万, revenue < 200万]", "unsatisfiable"),
    ('"300万 <= revenue < 200万"', "unsatisfiable"),
    ("[revenue > 300万, revenue <= 300万]", "unsatisfiable"),
    ('[industry_code under "C", industry_code under "B"]', "unsatisfiable"),
    ('[vat_taxpayer == "general", vat_taxpayer == "small_scale"]', "unsatisfiable"),
    ("['vat_taxpayer in [\"general\"]', 'vat_taxpayer == \"small_scale\"']", "unsatisfiable"),
    ("[registered_on >= 2024-01-01, registered_on < 2023-06-30]", "unsatisfiable"),
    ("[employees <= 300, employees > 500]", "unsatisfiable"),
    ("[revenue >= 100万, revenue >= 50万]", "always-true"),
    ("[employees < 10, employees <= 300]", "always-true"),
    ('"1 < 2"', "constant-condition"),
])
def test_condition_checks(make_rules, when, expected) -> None:
    rules = make_rules(rule_yaml("t.r", when))
    assert expected in {c for c, _ in codes(lint_rules(rules))}


@pytest.mark.parametrize("when", [
    "[revenue >= 300万, revenue < 2000万]", "[revenue >= 300万, revenue <= 300万]",
    '[industry_code under "C", industry_code under "C30"]', "[employees <= 300, taxable_income <= 300万]",
])
def test_satisfiable_conditions_are_not_flagged(make_rules, when) -> None:
    rules = make_rules(rule_yaml("t.r", when))
    assert not {c for c, _ in codes(lint_rules(rules))} & {"unsatisfiable", "always-true"}


def test_unsatisfiable_names_the_conditions_and_line(make_rules) -> None:
    rules = make_rules(rule_yaml("t.r", "\n    - revenue >= 300万\n    - revenue < 200万"))
    finding = next(f for f in lint_rules(rules) if f.code == "unsatisfiable")
    assert finding.severity == "error" and finding.rule_id == "t.r"
    assert "营业收入 ≥ 300万元" in finding.zh and "营业收入 < 200万元" in finding.zh
    text = Path(finding.file).read_text(encoding="utf-8").splitlines()
    assert "revenue < 200万" in text[finding.line - 1]


def test_group_checks(make_rules) -> None:
    rules = make_rules(
        rule_yaml("g.money", '"employees > 0"', "10万", "group: g\n")
        + rule_yaml("g.access", '"employees > 0"', extra="group: g\nbenefit: {description: {zh: 优先, en: priority}}\n")
        + rule_yaml("g.alone", '"employees > 0"', "5万", "group: lonely\n")
    )
    found = codes(lint_rules(rules))
    assert ("group-incomparable", "warning") in found
    assert ("group-single", "info") in found


def test_same_clause_outside_a_group(make_rules) -> None:
    rules = make_rules(
        rule_yaml("p.a", '"employees > 0"', "10万") + rule_yaml("p.b", '"revenue > 0"', "20万")
        + rule_yaml("p.c", '"industry_code under \\"F\\""', "30万") + rule_yaml("p.d", '"industry_code under \\"H\\""', "5万")
    )
    pairs = [f for f in lint_rules(rules) if f.code == "same-clause-outside-group"]
    flagged = {frozenset(f.zh.split(" 与 ")[0:1] + [f.rule_id]) for f in pairs}
    assert frozenset({"p.a", "p.b"}) in flagged
    assert frozenset({"p.c", "p.d"}) not in flagged  # disjoint industries: not the same thing


def test_expired_is_info_and_tests_and_notes(make_rules) -> None:
    rules = make_rules(rule_yaml("t.old", '"employees > 0"', extra="effective: {from: 2019-01-01, to: 2020-12-31}\n"))
    found = codes(lint_rules(rules, today=date(2026, 1, 1)))
    assert {("expired", "info"), ("no-tests", "warning"), ("no-notes", "warning")} <= found
    assert ("expired", "info") not in codes(lint_rules(rules, today=date(2020, 6, 1)))


def _rule_file(quote: str) -> str:
    return ("document:\n  title: 测试\n  issuer: 测试\n  jurisdiction: {code: national, name: 全国}\n"
            "  source: doc.txt\nrules:\n  - id: q.one\n    title: {zh: 测试, en: test}\n"
            f"    source: {{clause: 一, quote: {quote}}}\n"
            "    kind: grant\n    mode: auto\n    basis: threshold\n    when: employees > 0\n")


def test_quote_checked_against_shipped_source(tmp_path: Path) -> None:
    (tmp_path / "doc.txt").write_text("对新建投产纳规的工业企业,给予一次性不超过50万元补助", encoding="utf-8")
    (tmp_path / "ok.yaml").write_text(_rule_file("给予一次性不超过50万元补助"), encoding="utf-8")
    (tmp_path / "bad.yaml").write_text(_rule_file("给予一次性不超过50万元的补助"), encoding="utf-8")
    ok_findings, _ = lint([tmp_path / "ok.yaml"])
    bad_findings, _ = lint([tmp_path / "bad.yaml"])
    assert "quote-not-verbatim" not in {f.code for f in ok_findings}
    assert ("quote-not-verbatim", "error") in codes(bad_findings)


def _periods_file(period: str, local: str = "") -> str:
    """A rule citing by period (a national law's documents), optionally with a local restatement."""
    return ("document:\n  title: 测试\n  issuer: 测试\n  jurisdiction: {code: national, name: 全国}\n"
            "  effective: {from: 2019-01-01, to: 2027-12-31}\nrules:\n  - id: q.one\n    title: {zh: 测试, en: test}\n"
            "    source:\n      clause: 按期\n      periods:\n"
            "        - {from: 2019-01-01, document: 财税〔2019〕13号, clause: 第一条}\n"
            f"        - {{from: 2023-01-01, document: 公告2023年第19号, clause: 第一条{period}}}\n{local}"
            "    kind: tax\n    mode: auto\n    basis: threshold\n    when: employees > 0\n")


LOCAL = ("      restatements:\n        - {document: 地方文件, clause: 二(九), quote: %s, source: local.txt,\n"
         "           jurisdiction: {code: \"152921\", name: 阿拉善左旗}, effective: {from: 2019-01-01, to: 2021-12-31}}\n")


@pytest.mark.parametrize(("period", "local", "found"), [
    ("", "", set()),  # cited by number and article, no text shipped: nothing to check
    (", quote: 月销售额10万元以下, source: national.txt", "", set()),
    (", quote: 月销售额10万元以內, source: national.txt", "", {("quote-not-verbatim", "error")}),
    (", source: national.txt", "", {("missing-quote", "error")}),  # the text is shipped: quote the period
    (", quote: 月销售额10万元以下", "", {("no-source-text", "info")}),  # a quote with no text cannot be checked
    ("", LOCAL % "免征增值税", set()),
    ("", LOCAL % "免征增值税。", {("quote-not-verbatim", "error")}),
])
def test_period_and_local_citations_quote_exactly_where_a_text_is_shipped(tmp_path: Path, period: str, local: str,
                                                                          found: set[tuple[str, str]]) -> None:
    (tmp_path / "national.txt").write_text("对月销售额10万元以下(含本数)的增值税小规模纳税人,免征增值税", encoding="utf-8")
    (tmp_path / "local.txt").write_text("小规模纳税人……免征增值税", encoding="utf-8")
    (tmp_path / "r.yaml").write_text(_periods_file(period, local), encoding="utf-8")
    findings, rules = lint([tmp_path / "r.yaml"])
    assert rules is not None
    quote_codes = {"quote-not-verbatim", "missing-quote", "no-source-text", "missing-citation"}
    assert {(c, sev) for c, sev in codes(findings) if c in quote_codes} == found
    rule = rules["q.one"]
    assert [(c.period.start, c.period.end) for c in rule.source.periods] == [
        (date(2019, 1, 1), date(2022, 12, 31)), (date(2023, 1, 1), date(2027, 12, 31))]


@pytest.mark.parametrize(("source", "message"), [
    ("{clause: 一}", "missing required key 'quote' (the sentence verbatim; or cite by periods)"),
    ("{clause: 按期, periods: [{from: 2023-01-01, document: 乙, clause: 第一条}, {from: 2019-01-01, document: 甲, clause: 第一条}]}",
     "source.periods must be in increasing order of from"),
])
def test_a_citation_without_quote_or_periods_is_a_load_error(tmp_path: Path, source: str, message: str) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("document:\n  title: 测试\n  issuer: 测试\n  jurisdiction: {code: national, name: 全国}\nrules:\n"
                    f"  - id: t.a\n    title: {{zh: 测试, en: test}}\n    source: {source}\n"
                    "    kind: grant\n    mode: auto\n    basis: threshold\n    when: employees > 0\n", encoding="utf-8")
    findings, rules = lint([path])
    assert rules is None
    (finding,) = findings
    assert message in finding.en and finding.line == 8 and finding.rule_id == "t.a"


def test_load_errors_come_back_as_findings(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("document:\n  title: 测试\n  issuer: 测试\n  jurisdiction: {code: national, name: 全国}\nrules:\n"
                    "  - id: t.a\n    title: {zh: 测试, en: test}\n    source: {clause: 一, quote: 测试}\n"
                    "    kind: grant\n    mode: auto\n    basis: threshold\n    when: revenu >= 1万\n", encoding="utf-8")
    findings, rules = lint([path])
    assert rules is None
    (finding,) = findings
    assert (finding.code, finding.severity, finding.line, finding.col) == ("load", "error", 12, 11)
    assert "did you mean 'revenue'" in finding.en


def test_cli_json_and_exit_codes(make_rules) -> None:
    rules = make_rules(rule_yaml("t.r", "[revenue >= 300万, revenue < 200万]"))
    runner = CliRunner()
    result = runner.invoke(app, ["lint", rules.documents[0].file, "--format", "json", "--lang", "en"])
    assert result.exit_code == 1
    findings = json.loads(result.output)
    unsat = next(f for f in findings if f["code"] == "unsatisfiable")
    assert unsat["severity"] == "error" and unsat["rule_id"] == "t.r" and unsat["hint"]
    ok = make_rules(rule_yaml("t.ok", '"revenue >= 300万"'))
    assert runner.invoke(app, ["lint", ok.documents[0].file]).exit_code == 0  # warnings only
    assert runner.invoke(app, ["lint", ok.documents[0].file, "--strict"]).exit_code == 1
