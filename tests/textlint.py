"""A lint for the text people read (docs/style-guide.md, docs/zh/style-guide.md): every rendered
explanation, reason and message is checked for what the style guide forbids.

``lint(text, lang, rule_ids, codes)`` returns the problems found, one string each (empty when the
text is clean):

- bracket depth over one, in Chinese and English (a document number's year 〔2019〕 is part of the number);
- a rule id of the loaded packs (a measure is named by its title);
- a Python repr: ``Decimal(``, ``None``, ``True``, ``False``, a list written as ``[…]``;
- an English word in Chinese text, outside codes (field paths, industry and region codes, acronyms);
- a number without its unit (元/万元, 人, 千伏安, %, 年…), dates, document and clause numbers,
  codes and the counts in list labels (第1项, 共2项) exempt;
- a label said twice in a row ("首次纳规：首次纳规：是").

Policy text quoted verbatim (“…” after a colon, to the end of the line) is the policy's own words,
and a value quoted as given ('abc') is the user's: neither is linted.
"""

from __future__ import annotations

import re
from collections.abc import Collection

OPEN, CLOSE = "（([［〔【", "）)]］〕】"

_QUOTE = re.compile(r"[：:] ?“.*$", re.M)  # a quoted policy sentence runs to the end of its line
_GIVEN = re.compile(r"'[^'\n]*'")
_DOC_YEAR = re.compile(r"〔\d{4}〕")
_BRACKET = re.compile("[" + re.escape(OPEN + CLOSE) + "]")
_RULE_ID = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z0-9][a-z0-9_-]*)+")
_REPR_HINTS = ("Decimal(", "None", "True", "False", "[", "datetime.", "UNKNOWN")
_REPR = re.compile(r"Decimal\(|\bNone\b|\bTrue\b|\bFalse\b|\[\s*['\"\d]|datetime\.|UNKNOWN")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_./'-]*")
_ACRONYM = re.compile(r"[A-Z]{1,5}|[A-Z]+\d+|[A-Z]\d*[A-Z]?\d*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TWICE = re.compile(r"(?:^\s*|[✓✗?？—，；：]\s?)([^\s：:，；✓✗][^：:，；✓✗\n]{1,59}?)(?:：|: )\1(?:：|: )", re.M)
_NUMBER = re.compile(r"(?<![A-Za-z0-9_.,/:-])\d[\d,]*(?:\.\d+)?(?![\d,.]*\d)")
UNITS_ZH = ("万元", "亿元", "元", "人", "千伏安", "%", "年", "个月", "月", "天", "日", "项", "期", "号", "条",
            "个", "位", "倍", "次", "户", "级", "款", "名", "家", "岁", "分", "季度", "倍")
UNITS_EN = ("%", " measures", " measure", " persons", " person", " kVA", " years", " year", " months", " month", " days", " day",
            " of ", " more", " instalments", " items", " times")
_EXEMPT_ZH = (
    re.compile(r"[×x]\s?$"),  # a factor in arithmetic is a pure number ("2,300元 × 12")
    re.compile(r"[)）]$"),  # a clause number: 二(一)13
    re.compile(r"GB(/T)?\s?$"),  # a standard's number
    re.compile(r"第\s?$"),  # 第1项, 第12号 (a list label or a document number)
    re.compile(r"共\s?$|另有\s?$"),  # 共2项, 另有3项 (counts in list labels)
    re.compile(r"(代码|前两位为|行政区划|属于|不属于|应属于|开头为)\s?$"),  # a code is introduced
)
_EXEMPT_EN = _EXEMPT_ZH + (
    re.compile(r"CNY $"),
    re.compile(r"art\. ?$"),
    re.compile(r"(No\.|row|tier|item|instalment|in|from|of|starts with|under|region|code|section|=) ?$"),
)


def depth(text: str) -> int:
    """The deepest nesting of brackets in ``text`` (document-number years not counted)."""
    level = deepest = 0
    for ch in _BRACKET.findall(_DOC_YEAR.sub("", text)):
        if ch in OPEN:
            level += 1
            deepest = max(deepest, level)
        elif ch in CLOSE:
            level = max(0, level - 1)
    return deepest


def _unitless(text: str, lang: str) -> list[str]:
    plain = _DOC_YEAR.sub("〔Y〕", _DATE.sub("D", text))
    out = []
    for m in _NUMBER.finditer(plain):
        before, after = plain[max(0, m.start() - 14):m.start()], plain[m.end():]
        if lang == "en":
            if after.startswith(UNITS_EN) or after.startswith(UNITS_ZH) or (before.endswith("(") and after.startswith(" = ")) or any(p.search(before) for p in _EXEMPT_EN) or re.fullmatch(r"(19|20)\d\d", m[0]):
                continue
        else:
            if after.lstrip(" ").startswith(UNITS_ZH) or any(p.search(before) for p in _EXEMPT_ZH):
                continue
            if re.match(r"\s?[（(][^\d）)]+[）)]", after) or re.match(r"\s?为", after):  # a code with its name
                continue
        out.append(f"number without a unit: {m[0]!r} in …{plain[max(0, m.start() - 12):m.end() + 6]}…")
    return out


def lint(text: str, lang: str, rule_ids: Collection[str] = (), codes: Collection[str] = ()) -> list[str]:
    """The style-guide problems of ``text`` in ``lang`` ("zh" or "en"); ``rule_ids`` are the ids of the
    loaded packs, ``codes`` words that are codes (field paths, enum codes) and may appear in Chinese."""
    own = _GIVEN.sub("''", _QUOTE.sub("：“”", text))
    problems = []
    deepest = depth(own)
    if deepest > 1:
        problems.append(f"brackets nested {deepest} deep")
    for m in _RULE_ID.finditer(own):
        if m[0] in rule_ids:
            problems.append(f"rule id {m[0]!r}")
    for m in _REPR.finditer(own) if any(h in own for h in _REPR_HINTS) else ():
        problems.append(f"Python repr {m[0]!r}")
    if lang != "en":
        for m in _WORD.finditer(own):
            word = m[0].rstrip(".'-")
            if word in codes or "_" in word or "." in word or _ACRONYM.fullmatch(word):
                continue
            problems.append(f"English word {word!r} in Chinese text")
    problems += _unitless(own, lang)
    problems += [f"label said twice: {m[1]!r}" for m in _TWICE.finditer(own)]
    return problems
