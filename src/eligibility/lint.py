"""Static checks on rule files, before a rule goes live.

Each finding names file:line, the rule, a severity (error / warning / info) and a hint, in Chinese
and English. Checks: load errors (unknown or ill-typed fields, syntax); conditions that can never
hold together (interval reasoning over numeric and date comparisons, equalities, code sets) or
that always hold given the others; exclusive groups whose members' amounts cannot be compared;
rules paying from the same clause and sentence outside one group; rules expired on today's date
(info: history is valid data); missing citations; quotes not found verbatim in the shipped source;
rules without tests.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from .errors import RuleDefinitionError, RuleSetError
from .explain import describe
from .io.rules import load_rules
from .model import expr as x
from .model.dispatch import NodeTable
from .model.rule import Rule, RuleSet

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    severity: str
    code: str
    file: str | None
    line: int | None
    rule_id: str | None
    zh: str
    en: str
    hint_zh: str | None = None
    hint_en: str | None = None
    col: int | None = None
    source_line: str | None = None

    def message(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh

    def hint(self, lang: str = "zh") -> str | None:
        return self.hint_en if lang == "en" else self.hint_zh

    def text(self, lang: str = "zh") -> str:
        where = ":".join(str(p) for p in (self.file, self.line, self.col) if p is not None)
        rule = f" [{self.rule_id}]" if self.rule_id else ""
        out = f"{where}: {self.severity}: {self.message(lang)}{rule} ({self.code})"
        if self.source_line is not None:
            out += "\n    " + self.source_line.rstrip()
            if self.col is not None:
                width = sum(2 if ord(ch) > 0x2E7F else 1 for ch in self.source_line[: self.col - 1])
                out += "\n    " + " " * width + "^"
        hint = self.hint(lang)
        if hint:
            out += ("\n    hint: " if lang == "en" else "\n    提示：") + hint
        return out

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        data = asdict(self)
        data["message"] = self.message(lang)
        data["hint"] = self.hint(lang)
        for key in ("zh", "en", "hint_zh", "hint_en"):
            data.pop(key)
        return data


def _rule_finding(rule: Rule, severity: str, code: str, zh: str, en: str, hint_zh: str | None = None,
                  hint_en: str | None = None, line: int | None = None) -> Finding:
    return Finding(severity, code, rule.file, line or rule.line, rule.id, zh, en, hint_zh, hint_en)


# -- intervals ------------------------------------------------------------------------------------
Bound = tuple[Any, bool]  # (value, inclusive)


@dataclass
class _Range:
    """What one conjunction says about one field: an interval, required and excluded values, codes."""

    low: Bound | None = None
    high: Bound | None = None
    equal: set[Any] | None = None
    codes: list[frozenset[str]] | None = None

    def add(self, op: str, value: Any) -> None:
        if op in (">", ">="):
            bound = (value, op == ">=")
            if self.low is None or value > self.low[0] or (value == self.low[0] and not bound[1]):
                self.low = bound
        elif op in ("<", "<="):
            bound = (value, op == "<=")
            if self.high is None or value < self.high[0] or (value == self.high[0] and not bound[1]):
                self.high = bound
        elif op == "==":
            self.restrict({value})

    def restrict(self, values: set[Any]) -> None:
        self.equal = set(values) if self.equal is None else self.equal & set(values)

    def empty(self) -> bool:
        if self.low and self.high:
            lo, hi = self.low, self.high
            if lo[0] > hi[0] or (lo[0] == hi[0] and not (lo[1] and hi[1])):
                return True
        if self.equal is not None:
            if not self.equal:
                return True
            if not any(self._inside(v) for v in self.equal):
                return True
        if self.codes and len(self.codes) > 1:
            for a, b in itertools.combinations(self.codes, 2):
                if not any(x_.startswith(y) or y.startswith(x_) for x_ in a for y in b):
                    return True
        return False

    def _inside(self, v: Any) -> bool:
        try:
            if self.low and (v < self.low[0] or (v == self.low[0] and not self.low[1])):
                return False
            if self.high and (v > self.high[0] or (v == self.high[0] and not self.high[1])):
                return False
        except TypeError:
            return True
        return True


FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def _constant(node: x.Node) -> tuple[bool, Any]:
    if isinstance(node, x.Literal) and node.value is not None and not isinstance(node.value, (bool, x.Duration)):
        return True, node.value
    return False, None


def _subject(node: x.Node) -> str | None:
    if isinstance(node, x.Field):
        return node.path
    if isinstance(node, x.Derived):
        return node.name
    return None


Constraint = tuple[str, str, Any]
CONSTRAINTS: NodeTable[Callable[[x.Node], list[Constraint]]] = NodeTable("lint constraints")
"""The (subject, op, constant) facts each node class states: comparisons, ``in`` lists and code
hierarchies; every other class states none that interval reasoning understands."""


def constraints(node: x.Node) -> list[Constraint]:
    """(subject, op, constant) facts a condition states, for the parts interval reasoning understands."""
    return CONSTRAINTS(node)  # type: ignore[no-any-return]


@CONSTRAINTS.on(x.Clause)
def _clause_constraints(node: x.Clause) -> list[Constraint]:
    return constraints(node.item)


@CONSTRAINTS.on(x.Compare)
def _compare_constraints(node: x.Compare) -> list[Constraint]:
    out: list[Constraint] = []
    for op, a, b in zip(node.ops, node.operands, node.operands[1:]):
        sa, sb = _subject(a), _subject(b)
        ca, va = _constant(a)
        cb, vb = _constant(b)
        if sa and cb:
            out.append((sa, op, vb))
        elif sb and ca:
            out.append((sb, FLIP[op], va))
    return out


@CONSTRAINTS.on(x.InList)
def _in_list_constraints(node: x.InList) -> list[Constraint]:
    subject = _subject(node.operand)
    values = [_constant(i) for i in node.items]
    if node.negated or not subject or not all(ok for ok, _ in values):
        return []
    return [(subject, "in", frozenset(v for _, v in values))]


@CONSTRAINTS.on(x.Under)
def _under_constraints(node: x.Under) -> list[Constraint]:
    subject = _subject(node.operand)
    return [(subject, "under", frozenset(node.codes))] if subject and not node.negated else []


@CONSTRAINTS.on(x.Literal, x.Name, x.Field, x.ItemField, x.Derived, x.Param, x.AsOf, x.And, x.Or, x.Not, x.Arith,
                x.Neg, x.IfElse, x.ListLit, x.Call, x.Quantifier)
def _no_constraints(node: x.Node) -> list[Constraint]:
    return []


def conjuncts(node: x.Node) -> list[x.Node]:
    if isinstance(node, x.And):
        return [c for item in node.items for c in conjuncts(item)]
    if isinstance(node, x.Clause) and isinstance(node.item, x.And):
        return conjuncts(node.item)
    return [node]


def _ranges(nodes: Iterable[x.Node]) -> dict[str, _Range]:
    ranges: dict[str, _Range] = {}
    for node in nodes:
        for subject, op, value in constraints(node):
            r = ranges.setdefault(subject, _Range())
            if op == "in":
                r.restrict(set(value))
            elif op == "under":
                r.codes = [*(r.codes or []), value]
            elif op != "!=":
                r.add(op, value)
    return ranges


def _line(node: x.Node, rule: Rule) -> int:
    return node.line if isinstance(node, x.Clause) and node.line else rule.line


def check_conditions(rule: Rule) -> list[Finding]:
    """Conditions that cannot hold together, and conditions that always hold given the others."""
    findings: list[Finding] = []
    parts = conjuncts(rule.when)
    for node in parts:
        if not any(isinstance(n, (x.Field, x.Derived, x.Param, x.ItemField, x.Quantifier, x.AsOf)) for n in x.walk(node)):
            text = describe(node, rule)
            findings.append(_rule_finding(
                rule, "warning", "constant-condition", f"条件“{text}”不读取任何数据，结果恒定",
                f"condition “{describe(node, rule, 'en')}” reads no data: its outcome never changes",
                "删除该条件或改写为对字段的判断", "remove it or compare a field", _line(node, rule)))
    ranges = _ranges(parts)
    for subject, r in ranges.items():
        if r.empty():
            involved = [n for n in parts if any(s == subject for s, _, _ in constraints(n))]
            text_zh = "；".join(describe(n, rule) for n in involved)
            text_en = "; ".join(describe(n, rule, "en") for n in involved)
            findings.append(_rule_finding(
                rule, "error", "unsatisfiable", f"条件不可能同时满足（{subject}）：{text_zh}",
                f"conditions can never hold together ({subject}): {text_en}",
                "检查比较方向与门槛（以上/以下、含本数）", "check the direction and the threshold of each comparison",
                _line(involved[-1], rule) if involved else rule.line))
    for i, node in enumerate(parts):
        own = constraints(node)
        if len(own) != 1 or own[0][1] in ("in", "under", "==", "!="):
            continue
        subject = own[0][0]
        others = _ranges(p for j, p in enumerate(parts) if j != i)
        r = others.get(subject)
        if r is None or r.empty():
            continue
        op, value = own[0][1], own[0][2]
        implied = False
        if op in (">", ">=") and r.low is not None:
            implied = r.low[0] > value or (r.low[0] == value and (op == ">=" or not r.low[1]))
        elif op in ("<", "<=") and r.high is not None:
            implied = r.high[0] < value or (r.high[0] == value and (op == "<=" or not r.high[1]))
        if implied:
            findings.append(_rule_finding(
                rule, "warning", "always-true", f"条件“{describe(node, rule)}”在其余条件下恒成立",
                f"condition “{describe(node, rule, 'en')}” always holds given the other conditions",
                "删除多余的条件，或检查门槛是否写错", "remove it, or check whether a threshold is wrong",
                _line(node, rule)))
    return findings


def _disjoint(a: Rule, b: Rule) -> bool:
    """Can the two rules never apply to the same firm (by their top-level conditions)?"""
    ra, rb = _ranges(conjuncts(a.when)), _ranges(conjuncts(b.when))
    for subject in set(ra) & set(rb):
        merged = _Range()
        for r in (ra[subject], rb[subject]):
            if r.low:
                merged.add(">=" if r.low[1] else ">", r.low[0])
            if r.high:
                merged.add("<=" if r.high[1] else "<", r.high[0])
            if r.equal is not None:
                merged.restrict(r.equal)
            if r.codes:
                merged.codes = [*(merged.codes or []), *r.codes]
        if merged.empty():
            return True
    return False


def check_groups(rules: Sequence[Rule]) -> list[Finding]:
    findings: list[Finding] = []
    groups: dict[str, list[Rule]] = {}
    for rule in rules:
        if rule.group:
            groups.setdefault(rule.group, []).append(rule)
    for name, members in sorted(groups.items()):
        money = [r for r in members if r.benefit.amount is not None]
        if money and len(money) != len(members):
            without = ", ".join(r.id for r in members if r.benefit.amount is None)
            first = members[0]
            findings.append(_rule_finding(
                first, "warning", "group-incomparable",
                f"互斥组 {name} 的成员金额无法比较：{without} 没有金额", f"group {name}: amounts cannot be compared, "
                f"{without} has no amount", "互斥组按金额就高；给无金额的规则设 priority，或移出该组",
                "groups rank by amount: give the rules without one a priority, or take them out"))
        if len(members) == 1:
            findings.append(_rule_finding(
                members[0], "info", "group-single", f"互斥组 {name} 只有一条规则", f"group {name} has a single rule",
                "检查组名是否拼写一致", "check the group name is spelt the same in every member"))
    paying = [r for r in rules if r.benefit.amount is not None]
    for a, b in itertools.combinations(paying, 2):
        same_source = (a.source.document.file == b.source.document.file and a.source.clause == b.source.clause
                       and a.source.quote == b.source.quote and _cited(a) == _cited(b))
        if not same_source or (a.group and a.group == b.group) or _disjoint(a, b):
            continue
        findings.append(_rule_finding(
            b, "warning", "same-clause-outside-group",
            f"{a.id} 与 {b.id} 依据同一条款同一句原文付款，却不在同一互斥组，也没有互斥的条件",
            f"{a.id} and {b.id} pay from the same clause and sentence, outside one exclusive group and without "
            "disjoint conditions", "若不能同时享受，放入同一 group（就高不重复）；若可叠加，在 notes 中说明",
            "if they cannot be had together, put them in one group; if they stack, say so in notes"))
    return findings


def check_rule(rule: Rule, today: date) -> list[Finding]:
    findings = check_conditions(rule)
    if rule.effective.end is not None and rule.effective.end < today:
        findings.append(_rule_finding(
            rule, "info", "expired", f"已于 {rule.effective.end} 期满（历史规则仍可用于回溯评估）",
            f"expired on {rule.effective.end} (history: still valid for past dates)"))
    if not rule.source.clause.strip() or not (rule.source.quote.strip() or rule.source.periods):
        findings.append(_rule_finding(rule, "error", "missing-citation", "缺少出处（条款或原文）",
                                      "citation incomplete (clause or quote missing)",
                                      "source: {clause: …, quote: 原文照录}", "source: {clause: …, quote: verbatim text}"))
    if rule.source.quote.strip():
        findings += _quote_findings(rule, "source", rule.source.quote, rule.source.document.source_text, "document.source")
    for c in rule.source.periods + rule.source.restatements:
        where = f"{c.document} {c.clause}"
        if c.quote:
            findings += _quote_findings(rule, where, c.quote, c.text, "source")
        elif c.text is not None:
            findings.append(_rule_finding(
                rule, "error", "missing-quote", f"{where}：原文随规则包附带，却没有引原句",
                f"{where}: the text is shipped but no sentence is quoted", "在 quote 中逐字照录该期的原句",
                "quote the period's sentence verbatim"))
    return findings + _rule_hygiene(rule)


def _cited(rule: Rule) -> tuple[tuple[str, str, str | None], ...]:
    """What a rule cites by period and locally, to tell apart rules sharing a clause line."""
    return tuple((c.document, c.clause, c.quote) for c in rule.source.periods + rule.source.restatements)


def _quote_findings(rule: Rule, where: str, quote: str, text: str | None, pointer: str) -> list[Finding]:
    """A quote is checked verbatim where its text is shipped; without the text it cannot be (info).
    A citation by document number and article alone (no quote, no text) needs neither."""
    if text is None:
        return [_rule_finding(
            rule, "info", "no-source-text", f"{where}：原文未随规则包附带，引用无法核对",
            f"{where}: the pack ships no source text for it: the quote cannot be checked",
            f"用 {pointer} 指向原文文件，或只写文号与条款、不引原句",
            f"point {pointer} at its text, or cite the number and article without a quote")]
    if quote in text:
        return []
    return [_rule_finding(
        rule, "error", "quote-not-verbatim", f"{where}：原文引用在原文中找不到（须逐字照录）",
        f"{where}: the quote is not found verbatim in the source text",
        "从 sources/ 中的原文复制，注意半角逗号与括号", "copy it from the text in sources/, punctuation included")]


def _rule_hygiene(rule: Rule) -> list[Finding]:
    findings = []
    if not rule.tests:
        findings.append(_rule_finding(rule, "warning", "no-tests", "没有示例测试", "the rule has no tests",
                                      "在 tests: 中至少写符合、不符合与待定各一例",
                                      "write at least an eligible, an ineligible and an undetermined case"))
    if not rule.notes:
        findings.append(_rule_finding(rule, "warning", "no-notes", "notes 为空：未说明读法", "no notes: no reading stated",
                                      "说明对原文含糊之处采取的读法", "state the reading chosen where the text is vague"))
    return findings


def lint_rules(rules: RuleSet, today: date | None = None) -> list[Finding]:
    day = today or date.today()
    findings = [f for rule in rules.rules for f in check_rule(rule, day)]
    findings += check_groups(rules.rules)
    return sorted(findings, key=lambda f: (SEVERITIES.index(f.severity), f.file or "", f.line or 0, f.code))


def _from_error(err: RuleDefinitionError) -> Finding:
    return Finding("error", "load", err.file, err.line, err.rule_id, err.zh, err.en, err.hint_zh, err.hint_en, err.col,
                   err.source_line)


def lint(paths: Iterable[str | Path] = (), today: date | None = None) -> tuple[list[Finding], RuleSet | None]:
    """Load and check rule files; load errors come back as findings too (all at once)."""
    try:
        rules = load_rules(*paths)
    except RuleSetError as exc:
        return [_from_error(e) for e in exc.errors], None
    return lint_rules(rules, today), rules

