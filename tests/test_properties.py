"""Property tests: the compiled decision path agrees with the explaining interpreter on random
profiles; random expressions over random profiles raise nothing but the library's own errors."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

import eligibility as el
from eligibility.backends.interpreter.trace import Env, evaluate
from eligibility.errors import EligibilityError
from eligibility.lang.check import check_expression
from eligibility.lang.parser import parse_expression

EXAMPLES = el.load_rules("examples")
ENGINE = el.Engine(EXAMPLES)

money = st.one_of(st.integers(0, 10**9).map(Decimal), st.sampled_from(
    [Decimal(0), Decimal(19_999_999), Decimal(20_000_000), Decimal(3_000_000), Decimal(50_000_000)]))
days = st.dates(date(2019, 1, 1), date(2026, 12, 31))
maybe = lambda s: st.one_of(st.none(), s)  # noqa: E731 - None means "leave the field out"

register = st.fixed_dictionaries({}, optional={
    "entered_on": days, "left_on": st.one_of(st.none(), days), "first_entry": st.booleans(), "new_build": st.booleans()})
certification = st.fixed_dictionaries(
    {"kind": st.sampled_from(["high_tech", "little_giant", "specialised_sme", "specialised_growth", "single_champion"])},
    optional={"level": st.sampled_from(["national", "provincial", "municipal"]), "certified_on": days})

profiles = st.fixed_dictionaries({}, optional={
    "region_code": st.sampled_from(["530802", "530800", "530102", "150523", "152921"]),
    "industry_code": st.sampled_from(["C", "C30", "C3011", "B06", "F51", "H62", "J66", "A01"]),
    "employees": st.integers(0, 2000),
    "revenue": money, "total_assets": money, "taxable_income": money,
    "registers": st.fixed_dictionaries({}, optional={"above_scale_industrial": register}),
    "certifications": st.lists(certification, max_size=3),
    "benefits_received": st.lists(st.fixed_dictionaries({
        "rule_id": st.sampled_from(sorted(EXAMPLES)), "year": st.integers(2022, 2026)}), max_size=2),
    "restricted_industry": st.booleans(),
})


@given(profiles, days)
def test_compiled_path_agrees_with_interpreter(profile: dict[str, Any], as_of: date) -> None:
    ev = ENGINE.evaluate(profile, as_of)
    explained = [(r.rule_id, r.status.value, r.amount, r.superseded_by) for r in ev.results]
    decided = [(d.rule_id, d.status.value, d.amount, d.superseded_by) for d in ENGINE.decide(profile, as_of)]
    assert explained == decided
    for r in ev.results:
        r.explain("zh")
        r.explain("en")  # rendering never fails
        if r.status == "undetermined":
            assert r.missing, r.rule_id  # an undetermined result always names what is missing


ATOMS = ["revenue", "employees", "total_assets", "taxable_income", "registered_on", "industry_code", "region_code",
         "vat_taxpayer", "is_industrial", "restricted_industry", "50万", "300", "25%", "2024-01-01", '"C"', "none",
         "12 months", "as_of", "registers.above_scale_industrial.entered_on", "true"]
OPS = ["and", "or", ">=", "<", "==", "!=", "+", "-", "*", "/", "in", "under"]


@st.composite
def expressions(draw: st.DrawFn, depth: int = 3) -> str:
    if depth == 0 or draw(st.booleans()):
        atom = draw(st.sampled_from(ATOMS))
        return draw(st.sampled_from([atom, f"not {atom}", f"known({atom})", f"within({atom}, 12 months)",
                                     f"min({atom}, 1元)", f"[{atom}]", f"({atom})"]))
    op = draw(st.sampled_from(OPS))
    return f"{draw(expressions(depth - 1))} {op} {draw(expressions(depth - 1))}"


@given(expressions(), profiles, days)
def test_random_expressions_raise_only_library_errors(text: str, profile: dict[str, Any], as_of: date) -> None:
    try:
        node, _ = check_expression(parse_expression(text), {})
    except EligibilityError:
        return  # refused at load, with a message: fine
    facts = el.Profile.from_data(profile).facts()
    evaluate(node, Env(facts, as_of, {}))  # must not raise anything at all once type-checked


@given(st.text(max_size=40))
def test_arbitrary_text_raises_only_library_errors(text: str) -> None:
    try:
        check_expression(parse_expression(text), {})
    except EligibilityError:
        pass


@given(st.dates(date(2000, 1, 1), date(2030, 12, 31)), st.integers(0, 40))
def test_month_arithmetic_clamps(d: date, months: int) -> None:
    from eligibility.backends.interpreter.ops import add_months

    back = add_months(d, -months)
    assert back <= d
    assert (d.year * 12 + d.month) - (back.year * 12 + back.month) == months
    assert back.day == d.day or back.day < d.day and (back + timedelta(days=1)).day == 1


BUNDLED_ENGINE = el.Engine(el.load_rules())


@given(st.data(), st.sampled_from([date(2020, 6, 30), date(2021, 6, 30), date(2023, 3, 1), date(2024, 6, 30),
                                   date(2025, 6, 30)]))
def test_compiled_path_agrees_on_the_bundled_packs(data: st.DataObject, as_of: date) -> None:
    from eligibility.testing import profiles as shipped_profiles

    profile = data.draw(shipped_profiles(as_of=as_of))
    ev = BUNDLED_ENGINE.evaluate(profile, as_of)
    explained = [(r.rule_id, r.status.value, r.amount, r.superseded_by) for r in ev.results]
    decided = [(d.rule_id, d.status.value, d.amount, d.superseded_by) for d in BUNDLED_ENGINE.decide(profile, as_of)]
    assert explained == decided
