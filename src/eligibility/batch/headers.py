"""Column headers as departments write them → profile fields, with the unit the header carries.

A header is compared in a normal form (:func:`normalise_header`): full-width characters folded to
half-width (NFKC), spaces and line breaks removed, a leading ``*`` (required column in a template)
dropped, brackets unified, ASCII lower case. The unit in brackets or after a slash at the end —
``营业收入（万元）``, ``营业收入(千元)``, ``营业收入/元`` — is split off (:func:`split_unit`); for a
money field it scales the values to yuan. The base name is then looked up among the common
spellings of the lists departments send (:data:`ALIASES`), the profile schema's own labels and the
field paths themselves.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

__all__ = [
    "ALIASES", "MONEY_UNITS", "HeaderPlan", "Recognised", "header_unit", "normalise_header", "plan_headers",
    "recognise", "split_unit", "with_unit",
]

#: money units a header or a column mapping may carry, and their factor to yuan
MONEY_UNITS: dict[str, Decimal] = {
    "元": Decimal(1), "千元": Decimal(10) ** 3, "万元": Decimal(10) ** 4, "亿元": Decimal(10) ** 8,
}
#: units of counts and sizes that a header may carry (read as they are)
OTHER_UNITS = ("人", "户", "家", "个", "年", "千伏安", "kva", "%")

#: common header spellings (normalised, without unit) → profile field
ALIASES: dict[str, str] = {}


def _alias(field: str, *names: str) -> None:
    for name in names:
        ALIASES[normalise_header(name)] = field


_BRACKETS = str.maketrans({"【": "(", "】": ")", "[": "(", "]": ")", "〔": "(", "〕": ")", "<": "(", ">": ")"})
_SPACE = re.compile(r"\s+")
_UNIT = re.compile(r"^(?P<base>.+?)(?:\((?P<u1>[^()]+)\)|/(?P<u2>[^/()]+))$")


def normalise_header(text: object) -> str:
    """The form headers are compared in.

    >>> normalise_header(" *营业收入（万元）\\n"), normalise_header("Revenue")
    ('营业收入(万元)', 'revenue')
    """
    s = unicodedata.normalize("NFKC", str(text)).translate(_BRACKETS)
    s = _SPACE.sub("", s).lstrip("*").strip()
    return s.lower()


def split_unit(header: str) -> tuple[str, str | None]:
    """A normalised header's base name and the unit at its end, when it names one.

    >>> split_unit("营业收入(千元)"), split_unit("营业收入/元"), split_unit("从业人员期末人数(人)")
    (('营业收入', '千元'), ('营业收入', '元'), ('从业人员期末人数', '人'))
    """
    m = _UNIT.match(header)
    if m:
        unit = (m.group("u1") or m.group("u2") or "").strip()
        if unit in MONEY_UNITS or unit in OTHER_UNITS:
            return m.group("base"), unit
    return header, None


@dataclass(frozen=True, slots=True)
class Recognised:
    """What a column becomes: the field, the unit named in the header (or mapping) and its factor
    to yuan (money fields only), and how the field was found (``mapping``, ``field``, ``alias``)."""

    header: str
    field: str
    unit: str | None
    factor: Decimal | None
    how: str

    def describe(self) -> str:
        """``column → field (unit)`` as printed before scoring."""
        unit = f" ({self.unit})" if self.unit else ""
        return f"{self.header} → {self.field}{unit}"


@cache
def _lookup() -> dict[str, str]:
    """Normalised name → field: field paths, the schema's labels when they name one field, aliases."""
    from ..facts.profile import registry

    by_label: dict[str, set[str]] = {}
    names: dict[str, str] = {}
    for path, spec in registry().items():
        if "[]" in path:
            continue
        names[normalise_header(path)] = path
        if spec.type.kind in ("list", "record"):
            continue
        for label in (spec.label_zh, spec.label_en):
            by_label.setdefault(normalise_header(label), set()).add(path)
    out = {label: next(iter(paths)) for label, paths in by_label.items() if len(paths) == 1}
    out.update(ALIASES)
    out.update(names)
    return out


def recognise(header: str, money_fields: frozenset[str] | None = None) -> Recognised | None:
    """The field a header names (with its unit), or None when it is not recognised.

    >>> recognise("本年营业收入（千元）").describe()
    '本年营业收入（千元） → revenue (千元)'
    """
    if money_fields is None:
        money_fields = _money_fields()
    norm = normalise_header(header)
    table = _lookup()
    field = table.get(norm)
    unit = None
    if field is None:
        base, unit = split_unit(norm)
        field = table.get(base)
        if field is None:
            return None
    return with_unit(header, field, unit, "field" if norm == normalise_header(field) else "alias", money_fields)


def with_unit(header: str, field: str, unit: str | None, how: str,
              money_fields: frozenset[str] | None = None) -> Recognised:
    """A recognition with the unit's factor (money fields take one, 元 when the header names none)."""
    if money_fields is None:
        money_fields = _money_fields()
    if field in money_fields:
        unit = unit if unit in MONEY_UNITS else None
        return Recognised(header, field, unit, MONEY_UNITS[unit] if unit else Decimal(1), how)
    return Recognised(header, field, unit, None, how)


def header_unit(header: str) -> str | None:
    """The unit a header names at its end (``营业收入（万元）`` → ``万元``), if any."""
    return split_unit(normalise_header(header))[1]


@cache
def _money_fields() -> frozenset[str]:
    from ..facts.profile import registry

    return frozenset(p for p, s in registry().items() if s.type.kind == "money")


_alias("uscc", "统一社会信用代码", "社会信用代码", "信用代码", "纳税人识别号", "统一社会信用代码(纳税人识别号)",
       "纳税人识别号(统一社会信用代码)", "社会统一信用代码", "统一代码")
_alias("name", "企业名称", "单位名称", "单位详细名称", "纳税人名称", "名称", "市场主体名称", "企业(单位)名称",
       "单位(企业)名称")
_alias("region_code", "行政区划代码", "区划代码", "统计用区划代码", "所在地区划代码", "住所所在地行政区划代码",
       "行政区划", "所在地行政区划代码")
_alias("industry_code", "行业代码", "国民经济行业代码", "行业代码(gb/t4754-2017)", "国民经济行业分类代码",
       "行业分类代码")
_alias("registered_on", "成立日期", "成立时间", "注册日期", "开业日期", "登记日期")
_alias("employees", "从业人员期末人数", "从业人员平均人数", "从业人员", "从业人数", "从业人员数", "职工人数",
       "年末从业人员")
_alias("revenue", "营业收入", "本年营业收入", "营业收入合计", "上年营业收入", "营业收入总额")
_alias("total_assets", "资产总计", "资产总额", "资产合计", "本年资产总计")
_alias("taxable_income", "应纳税所得额", "年度应纳税所得额")
_alias("vat_taxpayer", "纳税人资格", "增值税纳税人类型", "纳税人类型", "增值税纳税人资格")
_alias("vat_filing_period", "申报方式", "纳税期限", "增值税纳税期限", "申报期限")
_alias("monthly_sales", "月销售额", "当月销售额")
_alias("quarterly_sales", "季度销售额", "当季销售额")
_alias("tax_credit_rating", "纳税信用级别", "纳税信用等级", "信用级别", "信用等级")
_alias("dishonest_record", "是否失信", "失信", "是否列入严重失信名单", "严重失信")
_alias("development_zone", "所在开发区", "开发区", "所属园区", "所在园区", "园区", "开发区名称")
_alias("ownership", "所有制", "所有制类型", "经济类型")
_alias("restricted_industry", "是否限制类行业", "属于限制或禁止行业", "限制或禁止行业", "是否属于国家限制和禁止行业")


@dataclass
class HeaderPlan:
    """How a file's headers become fields: per column index its recognition, the columns not
    recognised, and the headers of a column mapping that the file does not have."""

    fields: dict[int, Recognised]
    unknown: list[int]
    not_found: list[str]
    ignored: list[int]

    def lines(self) -> list[str]:
        """``column → field (unit)`` per recognised column, in file order."""
        return [self.fields[i].describe() for i in sorted(self.fields)]


def plan_headers(headers: list[str], columns: Mapping[str, str] | None = None,
                 units: Mapping[str, Decimal] | None = None, ignore: Iterable[str] = (),
                 aliases: Mapping[str, str] | None = None) -> HeaderPlan:
    """Recognise every header: a column mapping first (its headers compared in normal form, so
    ``营业收入(万元)`` matches ``营业收入（万元）``), then ``aliases`` (normalised name → field: the
    spellings of one kind of department list), then the built-in spellings; the unit comes from the
    mapping when it names one, else from the header."""
    money = _money_fields()
    mapped = {normalise_header(h): (h, f) for h, f in (columns or {}).items()}
    mapped_units = {normalise_header(h): f for h, f in (units or {}).items()}
    unit_names = {v: k for k, v in MONEY_UNITS.items()}
    skip = {normalise_header(h) for h in ignore}
    fields: dict[int, Recognised] = {}
    unknown: list[int] = []
    ignored: list[int] = []
    found: set[str] = set()
    for i, header in enumerate(headers):
        norm = normalise_header(header)
        if norm in mapped:
            found.add(norm)
            target = mapped[norm][1]
            factor = mapped_units.get(norm)
            unit = unit_names.get(factor) if factor is not None else split_unit(norm)[1]
            fields[i] = with_unit(header, target, unit, "mapping", money)
        elif norm in skip:
            ignored.append(i)
        elif aliases and (norm in aliases or split_unit(norm)[0] in aliases):
            target = aliases.get(norm) or aliases[split_unit(norm)[0]]
            fields[i] = with_unit(header, target, split_unit(norm)[1], "alias", money)
        else:
            hit = recognise(header, money)
            if hit is None:
                unknown.append(i)
            else:
                fields[i] = hit
    not_found = [orig for norm, (orig, _) in mapped.items() if norm not in found]
    return HeaderPlan(fields, unknown, not_found, ignored)
