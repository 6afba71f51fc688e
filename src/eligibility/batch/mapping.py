"""Column mapping: a register's headers renamed to profile fields, money units converted exactly
to yuan, headers to ignore, and extra value spellings and date formats (the CLI's ``--columns``)::

    columns:
      统一社会信用代码: uscc
      营业收入(万元): {field: revenue, unit: 万元}   # "1234.5678" → 12345678 yuan
      从业人数: employees
    ignore: [备注]
    values:                                         # tried before the built-in spellings
      vat_taxpayer: {小微: small_scale}
    date_formats: ["%d/%m/%Y"]

Headers are compared in normal form (:mod:`.headers`: full/half-width brackets alike), and the
common headers departments write need no mapping at all. A unit named in a header applies when the
mapping names none. A value that cannot be read is passed on unchanged, so the engine reports it
for its field and row (a value carrying its own unit, "2500万", is read by the engine as such).
Headers that are neither mapped, ignored, recognised nor profile fields are dropped with one warning
(a did-you-mean each).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import RuleDefinitionError, RuleSetError, UnknownFieldError, suggest
from ..io.yamlload import Located, LocatedList, Mark, load_yaml, read_rule_text
from .errors import RegisterError
from .headers import MONEY_UNITS, Recognised, plan_headers

#: money units a column mapping may declare, and their factor to yuan
UNITS: dict[str, Decimal] = dict(MONEY_UNITS)


@dataclass(frozen=True)
class ColumnMapping:
    """Headers → profile fields, money units per header, and headers to ignore.

    >>> m = ColumnMapping({"营业收入(万元)": "revenue"}, {"营业收入(万元)": Decimal(10000)}, frozenset({"备注"}))
    """

    columns: Mapping[str, str] = field(default_factory=dict)
    units: Mapping[str, Decimal] = field(default_factory=dict)
    ignore: frozenset[str] = frozenset()
    source: str | None = None
    values: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # field → spelling → value
    date_formats: tuple[str, ...] = ()                                      # strptime patterns


def load_column_mapping(path: str | Path) -> ColumnMapping:
    """Read and check a column-mapping YAML file (see the module docs for its shape).

    Raises :class:`~eligibility.errors.RuleSetError` holding one
    :class:`~eligibility.errors.RuleDefinitionError` (file, line, column, hint) per problem.
    """
    path = Path(path)
    try:
        text = read_rule_text(path)
        data = load_yaml(text, str(path))
    except RuleDefinitionError as exc:
        raise RuleSetError([exc]) from None
    return parse_column_mapping(data, str(path), text.splitlines())


def parse_column_mapping(data: Any, filename: str = "<mapping>", lines: Sequence[str] = ()) -> ColumnMapping:
    """Check loaded mapping data (from :func:`~eligibility.io.yamlload.load_yaml`); see
    :func:`load_column_mapping`."""
    from ..facts.profile import field_names, registry

    errors: list[RuleDefinitionError] = []

    def error(zh: str, en: str, mark: Mark | None, cls: type[RuleDefinitionError] = RuleDefinitionError,
              **kw: Any) -> None:
        line = mark.line if mark else None
        source = lines[line - 1] if line and line <= len(lines) else None
        if cls is UnknownFieldError:
            errors.append(UnknownFieldError(kw.pop("name"), kw.pop("suggestion"), file=filename, line=line,
                                            col=mark.col if mark else None, source_line=source, **kw))
        else:
            errors.append(cls(zh, en, file=filename, line=line, col=mark.col if mark else None,
                              source_line=source, **kw))

    top = getattr(data, "mark", Mark(1, 1))
    if not isinstance(data, Located):
        error("列映射文件应为映射，包含 columns:（以及可选的 ignore:）",
              "a column mapping file is a mapping with columns: (and optionally ignore:)", top,
              hint_zh="示例：columns: {统一社会信用代码: uscc, 营业收入(万元): {field: revenue, unit: 万元}}",
              hint_en="e.g. columns: {统一社会信用代码: uscc, 营业收入(万元): {field: revenue, unit: 万元}}")
        raise RuleSetError(errors)

    def unknown_keys(node: Located, allowed: list[str], hint_zh: str, hint_en: str) -> None:
        for key in node:
            if key not in allowed:
                near = suggest(key, allowed)
                error(f"未知的键 '{key}'" + (f"，是否想写 '{near}'？" if near else ""),
                      f"unknown key '{key}'" + (f"; did you mean '{near}'?" if near else ""), node.key_marks[key],
                      hint_zh=hint_zh, hint_en=hint_en)

    unknown_keys(data, ["columns", "ignore", "values", "date_formats"],
                 "列映射文件只有 columns:、ignore:、values: 与 date_formats: 四项",
                 "a mapping file has columns:, ignore:, values: and date_formats: only")
    fields = field_names()
    spec = registry()
    columns: dict[str, str] = {}
    units: dict[str, Decimal] = {}
    target_of: dict[str, tuple[str, Mark | None]] = {}
    raw_cols = data.get("columns")
    if raw_cols is None:
        error("缺少 columns:（表头 → 画像字段）", "missing columns: (header → profile field)", top)
    elif not isinstance(raw_cols, Located):
        error("columns: 应为映射（表头: 字段）", "columns: must be a mapping (header: field)",
              data.value_marks.get("columns"))
    else:
        for header, value in raw_cols.items():
            key_mark = raw_cols.key_marks[header]
            value_mark = raw_cols.value_marks[header]
            unit: Any = None
            unit_mark: Mark | None = None
            if isinstance(value, Located):
                unknown_keys(value, ["field", "unit"], "写法：{field: 字段, unit: 万元}", "write {field: <field>, unit: 万元}")
                target = value.get("field")
                if "field" not in value:
                    error(f"表头 '{header}' 缺少 field:", f"header '{header}' has no field:", value_mark)
                    continue
                value_mark = value.value_marks["field"]
                unit, unit_mark = value.get("unit"), value.value_marks.get("unit")
            else:
                target = value
            if not isinstance(target, str) or not target.strip():
                error(f"表头 '{header}' 的目标应为画像字段名", f"header '{header}' must map to a profile field name",
                      value_mark)
                continue
            target = target.strip()
            if target not in spec or "[]" in target:
                error("", "", value_mark, UnknownFieldError, name=target, suggestion=suggest(target, fields))
                continue
            if target in target_of:
                first, first_mark = target_of[target]
                at = f"（第 {first_mark.line} 行）" if first_mark else ""
                at_en = f" (line {first_mark.line})" if first_mark else ""
                error(f"两个表头映射到同一字段 '{target}'：'{first}'{at} 与 '{header}'",
                      f"two headers map onto field '{target}': '{first}'{at_en} and '{header}'", key_mark,
                      hint_zh="每个字段只能来自一列", hint_en="each field comes from one column")
                continue
            target_of[target] = (header, key_mark)
            if unit is not None:
                kind = spec[target].type.kind
                if not isinstance(unit, str) or unit.strip() not in UNITS:
                    near = suggest(str(unit), list(UNITS)) if isinstance(unit, str) else None
                    error(f"单位 '{unit}' 无效，应为 元、千元、万元 或 亿元" + (f"，是否想写 '{near}'？" if near else ""),
                          f"unit '{unit}' is not one of 元, 千元, 万元, 亿元" + (f"; did you mean '{near}'?" if near else ""),
                          unit_mark)
                    continue
                if kind != "money":
                    error(f"只有金额字段可以声明单位；'{target}' 是 {spec[target].type.describe('zh')}",
                          f"only money fields take a unit; '{target}' is {spec[target].type.describe('en')}",
                          unit_mark, hint_zh="删去 unit:", hint_en="remove unit:")
                    continue
                units[str(header)] = UNITS[unit.strip()]
            columns[str(header)] = target
    ignore: set[str] = set()
    raw_ignore = data.get("ignore")
    if raw_ignore is not None:
        if not isinstance(raw_ignore, LocatedList):
            error("ignore: 应为表头列表", "ignore: must be a list of headers", data.value_marks.get("ignore"))
        else:
            for item, mark in zip(raw_ignore, raw_ignore.item_marks, strict=True):
                if not isinstance(item, (str, int)):
                    error("ignore: 的每一项应为表头", "each item of ignore: must be a header", mark)
                elif str(item) in columns:
                    error(f"表头 '{item}' 既被映射又被忽略", f"header '{item}' is both mapped and ignored", mark)
                else:
                    ignore.add(str(item))
    values: dict[str, dict[str, Any]] = {}
    raw_values = data.get("values")
    if raw_values is not None:
        if not isinstance(raw_values, Located):
            error("values: 应为映射（字段: {写法: 取值}）", "values: must be a mapping (field: {spelling: value})",
                  data.value_marks.get("values"))
        else:
            for name, spellings in raw_values.items():
                if name not in spec or "[]" in name:
                    error("", "", raw_values.key_marks[name], UnknownFieldError, name=name,
                          suggestion=suggest(str(name), fields))
                elif not isinstance(spellings, Located):
                    error(f"values: 下的 '{name}' 应为映射（写法: 取值）",
                          f"'{name}' under values: must be a mapping (spelling: value)", raw_values.value_marks[name],
                          hint_zh="示例：values: {vat_taxpayer: {小微: small_scale}}",
                          hint_en="e.g. values: {vat_taxpayer: {小微: small_scale}}")
                else:
                    values[str(name)] = {str(k): v for k, v in spellings.items()}
    formats: list[str] = []
    raw_formats = data.get("date_formats")
    if raw_formats is not None:
        if not isinstance(raw_formats, LocatedList):
            error("date_formats: 应为格式列表（如 '%d/%m/%Y'）", "date_formats: must be a list of formats (e.g. '%d/%m/%Y')",
                  data.value_marks.get("date_formats"))
        else:
            for item, mark in zip(raw_formats, raw_formats.item_marks, strict=True):
                if not isinstance(item, str) or "%" not in item:
                    error(f"日期格式 {item!r} 无效，应含 %Y、%m、%d 等", f"date format {item!r} is not valid: use %Y, %m, %d …",
                          mark)
                else:
                    formats.append(item)
    if errors:
        raise RuleSetError(errors)
    return ColumnMapping(columns, units, frozenset(ignore), filename, values, tuple(formats))


def as_mapping(mapping: ColumnMapping | str | Path | None) -> ColumnMapping | None:
    if mapping is None or isinstance(mapping, ColumnMapping):
        return mapping
    return load_column_mapping(mapping)


def _canonical(amount: Decimal) -> Decimal:
    try:
        return amount.quantize(Decimal(1)) if amount == amount.to_integral_value() else amount
    except InvalidOperation:  # pragma: no cover - beyond 28 digits
        return amount


def scale_money(value: Any, factor: Decimal) -> Any:
    """``value`` (in a unit) × ``factor`` as exact Decimal yuan; missing stays missing, and a value
    that cannot be read is returned unchanged (the engine then reports its row as an error).

    >>> scale_money("1234.5678", Decimal(10000)), scale_money(1234.5678, Decimal(10000))
    (Decimal('12345678'), Decimal('12345678'))
    """
    if value is None or value is pd.NA or isinstance(value, (bool, np.bool_)):
        return value
    if isinstance(value, (int, np.integer)):
        amount = Decimal(int(value))
    elif isinstance(value, (float, np.floating)):
        f = float(value)
        if math.isnan(f):
            return None
        if math.isinf(f):
            return value
        amount = Decimal(repr(f))
    elif isinstance(value, Decimal):
        if value.is_nan():
            return None
        if not value.is_finite():
            return value
        amount = value
    elif isinstance(value, str):
        text = value.strip().replace(",", "").replace("，", "").replace(" ", "")
        if not text:
            return None
        try:
            amount = Decimal(text)
        except InvalidOperation:
            return value  # "12x3", or a value carrying its own unit ("2500万"): the engine reads it
        if not amount.is_finite():
            return value
    else:
        return value
    return _canonical(amount * factor)


@dataclass
class ColumnPlan:
    """How a file's headers become profile columns."""

    headers: list[str]                 # as in the file (stripped)
    keep: list[int]                    # indices of headers kept, in file order
    rename: dict[str, str]             # header → field (kept headers only)
    units: dict[str, Decimal]          # field → factor
    unknown: list[str]
    not_found: list[str]
    warnings: list[tuple[str, str]]
    recognised: list[Recognised] = field(default_factory=list)  # kept columns, in file order


def plan_columns(headers: list[str], mapping: ColumnMapping | None, file: str, strict: bool = False,
                 carried: Sequence[str] = ()) -> ColumnPlan:
    """Headers → fields (a mapping first, then the spellings :mod:`eligibility.batch.headers` knows).
    ``strict``: a mapped header not in the file, or no USCC column, is a :class:`RegisterError`.
    ``carried``: headers carried into the output as they are (not reported as left out)."""
    from ..facts.profile import field_names

    fields = field_names()
    seen: dict[str, int] = {}
    for i, h in enumerate(headers):
        if h in seen:
            raise RegisterError(f"表头 '{h}' 出现了两次（第 {seen[h] + 1} 列与第 {i + 1} 列）",
                                f"header '{h}' appears twice (columns {seen[h] + 1} and {i + 1})", file=file, column=h)
        seen[h] = i
    m = mapping or ColumnMapping()
    hp = plan_headers(headers, m.columns, m.units, m.ignore)
    keep: list[int] = []
    rename: dict[str, str] = {}
    source_of: dict[str, Recognised] = {}
    unknown: list[str] = [headers[i] for i in hp.unknown if headers[i] not in carried]
    msgs: list[tuple[str, str]] = []
    for i in sorted(hp.fields):
        rec, h = hp.fields[i], headers[i]
        first = source_of.get(rec.field)
        if first is not None:
            if rec.how == "alias" and first.how != "mapping":  # a second built-in spelling: the first wins
                msgs.append((f"{file}: 列 '{h}' 与 '{first.header}' 都识别为字段 '{rec.field}'，已采用 '{first.header}'",
                             f"{file}: columns '{h}' and '{first.header}' both read as field '{rec.field}'; "
                             f"'{first.header}' is used"))
                continue
            raise RegisterError(
                f"两列都给出字段 '{rec.field}'：'{first.header}' 与 '{h}'；请在列映射中忽略其中一列",
                f"two columns give field '{rec.field}': '{first.header}' and '{h}'; ignore one in the column mapping",
                file=file, column=h)
        source_of[rec.field] = rec
        keep.append(i)
        rename[h] = rec.field
    units = {rec.field: rec.factor for rec in source_of.values() if rec.factor is not None and rec.factor != 1}
    not_found = list(hp.not_found)
    if strict and not_found:
        raise RegisterError(
            f"列映射中的表头在文件中不存在：{'、'.join(repr(h) for h in not_found)}（可用 --lenient 改为警告）",
            f"mapped header(s) not found in the file: {', '.join(repr(h) for h in not_found)} "
            "(--lenient makes this a warning)", file=file, column=not_found[0])
    if strict and "uscc" not in source_of:
        raise RegisterError(
            "找不到统一社会信用代码列（表头如 统一社会信用代码、纳税人识别号，或在列映射中指明）；可用 --lenient 仍然评分",
            "no USCC column found (a header such as 统一社会信用代码 or 纳税人识别号, or name it in the column "
            "mapping); --lenient scores anyway", file=file, column="uscc")
    if unknown:
        parts_zh, parts_en = [], []
        for h in unknown:
            near = suggest(h, fields) if h else None
            shown = h if h else "(无表头)"
            parts_zh.append(f"'{shown}'" + (f"（是否想写 '{near}'？）" if near else ""))
            parts_en.append(f"'{h if h else '(no header)'}'" + (f" (did you mean '{near}'?)" if near else ""))
        msgs.append((f"{file}: 以下 {len(unknown)} 列不是画像字段，已忽略：" + "、".join(parts_zh)
                     + "（可用 --columns 列映射文件映射或忽略）",
                     f"{file}: {len(unknown)} column(s) are not profile fields and were left out: "
                     + ", ".join(parts_en) + " (map or ignore them with a --columns mapping file)"))
    if not_found:
        msgs.append((f"{file}: 列映射中的表头在文件中不存在：" + "、".join(f"'{h}'" for h in not_found),
                     f"{file}: mapped header(s) not found in the file: " + ", ".join(f"'{h}'" for h in not_found)))
    return ColumnPlan(headers, keep, rename, units, unknown, not_found, msgs, [hp.fields[i] for i in keep])
