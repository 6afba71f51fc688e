"""Type checking: resolve names against the profile schema, derived facts and rule parameters,
and refuse ill-typed expressions (unknown field, wrong type, money compared with a head count)
before any profile is seen.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from ..errors import CodeError, suggest
from ..facts.codes import normalize_industry_code, region_prefix
from ..facts.coverage import with_coverage
from ..facts.derived import DERIVED
from ..facts.fields import FieldSpec
from ..facts.profile import registry
from ..model import expr as x
from ..model.dispatch import NodeTable
from .parser import ExpressionError
from ..model.types import BOOL, DATE, DURATION, MONEY, NULL, NUMBER, STR, Type

ORDER_KINDS = {"number", "money", "date", "duration"}
BOOL_FUNCS = {"known", "exists", "within", "in_year"}


@dataclass(frozen=True)
class Scope:
    """What names mean inside one expression: rule parameters and, inside a quantifier, a list item."""

    params: Mapping[str, Type]
    item_list: str | None = None  # list path whose items are in scope ("certifications")


def _is_zero(node: x.Node) -> bool:
    """A plain literal 0 compares with money and counts alike (``revenue > 0``)."""
    return isinstance(node, x.Literal) and node.unit is None and isinstance(node.value, Decimal) and node.value == 0


def _err(zh: str, en: str, node: x.Node, hint_zh: str | None = None, hint_en: str | None = None) -> ExpressionError:
    return ExpressionError(zh, en, node.span, hint_zh, hint_en)


def _same_family(a: Type, b: Type) -> bool:
    """May values of these types be compared or added?"""
    if a.kind == "null" or b.kind == "null":
        return True
    if a.kind in ("str", "code", "enum") and b.kind in ("str", "code", "enum"):
        return True
    for e, n in ((a, b), (b, a)):
        if e.kind == "enum" and n.kind == "number" and n.unit is None and all(isinstance(v, int) for v in e.values):
            return True  # an enum of integers (evaluation_tier 1|2|3) compares with plain numbers
    if a.kind == "number" and b.kind == "number":
        return a.unit is None or b.unit is None or a.unit == b.unit or "rate" in (a.unit, b.unit)
    return a.kind == b.kind


CHECK: NodeTable[Callable[..., tuple[x.Node, Type]]] = NodeTable(
    "type checker", unsupported={x.Field, x.ItemField, x.Derived, x.Param, x.Clause})
"""The type checker's rule for each node class the parser produces (it makes the unsupported ones:
fields, list-item fields, derived facts and parameters from names; written conditions are marked later)."""


class Checker:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.fields = registry()

    # -- names -------------------------------------------------------------------------------
    def resolve(self, node: x.Name) -> tuple[x.Node, Type]:
        name = node.name
        if self.scope.item_list is not None:
            spec = self.fields.get(f"{self.scope.item_list}[].{name}")
            if spec is not None:
                return x.ItemField(self.scope.item_list, name, span=node.span), spec.type
        if name in self.scope.params:
            return x.Param(name, span=node.span), self.scope.params[name]
        if name in DERIVED:
            return x.Derived(name, span=node.span), DERIVED[name].type
        spec = self.fields.get(name)
        if spec is not None and "[]" not in name:
            return x.Field(name, span=node.span), spec.type
        raise self.unknown_name(node)

    def unknown_name(self, node: x.Name) -> ExpressionError:
        options = [p for p in self.fields if "[]" not in p] + list(DERIVED) + list(self.scope.params)
        if self.scope.item_list is not None:
            prefix = f"{self.scope.item_list}[]."
            options += [p[len(prefix):] for p in self.fields if p.startswith(prefix)]
        hint = suggest(node.name, options) if len(node.name) <= 100 else None
        dym_zh = f"，是否想写 '{hint}'？" if hint else ""
        dym_en = f"; did you mean '{hint}'?" if hint else ""
        said = node.name if len(node.name) <= 60 else node.name[:57] + "..."  # not echoed whole
        err = _err(
            f"未知字段 '{said}'{dym_zh}", f"unknown field '{said}'{dym_en}", node,
            "字段名见 `eligibility profile schema`；派生事实见 `eligibility rules facts`",
            "see `eligibility profile schema` for fields and `eligibility rules facts` for derived facts",
        )
        err.details["name"] = node.name
        err.details["suggestion"] = hint
        err.name, err.suggestion = node.name, hint  # type: ignore[attr-defined]
        return err

    # -- dispatch ----------------------------------------------------------------------------
    def check(self, node: x.Node) -> tuple[x.Node, Type]:
        return CHECK[type(node)](self, node)  # type: ignore[no-any-return]

    def check_bool(self, node: x.Node, what_zh: str = "条件", what_en: str = "a condition") -> x.Node:
        typed, t = self.check(node)
        if t.kind != "bool":
            raise _err(
                f"{what_zh}应为是/否判断，此处为{t.describe()}",
                f"{what_en} must be true/false, this is {t.describe('en')}",
                node,
                "写成比较，如 revenue >= 2000万",
                "write a comparison, e.g. revenue >= 2000万",
            )
        return typed

    @CHECK.on(x.Literal)
    def _Literal(self, node: x.Literal) -> tuple[x.Node, Type]:
        v = node.value
        if node.unit == "money":
            return node, MONEY
        if node.unit == "percent":
            return node, Type("number", unit="rate")
        if node.unit in ("person", "count"):
            return node, Type("number", unit=node.unit)
        if isinstance(v, bool):
            return node, BOOL
        if isinstance(v, Decimal):
            return node, NUMBER
        if isinstance(v, x.Duration):
            return node, DURATION
        if isinstance(v, str):
            return node, STR
        if v is None:
            return node, NULL
        return node, DATE

    @CHECK.on(x.Name)
    def _Name(self, node: x.Name) -> tuple[x.Node, Type]:
        typed, t = self.resolve(node)
        if t.kind == "record":
            raise _err(
                f"'{node.name}' 是一组字段，不能直接比较",
                f"'{node.name}' is a group of fields and cannot be used as a value",
                node,
                f"用 exists({node.name}) 判断是否存在，或写出其下的字段，如 {node.name}.…",
                f"use exists({node.name}) to test presence, or name one of its fields",
            )
        return typed, t

    @CHECK.on(x.AsOf)
    def _AsOf(self, node: x.AsOf) -> tuple[x.Node, Type]:
        return node, DATE

    @CHECK.on(x.Compare)
    def _Compare(self, node: x.Compare) -> tuple[x.Node, Type]:
        typed = [self.check(op) for op in node.operands]
        for (left, lt), op, (right, rt) in zip(typed, node.ops, typed[1:]):
            self._comparable(left, lt, op, right, rt)
        return x.Compare(tuple(t for t, _ in typed), node.ops, span=node.span), BOOL

    def _comparable(self, left: x.Node, lt: Type, op: str, right: x.Node, rt: Type) -> None:
        span_node = x.Node(span=(left.span[0], right.span[1]))
        for at, b, bt in ((lt, right, rt), (rt, left, lt)):
            if at.kind == "money" and bt.kind == "number" and isinstance(b, x.Literal) and bt.unit is None and b.value != 0:
                raise _err(
                    f"金额不能与不带单位的数字 {b.value} 比较",
                    f"money compared with the plain number {b.value}",
                    b,
                    f"写明单位：{b.value}元 或 {b.value}万",
                    f"write the unit: {b.value}元 (yuan) or {b.value}万 (ten thousand yuan)",
                )
            if at.kind == "enum" and isinstance(b, x.Literal) and isinstance(b.value, (str, Decimal)):
                self._enum_value(at, b)
        if not _same_family(lt, rt) and not (_is_zero(left) or _is_zero(right)):
            hint_zh = hint_en = None
            if {lt.kind, rt.kind} == {"money", "number"}:
                hint_zh = "金额（万、万元、亿）只能与金额比较；人数等写作不带单位的数字，如 300"
                hint_en = "money (万, 万元, 亿) compares only with money; write counts as plain numbers, e.g. 300"
            raise _err(
                f"单位或类型不一致：{lt.describe()} 与 {rt.describe()}",
                f"unit or type mismatch: {lt.describe('en')} vs {rt.describe('en')}",
                span_node, hint_zh, hint_en,
            )
        if op not in ("==", "!=") and (lt.kind not in ORDER_KINDS or rt.kind not in ORDER_KINDS):
            raise _err(
                f"{lt.describe()}不能用 {op} 比较大小", f"{lt.describe('en')} cannot be ordered with {op}",
                span_node, "只能用 == 或 !=", "use == or !=",
            )

    def _enum_value(self, t: Type, lit: x.Literal) -> None:
        values = t.values
        v = lit.value
        if isinstance(v, Decimal) and all(isinstance(e, int) for e in values):
            if int(v) in values and v == int(v):
                return
        elif v in values:
            return
        hint = suggest(str(v), [str(e) for e in values])
        shown = f"{v:f}" if isinstance(v, Decimal) else repr(v)
        raise _err(
            f"取值 {shown} 不在允许范围内" + (f"，是否想写 '{hint}'？" if hint else ""),
            f"value {shown} is not one of {', '.join(map(repr, values))}" + (f"; did you mean '{hint}'?" if hint else ""),
            lit,
            "允许的取值：" + "、".join(map(str, values)), "allowed: " + ", ".join(map(str, values)),
        )

    @CHECK.on(x.InList)
    def _InList(self, node: x.InList) -> tuple[x.Node, Type]:
        operand, t = self.check(node.operand)
        items = []
        for raw in node.items:
            item, it = self.check(raw)
            if not _same_family(t, it):
                raise _err(
                    f"列表项类型（{it.describe()}）与 {t.describe()} 不一致",
                    f"list item ({it.describe('en')}) does not match {t.describe('en')}", raw,
                )
            if t.kind == "enum" and isinstance(item, x.Literal):
                self._enum_value(t, item)
            items.append(item)
        return x.InList(operand, tuple(items), node.negated, span=node.span), BOOL

    @CHECK.on(x.Under)
    def _Under(self, node: x.Under) -> tuple[x.Node, Type]:
        operand, t = self.check(node.operand)
        if t.kind != "code" or t.code not in ("industry", "region"):
            raise _err(
                "under 只用于行业代码或行政区划代码", "under applies to industry or region codes only", node.operand,
                "如 industry_code under [\"B\", \"C\", \"D\"] 或 region_code under \"5308\"",
                'e.g. industry_code under ["B", "C", "D"] or region_code under "5308"',
            )
        codes = []
        for code in node.codes:
            if t.code == "industry":
                try:
                    codes.append(normalize_industry_code(code))
                except CodeError as exc:
                    raise _err(exc.zh, exc.en, node) from None
            else:
                if not (code.isdigit() and len(code) in (2, 4, 6)):
                    raise _err(
                        f"行政区划代码 '{code}' 应为2、4或6位数字",
                        f"region code '{code}' must be 2, 4 or 6 digits", node,
                    )
                codes.append(region_prefix(code))
        return x.Under(operand, tuple(codes), node.negated, span=node.span), BOOL

    @CHECK.on(x.And)
    def _And(self, node: x.And) -> tuple[x.Node, Type]:
        return x.And(tuple(self.check_bool(i) for i in node.items), span=node.span), BOOL

    @CHECK.on(x.Or)
    def _Or(self, node: x.Or) -> tuple[x.Node, Type]:
        return x.Or(tuple(self.check_bool(i) for i in node.items), span=node.span), BOOL

    @CHECK.on(x.Not)
    def _Not(self, node: x.Not) -> tuple[x.Node, Type]:
        return x.Not(self.check_bool(node.item), span=node.span), BOOL

    @CHECK.on(x.Neg)
    def _Neg(self, node: x.Neg) -> tuple[x.Node, Type]:
        item, t = self.check(node.item)
        if t.kind not in ("number", "money"):
            raise _err("只有数值和金额可以取负", "only numbers and money can be negated", node)
        return x.Neg(item, span=node.span), t

    @CHECK.on(x.Arith)
    def _Arith(self, node: x.Arith) -> tuple[x.Node, Type]:
        left, lt = self.check(node.left)
        right, rt = self.check(node.right)
        result = self._arith_type(node, lt, rt)
        return x.Arith(node.op, left, right, span=node.span), result

    def _arith_type(self, node: x.Arith, lt: Type, rt: Type) -> Type:
        op, kinds = node.op, (lt.kind, rt.kind)
        if op in "+-":
            if kinds == ("date", "duration") or (op == "+" and kinds == ("duration", "date")):
                return DATE
            if kinds in (("money", "money"),):
                return MONEY
            if kinds == ("number", "number") and _same_family(lt, rt):
                return lt if lt.unit else rt
        elif op == "*":
            if kinds in (("money", "number"), ("number", "money")):
                return MONEY
            if kinds == ("number", "number") and (lt.unit in (None, "rate") or rt.unit in (None, "rate")):
                return lt if lt.unit not in (None, "rate") else rt
        elif op == "/":
            if kinds == ("money", "number"):
                return MONEY
            if kinds == ("money", "money"):
                return NUMBER
            if kinds == ("number", "number"):
                return NUMBER if lt.unit == rt.unit else lt
        raise _err(
            f"不能对{lt.describe()}和{rt.describe()}做 {op} 运算",
            f"cannot compute {lt.describe('en')} {op} {rt.describe('en')}", node,
        )

    @CHECK.on(x.IfElse)
    def _IfElse(self, node: x.IfElse) -> tuple[x.Node, Type]:
        cond = self.check_bool(node.cond)
        then, tt = self.check(node.then)
        other, ot = self.check(node.otherwise)
        if not _same_family(tt, ot):
            raise _err(
                f"if 的两个分支类型不一致：{tt.describe()} 与 {ot.describe()}",
                f"the branches of if differ: {tt.describe('en')} vs {ot.describe('en')}", node,
            )
        return x.IfElse(cond, then, other, span=node.span), tt if tt.kind != "null" else ot

    @CHECK.on(x.ListLit)
    def _ListLit(self, node: x.ListLit) -> tuple[x.Node, Type]:
        raise _err("列表只能出现在 in 之后或函数参数中", "a list may appear only after in or as a function argument", node)

    @CHECK.on(x.Quantifier)
    def _Quantifier(self, node: x.Quantifier) -> tuple[x.Node, Type]:
        spec: FieldSpec | None = self.fields.get(node.list_path)
        if spec is None or spec.type.kind != "list":
            lists = [p for p, s in self.fields.items() if s.type.kind == "list"]
            hint = suggest(node.list_path, lists)
            raise _err(
                f"'{node.list_path}' 不是列表字段" + (f"，是否想写 '{hint}'？" if hint else ""),
                f"'{node.list_path}' is not a list field" + (f"; did you mean '{hint}'?" if hint else ""),
                node, "列表字段：" + "、".join(lists), "list fields: " + ", ".join(lists),
            )
        inner = Checker(Scope(self.scope.params, node.list_path))
        if node.func == "sum":
            body, bt = inner.check(node.body)
            if bt.kind not in ("money", "number"):
                raise _err("sum 的第二个参数应为金额或数值", "sum's second argument must be money or a number", node.body)
            where = inner.check_bool(node.where) if node.where is not None else None
            return with_coverage(x.Quantifier("sum", node.list_path, body, where, span=node.span)), bt
        body = inner.check_bool(node.body)
        result = Type("number", unit="count") if node.func == "count" else BOOL
        return with_coverage(x.Quantifier(node.func, node.list_path, body, None, span=node.span)), result

    @CHECK.on(x.Call)
    def _Call(self, node: x.Call) -> tuple[x.Node, Type]:
        handler = getattr(self, f"_call_{node.func}", None)
        if handler is None:
            funcs = [n[6:] for n in dir(self) if n.startswith("_call_")] + ["any", "all", "count", "sum"]
            hint = suggest(node.func, funcs)
            raise _err(
                f"未知函数 '{node.func}'" + (f"，是否想写 '{hint}'？" if hint else ""),
                f"unknown function '{node.func}'" + (f"; did you mean '{hint}'?" if hint else ""),
                node, "可用函数：" + "、".join(sorted(funcs)), "functions: " + ", ".join(sorted(funcs)),
            )
        return handler(node)  # type: ignore[no-any-return]

    def _arity(self, node: x.Call, *counts: int) -> None:
        if len(node.args) not in counts:
            want = " 或 ".join(map(str, counts))
            raise _err(
                f"{node.func} 需要 {want} 个参数，给了 {len(node.args)} 个",
                f"{node.func} takes {' or '.join(map(str, counts))} argument(s), {len(node.args)} given", node,
            )

    def _path_arg(self, node: x.Call) -> tuple[x.Node, Type]:
        self._arity(node, 1)
        arg = node.args[0]
        if not isinstance(arg, x.Name):
            raise _err(f"{node.func} 的参数应为字段名", f"{node.func} takes a field name", arg)
        return self.resolve(arg)

    def _call_known(self, node: x.Call) -> tuple[x.Node, Type]:
        arg, _ = self._path_arg(node)
        return x.Call("known", (arg,), span=node.span), BOOL

    def _call_exists(self, node: x.Call) -> tuple[x.Node, Type]:
        arg, _ = self._path_arg(node)
        return x.Call("exists", (arg,), span=node.span), BOOL

    def _typed_args(self, node: x.Call, *kinds: str) -> list[x.Node]:
        self._arity(node, len(kinds))
        out = []
        for arg, kind in zip(node.args, kinds):
            typed, t = self.check(arg)
            if t.kind != kind:
                raise _err(
                    f"{node.func} 的参数应为{Type(kind).describe()}，此处为{t.describe()}",
                    f"{node.func} expects {kind} here, got {t.describe('en')}", arg,
                )
            out.append(typed)
        return out

    def _call_within(self, node: x.Call) -> tuple[x.Node, Type]:
        return x.Call("within", tuple(self._typed_args(node, "date", "duration")), span=node.span), BOOL

    def _call_in_year(self, node: x.Call) -> tuple[x.Node, Type]:
        return x.Call("in_year", tuple(self._typed_args(node, "date")), span=node.span), BOOL

    def _call_year(self, node: x.Call) -> tuple[x.Node, Type]:
        return x.Call("year", tuple(self._typed_args(node, "date")), span=node.span), NUMBER

    def _call_round_fen(self, node: x.Call) -> tuple[x.Node, Type]:
        return x.Call("round_fen", tuple(self._typed_args(node, "money")), span=node.span), MONEY

    def _minmax(self, node: x.Call) -> tuple[x.Node, Type]:
        if len(node.args) < 2:
            raise _err(f"{node.func} 至少需要2个参数", f"{node.func} takes at least 2 arguments", node)
        typed = [self.check(a) for a in node.args]
        first = typed[0][1]
        for (_, t), raw in zip(typed, node.args):
            if not _same_family(first, t) or t.kind not in ORDER_KINDS:
                raise _err(
                    f"{node.func} 的参数类型不一致或不可比较：{t.describe()}",
                    f"{node.func} arguments must be comparable values of one kind: {t.describe('en')}", raw,
                )
        result = next((t for _, t in typed if t.kind == "money"), first)
        return x.Call(node.func, tuple(a for a, _ in typed), span=node.span), result

    _call_min = _minmax
    _call_max = _minmax

    def _pairs(self, node: x.Call) -> list[tuple[tuple[x.Node, Type], tuple[x.Node, Type]]]:
        pairs = []
        for arg in node.args[1:]:
            if not (isinstance(arg, x.ListLit) and len(arg.items) == 2):
                raise _err(
                    f"{node.func} 的档位应写作 [界限, 值]", f"each bracket of {node.func} is written [bound, value]", arg,
                )
            pairs.append((self.check(arg.items[0]), self.check(arg.items[1])))
        if not pairs:
            raise _err(f"{node.func} 至少需要一个档位", f"{node.func} needs at least one bracket", node)
        return pairs

    def _call_tiered(self, node: x.Call) -> tuple[x.Node, Type]:
        """``tiered(x, [100万, 2.5%], [300万, 10%])``: marginal brackets, each rate on its slice."""
        base, bt = self.check(node.args[0]) if node.args else (None, None)
        if base is None or bt is None or bt.kind not in ("money", "number"):
            raise _err("tiered 的第一个参数应为金额或数值", "tiered's first argument must be money or a number", node)
        args: list[x.Node] = [base]
        previous: Decimal | None = None
        for ((bound, bdt), (rate, rt)), raw in zip(self._pairs(node), node.args[1:]):
            if not _same_family(bt, bdt) or rt.kind != "number":
                raise _err("tiered 的档位应为 [与第一个参数同类的界限, 比率]",
                           "tiered brackets are [bound of the same kind as the base, rate]", raw)
            if isinstance(bound, x.Literal) and isinstance(bound.value, Decimal):
                if previous is not None and bound.value <= previous:
                    raise _err("tiered 的界限应从小到大排列", "tiered bounds must increase", raw)
                previous = bound.value
            args.append(x.ListLit((bound, rate), span=raw.span))
        return x.Call("tiered", tuple(args), span=node.span), bt

    def _call_lookup(self, node: x.Call) -> tuple[x.Node, Type]:
        """``lookup(x, [1, 30万], [2, 50万])``: the value paired with x's key; none when no key matches."""
        key, kt = self.check(node.args[0]) if node.args else (None, None)
        if key is None or kt is None:
            raise _err("lookup 需要一个键和若干 [键, 值]", "lookup takes a key and [key, value] pairs", node)
        args: list[x.Node] = [key]
        result: Type | None = None
        for ((k, kt2), (v, vt)), raw in zip(self._pairs(node), node.args[1:]):
            if not _same_family(kt, kt2) or (result is not None and not _same_family(result, vt)):
                raise _err("lookup 的键或值类型不一致", "lookup keys or values do not match in type", raw)
            if kt.kind == "enum" and isinstance(k, x.Literal):
                self._enum_value(kt, k)
            result = result or vt
            args.append(x.ListLit((k, v), span=raw.span))
        assert result is not None
        return x.Call("lookup", tuple(args), span=node.span), result


def check_expression(node: x.Node, params: Mapping[str, Type], want: str | None = None) -> tuple[x.Node, Type]:
    """Type-check a parsed expression; ``want`` ("bool" or "money") is the type it must have."""
    checker = Checker(Scope(params))
    if want == "bool":
        return checker.check_bool(node), BOOL
    typed, t = checker.check(node)
    if want == "money" and t.kind not in ("money", "null"):
        hint = ""
        if isinstance(node, x.Literal) and t.kind == "number":
            hint = f"{node.value}元 / {node.value}万"
        raise _err(
            f"金额表达式应得出金额，此处为{t.describe()}",
            f"an amount must be money, this is {t.describe('en')}", node,
            f"写明单位，如 {hint or '50万'}", f"write the unit, e.g. {hint or '50万'}",
        )
    return typed, t

