"""Rules and rule sets: the immutable model every backend compiles. No execution here."""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from datetime import date
from typing import Any

from ..errors import UnknownRuleError, suggest
from . import expr as x

KINDS = ("grant", "tax", "price", "fee", "loan", "access", "service")
MODES = ("auto", "apply")
BASES = ("recognition", "threshold")
AMOUNT_KINDS = ("exact", "up_to", "instalment")
NATIONAL = "000000"


@dataclass(frozen=True, slots=True)
class Text:
    """A text in Chinese and English."""

    zh: str
    en: str

    def get(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True, slots=True)
class Period:
    """An effective period, both ends inclusive; None is open."""

    start: date | None = None
    end: date | None = None

    def contains(self, d: date) -> bool:
        return (self.start is None or self.start <= d) and (self.end is None or d <= self.end)

    def describe(self, lang: str = "zh") -> str:
        s = self.start.isoformat() if self.start else ("…" if lang == "en" else "不限")
        e = self.end.isoformat() if self.end else ("open" if lang == "en" else "长期")
        return f"{s} – {e}" if lang == "en" else f"{s} 至 {e}"


@cache
def _prefix(code: str) -> str:
    while code.endswith("00"):
        code = code[:-2]
    return code


@dataclass(frozen=True, slots=True)
class Jurisdiction:
    """Where a rule applies: a region code and everything under it, optionally a development zone.

    ``by`` names a scenario whose ``region_code`` decides instead of the firm's (procurement is
    judged where it is held).
    """

    code: str = NATIONAL
    name: str = "全国"
    development_zone: str | None = None
    by: str | None = None

    @property
    def prefix(self) -> str:
        """The significant prefix of the code ("530800" → "5308"; national → "")."""
        return _prefix(self.code)

    @property
    def level(self) -> int:
        """0 national, 1 province, 2 city, 3 county, 4 development zone: higher is more local."""
        return len(self.prefix) // 2 + (1 if self.development_zone else 0)


@dataclass(frozen=True, slots=True)
class Document:
    """A source policy document (one rule file)."""

    title: str
    issuer: str
    number: str | None
    date: date | None
    jurisdiction: Jurisdiction
    effective: Period
    file: str
    source_text: str | None = None  # the document's full text, where the pack ships it
    notes: str = ""  # readings that concern the whole document (dates, issuer, shared principles)

    def __str__(self) -> str:
        return self.title + (f"（{self.number}）" if self.number else "")


@dataclass(frozen=True, slots=True)
class Citation:
    """One dated or local citation: the document and article in force for ``period`` (a national rule
    cites each period's own document), or a local restatement shown only ``where`` and when it applies.
    ``quote`` is given only where the pack ships the document's ``text`` to check it against."""

    document: str
    clause: str
    period: Period
    quote: str | None = None
    text: str | None = None
    where: Jurisdiction | None = None

    def applies(self, as_of: date, region_code: str | None, zone: str | None) -> bool:
        """In force on ``as_of`` and, for a local restatement, for a firm registered there."""
        if not self.period.contains(as_of):
            return False
        if self.where is None:
            return True
        if region_code is None or not region_code.startswith(self.where.prefix):
            return False
        return self.where.development_zone is None or zone == self.where.development_zone

    def cite(self, lang: str = "zh") -> str:
        head = f"《{self.document}》{self.clause}" if lang != "en" else f"{self.document}, clause {self.clause}"
        return head + ((f"：“{self.quote}”" if lang != "en" else f": “{self.quote}”") if self.quote else "")


@dataclass(frozen=True, slots=True)
class Source:
    """The citation: document, clause and the quoted sentence (verbatim). A rule that changes with
    the law cites each period's document instead (``periods``; its own quote may then be empty), with
    any local restatement of it beside (``restatements``)."""

    document: Document
    clause: str
    quote: str
    document_title: str | None = None  # a rule in a baseline pack may cite another document
    periods: tuple[Citation, ...] = ()
    restatements: tuple[Citation, ...] = ()

    def at(self, as_of: date) -> Citation | None:
        """The period citation in force on ``as_of`` (None for a rule without periods)."""
        return next((c for c in self.periods if c.period.contains(as_of)), None)

    def cite(self, lang: str = "zh") -> str:
        title = self.document_title or str(self.document)
        head = f"《{title}》{self.clause}" if lang != "en" else f"{title}, clause {self.clause}"
        return head + ((f"：“{self.quote}”" if lang != "en" else f": “{self.quote}”") if self.quote else "")

    def cite_lines(self, lang: str = "zh") -> list[str]:
        """The whole citation for people reading the rule: each period's document, then each local
        restatement with where and when it applies (one line each); a plain rule's single line."""
        if not self.periods:
            return [self.cite(lang)]
        en = lang == "en"
        lines = [f"{c.period.describe(lang)}{': ' if en else '：'}{c.cite(lang)}" for c in self.periods]
        for c in self.restatements:
            assert c.where is not None
            place = c.where.development_zone or c.where.name
            lines.append((f"local restatement ({place}, {c.period.describe(lang)}): " if en
                          else f"地方转述（{place}，{c.period.describe()}）：") + c.cite(lang))
        return lines


@dataclass(frozen=True, slots=True)
class ParamValue:
    start: date
    value: x.Node
    basis: str | None = None


@dataclass(frozen=True, slots=True)
class Parameter:
    """A threshold or rate that changes over time, read at as_of. ``values`` sorted by start."""

    name: str
    values: tuple[ParamValue, ...]
    end: date | None = None

    def at(self, as_of: date) -> ParamValue | None:
        i = bisect.bisect_right([v.start for v in self.values], as_of)
        if i == 0 or (self.end is not None and as_of > self.end):
            return None
        return self.values[i - 1]


@dataclass(frozen=True, slots=True)
class Schedule:
    """Instalments: ``count`` yearly parts, year 1 being the year of the ``start`` date; with
    ``each_year`` every part is the whole amount (paid each year, in at most ``count`` years)."""

    count: int
    start: x.Node
    start_text: str
    each_year: bool = False


@dataclass(frozen=True, slots=True)
class Benefit:
    """What an eligible firm gets. ``amount`` is None for non-money benefits (access, service)."""

    amount: x.Node | None = None
    amount_text: str | None = None
    kind: str = "exact"
    cap: x.Node | None = None
    once: bool = False
    schedule: Schedule | None = None
    description: Text | None = None


@dataclass(frozen=True, slots=True)
class Expectation:
    status: str
    amount: Any = None  # Decimal, or None meaning "no amount"; MISSING means "not checked"
    check_amount: bool = False
    missing: tuple[str, ...] | None = None
    explanation: tuple[str, ...] = ()
    superseded_by: str | None = None


@dataclass(frozen=True, slots=True)
class RuleTest:
    """A policy writer's example: a (partial) profile, a date and the expected result."""

    name: str
    as_of: date
    profile: Mapping[str, Any]
    expect: Expectation
    file: str
    line: int


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: Text
    source: Source
    kind: str
    mode: str
    basis: str
    effective: Period
    jurisdiction: Jurisdiction
    when: x.Node
    benefit: Benefit
    group: str | None = None
    priority: int = 0
    notes: str = ""
    params: Mapping[str, Parameter] = field(default_factory=dict)
    tests: tuple[RuleTest, ...] = ()
    file: str = ""
    line: int = 0
    scenarios: frozenset[str] = frozenset()

    def __hash__(self) -> int:
        return hash(self.id)


class RuleSet(Mapping[str, Rule]):
    """An immutable set of rules by id, with the documents they came from and a content hash."""

    def __init__(self, rules: list[Rule], documents: list[Document], digest: str) -> None:
        self._rules = {r.id: r for r in rules}
        self.documents = tuple(documents)
        self.hash = digest

    def __getitem__(self, rule_id: str) -> Rule:
        try:
            return self._rules[rule_id]
        except KeyError:
            raise UnknownRuleError(rule_id, suggest(rule_id, self._rules)) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._rules)

    def __len__(self) -> int:
        return len(self._rules)

    def __repr__(self) -> str:
        return f"<RuleSet {len(self)} rules, {len(self.documents)} documents, hash {self.hash[:12]}>"

    @property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(self._rules.values())

    def groups(self) -> dict[str, tuple[Rule, ...]]:
        """Exclusive groups (就高不重复) by name, each with its member rules."""
        out: dict[str, list[Rule]] = {}
        for rule in self._rules.values():
            if rule.group:
                out.setdefault(rule.group, []).append(rule)
        return {g: tuple(rs) for g, rs in out.items()}
