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
import math
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from statistics import NormalDist
from typing import Any

try:
    from hypothesis import strategies as st
except ImportError as exc:  # hypothesis is the [testing] extra: only these strategies need it
    raise ImportError(
        "eligibility.testing 的画像生成策略需要 hypothesis：请安装 pip install 'eligibility[testing]'。"
        " The profile strategies of eligibility.testing need hypothesis: pip install 'eligibility[testing]'."
    ) from exc

from ..backends.interpreter.ops import add_months
from ..errors import EligibilityError
from ..facts.codes import DIVISIONS, PROVINCES, REGION_NAMES, SECTIONS, check_character
from ..facts.codes.uscc import ALPHABET, org_code_check_character
from ..model.rule import Rule
from .seeds import FEN, _overlay, _safe_status, default_as_of, read_paths, seed_profiles

__all__ = ["default_as_of", "profiles", "profiles_for", "read_paths", "seed_profiles"]

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
    b.put(out, "certifications_listed", st.lists(_certification(max(founded, date(2012, 1, 1)), latest), max_size=2))
    b.put(out, "certification_coverage", st.lists(_coverage_cell(latest), max_size=3))
    b.put(out, "attestations", st.lists(st.fixed_dictionaries(
        {"field": st.sampled_from(("employees", "revenue", "tax_credit_rating")),
         "by": st.sampled_from(("王芳", "李明"))}, optional={"on": _days(date(2020, 1, 1), latest)}), max_size=1))
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
def _coverage_cell(draw: st.DrawFn, latest: date) -> dict[str, Any]:
    """What a complete department list states: a kind, a level (or every level), a year of certifications."""
    year = draw(st.integers(2019, latest.year))
    out: dict[str, Any] = {"kind": draw(st.sampled_from(("high_tech", "specialised_sme", "little_giant",
                                                         "single_champion"))),
                           "certified_from": date(year, 1, 1), "certified_to": min(date(year, 12, 31), latest)}
    if draw(st.integers(0, 3)):
        out["level"] = draw(st.sampled_from(("national", "provincial", "municipal")))
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
