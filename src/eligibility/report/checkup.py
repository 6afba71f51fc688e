"""The policy check-up of one firm (政策体检报告): what it gets, what it lost to a better measure,
what data would decide the rest, and where it only just misses — as HTML, Markdown or JSON.

Built from an :class:`~eligibility.results.Evaluation` and the explanation machinery
(:func:`eligibility.explain.result_dict`): condition texts, gaps to thresholds ("还差 200万元") and
missing facts are the ones the explanation computes, never worked out again here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from ..backends.interpreter.ops import shift
from ..explain import clauses, describe, result_dict
from ..facts.profile import registry
from ..facts.flatten import UNKNOWN
from ..facts.money import format_money, money_unit
from ..model import expr as x
from ..model.rule import Rule
from ..results import PAYOUT_KINDS, Evaluation, RuleResult, Status
from .html import Html, badge, definition_list, escape, join, page, section, stat, tag

if TYPE_CHECKING:
    from ..facts.profile import Profile
    from ..results import Trace

FORMATS = ("html", "md", "json")
"""Output formats of :func:`render_checkup`."""

KIND = {"grant": ("资金补助", "grant"), "tax": ("税收优惠", "tax relief"), "price": ("价格扣除", "price deduction"),
        "fee": ("收费减免", "fee relief"), "loan": ("贷款支持", "loan support"),
        "access": ("准入便利", "access"), "service": ("优先服务", "priority service")}
MODE = {"auto": ("免申即享", "granted without applying"), "apply": ("需申请", "on application")}
AMOUNT_KIND = {"exact": ("确定金额", "exact amount"), "up_to": ("上限（不超过）", "cap (up to)"),
               "instalment": ("分期（本年度应付部分）", "instalment (the part due this year)")}


def _t(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


# -- the check-up as data ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Line:
    """One line of "how it was decided": a written condition (or an all/any/not heading) with its outcome."""

    depth: int
    outcome: bool | None
    text: str
    label: str | None = None
    gaps: tuple[str, ...] = ()
    presumed: tuple[str, ...] = ()
    heading: bool = False


@dataclass(frozen=True, slots=True)
class Item:
    """One measure in the check-up, with its citation and the lines that decided it."""

    rule_id: str
    title: str
    status: Status
    kind: str
    mode: str
    amount: Decimal | None
    amount_kind: str | None
    benefit: str | None
    document: str
    number: str | None
    clause: str
    quote: str | None  # None: cited by document number and article (the text is not shipped)
    lines: tuple[Line, ...]
    missing: tuple[tuple[str, str], ...] = ()
    superseded_by: str | None = None
    superseded_by_title: str | None = None
    group: str | None = None
    gaps: tuple[str, ...] = ()
    near: str | None = None
    reason: str | None = None

    @property
    def payout(self) -> bool:
        """Money paid or tax not paid (added into the firm's total), as opposed to a price or fee amount."""
        return self.kind in PAYOUT_KINDS and self.amount is not None


@dataclass(frozen=True, slots=True)
class Checkup:
    """A firm's check-up in one language: every measure in scope in five lists (eligible, superseded,
    undetermined, near misses, not met), each sorted by value; warnings about the data; provenance."""

    lang: str
    name: str | None
    entity_id: str | None
    as_of: str
    provenance: dict[str, str]
    total: Decimal
    benefits: tuple[Item, ...]
    superseded: tuple[Item, ...]
    undetermined: tuple[Item, ...]
    near_misses: tuple[Item, ...]
    not_eligible: int
    out_of_scope: int
    counts: dict[str, int] = field(default_factory=dict)
    not_met: tuple[Item, ...] = ()
    warnings: tuple[str, ...] = ()
    unit: str = "元"  # the page's one money unit: 万元 or 元 (zh), CNY (en)

    @property
    def total_exact(self) -> Decimal:
        """Exact amounts of the money the firm gets (grants, tax relief, loan support)."""
        return sum((i.amount for i in self.benefits if i.payout and i.amount_kind != "up_to"), Decimal(0))

    @property
    def total_up_to(self) -> Decimal:
        """Up-to amounts (caps) of the money the firm gets, kept apart from the exact ones."""
        return sum((i.amount for i in self.benefits if i.payout and i.amount_kind == "up_to"), Decimal(0))

    @property
    def amount_unknown(self) -> int:
        """Benefits paying money whose amount the data cannot compute: the exact sum is then a lower bound."""
        return sum(1 for i in self.benefits if i.kind in PAYOUT_KINDS and i.amount is None)


def checkup(ev: Evaluation, lang: str = "zh", profile: Profile | None = None) -> Checkup:
    """The check-up of one evaluation (``Engine.evaluate``) in ``lang`` (``zh`` or ``en``); with the
    evaluated ``profile``, every date in it after ``as_of`` is warned about (without it, the dates the
    rules read)."""
    if lang not in ("zh", "en"):
        raise ValueError(f"lang 只能是 zh 或 en，实际为 {lang!r} / lang must be zh or en, got {lang!r}")
    titles = {r.rule_id: r.rule.title.get(lang) for r in ev.results}
    unit = _page_unit(ev, lang)
    with money_unit(unit if lang == "zh" else None):
        return _checkup(ev, lang, profile, titles, unit)


def _page_unit(ev: Evaluation, lang: str) -> str:
    """One money unit for the whole page: 万元 when the largest amount it shows (a measure's, an
    instalment plan's or the total) reaches 10,000 yuan, else 元; English pages are in CNY."""
    if lang == "en":
        return "CNY"
    amounts = [ev.total()]
    for res in ev.results:
        amounts.append(res.amount if res.amount is not None else _stated_amount(res.rule, ev) or Decimal(0))
        if res.instalment is not None:
            amounts.append(res.instalment.total)
    return "万元" if max(abs(a) for a in amounts) >= 10_000 else "元"


def _checkup(ev: Evaluation, lang: str, profile: Profile | None, titles: dict[str, str], unit: str) -> Checkup:
    benefits, superseded, undetermined, near, not_met = [], [], [], [], []
    for res in ev.results:
        if res.status == Status.ELIGIBLE:
            benefits.append(_item(res, ev, lang))
        elif res.status == Status.SUPERSEDED:
            item = _item(res, ev, lang)
            superseded.append(replace(item, superseded_by_title=titles.get(item.superseded_by or "")))
        elif res.status == Status.UNDETERMINED:
            undetermined.append(_item(res, ev, lang))
        elif res.status == Status.INELIGIBLE:
            item = _item(res, ev, lang)
            (near if item.gaps else not_met).append(item)
    return Checkup(
        lang=lang, name=ev.name, entity_id=ev.entity_id, as_of=ev.as_of.isoformat(),
        provenance=dict(ev.provenance), total=ev.total(),
        benefits=tuple(sorted(benefits, key=_by_value)), superseded=tuple(sorted(superseded, key=_by_value)),
        undetermined=tuple(sorted(undetermined, key=_by_value)), near_misses=tuple(sorted(near, key=_by_value)),
        not_eligible=len(not_met), out_of_scope=len(ev.out_of_scope),
        counts={"eligible": len(benefits), "superseded": len(superseded), "undetermined": len(undetermined),
                "near_miss": len(near), "ineligible": len(not_met) + len(near)},
        not_met=tuple(sorted(not_met, key=_by_value)), warnings=_future_dates(ev, profile, lang), unit=unit,
    )


_NOT_EVENTS = ("expires_on",)
"""Date fields that name an end of validity: a date after as_of is expected there."""


def _future_dates(ev: Evaluation, profile: Profile | None, lang: str) -> tuple[str, ...]:
    """A warning for each fact dated after ``as_of`` (a certification certified later, a register
    entered later): the data are likely wrong, or the check-up is run for a date before them."""
    found: dict[str, date] = {}
    if profile is not None:
        _dates_in(profile.model_dump(exclude={"scenario"}), "", found)
    else:
        for res in ev.results:
            for t in _walk(res.trace):
                if isinstance(t.node, (x.Field, x.ItemField)) and isinstance(t.value, date):
                    path = t.node.path if isinstance(t.node, x.Field) else f"{t.node.list_path}[].{t.node.name}"
                    found.setdefault(path, t.value)
    out = []
    for path, day in found.items():
        if day > ev.as_of and path.rsplit(".", 1)[-1] not in _NOT_EVENTS:
            label = _field_label(re.sub(r"\[\d+\]", "[]", path), lang)
            out.append(_t(lang, f"{label}（{path}）为 {day}，晚于评估日期 {ev.as_of}：请核对数据，或改用该日之后的评估日期。",
                          f"{label} ({path}) is {day}, after the evaluation date {ev.as_of}: check the data, or "
                          "evaluate as of a later date."))
    return tuple(out)


def _dates_in(value: Any, path: str, found: dict[str, date]) -> None:
    """Every date in a profile's data, by path (``certifications[1].certified_on``)."""
    if isinstance(value, date):
        found.setdefault(path, value)
    elif isinstance(value, dict):
        for k, v in value.items():
            _dates_in(v, f"{path}.{k}" if path else str(k), found)
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _dates_in(v, f"{path}[{i}]", found)


def _walk(trace: Trace | None) -> list[Trace]:
    out, stack = [], [trace] if trace is not None else []
    while stack:
        t = stack.pop()
        out.append(t)
        stack.extend(t.children)
    return out


def _by_value(item: Item) -> tuple[int, Decimal, str]:
    """Money the firm gets first, largest first; then other amounts; then measures without an amount."""
    rank = 0 if item.payout else 1 if item.amount is not None else 2
    return rank, -(item.amount or Decimal(0)), item.rule_id


def _item(res: RuleResult, ev: Evaluation, lang: str) -> Item:
    d = result_dict(res, lang, ev.as_of)
    by_trace = dict(zip((id(t) for t in clauses(res.trace)), d["conditions"], strict=True))
    for t in clauses(res.trace):  # a failed date condition's gap beside the numeric ones
        dated = _date_gaps(t, ev.as_of, lang) if t.value is False else None
        if dated:
            c = by_trace[id(t)]
            by_trace[id(t)] = {**c, "distance": [*c["distance"], *dated]}
    lines = [Line(0, _outcome(s.value), _t(lang, "适用地区：", "jurisdiction: ") + describe(s.node, res.rule, lang))
             for s in res.scope_traces]
    if res.trace is not None:
        lines.extend(_lines(res.trace, by_trace, res.rule, lang, 0))
    amount = res.amount
    benefit = d["benefit"]
    if res.status == Status.INELIGIBLE:
        amount = _stated_amount(res.rule, ev)
        benefit = _stated_benefit(res.rule, amount, lang)
    elif amount is None and res.status == Status.UNDETERMINED:
        amount = _stated_amount(res.rule, ev)
        benefit = _stated_benefit(res.rule, amount, lang) or benefit
    near = (_near(res.trace, by_trace) if res.status == Status.INELIGIBLE and res.reason is None
            and res.trace is not None else None)
    cite = d["citation"]
    return Item(
        rule_id=res.rule_id, title=d["title"], status=res.status, kind=res.rule.kind, mode=res.rule.mode,
        amount=amount, amount_kind=d["amount_kind"], benefit=benefit,
        document=cite["document"], number=cite["number"], clause=cite["clause"], quote=cite["quote"],
        lines=tuple(lines), missing=tuple((m, _field_label(m, lang)) for m in res.missing),
        superseded_by=res.superseded_by, group=res.rule.group, reason=d["reason"],
        gaps=tuple(g["text"] for g in near or ()), near=_near_text(near, d["title"], lang) if near else None,
    )


def _outcome(value: Any) -> bool | None:
    return None if value is UNKNOWN else bool(value)


def _lines(trace: Trace, by_trace: dict[int, dict[str, Any]], rule: Rule, lang: str, depth: int) -> list[Line]:
    """Conditions with their all/any/not structure (the written conditions of a top-level ``all`` flat)."""
    c = by_trace.get(id(trace))
    if c is not None:
        presumed = tuple(_presumption(p, lang) for p in c["presumed"])
        return [Line(depth, c["outcome"], c["text"], c["label"], tuple(g["text"] for g in c["distance"]), presumed)]
    node = trace.node
    if isinstance(node, x.And) and depth == 0:
        return [line for kid in trace.children for line in _lines(kid, by_trace, rule, lang, 0)]
    if isinstance(node, (x.And, x.Or, x.Not)):
        head = (_t(lang, "以下全部满足：", "all of:") if isinstance(node, x.And) else
                _t(lang, "以下任一满足：", "any of:") if isinstance(node, x.Or) else _t(lang, "不得满足：", "must not hold:"))
        out = [Line(depth, _outcome(trace.value), head, heading=True)]
        for kid in trace.children:
            out.extend(_lines(kid, by_trace, rule, lang, depth + 1))
        return out
    return [Line(depth, _outcome(trace.value), describe(node, rule, lang))]


def _near(trace: Trace, by_trace: dict[int, dict[str, Any]]) -> list[dict[str, Any]] | None:
    """The gaps that alone keep a failed rule from passing, or None when it is not a near miss: some
    failing condition has no gap to a number or date threshold (a wrong industry), or another condition
    is unknown (closing the gap would still not decide the rule)."""
    if trace.value is True:
        return []
    if trace.value is not False:
        return None
    c = by_trace.get(id(trace))
    if c is not None:
        return list(c["distance"]) or None
    if isinstance(trace.node, x.And):
        out: list[dict[str, Any]] = []
        for kid in trace.children:
            gaps = _near(kid, by_trace)
            if gaps is None:
                return None
            out.extend(gaps)
        return out
    if isinstance(trace.node, x.Or):
        return next((g for g in (_near(k, by_trace) for k in trace.children) if g), None)
    return None


# -- gaps to date thresholds ---------------------------------------------------------------------
def _date_gaps(trace: Trace, as_of: date, lang: str) -> list[dict[str, Any]] | None:
    """The date gaps that alone make a failed condition false ("再过 23 天满 12 个月", "认定已超过
    12 个月 3 天"), or None when it fails for another reason too. Inside ``any`` (of a list, or of
    alternatives) the alternative with the smallest gap counts."""
    if trace.value is True:
        return []
    if trace.value is not False:
        return None
    node = trace.node
    if isinstance(node, x.Call) and node.func == "within":
        gap = _within_gap(trace, as_of, lang)
        return [gap] if gap else None
    if isinstance(node, x.Compare):
        gap = _compare_gap(trace, as_of, lang)
        return [gap] if gap else None
    if isinstance(node, x.And):
        out: list[dict[str, Any]] = []
        for kid in trace.children:
            gaps = _date_gaps(kid, as_of, lang)
            if gaps is None:
                return None
            out.extend(gaps)
        return out
    if isinstance(node, x.IfElse) and len(trace.children) == 2:  # the branch taken decides (as a coverage reading)
        return _date_gaps(trace.children[1], as_of, lang)
    if isinstance(node, x.Or) or (isinstance(node, x.Quantifier) and node.func == "any"):
        options = [g for g in (_date_gaps(k, as_of, lang) for k in trace.children) if g]
        return min(options, key=lambda gs: sum(g["days"] for g in gs)) if options else None
    return None


def _within_gap(trace: Trace, as_of: date, lang: str) -> dict[str, Any] | None:
    """``within(d, 12 months)`` failed on a past date: how many days the window was missed by."""
    day, span = (t.value for t in trace.children[:2])
    if not isinstance(day, date) or not isinstance(span, x.Duration) or day > as_of:
        return None  # a date after as_of is warned about, not a gap
    end = shift(day, span, 1)
    if not isinstance(end, date):
        return None
    return _over(_date_label(trace.children[0].node, lang), day, span, (as_of - end).days, lang)


def _compare_gap(trace: Trace, as_of: date, lang: str) -> dict[str, Any] | None:
    """A failed comparison of a date fact with a date threshold (fixed, or ``as_of ± duration``)."""
    node = trace.node
    if len(node.ops) != 1 or len(trace.children) != 2:
        return None
    a, b = trace.children
    op = node.ops[0]
    if not (isinstance(a.value, date) and isinstance(b.value, date)):
        return None
    if isinstance(b.node, (x.Field, x.ItemField)) and not isinstance(a.node, (x.Field, x.ItemField)):
        a, b, op = b, a, {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
    if not isinstance(a.node, (x.Field, x.ItemField)) or op not in ("<", "<=", ">", ">="):
        return None
    fact, threshold, label = a.value, b.value, _date_label(a.node, lang)
    span = next((n.value for n in x.walk(b.node) if isinstance(n, x.Literal) and isinstance(n.value, x.Duration)),
                None)
    relative = any(isinstance(n, x.AsOf) for n in x.walk(b.node)) and span is not None
    if not relative or fact > as_of:  # a fixed date cannot be reached by waiting; a future one is warned about
        return None
    if op in (">", ">="):  # the date is too early: the window was missed
        return _over(label, fact, span, (threshold - fact).days - (1 if op == ">=" else 0), lang)
    days = (fact - threshold).days + (1 if op == "<" else 0)  # the date is too recent: wait
    return {"op": "wait", "days": days, "text": _t(
        lang, f"{label} {fact}，再过 {days} 天满 {_span(span, lang)}",
        f"{label} {fact}: {_span(span, lang)} are reached in {days} days")}


NEAR_DAYS = 92
"""A window missed by up to this many days (about a quarter) is a near miss; by more it is not near."""


def _over(label: str, day: date, span: x.Duration, days: int, lang: str) -> dict[str, Any] | None:
    """A window missed: the date is ``span`` and ``days`` days old (0: exactly ``span``); None beyond
    :data:`NEAR_DAYS`."""
    if days > NEAR_DAYS:
        return None
    text = (_t(lang, f"{label} {day}，已满 {_span(span, lang)}", f"{label} {day} is exactly {_span(span, lang)} old")
            if days == 0 else
            _t(lang, f"{label} {day}，已超过 {_span(span, lang)} {days} 天",
               f"{label} {day} is {_span(span, lang)} and {days} days old"))
    return {"op": "past", "days": days, "text": _t(lang, f"{text}（须在 {_span(span, lang)}以内）",
                                                  f"{text} (it must be within {_span(span, lang)})")}


def _span(span: x.Duration, lang: str) -> str:
    """``12 个月`` / ``12 months``."""
    zh = {"day": "天", "month": "个月", "year": "年"}[span.unit]
    en = {"day": "day", "month": "month", "year": "year"}[span.unit] + ("" if span.amount == 1 else "s")
    return _t(lang, f"{span.amount} {zh}", f"{span.amount} {en}")


def _date_label(node: x.Node, lang: str) -> str:
    path = node.path if isinstance(node, x.Field) else f"{node.list_path}[].{node.name}" \
        if isinstance(node, x.ItemField) else ""
    return _field_label(path, lang) if path else _t(lang, "日期", "date")


def _near_text(gaps: list[dict[str, Any]], title: str, lang: str) -> str:
    """"营业收入还差 200万元，即可享受…": the gaps, then what closing them would bring."""
    texts = _t(lang, "；", "; ").join(g["text"] for g in gaps)
    if all(g["op"] == "wait" for g in gaps):
        return _t(lang, f"{texts}，届时即可享受{title}", f"{texts}; then {title} applies")
    if any(g["op"] == "past" for g in gaps):
        return _t(lang, f"{texts}，因此不能享受{title}", f"{texts}, so {title} does not apply")
    if all(g["op"] in (">=", ">") for g in gaps):
        return _t(lang, f"{texts}，即可享受{title}", f"{texts}; close that gap and {title} applies")
    if all(g["op"] in ("<=", "<") for g in gaps):
        return _t(lang, f"{texts}，降至门槛以内即可享受{title}",
                  f"{texts}; bring it within the threshold and {title} applies")
    return _t(lang, f"{texts}，达到上述门槛即可享受{title}", f"{texts}; meet these thresholds and {title} applies")


def _presumption(path: str, lang: str) -> str:
    spec = registry().get(path)
    if spec is None or spec.presume is None:
        return path
    return _t(lang, f"假设：{spec.presume.zh}", f"assumed: {spec.presume.en}")


def _field_label(path: str, lang: str) -> str:
    spec = registry().get(path)
    return spec.label(lang) if spec is not None else path


def _stated_amount(rule: Rule, ev: Evaluation) -> Decimal | None:
    """The amount a rule states outright (a money literal, or a dated parameter at as_of), else None."""
    node = rule.benefit.amount
    if isinstance(node, x.Param):
        pv = rule.params[node.name].at(ev.as_of)
        node = pv.value if pv is not None else None
    if isinstance(node, x.Literal) and node.unit == "money" and isinstance(node.value, Decimal):
        return node.value
    return None


def _stated_benefit(rule: Rule, amount: Decimal | None, lang: str) -> str | None:
    b = rule.benefit
    if amount is None:
        return b.description.get(lang) if b.description else None
    money = format_money(amount, lang)
    return _t(lang, f"最高 {money}", f"up to {money}") if b.kind == "up_to" else money


# -- rendering -----------------------------------------------------------------------------------
SUFFIXES = {".html": "html", ".htm": "html", ".md": "md", ".json": "json"}
"""Report file suffixes and the format each one means."""


def format_from_suffix(path: str | PurePath) -> str:
    """The report format a file name asks for (``out.html`` → ``html``); a bilingual ValueError otherwise."""
    suffix = PurePath(path).suffix.lower()
    if suffix not in SUFFIXES:
        known = ", ".join(SUFFIXES)
        raise ValueError(f"报告文件 {str(path)!r} 的后缀 {suffix or '（无）'} 无法识别，应为 {known} 之一 / "
                         f"report file {str(path)!r}: unknown suffix {suffix or '(none)'}, expected one of {known}")
    return SUFFIXES[suffix]


def render_checkup(ev: Evaluation, fmt: str = "html", lang: str = "zh", profile: Profile | None = None) -> str:
    """The check-up of ``ev`` as ``html`` (a self-contained printable page), ``md`` or ``json``; with the
    evaluated ``profile``, every date in it after ``as_of`` is warned about."""
    if fmt not in FORMATS:
        raise ValueError(f"报告格式只能是 {'、'.join(FORMATS)}，实际为 {fmt!r} / "
                         f"report format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    c = checkup(ev, lang, profile)
    if fmt == "json":
        return json.dumps(checkup_dict(c), ensure_ascii=False, indent=2) + "\n"
    with money_unit(c.unit if lang == "zh" else None):
        return _markdown(c) if fmt == "md" else _html(c)


def checkup_dict(c: Checkup) -> dict[str, Any]:
    """The check-up as JSON-ready data (amounts as decimal strings with 2 places)."""

    def money(v: Decimal | None) -> str | None:
        return None if v is None else f"{v:.2f}"

    def item(i: Item) -> dict[str, Any]:
        return {
            "rule_id": i.rule_id, "title": i.title, "status": i.status.value, "kind": i.kind, "mode": i.mode,
            "amount": money(i.amount), "amount_kind": i.amount_kind, "benefit": i.benefit,
            "citation": {"document": i.document, "number": i.number, "clause": i.clause, "quote": i.quote},
            "conditions": [{"depth": ln.depth, "outcome": ln.outcome, "label": ln.label, "text": ln.text,
                            "gaps": list(ln.gaps), "presumed": list(ln.presumed), "heading": ln.heading}
                           for ln in i.lines],
            "missing": [{"field": f, "label": label} for f, label in i.missing],
            "superseded_by": i.superseded_by, "superseded_by_title": i.superseded_by_title, "group": i.group,
            "gaps": list(i.gaps), "near": i.near, "reason": i.reason,
        }

    return {
        "report": "checkup", "lang": c.lang, "unit": c.unit, "name": c.name, "entity_id": c.entity_id, "as_of": c.as_of,
        "total": money(c.total), "total_exact": money(c.total_exact), "total_up_to": money(c.total_up_to),
        "amount_unknown": c.amount_unknown, "counts": dict(c.counts), "out_of_scope": c.out_of_scope,
        "benefits": [item(i) for i in c.benefits], "superseded": [item(i) for i in c.superseded],
        "undetermined": [item(i) for i in c.undetermined], "near_misses": [item(i) for i in c.near_misses],
        "not_met": [item(i) for i in c.not_met], "warnings": list(c.warnings),
        "provenance": dict(c.provenance),
    }


class _Words:
    """The report's fixed wording in one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, zh: str, en: str) -> str:
        return _t(self.lang, zh, en)

    def title(self, c: Checkup) -> str:
        who = c.name or c.entity_id or self("该企业", "the enterprise")
        return self(f"{who} 政策体检报告", f"Policy check-up: {who}")

    def headline(self, c: Checkup) -> str:
        """How many measures apply and what they pay: exact amounts (at least, when some are unknown),
        up-to amounts apart."""
        n, unknown = c.counts["eligible"], c.amount_unknown
        exact = format_money(c.total_exact, self.lang)
        out = self(f"可享受 {n} 项政策，资金、税收与贷款支持确定金额{'至少 ' if unknown else ''}{exact}",
                   f"{n} measure(s) apply: {'at least ' if unknown else ''}{exact} of grants, tax relief and loan "
                   "support")
        if unknown:
            out += self(f"（另有 {unknown} 项金额待定）", f" ({unknown} more with the amount still unknown)")
        if c.total_up_to:
            up_to = format_money(c.total_up_to, self.lang)
            out += self(f"，另有上限类最高 {up_to}", f", and up to {up_to} more in capped amounts")
        return out + self("。", ".")

    def sections(self, unit: str) -> dict[str, tuple[str, str]]:
        """Section id → (heading, what it lists); each heading names the page's money unit."""
        zh, en = f"金额单位：{unit}", f"amounts in {unit}"
        return {
            "benefits": (self(f"可享受的政策（{zh}）", f"Benefits the firm gets ({en})"),
                         self("按金额从高到低排列；金额为上限的按上限计。", "Largest amount first; caps counted at the cap.")),
            "superseded": (self(f"被更优政策取代的政策（就高不重复；{zh}）",
                                f"Superseded: a better measure of the same group applies ({en})"),
                           self("符合条件，但同一互斥组内只享受金额最高的一项。",
                                "Qualifies, but within an exclusive group only the highest amount is granted.")),
            "undetermined": (self(f"待定：补齐数据后可判断（{zh}）", f"Undetermined: data needed to decide ({en})"),
                             self("缺少下列数据，无法判断；补齐后重新体检。",
                                  "These facts are missing; supply them and run the check-up again.")),
            "near_misses": (self(f"差一点即可享受（{zh}）", f"Near misses ({en})"),
                            self("仅因数值或日期门槛未达到而不符合，列出差距。",
                                 "Not eligible only because of number or date thresholds; the gap is shown.")),
            "not_met": (self(f"不符合的政策（{zh}）", f"Measures not met ({en})"),
                        self("适用地区内、但条件不满足的政策，列出不满足的条件。",
                             "Measures in scope whose conditions are not met, with the conditions that fail.")),
        }

    def empty(self, key: str) -> str:
        return {
            "benefits": self("暂无可享受的政策。", "No measure applies at present."),
            "superseded": self("无。", "None."),
            "undetermined": self("无：所有政策均可依现有数据判断。", "None: every measure could be decided from the data."),
            "near_misses": self("无。", "None."),
            "not_met": self("无。", "None."),
        }[key]

    def status(self, item: Item) -> tuple[str, str]:
        """The short badge text and tone of an item's status."""
        return {Status.ELIGIBLE: (self("符合", "eligible"), "ok"),
                Status.SUPERSEDED: (self("被取代", "superseded"), "info"),
                Status.UNDETERMINED: (self("待定", "undetermined"), "warn"),
                Status.INELIGIBLE: (self("差一点", "near miss"), "warn") if item.gaps else (self("不符合", "not met"), "no"),
                }.get(item.status, (item.status.value, "no"))

    def kinds(self, item: Item) -> list[str]:
        """What kind of measure it is, how it is granted and, with an amount, what kind of amount."""
        en = self.lang == "en"
        out = [KIND.get(item.kind, (item.kind, item.kind))[en], MODE.get(item.mode, (item.mode, item.mode))[en]]
        if item.amount is not None and item.amount_kind in AMOUNT_KIND:
            out.append(AMOUNT_KIND[item.amount_kind][en])
        return out

    def superseded(self, item: Item) -> str:
        winner = item.superseded_by_title or item.superseded_by or ""
        return self(f"被“{winner}”取代：同类政策就高不重复，只享受金额最高的一项。",
                    f"Superseded by “{winner}”: of measures of the same kind only the highest amount is granted "
                    "(no stacking).")

    def failed(self, item: Item) -> list[str]:
        """The conditions that fail (the reason a measure is not met), or the rule's own reason."""
        texts = [f"{ln.label}：{ln.text}" if ln.label and self.lang != "en" else f"{ln.label}: {ln.text}"
                 if ln.label else ln.text for ln in item.lines if ln.outcome is False and not ln.heading]
        return texts or ([item.reason] if item.reason else [])

    def provenance(self, c: Checkup) -> list[tuple[str, str]]:
        p = c.provenance
        return [(self("评估日期", "As of"), p.get("as_of", c.as_of)),
                (self("规则集哈希", "Rule-set hash"), p.get("ruleset_hash", "")),
                (self("程序版本", "Library version"), f"eligibility {p.get('version', '')}")]

    def counts(self, c: Checkup) -> list[tuple[str | None, str, str, str]]:
        """The headline tiles: (qualifier, figure, label, tone); money tiles first."""
        n = c.counts
        tiles: list[tuple[str | None, str, str, str]] = [
            (self("至少", "at least") if c.amount_unknown else None, format_money(c.total_exact, self.lang),
             self("确定金额（下限）", "exact amounts (lower bound)") if c.amount_unknown
             else self("确定金额", "exact amounts"), "ok")]
        if c.total_up_to:
            tiles.append((self("最高", "up to"), format_money(c.total_up_to, self.lang),
                          self("上限类合计", "capped amounts"), "ok"))
        return [*tiles,
                (None, str(n["eligible"]), self("可享受", "apply"), "ok"),
                (None, str(n["superseded"]), self("被取代", "superseded"), "info"),
                (None, str(n["undetermined"]), self("待定", "undetermined"), "warn"),
                (None, str(n["near_miss"]), self("差一点", "near misses"), "warn"),
                (None, str(c.not_eligible), self("不符合", "not met"), "muted")]


MARKS = {True: ("✓", "ok"), False: ("✗", "no"), None: ("？", "warn")}


def _items(c: Checkup) -> dict[str, tuple[Item, ...]]:
    return {"benefits": c.benefits, "superseded": c.superseded, "undetermined": c.undetermined,
            "near_misses": c.near_misses, "not_met": c.not_met}


# -- HTML ----------------------------------------------------------------------------------------
def _html(c: Checkup) -> str:
    w = _Words(c.lang)
    who = [(w("企业名称", "Enterprise"), c.name or "—"), (w("统一社会信用代码", "USCC"), c.entity_id or "—"),
           (w("评估日期", "As of"), c.as_of)]
    tiles = w.counts(c)
    money = len(tiles) - 5  # the money tiles come first
    stats = join(stat(n, label, qualifier=q, tone=tone, wide=i < money) for i, (q, n, label, tone) in enumerate(tiles))
    parts = [tag("h1", w.title(c)), tag("p", w.headline(c), class_="lead"), definition_list(who),
             tag("div", stats, class_="summary")]
    if c.warnings:
        parts.append(tag("div", join([tag("strong", w("数据提醒", "Check the data")),
                                      tag("ul", join(tag("li", text) for text in c.warnings))]),
                         class_="callout warning", role="alert", id="warnings"))
    for key, (heading, note) in w.sections(c.unit).items():
        items = _items(c)[key]
        cards = tag("div", join(_card(i, w) for i in items), class_="cards")
        if key == "not_met" and items:  # collapsed: the reader opens it when needed
            cards = tag("details", join([tag("summary", w(f"展开 {len(items)} 项", f"Show {len(items)}")), cards]))
        body = join([tag("p", note, class_="note"), cards if items else tag("p", w.empty(key), class_="empty")])
        parts.append(section(heading, body, id=key))
    parts.append(tag("footer", join([
        tag("p", w("本报告由规则自动生成，依据为所引政策原文；最终以主管部门认定为准。",
                   "Generated from the rules and the quoted policy texts; the competent department decides.")),
        definition_list(w.provenance(c))])))
    return page(w.title(c), join(parts), c.lang)


def _card(item: Item, w: _Words) -> Html:
    label, tone = w.status(item)
    money = item.benefit if item.benefit and item.amount is not None else None
    head = join([tag("h3", join([item.title, " ", tag("span", item.rule_id, class_="rule-id")])),
                 tag("span", money, class_="amount") if money else Html("")])
    meta = join([badge(text, tone if i == 0 else "muted") for i, text in enumerate([label, *w.kinds(item)])], " ")
    parts = [tag("div", head, class_="card-head"), tag("p", meta)]
    if item.benefit and money is None:
        parts.append(tag("p", join([tag("strong", w("待遇：", "Benefit: ")), item.benefit])))
    if item.status == Status.SUPERSEDED:
        parts.append(tag("p", w.superseded(item)))
    if item.near:
        parts.append(tag("p", item.near, class_="callout"))
    if item.missing:
        fields = join(tag("li", join([tag("strong", label), " ", tag("code", path)])) for path, label in item.missing)
        parts.append(join([tag("p", tag("strong", w("所需数据：", "Data needed:")), class_="sub"), tag("ul", fields, class_="needs")]))
    if item.status == Status.INELIGIBLE and not item.gaps:
        reasons = w.failed(item)
        if reasons:
            parts.append(join([tag("p", tag("strong", w("不满足：", "Not met:")), class_="sub"),
                               tag("ul", join(tag("li", r) for r in reasons), class_="needs")]))
    elif item.reason:
        parts.append(tag("p", item.reason, class_="note"))
    parts.append(tag("p", tag("strong", w("判定过程", "How it was decided")), class_="sub"))
    parts.append(_conditions(item.lines))
    cite = join([f"《{item.document}》" if w.lang != "en" else item.document, " ", _where(item)])
    parts.append(tag("blockquote", join([tag("cite", join([w("依据：", "Source: "), cite])), item.quote or ""])))
    return tag("article", join(parts), class_=f"card {tone}", id=item.rule_id)


def _conditions(lines: tuple[Line, ...]) -> Html:
    out = []
    for ln in lines:
        mark, tone = MARKS[ln.outcome]
        text = join([tag("strong", ln.label), tag("span", ln.text, class_="note")]) if ln.label else escape(ln.text)
        extra = join([tag("span", f"→ {g}", class_="gap") for g in ln.gaps] +
                     [tag("span", f"（{p}）", class_="note") for p in ln.presumed])
        style = f"margin-left:{ln.depth * 1.2}em" if ln.depth else None
        out.append(tag("li", join([tag("span", mark, class_=f"mark {tone}", aria_hidden="true"), text, extra]),
                       style=style, class_="heading" if ln.heading else None))
    return tag("ul", join(out), class_="conds")


# -- Markdown ------------------------------------------------------------------------------------
def _markdown(c: Checkup) -> str:
    w = _Words(c.lang)
    name = _md(c.name or "—")
    out = [f"# {_md(w.title(c))}", "", w.headline(c), "",
           f"- {w('企业名称', 'Enterprise')}：{name}" if c.lang != "en" else f"- Enterprise: {name}",
           f"- {w('统一社会信用代码', 'USCC')}{w('：', ': ')}{_md(c.entity_id or '—')}",
           f"- {w('评估日期', 'As of')}{w('：', ': ')}{c.as_of}", ""]
    if c.warnings:
        out += [f"> **{w('数据提醒', 'Check the data')}**", ">"] + [f"> - {_md(text)}" for text in c.warnings] + [""]
    tiles = w.counts(c)
    out.append("| " + " | ".join(label for _, _, label, _ in tiles) + " |")
    out.append("|" + "---:|" * len(tiles))
    out.append("| " + " | ".join(f"{q} {n}" if q else n for q, n, _, _ in tiles) + " |")
    for key, (heading, note) in w.sections(c.unit).items():
        out += ["", f"## {heading}", "", f"_{note}_", ""]
        items = _items(c)[key]
        if not items:
            out.append(w.empty(key))
        if key == "not_met" and items:  # collapsed where the Markdown viewer renders HTML details
            out += ["<details>", f"<summary>{w(f'展开 {len(items)} 项', f'Show {len(items)}')}</summary>", ""]
        for item in items:
            out += _md_item(item, w)
        if key == "not_met" and items:
            out += ["</details>", ""]
    out += ["", "---", "", w("本报告由规则自动生成，依据为所引政策原文；最终以主管部门认定为准。",
                          "Generated from the rules and the quoted policy texts; the competent department decides."), ""]
    out += [f"- {k}{w('：', ': ')}`{v}`" for k, v in w.provenance(c)]
    return "\n".join(out) + "\n"


def _md_item(item: Item, w: _Words) -> list[str]:
    label, _ = w.status(item)
    out = [f"### {_md(item.title)}（`{item.rule_id}`）" if w.lang != "en" else f"### {_md(item.title)} (`{item.rule_id}`)", ""]
    out.append(" · ".join([f"**{label}**", *w.kinds(item)]) + (f" · **{_md(item.benefit)}**" if item.benefit else ""))
    out.append("")
    if item.status == Status.SUPERSEDED:
        out += [_md(w.superseded(item)), ""]
    if item.near:
        out += [f"**{_md(item.near)}**", ""]
    if item.missing:
        sep = "、" if w.lang != "en" else ", "
        out += [w("所需数据：", "Data needed: ") + sep.join(f"{_md(lab)} `{path}`" for path, lab in item.missing), ""]
    if item.status == Status.INELIGIBLE and not item.gaps:
        reasons = w.failed(item)
        if reasons:
            out += [w("不满足：", "Not met:"), ""] + [f"- {_md(r)}" for r in reasons] + [""]
    elif item.reason:
        out += [_md(item.reason), ""]
    out += [f"{w('判定过程', 'How it was decided')}{w('：', ':')}", ""]
    for ln in item.lines:
        mark = MARKS[ln.outcome][0]
        text = f"{ln.label}（{ln.text}）" if ln.label and w.lang != "en" else f"{ln.label} ({ln.text})" if ln.label else ln.text
        out.append(f"{'  ' * ln.depth}- {mark} {_md(text)}")
        out += [f"{'  ' * (ln.depth + 1)}- → {_md(g)}" for g in ln.gaps]
        out += [f"{'  ' * (ln.depth + 1)}- （{_md(p)}）" for p in ln.presumed]
    cite = (f"《{item.document}》" if w.lang != "en" else item.document) + f" {_where(item)}"
    out += ["", f"> {w('依据：', 'Source: ')}{_md(cite)}"] + ([">", f"> “{_md(item.quote)}”"] if item.quote else []) + [""]
    return out


def _where(item: Item) -> str:
    """Document number and clause, the number left out when the clause already names it."""
    if item.number and item.number not in item.clause and item.number not in item.document:
        return f"{item.number} {item.clause}"
    return item.clause


def _md(text: str) -> str:
    """Text safe inside Markdown: characters that would start markup are escaped."""
    return "".join("\\" + ch if ch in "\\`*_[]<|" else ch for ch in text)
