"""Parse rule expressions into model nodes. Never evaluates anything as Python.

The language, by example::

    300万 <= revenue < 2000万                      chained range, Chinese money units
    industry_code under ["B", "C", "D"]            code hierarchy (industry section/division, region prefix)
    vat_taxpayer == "small_scale" and not dishonest_record
    monthly_sales <= limit                         a dated parameter of the rule
    within(registers.above_scale_industrial.entered_on, 12 months)
    any(certifications, kind == "little_giant" and level == "national" and within(certified_on, 12 months))
    min(taxable_income, 100万) * 20%               arithmetic, percentages
    if tech_transfer.evaluation_tier == 1 then 30万 else 50万

Operators may also be written ≥ ≤ ≠ = and 且 或 非.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from ..errors import EligibilityError
from ..limits import FIRST_YEAR, LAST_YEAR, MAX_CHAIN, MAX_DEPTH, MAX_DURATION_YEARS, ensure_stack
from ..model import expr as x


class ExpressionError(EligibilityError):
    """An expression is malformed or ill-typed; ``span`` locates it inside the expression text."""

    def __init__(
        self,
        zh: str,
        en: str,
        span: x.Span,
        hint_zh: str | None = None,
        hint_en: str | None = None,
        **details: object,
    ) -> None:
        super().__init__(zh, en, span=span, hint_zh=hint_zh, hint_en=hint_en, **details)


MONEY_UNITS = {"元": Decimal(1), "万": Decimal(10_000), "万元": Decimal(10_000), "亿": Decimal(10**8), "亿元": Decimal(10**8)}
COUNT_UNITS = {"人": "person", "户": "count", "个": "count", "家": "count"}
DURATION_UNITS = {
    "天": "day", "日": "day", "day": "day", "days": "day",
    "个月": "month", "月": "month", "month": "month", "months": "month",
    "年": "year", "year": "year", "years": "year",
}
KEYWORDS = {"and", "or", "not", "in", "under", "if", "then", "else", "true", "false", "none", "as_of"}
ZH_KEYWORDS = {"且": "and", "并且": "and", "或": "or", "或者": "or", "非": "not"}
OP_ALIASES = {"≥": ">=", "≤": "<=", "≠": "!=", "=": "==", "＜": "<", "＞": ">"}
COMPARE_OPS = {"<", "<=", ">", ">=", "==", "!="}
QUANTIFIERS = {"any", "all", "count", "sum"}

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<date>\d{4}-\d{2}-\d{2}(?![\d]))
  | (?P<number>\d+(?:_\d+)*(?:\.\d+)?)(?P<unit>\s*(?:亿元|万元|个月|亿|万|元|%|人|户|个|家|月|年|天|日))?
  | (?P<string>"[^"\n]*"|'[^'\n]*'|“[^”\n]*”)
  | (?P<op><=|>=|==|!=|≥|≤|≠|＜|＞|[<>=+\-*/()\[\],.])
  | (?P<zh>并且|或者|且|或|非)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # number, date, string, op, name, kw, end
    text: str
    start: int
    end: int
    value: object = None
    unit: str | None = None


def tokenize(text: str) -> list[Token]:
    """Split expression text into tokens; an unexpected character is an ExpressionError at its offset."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            ch = text[pos]
            raise ExpressionError(
                f"无法识别的字符 '{ch}'",
                f"unexpected character '{ch}'",
                (pos, pos + 1),
                "金额写作 50万、2000万元、1.5亿；比较符号用 >= <= == !=；字符串加引号",
                'write money as 50万, 2000万元 or 1.5亿; compare with >= <= == !=; quote strings "..."',
            )
        kind = m.lastgroup if m.lastgroup != "unit" else "number"
        start, end = m.start(), m.end()
        pos = end
        if kind == "ws":
            continue
        if kind == "number":
            tokens.append(_number_token(m, start, end))
        elif kind == "date":
            try:
                value = date.fromisoformat(m.group("date"))
            except ValueError:
                raise ExpressionError(
                    f"日期无效：{m.group('date')}",
                    f"invalid date: {m.group('date')}",
                    (start, end),
                ) from None
            if not FIRST_YEAR <= value.year <= LAST_YEAR:
                raise ExpressionError(
                    f"日期超出范围：{m.group('date')}（应在 {FIRST_YEAR} 至 {LAST_YEAR} 年之间）",
                    f"date out of range: {m.group('date')} (years {FIRST_YEAR} to {LAST_YEAR})",
                    (start, end),
                )
            tokens.append(Token("date", m.group("date"), start, end, value))
        elif kind == "string":
            tokens.append(Token("string", m.group("string"), start, end, m.group("string")[1:-1]))
        elif kind == "op":
            op = OP_ALIASES.get(m.group("op"), m.group("op"))
            tokens.append(Token("op", op, start, end))
        elif kind == "zh":
            tokens.append(Token("kw", ZH_KEYWORDS[m.group("zh")], start, end))
        else:
            name = m.group("name")
            tokens.append(Token("kw" if name in KEYWORDS else "name", name, start, end))
    tokens.append(Token("end", "", len(text), len(text)))
    return tokens


def _number_token(m: re.Match[str], start: int, end: int) -> Token:
    digits = m.group("number").replace("_", "")
    unit = (m.group("unit") or "").strip() or None
    value = Decimal(digits)
    return Token("number", m.group(0), start, end, value, unit)


class Parser:
    """Recursive-descent parser over the token list; one instance parses one expression."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    def enter(self, t: Token, levels: int = 1) -> None:
        """One more level of nesting (brackets, not, a sign, a call), at most MAX_DEPTH."""
        self.depth += levels
        if self.depth > MAX_DEPTH:
            raise ExpressionError(f"表达式嵌套超过 {MAX_DEPTH} 层", f"expression nested deeper than {MAX_DEPTH} levels",
                                  (t.start, max(t.end, t.start + 1)), "拆成几个条件或参数", "split it into several conditions")

    # -- token helpers ---------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        t = self.tokens[self.i]
        self.i += 1
        return t

    def at(self, kind: str, text: str | None = None) -> bool:
        t = self.tok
        return t.kind == kind and (text is None or t.text == text)

    def accept(self, kind: str, text: str | None = None) -> Token | None:
        if self.at(kind, text):
            return self.advance()
        return None

    def expect(self, kind: str, text: str, what_zh: str, what_en: str) -> Token:
        if self.at(kind, text):
            return self.advance()
        t = self.tok
        found = "表达式结尾" if t.kind == "end" else f"'{t.text}'"
        found_en = "end of expression" if t.kind == "end" else f"'{t.text}'"
        raise ExpressionError(
            f"此处应为 {what_zh}，实际为 {found}",
            f"expected {what_en}, found {found_en}",
            (t.start, max(t.end, t.start + 1)),
        )

    # -- grammar -----------------------------------------------------------------------------
    def parse(self) -> x.Node:
        if self.at("end"):
            raise ExpressionError("表达式为空", "empty expression", (0, 1))
        node = self.expression()
        if not self.at("end"):
            t = self.tok
            raise ExpressionError(
                f"多余的内容 '{t.text}'",
                f"unexpected '{t.text}' after a complete expression",
                (t.start, t.end),
                "多个条件之间用 and / or 连接",
                "join conditions with and / or",
            )
        return node

    def expression(self) -> x.Node:
        if self.at("kw", "if"):
            self.enter(self.tok)
            start = self.advance().start
            cond = self.expression()
            self.expect("kw", "then", "then", "'then'")
            then = self.expression()
            self.expect("kw", "else", "else", "'else'")
            otherwise = self.expression()
            self.depth -= 1
            return x.IfElse(cond, then, otherwise, span=(start, otherwise.span[1]))
        return self.or_expr()

    def or_expr(self) -> x.Node:
        items = [self.and_expr()]
        while self.accept("kw", "or"):
            items.append(self.and_expr())
        if len(items) == 1:
            return items[0]
        return x.Or(tuple(items), span=(items[0].span[0], items[-1].span[1]))

    def and_expr(self) -> x.Node:
        items = [self.not_expr()]
        while self.accept("kw", "and"):
            items.append(self.not_expr())
        if len(items) == 1:
            return items[0]
        return x.And(tuple(items), span=(items[0].span[0], items[-1].span[1]))

    def not_expr(self) -> x.Node:
        if self.at("kw", "not"):
            self.enter(self.tok)
            start = self.advance().start
            item = self.not_expr()
            self.depth -= 1
            return x.Not(item, span=(start, item.span[1]))
        return self.comparison()

    def comparison(self) -> x.Node:
        left = self.additive()
        if self.tok.kind == "op" and self.tok.text in COMPARE_OPS:
            operands, ops = [left], []
            while self.tok.kind == "op" and self.tok.text in COMPARE_OPS:
                ops.append(self.advance().text)
                operands.append(self.additive())
            return x.Compare(tuple(operands), tuple(ops), span=(left.span[0], operands[-1].span[1]))
        negated = False
        if self.at("kw", "not") and self.tokens[self.i + 1].kind == "kw" and self.tokens[self.i + 1].text in ("in", "under"):
            self.advance()
            negated = True
        if self.accept("kw", "in"):
            lst = self.primary()
            if not isinstance(lst, x.ListLit):
                raise ExpressionError(
                    "in 之后应为方括号列表，如 [\"A\", \"B\"]",
                    'expected a bracketed list after in, e.g. ["A", "B"]',
                    lst.span,
                )
            return x.InList(left, lst.items, negated, span=(left.span[0], lst.span[1]))
        if self.accept("kw", "under"):
            target = self.primary()
            items = target.items if isinstance(target, x.ListLit) else (target,)
            if not items:
                raise ExpressionError("under 之后的代码列表为空", "the code list after under is empty", target.span)
            codes = []
            for it in items:
                if not (isinstance(it, x.Literal) and isinstance(it.value, str)):
                    raise ExpressionError(
                        "under 之后应为代码字符串或其列表，如 \"C\"、[\"B\", \"C\"]、\"5308\"",
                        'expected a code string or a list of them after under, e.g. "C", ["B", "C"], "5308"',
                        it.span,
                    )
                codes.append(it.value)
            return x.Under(left, tuple(codes), negated, span=(left.span[0], target.span[1]))
        if negated:
            t = self.tok
            raise ExpressionError("not 之后应为 in 或 under", "expected in or under after not", (t.start, t.end))
        return left

    def additive(self) -> x.Node:
        node = self.term()
        chain = 0  # a + b + c nests to the left in the model: at most MAX_CHAIN terms
        while self.tok.kind == "op" and self.tok.text in "+-":
            chain = self.chained(chain)
            op = self.advance().text
            right = self.term()
            node = x.Arith(op, node, right, span=(node.span[0], right.span[1]))
        return node

    def chained(self, chain: int) -> int:
        """One more operator of a chain, at most MAX_CHAIN terms."""
        if chain + 2 > MAX_CHAIN:
            t = self.tok
            raise ExpressionError(f"一串运算超过 {MAX_CHAIN} 项", f"a chain of operators longer than {MAX_CHAIN} terms",
                                  (t.start, max(t.end, t.start + 1)), "拆成几个参数或条件", "split it into several parameters")
        return chain + 1

    def term(self) -> x.Node:
        node = self.unary()
        chain = 0
        while self.tok.kind == "op" and self.tok.text in "*/":
            chain = self.chained(chain)
            op = self.advance().text
            right = self.unary()
            if op == "/" and isinstance(right, x.Literal) and isinstance(right.value, Decimal) and right.value == 0:
                raise ExpressionError("除数为 0", "division by zero", right.span)
            node = x.Arith(op, node, right, span=(node.span[0], right.span[1]))
        return node

    def unary(self) -> x.Node:
        if self.at("op", "-"):
            self.enter(self.tok)
            start = self.advance().start
            item = self.unary()
            self.depth -= 1
            if isinstance(item, x.Literal) and isinstance(item.value, Decimal):
                return x.Literal(-item.value, item.unit, span=(start, item.span[1]))
            return x.Neg(item, span=(start, item.span[1]))
        return self.primary()

    def primary(self) -> x.Node:
        t = self.tok
        if t.kind == "number":
            return self.number()
        if t.kind == "date":
            self.advance()
            return x.Literal(t.value, None, span=(t.start, t.end))  # type: ignore[arg-type]
        if t.kind == "string":
            self.advance()
            return x.Literal(t.value, None, span=(t.start, t.end))  # type: ignore[arg-type]
        if t.kind == "kw" and t.text in ("true", "false", "none"):
            self.advance()
            value = {"true": True, "false": False, "none": None}[t.text]
            return x.Literal(value, "none" if value is None else None, span=(t.start, t.end))
        if t.kind == "kw" and t.text == "as_of":
            self.advance()
            return x.AsOf(span=(t.start, t.end))
        if self.accept("op", "("):
            self.enter(t)
            node = self.expression()
            self.expect("op", ")", "')'", "')'")
            self.depth -= 1
            return node
        if self.accept("op", "["):
            self.enter(t)
            items: list[x.Node] = []
            if not self.at("op", "]"):
                items.append(self.expression())
                while self.accept("op", ","):
                    items.append(self.expression())
            end = self.expect("op", "]", "']'", "']'")
            self.depth -= 1
            return x.ListLit(tuple(items), span=(t.start, end.end))
        if t.kind == "name":
            return self.name_or_call()
        found = "表达式结尾" if t.kind == "end" else f"'{t.text}'"
        found_en = "end of expression" if t.kind == "end" else f"'{t.text}'"
        raise ExpressionError(
            f"此处应为数值、字段名或 '('，实际为 {found}",
            f"expected a value, a field name or '(', found {found_en}",
            (t.start, max(t.end, t.start + 1)),
        )

    def number(self) -> x.Node:
        t = self.advance()
        value: Decimal = t.value  # type: ignore[assignment]
        unit = t.unit
        nxt = self.tok
        if unit is None and nxt.kind == "name" and nxt.text in DURATION_UNITS:
            self.advance()
            return self._duration(value, DURATION_UNITS[nxt.text], (t.start, nxt.end))
        span = (t.start, t.end)
        if unit is None:
            return x.Literal(value, None, span=span)
        if unit in MONEY_UNITS:
            amount = value * MONEY_UNITS[unit]
            if amount != amount.quantize(Decimal("0.01")):
                raise ExpressionError(
                    f"金额 {t.text} 精确不到分", f"amount {t.text} is finer than one fen (0.01 yuan)", span
                )
            return x.Literal(_normal(amount), "money", span=span)
        if unit == "%":
            return x.Literal(_normal(value / 100), "percent", span=span)
        if unit in COUNT_UNITS:
            return x.Literal(value, COUNT_UNITS[unit], span=span)
        return self._duration(value, DURATION_UNITS[unit], span)

    def _duration(self, value: Decimal, unit: str, span: x.Span) -> x.Literal:
        if value != value.to_integral_value():
            raise ExpressionError("期限须为整数", "a duration must be a whole number", span)
        per_year = {"year": 1, "month": 12, "day": 366}[unit]
        if value > MAX_DURATION_YEARS * per_year:
            raise ExpressionError(f"期限过长（最长 {MAX_DURATION_YEARS} 年）", f"duration too long (at most {MAX_DURATION_YEARS} years)",
                                  span)
        return x.Literal(x.Duration(int(value), unit), None, span=span)

    def name_or_call(self) -> x.Node:
        first = self.advance()
        parts, end = [first.text], first.end
        while self.at("op", ".") and self.tokens[self.i + 1].kind in ("name", "kw"):
            self.advance()
            nt = self.advance()
            parts.append(nt.text)
            end = nt.end
        name = ".".join(parts)
        if not self.at("op", "("):
            return x.Name(name, span=(first.start, end))
        self.enter(self.advance())
        args: list[x.Node] = []
        if not self.at("op", ")"):
            args.append(self.expression())
            while self.accept("op", ","):
                args.append(self.expression())
        close = self.expect("op", ")", "')'", "')'")
        self.depth -= 1
        span = (first.start, close.end)
        if name in QUANTIFIERS:
            return self._quantifier(name, args, span)
        return x.Call(name, tuple(args), span=span)

    def _quantifier(self, func: str, args: list[x.Node], span: x.Span) -> x.Node:
        wanted = "sum(列表, 表达式[, 条件])" if func == "sum" else f"{func}(列表, 条件)"
        wanted_en = "sum(list, expression[, condition])" if func == "sum" else f"{func}(list, condition)"
        ok = len(args) in ((2, 3) if func == "sum" else (2,)) and isinstance(args[0], x.Name)
        if not ok:
            raise ExpressionError(f"{func} 的写法应为 {wanted}", f"{func} takes {wanted_en}", span)
        where = args[2] if len(args) == 3 else None
        return x.Quantifier(func, args[0].name, args[1], where, span=span)  # type: ignore[attr-defined]


def _normal(d: Decimal) -> Decimal:
    """Drop exponent noise (``5E+5`` → ``500000``) while keeping the value exact."""
    try:
        return d.quantize(Decimal(1)) if d == d.to_integral_value() else d.normalize()
    except InvalidOperation:
        return d


def parse_expression(text: str) -> x.Node:
    """Parse one expression into an untyped node tree (names not yet resolved); nesting beyond
    MAX_DEPTH is an ExpressionError at the bracket, ``not`` or operator that goes too deep."""
    ensure_stack()
    return Parser(text).parse()
