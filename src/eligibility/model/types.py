"""Types of the expression language, with units, so ``revenue >= 300人`` is refused at load."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Type:
    """A value type. ``kind``: number, money, date, duration, bool, str, enum, code, record, list, null.

    ``unit`` refines number (person, kVA, year, count, rate); ``values`` lists an enum's values;
    ``code`` names a code system (region, industry, uscc); ``record`` is the registry path of a
    list's items.
    """

    kind: str
    unit: str | None = None
    values: tuple[object, ...] = ()
    code: str | None = None
    record: str | None = None

    def describe(self, lang: str = "zh") -> str:
        zh = {
            "number": "数值", "money": "金额", "date": "日期", "duration": "期限", "bool": "是/否",
            "str": "文本", "enum": "枚举", "code": "代码", "record": "记录", "list": "列表", "null": "空值",
        }
        unit_zh = {"person": "人数", "kVA": "容量(千伏安)", "year": "年数", "count": "个数", "rate": "比率"}
        if lang == "en":
            base = {"enum": "one of " + ", ".join(map(repr, self.values))}.get(self.kind, self.kind)
            return f"{base} ({self.unit})" if self.unit else base
        if self.kind == "number" and self.unit in unit_zh:
            return unit_zh[self.unit]
        if self.kind == "enum":
            return "取值之一：" + "、".join(map(repr, self.values))
        return zh.get(self.kind, self.kind)


NUMBER = Type("number")
MONEY = Type("money")
DATE = Type("date")
DURATION = Type("duration")
BOOL = Type("bool")
STR = Type("str")
NULL = Type("null")
