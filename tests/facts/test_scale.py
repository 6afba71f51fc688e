"""Enterprise scale (工信部联企业〔2011〕300号): the table, the group mapping, every boundary, unknowns."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eligibility.facts.codes import DIVISIONS, SECTIONS
from eligibility.facts.derived import DERIVED, evaluate_derived
from eligibility.facts.flatten import UNKNOWN, Facts
from eligibility.facts.profile import Profile
from eligibility.facts.scale import (
    CLASSES,
    FIGURES,
    SCALE,
    STANDARD_2011,
    ScaleRow,
    class_of,
    classify_scale,
    scale_groups,
    scale_standard,
    threshold,
)

AS_OF = date(2024, 6, 30)
WAN = 10_000

# One code per group of the standard, as a firm would carry it.
CODE_OF_GROUP = {
    "agriculture": "A0111",
    "industry": "C3011",
    "construction": "E4710",
    "wholesale": "F5110",
    "retail": "F5211",
    "transport": "G5411",
    "warehousing": "G5910",
    "postal": "G6010",
    "accommodation": "H6110",
    "catering": "H6210",
    "information_transmission": "I6311",
    "software_it": "I6510",
    "real_estate_development": "K7010",
    "property_management": "K7020",
    "leasing_business": "L7211",
    "other": "M7310",
}


def scale(code: object, employees: object = UNKNOWN, revenue: object = UNKNOWN, total_assets: object = UNKNOWN,
          as_of: date = AS_OF) -> object:
    return classify_scale(code, employees, revenue, total_assets, as_of).value


def yuan(wan: int | str) -> Decimal:
    return Decimal(wan) * WAN


# -- the table as printed (STANDARDS.md §1), typed a second time by hand ------------------------
# (group, large, medium, small); X persons, Y and Z in 万元.
PRINTED = [
    ("agriculture", {"Y": 20000}, {"Y": 500}, {"Y": 50}),
    ("industry", {"X": 1000, "Y": 40000}, {"X": 300, "Y": 2000}, {"X": 20, "Y": 300}),
    ("construction", {"Y": 80000, "Z": 80000}, {"Y": 6000, "Z": 5000}, {"Y": 300, "Z": 300}),
    ("wholesale", {"X": 200, "Y": 40000}, {"X": 20, "Y": 5000}, {"X": 5, "Y": 1000}),
    ("retail", {"X": 300, "Y": 20000}, {"X": 50, "Y": 500}, {"X": 10, "Y": 100}),
    ("transport", {"X": 1000, "Y": 30000}, {"X": 300, "Y": 3000}, {"X": 20, "Y": 200}),
    ("warehousing", {"X": 200, "Y": 30000}, {"X": 100, "Y": 1000}, {"X": 20, "Y": 100}),
    ("postal", {"X": 1000, "Y": 30000}, {"X": 300, "Y": 2000}, {"X": 20, "Y": 100}),
    ("accommodation", {"X": 300, "Y": 10000}, {"X": 100, "Y": 2000}, {"X": 10, "Y": 100}),
    ("catering", {"X": 300, "Y": 10000}, {"X": 100, "Y": 2000}, {"X": 10, "Y": 100}),
    ("information_transmission", {"X": 2000, "Y": 100000}, {"X": 100, "Y": 1000}, {"X": 10, "Y": 100}),
    ("software_it", {"X": 300, "Y": 10000}, {"X": 100, "Y": 1000}, {"X": 10, "Y": 50}),
    ("real_estate_development", {"Y": 200000, "Z": 10000}, {"Y": 1000, "Z": 5000}, {"Y": 100, "Z": 2000}),
    ("property_management", {"X": 1000, "Y": 5000}, {"X": 300, "Y": 1000}, {"X": 100, "Y": 500}),
    ("leasing_business", {"X": 300, "Z": 120000}, {"X": 100, "Z": 8000}, {"X": 10, "Z": 100}),
    ("other", {"X": 300}, {"X": 100}, {"X": 10}),
]
LETTER = {"employees": "X", "revenue": "Y", "total_assets": "Z"}


def test_the_standard_is_held_as_a_dated_table() -> None:
    assert STANDARD_2011.document == "工信部联企业〔2011〕300号"
    assert STANDARD_2011.effective_from == date(2011, 6, 18)
    assert scale_standard(date(2011, 6, 18)) is STANDARD_2011
    assert scale_standard(date(2011, 6, 17)) is None
    assert scale_standard(date(2030, 1, 1)) is STANDARD_2011


def test_table_matches_the_printed_standard() -> None:
    held = {
        row.group: tuple({LETTER[f]: b for f, b in bounds} for _, bounds in row.ranked())
        for row in STANDARD_2011.rows.values()
    }
    assert list(held) == [group for group, *_ in PRINTED]  # 16 rows, in the standard's order
    for group, *classes in PRINTED:
        assert held[group] == tuple(classes), group


@pytest.mark.parametrize("row", STANDARD_2011.rows.values(), ids=lambda r: r.group)
def test_bounds_rise_strictly_from_small_to_large_on_the_same_figures(row: ScaleRow) -> None:
    large, medium, small = (dict(bounds) for _, bounds in row.ranked())
    assert set(large) == set(medium) == set(small) == set(row.figures())
    for f in row.figures():
        assert small[f] < medium[f] < large[f]


# -- every boundary of every row, generated from the table -------------------------------------
def _boundary_cases() -> list[tuple[str, str, str, int, Decimal | int, str]]:
    """(group, class, figure, bound, offset, expected): the figure at bound + offset, every other figure
    of the row exactly at the same class's bound, so the class is met exactly when offset ≥ 0 and
    otherwise the firm drops one class."""
    cases = []
    for row in STANDARD_2011.rows.values():
        for i, (cls, bounds) in enumerate(row.ranked()):
            below = CLASSES[i + 1]
            for figure, bound in bounds:
                offsets: list[Decimal | int] = [-1, 0, 1] if figure == "employees" else [
                    Decimal(-1), Decimal("-0.01"), Decimal(0), Decimal("0.01"), Decimal(1)]
                for offset in offsets:
                    cases.append((row.group, cls, figure, bound, offset, cls if offset >= 0 else below))
    return cases


BOUNDARY_CASES = _boundary_cases()


def test_boundary_cases_cover_every_bound() -> None:
    bounds = sum(len(bounds) for row in STANDARD_2011.rows.values() for _, bounds in row.ranked())
    assert bounds == 2 * 3 + 14 * 6
    assert {(g, c, f) for g, c, f, *_ in BOUNDARY_CASES} == {
        (row.group, cls, f) for row in STANDARD_2011.rows.values() for cls, bs in row.ranked() for f, _ in bs
    }


@pytest.mark.parametrize(
    ("group", "cls", "figure", "bound", "offset", "expected"), BOUNDARY_CASES,
    ids=[f"{g}-{c}-{f}{o:+}" for g, c, f, _, o, _ in BOUNDARY_CASES],
)
def test_every_bound_at_minus_one_equal_and_plus_one(
    group: str, cls: str, figure: str, bound: int, offset: Decimal | int, expected: str
) -> None:
    row = STANDARD_2011.rows[group]
    figures: dict[str, object] = {f: threshold(f, b) for f, b in dict(row.ranked())[cls]}
    figures[figure] = threshold(figure, bound) + offset
    assert scale(CODE_OF_GROUP[group], *(figures.get(f, UNKNOWN) for f in FIGURES)) == expected


@pytest.mark.parametrize("row", [r for r in STANDARD_2011.rows.values() if len(r.figures()) == 2],
                         ids=lambda r: r.group)
def test_micro_needs_only_one_figure_below_the_small_bound(row: ScaleRow) -> None:
    small = dict(row.small)
    for low in row.figures():
        figures: dict[str, object] = {f: threshold(f, 10**9) for f in row.figures()}
        figures[low] = threshold(low, small[low]) - 1
        assert scale(CODE_OF_GROUP[row.group], *(figures.get(f, UNKNOWN) for f in FIGURES)) == "micro"


# -- examples worked by hand from the standard's text (expected classes written out) ------------
HAND_EXAMPLES = [
    # 工业: "从业人员20人及以上，且营业收入300万元及以上的为小型企业" — 120人, 2,500万: small (not 300人 for medium)
    ("C3011", 120, yuan(2500), None, "small"),
    ("C3011", 1000, yuan(40000), None, "large"),  # both large bounds reached exactly
    ("C3011", 999, yuan(40000), None, "medium"),  # "从业人员1000人以下或营业收入40000万元以下的为中小微型企业"
    ("C3011", 2000, yuan(100), None, "micro"),  # revenue under 300万 alone makes it micro
    ("C3011", 20, yuan(300), None, "small"),  # both small bounds exactly: small, not micro ("及以上")
    ("C3011", 19, yuan(300000), None, "micro"),
    ("B0610", 300, yuan(2000), None, "medium"),  # mining is 工业
    ("D4411", 301, yuan(1999), None, "small"),  # power is 工业; revenue short of medium
    # 农林牧渔业: revenue only — 500万 medium, 50万 small, under 50万 micro, 20000万 large
    ("A0111", None, Decimal(499_999), None, "micro"),
    ("A0111", None, yuan(50), None, "small"),
    ("A0111", None, yuan(500), None, "medium"),
    ("A0111", None, yuan(20000), None, "large"),
    # 建筑业: revenue and total assets
    ("E4710", None, yuan(6000), yuan(5000), "medium"),
    ("E4710", None, yuan(80000), yuan(79999), "medium"),
    ("E4710", None, yuan(300), yuan(299), "micro"),
    # 批发业 / 零售业
    ("F5110", 20, yuan(5000), None, "medium"),
    ("F5110", 200, yuan(40000), None, "large"),
    ("F5110", 4, yuan(1_000_000), None, "micro"),
    ("F5211", 50, yuan(500), None, "medium"),
    ("F5211", 300, yuan(19999), None, "medium"),
    ("F5211", 10, yuan(100), None, "small"),
    ("F5211", 9, yuan(100), None, "micro"),
    # 交通运输业 / 仓储业 (a published classifier had this band wrong) / 邮政业
    ("G5411", 300, yuan(3000), None, "medium"),
    ("G5411", 1000, yuan(30000), None, "large"),
    ("G5910", 100, yuan(1000), None, "medium"),
    ("G5910", 99, yuan(1000), None, "small"),
    ("G5910", 200, yuan(30000), None, "large"),
    ("G5910", 20, yuan(100), None, "small"),
    ("G6010", 300, yuan(2000), None, "medium"),
    ("G6010", 20, yuan(100), None, "small"),
    # 住宿业 / 餐饮业
    ("H6110", 100, yuan(2000), None, "medium"),
    ("H6210", 300, yuan(10000), None, "large"),
    ("H6210", 10, yuan(99), None, "micro"),
    # 信息传输业: large needs 100000万 (not 10000万 as a published classifier had it)
    ("I6311", 2000, yuan(99999), None, "medium"),
    ("I6311", 2000, yuan(100000), None, "large"),
    ("I6311", 100, yuan(1000), None, "medium"),
    # 软件和信息技术服务业: small from 50万
    ("I6510", 10, yuan(50), None, "small"),
    ("I6510", 300, yuan(10000), None, "large"),
    ("I6510", 9, yuan(50), None, "micro"),
    # 房地产开发经营: revenue and total assets
    ("K7010", None, yuan(200000), yuan(10000), "large"),
    ("K7010", None, yuan(1000), yuan(5000), "medium"),
    ("K7010", None, yuan(100), yuan(2000), "small"),
    ("K7010", None, yuan(5000), yuan(1999), "micro"),
    # 物业管理
    ("K7020", 1000, yuan(5000), None, "large"),
    ("K7020", 300, yuan(1000), None, "medium"),
    ("K7020", 100, yuan(500), None, "small"),
    ("K7020", 99, yuan(4000), None, "micro"),
    # 租赁和商务服务业: employees and total assets
    ("L7211", 300, None, yuan(120000), "large"),
    ("L7211", 100, None, yuan(8000), "medium"),
    ("L7211", 10, None, yuan(100), "small"),
    ("L7211", 500, None, yuan(99), "micro"),
    # 其他未列明行业: employees only
    ("M7310", 300, None, None, "large"),
    ("M7310", 100, None, None, "medium"),
    ("M7310", 10, None, None, "small"),
    ("M7310", 9, None, None, "micro"),
    ("K7030", 50, None, None, "small"),  # 房地产中介 is not 房地产开发经营 nor 物业管理
    # railway (G53) is classed 其他未列明行业: 150人 is medium there (transport would make it small)
    ("G5311", 150, yuan(1000), None, "medium"),
]


@pytest.mark.parametrize(("code", "employees", "revenue", "assets", "expected"), HAND_EXAMPLES)
def test_examples_worked_by_hand(code: str, employees: int | None, revenue: Decimal | None,
                                 assets: Decimal | None, expected: str) -> None:
    assert scale(code, employees, revenue, assets) == expected


# -- group mapping ------------------------------------------------------------------------------
@pytest.mark.parametrize(("group", "code"), CODE_OF_GROUP.items())
def test_each_group_has_its_code(group: str, code: str) -> None:
    assert scale_groups(code) == {group}


@pytest.mark.parametrize(
    ("code", "groups"),
    [
        ("B", {"industry"}), ("C", {"industry"}), ("D46", {"industry"}), ("E", {"construction"}),
        ("A05", {"agriculture"}), ("L", {"leasing_business"}), ("S", {"other"}), ("T", {"other"}),
        ("G53", {"other"}), ("G5320", {"other"}), ("G58", {"transport"}), ("I64", {"information_transmission"}),
        ("K701", {"real_estate_development"}), ("K702", {"property_management"}), ("K7040", {"other"}),
        ("J", {"finance"}), ("J6620", {"finance"}),
        ("F", {"wholesale", "retail"}), ("H", {"accommodation", "catering"}),
        ("I", {"information_transmission", "software_it"}),
        ("G", {"other", "transport", "warehousing", "postal"}),
        ("K70", {"real_estate_development", "property_management", "other"}),
        ("K", {"real_estate_development", "property_management", "other"}),
    ],
)
def test_industry_code_to_groups(code: str, groups: set[str]) -> None:
    assert scale_groups(code) == groups


def test_every_division_but_k70_names_one_group() -> None:
    coarse = {d for d in DIVISIONS if len(scale_groups(d)) != 1}
    assert coarse == {"70"}
    assert all(scale_groups(s) for s in SECTIONS)


@pytest.mark.parametrize("code", ["F", "G", "K70", "K"])
def test_a_code_too_coarse_to_decide_gives_unknown_asking_for_a_finer_code(code: str) -> None:
    # 120 persons and 2,500万 give different classes under the groups the code may stand for
    found = classify_scale(code, 120, yuan(2500), yuan(2500), AS_OF)
    assert found.value is UNKNOWN
    assert found.missing == ("industry_code",)
    assert "更细的行业代码" in found.zh and "finer industry code" in found.en


def test_a_coarse_code_is_decided_when_every_group_it_may_stand_for_agrees() -> None:
    assert scale("F", 3, yuan(50)) == "micro"  # under 5 (wholesale) and under 10 (retail) persons
    assert scale("H", 150, yuan(3000)) == "medium"  # 住宿业 and 餐饮业 share their bounds


def test_finance_is_not_classified() -> None:
    found = classify_scale("J6620", 50, yuan(1000), yuan(1000), AS_OF)
    assert found.value is UNKNOWN and found.missing == () and found.possible == frozenset()
    assert "金融业" in found.zh and "finance" in found.en
    sme = evaluate_derived("is_sme", Facts({"industry_code": "J6620", "employees": 5}), AS_OF)
    assert sme.value is UNKNOWN and "金融业" in sme.zh


def test_before_the_standard_scale_is_unknown_citing_it() -> None:
    found = classify_scale("C3011", 120, yuan(2500), None, date(2011, 6, 17))
    assert found.value is UNKNOWN and found.missing == ()
    assert "工信部联企业〔2011〕300号" in found.zh and "2011-06-18" in found.en
    assert scale("C3011", 120, yuan(2500), as_of=date(2011, 6, 18)) == "small"


# -- unknown figures ----------------------------------------------------------------------------
def test_a_figure_that_cannot_change_the_class_is_not_needed() -> None:
    found = classify_scale("C3011", 5, UNKNOWN, UNKNOWN, AS_OF)
    assert (found.value, found.missing) == ("micro", ())
    assert scale("C3011", UNKNOWN, yuan(100)) == "micro"
    assert scale("E4710", UNKNOWN, yuan(299), UNKNOWN) == "micro"
    assert scale("M7310", 150, UNKNOWN, UNKNOWN) == "medium"  # 其他 reads employees only


def test_a_figure_that_could_change_the_class_is_named() -> None:
    found = classify_scale("C3011", 120, UNKNOWN, yuan(1), AS_OF)
    assert found.value is UNKNOWN
    assert found.missing == ("revenue",)
    assert found.possible == {"small", "micro"}
    assert "营业收入" in found.zh and "revenue" in found.en
    both = classify_scale("C3011", UNKNOWN, UNKNOWN, UNKNOWN, AS_OF)
    assert both.missing == ("employees", "revenue") and both.possible == set(CLASSES)
    assets = classify_scale("E4710", UNKNOWN, yuan(500), UNKNOWN, AS_OF)
    assert assets.missing == ("total_assets",) and assets.possible == {"small", "micro"}


def test_none_is_read_as_not_known() -> None:
    assert classify_scale("C3011", 120, None, None, AS_OF).missing == ("revenue",)
    assert classify_scale(None, 120, yuan(2500), None, AS_OF).missing == ("industry_code", "total_assets")


def test_unknown_industry_code_needs_the_code() -> None:
    found = evaluate_derived("scale", Facts({"employees": 5, "revenue": yuan(10), "total_assets": yuan(10)}), AS_OF)
    assert found.value is UNKNOWN and found.missing == ("industry_code",)


# -- explanations -------------------------------------------------------------------------------
def test_explanation_in_both_languages() -> None:
    found = classify_scale("C3011", 120, yuan(2500), None, AS_OF)
    assert found.zh == "规模：小型，工业：从业人员120人，不低于20人，且营业收入2,500万元，不低于300万元；未同时达到中型下限300人、2,000万元"
    assert found.en == (
        "scale: small, industry: employees 120 persons, at least 20 persons and revenue CNY 25,000,000, at least CNY 3,000,000;"
        " not at both medium lower bounds 300 persons, CNY 20,000,000"
    )
    micro = classify_scale("C3011", 5, None, None, AS_OF)
    assert micro.zh == "规模：微型，工业：从业人员5人，低于小型下限20人；微型只须一项"
    large = classify_scale("I6311", 2000, yuan(100000), None, AS_OF)
    assert large.zh == "规模：大型，信息传输业：从业人员2,000人，不低于2,000人，且营业收入100,000万元，不低于100,000万元"
    other = classify_scale("M7310", 50, None, None, AS_OF)
    assert other.zh == "规模：小型，其他未列明行业：从业人员50人，不低于10人；未达到中型下限100人"


# -- is_sme, is_small_or_micro ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("employees", "revenue", "sme", "small_or_micro"),
    [
        (1500, yuan(50000), False, False),  # large
        (500, yuan(5000), True, False),  # medium
        (120, yuan(2500), True, True),  # small
        (5, yuan(2500), True, True),  # micro
    ],
)
def test_sme_and_small_or_micro_follow_the_class(employees: int, revenue: Decimal, sme: bool,
                                                 small_or_micro: bool) -> None:
    facts = Facts({"industry_code": "C3011", "employees": employees, "revenue": revenue})
    assert evaluate_derived("is_sme", facts, AS_OF).value is sme
    assert evaluate_derived("is_sme", facts, AS_OF).zh == evaluate_derived("scale", facts, AS_OF).zh  # the reason
    assert evaluate_derived("is_small_or_micro", facts, AS_OF).value is small_or_micro


def test_sme_is_decided_when_every_possible_class_agrees() -> None:
    facts = Facts({"industry_code": "C3011", "employees": 120})  # small or micro, whatever the revenue
    assert evaluate_derived("scale", facts, AS_OF).value is UNKNOWN
    sme = evaluate_derived("is_sme", facts, AS_OF)
    assert (sme.value, sme.missing) == (True, ())
    assert sme.zh == "规模：未知，工业：从业人员120人；可能为小型或微型；需要营业收入；各可能规模均属中小企业"
    assert evaluate_derived("is_small_or_micro", facts, AS_OF).value is True


def test_sme_unknown_names_what_could_change_it() -> None:
    facts = Facts({"industry_code": "C3011", "employees": 1500})  # large unless revenue < 40,000万
    sme = evaluate_derived("is_sme", facts, AS_OF)
    assert (sme.value, sme.missing) == (UNKNOWN, ("revenue",))
    medium = Facts({"industry_code": "C3011", "employees": 400})  # medium, small or micro
    assert evaluate_derived("is_sme", medium, AS_OF).value is True
    som = evaluate_derived("is_small_or_micro", medium, AS_OF)
    assert (som.value, som.missing) == (UNKNOWN, ("revenue",))


def test_derived_facts_are_registered_with_their_types() -> None:
    assert DERIVED["scale"].type == SCALE
    assert SCALE.values == ("large", "medium", "small", "micro")
    assert DERIVED["is_sme"].type.kind == DERIVED["is_small_or_micro"].type.kind == "bool"
    assert set(DERIVED["scale"].reads) == {"industry_code", *FIGURES}


def test_scale_from_a_validated_profile() -> None:
    facts = Profile.from_data({"industry_code": "3011", "employees": 120, "revenue": "2500万"}).facts()
    assert evaluate_derived("scale", facts, AS_OF).value == "small"


# -- properties ---------------------------------------------------------------------------------
codes = st.sampled_from(sorted(CODE_OF_GROUP.values()))
staff = st.integers(min_value=0, max_value=5000)
money = st.decimals(min_value=0, max_value=3 * 10**9, places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=400)
@given(code=codes, employees=staff, revenue=money, assets=money, figure=st.sampled_from(FIGURES),
       rise=st.decimals(min_value=0, max_value=2 * 10**9, places=2))
def test_raising_one_figure_never_lowers_the_class(code: str, employees: int, revenue: Decimal, assets: Decimal,
                                                   figure: str, rise: Decimal) -> None:
    before = {"employees": employees, "revenue": revenue, "total_assets": assets}
    after = dict(before)
    after[figure] += int(rise) if figure == "employees" else rise
    rank_before = CLASSES.index(scale(code, *before.values()))
    rank_after = CLASSES.index(scale(code, *after.values()))
    assert rank_after <= rank_before  # CLASSES is highest first


@settings(max_examples=400)
@given(code=codes, employees=staff, revenue=money, assets=money, hidden=st.sampled_from(FIGURES))
def test_an_unknown_figure_is_needed_exactly_when_it_could_change_the_class(
    code: str, employees: int, revenue: Decimal, assets: Decimal, hidden: str
) -> None:
    known = {"employees": employees, "revenue": revenue, "total_assets": assets}
    full = scale(code, *known.values())
    lowest = scale(code, *{**known, hidden: 0}.values())
    highest = scale(code, *{**known, hidden: 10**12}.values())  # class rises with the figure: these bound it
    found = classify_scale(code, *{**known, hidden: UNKNOWN}.values(), AS_OF)
    assert full in found.possible
    if lowest == highest:
        assert (found.value, found.missing) == (full, ())
    else:
        assert (found.value, found.missing) == (UNKNOWN, (hidden,))


near_a_bound = st.sampled_from(sorted({threshold(f, b) for row in STANDARD_2011.rows.values()
                                         for _, bounds in row.ranked() for f, b in bounds}))


@settings(max_examples=300)
@given(group=st.sampled_from(sorted(set(CODE_OF_GROUP) - {"other"}) + ["other"]), data=st.data())
def test_grids_shared_between_firms_give_each_firm_its_own_class(group: str, data: st.DataObject) -> None:
    """Classification is remembered per interval between bounds: a firm whose figures lie at, just
    below or just above a bound must still get exactly the class the table gives its own figures."""
    row = STANDARD_2011.rows[group]

    def figure(name: str) -> int | Decimal:
        base = data.draw(near_a_bound) + data.draw(st.sampled_from((-1, 0, 1)))
        return max(int(base), 0) if name == "employees" else max(Decimal(base), Decimal(0))

    for _ in range(3):  # several firms in a row, so later ones meet grids built for earlier ones
        figures = {name: figure(name) for name in FIGURES}
        assert scale(CODE_OF_GROUP[group], *figures.values()) == class_of(row, figures)
