"""Boundary cases: what a rule decides just below, at and just above every threshold it states.

A policy writer who changes "10万" in YAML, or reads "以下" as "<" where the document says "含本数",
sees it here before the rule goes live. For each numeric threshold and date boundary in a rule's
conditions (dated parameters read at as_of, dates relative to as_of resolved), ``boundary_cases``
gives the values one step below, at and one step above (money 0.01 yuan, head counts 1, other
numbers 0.01, dates 1 day); for ``within(d, 12 months)`` the first day inside and the last day
outside; for ``in_year(d)`` 1 January and the day before. Each is a whole profile, built from one on
which the rule is eligible (from its own tests, chosen so the threshold decides), with a description.

Use the cases as data, or in hypothesis: ``st.sampled_from(boundary_cases(rule))``.
``boundary_report`` runs them through the Engine with the whole rule set (groups apply) and
``format_boundary_report`` prints the statuses as a table.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from ..engine import Engine
from ..errors import EligibilityError
from ..explain import OPS, describe, format_value
from ..facts.coverage import written
from ..facts.profile import registry
from ..facts.money import format_money
from ..lint import constraints
from ..model import expr as x
from ..model.rule import NATIONAL, Rule, RuleSet
from .seeds import (
    date_windows,
    default_as_of,
    field_step,
    field_value,
    fold,
    rule_status,
    seed_profiles,
    set_path,
)

ORDER_OPS = ("<", "<=", ">", ">=")
POSITIONS = {
    "below": ("门槛下方", "just below"),
    "at": ("恰为门槛", "at the threshold"),
    "above": ("门槛上方", "just above"),
    "inside": ("期间内第一天", "first day inside"),
    "outside": ("期间外最后一天", "last day outside"),
}
STATUS_WORDS = {
    "eligible": ("符合", "eligible"),
    "ineligible": ("不符合", "not eligible"),
    "undetermined": ("待定", "undetermined"),
    "superseded": ("被取代", "superseded"),
    "out_of_scope": ("不适用", "out of scope"),
    "error": ("出错", "error"),
}


@dataclass(frozen=True)
class BoundaryCase:
    """One value at a boundary of one condition of one rule, as a whole profile."""

    rule_id: str
    field: str  # profile path; "list[].field" for the date of a list item (set on every item)
    op: str  # "<", "<=", ">", ">=", "within" or "in_year"
    threshold: Any  # the constant compared with; for within / in_year the last day outside
    value: Any  # the field's value in this case
    profile: dict[str, Any]
    as_of: date
    description_zh: str
    description_en: str
    position: str  # below, at, above (thresholds); inside, outside (date windows)
    condition: x.Node  # the comparison or date test as written, for describing it in words

    def description(self, lang: str = "zh") -> str:
        return self.description_en if lang == "en" else self.description_zh


@dataclass(frozen=True)
class BoundaryResult:
    """A boundary case and what the Engine decided for it (status, or ``out_of_scope`` / ``error``)."""

    case: BoundaryCase
    rule: Rule
    status: str
    amount: Decimal | None = None
    error: tuple[str, str] | None = None  # (zh, en) when the case's profile did not validate


# -- building the cases ------------------------------------------------------------------------------
def _kind(path: str) -> str:
    t = registry()[path].type
    return (t.unit or "number") if t.kind == "number" else t.kind


def _show(value: Any, path: str, lang: str) -> str:
    return format_value(value, _kind(path), lang)


def _step_text(path: str, lang: str) -> str:
    step = field_step(path)
    if isinstance(step, timedelta):
        return "1 day" if lang == "en" else "1天"
    if _kind(path) == "money":
        return format_money(step, lang)
    return format_value(step, _kind(path), lang)


def _describe_threshold(path: str, position: str, value: Any, threshold: Any, lang: str) -> str:
    label, shown, limit = registry()[path].label(lang), _show(value, path, lang), _show(threshold, path, lang)
    step = _step_text(path, lang)
    if lang == "en":
        where = {"below": f"{step} below the threshold {limit}", "at": f"at the threshold {limit}",
                 "above": f"{step} above the threshold {limit}"}[position]
        return f"{label} {shown} ({where})"
    where = {"below": f"比门槛 {limit} 低 {step}", "at": f"恰为门槛 {limit}",
             "above": f"比门槛 {limit} 高 {step}"}[position]
    return f"{label} {shown}（{where}）"


def _describe_window(path: str, position: str, value: date, node: x.Call, rule: Rule, lang: str) -> str:
    label = registry()[path].label(lang)
    condition = describe(node, rule, lang)
    if lang == "en":
        where = "the first day inside" if position == "inside" else "the last day outside"
        return f"{label} {value.isoformat()} ({where}: {condition})"
    where = "期间内第一天" if position == "inside" else "期间外最后一天"
    return f"{label} {value.isoformat()}（{where}：{condition}）"


def _fallback_base(rule: Rule) -> dict[str, Any]:
    """A profile to start from when no test of the rule is eligible: a test profile, or one that at
    least puts the firm (or the matter) where the rule applies."""
    if rule.tests:
        return dict(rule.tests[0].profile)
    out: dict[str, Any] = {}
    for name in sorted(rule.scenarios):
        out = set_path(out, f"scenario.{name}", {})
    j = rule.jurisdiction
    if j.code != NATIONAL:
        out = set_path(out, f"scenario.{j.by}.region_code" if j.by else "region_code", j.code)
    if j.development_zone:
        out["development_zone"] = j.development_zone
    return out


def _outcomes(rule: Rule, base: dict[str, Any], path: str, values: list[Any], as_of: date) -> set[str]:
    """The rule's statuses for these values of ``path`` on ``base``."""
    try:
        return {rule_status(rule, set_path(base, path, v), as_of) for v in values}
    except EligibilityError:
        return set()


def _choose_base(rule: Rule, bases: list[dict[str, Any]], path: str, values: list[Any], as_of: date) -> dict[str, Any]:
    """The first base on which this boundary decides the rule's status, preferably between eligible and
    ineligible alone (an eligible example for another branch of an ``any`` would hide it), else the first."""
    outcomes = [(base, _outcomes(rule, base, path, values, as_of)) for base in bases]
    clean = [b for b, seen in outcomes if len(seen) > 1 and "undetermined" not in seen]
    deciding = [b for b, seen in outcomes if len(seen) > 1]
    return (clean or deciding or bases)[0]


def boundary_cases(rule: Rule, as_of: date | None = None) -> list[BoundaryCase]:
    """Every boundary case of ``rule`` at ``as_of`` (default: the date most of its tests use).

    Empty when the rule states no threshold or date boundary, or is not in force at ``as_of``.
    """
    day = as_of or default_as_of(rule)
    if not rule.effective.contains(day):
        return []
    bases = seed_profiles(rule, "eligible", day) or [_fallback_base(rule)]
    cases: list[BoundaryCase] = []
    seen: set[tuple[str, str, Any]] = set()
    for node in x.walk(written(rule.when)):
        if isinstance(node, x.Compare):
            for path, op, threshold in constraints(fold(node, rule, day)):
                key = (path, op, threshold)
                if op not in ORDER_OPS or path not in registry() or key in seen or isinstance(threshold, (bool, str)):
                    continue
                seen.add(key)
                cases += _threshold_cases(rule, node, path, op, threshold, bases, day)
    for window in date_windows(written(rule.when), rule, day):
        key = (window.path, window.node.func, window.outside)
        if key in seen:
            continue
        seen.add(key)
        base = _choose_base(rule, bases, window.path, [window.inside, window.outside], day)
        for position, value in (("inside", window.inside), ("outside", window.outside)):
            cases.append(BoundaryCase(
                rule.id, window.path, window.node.func, window.outside, value, set_path(base, window.path, value), day,
                _describe_window(window.path, position, value, window.node, rule, "zh"),
                _describe_window(window.path, position, value, window.node, rule, "en"), position, window.node))
    return cases


def _threshold_cases(rule: Rule, node: x.Compare, path: str, op: str, threshold: Any, bases: list[dict[str, Any]],
                     day: date) -> list[BoundaryCase]:
    step = field_step(path)
    points = [("below", threshold - step), ("at", threshold), ("above", threshold + step)]
    if _kind(path) in ("person", "count"):
        points = [(p, v) for p, v in points if v >= 0]  # no negative head counts
    values = [field_value(path, v) for _, v in points]
    base = _choose_base(rule, bases, path, values, day)
    return [
        BoundaryCase(rule.id, path, op, threshold, value, set_path(base, path, value), day,
                     _describe_threshold(path, position, value, threshold, "zh"),
                     _describe_threshold(path, position, value, threshold, "en"), position, node)
        for (position, _), value in zip(points, values)
    ]


# -- running them ------------------------------------------------------------------------------------
def boundary_report(rules: RuleSet, as_of: date | None = None,
                    only: Collection[str] | None = None) -> list[BoundaryResult]:
    """Evaluate every boundary case of every rule (or of the rule ids ``only``) through the Engine with
    the whole rule set (so exclusive groups apply): the status at each, so the reading of each threshold
    shows at a glance."""
    engine = Engine(rules)
    out: list[BoundaryResult] = []
    for rule in rules.rules:
        if only is not None and rule.id not in only:
            continue
        for case in boundary_cases(rule, as_of):
            try:
                ev = engine.evaluate(case.profile, case.as_of)
            except EligibilityError as exc:
                out.append(BoundaryResult(case, rule, "error", error=(exc.zh, exc.en)))
                continue
            result = next((r for r in ev.results if r.rule_id == rule.id), None)
            if result is None:
                out.append(BoundaryResult(case, rule, "out_of_scope"))
            else:
                out.append(BoundaryResult(case, rule, result.status.value, result.amount))
    return out


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - _width(text), 0)


def _condition_words(case: BoundaryCase, rule: Rule, lang: str) -> str:
    """The condition as written, in words; where that does not show the one threshold tested (a
    chained range has two, a dated parameter several) the threshold follows."""
    written = describe(case.condition, rule, lang)
    node = case.condition
    if not isinstance(node, x.Compare) or (
            len(node.ops) == 1 and not any(isinstance(n, (x.Param, x.AsOf)) for n in x.walk(node))):
        return written
    tested = f"{registry()[case.field].label(lang)} {OPS[case.op]} {_show(case.threshold, case.field, lang)}"
    return f"{written} (boundary: {tested})" if lang == "en" else f"{written}（边界：{tested}）"


def format_boundary_report(results: list[BoundaryResult], lang: str = "zh") -> str:
    """A table: each rule (with its evaluation date), each condition in words with the boundary
    tested, then per case the position, the value and the status."""
    en = lang == "en"
    if not results:
        return "no thresholds or date boundaries found" if en else "未发现数值门槛或日期边界"
    rows = [(POSITIONS[r.case.position][1 if en else 0], _show(r.case.value, r.case.field, lang),
             STATUS_WORDS[r.status][1 if en else 0]) for r in results]
    widths = [max(_width(row[i]) for row in [*rows, HEADER[1 if en else 0]]) for i in range(2)]
    lines = ["boundary check: the rule's status just below, at and just above each threshold" if en else
             "边界检查：每个门槛下方、恰好与上方时规则的结果",
             _row(HEADER[1 if en else 0], widths)]
    last_rule = last_condition = None
    for r, row in zip(results, rows):
        if r.rule.id != last_rule:
            last_rule, last_condition = r.rule.id, None
            lines.append(f"{r.rule.id} (as of {r.case.as_of})" if en else f"{r.rule.id}（评估日期 {r.case.as_of}）")
        condition = (r.case.condition, r.case.field, r.case.op, r.case.threshold)
        if condition != last_condition:
            last_condition = condition
            lines.append("  " + _condition_words(r.case, r.rule, lang))
        line = _row(row, widths)
        if r.error:
            line += f"  ({r.error[1]})" if en else f"（{r.error[0]}）"
        lines.append(line)
    return "\n".join(lines)


HEADER = (("位置", "取值", "结果"), ("position", "value", "status"))


def _row(cells: tuple[str, str, str], widths: list[int]) -> str:
    return "    " + _pad(cells[0], widths[0]) + "  " + _pad(cells[1], widths[1]) + "  " + cells[2]
