"""The vectorized derived facts equal the scalar ones row by row; table_from_facts is exact."""

from __future__ import annotations

import dataclasses

import random
from collections.abc import Hashable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eligibility.backends.vectorized import derived
from eligibility.backends.vectorized.columns import EPOCH_ORDINAL, Col, Table
from eligibility.backends.vectorized.derived import INT64_MAX, INT64_MIN, derived_column, derived_columns
from eligibility.backends.vectorized.fromfacts import table_from_facts
from eligibility.errors import EligibilityError
from eligibility.facts.derivation import Classes, DerivedFact, Points
from eligibility.facts.derived import DERIVED, DerivedValue, evaluate_derived
from eligibility.facts.flatten import UNKNOWN, Facts
from eligibility.facts.profile import Profile, registry
from eligibility.facts.scale import FIGURES, SCALE_STANDARDS, threshold
from eligibility.facts.tax_classes import SMALL_LOW_PROFIT_LIMITS
from eligibility.model.types import Type
from eligibility.testing import profiles

AS_OF = (date(2010, 1, 1), date(2019, 6, 30), date(2022, 12, 31), date(2023, 1, 1), date(2024, 6, 30),
         date(2028, 1, 1))
FEN = Decimal("0.01")

INDUSTRY_CODES = (
    "A", "A01", "B", "B06", "C", "C30", "C3011", "D", "D44", "E", "E47", "F", "F51", "F52", "F5212", "G", "G53",
    "G54", "G5411", "G59", "G60", "H", "H61", "H62", "I", "I63", "I64", "I65", "J", "J66", "K", "K70", "K701",
    "K702", "K703", "K709", "L", "L72", "M", "M73", "O", "T",
)


# -- helpers ------------------------------------------------------------------------------------
def facts_of(data: list[dict[str, Any]]) -> list[Facts]:
    return [Profile.from_data(d).facts() for d in data]


def fresh(facts: Facts) -> Facts:
    """The same facts without a derived cache (the scalar result is computed anew)."""
    return Facts(dict(facts.values), dict(facts.presumed))


def cell(col: Col, i: int) -> Any:
    """Row ``i`` of a derived Col as the scalar API gives it."""
    known = col.known[i] if np.ndim(col.known) else col.known
    if not known:
        return UNKNOWN
    value = col.val[i] if np.ndim(col.val) else col.val
    return bool(value) if col.kind == "bool" else value


def assert_same(facts: list[Facts], dates: tuple[date, ...] = AS_OF, names: tuple[str, ...] = tuple(DERIVED),
                table: Table | None = None) -> None:
    table = table if table is not None else table_from_facts(facts)
    for as_of in dates:
        columns = derived_columns(names, table, as_of)
        for name in names:
            col = columns[name]
            assert col.kind == ("bool" if DERIVED[name].type.kind == "bool" else "str")
            assert len(col.val) == len(facts)
            for i, f in enumerate(facts):
                expected = evaluate_derived(name, fresh(f), as_of).value
                got = cell(col, i)
                assert (got is UNKNOWN) == (expected is UNKNOWN) and (got is UNKNOWN or got == expected), (
                    name, as_of, i, expected, got, {p: f.values.get(p, UNKNOWN) for p in DERIVED[name].reads})


# -- differential: random profiles ----------------------------------------------------------------
def undeclared() -> Any:
    """Critical points withdrawn for a while: every derived fact falls back to every distinct value as a code."""
    class Emptied:
        def __enter__(self) -> None:
            self.saved = dict(DERIVED)
            for name, fact in self.saved.items():
                DERIVED[name] = dataclasses.replace(fact, critical=None)

        def __exit__(self, *exc: object) -> None:
            DERIVED.update(self.saved)

    return Emptied()


# drawing a random profile is the slow part: few examples of a few profiles each (never more than the
# project's hypothesis profile asks for)
@settings(max_examples=min(settings.default.max_examples, 20))
@given(st.lists(profiles(missing=0.3), min_size=1, max_size=4))
def test_random_profiles_match_scalar(data: list[dict[str, Any]]) -> None:
    facts = facts_of(data)
    assert_same(facts)
    with undeclared():  # the generic fallback is exact too, only slower
        assert_same(facts, dates=(date(2010, 1, 1), date(2024, 6, 30)))


# -- differential: at and beside every critical point ---------------------------------------------
def _scale_points() -> dict[str, list[Any]]:
    out: dict[str, set[Any]] = {f: set() for f in FIGURES}
    for standard in SCALE_STANDARDS:
        for row in standard.rows.values():
            for _, bounds in row.ranked():
                for figure, bound in bounds:
                    out[figure].add(threshold(figure, bound))
    for limits in SMALL_LOW_PROFIT_LIMITS:
        out["employees"].add(limits.max_employees)
        out["total_assets"].add(limits.max_total_assets)
    return {f: sorted(v) for f, v in out.items()}


def _beside(figure: str, point: Any) -> list[Any]:
    step = 1 if figure == "employees" else FEN
    return [v for v in (point - step, point, point + step) if v >= 0]


def boundary_profiles() -> list[dict[str, Any]]:
    """Each figure at, one unit below and one above every bound, for every kind of industry code."""
    rng = random.Random(20240630)
    points = _scale_points()
    income = sorted({t.max_taxable_income for t in SMALL_LOW_PROFIT_LIMITS})
    out: list[dict[str, Any]] = []
    for code in INDUSTRY_CODES:
        for figure in FIGURES:
            for point in points[figure]:
                for value in _beside(figure, point):
                    data: dict[str, Any] = {"industry_code": code, figure: value}
                    for other in FIGURES:
                        if other != figure and rng.random() < 0.8:
                            data[other] = rng.choice(_beside(other, rng.choice(points[other])))
                    out.append(data)
    for figure, limits in (("taxable_income", income), ("employees", [300]), ("total_assets", [Decimal(50_000_000)])):
        for point in limits:
            for value in (*_beside(figure, point), *((-point,) if figure != "employees" else ())):  # no negative head count
                for restricted in (True, False, None):
                    data = {figure: value}
                    if restricted is not None:
                        data["restricted_industry"] = restricted
                    for other in ("taxable_income", "employees", "total_assets"):
                        if other != figure and rng.random() < 0.7:
                            near = income if other == "taxable_income" else points[other]
                            data[other] = rng.choice(_beside(other, rng.choice(near))) if other != "taxable_income" \
                                else rng.choice([*_beside(other, near[0]), Decimal(-5)])
                    out.append(data)
    return out


def register_profiles(as_of: date) -> list[dict[str, Any]]:
    """Register entries with dates at, before and after ``as_of``, still in (None) or left unknown."""
    day = timedelta(days=1)
    dates = (as_of - day, as_of, as_of + day)
    out: list[dict[str, Any]] = [{}, {"registers": {}}]
    for register in ("above_scale_industrial", "above_quota_trade"):
        out.append({"registers": {register: {}}})
        for entered in (*dates, "unknown"):
            for left in (*dates, None, "absent"):
                entry: dict[str, Any] = {}
                if entered != "unknown":
                    entry["entered_on"] = entered
                if left != "absent":
                    entry["left_on"] = left
                out.append({"registers": {register: entry}, "industry_code": "C3011" if register[6] == "s" else "F52",
                            "revenue": Decimal(20_000_000)})
    return out


def test_at_and_beside_critical_points() -> None:
    facts = facts_of(boundary_profiles())
    assert_same(facts, dates=(date(2010, 1, 1), date(2024, 6, 30), date(2028, 1, 1)),
                names=("scale", "is_sme", "is_small_or_micro", "is_small_low_profit", "is_industrial"))
    assert_same(facts, dates=(date(2019, 6, 30),), names=("is_small_low_profit",))


@pytest.mark.parametrize("ratio", [0, 10**9], ids=["hashed", "dense"])
def test_rows_grouped_by_hashed_or_dense_keys_alike(monkeypatch: pytest.MonkeyPatch, ratio: int) -> None:
    """Whether the rows' keys are hashed (few rows, many combinations of codes) or index an array of
    every combination, each row gets the scalar value and the scalar missing facts."""
    monkeypatch.setattr(derived, "SPARSE_RATIO", ratio)
    data = boundary_profiles()[::7]
    facts = facts_of(data)
    table = table_from_facts(facts)
    names = ("scale", "is_small_or_micro", "is_small_low_profit")
    assert_same(facts, dates=(date(2010, 1, 1), date(2024, 6, 30)), names=names, table=table)
    for name in names:
        found = {path: mask for path, mask in derived.derived_missing(name, table, date(2024, 6, 30))}
        for i, f in enumerate(facts):
            expected = set(evaluate_derived(name, fresh(f), date(2024, 6, 30)).missing)
            got = {path for path, mask in found.items() if mask[i]}
            if evaluate_derived(name, fresh(f), date(2024, 6, 30)).value is UNKNOWN:
                assert got == expected, (name, i, data[i])
            else:
                assert not got, (name, i, data[i])


@pytest.mark.parametrize("rows", [3, 300, 5_000])
@pytest.mark.parametrize("span", [40, 100_000, 2**62], ids=["narrow", "wide", "huge"])
@pytest.mark.parametrize("count", [1, 6, 70], ids=["one-bound", "few-bounds", "many-bounds"])
def test_codes_of_points_are_a_binary_search_whichever_way_found(rows: int, span: int, count: int) -> None:
    """Whether by a table of the values' range, a count of comparisons or a binary search, a value's
    code is its binary search among the bounds (duplicates, negatives and the int64 edges too)."""
    rng = np.random.default_rng(rows + count)
    low = -span // 2
    values = rng.integers(low, low + span, rows, dtype=np.int64)
    picked = rng.choice(values, min(count, rows)).tolist()
    bounds = np.sort(np.array([*picked, *(v + 1 for v in picked[:count // 2]), *picked[:2]][:2 * count]
                              + rng.integers(low, low + span, max(0, count - rows)).tolist(), dtype=np.int64))
    if span == 2**62:
        values[:2] = [INT64_MIN, INT64_MAX]
    expected = np.searchsorted(bounds, values, "right") + 2
    got = derived._search(bounds, values)
    assert got.dtype == np.int64 and (got == expected).all()


def test_conditional_tables_kept_per_declaration_date_and_read() -> None:
    """A conditional table made once is given again only for the same declaration, date, read, points
    and classes; dates whose standards differ, read one after the other and back, keep their own."""
    derived._LUTS.clear()
    facts = facts_of(boundary_profiles()[::5])
    table = table_from_facts(facts)
    dates = (date(2012, 1, 1), date(2024, 6, 30), date(2012, 1, 1), date(2010, 1, 1), date(2028, 1, 1),
             date(2024, 6, 30))
    assert_same(facts, dates=dates, names=("scale", "is_small_or_micro"), table=table)
    assert {key[1] for key in derived._LUTS} == {date(2012, 1, 1), date(2024, 6, 30), date(2028, 1, 1)}
    own = derived._Code(np.zeros(1, np.int64), 7, points=[1, 5])
    given = derived._Code(np.zeros(1, np.int64), 4, classes=["a", "b"])
    read = Points((1, 5), given="g", within=lambda cls: [1] if cls == "a" else [5])
    other = Points((1, 5), given="g", within=lambda cls: [5])
    first = derived._conditional(own, given, read, ("decl", date(2024, 6, 30), "x"))
    assert derived._conditional(own, given, other, ("decl", date(2024, 6, 30), "x")) is first
    for meaning in (("decl", date(2024, 7, 1), "x"), ("other", date(2024, 6, 30), "x"),
                    ("decl", date(2024, 6, 30), "y")):
        made = derived._conditional(own, given, other, meaning)
        assert made is not first and (made != first).any()
    wider = derived._Code(np.zeros(1, np.int64), 9, points=[1, 5, 9])
    assert derived._conditional(wider, given, read, ("decl", date(2024, 6, 30), "x")).shape == (4, 9)
    assert not first.flags.writeable


@pytest.mark.parametrize("as_of", AS_OF)
def test_register_dates_at_as_of(as_of: date) -> None:
    assert_same(facts_of(register_profiles(as_of)), dates=(as_of,),
                names=("is_above_scale_industrial", "is_above_quota_trade"))


ENTERPRISE, INDIVIDUAL = "9144030071526726XG", "9244030071526726XD"


def test_uscc_prefixes() -> None:
    facts = facts_of([{"uscc": ENTERPRISE}, {"uscc": INDIVIDUAL}])
    facts += [Facts({"uscc": "9"}), Facts({"uscc": "92"}), Facts({"uscc": None}), Facts({})]
    assert_same(facts, dates=(date(2024, 6, 30),), names=("is_individual_business",))


def test_known_empty_and_presumed_inputs() -> None:
    facts = [
        Facts({"industry_code": "C3011", "employees": None, "revenue": None, "total_assets": Decimal(1)}),
        Facts({"industry_code": None, "employees": 5}),
        Facts({"restricted_industry": None, "taxable_income": Decimal(1), "employees": 1, "total_assets": Decimal(1)}),
        Facts({"restricted_industry": False, "taxable_income": Decimal(1), "employees": 1,
               "total_assets": Decimal(1)}),
        Facts({"registers": True, "registers.above_scale_industrial": None,
               "registers.above_scale_industrial.entered_on": None}),
        Facts({"registers.above_quota_trade": True, "registers.above_quota_trade.entered_on": None,
               "registers.above_quota_trade.left_on": None}),
    ]
    assert_same(facts)


def test_error_rows_never_raise() -> None:
    facts = facts_of([{"industry_code": "C3011", "employees": 50, "revenue": Decimal(30_000_000)},
                      {"uscc": INDIVIDUAL, "industry_code": "F52"}])
    facts += [Facts({"industry_code": "not a code", "uscc": "??", "employees": 3})]
    table = table_from_facts(facts)
    table.error[2] = "第3行有误 / row 3 is invalid"
    table.cols["registers.above_scale_industrial.entered_on"].val[2] = 10**12  # no such date
    table.cols["registers.above_scale_industrial.entered_on"].known[2] = True
    table.cols["industry_code"].val[2] = ["unhashable"]
    for as_of in AS_OF:
        columns = derived_columns(tuple(DERIVED), table, as_of)
        for name, col in columns.items():
            for i in range(2):
                expected = evaluate_derived(name, fresh(facts[i]), as_of).value
                got = cell(col, i)
                assert (got is UNKNOWN and expected is UNKNOWN) or got == expected, (name, as_of, i)


def test_bad_value_on_a_valid_row_raises_as_the_scalar_does() -> None:
    facts = [Facts({"industry_code": "not a code"})]
    with pytest.raises(Exception) as scalar:
        evaluate_derived("is_industrial", fresh(facts[0]), date(2024, 6, 30))
    with pytest.raises(type(scalar.value)):
        derived_column("is_industrial", table_from_facts(facts), date(2024, 6, 30))


def test_classes_kept_across_tables_never_a_failure_nor_across_types() -> None:
    """A value's class is kept per class function across tables; a value the function refuses is
    refused again in the next table, and a value is kept apart from an equal one of another type."""
    bad = [Facts({"industry_code": "not a code"})]
    for _ in range(2):
        with pytest.raises(EligibilityError):
            derived_column("is_industrial", table_from_facts(bad), date(2024, 6, 30))
        assert_same(facts_of([{"industry_code": "C3011"}, {"industry_code": "F52"}]), dates=(date(2024, 6, 30),),
                    names=("is_industrial",))
    seen: list[Any] = []

    def key(value: Any) -> Hashable:
        seen.append(value)
        return type(value).__name__

    kept = derived._class_keys(key)
    kept.clear()
    encoder = derived._Encoder(table_from_facts([Facts({"restricted_industry": True}), Facts({})]))
    flags = encoder.classes("restricted_industry", Classes(key))
    assert flags.classes == ["bool"] and (type(True), True) in kept
    assert kept.get((int, 1), None) is None
    assert derived._class_keys(key) is kept
    again = derived._Encoder(table_from_facts([Facts({"restricted_industry": True})]))
    again.classes("restricted_industry", Classes(key))
    assert seen.count(True) == 1


def test_undeclared_fact_reading_a_list() -> None:
    """A derived fact with no declaration, reading a list, goes through the generic fallback."""

    def compute(facts: Facts, as_of: date) -> DerivedValue:
        certs = facts.get("certifications")
        if certs is UNKNOWN:
            return DerivedValue(UNKNOWN, ("certifications",))
        live = [c for c in certs if c.get("expires_on") is None or c["expires_on"] >= as_of]
        return DerivedValue(f"{len(live)}:{sorted(c['kind'] for c in live)}")

    DERIVED["test_live_certifications"] = DerivedFact("test_live_certifications", Type("str"), "测试", "test",
                                                      ("certifications",), compute)
    try:
        day = date(2024, 6, 30)
        facts = facts_of([
            {"certifications": [{"kind": "high_tech", "certified_on": date(2021, 3, 1),
                                 "expires_on": date(2024, 6, 30)}, {"kind": "tech_sme", "expires_on": None}]},
            {"certifications": [{"kind": "high_tech", "expires_on": date(2024, 6, 29)}]},
            {"certifications": []}, {}, {"certifications": [{"kind": "tech_sme", "expires_on": None}]},
        ])
        assert_same(facts, dates=(day, date(2023, 1, 1)), names=("test_live_certifications",))
    finally:
        del DERIVED["test_live_certifications"]


def test_empty_table() -> None:
    table = table_from_facts([])
    for name in DERIVED:
        col = derived_column(name, table, date(2024, 6, 30))
        assert len(col.val) == 0 and len(col.known) == 0


def test_many_rows_broadcast_from_few() -> None:
    facts = facts_of(boundary_profiles()[:200])
    small = table_from_facts(facts)
    index = np.random.default_rng(0).integers(0, small.n, 5_000)
    big = Table(len(index), np.arange(1, len(index) + 1), small.entity[index], np.full(len(index), None, object),
                {p: c.take(index) for p, c in small.cols.items()}, {},
                {p: m[index] for p, m in small.presumed.items()})
    for name in ("scale", "is_small_low_profit"):
        few = derived_column(name, small, date(2024, 6, 30))
        many = derived_column(name, big, date(2024, 6, 30))
        assert (many.known == few.known[index]).all()
        assert (many.val == few.val[index]).all()


def test_unknown_derived_fact() -> None:
    with pytest.raises(Exception, match="unknown derived fact"):
        derived_column("is_giant", table_from_facts([]), date(2024, 6, 30))


# -- table_from_facts ---------------------------------------------------------------------------
def test_money_is_exact_fen() -> None:
    facts = [Facts({"revenue": Decimal("19999999.99"), "total_assets": Decimal("-0.01"), "taxable_income": None}),
             Facts({"revenue": Decimal(20_000_000)}), Facts({})]
    t = table_from_facts(facts)
    revenue = t.cols["revenue"]
    assert (revenue.kind, revenue.scale) == ("int", 2)
    assert revenue.val.dtype == np.int64
    assert revenue.val.tolist() == [1_999_999_999, 2_000_000_000, 0]
    assert revenue.known.tolist() == [True, True, False]
    assert revenue.null.tolist() == [False, False, False]
    assert t.cols["total_assets"].val.tolist() == [-1, 0, 0]
    income = t.cols["taxable_income"]
    assert income.known.tolist() == [True, False, False] and income.null.tolist() == [True, False, False]


def test_money_beyond_int64_fen_is_decimal() -> None:
    huge = Decimal(10**17)
    t = table_from_facts([Facts({"revenue": huge}), Facts({"revenue": Decimal("1.5")}), Facts({})])
    revenue = t.cols["revenue"]
    assert revenue.kind == "dec"
    assert revenue.val.tolist() == [huge, Decimal("1.5"), Decimal(0)]
    col = derived_column("scale", t, date(2024, 6, 30))
    assert cell(col, 0) is UNKNOWN  # no industry code


def test_numbers_dates_bools_texts() -> None:
    facts = facts_of([
        {"employees": 12, "registered_on": date(1970, 1, 2), "dishonest_record": True, "vat_taxpayer": "general",
         "hires": {"min_contract_years": "0.5"}, "power": {"transformer_kva": 315},
         "tech_transfer": {"evaluation_tier": 2}},
        {"employees": 0, "registered_on": date(1969, 12, 31), "dishonest_record": False,
         "hires": {"min_contract_years": 3}, "power": {"transformer_kva": "630"}},
        {},
    ])
    t = table_from_facts(facts)
    emp = t.cols["employees"]
    assert (emp.kind, emp.scale, emp.val.tolist(), emp.known.tolist()) == ("int", 0, [12, 0, 0], [True, True, False])
    reg = t.cols["registered_on"]
    assert reg.kind == "date" and reg.val.tolist() == [1, -1, 0]
    assert date.fromordinal(int(reg.val[0]) + EPOCH_ORDINAL) == date(1970, 1, 2)
    flag = t.cols["dishonest_record"]
    assert flag.kind == "bool" and flag.val.tolist() == [True, False, False] and flag.known.tolist() == [True, True, False]
    vat = t.cols["vat_taxpayer"]
    assert vat.kind == "str" and vat.val.tolist() == ["general", "", ""] and vat.known.tolist() == [True, False, False]
    years = t.cols["hires.min_contract_years"]
    assert years.kind == "dec" and years.val.tolist() == [Decimal("0.5"), Decimal(3), Decimal(0)]
    kva = t.cols["power.transformer_kva"]
    assert (kva.kind, kva.val.tolist()) == ("int", [315, 630, 0])
    tier = t.cols["tech_transfer.evaluation_tier"]
    assert (tier.kind, tier.scale, tier.val.tolist(), tier.known.tolist()) == ("int", 0, [2, 0, 0], [True, False, False])


def test_records_unknown_given_and_absent() -> None:
    facts = facts_of([
        {"registers": {"above_scale_industrial": {"entered_on": date(2020, 1, 1)}}},
        {"registers": {}},
        {},
    ])
    t = table_from_facts(facts)
    registers = t.cols["registers"]
    assert registers.kind == "bool"
    assert (registers.val.tolist(), registers.known.tolist(), registers.null.tolist()) == (
        [True, True, False], [True, True, False], [False, False, False])
    member = t.cols["registers.above_scale_industrial"]
    assert (member.val.tolist(), member.known.tolist(), member.null.tolist()) == (
        [True, False, False], [True, True, False], [False, True, False])
    left = t.cols["registers.above_scale_industrial.left_on"]  # presumed None: still in the register
    assert (left.known.tolist(), left.null.tolist()) == ([True, True, False], [True, True, False])
    assert t.presumed["registers.above_scale_industrial.left_on"].tolist() == [True, False, False]


def test_lists_unknown_empty_and_items() -> None:
    facts = facts_of([
        {"certifications": [{"kind": "high_tech", "certified_on": date(2021, 3, 1)},
                            {"kind": "tech_sme", "level": "provincial", "expires_on": None}]},
        {"certifications": []},
        {},
        {"certifications": [{"kind": "little_giant", "level": "national"}],
         "benefits_received": [{"rule_id": "x", "year": 2023, "amount": "1.05"}]},
    ])
    t = table_from_facts(facts)
    certs = t.lists["certifications"]
    assert certs.offsets.tolist() == [0, 2, 2, 2, 3]
    assert certs.known.tolist() == [True, True, False, True]
    assert certs.parent.tolist() == [0, 0, 3]
    kind = certs.items["kind"]
    assert kind.kind == "str" and kind.val.tolist() == ["high_tech", "tech_sme", "little_giant"]
    level = certs.items["level"]
    assert level.known.tolist() == [False, True, True] and level.val.tolist() == ["", "provincial", "national"]
    certified = certs.items["certified_on"]
    assert certified.kind == "date" and certified.known.tolist() == [True, False, False]
    assert certified.val[0] == date(2021, 3, 1).toordinal() - EPOCH_ORDINAL
    expires = certs.items["expires_on"]
    assert expires.known.tolist() == [False, True, False] and expires.null.tolist() == [False, True, False]
    benefits = t.lists["benefits_received"]
    assert benefits.known.tolist() == [False, False, False, True]
    assert benefits.items["amount"].val.tolist() == [105] and benefits.items["amount"].scale == 2
    assert benefits.items["year"].kind == "int" and benefits.items["year"].val.tolist() == [2023]


def test_rows_entity_error_presumed() -> None:
    facts = facts_of([{"uscc": ENTERPRISE}, {"restricted_industry": True}])
    t = table_from_facts(facts)
    assert t.n == 2 and t.row.tolist() == [1, 2] and t.row.dtype == np.int64
    assert t.entity.dtype == object and t.entity.tolist() == [ENTERPRISE, None]
    assert t.error.tolist() == [None, None] and t.valid().tolist() == [True, True]
    assert t.presumed["restricted_industry"].tolist() == [True, False]
    assert t.cols["restricted_industry"].val.tolist() == [False, True]
    t2 = table_from_facts(facts, rows=[7, 9], entity=["a", "b"])
    assert t2.row.tolist() == [7, 9] and t2.entity.tolist() == ["a", "b"]
    assert set(t.cols) == {p for p, s in registry().items() if "[]" not in p and s.type.kind != "list"}
    assert set(t.lists) == {p for p, s in registry().items() if s.type.kind == "list"}


@given(st.lists(st.one_of(st.none(), st.sampled_from(["C3011", "C30", "", "A0", "B1234", "中文类", "C3012"])),
                max_size=6).flatmap(lambda cats: st.tuples(
                    st.just(cats), st.lists(st.integers(-1, len(cats) - 1), max_size=40))),
       st.sampled_from([None, 1, 2, 3, 4]))
def test_coded_columns_factorize_as_their_values(case: tuple[list[Any], list[int]], prefix: int | None) -> None:
    """A coded text column is grouped from its codes, never from a value per row: the same codes and
    distinct values, in the same order, as the column of values it stands for."""
    from eligibility.backends.vectorized.derived import _factorize

    cats, codes = case
    categories = np.empty(len(cats), dtype=object)
    categories[:] = cats
    coded = Col.coded(np.array(codes, dtype=np.int32), categories, np.True_)
    plain = Col("str", Col.coded(np.array(codes, dtype=np.int32), categories, np.True_).val, np.True_)
    got, want = _factorize(coded, len(codes), prefix), _factorize(plain, len(codes), prefix)
    assert got[0].tolist() == want[0].tolist() and list(got[1]) == list(want[1])


@given(st.lists(st.integers(1, 40), min_size=1, max_size=5).flatmap(lambda radices: st.tuples(
    st.just(radices), st.lists(st.tuples(*[st.integers(0, r - 1) for r in radices]), max_size=60))))
def test_rows_of_codes_unique_by_one_key_as_numpy_does(case: tuple[list[int], list[tuple[int, ...]]]) -> None:
    from eligibility.backends.vectorized.derived import _unique_rows

    radices, rows = case
    matrix = np.array(rows, dtype=np.int64).reshape(len(rows), len(radices))
    unique, inverse = _unique_rows(matrix, radices)
    want_unique, want_inverse = np.unique(matrix, axis=0, return_inverse=True)
    assert unique.tolist() == want_unique.tolist() and inverse.tolist() == want_inverse.reshape(-1).tolist()
    assert unique.dtype == np.int64


@given(st.lists(st.sampled_from(["91350100M000100Y43", "92110000600037341L", "", "9", "中文", "92x"]), max_size=40),
       st.sampled_from([None, 1, 2, 3, 5]))
def test_text_kept_in_arrow_factorizes_as_its_values(values: list[str], prefix: int | None) -> None:
    """The USCC column stays an Arrow array while no rule reads it as Python strings: its prefixes are
    cut and encoded in Arrow, with the same codes and values, in the same order, as from the values."""
    import pyarrow as pa

    from eligibility.backends.vectorized.columns import Deferred
    from eligibility.backends.vectorized.derived import _factorize

    arrow = pa.array(values, pa.string())
    plain_values = np.empty(len(values), dtype=object)
    plain_values[:] = values
    deferred = Col("str", Deferred(lambda: plain_values.copy(), arrow), np.True_)
    assert deferred.arrow_text() is arrow
    got, want = _factorize(deferred, len(values), prefix), _factorize(Col("str", plain_values, np.True_),
                                                                       len(values), prefix)
    assert got[0].tolist() == want[0].tolist() and list(got[1]) == list(want[1])
    assert deferred.val.tolist() == values and deferred.arrow_text() is None  # built on read, then plain


def test_one_value_of_a_column_kept_in_arrow_is_read_without_building_it() -> None:
    import pyarrow as pa

    from eligibility.backends.vectorized.columns import Deferred

    built: list[bool] = []
    col = Col("str", Deferred(lambda: built.append(True) or np.array(["a", "", "c"], dtype=object),
                              pa.array(["a", "", "c"])), np.True_)
    assert [col.at(i) for i in range(3)] == ["a", "", "c"] and not built
    assert col.val.tolist() == ["a", "", "c"] and built and col.at(2) == "c"
