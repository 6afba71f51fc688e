"""Condition coverage and the mutation check of rule tests."""

from __future__ import annotations

from typer.testing import CliRunner

from ruletext import rule_yaml
from eligibility.cli import app
from eligibility.testing.coverage import coverage, total_percent
from eligibility.testing.mutation import mutants, run_mutation, score

TESTS_ALL = """\
tests:
  - {name: at threshold, as_of: 2024-06-30, profile: {revenue: 2000万, employees: 5}, expect: {status: eligible}}
  - {name: a fen below, as_of: 2024-06-30, profile: {revenue: 19999999.99, employees: 5}, expect: {status: ineligible}}
  - {name: too many staff, as_of: 2024-06-30, profile: {revenue: 2000万, employees: 301}, expect: {status: ineligible}}
  - {name: unknown, as_of: 2024-06-30, profile: {}, expect: {status: undetermined}}
  - {name: staff at 300, as_of: 2024-06-30, profile: {revenue: 2000万, employees: 300}, expect: {status: eligible}}
"""
WHEN = "[revenue >= 2000万, employees <= 300]"


def test_full_coverage_when_every_outcome_is_tested(make_rules) -> None:
    rules = make_rules(rule_yaml("c.full", WHEN, extra=TESTS_ALL))
    (report,) = coverage(rules)
    assert report.covered == report.total == 6 and total_percent([report]) == 100.0


def test_missing_outcomes_are_named(make_rules) -> None:
    only_eligible = TESTS_ALL.split("\n  - {name: a fen below")[0] + "\n"
    rules = make_rules(rule_yaml("c.part", WHEN, extra=only_eligible))
    (report,) = coverage(rules)
    assert [c.missing for c in report.conditions] == [["false", "unknown"], ["false", "unknown"]]
    assert report.percent == 100 * 2 / 6


def test_presumed_or_known_conditions_are_not_expected_unknown(make_rules) -> None:
    rules = make_rules(rule_yaml("c.pres", '["not restricted_industry", "known(revenue)"]'))
    (report,) = coverage(rules)
    assert [sorted(c.possible) for c in report.conditions] == [["false", "true"], ["false", "true"]]


def test_mutants_of_a_rule() -> None:
    import eligibility as el

    rule = el.load_rules("examples")["examples.kailu.bid-bond-waiver"]
    ids = [m.id for m in mutants(rule)]
    assert "scenario.procurement.budget <= 1000万: <= → <" in ids
    assert "scenario.procurement.budget <= 1000万: 1000万 → 9999999.99元" in ids
    assert "scenario.procurement.budget <= 1000万: 1000万 → 10000000.01元" in ids


def test_boundary_tests_catch_every_mutant(make_rules) -> None:
    rules = make_rules(rule_yaml("m.good", WHEN, extra=TESTS_ALL))
    results = run_mutation(rules)
    assert len(results) == 6  # per condition: one operator flip and the threshold nudged down and up
    assert all(r.caught for r in results) and score(results) == 100.0


def test_weak_tests_let_mutants_survive_and_notes_explain_equivalents(make_rules) -> None:
    weak = "tests:\n  - {name: clear case, as_of: 2024-06-30, profile: {revenue: 5000万, employees: 5}, expect: {status: eligible}}\n"
    rules = make_rules(rule_yaml("m.weak", WHEN, extra=weak))
    results = run_mutation(rules)
    assert not any(r.caught for r in results) and score(results) == 0.0
    notes = "notes: |\n  equivalent mutant: revenue >= 2000万: >= → >\n"
    explained = make_rules(rule_yaml("m.weak", WHEN, extra=weak + notes))
    results = run_mutation(explained)
    assert sum(r.explained for r in results) == 1
    assert score(results) == 0.0 and len([r for r in results if not r.explained]) == len(results) - 1


def test_cli_coverage_fail_under_and_mutate(make_rules) -> None:
    rules = make_rules(rule_yaml("c.cli", WHEN, extra=TESTS_ALL))
    runner = CliRunner()
    path = rules.documents[0].file
    ok = runner.invoke(app, ["test", path, "--coverage", "--fail-under", "100", "--lang", "en"])
    assert ok.exit_code == 0, ok.output
    assert "100.0%  c.cli" in ok.output and "total 100.0%" in ok.output
    weak = make_rules(rule_yaml("c.weak", WHEN, extra="tests:\n  - {name: one, as_of: 2024-06-30, profile: {revenue: 5000万,"
                                                     " employees: 5}, expect: {status: eligible}}\n"))
    low = runner.invoke(app, ["test", weak.documents[0].file, "--coverage", "--fail-under", "90", "--lang", "en"])
    assert low.exit_code == 1 and "coverage 33.3% < 90.0%" in low.output
    mutated = runner.invoke(app, ["test", weak.documents[0].file, "--mutate", "--lang", "en"])
    assert "SURVIVED: c.weak: revenue >= 2000万: >= → >" in mutated.output
