"""Load rule files into a RuleSet: structure, expressions and types checked, every error located.

All errors of all files are collected and raised together as one :class:`RuleSetError`, each with
file:line:col, the offending source line and a hint, so a policy writer fixes them in one pass.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import RuleDefinitionError, RuleSetError, suggest
from ..facts.codes import is_valid_region
from ..facts.profile import registry
from ..lang.check import check_expression
from ..lang.parser import ExpressionError, parse_expression
from ..limits import MAX_SOURCE_BYTES, shown
from ..validation_words import message_zh
from ..model.types import Type
from ..model import expr as x
from ..model.rule import (
    NATIONAL,
    Benefit,
    Citation,
    Document,
    Expectation,
    Jurisdiction,
    Parameter,
    ParamValue,
    Period,
    Rule,
    RuleSet,
    RuleTest,
    Schedule,
    Source,
    Text,
)
from .schema import (
    BenefitModel,
    DocumentModel,
    JurisdictionModel,
    PeriodModel,
    RuleModel,
    TestFileModel,
    TestModel,
)
from .yamlload import Located, LocatedList, Mark, load_yaml, load_yaml_file, read_rule_text

EXAMPLES_PACK = "examples"
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def bundled_rules_dir() -> Path:
    """The rule packs shipped inside the package (``eligibility/rules``)."""
    return Path(str(resources.files("eligibility") / "rules"))


def is_rule_file(path: Path) -> bool:
    return path.suffix in (".yaml", ".yml") and not path.name.endswith((".tests.yaml", ".tests.yml"))


def _is_pack_name(raw: str | Path) -> bool:
    text = str(raw)
    return isinstance(raw, str) and "/" not in text and "\\" not in text and not text.startswith(".") and "." not in text


_DOCUMENT_HEADER = re.compile(r"^document:", re.MULTILINE)


def _holds_rules(path: Path) -> bool:
    """Whether ``path`` is a rule file or a folder holding one (YAML with a top-level ``document:``)."""
    files = [path] if path.is_file() else sorted(f for f in path.rglob("*") if is_rule_file(f))
    return any(_DOCUMENT_HEADER.search(f.read_text(encoding="utf-8", errors="replace")) for f in files)


def shadowed_packs(paths: Iterable[str | Path]) -> list[tuple[str, bool]]:
    """The bare names among ``paths`` that are both an existing path and a bundled pack, each with
    whether the path wins (it does when it holds rule files; else the bundled pack is loaded)."""
    root = bundled_rules_dir()
    return [(str(raw), _holds_rules(Path(raw))) for raw in paths
            if _is_pack_name(raw) and Path(raw).exists() and (root / str(raw)).is_dir()]


def discover(paths: Iterable[str | Path]) -> list[Path]:
    """Rule files under the given files, folders or bundled pack names; none = every bundled pack
    except the ``examples`` demo pack. A path that exists and holds rule files wins over a bundled pack
    of the same name (``shadowed_packs`` tells which was taken); any other bare name is a bundled pack."""
    root = bundled_rules_dir()
    paths = list(paths)
    if not paths:
        folders = sorted(p for p in root.iterdir() if p.is_dir() and p.name != EXAMPLES_PACK)
        return [f for d in folders for f in sorted(d.rglob("*")) if is_rule_file(f) and "sources" not in f.parts]
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if _is_pack_name(raw) and (root / str(raw)).is_dir() and not (path.exists() and _holds_rules(path)):
            path = root / str(raw)
        if path.is_dir():
            files.extend(f for f in sorted(path.rglob("*")) if is_rule_file(f) and "sources" not in f.relative_to(path).parts)
        elif path.is_file():
            files.append(path)
        else:
            packs = sorted(p.name for p in root.iterdir() if p.is_dir())
            hint = suggest(str(raw), packs)
            raise RuleSetError([RuleDefinitionError(
                f"找不到规则文件或规则包 '{raw}'" + (f"，是否想写 '{hint}'？" if hint else ""),
                f"no rule file or pack '{raw}'" + (f"; did you mean '{hint}'?" if hint else ""),
                file=str(raw), hint_zh="内置规则包：" + "、".join(packs), hint_en="bundled packs: " + ", ".join(packs),
            )])
    return files


@dataclass
class _FileContext:
    """One file being loaded: its path, lines (for quoting them in errors) and collected errors."""

    path: Path
    lines: list[str]
    errors: list[RuleDefinitionError]

    @property
    def name(self) -> str:
        return str(self.path)

    def error(self, zh: str, en: str, mark: Mark | None, **kw: Any) -> RuleDefinitionError:
        line = mark.line if mark else None
        source = self.lines[line - 1] if line and line <= len(self.lines) else None
        err = RuleDefinitionError(zh, en, file=self.name, line=line, col=mark.col if mark else None,
                                  source_line=source, **kw)
        self.errors.append(err)
        return err

    def expr_mark(self, mark: Mark, offset: int, text: str) -> Mark:
        """File position of character ``offset`` of an expression written at ``mark``."""
        if mark.style == "|":
            # a literal block keeps its lines; its indentation is that of its first content line
            before = text[:offset]
            first = self.lines[mark.line] if mark.line < len(self.lines) else ""
            indent = len(first) - len(first.lstrip(" "))
            return Mark(mark.line + 1 + before.count("\n"), indent + len(before) - (before.rfind("\n") + 1) + 1)
        quote = 1 if mark.style in ('"', "'") else 0
        line_text = self.lines[mark.line - 1] if mark.line <= len(self.lines) else ""
        start_col = mark.col + quote
        if mark.style is None or mark.style in ('"', "'"):
            if len(line_text) - (start_col - 1) >= offset:
                return Mark(mark.line, start_col + offset)
        # folded or wrapped scalars: line breaks became spaces; find the same non-blank character
        wanted = sum(1 for ch in text[:offset] if not ch.isspace())
        line, col = (mark.line + 1, 1) if mark.style == ">" else (mark.line, start_col)
        seen = 0
        while line <= len(self.lines):
            src = self.lines[line - 1]
            for i in range(col - 1, len(src)):
                if not src[i].isspace():
                    if seen == wanted:
                        return Mark(line, i + 1)
                    seen += 1
            line, col = line + 1, 1
        return Mark(mark.line, start_col)


def _mark_at(data: Any, loc: tuple[Any, ...]) -> Mark | None:
    """The position of the value at ``loc`` inside located YAML data (or the nearest parent)."""
    mark: Mark | None = getattr(data, "mark", None)
    node = data
    for part in loc:
        if isinstance(node, Located) and isinstance(part, str) and part in node:
            mark = node.value_marks.get(part, mark)
            node = node[part]
        elif isinstance(node, LocatedList) and isinstance(part, int) and part < len(node):
            mark = node.item_marks[part]
            node = node[part]
        elif isinstance(node, Located) and isinstance(part, str):
            # an extra key: point at the key itself
            return node.key_marks.get(part, mark)
    return mark


def _key_mark(data: Any, loc: tuple[Any, ...]) -> Mark | None:
    """The position of the key at ``loc`` (for errors about a key, not its value)."""
    parent = data
    for part in loc[:-1]:
        if isinstance(parent, dict) and part in parent or isinstance(parent, list) and isinstance(part, int):
            parent = parent[part]
    if isinstance(parent, Located):
        return parent.key_marks.get(str(loc[-1]), parent.mark)
    return _mark_at(data, loc)


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    from ..facts.profile import _record_type

    current: type[BaseModel] | None = model
    for part in loc[:-1]:
        if current is None or isinstance(part, int):
            continue
        info = current.model_fields.get(str(part)) or next(
            (f for f in current.model_fields.values() if f.alias == part), None)
        if info is None:
            return current
        nxt = _record_type(info.annotation)
        current = nxt if nxt is not None else current
    return current


def _report_validation(ctx: _FileContext, exc: ValidationError, data: Any, model: type[BaseModel],
                       base: tuple[Any, ...] = ()) -> None:
    for err in exc.errors():
        loc = base + tuple(err["loc"])
        mark = _mark_at(data, tuple(err["loc"]))
        where = ".".join(str(p) for p in loc)
        if err["type"] == "extra_forbidden":
            mark = _key_mark(data, tuple(err["loc"]))
            owner = _model_at(model, tuple(err["loc"]))
            names = [f.alias or n for n, f in owner.model_fields.items()] if owner else []
            hint = suggest(str(loc[-1]), names)
            ctx.error(
                f"未知的键 '{loc[-1]}'（位于 {where}）" + (f"，是否想写 '{hint}'？" if hint else ""),
                f"unknown key '{loc[-1]}' (at {where})" + (f"; did you mean '{hint}'?" if hint else ""),
                mark, hint_zh="允许的键：" + "、".join(names), hint_en="allowed keys: " + ", ".join(names),
            )
        elif err["type"] == "missing":
            ctx.error(f"缺少必填项 '{loc[-1]}'（位于 {where}）", f"missing required key '{loc[-1]}' (at {where})", mark)
        else:
            expected = err.get("ctx", {}).get("expected")
            ctx.error(
                message_zh(err, f"{where} ") + (f"（允许：{expected}）" if expected and err["type"] not in (
                    "literal_error", "enum") else ""),
                f"invalid value at {where}: {err['msg']}", mark,
            )


def _written(value: Any) -> tuple[str, str]:
    """What a YAML value is, for a message (Chinese, English): a list, nothing, or the text as written."""
    if isinstance(value, list):
        return "列表", "a list"
    if value is None:
        return "空值", "nothing"
    return f"“{shown(_text_of(value))[1:-1]}”", shown(_text_of(value))


def _text_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


class _RuleBuilder:
    """Builds one Rule from its validated model, parsing and type-checking every expression."""

    def __init__(self, ctx: _FileContext, raw: Located, model: RuleModel, document: Document) -> None:
        self.ctx, self.raw, self.model, self.document = ctx, raw, model, document
        self.params: dict[str, Type] = {}
        self.ok = True

    def expression(self, text: Any, mark: Mark | None, want: str | None) -> tuple[x.Node, Type] | None:
        source = _text_of(text)
        if want == "money" and (isinstance(text, (int, float)) and not isinstance(text, bool)
                                or isinstance(text, str) and _PLAIN_NUMBER.fullmatch(text.strip())):
            source = f"{source.strip()}元"  # a bare number where money is expected is yuan
        try:
            return check_expression(parse_expression(source), self.params, want)
        except ExpressionError as exc:
            self.ok = False
            at = self.ctx.expr_mark(mark, exc.span[0], source) if mark else None
            details = {k: v for k, v in exc.details.items() if k not in ("span", "hint_zh", "hint_en")}
            self.ctx.error(exc.zh, exc.en, at, hint_zh=exc.hint_zh, hint_en=exc.hint_en, rule_id=self.model.id,
                           expression=source, **details)
            return None

    def mark(self, *path: Any) -> Mark | None:
        return _mark_at(self.raw, path)

    def build_params(self) -> dict[str, Parameter]:
        out: dict[str, Parameter] = {}
        fields = registry()
        for name, pm in (self.model.params or {}).items():
            if name in fields or "." in name:
                self.ok = False
                self.ctx.error(
                    f"参数名 '{name}' 与画像字段重名或含有 '.'", f"parameter name '{name}' clashes with a profile field or has a '.'",
                    _key_mark(self.raw, ("params", name)), rule_id=self.model.id,
                )
                continue
            values, types = [], set()
            for i, pv in enumerate(sorted(pm.values, key=lambda v: v.start)):
                typed = self.expression(pv.value, self.mark("params", name, "values", i, "value"), None)
                if typed is None:
                    continue
                node, t = typed
                if not isinstance(node, x.Literal):
                    self.ok = False
                    self.ctx.error("参数取值应为常量（如 10万、20%）", "a parameter value must be a constant (e.g. 10万, 20%)",
                                   self.mark("params", name, "values", i, "value"), rule_id=self.model.id)
                types.add(t)
                values.append(ParamValue(pv.start, node, pv.basis))
            starts = [v.start for v in values]
            if len(set(starts)) != len(starts):
                self.ok = False
                self.ctx.error(f"参数 '{name}' 有两个取值起始日期相同", f"parameter '{name}' has two values from the same date",
                               self.mark("params", name), rule_id=self.model.id)
            if len(types) > 1:
                self.ok = False
                self.ctx.error(f"参数 '{name}' 各期取值类型不一致", f"parameter '{name}' values differ in type",
                               self.mark("params", name), rule_id=self.model.id)
            if types:
                self.params[name] = types.pop()
            out[name] = Parameter(name, tuple(values), pm.end)
        return out

    def condition(self, raw: Any, mark: Mark | None, path: tuple[Any, ...]) -> x.Node | None:
        """``when``: a string, a list (all of), {all|any: [...]}, {not: ...} or {expr, label}."""
        if isinstance(raw, list):
            if not raw:
                self.ok = False
                self.ctx.error("条件列表为空：每家企业都会符合", "an empty list of conditions: every firm would qualify",
                               mark, rule_id=self.model.id, hint_zh="至少写一个条件", hint_en="write at least one condition")
                return None
            return self._combine(x.And, raw, path)
        if isinstance(raw, dict):
            keys = set(raw)
            if keys == {"all"} or keys == {"any"}:
                key = keys.pop()
                items = raw[key]
                if not isinstance(items, list) or not items:
                    self.ok = False
                    self.ctx.error(f"{key}: 之后应为非空列表", f"{key}: takes a non-empty list", _mark_at(raw, (key,)),
                                   rule_id=self.model.id)
                    return None
                return self._combine(x.And if key == "all" else x.Or, items, (*path, key))
            if keys == {"not"}:
                inner = self.condition(raw["not"], _mark_at(raw, ("not",)), (*path, "not"))
                return x.Not(inner) if inner is not None else None
            if "expr" in keys and keys <= {"expr", "label"}:
                label = raw.get("label") or {}
                if not isinstance(label, dict) or set(label) - {"zh", "en"} or not all(
                        isinstance(v, str) for v in label.values()):
                    self.ok = False
                    self.ctx.error("label 应为 {zh: 中文, en: English}（两者均为文字）",
                                   "label must be {zh: …, en: …} with text values", _mark_at(raw, ("label",)),
                                   rule_id=self.model.id,
                                   hint_zh="含逗号或冒号的文字请加引号", hint_en="quote text containing a comma or colon")
                    return None
                return self._leaf(raw["expr"], _mark_at(raw, ("expr",)), label.get("zh"), label.get("en"))
            self.ok = False
            hint = suggest(next(iter(keys - {"all", "any", "not", "expr", "label"}), ""), ["all", "any", "not", "expr", "label"])
            self.ctx.error(
                "条件应为表达式字符串，或 all:/any:/not:/expr: 之一" + (f"，是否想写 '{hint}'？" if hint else ""),
                "a condition is an expression string or one of all:, any:, not:, expr:" + (
                    f"; did you mean '{hint}'?" if hint else ""),
                mark, rule_id=self.model.id,
            )
            return None
        return self._leaf(raw, mark, None, None)

    def _combine(self, cls: type[x.And] | type[x.Or], items: list[Any], path: tuple[Any, ...]) -> x.Node | None:
        nodes = []
        for i, item in enumerate(items):
            node = self.condition(item, _mark_at(self.raw, (*path, i)), (*path, i))
            if node is not None:
                nodes.append(node)
        if len(nodes) != len(items):
            return None
        return nodes[0] if len(nodes) == 1 else cls(tuple(nodes))

    def _leaf(self, raw: Any, mark: Mark | None, label_zh: str | None, label_en: str | None) -> x.Node | None:
        typed = self.expression(raw, mark, "bool")
        if typed is None:
            return None
        return x.Clause(typed[0], _text_of(raw), label_zh, label_en, mark.line if mark else None)

    def benefit(self, bm: BenefitModel | None) -> Benefit:
        if bm is None:
            return Benefit()
        amount = cap = None
        if bm.amount is not None:
            typed = self.expression(bm.amount, self.mark("benefit", "amount"), "money")
            amount = self._not_negative(typed[0], bm.amount, "amount") if typed else None
        if bm.cap is not None:
            typed = self.expression(bm.cap, self.mark("benefit", "cap"), "money")
            cap = self._not_negative(typed[0], bm.cap, "cap") if typed else None
        schedule = None
        if bm.schedule is not None:
            typed = self.expression(bm.schedule.start, self.mark("benefit", "schedule", "start"), None)
            if typed is not None and typed[1].kind != "date":
                self.ok = False
                self.ctx.error("分期的 start 应为日期表达式", "schedule start must be a date expression",
                               self.mark("benefit", "schedule", "start"), rule_id=self.model.id)
            elif typed is not None:
                schedule = Schedule(bm.schedule.instalments, typed[0], bm.schedule.start, bm.schedule.each_year)
        kind = bm.kind
        if (kind == "instalment") != (schedule is not None):
            self.ok = False
            self.ctx.error("amount kind 为 instalment 时须给出 schedule，反之亦然",
                           "kind instalment needs a schedule, and a schedule needs kind instalment",
                           self.mark("benefit"), rule_id=self.model.id)
        description = Text(bm.description.zh, bm.description.en) if bm.description else None
        return Benefit(amount, _text_of(bm.amount) if bm.amount is not None else None, kind, cap, bm.once,
                       schedule, description)

    def _not_negative(self, node: x.Node, written: Any, key: str) -> x.Node | None:
        """A benefit amount or cap that is a negative constant is refused (a benefit is never a charge)."""
        if isinstance(node, x.Literal) and isinstance(node.value, Decimal) and node.value < 0:
            self.ok = False
            self.ctx.error(f"benefit.{key} 不能为负数：{_text_of(written)}", f"benefit.{key} cannot be negative: {_text_of(written)}",
                           self.mark("benefit", key), rule_id=self.model.id)
            return None
        return node

    def tests(self, models: list[TestModel], raw_tests: Any, ctx: _FileContext | None = None) -> tuple[RuleTest, ...]:
        """The rule's tests; ``ctx`` is the file they are written in (a sibling tests file, or the rule file)."""
        saved, self.ctx = self.ctx, ctx or self.ctx
        try:
            return self._tests(models, raw_tests)
        finally:
            self.ctx = saved

    def _tests(self, models: list[TestModel], raw_tests: Any) -> tuple[RuleTest, ...]:
        out = []
        file = self.ctx.name
        for i, tm in enumerate(models):
            mark = _mark_at(raw_tests, (i,))
            e = tm.expect
            amount: Any = None
            check_amount = "amount" in e.model_fields_set
            if e.amount is not None:
                typed = self.expression(e.amount, _mark_at(raw_tests, (i, "expect", "amount")), "money")
                if typed is not None and isinstance(typed[0], x.Literal):
                    amount = typed[0].value
            expect = Expectation(e.status, amount, check_amount, tuple(e.missing) if e.missing is not None else None,
                                 tuple(e.explanation or ()), e.superseded_by)
            out.append(RuleTest(tm.name, tm.as_of, tm.profile, expect, file, mark.line if mark else 0))
        return tuple(out)


def _period(pm: PeriodModel | None, default: Period) -> Period:
    if pm is None:
        return default
    return Period(pm.start, pm.end)


def _jurisdiction(ctx: _FileContext, jm: JurisdictionModel, mark: Mark | None) -> Jurisdiction | None:
    code = jm.code.strip()
    if code.lower() in ("national", "全国", "cn", NATIONAL):
        code = NATIONAL
    elif code.isdigit() and len(code) in (2, 4, 6):
        code = code.ljust(6, "0")
        if not is_valid_region(code):
            ctx.error(f"行政区划代码 '{jm.code}' 不在已知省份之下", f"region code '{jm.code}' is not under a known province",
                      mark)
            return None
    else:
        ctx.error(f"管辖地代码 '{jm.code}' 应为2、4、6位数字或 national",
                  f"jurisdiction code '{jm.code}' must be 2, 4 or 6 digits or 'national'", mark)
        return None
    if jm.by is not None and f"scenario.{jm.by}.region_code" not in registry():
        scenarios = [p.split(".")[1] for p in registry() if p.startswith("scenario.") and p.endswith(".region_code")]
        ctx.error(f"jurisdiction.by '{jm.by}' 不是带 region_code 的办理事项",
                  f"jurisdiction.by '{jm.by}' is not a scenario with a region_code", mark,
                  hint_zh="可用：" + "、".join(scenarios), hint_en="available: " + ", ".join(scenarios))
        return None
    return Jurisdiction(code, jm.name, jm.development_zone, jm.by)


def _scenarios(nodes: Iterable[x.Node | None], jurisdiction: Jurisdiction) -> frozenset[str]:
    names = {jurisdiction.by} if jurisdiction.by else set()
    for node in nodes:
        if node is None:
            continue
        for n in x.walk(node):
            if isinstance(n, x.Field) and n.path.startswith("scenario."):
                names.add(n.path.split(".")[1])
    return frozenset(names)


def _load_sibling_tests(ctx: _FileContext) -> tuple[dict[str, list[TestModel]], Any, _FileContext | None]:
    """Tests in ``<name>.tests.yaml`` beside the rule file: (tests by rule id, raw data, its file context)."""
    for suffix in (".tests.yaml", ".tests.yml"):
        sibling = ctx.path.with_name(ctx.path.stem + suffix)
        if sibling.exists():
            raw = None
            try:
                text = read_rule_text(sibling)
                sub = _FileContext(sibling, text.splitlines(), ctx.errors)
                raw = load_yaml(text, str(sibling))
                return TestFileModel.model_validate(raw).tests, raw, sub
            except RuleDefinitionError as exc:
                ctx.errors.append(exc)
            except ValidationError as exc:
                _report_validation(sub, exc, raw, TestFileModel)
    return {}, None, None


def rules_root(path: Path, given: Iterable[str | Path] = ()) -> Path:
    """The folder a rule file's ``document.source`` must stay inside: the folder of packs. For a
    bundled pack that is the bundled rules folder (packs cite each other's sources); else the folder
    holding the pack given to load (a folder given, or the folder of a file given)."""
    resolved = path.resolve()
    bundled = bundled_rules_dir().resolve()
    if resolved.is_relative_to(bundled):
        return bundled
    packs = [Path(g).resolve() if Path(g).is_dir() else Path(g).resolve().parent for g in given]
    inside = [p for p in packs if resolved.is_relative_to(p)]
    pack = min(inside, key=lambda p: len(p.parts)) if inside else resolved.parent
    return pack.parent


def _source_text(ctx: _FileContext, source: str, root: Path, mark: Mark | None) -> str | None:
    """The policy text named by ``document.source``: a regular UTF-8 file inside ``root`` of at most
    MAX_SOURCE_BYTES; anything else is an error at the ``source:`` line."""
    target = (ctx.path.parent / source).resolve()
    if not target.is_relative_to(root.resolve()):
        ctx.error(f"原文文件 {source} 不在规则目录 {root} 之内", f"source text {source} is outside the rules folder {root}",
                  mark, hint_zh="原文文件应放在规则目录内（如 sources/ 子目录）",
                  hint_en="keep source texts inside the rules folder (e.g. a sources/ folder)")
        return None
    if not target.exists():
        ctx.error(f"找不到原文文件 {source}", f"source text {source} not found", mark)
        return None
    if not target.is_file():
        ctx.error(f"原文 {source} 不是普通文件", f"source text {source} is not a regular file", mark)
        return None
    if target.stat().st_size > MAX_SOURCE_BYTES:
        ctx.error(f"原文文件 {source} 超过 {MAX_SOURCE_BYTES // 2**20} MiB", 
                  f"source text {source} is larger than {MAX_SOURCE_BYTES // 2**20} MiB", mark)
        return None
    try:
        return target.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        ctx.error(f"原文文件 {source} 不是 UTF-8 编码", f"source text {source} is not UTF-8 text", mark,
                  hint_zh="请另存为 UTF-8", hint_en="save it as UTF-8")
        return None


def load_file(path: Path, errors: list[RuleDefinitionError], tests: bool = True,
              root: Path | None = None) -> tuple[Document | None, list[Rule]]:
    """Load one rule file; problems are appended to ``errors`` (and the bad rules left out).
    ``tests=False``: its sibling ``*.tests.yaml`` is not read (the rules' inline tests still are).
    ``root``: the folder its source text must be inside (see :func:`rules_root`; default its own)."""
    try:
        text = read_rule_text(path)
        raw = load_yaml(text, str(path))
    except RuleDefinitionError as exc:
        errors.append(exc)
        return None, []
    ctx = _FileContext(path, text.splitlines(), errors)
    if not isinstance(raw, Located) or "document" not in raw or "rules" not in raw:
        ctx.error("规则文件应包含 document: 与 rules: 两部分", "a rule file has two parts: document: and rules:",
                  getattr(raw, "mark", Mark(1, 1)))
        return None, []
    try:
        dm = DocumentModel.model_validate(raw["document"])
    except ValidationError as exc:
        _report_validation(ctx, exc, raw["document"], DocumentModel, ("document",))
        return None, []
    juris = _jurisdiction(ctx, dm.jurisdiction, _mark_at(raw, ("document", "jurisdiction")))
    if juris is None:
        return None, []
    source_text = _source_text(ctx, dm.source, root or path.parent, _mark_at(raw, ("document", "source"))) \
        if dm.source else None
    document = Document(dm.title, dm.issuer, dm.number, dm.date, juris, _period(dm.effective, Period()), str(path),
                        source_text, (dm.notes or "").strip())
    raw_rules = raw["rules"]
    if not isinstance(raw_rules, LocatedList):
        ctx.error("rules: 之后应为规则列表", "rules: takes a list of rules", _mark_at(raw, ("rules",)))
        return document, []
    sibling_tests, sibling_raw, sibling_ctx = _load_sibling_tests(ctx) if tests else ({}, None, None)
    rules = []
    for i, raw_rule in enumerate(raw_rules):
        if not isinstance(raw_rule, Located):
            zh, en = _written(raw_rule)
            ctx.error(f"规则应为映射（id:、title:、when: …），实际为 {zh}", f"a rule is a mapping (id:, title:, when: …), got {en}",
                      raw_rules.item_marks[i])
            continue
        rule = _load_rule(ctx, raw_rule, raw_rules.item_marks[i], document, sibling_tests, sibling_raw, sibling_ctx)
        if rule is not None:
            rules.append(rule)
    return document, rules


def _load_rule(ctx: _FileContext, raw: Any, mark: Mark, document: Document,
               sibling_tests: dict[str, list[TestModel]], sibling_raw: Any,
               sibling_ctx: _FileContext | None) -> Rule | None:
    try:
        model = RuleModel.model_validate(raw)
    except ValidationError as exc:
        n_before = len(ctx.errors)
        _report_validation(ctx, exc, raw, RuleModel)
        rid = raw.get("id") if isinstance(raw, dict) else None
        for err in ctx.errors[n_before:]:
            err.rule_id = rid if isinstance(rid, str) else None
        return None
    b = _RuleBuilder(ctx, raw, model, document)
    params = b.build_params()
    when = b.condition(model.when, b.mark("when"), ("when",))
    benefit = b.benefit(model.benefit)
    juris = document.jurisdiction
    if model.jurisdiction is not None:
        juris = _jurisdiction(ctx, model.jurisdiction, b.mark("jurisdiction")) or juris
    tests = b.tests(model.tests or [], raw.get("tests"))
    if model.id in sibling_tests:
        tests += b.tests(sibling_tests[model.id], sibling_raw["tests"][model.id], sibling_ctx)
    if not b.ok or when is None:
        return None
    source = _source(ctx, raw, model, document, _period(model.effective, document.effective))
    if source is None:
        return None
    return Rule(
        id=model.id,
        title=Text(model.title.zh, model.title.en),
        source=source,
        kind=model.kind,
        mode=model.mode,
        basis=model.basis,
        effective=_period(model.effective, document.effective),
        jurisdiction=juris,
        when=when,
        benefit=benefit,
        group=model.group,
        priority=model.priority,
        notes=(model.notes or "").strip(),
        params=params,
        tests=tests,
        file=ctx.name,
        line=mark.line,
        scenarios=_scenarios([when, benefit.amount, benefit.cap, benefit.schedule.start if benefit.schedule else None],
                             juris),
    )


def _source(ctx: _FileContext, raw: Any, model: RuleModel, document: Document, effective: Period) -> Source | None:
    """The rule's citation; a rule citing by period gets each period's document, ending the day before
    the next starts (the last with the rule), and its local restatements with where and when they apply."""
    sm = model.source
    ok = True
    if not sm.quote and not sm.periods:
        ok = False
        ctx.error("缺少必填项 'quote'（原文照录；或按期引用 periods）",
                  "missing required key 'quote' (the sentence verbatim; or cite by periods)",
                  _mark_at(raw, ("source",)), rule_id=model.id)
    periods: list[Citation] = []
    starts = [p.start for p in sm.periods or []]
    if starts != sorted(set(starts)):
        ok = False
        ctx.error("source.periods 须按 from 递增且不重复", "source.periods must be in increasing order of from",
                  _mark_at(raw, ("source", "periods")), rule_id=model.id)
    for i, pm in enumerate(sm.periods or []):
        end = starts[i + 1] - timedelta(days=1) if i + 1 < len(starts) else effective.end
        text = _citation_text(ctx, pm.source, _mark_at(raw, ("source", "periods", i, "source")))
        periods.append(Citation(pm.document, pm.clause, Period(pm.start, end), pm.quote, text))
    restatements: list[Citation] = []
    for i, rm in enumerate(sm.restatements or []):
        where = _jurisdiction(ctx, rm.jurisdiction, _mark_at(raw, ("source", "restatements", i, "jurisdiction")))
        text = _citation_text(ctx, rm.source, _mark_at(raw, ("source", "restatements", i, "source")))
        if where is None:
            ok = False
            continue
        restatements.append(Citation(rm.document, rm.clause, _period(rm.effective, Period()), rm.quote, text, where))
    if not ok:
        return None
    return Source(document, sm.clause, sm.quote or "", sm.document, tuple(periods), tuple(restatements))


def _citation_text(ctx: _FileContext, path: str | None, mark: Mark | None) -> str | None:
    """The text a citation's quote is checked against, read from a path relative to the rule file."""
    if path is None:
        return None
    file = ctx.path.parent / path
    if not file.exists():
        ctx.error(f"找不到原文文件 {path}", f"source text {path} not found", mark)
        return None
    return file.read_text(encoding="utf-8")


def required_for_tests(files: Iterable[Path]) -> list[Path]:
    """Rule files the tests beside ``files`` need loaded too and ``files`` lack: the ``requires:`` of each
    ``<name>.tests.yaml``, each a path relative to that file or else a bundled pack name."""
    files = list(files)
    have = {f.resolve() for f in files}
    needed: list[Path] = []
    for path in files:
        for suffix in (".tests.yaml", ".tests.yml"):
            sibling = path.with_name(path.stem + suffix)
            if not sibling.exists():
                continue
            raw = load_yaml_file(sibling)
            required = raw.get("requires") if isinstance(raw, dict) else None
            for name in required if isinstance(required, list) else []:
                local = sibling.parent / str(name)
                for f in discover([local if local.exists() else str(name)]):
                    if f.resolve() not in have:
                        have.add(f.resolve())
                        needed.append(f)
    return needed


def files_hash(files: Iterable[Path]) -> str:
    """The content hash of a rule set made of ``files`` (names and bytes, in order): ``RuleSet.hash``."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def load_rules(*paths: str | Path, tests: bool = True) -> RuleSet:
    """Load rule files, folders or bundled pack names (none: all bundled packs but the examples).

    Raises :class:`RuleSetError` listing every problem of every file at once. ``tests=False``
    leaves out the tests kept beside each rule file (``<name>.tests.yaml``), for a caller that only
    decides: parsing them is most of the bundled packs' load time, and a problem in them then does
    not stop the decisions (``eligibility test`` and ``lint`` still report it). The rule set's hash
    covers the rule files only, so it is the same either way.
    """
    files = discover(paths)
    errors: list[RuleDefinitionError] = []
    documents, rules = [], []
    seen: dict[str, Rule] = {}
    for path in files:
        document, loaded = load_file(path, errors, tests, rules_root(path, paths))
        if document is not None:
            documents.append(document)
        for rule in loaded:
            if rule.id in seen:
                first = seen[rule.id]
                errors.append(RuleDefinitionError(
                    f"规则 id '{rule.id}' 重复（第一次在 {first.file}:{first.line}）",
                    f"duplicate rule id '{rule.id}' (first at {first.file}:{first.line})",
                    file=rule.file, line=rule.line, rule_id=rule.id,
                ))
                continue
            seen[rule.id] = rule
            rules.append(rule)
    if errors:
        raise RuleSetError(errors)
    return RuleSet(rules, documents, files_hash(files))


def parse_amount_text(text: str) -> Decimal:
    """Read an amount as a policy writer writes it in tests and overrides (``50万``, ``1234.5``)."""
    node, _ = check_expression(parse_expression(text if not text.replace(".", "").isdigit() else f"{text}元"), {}, "money")
    assert isinstance(node, x.Literal) and isinstance(node.value, Decimal)
    return node.value

