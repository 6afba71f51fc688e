"""Enterprise scale (企业规模: large, medium, small, micro) by 《中小企业划型标准规定》.

Thresholds come from 工信部联企业〔2011〕300号 (issued and in force 2011-06-18), held as a dated
table so that a revised standard is a new table, not an edit. Each of its 16 industry groups gives
lower bounds per class on one or two figures: employees (从业人员, persons), operating revenue
(营业收入) or total assets (资产总额), the money bounds in 万元 and compared exactly in yuan. A firm
is large when at or above every large bound of its row, medium when at or above both medium
bounds and not large, small likewise, and otherwise micro: one figure below the small bound is
enough ("微型企业只须满足所列指标中的一项即可"). The standard's "以下" is exclusive here, since its
class bounds read "X及以上".

Industry groups follow GB/T 4754-2017 as the statistics rules map them (国统字〔2017〕213号):
农林牧渔业 A, 工业 B+C+D, 建筑业 E, 批发业 F51, 零售业 F52, 交通运输业 G54–G58, 仓储业 G59, 邮政业
G60, 住宿业 H61, 餐饮业 H62, 信息传输业 I63–I64, 软件和信息技术服务业 I65, 房地产开发经营 K701,
物业管理 K702, 租赁和商务服务业 L, and 其他未列明行业 for the rest. **Railway (G53) is classed
其他未列明行业**: the standard names its group "交通运输业（不含铁路运输业）" and the statistics rules
exclude railway from it too, so the transport bounds are never applied to railway, and the
residual group is the only one the text leaves it. Finance (J) has its own standard (金融业企业
划型标准), not implemented: its scale is unknown with that reason, never a guess.

Unknowns are decided as far as they can be. Every value of an unknown figure that could matter
(zero and each bound) and every group a coarse industry code ("F", "G", "K70") may stand for is
tried; when all give one class, that is the class (a 工业 firm of 5 employees is micro whatever its
revenue; a firm coded "H" is classed alike as 住宿业 or 餐饮业, whose bounds are equal), and
otherwise ``missing`` names exactly the inputs whose value could change the answer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from bisect import bisect_right
from functools import cache, lru_cache
from itertools import product
from types import MappingProxyType
from typing import Any

from ..model.types import BOOL, Type
from .codes import normalize_industry_code
from .derivation import CACHE_READS, Classes, DerivedValue, Points, Read, derived_fact
from .flatten import UNKNOWN, Facts
from .money import format_money, format_number

CLASSES = ("large", "medium", "small", "micro")
"""The classes, highest first."""
CLASS_NAMES: Mapping[str, tuple[str, str]] = MappingProxyType(
    {"large": ("大型", "large"), "medium": ("中型", "medium"), "small": ("小型", "small"), "micro": ("微型", "micro")}
)
SCALE = Type("enum", values=CLASSES)
SME_CLASSES = frozenset({"medium", "small", "micro"})
SMALL_OR_MICRO_CLASSES = frozenset({"small", "micro"})

FIGURES = ("employees", "revenue", "total_assets")
"""The profile fields the standard reads: persons, then money in yuan."""
FIGURE_NAMES: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "employees": ("从业人员", "employees"),
        "revenue": ("营业收入", "revenue"),
        "total_assets": ("资产总额", "total assets"),
    }
)

Bounds = tuple[tuple[str, int], ...]
"""Lower bounds of one class: (figure, bound) pairs, all to be met; persons, or 万元 for money."""


@dataclass(frozen=True, slots=True)
class ScaleRow:
    """One industry group of a 划型 standard with its lower bounds for large, medium and small."""

    group: str
    zh: str
    en: str
    large: Bounds
    medium: Bounds
    small: Bounds

    def ranked(self) -> tuple[tuple[str, Bounds], ...]:
        """(class, bounds) from large down to small."""
        return (("large", self.large), ("medium", self.medium), ("small", self.small))

    def figures(self) -> tuple[str, ...]:
        """The figures this row reads, in FIGURES order."""
        used = {f for _, bounds in self.ranked() for f, _ in bounds}
        return tuple(f for f in FIGURES if f in used)


@dataclass(frozen=True, slots=True)
class ScaleStandard:
    """A dated 划型 table: its document, the period it governs and one row per industry group."""

    document: str
    title_zh: str
    title_en: str
    effective_from: date
    effective_to: date | None
    rows: Mapping[str, ScaleRow]

    def covers(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


def _rows(*rows: ScaleRow) -> Mapping[str, ScaleRow]:
    return MappingProxyType({row.group: row for row in rows})


_X, _Y, _Z = FIGURES  # the standard's own letters: 从业人员 X, 营业收入 Y, 资产总额 Z

STANDARD_2011 = ScaleStandard(
    document="工信部联企业〔2011〕300号",
    title_zh="中小企业划型标准规定",
    title_en="Provisions on the classification of small and medium-sized enterprises",
    effective_from=date(2011, 6, 18),
    effective_to=None,
    rows=_rows(
        ScaleRow("agriculture", "农林牧渔业", "agriculture, forestry, animal husbandry and fishery",
                 large=((_Y, 20000),), medium=((_Y, 500),), small=((_Y, 50),)),
        ScaleRow("industry", "工业", "industry",
                 large=((_X, 1000), (_Y, 40000)), medium=((_X, 300), (_Y, 2000)), small=((_X, 20), (_Y, 300))),
        ScaleRow("construction", "建筑业", "construction",
                 large=((_Y, 80000), (_Z, 80000)), medium=((_Y, 6000), (_Z, 5000)), small=((_Y, 300), (_Z, 300))),
        ScaleRow("wholesale", "批发业", "wholesale",
                 large=((_X, 200), (_Y, 40000)), medium=((_X, 20), (_Y, 5000)), small=((_X, 5), (_Y, 1000))),
        ScaleRow("retail", "零售业", "retail",
                 large=((_X, 300), (_Y, 20000)), medium=((_X, 50), (_Y, 500)), small=((_X, 10), (_Y, 100))),
        ScaleRow("transport", "交通运输业", "transport",
                 large=((_X, 1000), (_Y, 30000)), medium=((_X, 300), (_Y, 3000)), small=((_X, 20), (_Y, 200))),
        ScaleRow("warehousing", "仓储业", "warehousing",
                 large=((_X, 200), (_Y, 30000)), medium=((_X, 100), (_Y, 1000)), small=((_X, 20), (_Y, 100))),
        ScaleRow("postal", "邮政业", "postal services",
                 large=((_X, 1000), (_Y, 30000)), medium=((_X, 300), (_Y, 2000)), small=((_X, 20), (_Y, 100))),
        ScaleRow("accommodation", "住宿业", "accommodation",
                 large=((_X, 300), (_Y, 10000)), medium=((_X, 100), (_Y, 2000)), small=((_X, 10), (_Y, 100))),
        ScaleRow("catering", "餐饮业", "catering",
                 large=((_X, 300), (_Y, 10000)), medium=((_X, 100), (_Y, 2000)), small=((_X, 10), (_Y, 100))),
        ScaleRow("information_transmission", "信息传输业", "information transmission",
                 large=((_X, 2000), (_Y, 100000)), medium=((_X, 100), (_Y, 1000)), small=((_X, 10), (_Y, 100))),
        ScaleRow("software_it", "软件和信息技术服务业", "software and information technology services",
                 large=((_X, 300), (_Y, 10000)), medium=((_X, 100), (_Y, 1000)), small=((_X, 10), (_Y, 50))),
        ScaleRow("real_estate_development", "房地产开发经营", "real estate development",
                 large=((_Y, 200000), (_Z, 10000)), medium=((_Y, 1000), (_Z, 5000)), small=((_Y, 100), (_Z, 2000))),
        ScaleRow("property_management", "物业管理", "property management",
                 large=((_X, 1000), (_Y, 5000)), medium=((_X, 300), (_Y, 1000)), small=((_X, 100), (_Y, 500))),
        ScaleRow("leasing_business", "租赁和商务服务业", "leasing and business services",
                 large=((_X, 300), (_Z, 120000)), medium=((_X, 100), (_Z, 8000)), small=((_X, 10), (_Z, 100))),
        ScaleRow("other", "其他未列明行业", "other industries not listed",
                 large=((_X, 300),), medium=((_X, 100),), small=((_X, 10),)),
    ),
)

SCALE_STANDARDS: tuple[ScaleStandard, ...] = (STANDARD_2011,)
"""Every 划型 standard held, oldest first; the one covering ``as_of`` applies."""

FINANCE = "finance"
OTHER = "other"
INDUSTRY_GROUPS: Mapping[str, str] = MappingProxyType(
    {
        "A": "agriculture",
        "B": "industry",
        "C": "industry",
        "D": "industry",
        "E": "construction",
        "F51": "wholesale",
        "F52": "retail",
        "G53": OTHER,  # railway: excluded from 交通运输业 by the standard (module docstring)
        **{f"G{division}": "transport" for division in range(54, 59)},
        "G59": "warehousing",
        "G60": "postal",
        "H61": "accommodation",
        "H62": "catering",
        "I63": "information_transmission",
        "I64": "information_transmission",
        "I65": "software_it",
        "J": FINANCE,
        "K701": "real_estate_development",
        "K702": "property_management",
        "K703": OTHER,
        "K704": OTHER,
        "K709": OTHER,
        "L": "leasing_business",
    }
)
"""GB/T 4754-2017 code prefix → 划型 group; a code under no prefix (M–T, …) is 其他未列明行业."""


def scale_standard(as_of: date) -> ScaleStandard | None:
    """The 划型 standard in force on ``as_of`` (None before the first one held)."""
    return next((s for s in reversed(SCALE_STANDARDS) if s.covers(as_of)), None)


@lru_cache(maxsize=8192)
def scale_groups(industry_code: str) -> frozenset[str]:
    """The groups an industry code may stand for: one when it decides the group, several when too coarse.

    "C3011" → {industry}; "F" → {wholesale, retail}; "K70" → {real_estate_development,
    property_management, other}; "J66" → {finance}.
    """
    code = normalize_industry_code(industry_code)
    above = [prefix for prefix in INDUSTRY_GROUPS if code.startswith(prefix)]
    if above:
        return frozenset({INDUSTRY_GROUPS[max(above, key=len)]})
    below = frozenset(group for prefix, group in INDUSTRY_GROUPS.items() if prefix.startswith(code))
    return below or frozenset({OTHER})


@cache
def threshold(figure: str, bound: int) -> int | Decimal:
    """A table bound in the profile's units: persons as they are, 万元 as exact yuan."""
    return bound if figure == "employees" else Decimal(bound) * 10_000


def class_of(row: ScaleRow, figures: Mapping[str, Any]) -> str:
    """The class of a firm in ``row`` whose figures (every one the row reads) are known."""
    for cls, bounds in row.ranked():
        if all(figures[f] >= threshold(f, b) for f, b in bounds):
            return cls
    return "micro"


@dataclass(frozen=True, slots=True)
class _Grid:
    """Every combination of the inputs that matter (a group, then a representative value per figure)
    with the class it gives; an unknown figure is tried at 0 and at each bound, which covers every case."""

    axes: tuple[str, ...]
    outcomes: Mapping[tuple[Any, ...], str]
    memo: dict[frozenset[str] | None, tuple[Any, tuple[str, ...]]] = field(default_factory=dict, compare=False)

    @property
    def possible(self) -> frozenset[str]:
        return frozenset(self.outcomes.values())

    def decide(self, classes: frozenset[str] | None = None) -> tuple[Any, tuple[str, ...]]:
        """The class (``classes`` None) or whether it is one of ``classes``, or UNKNOWN with the
        axes that would decide it (remembered per question: grids are shared by many firms)."""
        found = self.memo.get(classes)
        if found is None:
            def key(cls: str) -> Hashable:
                return cls if classes is None else cls in classes
            found = self.memo[classes] = self._decide(key)
        return found

    def _decide(self, key: Callable[[str], Hashable]) -> tuple[Any, tuple[str, ...]]:
        keys = {key(cls) for cls in self.outcomes.values()}
        if len(keys) == 1:
            return keys.pop(), ()
        needed = []
        for i, axis in enumerate(self.axes):
            seen: defaultdict[tuple[Any, ...], set[Hashable]] = defaultdict(set)
            for point, cls in self.outcomes.items():
                seen[point[:i] + point[i + 1:]].add(key(cls))
            if any(len(found) > 1 for found in seen.values()):
                needed.append(axis)
        return UNKNOWN, tuple(needed)


@dataclass(frozen=True, slots=True)
class _Layout:
    """What classifying a firm in some groups of one standard needs, worked out once: the rows, the
    figures they read, each row's bounds in the profile's units, and the values an unknown figure is
    tried at (0 and every bound)."""

    rows: tuple[ScaleRow, ...]
    used: tuple[str, ...]
    ranked: Mapping[str, tuple[tuple[str, tuple[tuple[str, int | Decimal], ...]], ...]]
    cuts: Mapping[str, tuple[int | Decimal, ...]]
    memo: dict[tuple[int, ...], _Grid] = field(default_factory=dict, compare=False)

    def grid(self, figures: Mapping[str, Any]) -> _Grid:
        """The grid of these figures. A bound is met by a figure exactly when it is ≤ the figure, so
        figures between the same bounds give the same grid: it is built once per such interval."""
        marks = tuple(-1 if figures[f] is UNKNOWN else bisect_right(self.cuts[f], figures[f]) for f in self.used)
        found = self.memo.get(marks)
        if found is None:
            found = self.memo[marks] = _grid(self, figures)
        return found


_LAYOUTS: dict[tuple[str, frozenset[str]], _Layout] = {}


def _layout(standard: ScaleStandard, groups: frozenset[str]) -> _Layout:
    key = (standard.document, groups)
    found = _LAYOUTS.get(key)
    if found is None:
        rows = tuple(row for row in standard.rows.values() if row.group in groups)
        used = tuple(f for f in FIGURES if any(f in row.figures() for row in rows))
        ranked = {row.group: tuple((cls, tuple((f, threshold(f, b)) for f, b in bounds)) for cls, bounds in row.ranked())
                  for row in rows}
        cuts = {f: tuple(sorted({t for r in ranked.values() for _, bs in r for g, t in bs if g == f})) for f in used}
        found = _LAYOUTS[key] = _Layout(rows, used, MappingProxyType(ranked), MappingProxyType(cuts))
    return found


def _class_in(ranked: tuple[tuple[str, tuple[tuple[str, int | Decimal], ...]], ...], figures: Mapping[str, Any]) -> str:
    """:func:`class_of` on bounds already in the profile's units."""
    for cls, bounds in ranked:
        if all(figures[f] >= t for f, t in bounds):
            return cls
    return "micro"


def _grid(layout: _Layout, figures: Mapping[str, Any]) -> _Grid:
    used = layout.used
    values: list[tuple[Any, ...]] = [tuple(layout.ranked)]
    values += [(0, *layout.cuts[f]) if figures[f] is UNKNOWN else (figures[f],) for f in used]
    ranked = layout.ranked
    outcomes = {point: _class_in(ranked[point[0]], dict(zip(used, point[1:], strict=True))) for point in product(*values)}
    return _Grid(("industry_code", *used), MappingProxyType(outcomes))


@dataclass(frozen=True, slots=True)
class ScaleClassification:
    """Scale as far as the inputs decide it: the class or UNKNOWN, the inputs still needed, and why."""

    value: Any
    possible: frozenset[str]
    missing: tuple[str, ...]
    render: Callable[[], tuple[str, str]] = field(repr=False)
    grid: _Grid | None = field(default=None, repr=False)

    @property
    def zh(self) -> str:
        return self.render()[0]

    @property
    def en(self) -> str:
        return self.render()[1]

    def decide(self, classes: frozenset[str]) -> tuple[Any, tuple[str, ...]]:
        """Whether the class is one of ``classes`` (e.g. medium, small or micro), decided as far as the inputs allow."""
        return self.grid.decide(classes) if self.grid is not None else (UNKNOWN, self.missing)


# -- explanations ------------------------------------------------------------------------------
def _t(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


def _amount(figure: str, value: Any, lang: str) -> str:
    if figure == "employees":
        return format_number(value, "person", lang)
    return format_money(Decimal(value), lang)


def _shown(figure: str, value: Any, lang: str) -> str:
    name = FIGURE_NAMES[figure][lang == "en"]
    return f"{name}{' ' if lang == 'en' else ''}{_amount(figure, value, lang)}"


def _joined(items: list[str], lang: str, word_zh: str = "、", word_en: str = ", ") -> str:
    return _t(lang, word_zh, word_en).join(items)


def _either(names: list[str], lang: str) -> str:
    """Names as alternatives: a、b或c / a, b or c."""
    if len(names) == 1:
        return names[0]
    return _joined(names[:-1], lang) + _t(lang, "或", " or ") + names[-1]


def _class_names(classes: frozenset[str], lang: str) -> str:
    return _either([CLASS_NAMES[c][lang == "en"] for c in CLASSES if c in classes], lang)


def _row_reason(row: ScaleRow, figures: Mapping[str, Any], cls: str, lang: str) -> str:
    """Why a known class: the bounds met and, below large, the next class's bounds not all met."""
    if cls == "micro":
        below = [
            f"{_shown(f, figures[f], lang)}{_t(lang, '，低于小型下限', ', below the small lower bound ')}"
            f"{_amount(f, threshold(f, b), lang)}"
            for f, b in row.small
            if figures[f] is not UNKNOWN and figures[f] < threshold(f, b)
        ]
        return _t(lang, "，且".join(below) + "；微型只须一项",
                  " and ".join(below) + " (one figure suffices for micro)")
    ranked = dict(row.ranked())
    met = [f"{_shown(f, figures[f], lang)}{_t(lang, '，不低于', ', at least ')}{_amount(f, threshold(f, b), lang)}"
           for f, b in ranked[cls]]
    text = _joined(met, lang, "，且", " and ")
    if cls != "large":
        upper = CLASSES[CLASSES.index(cls) - 1]
        bounds = [_amount(f, threshold(f, b), lang) for f, b in ranked[upper]]
        upper_zh, upper_en = CLASS_NAMES[upper]
        text += _t(
            lang,
            f"；未{'同时' if len(bounds) > 1 else ''}达到{upper_zh}下限{'、'.join(bounds)}",
            f"; not at {'both ' if len(bounds) > 1 else 'the '}{upper_en} lower bound{'s' if len(bounds) > 1 else ''}"
            f" {', '.join(bounds)}",
        )
    return text


def _needed(missing: tuple[str, ...], lang: str) -> str:
    """The inputs still needed; a known but coarse industry code needs a finer one."""
    names = [
        _t(lang, "更细的行业代码", "a finer industry code") if m == "industry_code" else FIGURE_NAMES[m][lang == "en"]
        for m in missing
    ]
    return _joined(names, lang)


def _explain(code: str, rows: list[ScaleRow], figures: Mapping[str, Any], value: Any,
             possible: frozenset[str], missing: tuple[str, ...], lang: str) -> str:
    colon, semicolon = _t(lang, "：", ": "), _t(lang, "；", "; ")
    names = _either([row.en if lang == "en" else row.zh for row in rows], lang)
    if value is UNKNOWN:
        known = [_shown(f, figures[f], lang) for f in FIGURES
                 if figures[f] is not UNKNOWN and any(f in row.figures() for row in rows)]
        if len(rows) == 1:
            parts = [names + (colon + _joined(known, lang) if known else "")]
        else:
            parts = [_t(lang, f"行业代码{code}可能属{names}", f"industry code {code} may be {names}")]
            parts += [_joined(known, lang)] if known else []
        parts.append(_t(lang, f"可能为{_class_names(possible, lang)}", f"could be {_class_names(possible, lang)}"))
        parts.append(_t(lang, f"需要{_needed(missing, lang)}", f"needed: {_needed(missing, lang)}"))
        return _t(lang, f"规模：未知，{semicolon.join(parts)}", f"scale: unknown, {semicolon.join(parts)}")
    detail = semicolon.join(
        f"{row.en if lang == 'en' else row.zh}{colon}{_row_reason(row, figures, value, lang)}" for row in rows
    )
    if len(rows) > 1:
        detail = _t(lang, f"行业代码{code}可能属{names}，按各自标准结果相同——{detail}",
                    f"industry code {code} may be {names}, each giving this — {detail}")
    zh_name, en_name = CLASS_NAMES[value]
    return _t(lang, f"规模：{zh_name}，{detail}", f"scale: {en_name}, {detail}")


def _unknown(zh: str, en: str, missing: tuple[str, ...] = ()) -> ScaleClassification:
    texts = (f"规模：未知，{zh}", f"scale: unknown, {en}")
    return ScaleClassification(UNKNOWN, frozenset(), missing, lambda: texts)


def classify_scale(industry_code: Any, employees: Any, revenue: Any, total_assets: Any,
                   as_of: date) -> ScaleClassification:
    """The scale class of a firm on ``as_of``; any input may be UNKNOWN (or None: not known).

    Pure: a function of the inputs, ``as_of`` and the tables in this module only.
    """
    figures = {f: UNKNOWN if v is None else v for f, v in zip(FIGURES, (employees, revenue, total_assets), strict=True)}
    standard = scale_standard(as_of)
    if standard is None:
        held_zh = "、".join(f"{s.document}自{s.effective_from.isoformat()}起施行" for s in SCALE_STANDARDS)
        held_en = ", ".join(f"{s.document} in force from {s.effective_from.isoformat()}" for s in SCALE_STANDARDS)
        return _unknown(f"{as_of.isoformat()}无适用的划型标准（已收录：{held_zh}）",
                        f"no classification standard held covers {as_of.isoformat()} (held: {held_en})")
    if industry_code is UNKNOWN or industry_code is None:
        return _unknown("行业代码未知，无法确定适用的行业标准", "industry code unknown, so the group's bounds are unknown",
                        ("industry_code", *(f for f in FIGURES if figures[f] is UNKNOWN)))
    groups = scale_groups(industry_code)
    if FINANCE in groups:
        return _unknown(
            "金融业另有划型标准（金融业企业划型标准规定），本库未实现，不套用其他行业标准",
            "finance has its own classification standard, not implemented here; no other group's bounds are applied",
        )
    code = normalize_industry_code(industry_code)
    layout = _layout(standard, groups)
    rows = list(layout.rows)
    grid = layout.grid(figures)
    value, missing = grid.decide(None)
    possible = grid.possible
    texts: list[tuple[str, str]] = []

    def render() -> tuple[str, str]:
        # explanations are built when first read (the decision path never reads them)
        if not texts:
            texts.append((_explain(code, rows, figures, value, possible, missing, "zh"),
                          _explain(code, rows, figures, value, possible, missing, "en")))
        return texts[0]

    return ScaleClassification(value, possible, missing, render, grid)


# -- derived facts -----------------------------------------------------------------------------
_READS = ("industry_code", *FIGURES)
_CLASSIFICATION = "__scale_classification__"
CACHE_READS[_CLASSIFICATION] = _READS


def _classify(facts: Facts, as_of: date) -> ScaleClassification:
    """The firm's classification, computed once per facts and date (scale, is_sme and is_small_or_micro share it)."""
    key = (_CLASSIFICATION, as_of)
    found = facts.derived_cache.get(key)
    if found is None:
        found = facts.derived_cache[key] = classify_scale(*(facts.get(name) for name in _READS), as_of)
    return found  # type: ignore[no-any-return]


def _scale_reads(as_of: date) -> dict[str, Read]:
    """scale, is_sme, is_small_or_micro: the industry code through its 划型 groups, and each figure
    through the bounds of those groups in the standard in force (all groups when the code is unknown)."""
    standard = scale_standard(as_of)
    if standard is None:
        return {}  # no standard held: UNKNOWN whatever the inputs

    def bounds(figure: str, groups: Iterable[str] | None = None) -> list[Any]:
        rows = standard.rows.values() if groups is None else [r for r in standard.rows.values() if r.group in groups]
        return sorted({threshold(f, b) for row in rows for _, bs in row.ranked() for f, b in bs if f == figure})

    reads: dict[str, Read] = {"industry_code": Classes(scale_groups)}
    for figure in FIGURES:
        reads[figure] = Points(tuple(bounds(figure)), "industry_code",
                               lambda groups, figure=figure: bounds(figure, groups))  # type: ignore[misc]
    return reads


@derived_fact("scale", SCALE, "企业规模", "enterprise scale", _READS, _scale_reads)
def _scale(facts: Facts, as_of: date) -> DerivedValue:
    found = _classify(facts, as_of)
    return DerivedValue(found.value, found.missing, render=found.render)


def _member_of(facts: Facts, as_of: date, classes: frozenset[str], label_zh: str, label_en: str) -> DerivedValue:
    """Whether the firm's class is one of ``classes``: decided even when scale is not, if every possible class agrees.

    The explanation is the scale's (renderers put the fact's label and value before it).
    """
    found = _classify(facts, as_of)
    value, missing = found.decide(classes)

    def render() -> tuple[str, str]:
        zh, en = found.render()
        if value is not UNKNOWN and found.value is UNKNOWN:
            zh += f"；各可能规模均{'属' if value else '不属'}{label_zh}"
            en += f"; every possible class {'counts' if value else 'does not count'} as {label_en}"
        return zh, en

    return DerivedValue(value, missing, render=render)


@derived_fact("is_sme", BOOL, "中小企业", "small or medium-sized enterprise", _READS, _scale_reads)
def _is_sme(facts: Facts, as_of: date) -> DerivedValue:
    return _member_of(facts, as_of, SME_CLASSES, "中小企业", "small or medium-sized enterprise")


@derived_fact("is_small_or_micro", BOOL, "小微企业", "small or micro enterprise", _READS, _scale_reads)
def _is_small_or_micro(facts: Facts, as_of: date) -> DerivedValue:
    return _member_of(facts, as_of, SMALL_OR_MICRO_CLASSES, "小微企业", "small or micro enterprise")
