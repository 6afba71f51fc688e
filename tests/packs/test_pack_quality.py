"""Quality gates on the bundled packs: full condition coverage, a sampled mutation score, clean lint."""

from __future__ import annotations

import eligibility as el
from eligibility.lint import lint_rules
from eligibility.testing.coverage import coverage, format_coverage, total_percent
from eligibility.testing.mutation import format_mutation, run_mutation, score

BUNDLED = el.load_rules()


def test_bundled_packs_reach_full_condition_coverage() -> None:
    reports = coverage(BUNDLED)
    assert total_percent(reports) == 100.0, format_coverage(reports, "en", only_incomplete=True)


def test_sampled_mutants_are_caught() -> None:
    """CI runs a seeded sample (the whole set: `eligibility test --mutate`); goal ≥ 90% caught."""
    results = run_mutation(BUNDLED, sample=60, seed=2024)
    assert score(results) >= 90.0, format_mutation(results, "en")


def test_bundled_packs_lint_without_errors_or_warnings() -> None:
    findings = [f for f in lint_rules(BUNDLED) if f.severity in ("error", "warning")]
    assert not findings, "\n".join(f.text("en") for f in findings)
