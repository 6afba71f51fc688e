"""Hypothesis strategies: random profiles are valid and realistic; profiles_for gives what it promises."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eligibility as el
from ruletext import rule_yaml
from eligibility.errors import EligibilityError
from eligibility.facts.codes import is_valid_region, parse_uscc
from eligibility.facts.profile import registry
from eligibility.facts.profile import Profile
from eligibility.testing.strategies import default_as_of, profiles, profiles_for, read_paths, seed_profiles

EXAMPLES = el.load_rules("examples")
ENGINE = el.Engine(EXAMPLES)


def _leaves(data: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """(registry path, value) of every leaf of a profile dict (list items as ``list[].field``)."""
    out: list[tuple[str, Any]] = []
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            out += _leaves(value, path + ".")
        elif isinstance(value, list):
            out += [leaf for item in value for leaf in _leaves(item, path + "[].")]
        else:
            out.append((path, value))
    return out


@given(profiles())
def test_every_profile_validates_with_valid_codes_and_exact_money(data: dict[str, Any]) -> None:
    profile = Profile.from_data(data)
    if "uscc" in data:
        assert parse_uscc(data["uscc"]).code == profile.uscc
    if "region_code" in data:
        assert is_valid_region(data["region_code"])
    for path, value in _leaves(data):
        if registry()[path].type.kind == "money":
            assert isinstance(value, (Decimal, str)), (path, value)  # never a float


@settings(max_examples=30)
@given(profiles(missing=0.0, as_of=date(2024, 6, 30)))
def test_without_missing_every_firm_field_is_given_and_dates_are_not_after_as_of(data: dict[str, Any]) -> None:
    firm_fields = {p for p in registry() if "." not in p and "[]" not in p} - {"scenario"}
    assert set(data) - {"scenario"} == firm_fields
    Profile.from_data(data)
    assert all(v <= date(2024, 6, 30) for p, v in _leaves(data) if isinstance(v, date) and not p.endswith("expires_on"))


@settings(max_examples=30)
@given(profiles(missing=1.0))
def test_with_everything_missing_only_matters_remain(data: dict[str, Any]) -> None:
    assert set(data) <= {"scenario"}
    Profile.from_data(data)


def test_profiles_cover_nested_records_depths_and_money_forms() -> None:
    seen: dict[str, set[Any]] = {"depth": set(), "money": set(), "paths": set()}

    @settings(max_examples=200, database=None, derandomize=True)
    @given(profiles(missing=0.05))
    def collect(data: dict[str, Any]) -> None:
        if "industry_code" in data:
            seen["depth"].add(len(data["industry_code"]))
        seen["money"] |= {type(v).__name__ + ("万" if str(v).endswith("万") else "")
                          for p, v in _leaves(data) if registry()[p].type.kind == "money"}
        seen["paths"] |= {p for p, _ in _leaves(data)}

    collect()
    assert seen["depth"] == {1, 3, 4, 5}  # section, division, group, class
    assert {"Decimal", "str", "str万"} <= seen["money"]
    for path in ("registers.above_scale_industrial.new_build", "certifications[].certified_on",
                 "scenario.procurement.budget", "scenario.loan.lpr", "hires.min_contract_years", "vehicles[].type"):
        assert path in seen["paths"], path


CASES = [
    ("examples.kailu.bid-bond-waiver", "eligible"),
    ("examples.kailu.bid-bond-waiver", "ineligible"),
    ("examples.kailu.bid-bond-waiver", "undetermined"),  # the rule's tests have no undetermined example
    ("examples.puer.new-industrial", "eligible"),
    ("examples.puer.new-industrial", "ineligible"),
    ("examples.puer.new-industrial", "undetermined"),
    ("examples.puer.little-giant-national", "eligible"),
    ("examples.puer.little-giant-national", "undetermined"),
    ("examples.puer.specialised-municipal", "eligible"),  # its only eligible example is outranked in its group
    ("examples.tengger.small-low-profit-income-tax", "ineligible"),
    ("examples.tengger.small-low-profit-income-tax", "undetermined"),
    ("examples.tengger.small-scale-vat-exemption", "eligible"),
]


@pytest.mark.parametrize(("rule_id", "status"), CASES)
def test_profiles_for_get_that_status_from_the_engine(rule_id: str, status: str) -> None:
    rule = EXAMPLES[rule_id]
    as_of = default_as_of(rule)

    @settings(max_examples=15)
    @given(profiles_for(rule, status))
    def check(data: dict[str, Any]) -> None:
        result = next(r for r in ENGINE.evaluate(data, as_of).results if r.rule_id == rule_id)
        # with the whole rule set an eligible firm may be outranked in its exclusive group
        assert result.status.value in ({status, "superseded"} if status == "eligible" else {status})
        if status == "undetermined":
            assert result.missing

    check()


def test_profiles_for_vary_the_facts_the_rule_does_not_read() -> None:
    rule = EXAMPLES["examples.kailu.bid-bond-waiver"]
    seeds = seed_profiles(rule, "eligible")
    extra: set[str] = set()

    @settings(max_examples=40, database=None)
    @given(profiles_for(rule, "eligible"))
    def collect(data: dict[str, Any]) -> None:
        assert all(data.get(k) == v for k, v in seeds[0].items() if k in read_paths(rule))
        extra.update(set(data) - set(seeds[0]))

    collect()
    assert len(extra) >= 10  # firm facts drawn around the matter the rule reads


def test_ineligible_and_undetermined_are_built_from_a_single_eligible_example(make_rules) -> None:
    tests = """\
    tests:
      - {name: ok, as_of: 2024-06-30, profile: {revenue: 2500万, employees: 120}, expect: {status: eligible}}
    """
    rule = make_rules(rule_yaml("s.one", "[revenue >= 2000万, employees <= 300]", extra=tests))["s.one"]
    ineligible = seed_profiles(rule, "ineligible")
    assert {"revenue": Decimal("19999999.99"), "employees": 120} in ineligible  # one condition violated, by a fen
    assert {"revenue": "2500万", "employees": 301} in ineligible
    assert {"employees": 120} in seed_profiles(rule, "undetermined")  # one read fact dropped

    @settings(max_examples=10)
    @given(st.sampled_from(["ineligible", "undetermined"]).flatmap(
        lambda s: st.tuples(st.just(s), profiles_for(rule, s))))
    def check(pair: tuple[str, dict[str, Any]]) -> None:
        status, data = pair
        (result,) = el.Engine(el.load_rules(rule.file)).evaluate(data, "2024-06-30").results
        assert result.status == status

    check()


def test_profiles_for_refuses_clearly_when_nothing_can_be_built(make_rules) -> None:
    rule = make_rules(rule_yaml("s.untested", '"revenue >= 2000万"'))["s.untested"]
    with pytest.raises(EligibilityError) as err:
        profiles_for(rule, "eligible")
    assert "s.untested" in err.value.zh and "tests give no profile" in err.value.en
    with pytest.raises(EligibilityError, match="status must be one of"):
        seed_profiles(EXAMPLES["examples.puer.new-industrial"], "superseded")


def test_profiles_for_another_date_moves_the_examples_dates() -> None:
    rule = EXAMPLES["examples.puer.new-industrial"]  # examples dated 2024: entered the register that year

    @settings(max_examples=10)
    @given(profiles_for(rule, "eligible", as_of=date(2025, 9, 30)))
    def check(data: dict[str, Any]) -> None:
        assert data["registers"]["above_scale_industrial"]["entered_on"].year == 2025
        result = next(r for r in ENGINE.evaluate(data, "2025-09-30").results if r.rule_id == rule.id)
        assert result.status == "eligible"

    check()
