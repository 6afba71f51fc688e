"""Write model nodes back as expression text, and rules as a readable summary."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from ..facts.money import format_money
from ..model import expr as x
from ..model.dispatch import NodeTable
from ..model.rule import Rule

_PRECEDENCE = {x.Or: 1, x.And: 2, x.Not: 3, x.Compare: 4, x.InList: 4, x.Under: 4}


def literal_text(node: x.Literal) -> str:
    """A literal as it would be written in a rule (parsing it again gives the same literal)."""
    v = node.value
    if node.unit == "money" and isinstance(v, Decimal):
        if v % 10_000 == 0 and v != 0:
            return f"{(v / 10_000).to_integral_value():f}万"
        return f"{v:f}元"
    if node.unit == "percent" and isinstance(v, Decimal):
        return f"{(v * 100).normalize():f}%"
    if node.unit == "person":
        return f"{v:f}人"
    if node.unit == "count":
        return f"{v:f}个"
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "none"
    if isinstance(v, str):
        quote = next((q for q in ('"', "'") if q not in v), None)
        return f"{quote}{v}{quote}" if quote else f"“{v}”"
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, x.Duration):
        return f"{v.amount} {v.unit}s"
    if isinstance(v, Decimal):
        return f"{v:f}"
    return str(v)


UNPARSE: NodeTable[Callable[[x.Node], str]] = NodeTable("rule text")
"""The expression text of each node class (:func:`unparse`)."""


def unparse(node: x.Node) -> str:
    """Canonical expression text for a node (parsing it again gives an equal node)."""
    return UNPARSE(node)  # type: ignore[no-any-return]


UNPARSE.on(x.Literal)(literal_text)


@UNPARSE.on(x.Field)
def _field_text(node: x.Field) -> str:
    return node.path


@UNPARSE.on(x.ItemField, x.Derived, x.Param, x.Name)
def _name_text(node: x.ItemField | x.Derived | x.Param | x.Name) -> str:
    return node.name


@UNPARSE.on(x.AsOf)
def _as_of_text(node: x.AsOf) -> str:
    return "as_of"


@UNPARSE.on(x.Clause)
def _clause_text(node: x.Clause) -> str:
    return unparse(node.item)


@UNPARSE.on(x.Compare)
def _compare_text(node: x.Compare) -> str:
    parts = [_wrap(node.operands[0], 5)]
    for op, operand in zip(node.ops, node.operands[1:]):
        parts += [op, _wrap(operand, 5)]
    return " ".join(parts)


@UNPARSE.on(x.InList)
def _in_list_text(node: x.InList) -> str:
    items = ", ".join(unparse(i) for i in node.items)
    return f"{_wrap(node.operand, 5)} {'not in' if node.negated else 'in'} [{items}]"


@UNPARSE.on(x.Under)
def _under_text(node: x.Under) -> str:
    codes = ", ".join(f'"{c}"' for c in node.codes)
    target = codes if len(node.codes) == 1 else f"[{codes}]"
    return f"{_wrap(node.operand, 5)} {'not under' if node.negated else 'under'} {target}"


@UNPARSE.on(x.And)
def _and_text(node: x.And) -> str:
    return " and ".join(_wrap(i, 3) for i in node.items)


@UNPARSE.on(x.Or)
def _or_text(node: x.Or) -> str:
    return " or ".join(_wrap(i, 2) for i in node.items)


@UNPARSE.on(x.Not)
def _not_text(node: x.Not) -> str:
    return f"not {_wrap(node.item, 3)}"


@UNPARSE.on(x.Arith)
def _arith_text(node: x.Arith) -> str:
    prec = 6 if node.op in "+-" else 7
    return f"{_wrap(node.left, prec)} {node.op} {_wrap(node.right, prec + 1)}"


@UNPARSE.on(x.Neg)
def _neg_text(node: x.Neg) -> str:
    return f"-{_wrap(node.item, 8)}"


@UNPARSE.on(x.IfElse)
def _if_else_text(node: x.IfElse) -> str:
    return f"(if {unparse(node.cond)} then {unparse(node.then)} else {unparse(node.otherwise)})"


@UNPARSE.on(x.ListLit)
def _list_text(node: x.ListLit) -> str:
    return "[" + ", ".join(unparse(i) for i in node.items) + "]"


@UNPARSE.on(x.Call)
def _call_text(node: x.Call) -> str:
    return f"{node.func}(" + ", ".join(unparse(a) for a in node.args) + ")"


@UNPARSE.on(x.Quantifier)
def _quantifier_text(node: x.Quantifier) -> str:
    args = [node.list_path, unparse(node.body)] + ([unparse(node.where)] if node.where is not None else [])
    return f"{node.func}(" + ", ".join(args) + ")"


def _prec(node: x.Node) -> int:
    if isinstance(node, x.Arith):
        return 6 if node.op in "+-" else 7
    return _PRECEDENCE.get(type(node), 9)


def _wrap(node: x.Node, min_prec: int) -> str:
    text = unparse(node)
    return f"({text})" if _prec(node) < min_prec else text


def _conditions(node: x.Node, indent: str, lang: str) -> list[str]:
    if isinstance(node, x.Clause):
        label = node.label_en if lang == "en" else node.label_zh
        return [f"{indent}- {node.text}" + (f"   # {label}" if label else "")]
    if isinstance(node, (x.And, x.Or)) and any(isinstance(i, (x.Clause, x.And, x.Or, x.Not)) for i in node.items):
        head = ("all of:" if isinstance(node, x.And) else "any of:") if lang == "en" else (
            "全部满足：" if isinstance(node, x.And) else "任一满足：")
        lines = [f"{indent}{head}"]
        for item in node.items:
            lines += _conditions(item, indent + "  ", lang)
        return lines
    if isinstance(node, x.Not):
        return [f"{indent}{'none of:' if lang == 'en' else '不得满足：'}"] + _conditions(node.item, indent + "  ", lang)
    return [f"{indent}- {unparse(node)}"]


def rule_text(rule: Rule, lang: str = "zh") -> str:
    """A rule as a policy writer reads it: what, where, when, conditions, benefit, citation, notes."""
    en = lang == "en"
    b = rule.benefit
    j = rule.jurisdiction
    lines = [
        f"{rule.id}  {rule.title.get(lang)}",
        f"  kind {rule.kind} · mode {rule.mode} · basis {rule.basis}",
        ("  effective " if en else "  施行期 ") + rule.effective.describe(lang),
        ("  jurisdiction " if en else "  适用地区 ") + f"{j.name} ({j.code})"
        + (f" · {j.development_zone}" if j.development_zone else "") + (f" · by scenario.{j.by}" if j.by else ""),
    ]
    if rule.params:
        lines.append("  parameters:" if en else "  参数：")
        for p in rule.params.values():
            for v in p.values:
                basis = f"  ({v.basis})" if v.basis else ""
                lines.append(f"    {p.name} = {unparse(v.value)} from {v.start}{basis}")
    lines.append("  conditions:" if en else "  条件：")
    lines += _conditions(rule.when, "    ", lang)
    if b.amount is not None:
        amount = unparse(b.amount)
        if isinstance(b.amount, x.Literal) and isinstance(b.amount.value, Decimal):
            amount = format_money(b.amount.value, lang)
        extra = [f"kind {b.kind}"] + (["once" if en else "一次性"] if b.once else [])
        if b.cap is not None:
            extra.append(f"cap {unparse(b.cap)}")
        if b.schedule:
            extra.append(f"{b.schedule.count} instalments from {b.schedule.start_text}")
        lines.append(("  benefit: " if en else "  待遇：") + amount + "  (" + ", ".join(extra) + ")")
    elif b.description:
        lines.append(("  benefit: " if en else "  待遇：") + b.description.get(lang))
    if rule.group:
        lines.append(f"  group {rule.group} · priority {rule.priority}")
    cited = rule.source.cite_lines(lang)
    lines.append(("  source: " if en else "  依据：") + cited[0])
    lines += ["        " + line for line in cited[1:]]
    if rule.notes:
        lines.append("  notes:" if en else "  说明：")
        lines += ["    " + ln for ln in rule.notes.splitlines()]
    lines.append(f"  {rule.file}:{rule.line} · {len(rule.tests)} tests")
    return "\n".join(lines)
