"""Render evaluation traces as text a non-programmer can follow (zh/en), and as JSON-ready dicts.

The words follow the style guide (docs/zh/style-guide.md): every condition is said as the policy says
it, the firm's value first ("营业收入 2,500万元，不低于 2,000万元 ✓"); failed thresholds say how far
the firm is from passing ("还差 200万元"); missing facts are said as missing; measures are named by
title; one level of brackets; presumptions are stated as assumptions.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from collections.abc import Callable, Iterator
from typing import Any

from .facts.codes import division_name, region_name, section_name
from .facts.coverage import is_coverage
from .facts.derived import DERIVED
from .facts.profile import registry
from .facts.flatten import UNKNOWN
from .facts.labels import enum_label
from .facts.money import format_money, format_number, format_rate
from .model import expr as x
from .model.dispatch import NodeTable
from .model.rule import Citation, Rule
from .outcome import EvaluationRecord as Evaluation
from .outcome import RuleRecord as RuleResult
from .outcome import Trace

U = UNKNOWN
MARK = {True: "✓", False: "✗"}
ELIGIBLE, INELIGIBLE, UNDETERMINED, SUPERSEDED, ERROR = "eligible", "ineligible", "undetermined", "superseded", "error"
"""Status values as strings (a Status is a str): explain renders results without importing them."""
OPS = {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "==": "=", "!=": "≠"}


def _mark(value: Any) -> str:
    return MARK.get(value, "？") if isinstance(value, bool) or value is U else ""


# -- value kinds and formatting --------------------------------------------------------------
KINDS: NodeTable[Callable[[Any, Rule | None], str]] = NodeTable("value kinds")
"""How each node class's value is written: money, rate, person, date, bool, enum, code:industry..."""


STATIC_MAX = 8192
"""How many entries each cache of a rule's constant renderings keeps (cleared when full): the bundled
packs need a few hundred; rule sets reloaded again and again must not grow them without end."""

_KIND_OF: dict[tuple[int, int], tuple[x.Node, Rule | None, str]] = {}


def kind_of(node: x.Node, rule: Rule | None) -> str:
    """How a node's value should be written: money, rate, person, date, bool, enum, code:industry...
    It reads only the rule, so it is worked out once per node and rule (both kept: their ids stay theirs)."""
    key = (id(node), id(rule))
    hit = _KIND_OF.get(key)
    if hit is not None and hit[0] is node and hit[1] is rule:
        return hit[2]
    kind: str = KINDS[type(node)](node, rule)
    if len(_KIND_OF) >= STATIC_MAX:
        _KIND_OF.clear()
    _KIND_OF[key] = (node, rule, kind)
    return kind


@KINDS.on(x.Literal)
def _literal_kind(node: x.Literal, rule: Rule | None) -> str:
    if node.unit == "percent":
        return "rate"
    if node.unit:
        return node.unit
    return {bool: "bool", str: "str", date: "date", Decimal: "number"}.get(type(node.value), "value")


@KINDS.on(x.Field, x.ItemField)
def _field_kind(node: x.Field | x.ItemField, rule: Rule | None) -> str:
    path = node.path if isinstance(node, x.Field) else f"{node.list_path}[].{node.name}"
    t = registry()[path].type
    if t.kind == "number":
        return t.unit or "number"
    return f"code:{t.code}" if t.kind == "code" else t.kind


@KINDS.on(x.Derived)
def _derived_kind(node: x.Derived, rule: Rule | None) -> str:
    return DERIVED[node.name].type.kind


@KINDS.on(x.Param)
def _param_kind(node: x.Param, rule: Rule | None) -> str:
    if rule is None:
        return "bool"
    values = rule.params[node.name].values
    return kind_of(values[0].value, rule) if values else "value"


@KINDS.on(x.AsOf)
def _as_of_kind(node: x.AsOf, rule: Rule | None) -> str:
    return "date"


@KINDS.on(x.Arith)
def _arith_kind(node: x.Arith, rule: Rule | None) -> str:
    left, right = kind_of(node.left, rule), kind_of(node.right, rule)
    if "date" in (left, right):
        return "date"
    if node.op == "/" and left == right == "money":
        return "number"
    return "money" if "money" in (left, right) else left if left not in ("number", "rate") else right


@KINDS.on(x.Call)
def _call_kind(node: x.Call, rule: Rule | None) -> str:
    if node.func == "year":
        return "number"
    if node.func == "lookup":
        return kind_of(node.args[1].items[1], rule)  # type: ignore[attr-defined]
    if node.func in ("min", "max", "round_fen", "tiered"):
        return kind_of(node.args[0], rule)
    return "bool"


@KINDS.on(x.Quantifier)
def _quantifier_kind(node: x.Quantifier, rule: Rule | None) -> str:
    return "count" if node.func == "count" else kind_of(node.body, rule) if node.func == "sum" else "bool"


@KINDS.on(x.IfElse)
def _if_else_kind(node: x.IfElse, rule: Rule | None) -> str:
    return kind_of(node.then, rule)


@KINDS.on(x.Neg)
def _neg_kind(node: x.Neg, rule: Rule | None) -> str:
    return kind_of(node.item, rule)


@KINDS.on(x.Compare, x.InList, x.Under, x.And, x.Or, x.Not, x.Clause, x.ListLit, x.Name)
def _bool_kind(node: x.Node, rule: Rule | None) -> str:
    return "bool"


def format_value(value: Any, kind: str, lang: str = "zh") -> str:
    if kind == "money" and type(value) is Decimal:  # the commonest, first (no test below would take it)
        return format_money(value, lang)
    if type(value) is str:  # the next commonest: no test before the text's own would take it
        return _format_text(value, kind, lang)
    if value is U:
        return "未知" if lang != "en" else "unknown"
    if value is None:
        return "无" if lang != "en" else "none"
    if isinstance(value, bool):
        return ("yes" if value else "no") if lang == "en" else ("是" if value else "否")
    if isinstance(value, x.Duration):
        unit_zh = {"day": "天", "month": "个月", "year": "年"}[value.unit]
        return f"{value.amount} {value.unit}s" if lang == "en" else f"{value.amount}{unit_zh}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return _format_text(value, kind, lang)
    if kind == "enum" and str(value).isdigit():  # a numbered grade (第三方评估档次): an ordinal, not a quantity
        return f"tier {value}" if lang == "en" else f"第{value}档"
    if kind == "money" and isinstance(value, Decimal):
        return format_money(value, lang)
    if kind == "rate" and isinstance(value, Decimal):
        return format_rate(value)
    if isinstance(value, (Decimal, int)):
        return format_number(value, kind if kind not in ("number", "value") else None, lang)
    if kind == "enum":
        return enum_label(value, lang)
    return str(value)


def _format_text(value: str, kind: str, lang: str) -> str:
    """:func:`format_value` of a text value: an enum (a numbered grade, 第三方评估档次, is an ordinal, not a
    quantity), a code with its name, or the text itself."""
    if kind == "enum":
        if value.isdigit():
            return f"tier {value}" if lang == "en" else f"第{value}档"
        return enum_label(value, lang)
    if kind == "code:industry":
        name = division_name(value, lang) if len(value) >= 3 else section_name(value, lang)
        return f"{value}（{name}）" if name and lang != "en" else f"{value} ({name})" if name else value
    if kind == "code:region":
        name = region_name(value, lang)
        return f"{value}（{name}）" if name and lang != "en" else f"{value} ({name})" if name else value
    return value


def _walk_trace(trace: Trace) -> Iterator[Trace]:
    yield trace
    for kid in trace.children:
        yield from _walk_trace(kid)


def _true_items(trace: Trace) -> list[Trace]:
    """The coverage cells that matched: the true item of each ``any(certification_coverage, …)``."""
    return [next(k for k in t.children if k.value is True) for t in _walk_trace(trace)
            if isinstance(t.node, x.Quantifier) and t.value is True]


RENDER: NodeTable[Callable[..., str]] = NodeTable("explanation", unsupported={x.Name})
"""How each node class's trace reads in an explanation (a method of :class:`_Renderer`)."""

BRACKETS = "（）()[]［］〔〕【】"
"""Characters that open or close a bracket; the style guide allows one level of them in Chinese text."""

REQUIRE = {"<": ("低于", "below"), "<=": ("不超过", "at most"), ">": ("超过", "above"), ">=": ("不低于", "at least"),
           "==": ("等于", "equal to"), "!=": ("不等于", "other than")}
"""A comparison said as a policy says it: "从业人员 50人，不超过 100人"."""
REQUIRE_DATE = {"<": ("早于", "before"), "<=": ("不晚于", "on or before"), ">": ("晚于", "after"),
                ">=": ("不早于", "on or after"), "==": ("是", "on"), "!=": ("不是", "not on")}
"""The same for dates ("入库日期 2024-03-01，不早于 2022-01-01")."""
FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
NEGATE = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}


_BRACKET = re.compile("[" + re.escape(BRACKETS) + "]")
_DOCUMENT_YEAR = re.compile(r"〔\d{4}〕")


def has_bracket(text: str) -> bool:
    """Whether ``text`` has a bracket, a document number's year (〔2019〕) not counted."""
    return _BRACKET.search(text) is not None and _BRACKET.search(_DOCUMENT_YEAR.sub("", text)) is not None


def aside(main: str, note: str, en: bool) -> str:
    """``main`` with a note: in brackets when the note has none of its own, else after a comma (one
    level of brackets at most)."""
    if not note:
        return main
    if has_bracket(note) or has_bracket(main) and not en and main.rstrip().endswith(tuple(BRACKETS)):
        return f"{main}, {note}" if en else f"{main}，{note}"
    return f"{main} ({note})" if en else f"{main}（{note}）"


def bare(label: str) -> str:
    """A label without its bracketed gloss ("资源税（不含水资源税）" → "资源税"), for use inside brackets."""
    return re.sub(r"\s*[（(][^（）()]*[）)]", "", label) or label


_CODE_NAMES: dict[tuple[int, str], tuple[x.Node, str]] = {}
"""The codes of an ``under`` test named in one language (rule constants: worked out once per node)."""
_LABELS: dict[tuple[int, str, bool], tuple[x.Node, str]] = {}
"""Facts' labels by node, language and whether inside arithmetic (bare there)."""
_CONSTANTS: dict[tuple[int, str, str | None], tuple[x.Node, str]] = {}
"""Literals as written in an operand, by node, language and the kind asked for."""


class _Renderer:
    """Renders one rule's traces in one language."""

    def __init__(self, rule: Rule | None, lang: str) -> None:
        self.rule, self.lang = rule, lang
        self.en = lang == "en"
        self.bases: list[str] = []  # documents of the parameters shown in arithmetic, said once at the end
        self.details: list[str] = []  # worked brackets of a tiered amount, said after the line that uses them
        self.in_arith = 0
        self.written: dict[int, tuple[str, list[tuple[dict[str, Any], str]]]] = {}  # see _written

    def t(self, zh: str, en: str) -> str:
        return en if self.en else zh

    def label(self, node: x.Node) -> str:
        """A fact's label in the renderer's language (bare inside arithmetic); "" for anything else."""
        key = (id(node), self.lang, self.in_arith > 0)
        hit = _LABELS.get(key)
        if hit is not None and hit[0] is node:
            return hit[1]
        text = self._label(node)
        if len(_LABELS) >= STATIC_MAX:
            _LABELS.clear()
        _LABELS[key] = (node, text)
        return text

    def _label(self, node: x.Node) -> str:
        if isinstance(node, x.Field):
            text = registry()[node.path].label(self.lang)
        elif isinstance(node, x.ItemField):
            text = registry()[f"{node.list_path}[].{node.name}"].label(self.lang)
        elif isinstance(node, x.Derived):
            text = DERIVED[node.name].label(self.lang)
        elif isinstance(node, x.AsOf):
            text = self.t("评估日期", "evaluation date")
        else:
            return ""
        return bare(text) if self.in_arith else text

    def value(self, trace: Trace) -> str:
        return format_value(trace.value, kind_of(trace.node, self.rule), self.lang)

    def sep(self) -> str:
        return self.t("，", ", ")

    def operand(self, trace: Trace, kind: str | None = None) -> str:
        """An operand with its label and value ("营业收入 2,500万元"); constants as themselves, in
        ``kind`` when given (a bare 0 beside money reads "0元")."""
        node = trace.node
        if isinstance(node, x.Literal) and trace.value is node.value:
            key = (id(node), self.lang, kind)
            hit = _CONSTANTS.get(key)
            if hit is not None and hit[0] is node:
                return hit[1]
            text = self._constant(trace, node, kind)
            if len(_CONSTANTS) >= STATIC_MAX:
                _CONSTANTS.clear()
            _CONSTANTS[key] = (node, text)
            return text
        if isinstance(node, x.Literal):
            return self._constant(trace, node, kind)
        said = None
        if isinstance(node, (x.Field, x.ItemField)) and isinstance(trace.value, bool):
            said = f"{self.label(node)}{self.t('：', ': ')}{self.value(trace)}"
        elif isinstance(node, x.Derived | x.Field) and trace.note is not None and not self.in_arith:
            said = f"{self.label(node)} {self.value(trace)}"  # a derivation; a confirmed value
        if said is not None:
            if trace.note is None or self.in_arith:
                return said
            return aside(said, trace.note.en if self.en else trace.note.zh, self.en)
        if isinstance(node, (x.Field, x.ItemField, x.Derived, x.AsOf)):
            return f"{self.label(node)} {self.value(trace)}"
        if isinstance(node, x.Param):
            if isinstance(trace.value, bool):  # a yes/no switch of the period: say what it switches
                shown = (self.t("当期适用", "in force for the period") if trace.value
                         else self.t("当期不适用", "not in force for the period"))
            elif kind is not None and kind_of(node, self.rule) in ("number", "value"):
                shown = format_value(trace.value, kind, self.lang)
            else:
                shown = self.value(trace)
            return self.with_basis(shown, node.name)
        return self.expr(trace)

    def _constant(self, trace: Trace, node: x.Literal, kind: str | None) -> str:
        """A literal as written in an operand (a rule constant: the same text for every firm)."""
        if isinstance(node.value, str):
            return format_value(node.value, "enum", self.lang)
        if kind is not None and kind_of(node, self.rule) in ("number", "value"):
            return format_value(trace.value, kind, self.lang)
        return self.value(trace)

    def basis(self, name: str) -> str:
        """The document that set a dated parameter's value of the period (财税〔2019〕13号), or ""."""
        if self.rule is None or self.as_of is None:
            return ""
        pv = self.rule.params[name].at(self.as_of)
        return pv.basis if pv is not None and pv.basis else ""

    def with_basis(self, shown: str, name: str) -> str:
        """A parameter's value named with its basis: "10万元（依据 财政部 税务总局公告2023年第1号）"; inside
        arithmetic the basis is said once after the line."""
        basis = self.basis(name)
        if not basis:
            return shown
        if self.in_arith:
            if basis not in self.bases:
                self.bases.append(basis)
            return shown
        return aside(shown, self.t(f"依据 {basis}", f"per {basis}"), self.en)

    as_of: date | None = None

    def expr(self, trace: Trace) -> str:
        """An expression with values, no outcome mark."""
        return RENDER[type(trace.node)](self, trace, trace.node, trace.children)  # type: ignore[no-any-return]

    def said(self, trace: Trace) -> str:
        """A condition's text, with the documents of any parameters its arithmetic used named once after it."""
        self.bases = []
        text = self.expr(trace)
        if not self.bases:
            return text
        return aside(text, self.t(f"依据 {'、'.join(self.bases)}", f"per {'; '.join(self.bases)}"), self.en)

    @RENDER.on(x.Compare)
    def _compare(self, trace: Trace, node: x.Compare, kids: tuple[Trace, ...]) -> str:
        return self.compare(trace, node, kids, negated=False)

    def compare(self, trace: Trace, node: x.Compare, kids: tuple[Trace, ...], negated: bool) -> str:
        """A comparison as the policy says it: the fact, then the requirement ("从业人员 50人，不超过 100人");
        a missing fact is said as missing."""
        ops = tuple(NEGATE[o] for o in node.ops) if negated and len(node.ops) == 1 else node.ops
        equality = self._equality(ops, kids)
        if equality is not None:
            return equality
        if negated and len(node.ops) != 1:
            return self.t(f"并非「{self.compare(trace, node, kids, False)}」", f"not: {self.compare(trace, node, kids, False)}")
        if len(kids) == 2:
            fact, other, op = kids[0], kids[1], ops[0]
            if not _is_fact(fact.node) and _is_fact(other.node):
                fact, other, op = other, fact, FLIP[op]
            if _is_fact(fact.node):
                kind = kind_of(fact.node, self.rule)
                zh, en = (REQUIRE_DATE if kind == "date" else REQUIRE)[op]
                want = self.operand(other, kind)
                if fact.value is U and isinstance(fact.node, (x.Field, x.ItemField)):
                    label = self.label(fact.node)
                    return self.t(f"缺少{label}，无法判断是否{zh} {want}", f"{label} missing: cannot tell whether it is {en} {want}")
                if fact.value is None and isinstance(fact.node, (x.Field, x.ItemField)):  # known absent: no record
                    label = self.label(fact.node)
                    return self.t(f"没有{label}的记录，应{zh} {want}", f"no {label} on record; must be {en} {want}")
                return f"{self.operand(fact)}{self.sep()}{self.t(zh, en)} {want}"
        if len(kids) == 3 and _is_fact(kids[1].node) and not _is_fact(kids[0].node) and not _is_fact(kids[2].node):
            fact = kids[1]
            kind = kind_of(fact.node, self.rule)
            words = REQUIRE_DATE if kind == "date" else REQUIRE
            low, high = words[FLIP[ops[0]]], words[ops[1]]
            first = f"{self.t(low[0], low[1])} {self.operand(kids[0], kind)}"
            second = f"{self.t(high[0], high[1])} {self.operand(kids[2], kind)}"
            return f"{self.operand(fact)}{self.sep()}{first}{self.t('、', ' and ')}{second}"
        parts = [self.operand(kids[0])] if kids else []
        for op, kid in zip(ops, kids[1:]):
            parts.append(OPS[op])
            parts.append(self.operand(kid))
        return " ".join(parts)

    @RENDER.on(x.Under)
    def _under(self, trace: Trace, node: x.Under, kids: tuple[Trace, ...]) -> str:
        key = (id(node), self.lang)
        hit = _CODE_NAMES.get(key)
        if hit is None or hit[0] is not node:
            system = kind_of(node.operand, self.rule)
            names = self.t("、", ", ").join(format_value(code, system, self.lang) for code in node.codes)
            hit = _CODE_NAMES[key] = (node, names)  # the node is kept, so its id is never reused
        return self._membership(trace, hit[1], node.negated, "属于", "under")

    @RENDER.on(x.InList)
    def _in_list(self, trace: Trace, node: x.InList, kids: tuple[Trace, ...]) -> str:
        items = self.t("、", ", ").join(self.operand(k) for k in kids[1:])
        return self._membership(trace, self.t(f"「{items}」之一", f"one of: {items}"), node.negated, "属于", "")

    @RENDER.on(x.And, x.Or)
    def _junction(self, trace: Trace, node: x.And | x.Or, kids: tuple[Trace, ...]) -> str:
        parts = []
        nested = False
        for k in kids:
            text = f"{self.expr(k)} {_mark(k.value)}".rstrip()
            if isinstance(k.node, (x.And, x.Or)):
                nested = True
                text = text if has_bracket(text) else self.t(f"（{text}）", f"({text})")
            parts.append(text)
        word = self.t("且" if isinstance(node, x.And) else "或", "and" if isinstance(node, x.And) else "or")
        joiner = self.t(f"；{word} " if nested else f"，{word} ", f"; {word} " if nested else f", {word} ")
        return joiner.join(parts)

    @RENDER.on(x.Not)
    def _not(self, trace: Trace, node: x.Not, kids: tuple[Trace, ...]) -> str:
        """A negation says the fact itself when the fact reads as a statement ("没有退库日期",
        "个体工商户：否"); a negated comparison turns its requirement round."""
        kid = kids[0]
        if isinstance(kid.node, x.Compare):
            return self.compare(kid, kid.node, kid.children, negated=True)
        if isinstance(kid.node, (x.Derived, x.Field, x.ItemField, x.Call, x.Under, x.InList, x.Quantifier)):
            return self.expr(kid)
        inner = self.expr(kid)  # once: a chain of nots renders in linear time
        return self.t(f"并非「{inner}」", f"not: {inner}")

    @RENDER.on(x.Derived)
    def _derived(self, trace: Trace, node: x.Derived, kids: tuple[Trace, ...]) -> str:
        note = (trace.note.en if self.en else trace.note.zh) if trace.note is not None else ""
        head = f"{self.label(node)}{self.t('：', ': ')}{self.value(trace)}"
        return f"{head}{self.sep()}{note}" if note else head

    @RENDER.on(x.Field, x.ItemField, x.AsOf, x.Param, x.Literal)
    def _leaf(self, trace: Trace, node: x.Node, kids: tuple[Trace, ...]) -> str:
        return self.operand(trace)

    @RENDER.on(x.Arith)
    def _arith(self, trace: Trace, node: x.Arith, kids: tuple[Trace, ...]) -> str:
        op = {"*": "×", "/": "÷", "-": "−"}.get(node.op, node.op)
        self.in_arith += 1
        try:
            return f"{self._term(kids[0], node.op, False)} {op} {self._term(kids[1], node.op, True)}"
        finally:
            self.in_arith -= 1

    def _term(self, trace: Trace, op: str, right: bool) -> str:
        """One side of an arithmetic operation, bracketed only where precedence needs it."""
        text = self.expr(trace)
        inner = trace.node
        if not isinstance(inner, x.Arith):
            return text
        loose = inner.op in "+-" and op in "*/" or right and (op in "-/" or op == "*" and inner.op == "/")
        if not loose or inner.op == op and op in "+*" and not right:
            return text
        return text if has_bracket(text) else f"({text})"

    @RENDER.on(x.Neg)
    def _neg(self, trace: Trace, node: x.Neg, kids: tuple[Trace, ...]) -> str:
        return f"−{self._term(kids[0], '*', True)}"

    @RENDER.on(x.IfElse)
    def _if_else(self, trace: Trace, node: x.IfElse, kids: tuple[Trace, ...]) -> str:
        """The branch taken, by its value (the test is a condition of the policy, shown with the
        conditions); an undecidable test says so."""
        if is_coverage(node):
            return self.coverage(trace)
        cond = kids[0]
        if cond.value is U:
            return self.t("无法确定：缺少数据", "cannot tell: data missing")
        branch = self.expr(kids[1]) if len(kids) > 1 else self.value(trace)
        if isinstance(cond.node, x.Compare):  # a plain test is said as it stands for the firm
            why = self.compare(cond, cond.node, cond.children, negated=cond.value is False)
        elif isinstance(cond.node, (x.Derived, x.Field, x.Call)):
            why = self.expr(cond)
        else:
            return branch
        return aside(branch, self.t(f"因 {why}", f"as {why}"), self.en)

    @RENDER.on(x.Call)
    def _call(self, trace: Trace, node: x.Call, kids: tuple[Trace, ...]) -> str:
        return self.call(trace)

    @RENDER.on(x.Quantifier)
    def _quantifier(self, trace: Trace, node: x.Quantifier, kids: tuple[Trace, ...]) -> str:
        return self.quantifier(trace)

    @RENDER.on(x.ListLit, x.Clause)
    def _value_only(self, trace: Trace, node: x.Node, kids: tuple[Trace, ...]) -> str:
        """A ``tiered`` pair or a written condition's own node (their calls and items render themselves)."""
        return self.value(trace)

    def _membership(self, trace: Trace, target: str, negated: bool, word_zh: str, word_en: str) -> str:
        """``x under/in …``: the requirement when it holds; the requirement and the fact when it fails."""
        subject = self.operand(trace.children[0])
        zh_rel, en_rel = ("不" + word_zh, f"not {word_en}".rstrip()) if negated else (word_zh, word_en)
        en_target = f"{en_rel} {target}".strip()
        if trace.value is False:
            fact_zh = word_zh if negated else "不" + word_zh
            return self.t(f"{subject}，应{zh_rel} {target}，实际{fact_zh}", f"{subject}: must be {en_target}; it is not")
        if trace.value is U:
            node = trace.children[0].node
            if trace.children[0].value is U and isinstance(node, (x.Field, x.ItemField)):
                label = self.label(node)
                return self.t(f"缺少{label}，无法判断是否{zh_rel} {target}",
                              f"{label} missing: cannot tell whether it is {en_target}")
            return self.t(f"{subject}，是否{zh_rel} {target} 未知", f"whether {subject} is {en_target} is unknown")
        return self.t(f"{subject}，{zh_rel}{'' if target.startswith('「') else ' '}{target}", f"{subject}, {en_target}")

    def _equality(self, ops: tuple[str, ...], kids: tuple[Trace, ...]) -> str | None:
        """``field == "value"`` reads as "增值税纳税人类型：小规模纳税人"; failing, "…，应为 一般纳税人"."""
        if len(ops) != 1 or ops[0] not in ("==", "!=") or len(kids) != 2:
            return None
        fact, const = kids
        if isinstance(fact.node, x.Literal):
            fact, const = const, fact
        if not isinstance(const.node, x.Literal) or isinstance(const.node.value, Decimal) or isinstance(fact.node, x.Literal):
            return None
        label = self.label(fact.node) or self.expr(fact)
        expected = format_value(const.node.value, "enum", self.lang)
        if fact.value is U and isinstance(fact.node, (x.Field, x.ItemField)):
            need = self.t("为" if ops[0] == "==" else "不为", "is" if ops[0] == "==" else "is not")
            return self.t(f"缺少{label}，无法判断是否{need} {expected}",
                          f"{label} missing: cannot tell whether it {need} {expected}")
        if fact.value is None and isinstance(fact.node, (x.Field, x.ItemField)) and ops[0] == "==":
            return self.t(f"没有{label}的记录，应为 {expected}", f"no {label} on record; required: {expected}")
        actual = self.value(fact)
        holds = fact.value == const.node.value
        if ops[0] == "==" and holds or ops[0] == "!=" and not holds and fact.value is not U:
            return f"{label}{self.t('：', ': ')}{actual}"
        need = self.t("应为" if ops[0] == "==" else "不应为", "required:" if ops[0] == "==" else "must not be")
        return f"{label}{self.t('：', ': ')}{actual}{self.sep()}{need} {expected}"

    def call(self, trace: Trace) -> str:
        node, kids = trace.node, trace.children
        assert isinstance(node, x.Call)
        f = node.func
        if f in ("within", "in_year") and self.as_of is not None:
            subject = kids[0]
            label = self.label(subject.node) or self.expr(subject)
            if f == "within":
                span_zh = f"在评估日前{format_value(kids[1].value, 'duration')}内"
                span_en = f"within {format_value(kids[1].value, 'duration', 'en')} before the evaluation date"
            else:
                span_zh, span_en = f"在{self.as_of.year}年内", f"in {self.as_of.year}"
            if subject.value is U:
                return self.t(f"缺少{label}，无法判断", f"{label} missing: cannot tell")
            if subject.value is None:
                return self.t(f"没有{label}", f"no {label}")
            inside = trace.value is True
            return self.t(f"{self.operand(subject)}，{'' if inside else '不'}{span_zh}",
                          f"{self.operand(subject)}, {'' if inside else 'not '}{span_en}")
        if f == "known":
            return self.t(f"{self.label(kids[0].node)}已知", f"{self.label(kids[0].node)} is known")
        if f == "exists":
            return self.t(f"有{self.label(kids[0].node)}记录", f"has a {self.label(kids[0].node)} record")
        if f == "year":
            return self.t(f"{self.operand(kids[0])} 的年份", f"year of {self.operand(kids[0])}")
        if f == "tiered":
            return self.tiered(trace)
        if f == "lookup":
            base = self.operand(kids[0])
            return self.t(f"按{base}，取值 {self.value(trace)}", f"{self.value(trace)} by {base}")
        name = {"min": self.t("较小者", "the smaller of"), "max": self.t("较大者", "the larger of"),
                "round_fen": self.t("四舍五入到分", "rounded to the fen")}.get(f, f)
        self.in_arith += 1
        try:
            args = self.t("、", ", ").join(self.operand(k) for k in kids)
        finally:
            self.in_arith -= 1
        return self.t(f"{args}的{name} {self.value(trace)}", f"{name} {args}: {self.value(trace)}")

    def tiered(self, trace: Trace) -> str:
        """Marginal brackets in words with the arithmetic ("应纳税所得额 260万元：100万元以内部分按 5%，
        计 5万元；100万元至260万元部分按 5%，计 8万元；合计 13万元"), said on a line of its own."""
        kids = trace.children
        base = kids[0]
        total = self.value(trace)
        self.in_arith += 1
        try:
            subject = self.operand(base)
            pairs = [(a, b) for a, b in zip(kids[1::2], kids[2::2])]
            if not isinstance(base.value, Decimal) or any(not isinstance(a.value, Decimal) or not isinstance(b.value, Decimal)
                                                          for a, b in pairs):
                tiers = self.t("；", "; ").join(
                    self.t(f"{self.operand(a)}以内部分按 {self.operand(b)}", f"{self.operand(b)} up to {self.operand(a)}")
                    for a, b in pairs)
                self.details.append(f"{subject}{self.t('：', ': ')}{tiers}")
                return self.t(f"分档计算的金额 {total}", f"the bracketed amount {total}")
            kind = kind_of(base.node, self.rule)
            parts, lower = [], Decimal(0)
            for a, b in pairs:
                bound, rate = a.value, b.value
                if base.value <= lower:
                    break
                top = min(base.value, bound)
                part = format_value((top - lower) * rate, "money", self.lang)
                hi, lo = format_value(bound, kind, self.lang), format_value(lower, kind, self.lang)
                piece = format_value(top - lower, kind, self.lang)
                rate_text = self.operand(b)
                if lower == 0:
                    parts.append(self.t(f"{hi}以内部分 {piece}，按 {rate_text}，计 {part}",
                                        f"the part up to {hi}, {piece} at {rate_text}: {part}"))
                else:
                    parts.append(self.t(f"{lo}至{hi}部分 {piece}，按 {rate_text}，计 {part}",
                                        f"the part from {lo} to {hi}, {piece} at {rate_text}: {part}"))
                lower = bound
        finally:
            self.in_arith -= 1
        self.details.append(f"{subject}{self.t('：', ': ')}{self.t('；', '; ').join(parts)}"
                            f"{self.t('；合计 ', '; in all ')}{total}")
        return self.t(f"分档计算的金额 {total}", f"the bracketed amount {total}")

    def coverage(self, trace: Trace) -> str:
        """A quantifier over ``certifications`` read under the department lists' coverage: the list
        decides when given; else the listed certifications, and the complete lists for the rest."""
        cond, branch = trace.children[0], trace.children[-1]
        if cond.value is not True:
            return self.expr(branch)
        if isinstance(branch.node, x.IfElse):  # count / sum: the listed ones, when the lists are complete there
            within, taken = branch.children[0], branch.children[-1]
            if within.value is not True:
                return self.expr(taken)
            return self.t(f"{self.expr(taken)}；据 {self._complete_lists(within)} 无其他",
                          f"{self.expr(taken)}; no other on {self._complete_lists(within)}, complete")
        listed, rest = branch.children[0], branch.children[-1]
        decisive = isinstance(branch.node, x.Or)  # any: a listed match decides; all: a listed failure
        if listed.value is decisive:
            return self.expr(listed)
        if rest.value is not (not decisive):
            return self.expr(rest.children[-1])
        lists = self._complete_lists(rest.children[0])
        if decisive:
            return self.t(f"据 {lists} 未列入", f"not on {lists}, a complete list")
        return self.t(f"{self.expr(listed)}；据 {lists} 无其他", f"{self.expr(listed)}; no other on {lists}, complete")

    def _complete_lists(self, trace: Trace) -> str:
        """The complete lists whose coverage cells matched, each with its kind, level and period."""
        lists = []
        for cell in _true_items(trace):
            got = {t.node.name: t.value for t in _walk_trace(cell) if isinstance(t.node, x.ItemField)}
            level = got.get("level")
            level = format_value(level, "enum", self.lang) if isinstance(level, str) else self.t("各级", "all levels")
            source = got.get("source")
            source = source if isinstance(source, str) else self.t("名单", "the list")
            lists.append(self.t(
                f"{source}（{format_value(got['kind'], 'enum', self.lang)}，{level}，{got['certified_from']}至"
                f"{got['certified_to']}）",
                f"{source} ({format_value(got['kind'], 'enum', self.lang)}, {level}, {got['certified_from']} to "
                f"{got['certified_to']})"))
        return self.t("、", "; ").join(lists)

    def quantifier(self, trace: Trace) -> str:
        node = trace.node
        assert isinstance(node, x.Quantifier)
        spec = registry()[node.list_path]
        what = spec.label(self.lang)
        if trace.value is U and not trace.children:
            return self.t(f"缺少{what}，无法判断", f"{what} missing: cannot tell")
        if node.func == "any":
            hit = next((k for k in trace.children if k.value is True), None)
            if hit is not None:
                found = self.expr(hit)
                return self.t(f"{what}中有一项满足——{found}", f"one of {what} matches — {found}")
            n = len(trace.children)
            if n == 0:
                return self.t(f"没有{what}", f"no {what}")
            head = self.t(f"{what}共{n}项，没有一项满足条件", f"none of {n} {what} matches")
            shown = [self.t(f"第{i}项：{text}", f"item {i}: {text}")
                     for i, text in enumerate((self.expr(k) for k in trace.children[:3]), 1)]
            more = [self.t(f"另有{n - 3}项", f"{n - 3} more")] if n > 3 else []
            return head + self.t("——", " — ") + self.t("；", "; ").join(shown + more)
        if node.func == "all":
            return self.t(f"{what}共{len(trace.children)}项，各项均须满足", f"all {len(trace.children)} {what} must match")
        if node.func == "count":
            return self.t(f"{what}中满足条件的 {self.value(trace)}", f"{self.value(trace)} of {what} match")
        return self.t(f"{what}合计 {self.value(trace)}", f"total over {what}: {self.value(trace)}")

    # -- distance to a threshold ----------------------------------------------------------------
    def distance(self, trace: Trace) -> list[dict[str, Any]]:
        """For a failed numeric comparison: how far the firm is from passing, per failing pair."""
        node = trace.node
        if not isinstance(node, x.Compare) or trace.value is not False or len(trace.children) != len(node.operands):
            return []
        out = []
        for op, a, b in zip(node.ops, trace.children, trace.children[1:]):
            if op in ("==", "!="):
                continue
            va, vb = a.value, b.value
            if not (isinstance(va, Decimal | int) and isinstance(vb, Decimal | int)) or isinstance(va, bool):
                continue
            ok = {"<": va < vb, "<=": va <= vb, ">": va > vb, ">=": va >= vb}[op]
            if ok:
                continue
            varying, fixed, op2 = (a, b, op) if _is_fact(a.node) else (b, a, {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op])
            if not _is_fact(varying.node):
                continue
            v, threshold = Decimal(varying.value), Decimal(fixed.value)
            gap = abs(threshold - v)
            kind = kind_of(varying.node, self.rule)
            out.append({
                "field": _path(varying.node), "value": v, "threshold": threshold, "op": op2, "gap": gap,
                "kind": kind, "label": self.label(varying.node),
            })
        return out

    def distance_text(self, d: dict[str, Any]) -> str:
        gap = format_value(d["gap"], d["kind"], self.lang)
        label = d["label"]
        if d["gap"] == 0:  # exactly at a strict threshold
            threshold = format_value(d["threshold"], d["kind"], self.lang)
            need = self.t("超过" if d["op"] == ">" else "低于", "above" if d["op"] == ">" else "below")
            return self.t(f"{label}恰好等于 {threshold}，须{need}该门槛（不含本数）",
                          f"{label} is exactly {threshold}; it must be {need} it (the threshold itself is excluded)")
        if d["op"] == ">=":
            return self.t(f"{label}还差 {gap}", f"{label} is {gap} short")
        if d["op"] == ">":
            return self.t(f"{label}须超过门槛，至少还差 {gap} 以上", f"{label} must exceed the threshold: more than {gap} short")
        if d["op"] == "<=":
            return self.t(f"{label}超出 {gap}", f"{label} is {gap} over")
        return self.t(f"{label}须低于门槛，超出 {gap}（含等于）", f"{label} must be below the threshold: {gap} over (or equal)")


_IS_FACT: dict[int, tuple[x.Node, bool]] = {}


def _is_fact(node: x.Node) -> bool:
    """Whether a node reads the firm: a fact, or arithmetic or a quantifier over fields (once per node)."""
    if isinstance(node, (x.Field, x.Derived, x.ItemField)):
        return True
    if not isinstance(node, (x.Arith, x.Quantifier)):
        return False
    hit = _IS_FACT.get(id(node))
    if hit is None or hit[0] is not node:
        if len(_IS_FACT) >= STATIC_MAX:
            _IS_FACT.clear()
        hit = _IS_FACT[id(node)] = (node, any(isinstance(n, (x.Field, x.ItemField)) for n in x.walk(node)))
    return hit[1]


def _path(node: x.Node) -> str:
    if isinstance(node, x.Field):
        return node.path
    if isinstance(node, x.ItemField):
        return f"{node.list_path}[].{node.name}"
    if isinstance(node, x.Derived):
        return node.name
    return next((n.path for n in x.walk(node) if isinstance(n, x.Field)), "")


# -- clauses ------------------------------------------------------------------------------------
def clauses(trace: Trace | None) -> list[Trace]:
    """The conditions as written (traces marked with their clause) in order, through all/any/not."""
    if trace is None:
        return []
    if trace.clause is not None:
        return [trace]
    out: list[Trace] = []
    for kid in trace.children:
        out.extend(clauses(kid))
    return out


def failed_clauses(result: RuleResult) -> list[Trace]:
    return [c for c in clauses(result.trace) if c.value is False]


def _field_label(path: str, lang: str) -> str:
    spec = registry().get(path)
    if spec is None:
        return path
    return f"{spec.label(lang)}（{path}）" if lang != "en" else f"{spec.label(lang)} ({path})"


_ORDERED: dict[int, tuple[x.Node, bool]] = {}


def _has_ordering(node: x.Node) -> bool:
    """Whether a condition has an ordering comparison anywhere (<, ≤, >, ≥): only those have a gap to a
    threshold (worked out once per node)."""
    hit = _ORDERED.get(id(node))
    if hit is None or hit[0] is not node:
        if len(_ORDERED) >= STATIC_MAX:
            _ORDERED.clear()
        found = any(isinstance(n, x.Compare) and any(op not in ("==", "!=") for op in n.ops) for n in x.walk(node))
        hit = _ORDERED[id(node)] = (node, found)
    return hit[1]


def _distances(r: _Renderer, trace: Trace) -> list[dict[str, Any]]:
    """Gaps of every failed numeric comparison inside a condition (nested ones included)."""
    if not _has_ordering(trace.node):
        return []
    out: list[dict[str, Any]] = []
    stack = [trace]
    while stack:
        t = stack.pop()
        if isinstance(t.node, x.Compare):
            out.extend(r.distance(t))
        elif not isinstance(t.node, x.Quantifier):
            stack.extend(reversed(t.children))
    return out


def _written(r: _Renderer, trace: Trace) -> tuple[str, list[tuple[dict[str, Any], str]]]:
    """A written condition's text and its gaps, each with its text: worked out once per renderer, as the
    explanation and the conditions of the JSON both show them (the trace lives as long as the renderer)."""
    hit = r.written.get(id(trace))
    if hit is None:
        body = r.said(trace)
        hit = r.written[id(trace)] = (body, [(d, r.distance_text(d)) for d in _distances(r, trace)])
    return hit


def _clause_lines(r: _Renderer, trace: Trace, indent: str) -> list[str]:
    node = trace.clause
    assert node is not None
    label = node.label_en if r.en else node.label_zh
    body, gaps = _written(r, trace)
    if label:
        body = _without_fact_label(r, trace, body)
    head = f"{indent}{_mark(trace.value)} " + (f"{label}{r.t('：', ': ')}{body}" if label else body)
    lines = [head]
    for _, text in gaps:
        lines.append(f"{indent}    → {text}")
    for path in trace.presumed:
        spec = registry()[path]
        assert spec.presume is not None
        lines.append(f"{indent}    " + r.t(f"假设：{spec.presume.zh}", f"assumed: {spec.presume.en}"))
    return lines


def _without_fact_label(r: _Renderer, trace: Trace, body: str) -> str:
    """A clause whose label ends with the very name of the yes/no fact it tests says the value once
    after the label: "首次纳规：是", not "首次纳规：首次纳规：是"."""
    node = trace.node
    if not (isinstance(node, x.Compare) and len(node.ops) == 1 and node.ops[0] in ("==", "!=")):
        return body
    facts = [o for o in node.operands if isinstance(o, x.Field)]
    flags = [o for o in node.operands if isinstance(o, x.Literal) and isinstance(o.value, bool)]
    if len(facts) != 1 or len(flags) != 1:
        return body
    named = registry()[facts[0].path].label("zh")
    said = trace.clause.label_zh or ""
    if said != named and not said.endswith(f"：{named}"):
        return body
    prefix = f"{r.label(facts[0])}{r.t('：', ': ')}"
    return body[len(prefix):] if body.startswith(prefix) else body


def _structure_lines(r: _Renderer, trace: Trace, indent: str) -> list[str]:
    """Conditions with their all/any/not structure, one line per written condition."""
    node = trace.node
    if trace.clause is not None:
        return _clause_lines(r, trace, indent)
    if isinstance(node, (x.And, x.Or)):
        if indent.strip() == "" and isinstance(node, x.And) and len(indent) <= 4:
            return [line for kid in trace.children for line in _structure_lines(r, kid, indent)]
        head = r.t("以下全部满足：" if isinstance(node, x.And) else "以下任一满足：",
                   "all of:" if isinstance(node, x.And) else "any of:")
        lines = [f"{indent}{_mark(trace.value)} {head}"]
        for kid in trace.children:
            lines.extend(_structure_lines(r, kid, indent + "    "))
        return lines
    if isinstance(node, x.Not):
        lines = [f"{indent}{_mark(trace.value)} " + r.t("不得满足：", "must not hold:")]
        for kid in trace.children:
            lines.extend(_structure_lines(r, kid, indent + "    "))
        return lines
    return [f"{indent}{_mark(trace.value)} {r.expr(trace)}"]


def amount_text(result: RuleResult, lang: str) -> str | None:
    """The benefit in words: "52万元", "最高 50万元" (a cap said once), an instalment with its schedule."""
    r = _Renderer(result.rule, lang)
    b = result.rule.benefit
    if b.amount is None:
        return b.description.get(lang) if b.description else None
    if result.amount is None:
        if result.status in (ELIGIBLE, UNDETERMINED) and result.missing:
            return r.t("金额待定：缺少计算所需数据", "amount pending: data needed to compute it is missing")
        return None
    money = format_money(result.amount, lang)
    if b.description:
        money = aside(money, b.description.en if r.en else b.description.zh, r.en)
    if result.instalment is not None:
        i = result.instalment
        return r.t(f"{money}，第{i.index}期，共{i.count}期，合计 {format_money(i.total)}，自{i.start_year}年起",
                   f"{money}, instalment {i.index} of {i.count}, {format_money(i.total, 'en')} in all, from {i.start_year}")
    if result.amount_kind == "up_to":
        return r.t(f"最高 {money}", f"up to {money}")
    return money


def _titled(result: RuleResult, rule_id: str, lang: str) -> str:
    """Another rule of the result's group by its title in quotes (a rule is never named by its id)."""
    rule = next((rule for rule in result.related if rule.id == rule_id), None)
    if rule is None:
        return "同组另一项政策" if lang != "en" else "another measure of its group"
    return f"「{rule.title.get(lang)}」" if lang != "en" else f"“{rule.title.get(lang)}”"


def _amount_lines(r: _Renderer, result: RuleResult) -> list[str]:
    """How the amount was computed, in words with the arithmetic; brackets worked out on lines of their
    own; the documents of the rates used named once."""
    trace = result.amount_trace
    assert trace is not None
    if trace.value is U:
        return [r.t("  金额计算：缺少计算所需数据，金额待定", "  amount: data needed to compute it is missing")]
    r.bases, r.details = [], []
    r.in_arith += 1
    try:
        text = r.expr(trace)
    finally:
        r.in_arith -= 1
    lines = [r.t(f"  金额计算：{text} = {r.value(trace)}", f"  amount: {text} = {r.value(trace)}")]
    lines += [r.t(f"    其中 {d}", f"    where {d}") for d in r.details]
    if r.bases:
        lines.append(r.t(f"    税率和限额依据 {'、'.join(r.bases)}", f"    rates and limits per {'; '.join(r.bases)}"))
    return lines


def render_result(result: RuleResult, lang: str = "zh", as_of: date | None = None) -> str:
    """One rule's decision as text: status, amount, each condition, gaps, missing facts, citation
    (in the style of docs/zh/style-guide.md: titles not ids, units on every number, one level of brackets)."""
    r = _Renderer(result.rule, lang)
    r.as_of = as_of or result.as_of
    return _result_text(r, result, lang, amount_text(result, lang))


def _result_text(r: _Renderer, result: RuleResult, lang: str, amount: str | None) -> str:
    """:func:`render_result` with a renderer set for the result's date and the benefit in words
    (:func:`amount_text`, which the JSON shows too)."""
    rule = result.rule
    title = rule.title.get(lang)
    lines = [f"【{result.status.label(lang)}】{title}" if not r.en else f"[{result.status.label(lang)}] {title}"]
    if amount:
        lines.append(r.t(f"  待遇：{amount}", f"  benefit: {amount}"))
    if result.superseded_by:
        winner = _titled(result, result.superseded_by, lang)
        lines.append(r.t(f"  被{winner}取代：同组政策就高不重复，只享受金额最高的一项，已享受的也计入",
                         f"  superseded by {winner}: within the group only the highest applies, "
                         "counting what was already received"))
    if result.outranks:
        losers = r.t("、", ", ").join(_titled(result, i, lang) for i in result.outranks)
        lines.append(r.t(f"  同组就高：本项优先于{losers}", f"  highest in its group: takes precedence over {losers}"))
    lines.append(r.t("  条件：", "  conditions:"))
    for st in result.scope_traces:
        lines.append("    " + _mark(st.value) + " " + r.t("适用地区：", "jurisdiction: ") + r.expr(st))
    if result.trace is not None:
        lines.extend(_structure_lines(r, result.trace, "    "))
    if result.amount_trace is not None and rule.benefit.amount is not None and not isinstance(
            result.amount_trace.node, x.Literal):
        lines.extend(_amount_lines(r, result))
        for path in result.amount_trace.presumed:
            presume = registry()[path].presume
            if presume is not None:
                lines.append("    " + r.t(f"假设：{presume.zh}：{_field_label(path, lang)}",
                                          f"assumed: {presume.en}: {_field_label(path, lang)}"))
    if result.reason:
        lines.append("  " + (result.reason[1] if r.en else result.reason[0]))
    if result.missing:
        names = r.t("、", ", ").join(_field_label(m, lang) for m in result.missing)
        lines.append(r.t(f"  缺少数据：{names}", f"  missing data: {names}"))
        if rule.group and result.status == UNDETERMINED:
            lines.append(r.t("  补齐数据后，本项可能在同组就高不重复的政策中胜出",
                             "  once the data are known, it could outrank the measure now granted in its group"))
    lines.extend(_cited(result, lang, r.as_of)[0])
    return "\n".join(lines)


def _restatement_scope(c: Citation, lang: str) -> str:
    """Where and when a local restatement applies: （腾格里经济技术开发区，2019-01-01 至 2021-12-31）."""
    assert c.where is not None
    place = c.where.development_zone or c.where.name
    return (f"（{place}，{c.period.describe()}）" if lang != "en"
            else f" ({place}, {c.period.describe('en')})")


def citations_at(result: RuleResult, as_of: date | None) -> tuple[Citation | None, list[Citation]]:
    """The period's citation of a rule citing by period (None otherwise) and the local restatements
    that apply to this firm on that date (its region, its zone, the restatement's dates)."""
    source = result.rule.source
    day = as_of or result.as_of
    if day is None:
        return None, []
    region, zone = result.place or (None, None)
    return source.at(day), [c for c in source.restatements if c.applies(day, region, zone)]


def citation_lines(result: RuleResult, lang: str, as_of: date | None = None) -> list[str]:
    """依据: the document of the period (national rules: its number and article, quoted only where the
    text is shipped), then any local restatement that applies here and now."""
    en = lang == "en"
    period, local = citations_at(result, as_of)
    if period is None:
        lines = [("  source: " if en else "  依据：") + result.rule.source.cite(lang)]
    else:
        note = "" if period.quote else (" (text not shipped: cited by number and article)" if en
                                        else "（原文未随规则包附带，按文号与条款引用）")
        lines = [("  source: " if en else "  依据：") + period.cite(lang)
                 + (f" ({period.period.describe('en')})" if en else f"（{period.period.describe()}）") + note]
    for c in local:
        lines.append(("  local restatement: " if en else "  地方转述：") + c.cite(lang) + _restatement_scope(c, lang))
    return lines


_CITED: dict[tuple[int, str, date | None, Any], tuple[Rule, list[str], dict[str, Any]]] = {}
_CITED_MAX = 4096


def _cited(result: RuleResult, lang: str, as_of: date | None) -> tuple[list[str], dict[str, Any]]:
    """The result's citation lines (:func:`citation_lines`) and the citation of its JSON: they read only the
    rule, the language, the date and the firm's place, so they are worked out once for each (kept, a
    bounded number). The caller gets the lines to read and a fresh copy of the citation."""
    day = as_of or result.as_of
    key = (id(result.rule), lang, day, result.place)
    hit = _CITED.get(key)
    if hit is None or hit[0] is not result.rule:
        if len(_CITED) >= _CITED_MAX:
            _CITED.clear()
        src = result.rule.source
        period, local = citations_at(result, day)
        citation = ({"document": src.document_title or src.document.title, "number": src.document.number,
                     "issuer": src.document.issuer, "clause": src.clause, "quote": src.quote} if period is None else
                    {"document": period.document, "number": period.document, "issuer": src.document.issuer,
                     "clause": period.clause, "quote": period.quote})
        citation["restatements"] = [{"document": c.document, "clause": c.clause, "quote": c.quote} for c in local]
        hit = _CITED[key] = (result.rule, citation_lines(result, lang, day), citation)  # the rule kept: its id stays its own
    citation = hit[2]
    return hit[1], {**citation, "restatements": [dict(c) for c in citation["restatements"]]}


def headline(ev: Evaluation, lang: str, eligible: int, undetermined: int, superseded: int, ineligible: int) -> str:
    """The evaluation in one line: counts by status and the money, exact and "up to" amounts apart
    ("合计 82万元，另有最高 50万元")."""
    exact, up_to = ev.totals()
    if lang == "en":
        money = f"{format_money(exact, 'en')} of grants, tax and loan support"
        money += f", plus up to {format_money(up_to, 'en')}" if up_to else ""
        def n(count: int) -> str:
            return f"{count} measure" if count == 1 else f"{count} measures"

        return (f"eligible: {n(eligible)} ({money}); undetermined: {n(undetermined)}; "
                f"superseded: {n(superseded)}; not eligible: {n(ineligible)}")
    money = f"资金、税收与贷款支持合计 {format_money(exact)}" + (f"，另有最高 {format_money(up_to)}" if up_to else "")
    return (f"符合 {eligible} 项，{money}；待定 {undetermined} 项，被取代 {superseded} 项，"
            f"不符合 {ineligible} 项")


def render_evaluation(ev: Evaluation, lang: str = "zh", include_ineligible: bool = True) -> str:
    en = lang == "en"
    who = ev.name or ev.entity_id or ("the enterprise" if en else "该企业")
    head = (f"Policy check for {who} as of {ev.as_of}" if en else f"{who} 政策匹配结果（评估日期 {ev.as_of}）")
    lines = [head, "=" * 40]
    order = {ELIGIBLE: 0, UNDETERMINED: 1, SUPERSEDED: 2, INELIGIBLE: 3, ERROR: 4}
    shown = [res for res in ev.results if include_ineligible or res.status != INELIGIBLE]
    shown.sort(key=lambda res: (order[res.status], -(res.amount or 0), res.rule_id))
    counts = {s: len(ev.by_status(s)) for s in order}
    lines.append(headline(ev, lang, counts[ELIGIBLE], counts[UNDETERMINED], counts[SUPERSEDED], counts[INELIGIBLE]))
    for res in shown:
        lines.append("")
        lines.append(render_result(res, lang, ev.as_of))
    p = ev.provenance
    lines.append("")
    lines.append(
        f"eligibility {p['version']} · rule set {p['ruleset_hash'][:12]} · as of {p['as_of']}" if en else
        f"eligibility {p['version']} · 规则集 {p['ruleset_hash'][:12]} · 评估日期 {p['as_of']}"
    )
    return "\n".join(lines)


def _json_value(value: Any) -> Any:
    if value is U:
        return None
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, x.Duration):
        return f"{value.amount} {value.unit}"
    return value


def _clause_dict(r: _Renderer, trace: Trace) -> dict[str, Any]:
    node = trace.clause
    assert node is not None
    text, gaps = _written(r, trace)
    return {
        "condition": node.text,
        "label": (node.label_en if r.en else node.label_zh),
        "outcome": None if trace.value is U else trace.value,
        "text": text,
        "missing": list(trace.missing),
        "presumed": list(trace.presumed),
        "distance": [{k: _json_value(v) for k, v in d.items() if k not in ("kind",)} | {"text": said}
                     for d, said in gaps],
        "line": node.line,
    }


def result_dict(result: RuleResult, lang: str = "zh", as_of: date | None = None, explained: bool = True
                ) -> dict[str, Any]:
    """One result as JSON-ready data; without ``conditions`` and ``explanation`` (not rendered at all)
    when not ``explained``."""
    rule = result.rule
    r = _Renderer(rule, lang)
    r.as_of = as_of
    citation = _cited(result, lang, as_of)[1]
    benefit = amount_text(result, lang)
    out = {
        "rule_id": rule.id,
        "title": rule.title.get(lang),
        "status": result.status.value,
        "amount": None if result.amount is None else f"{result.amount:.2f}",
        "amount_kind": result.amount_kind,
        "benefit": benefit,
        "instalment": None if result.instalment is None else {
            "index": result.instalment.index, "count": result.instalment.count,
            "total": f"{result.instalment.total:.2f}", "start_year": result.instalment.start_year},
        "superseded_by": result.superseded_by,
        "missing": list(result.missing),
    }
    if explained:
        out["conditions"] = [_clause_dict(r, c) for c in clauses(result.trace)]
    out |= {
        "reason": None if result.reason is None else result.reason[1 if r.en else 0],
        "kind": rule.kind, "mode": rule.mode, "basis": rule.basis, "group": rule.group,
        "citation": citation,
    }
    if explained:
        out["explanation"] = (_result_text(r, result, lang, benefit) if as_of is not None or result.as_of is None
                              else render_result(result, lang, as_of))
    return out


def evaluation_dict(ev: Evaluation, lang: str = "zh", explained: bool = True) -> dict[str, Any]:
    """The evaluation as JSON-ready data (``eligibility match --format json``); each result without its
    conditions and explanation when not ``explained``."""
    return {
        "entity_id": ev.entity_id,
        "name": ev.name,
        "as_of": ev.as_of.isoformat(),
        "provenance": dict(ev.provenance),
        "total": f"{ev.total():.2f}",
        "results": [result_dict(res, lang, ev.as_of, explained) for res in ev.results],
        "out_of_scope": [{"rule_id": o.rule_id, "reason": o.en if lang == "en" else o.zh} for o in ev.out_of_scope],
    }


# -- conditions in words, without a firm (catalogues, rule pages) -------------------------------
WORDS: NodeTable[Callable[..., str]] = NodeTable("description")
"""How each node class reads in words, without values (a method of :class:`_Describer`)."""


class _Describer:
    """Renders a rule's expressions in words for people reading the rule itself."""

    def __init__(self, rule: Rule | None, lang: str) -> None:
        self.r = _Renderer(rule, lang)
        self.rule, self.lang, self.en = rule, lang, lang == "en"

    def const(self, node: x.Node) -> str:
        if isinstance(node, x.Literal):
            if isinstance(node.value, str):
                return format_value(node.value, "enum", self.lang)
            return format_value(node.value, kind_of(node, self.rule), self.lang)
        return self.words(node)

    @WORDS.on(x.Param)
    def param(self, node: x.Param) -> str:
        if self.rule is None:
            return node.name
        values = self.rule.params[node.name].values
        parts = [f"{v.start} 起 {self.const(v.value)}" if not self.en else f"{self.const(v.value)} from {v.start}"
                 for v in values]
        joined = ("; " if self.en else "；").join(parts)
        return f"{node.name}（{joined}）" if not self.en else f"{node.name} ({joined})"

    def words(self, node: x.Node) -> str:
        return WORDS[type(node)](self, node)  # type: ignore[no-any-return]

    @WORDS.on(x.Clause)
    def _clause(self, node: x.Clause) -> str:
        label = node.label_en if self.en else node.label_zh
        return label or self.words(node.item)

    @WORDS.on(x.Field, x.ItemField, x.Derived)
    def _fact(self, node: x.Node) -> str:
        return self.r.label(node)

    @WORDS.on(x.AsOf)
    def _as_of(self, node: x.AsOf) -> str:
        return self.r.t("评估日期", "the evaluation date")

    @WORDS.on(x.Literal)
    def _literal(self, node: x.Literal) -> str:
        return self.const(node)

    @WORDS.on(x.Compare)
    def _compare(self, node: x.Compare) -> str:
        t = self.r.t
        if len(node.ops) == 1 and node.ops[0] in ("==", "!=") and isinstance(node.operands[1], x.Literal):
            value = node.operands[1].value
            subject = self.words(node.operands[0])
            if isinstance(value, bool):
                yes = value == (node.ops[0] == "==")
                return subject if yes else t(f"非{subject}", f"not {subject}")
            rel = t("为" if node.ops[0] == "==" else "不为", "is" if node.ops[0] == "==" else "is not")
            return f"{subject}{rel}{self.const(node.operands[1])}" if not self.en else \
                f"{subject} {rel} {self.const(node.operands[1])}"
        parts = [self.words(node.operands[0])]
        for op, operand in zip(node.ops, node.operands[1:]):
            parts += [OPS[op], self.words(operand)]
        return " ".join(parts)

    @WORDS.on(x.Under)
    def _under(self, node: x.Under) -> str:
        t = self.r.t
        kind = kind_of(node.operand, self.rule)
        codes = t("、", ", ").join(format_value(c, kind, self.lang) for c in node.codes)
        rel = t("不属于" if node.negated else "属于", "not under" if node.negated else "under")
        return f"{self.words(node.operand)}{rel}{codes}" if not self.en else f"{self.words(node.operand)} {rel} {codes}"

    @WORDS.on(x.InList)
    def _in_list(self, node: x.InList) -> str:
        t = self.r.t
        items = t("、", ", ").join(self.const(i) for i in node.items)
        rel = t("不是" if node.negated else "是", "not one of" if node.negated else "one of")
        return f"{self.words(node.operand)}{rel}{items}" if not self.en else f"{self.words(node.operand)} {rel} {items}"

    @WORDS.on(x.And, x.Or)
    def _junction(self, node: x.And | x.Or) -> str:
        joiner = self.r.t("且", " and ") if isinstance(node, x.And) else self.r.t("或", " or ")
        return joiner.join(f"（{self.words(i)}）" if not self.en else f"({self.words(i)})" for i in node.items)

    @WORDS.on(x.Not)
    def _not(self, node: x.Not) -> str:
        inner = self.words(node.item)  # once: a chain of nots reads in linear time
        return self.r.t(f"并非{inner}", f"not {inner}")

    @WORDS.on(x.Arith)
    def _arith(self, node: x.Arith) -> str:
        op = {"*": "×", "/": "÷"}.get(node.op, node.op)
        return f"{self.words(node.left)} {op} {self.words(node.right)}"

    @WORDS.on(x.Neg)
    def _neg(self, node: x.Neg) -> str:
        return f"-{self.words(node.item)}"

    @WORDS.on(x.IfElse)
    def _if_else(self, node: x.IfElse) -> str:
        cond, then, otherwise = self.words(node.cond), self.words(node.then), self.words(node.otherwise)
        return self.r.t(f"若{cond}则{then}，否则{otherwise}", f"if {cond} then {then} else {otherwise}")

    @WORDS.on(x.Quantifier)
    def _quantifier(self, node: x.Quantifier) -> str:
        t = self.r.t
        what = registry()[node.list_path].label(self.lang)
        body = self.words(node.body)
        if node.func == "any":
            return t(f"{what}中有一项：{body}", f"one of {what}: {body}")
        if node.func == "all":
            return t(f"{what}每一项：{body}", f"every one of {what}: {body}")
        if node.func == "count":
            return t(f"{what}中满足「{body}」的项数", f"the number of {what} with {body}")
        where = f"（{self.words(node.where)}）" if node.where is not None else ""
        return t(f"{what}{where}的{body}合计", f"total {body} over {what}{where}")

    @WORDS.on(x.ListLit, x.Name)
    def _class_name(self, node: x.Node) -> str:
        """A ``tiered`` pair or an unchecked name outside their call: named by class, as a last resort."""
        return type(node).__name__

    @WORDS.on(x.Call)
    def call(self, node: x.Call) -> str:
        t, f, args = self.r.t, node.func, node.args
        first = self.words(args[0]) if f in ("within", "in_year", "known", "exists", "year", "tiered", "lookup") else ""
        if f == "within":
            return t(f"{first}在评估日前{self.const(args[1])}内",
                     f"{first} within {self.const(args[1])} before the evaluation date")
        if f == "in_year":
            return t(f"{first}在评估日所在年度内", f"{first} in the evaluation year")
        if f == "known":
            return t(f"{first}已知", f"{first} is known")
        if f == "exists":
            return t(f"有{first}记录", f"has a {first} record")
        if f == "year":
            return t(f"{first}的年份", f"the year of {first}")
        if f == "tiered":
            tiers = t("；", "; ").join(f"{self.const(p.items[0])}以内 {self.const(p.items[1])}"  # type: ignore[attr-defined]
                                       if not self.en else f"{self.const(p.items[1])} up to {self.const(p.items[0])}"  # type: ignore[attr-defined]
                                       for p in args[1:])
            return t(f"{first}分档累进（{tiers}）", f"{first} in brackets ({tiers})")
        if f == "lookup":
            pairs = t("，", ", ").join(f"{self.const(p.items[0])} → {self.const(p.items[1])}" for p in args[1:])  # type: ignore[attr-defined]
            return t(f"按{first}：{pairs}", f"by {first}: {pairs}")
        name = {"min": t("较小者", "the smaller of"), "max": t("较大者", "the larger of"),
                "round_fen": t("四舍五入到分", "rounded to the fen")}.get(f, f)
        return f"{name}（{t('、', ', ').join(self.words(a) for a in args)}）" if not self.en else \
            f"{name} ({', '.join(self.words(a) for a in args)})"


def describe(node: x.Node, rule: Rule | None = None, lang: str = "zh") -> str:
    """An expression in words, e.g. "营业收入 ≥ 2,000万元", "工业企业", "认定日期在评估日前12个月内"."""
    return _Describer(rule, lang).words(node)


def condition_lines(rule: Rule, lang: str = "zh") -> list[str]:
    """A rule's conditions in words, one per written condition, with their all/any/not structure."""
    d = _Describer(rule, lang)

    def walk(node: x.Node, depth: int) -> list[str]:
        pad = "  " * depth
        if isinstance(node, (x.And, x.Or)) and any(isinstance(i, (x.Clause, x.And, x.Or, x.Not)) for i in node.items):
            if depth == 0 and isinstance(node, x.And):
                return [line for item in node.items for line in walk(item, depth)]
            head = d.r.t("以下全部满足：" if isinstance(node, x.And) else "以下任一满足：",
                         "all of:" if isinstance(node, x.And) else "any of:")
            return [f"{pad}- {head}"] + [line for item in node.items for line in walk(item, depth + 1)]
        if isinstance(node, x.Not) and isinstance(node.item, (x.Clause, x.And, x.Or)):
            return [f"{pad}- " + d.r.t("不得满足：", "none of:")] + walk(node.item, depth + 1)
        return [f"{pad}- {d.words(node)}"]

    return walk(rule.when, 0)
