"""Hypothesis strategies for enterprise profiles, for property tests of rules and backends.

``profiles()`` draws valid, realistic profiles over the whole schema v1 (log-normal sizes, valid
USCCs and region codes, industry codes at several depths, money as Decimal or money text), with
fields left out at a chosen rate. ``profiles_for(rule, status)`` draws profiles that one rule
decides a given way. It builds them from the rule's own tests and conditions (a test profile with
that status; an eligible one with exactly one condition violated; one with exactly one fact the
rule reads dropped) and varies only the facts the rule does not read, so hypothesis never has to
filter random profiles and never gives up.

Statuses are the rule's own decision: each rule is evaluated alone, so "eligible" includes a firm
that another member of the rule's exclusive group would outrank (``superseded`` in a full run).
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from statistics import NormalDist
from typing import Any

from hypothesis import strategies as st

from ..backends.interpreter.ops import add_months, shift
from ..engine import Engine
from ..errors import EligibilityError
from ..facts.codes import DIVISIONS, PROVINCES, REGION_NAMES, SECTIONS, check_character
from ..facts.codes.uscc import ALPHABET, org_code_check_character
from ..facts.derived import DERIVED
from ..facts.profile import registry
from ..lint import conjuncts, constraints
from ..model import expr as x
from ..model.rule import Rule, RuleSet

STATUSES = ("eligible", "ineligible", "undetermined")
FEN = Decimal("0.01")

# -- small value strategies -------------------------------------------------------------------------
SEED_REGIONS: tuple[str, ...] = tuple(sorted(REGION_NAMES))
"""Every region code the library names (provinces and the localities the shipped rules use)."""

ZONES = ("腾格里经济技术开发区", "通辽经济技术开发区", "内蒙古阿拉善高新技术产业开发区", "普洱工业园区",
         "武功县工业园区")
NAMES = st.builds(lambda place, trade: f"{place}{trade}有限公司",
                  st.sampled_from(("云岭", "草原", "茶马", "秦川", "腾飞", "华夏")),
                  st.sampled_from(("制造", "商贸", "科技", "餐饮", "建设", "农牧")))

# industry sections by rough share of registered firms; manufacturing and trade dominate
_SECTION_WEIGHTS = {"C": 8, "F": 8, "I": 3, "L": 3, "M": 3, "E": 3, "H": 3, "G": 2, "B": 1, "D": 1, "A": 2, "K": 1,
                    "O": 1, "R": 1, "J": 1, "N": 1, "P": 1, "Q": 1}
_WEIGHTED_SECTIONS = tuple(s for s, w in _SECTION_WEIGHTS.items() for _ in range(w))
_DIVISIONS_BY_SECTION = {s: tuple(d for d, v in DIVISIONS.items() if v[0] == s) for s in SECTIONS}

# the round figures policies use as thresholds, so property tests meet them often
HOT_MONEY = tuple(Decimal(v) for v in (0, 30_000, 90_000, 100_000, 300_000, 1_000_000, 2_000_000, 3_000_000,
                                       4_000_000, 10_000_000, 20_000_000, 50_000_000, 100_000_000))
HOT_COUNTS = (0, 1, 10, 20, 100, 300, 1000)
KVA_SIZES = (30, 50, 80, 100, 125, 160, 200, 250, 315, 400, 500, 630, 800, 1000, 1250, 1600, 2000, 2500)
DEFAULT_RULE_IDS = ("examples.puer.new-industrial", "examples.puer.little-giant-national",
                    "examples.puer.specialised-municipal")


def lognormal(median: float, sigma: float) -> st.SearchStrategy[float]:
    """A log-normal quantity (firm sizes, amounts); shrinks towards the median."""
    dist = NormalDist(math.log(median), sigma)
    return st.integers(-4999, 4999).map(lambda k: math.exp(dist.inv_cdf(0.5 + k / 10_000)))


def _to_money(value: float, granularity: int) -> Decimal:
    """``value`` yuan rounded to ``granularity`` fen (1 fen, 100 = a yuan, 1_000_000 = 万)."""
    fen = round(value * 100 / granularity) * granularity
    return (Decimal(fen) / 100).quantize(FEN) if granularity == 1 else Decimal(fen // 100)


def amounts(median: float, sigma: float = 1.2) -> st.SearchStrategy[Decimal]:
    """Exact amounts of yuan: log-normal, rounded to the fen, the yuan or the 万; or, as often, one of the
    round thresholds policies use near that size (and 0), ± 1 fen."""
    spread = st.builds(_to_money, lognormal(median, sigma), st.sampled_from((100, 1, 1_000_000)))
    hot = [v for v in HOT_MONEY if v == 0 or median / 100 <= v <= median * 100]
    near = st.builds(lambda v, d: max(v + d, Decimal(0)), st.sampled_from(hot),
                     st.sampled_from((Decimal(0), -FEN, FEN)))
    return st.one_of(spread, near)


def money_text(amount: Decimal) -> st.SearchStrategy[Any]:
    """``amount`` in one of the forms a profile accepts: Decimal, plain text, grouped text, 万 or 亿."""
    forms: list[Any] = [amount, format(amount, "f"), f"{amount:,.2f}"]
    if amount % 100 == 0:
        forms.append(format((amount / 10_000).normalize(), "f") + "万")
    if amount % 1_000_000 == 0 and amount:
        forms.append(format((amount / 10**8).normalize(), "f") + "亿元")
    return st.sampled_from(forms)


def money(median: float, sigma: float = 1.2) -> st.SearchStrategy[Any]:
    """A money value as a profile gives it (Decimal or money text)."""
    return amounts(median, sigma).flatmap(money_text)


def counts(median: float, sigma: float = 1.4) -> st.SearchStrategy[int]:
    """A head count: log-normal, or a round threshold ± 1."""
    spread = lognormal(median, sigma).map(lambda v: int(v))
    near = st.builds(lambda v, d: max(v + d, 0), st.sampled_from(HOT_COUNTS), st.sampled_from((0, -1, 1)))
    return st.one_of(spread, near)


def region_codes() -> st.SearchStrategy[str]:
    """Valid GB/T 2260 codes: the named seed regions, or any 6 digits under a known province."""
    other = st.builds(lambda p, a, b: f"{p[:2]}{a:02d}{b:02d}", st.sampled_from(sorted(PROVINCES)),
                      st.integers(0, 40), st.integers(0, 40))
    return st.one_of(st.sampled_from(SEED_REGIONS), other)


@st.composite
def industry_codes(draw: st.DrawFn, sections: Sequence[str] = _WEIGHTED_SECTIONS) -> str:
    """GB/T 4754-2017 codes at a random depth: section "C", division "C30", group "C301", class "C3011"."""
    section = draw(st.sampled_from(sections))
    depth = draw(st.sampled_from((1, 2, 3, 4, 4)))
    divisions = _DIVISIONS_BY_SECTION[section]
    if depth == 1 or not divisions:
        return section
    code = section + draw(st.sampled_from(divisions))
    if depth >= 3:
        code += str(draw(st.integers(1, 9)))
    if depth == 4:
        code += str(draw(st.integers(0, 9)))
    return code


@st.composite
def usccs(draw: st.DrawFn, region: str | None = None) -> str:
    """Valid unified social credit codes (GB 32100 check character right); mostly enterprises (91),
    some individual businesses (92) and others; the embedded organisation code mostly valid too."""
    head = draw(st.sampled_from(("91", "91", "91", "91", "92", "92", "93", "12", "52", "Y1")))
    area = region or draw(region_codes())
    body = "".join(draw(st.lists(st.sampled_from("0123456789" * 3 + ALPHABET[10:]), min_size=8, max_size=8)))
    org_check = org_code_check_character(body) if draw(st.integers(0, 9)) else draw(st.sampled_from("0123456789"))
    first17 = head + area + body + org_check
    return first17 + check_character(first17)


def _chance(share_true: float) -> st.SearchStrategy[bool]:
    """True with the given probability (to the percent); shrinks to False, the ordinary case.
    (A bounded ``st.integers`` favours small values, so a threshold on one would skew the share.)"""
    k = round(share_true * 100)
    return st.sampled_from((False,) * (100 - k) + (True,) * k)


def _days(start: date, end: date) -> st.SearchStrategy[date]:
    return st.dates(start, max(start, end))


# -- profiles() -------------------------------------------------------------------------------------
class _Builder:
    """Draws one profile; ``put`` leaves a field out with the chosen probability."""

    def __init__(self, draw: st.DrawFn, missing: float, latest: date) -> None:
        self.draw, self.latest = draw, latest
        self._absent = _chance(missing)

    def absent(self) -> bool:
        return self.draw(self._absent)

    def record(self, fields: dict[str, st.SearchStrategy[Any]]) -> dict[str, Any]:
        return {k: self.draw(s) for k, s in fields.items() if not self.absent()}

    def put(self, out: dict[str, Any], key: str, strategy: st.SearchStrategy[Any]) -> None:
        if not self.absent():
            out[key] = self.draw(strategy)

    def put_record(self, out: dict[str, Any], key: str, fields: dict[str, st.SearchStrategy[Any]]) -> None:
        if not self.absent():
            out[key] = self.record(fields)


@st.composite
def profiles(draw: st.DrawFn, missing: float = 0.1, as_of: date | None = None,
             rule_ids: Sequence[str] = DEFAULT_RULE_IDS) -> dict[str, Any]:
    """A valid, realistic profile (a dict for ``Profile.from_data``) over the whole schema v1.

    ``missing``: the chance that any one field is left out (unknown). Dates fall on or before
    ``as_of`` (default today). Scenario matters, register memberships and list items are each
    optional in their own right. ``rule_ids``: ids used in ``benefits_received``.
    """
    if not 0 <= missing <= 1:
        raise EligibilityError(f"missing 应在 0 与 1 之间，实际为 {missing}",
                               f"missing must be between 0 and 1, got {missing}")
    latest = as_of or date.today()
    b = _Builder(draw, missing, latest)
    out: dict[str, Any] = {}
    region = draw(region_codes())
    industry = draw(industry_codes())
    section = industry[0]
    employees = draw(counts(12))
    by_size = _to_money(max(employees, 1) * draw(lognormal(400_000, 0.9)), draw(st.sampled_from((100, 1, 10**6))))
    revenue = draw(st.one_of(st.just(by_size), amounts(float(by_size) or 1.0)))
    small = revenue <= 5_000_000
    founded = draw(_days(date(1990, 1, 1), latest))

    b.put(out, "uscc", usccs(region))
    b.put(out, "name", NAMES)
    b.put(out, "region_code", st.just(region))
    b.put(out, "industry_code", st.just(industry))
    b.put(out, "registered_on", st.just(founded))
    b.put(out, "employees", st.just(employees))
    b.put(out, "revenue", money_text(revenue))
    b.put(out, "total_assets", money_text(_to_money(float(revenue) * draw(lognormal(1.0, 0.8)), 100)))
    margin = st.integers(-5, 15)  # percent of revenue; a loss now and then
    b.put(out, "taxable_income", margin.map(lambda m: _to_money(float(revenue) * m / 100, 100)).flatmap(money_text))
    b.put(out, "vat_taxpayer", st.sampled_from(("small_scale", "small_scale", "general") if small else ("general",)))
    b.put(out, "monthly_sales", money_text(_to_money(float(revenue) / 12 * draw(lognormal(1.0, 0.3)), 1)))
    b.put(out, "quarterly_sales", money_text(_to_money(float(revenue) / 4 * draw(lognormal(1.0, 0.2)), 1)))
    b.put(out, "vat_filing_period", st.sampled_from(("month", "quarter")))
    b.put(out, "ownership", st.sampled_from(("private",) * 6 + ("state", "foreign", "collective", "other")))
    b.put(out, "tax_credit_rating", st.sampled_from(("A", "B", "B", "B", "M", "M", "C", "D")))
    b.put(out, "dishonest_record", _chance(0.03))
    b.put(out, "development_zone", st.sampled_from(ZONES))
    b.put(out, "restricted_industry", _chance(0.05))
    b.put(out, "benefits_received", st.lists(st.fixed_dictionaries(
        {"rule_id": st.sampled_from(tuple(rule_ids) or DEFAULT_RULE_IDS), "year": st.integers(2019, latest.year)},
        optional={"amount": money(200_000)}), max_size=2))
    b.put_record(out, "taxes_due", {k: money(20_000, 1.5) for k in (
        "resource", "urban_maintenance", "property", "urban_land_use", "stamp", "farmland_occupation",
        "education_surcharge", "local_education_surcharge")})
    b.put(out, "vehicles", st.lists(st.fixed_dictionaries({}, optional={
        "type": st.sampled_from(("truck", "trailer", "special_work", "wheeled_special_machinery", "other")),
        "annual_tax": money(600, 0.6)}), max_size=3))
    b.put_record(out, "vat_credit", {"stock": money(50_000, 1.5), "increment": money(30_000, 1.5)})
    b.put_record(out, "tax_compliance", {k: _chance(0.03) for k in (
        "refund_fraud_36m", "false_invoices_36m", "tax_evasion_36m", "immediate_refund_since_2019_04")})
    deferred = draw(_chance(0.2))
    b.put_record(out, "social_insurance",
                 {"deferred": st.just(deferred), **({"deferred_amount": money(80_000)} if deferred else {})})
    settled = draw(st.booleans())
    b.put_record(out, "operations", {
        "never_operated": _chance(0.05), "debts_outstanding": st.just(not settled), "debts_settled": st.just(settled)})
    b.put_record(out, "tech_transfer", {"recognised": _chance(0.3), "evaluation_tier": st.sampled_from((1, 2, 3))})
    b.put_record(out, "difficulty", {k: _chance(0.15) for k in (
        "stopped_production", "low_capacity_utilisation", "loss_making", "output_value_down")})
    if not b.absent():
        out["registers"] = _registers(b, section, revenue, founded)
    b.put(out, "certifications", st.lists(_certification(max(founded, date(2012, 1, 1)), latest), max_size=3))
    b.put_record(out, "hires", {
        "new_qualifying_hires_this_year": st.integers(0, max(employees // 3, 0)),
        "graduates_hired_this_year": st.integers(0, max(employees // 10, 0)),
        "min_contract_years": st.sampled_from((Decimal("0.5"), 1, 1, 2, 3, "3")),
        "pays_social_insurance": _chance(0.8),
        "graduates_employer_contribution_monthly": money(1_200, 0.4)})
    b.put_record(out, "power", {
        "user_type": st.sampled_from(("general_commercial_industrial", "large_industry", "residential")),
        "transformer_kva": st.sampled_from(KVA_SIZES)})
    b.put_record(out, "exclusions", {k: _chance(0.05) for k in (
        "seasonal_stop", "deregistering", "bankrupt", "planned_exit", "in_litigation")})
    scenario = _scenario(b, latest)
    if scenario:
        out["scenario"] = scenario
    return out


def _registers(b: _Builder, section: str, revenue: Decimal, founded: date) -> dict[str, Any]:
    """Register memberships that fit the industry (and, more often than not, the size)."""
    draw = b.draw
    out: dict[str, Any] = {}
    share = 0.7 if revenue >= 20_000_000 else 0.2
    if section in "BCD" and draw(_chance(share)):
        entered = draw(_days(founded, b.latest))
        entry = b.record({"entered_on": st.just(entered), "first_entry": st.booleans(), "new_build": st.booleans()})
        if not b.absent():
            entry["left_on"] = draw(st.one_of(st.none(), _days(entered, b.latest)))
        out["above_scale_industrial"] = entry
    if section in "FH" and draw(_chance(share)):
        entered = draw(_days(founded, b.latest))
        entry = b.record({"entered_on": st.just(entered), "basis": st.sampled_from(("month", "year"))})
        if not b.absent():
            entry["left_on"] = draw(st.one_of(st.none(), _days(entered, b.latest)))
        out["above_quota_trade"] = entry
    return out


@st.composite
def _certification(draw: st.DrawFn, earliest: date, latest: date) -> dict[str, Any]:
    kind = draw(st.sampled_from(("high_tech", "tech_sme", "specialised_sme", "specialised_growth", "little_giant",
                                 "single_champion")))
    levels = {"little_giant": ("national", "provincial"), "single_champion": ("national",),
              "specialised_growth": ("provincial",), "specialised_sme": ("provincial", "municipal")}
    out: dict[str, Any] = {"kind": kind}
    if draw(st.integers(0, 9)):
        out["level"] = draw(st.sampled_from(levels.get(kind, ("national", "provincial", "municipal"))))
    if draw(st.integers(0, 9)):
        certified = draw(_days(earliest, latest))
        out["certified_on"] = certified
        out["expires_on"] = draw(st.sampled_from((add_months(certified, 36), None)))
    return out


def _scenario(b: _Builder, latest: date) -> dict[str, Any]:
    """The matters at hand, each present or not (absence is not missing data: there is no such matter)."""
    draw = b.draw
    out: dict[str, Any] = {}
    if draw(_chance(0.25)):
        budget = draw(amounts(1_000_000, 1.3))
        out["procurement"] = b.record({
            "kind": st.sampled_from(("goods", "services", "works")), "budget": money_text(budget),
            "reserved_for_sme": st.booleans(), "above_purchase_threshold": _chance(0.7),
            "government_invested": st.booleans(),
            "bid_price": st.integers(70, 100).map(lambda pct: _to_money(float(budget) * pct / 100, 100))
                                             .flatmap(money_text),
            "region_code": region_codes()})
    if draw(_chance(0.25)):
        capacity = draw(st.sampled_from(KVA_SIZES))
        out["grid_connection"] = b.record({"capacity_kva": st.just(capacity), "low_voltage": st.just(capacity <= 100)})
    if draw(_chance(0.25)):
        out["guarantee"] = b.record({"amount": money(3_000_000, 1.0), "term_years": st.sampled_from((1, 2, 3, "0.5"))})
    if draw(_chance(0.25)):
        out["loan"] = b.record({
            "amount": money(2_000_000, 1.0), "term_years": st.sampled_from((1, 2, 3, 5)),
            "contract_on": _days(date(2018, 1, 1), latest),
            "lpr": st.sampled_from(("3.1%", "3.45%", "3.85%", Decimal("0.0365"), Decimal("0.0435"))),
            "extended_or_overdue": _chance(0.1), "subsidised_loans_before": st.integers(0, 3)})
    return out


# -- what a rule reads, and how to change a profile ------------------------------------------------
def default_as_of(rule: Rule) -> date:
    """The date ``profiles_for`` and ``boundary_cases`` use when none is given: the date most of the
    rule's tests use, else today clamped into the rule's effective period."""
    if rule.tests:
        return Counter(t.as_of for t in rule.tests).most_common(1)[0][0]
    day = date.today()
    if rule.effective.end is not None and day > rule.effective.end:
        return rule.effective.end
    if rule.effective.start is not None and day < rule.effective.start:
        return rule.effective.start
    return day


def read_paths(rule: Rule) -> frozenset[str]:
    """Profile paths whose values can change the rule's status: fields in its conditions (list items
    as the list), the raw fields of its derived facts, and where it applies."""
    paths: set[str] = {"region_code", "development_zone", "benefits_received"}
    if rule.scenarios or rule.jurisdiction.by:
        paths.add("scenario")
    for node in x.walk(rule.when):
        if isinstance(node, x.Field):
            paths.add(node.path)
        elif isinstance(node, x.Quantifier):
            paths.add(node.list_path)
        elif isinstance(node, x.Derived):
            paths.update(DERIVED[node.name].reads)
    return frozenset(p.split("[]")[0] for p in paths)


def fold(node: x.Node, rule: Rule, as_of: date) -> x.Node:
    """``node`` with the rule's parameters read at ``as_of``, and ``as_of`` (± a duration), made constants,
    so a threshold written as a dated parameter or relative to the evaluation date is a constant too."""
    if isinstance(node, x.Param):
        value = rule.params[node.name].at(as_of) if node.name in rule.params else None
        return value.value if value is not None and isinstance(value.value, x.Literal) else node
    if isinstance(node, x.AsOf):
        return x.Literal(as_of, span=node.span)
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        if isinstance(value, x.Node):
            changes[f.name] = fold(value, rule, as_of)
        elif isinstance(value, tuple) and value and all(isinstance(v, x.Node) for v in value):
            changes[f.name] = tuple(fold(v, rule, as_of) for v in value)
    node = dataclasses.replace(node, **changes) if changes else node
    if isinstance(node, x.Arith) and node.op in "+-" and isinstance(node.left, x.Literal) \
            and isinstance(node.right, x.Literal) and isinstance(node.left.value, date) \
            and isinstance(node.right.value, x.Duration):
        return x.Literal(shift(node.left.value, node.right.value, 1 if node.op == "+" else -1), span=node.span)
    return node


@dataclass(frozen=True)
class DateWindow:
    """A date condition relative to the evaluation date: ``within(d, 12 months)`` or ``in_year(d)``."""

    node: x.Call
    path: str  # the date's profile path; "list[].field" for a list item's date
    inside: date  # the first day inside the window
    outside: date  # the last day before it


def date_windows(node: x.Node, rule: Rule, as_of: date) -> list[DateWindow]:
    """Every ``within`` and ``in_year`` under ``node`` whose date is a profile field, at ``as_of``."""
    out = []
    for n in x.walk(node):
        if not (isinstance(n, x.Call) and n.func in ("within", "in_year")):
            continue
        arg = n.args[0]
        if isinstance(arg, x.Field):
            path = arg.path
        elif isinstance(arg, x.ItemField):
            path = f"{arg.list_path}[].{arg.name}"
        else:
            continue
        if n.func == "in_year":
            first = date(as_of.year, 1, 1)
            out.append(DateWindow(n, path, first, first - timedelta(days=1)))
            continue
        duration = fold(n.args[1], rule, as_of)
        if isinstance(duration, x.Literal) and isinstance(duration.value, x.Duration):
            cutoff = shift(as_of, duration.value, -1)
            out.append(DateWindow(n, path, cutoff + timedelta(days=1), cutoff))
    return out


def _related(path: str, paths: frozenset[str]) -> bool:
    return any(p == path or p.startswith(path + ".") or path.startswith(p + ".") for p in paths)


def _overlay(seed: dict[str, Any], noise: dict[str, Any], protected: frozenset[str],
             prefix: str = "") -> dict[str, Any]:
    """``seed`` with ``noise`` copied in wherever no protected path is concerned (records are entered only
    when the seed has them, so a record the rule reads never turns from unknown to known)."""
    out = dict(seed)
    for key, value in noise.items():
        path = prefix + key
        if not _related(path, protected):
            out[key] = value
        elif path not in protected and not any(path.startswith(p + ".") for p in protected) \
                and isinstance(seed.get(key), dict) and isinstance(value, dict):
            out[key] = _overlay(seed[key], value, protected, path + ".")
    return out


def set_path(profile: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``profile`` with ``path`` set (records created as needed); ``list[].field`` sets the
    field on every item of the list."""
    out = copy.deepcopy(profile)
    head, _, item_field = path.partition("[].")
    *parents, last = head.split(".")
    node = out
    for part in parents:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    if item_field:
        for item in node.get(last) or []:
            item[item_field] = value
    else:
        node[last] = value
    return out


def drop_path(profile: dict[str, Any], path: str) -> dict[str, Any] | None:
    """A copy of ``profile`` without ``path``; None when it has no such value."""
    out = copy.deepcopy(profile)
    *parents, last = path.split(".")
    node: Any = out
    for part in parents:
        node = node.get(part) if isinstance(node, dict) else None
    if not isinstance(node, dict) or last not in node:
        return None
    del node[last]
    return out


def _shift_dates(value: Any, move: Callable[[date], date]) -> Any:
    if isinstance(value, dict):
        return {k: _shift_dates(v, move) for k, v in value.items()}
    if isinstance(value, list):
        return [_shift_dates(v, move) for v in value]
    return move(value) if isinstance(value, date) else value


def _moved(profile: dict[str, Any], from_day: date, to_day: date) -> Iterator[dict[str, Any]]:
    """A test profile written for ``from_day``, for ``to_day``: as is, then its dates moved by the
    same number of months, then by the same number of days."""
    yield profile
    if from_day != to_day:
        months = (to_day.year - from_day.year) * 12 + to_day.month - from_day.month
        yield _shift_dates(profile, lambda d: add_months(d, months))
        yield _shift_dates(profile, lambda d: d + (to_day - from_day))


# -- the rule's own decision ------------------------------------------------------------------------
@lru_cache(maxsize=256)
def rule_engine(rule: Rule) -> Engine:
    """An engine holding ``rule`` alone, so its status is its own decision (no exclusive group)."""
    return Engine(RuleSet([rule], [rule.source.document], f"single:{rule.id}:{id(rule)}"))


def rule_status(rule: Rule, profile: dict[str, Any], as_of: date) -> str:
    """The rule's own status for ``profile`` at ``as_of``: eligible, ineligible, undetermined or out_of_scope."""
    ev = rule_engine(rule).evaluate(profile, as_of)
    return ev.results[0].status.value if ev.results else "out_of_scope"


def field_step(path: str) -> Any:
    """The smallest change of a field's value that matters: 1 day, 1 person, 0.0001 of a rate, else 0.01."""
    t = registry()[path].type
    if t.kind == "date":
        return timedelta(days=1)
    if t.kind == "number" and t.unit in ("person", "count"):
        return 1
    return Decimal("0.0001") if t.unit == "rate" else FEN


def field_value(path: str, value: Any) -> Any:
    """A threshold value in the form the profile field takes (a head count is an int)."""
    t = registry()[path].type
    return int(value) if t.kind == "number" and t.unit in ("person", "count") else value


def _violations(path: str, op: str, value: Any) -> list[Any]:
    """Values of ``path`` that make ``path op value`` false."""
    spec = registry().get(path)
    if spec is None:
        return []
    if op in ("in", "==", "!=", "under"):
        if op == "!=":
            return [value]
        if spec.type.kind == "enum":
            wanted = value if op == "in" else {value}
            return [v for v in spec.type.values if v not in wanted][:1]
        if op == "under" and spec.type.code == "industry":
            return [s for s in SECTIONS if not any(c.startswith(s) or s.startswith(c) for c in value)][:1]
        if op == "under" and spec.type.code == "region":
            return [p for p in sorted(PROVINCES) if not any(p.startswith(c[:2]) for c in value)][:1]
        return []
    if isinstance(value, (bool, str)):
        return []
    step = field_step(path)
    if op == ">=":
        return [field_value(path, value - step)]
    if op == "<=":
        return [field_value(path, value + step)]
    return [field_value(path, value)] if op in (">", "<") else []


def _bool_compare(node: x.Node) -> tuple[str, bool] | None:
    """``field == true`` / ``field != false`` and the like, as (path, the value that holds)."""
    inner = node.item if isinstance(node, x.Clause) else node
    if isinstance(inner, x.Compare) and len(inner.ops) == 1 and inner.ops[0] in ("==", "!="):
        a, b = inner.operands
        if isinstance(a, x.Field) and isinstance(b, x.Literal) and isinstance(b.value, bool):
            return a.path, b.value == (inner.ops[0] == "==")
    return None


def violated(rule: Rule, profile: dict[str, Any], as_of: date) -> Iterator[dict[str, Any]]:
    """``profile`` with exactly one of the rule's conditions (its top-level conjuncts) made false."""
    for conjunct in conjuncts(rule.when):
        for path, op, value in constraints(fold(conjunct, rule, as_of)):
            for bad in _violations(path, op, value):
                yield set_path(profile, path, bad)
        flag = _bool_compare(conjunct)
        if flag is not None:
            yield set_path(profile, flag[0], not flag[1])
        for window in date_windows(conjunct, rule, as_of):
            yield set_path(profile, window.path, window.outside)


def dropped(rule: Rule, profile: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """``profile`` with exactly one fact the rule reads (or a record holding it) left out."""
    seen: set[str] = set()
    for path in sorted(read_paths(rule)):
        parts = path.split(".")
        for depth in range(len(parts), 0, -1):
            candidate = ".".join(parts[:depth])
            if candidate not in seen:
                seen.add(candidate)
                out = drop_path(profile, candidate)
                if out is not None:
                    yield out


def _unique(profiles_: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen, out = set(), []
    for p in profiles_:
        key = repr(sorted(p.items(), key=lambda kv: kv[0]))
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def seed_profiles(rule: Rule, status: str, as_of: date | None = None) -> list[dict[str, Any]]:
    """Profiles the rule decides ``status`` at ``as_of``, built from its tests: the test profiles
    themselves, eligible ones with exactly one condition violated, and ones with exactly one read
    fact dropped — each kept only when the engine agrees. Deterministic; may be empty."""
    if status not in STATUSES:
        raise EligibilityError(f"状态应为 {'、'.join(STATUSES)} 之一，实际为 {status!r}",
                               f"status must be one of {', '.join(STATUSES)}, got {status!r}")
    day = as_of or default_as_of(rule)
    by_status: dict[str, list[dict[str, Any]]] = {s: [] for s in (*STATUSES, "out_of_scope")}
    for test in rule.tests:
        for candidate in _moved(dict(test.profile), test.as_of, day):
            got = _safe_status(rule, candidate, day)
            if got is not None:
                by_status[got].append(candidate)
                if got == status:
                    break
    base = _unique(by_status["eligible"])
    if status == "eligible":
        return base
    derived = [p for b in base for p in violated(rule, b, day)] if status == "ineligible" else \
        [p for b in base + _unique(by_status["ineligible"]) for p in dropped(rule, b)]
    extra = [p for p in derived if _safe_status(rule, p, day) == status]
    return _unique(by_status[status] + extra)


def _safe_status(rule: Rule, profile: dict[str, Any], as_of: date) -> str | None:
    try:
        return rule_status(rule, profile, as_of)
    except EligibilityError:
        return None  # a test profile that does not validate decides nothing


def profiles_for(rule: Rule, status: str, as_of: date | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """Profiles the rule decides ``status`` (eligible, ineligible, undetermined) at ``as_of`` (default:
    ``default_as_of(rule)``): a seed from ``seed_profiles`` with random values for the facts the rule
    does not read. Raises EligibilityError at once when the rule's tests give nothing to build from."""
    day = as_of or default_as_of(rule)
    seeds = seed_profiles(rule, status, day)
    if not seeds:
        raise EligibilityError(
            f"无法为规则 {rule.id} 构造 {day} 时状态为 {status} 的画像：其示例测试中没有可作起点的画像"
            "（请补充符合与待定/不符合的示例）",
            f"cannot build a profile that rule {rule.id} finds {status} on {day}: its tests give no profile to "
            "start from (add an eligible example, and an ineligible or undetermined one)",
            rule_id=rule.id, status=status)
    protected = read_paths(rule)

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        seed = draw(st.sampled_from(seeds))
        varied = _overlay(seed, draw(profiles(missing=0.3, as_of=day)), protected)
        return varied if _safe_status(rule, varied, day) == status else copy.deepcopy(seed)

    return build()
