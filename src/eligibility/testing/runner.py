"""Run the examples policy writers put in rule files (``tests:``) and report what differs.

Each test evaluates its profile with the whole rule set (so exclusive groups apply) and compares
the rule's status, amount, missing facts, superseding rule and explanation fragments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ..engine import Engine
from ..errors import EligibilityError
from ..facts.money import format_money
from ..model.rule import Rule, RuleSet, RuleTest
from ..results import RuleResult


@dataclass
class TestOutcome:
    rule: Rule
    test: RuleTest
    problems: list[tuple[str, str]] = field(default_factory=list)  # (zh, en)
    result: RuleResult | None = None

    @property
    def passed(self) -> bool:
        return not self.problems

    def report(self, lang: str = "zh") -> str:
        en = lang == "en"
        head = f"{self.test.file}:{self.test.line}: {self.rule.id} — {self.test.name}"
        if self.passed:
            return head + (" passed" if en else " 通过")
        lines = [head + (" FAILED" if en else " 未通过")]
        lines += ["    " + (p[1] if en else p[0]) for p in self.problems]
        if self.result is not None:
            lines.append("    " + ("explanation:" if en else "实际解释："))
            lines += ["      " + ln for ln in self.result.explain(lang).splitlines()]
        return "\n".join(lines)


def _money(d: Decimal | None, lang: str = "zh") -> str:
    return "none" if d is None else format_money(d, lang)


def run_test(engine: Engine, rule: Rule, test: RuleTest) -> TestOutcome:
    outcome = TestOutcome(rule, test)
    e = test.expect
    try:
        ev = engine.evaluate(dict(test.profile), test.as_of)
    except EligibilityError as exc:
        outcome.problems.append((f"画像无效：{exc.zh}", f"invalid profile: {exc.en}"))
        return outcome
    result = next((r for r in ev.results if r.rule_id == rule.id), None)
    if result is None:
        skipped = next((o for o in ev.out_of_scope if o.rule_id == rule.id), None)
        if e.status != "out_of_scope":
            why = (skipped.zh, skipped.en) if skipped else ("", "")
            outcome.problems.append((f"期望 {e.status}，实际不在适用范围：{why[0]}",
                                     f"expected {e.status}, but out of scope: {why[1]}"))
        return outcome
    outcome.result = result
    actual = result.status.value
    if e.status != actual:
        outcome.problems.append((f"状态：期望 {e.status}，实际 {actual}", f"status: expected {e.status}, got {actual}"))
    if e.check_amount and e.amount != result.amount:
        outcome.problems.append((f"金额：期望 {_money(e.amount)}，实际 {_money(result.amount)}",
                                 f"amount: expected {_money(e.amount, 'en')}, got {_money(result.amount, 'en')}"))
    if e.missing is not None and set(e.missing) != set(result.missing):
        outcome.problems.append((f"缺少数据：期望 {sorted(e.missing)}，实际 {sorted(result.missing)}",
                                 f"missing: expected {sorted(e.missing)}, got {sorted(result.missing)}"))
    if e.superseded_by is not None and e.superseded_by != result.superseded_by:
        outcome.problems.append((f"取代者：期望 {e.superseded_by}，实际 {result.superseded_by}",
                                 f"superseded_by: expected {e.superseded_by}, got {result.superseded_by}"))
    text = result.explain("zh") + "\n" + result.explain("en")
    for fragment in e.explanation:
        if fragment not in text:
            outcome.problems.append((f"解释中没有“{fragment}”", f"explanation lacks “{fragment}”"))
    return outcome


def run_rule_tests(rules: RuleSet) -> list[TestOutcome]:
    """Run every rule's tests against the whole rule set."""
    engine = Engine(rules)
    return [run_test(engine, rule, test) for rule in rules.rules for test in rule.tests]
