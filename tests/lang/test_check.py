"""The type checker: names resolved against the profile schema, derived facts, parameters and
list items; ill-typed expressions refused with a located, bilingual message and a hint."""

from __future__ import annotations

from decimal import Decimal

import pytest

from eligibility.facts.coverage import is_coverage, with_coverage, written

from eligibility.lang.check import check_expression
from eligibility.lang.parser import ExpressionError, parse_expression
from eligibility.model.types import BOOL, DATE, MONEY, NUMBER, Type
from eligibility.model import expr as x

PARAMS = {"limit": MONEY, "rate": Type("number", unit="rate"), "headcount": Type("number", unit="person")}


def check(text: str, want: str | None = "bool", params: dict[str, Type] | None = None) -> tuple[x.Node, Type]:
    return check_expression(parse_expression(text), params=PARAMS if params is None else params, want=want)


def check_error(text: str, want: str | None = "bool", params: dict[str, Type] | None = None) -> ExpressionError:
    with pytest.raises(ExpressionError) as info:
        check(text, want, params)
    return info.value


def at(text: str, fragment: str) -> tuple[int, int]:
    start = text.index(fragment)
    return (start, start + len(fragment))


# -- unknown names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, name, suggestion",
    [
        ("revenu >= 2000万", "revenu", "revenue"),
        ("employes >= 50", "employes", "employees"),
        ("regsitered_on <= as_of", "regsitered_on", "registered_on"),
        ("registers.above_scale_industril.entered_on <= as_of", "registers.above_scale_industril.entered_on",
         "registers.above_scale_industrial.entered_on"),
        ("within(registers.above_scale_industril.entered_on, 12 months)",
         "registers.above_scale_industril.entered_on", "registers.above_scale_industrial.entered_on"),
        ("is_industial", "is_industial", "is_industrial"),  # a derived fact
        ("revenue >= limt", "limt", "limit"),  # a rule parameter
        ('any(certifications, kidn == "little_giant")', "kidn", "kind"),  # a list item's field
    ],
)
def test_unknown_field_with_did_you_mean(text, name, suggestion):
    err = check_error(text)
    assert err.span == at(text, name)
    assert err.en == f"unknown field '{name}'; did you mean '{suggestion}'?"
    assert err.zh == f"未知字段 '{name}'，是否想写 '{suggestion}'？"
    assert err.name == name
    assert err.suggestion == suggestion
    assert err.details["suggestion"] == suggestion
    assert "eligibility profile schema" in err.hint_en and "eligibility profile schema" in err.hint_zh


def test_unknown_field_without_anything_close_has_no_suggestion():
    err = check_error("zzzz")
    assert err.suggestion is None
    assert err.en == "unknown field 'zzzz'"
    assert "是否想写" not in err.zh


def test_item_fields_do_not_resolve_outside_their_quantifier():
    err = check_error('kind == "little_giant"')
    assert err.name == "kind"
    assert err.span == (0, 4)


@pytest.mark.parametrize(
    "text, func, suggestion",
    [
        ("withn(registered_on, 12 months)", "withn", "within"),
        ("in_yr(registered_on)", "in_yr", "in_year"),
        ("mn(revenue, 1万) >= 1万", "mn", "min"),
    ],
)
def test_unknown_function_with_suggestion(text, func, suggestion):
    err = check_error(text)
    assert err.en.startswith(f"unknown function '{func}'; did you mean '{suggestion}'?")
    assert err.zh.startswith(f"未知函数 '{func}'，是否想写 '{suggestion}'？")
    assert err.span[0] == 0 and text[err.span[1] - 1] == ")"
    assert "within" in err.hint_en and "within" in err.hint_zh  # the hint lists the functions


# -- units: money, plain numbers, head counts ---------------------------------------------------


@pytest.mark.parametrize(
    "text, number",
    [("revenue >= 2000", "2000"), ("2000 <= revenue", "2000"), ("50万 <= revenue < 2000", "2000"),
     ("monthly_sales <= 10", "10")],
)
def test_money_compared_with_plain_number_is_refused_with_a_unit_hint(text, number):
    err = check_error(text)
    assert err.span == (text.rindex(number), text.rindex(number) + len(number))
    assert err.en == f"money compared with the plain number {number}"
    assert err.zh == f"金额不能与不带单位的数字 {number} 比较"
    assert f"{number}元" in err.hint_en and f"{number}万" in err.hint_en
    assert f"{number}元" in err.hint_zh and f"{number}万" in err.hint_zh


@pytest.mark.parametrize(
    "text, en, zh",
    [
        ("employees >= 50万", "unit or type mismatch: number (person) vs money", "单位或类型不一致：人数 与 金额"),
        ("revenue >= 50人", "unit or type mismatch: money vs number (person)", "单位或类型不一致：金额 与 人数"),
        ("employees >= revenue", "unit or type mismatch: number (person) vs money", "人数 与 金额"),
    ],
)
def test_money_vs_head_count_is_refused(text, en, zh):
    err = check_error(text)
    assert err.span == (0, len(text))
    assert err.en == en
    assert zh in err.zh
    assert "money" in err.hint_en and "金额" in err.hint_zh


def test_other_unit_mismatches_are_refused():
    err = check_error("employees >= hires.min_contract_years")
    assert "number (person) vs number (year)" in err.en
    err = check_error("revenue >= limit", params={"limit": NUMBER})
    assert err.en == "unit or type mismatch: money vs number"


@pytest.mark.parametrize(
    "text",
    ["employees >= 50", "employees >= 50人", "employees >= headcount", "revenue >= 2000万", "revenue >= limit",
     "revenue >= 0.5元", "300万 <= revenue < 2000万", "scenario.loan.lpr <= rate"],
)
def test_well_typed_comparisons_are_accepted(text):
    node, t = check(text)
    assert t == BOOL
    assert isinstance(node, x.Compare)


# -- enums --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, value, suggestion",
    [
        ('vat_taxpayer == "small_scal"', "small_scal", "small_scale"),
        ('vat_taxpayer != "genral"', "genral", "general"),
        ('ownership == "privat"', "privat", "private"),
        ('vat_taxpayer in ["small_scale", "genral"]', "genral", "general"),
        ('vat_taxpayer not in ["smal_scale"]', "smal_scale", "small_scale"),
        ('any(certifications, kind == "litle_giant")', "litle_giant", "little_giant"),
        ('any(certifications, level == "nationl")', "nationl", "national"),
    ],
)
def test_enum_value_is_checked_with_suggestion(text, value, suggestion):
    err = check_error(text)
    assert err.span == at(text, f'"{value}"')
    assert err.en.startswith(f"value '{value}' is not one of ")
    assert err.en.endswith(f"did you mean '{suggestion}'?")
    assert err.zh == f"取值 '{value}' 不在允许范围内，是否想写 '{suggestion}'？"
    assert suggestion in err.hint_en and suggestion in err.hint_zh  # the hint lists the allowed values


def test_enum_error_lists_every_allowed_value():
    err = check_error('vat_taxpayer == "x"')
    assert err.en == "value 'x' is not one of 'general', 'small_scale'"
    assert err.hint_en == "allowed: general, small_scale"
    assert err.hint_zh == "允许的取值：general、small_scale"


@pytest.mark.parametrize(
    "text",
    ['vat_taxpayer == "small_scale"', 'vat_taxpayer in ["small_scale", "general"]', 'tax_credit_rating != "D"',
     'any(certifications, kind == "little_giant" and level == "national")'],
)
def test_valid_enum_values_are_accepted(text):
    assert check(text)[1] == BOOL


@pytest.mark.parametrize(
    "text, op",
    [('tax_credit_rating < "B"', "<"), ('vat_taxpayer >= "general"', ">="), ('"A" > tax_credit_rating', ">")],
)
def test_ordering_an_enum_is_refused(text, op):
    err = check_error(text)
    assert err.span == (0, len(text))
    assert err.en.endswith(f"cannot be ordered with {op}")
    assert f"不能用 {op} 比较大小" in err.zh
    assert err.hint_en == "use == or !=" and err.hint_zh == "只能用 == 或 !="


def test_ordering_text_is_refused():
    err = check_error('name > "a"')
    assert err.en == "str cannot be ordered with >"


# An enum of integers (tech_transfer.evaluation_tier: 1 | 2 | 3) compares with plain numbers.
@pytest.mark.parametrize(
    "text, want",
    [
        ("tech_transfer.evaluation_tier == 1", "bool"),
        ("tech_transfer.evaluation_tier in [1, 2]", "bool"),
        ("if tech_transfer.evaluation_tier == 1 then 30万 else 50万", "money"),
    ],
)
def test_integer_enum_compares_with_its_values(text, want):
    check(text, want)


def test_integer_enum_out_of_range_names_the_value_plainly():
    err = check_error("tech_transfer.evaluation_tier == 4")
    assert err.en == "value 4 is not one of 1, 2, 3"


# -- booleans and records -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, culprit, en",
    [
        ("revenue and dishonest_record", "revenue", "a condition must be true/false, this is money"),
        ("dishonest_record and employees", "employees", "a condition must be true/false, this is number (person)"),
        ("revenue or true", "revenue", "a condition must be true/false, this is money"),
        ("not revenue", "revenue", "a condition must be true/false, this is money"),
        ("revenue", "revenue", "a condition must be true/false, this is money"),
        ("registered_on", "registered_on", "a condition must be true/false, this is date"),
        ("certifications", "certifications", "a condition must be true/false, this is list"),
        ("if revenue then 1万 else 2万", "revenue", "a condition must be true/false, this is money"),
    ],
)
def test_non_boolean_condition_is_refused(text, culprit, en):
    err = check_error(text, want="bool" if not text.startswith("if") else "money")
    assert err.span == at(text, culprit)
    assert err.en == en
    assert err.zh.startswith("条件应为是/否判断")
    assert "2000万" in err.hint_en and "2000万" in err.hint_zh


@pytest.mark.parametrize(
    "text, record",
    [
        ("registers", "registers"),
        ("registers == 1", "registers"),
        ("registers.above_scale_industrial == none", "registers.above_scale_industrial"),
        ("tech_transfer", "tech_transfer"),
    ],
)
def test_record_used_as_a_value_is_refused(text, record):
    err = check_error(text)
    assert err.span == (0, len(record))
    assert err.en == f"'{record}' is a group of fields and cannot be used as a value"
    assert err.zh == f"'{record}' 是一组字段，不能直接比较"
    assert f"exists({record})" in err.hint_en and f"exists({record})" in err.hint_zh


def test_exists_accepts_a_record():
    node, t = check("exists(registers.above_scale_industrial)")
    assert t == BOOL
    assert node == x.Call("exists", (x.Field("registers.above_scale_industrial"),))


# -- under --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, operand",
    [('name under "C"', "name"), ('employees under "C"', "employees"), ('uscc under "91"', "uscc"),
     ('development_zone not under "53"', "development_zone")],
)
def test_under_on_a_non_code_field_is_refused(text, operand):
    err = check_error(text)
    assert err.span == (0, len(operand))
    assert err.en == "under applies to industry or region codes only"
    assert err.zh == "under 只用于行业代码或行政区划代码"
    assert "industry_code under" in err.hint_en


@pytest.mark.parametrize(
    "text, en_fragment, zh_fragment",
    [
        ('industry_code under "Z"', "unknown section 'Z'", "门类 'Z' 不存在"),
        ('industry_code under ["B", "Z"]', "unknown section 'Z'", "门类 'Z' 不存在"),
        ('industry_code under "C99"', "unknown division '99'", "大类 '99' 不存在"),
        ('industry_code under ["C", "Z9"]', "industry code 'Z9' is malformed", "行业代码 'Z9' 格式不对"),
        ('region_code under "533"', "region code '533' must be 2, 4 or 6 digits", "应为2、4或6位数字"),
    ],
)
def test_under_with_an_unknown_code_is_refused(text, en_fragment, zh_fragment):
    err = check_error(text)
    assert err.span == (0, len(text))
    assert en_fragment in err.en
    assert zh_fragment in err.zh


def test_under_normalises_industry_codes():
    node, _ = check('industry_code under ["b", "c30"]')
    assert node == x.Under(x.Field("industry_code"), ("B", "C30"))
    node, _ = check('region_code not under "5308"')
    assert node == x.Under(x.Field("region_code"), ("5308",), True)


# -- quantifiers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, path, suggestion",
    [
        ("any(revenue, true)", "revenue", None),
        ("count(registers, true) >= 1", "registers", None),
        ("all(certification, true)", "certification", "certifications"),
        ("sum(vehicle, annual_tax) >= 1万", "vehicle", "vehicles"),
    ],
)
def test_quantifier_over_a_non_list_is_refused(text, path, suggestion):
    err = check_error(text)
    assert err.span == (0, text.index(")") + 1)  # the whole quantifier call
    expected = f"'{path}' is not a list field" + (f"; did you mean '{suggestion}'?" if suggestion else "")
    assert err.en == expected
    assert err.zh.startswith(f"'{path}' 不是列表字段")
    assert "certifications" in err.hint_en and "vehicles" in err.hint_en


def test_item_fields_resolve_inside_any():
    text = 'any(certifications, kind == "little_giant" and level == "national" and within(certified_on, 12 months))'
    node, t = check(text)
    assert t == BOOL
    written = x.Quantifier(
        "any",
        "certifications",
        x.And((
            x.Compare((x.ItemField("certifications", "kind"), x.Literal("little_giant")), ("==",)),
            x.Compare((x.ItemField("certifications", "level"), x.Literal("national")), ("==",)),
            x.Call("within", (x.ItemField("certifications", "certified_on"), x.Literal(x.Duration(12, "month")))),
        )),
    )
    assert node == with_coverage(written)  # read under the department lists' coverage (facts.coverage)
    assert node.otherwise == written        # a given certifications list decides as written


def test_profile_fields_still_resolve_inside_a_quantifier():
    node, _ = check("any(certifications, revenue >= 1万)")
    assert node.otherwise.body.operands[0] == x.Field("revenue")


@pytest.mark.parametrize(
    "text, want, result",
    [
        ('sum(vehicles, annual_tax, type == "truck")', None, MONEY),
        ("sum(vehicles, annual_tax)", "money", MONEY),
        ('count(certifications, level == "national")', None, Type("number", unit="count")),
        ('all(certifications, kind != "high_tech")', "bool", BOOL),
    ],
)
def test_quantifier_types(text, want, result):
    node, t = check(text, want)
    assert t == result
    # all over certifications is read under the lists' coverage; a count whose condition names no
    # kind can never be covered and stays as written
    assert is_coverage(node) == text.startswith("all(certifications")
    assert isinstance(written(node), x.Quantifier)


def test_sum_resolves_item_fields_in_body_and_filter():
    node, _ = check('sum(vehicles, annual_tax, type == "truck")', None)
    assert node.body == x.ItemField("vehicles", "annual_tax")
    assert node.where.operands[0] == x.ItemField("vehicles", "type")


def test_quantifier_body_must_be_a_condition():
    err = check_error("any(certifications, certified_on)")
    assert err.en == "a condition must be true/false, this is date"
    err = check_error('sum(vehicles, type) >= 1万')
    assert err.en == "sum's second argument must be money or a number"


# -- derived facts and parameters ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["is_industrial", "is_above_scale_industrial", "is_individual_business"])
def test_derived_facts_resolve(name):
    node, t = check(name)
    assert node == x.Derived(name)
    assert t == BOOL


def test_names_become_fields_derived_facts_and_params():
    node, _ = check("is_industrial and revenue >= limit")
    assert node == x.And((x.Derived("is_industrial"), x.Compare((x.Field("revenue"), x.Param("limit")), (">=",))))


# -- arithmetic ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, result",
    [
        ("revenue * 20%", MONEY),
        ("20% * revenue", MONEY),
        ("revenue * rate", MONEY),
        ("revenue * 2", MONEY),
        ("revenue / 2", MONEY),
        ("revenue / 20%", MONEY),
        ("revenue / total_assets", NUMBER),
        ("revenue + total_assets", MONEY),
        ("revenue - 100万", MONEY),
        ("-revenue", MONEY),
        ("min(taxable_income, 100万) * 20%", MONEY),
        ("max(revenue, limit)", MONEY),
        ("as_of - 12 months", DATE),
        ("registered_on - 12 months", DATE),
        ("registered_on + 1 year", DATE),
        ("12 months + as_of", DATE),
        ("employees * 20%", Type("number", unit="person")),
        ("employees + 5", Type("number", unit="person")),
        ("employees / employees", NUMBER),
        ("year(as_of) - 1", NUMBER),
        ("if is_industrial then 30万 else 20万", MONEY),
        ("if is_industrial then none else 20万", MONEY),
    ],
)
def test_arithmetic_typing(text, result):
    node, t = check(text, want=None)
    assert t == result


def test_date_minus_duration_compares_with_a_date():
    node, t = check("registered_on >= as_of - 12 months")
    assert t == BOOL
    assert node.operands[1] == x.Arith("-", x.AsOf(), x.Literal(x.Duration(12, "month")))


@pytest.mark.parametrize(
    "text, en",
    [
        ("revenue + 5", "cannot compute money + number"),
        ("revenue * total_assets", "cannot compute money * money"),
        ("revenue + employees", "cannot compute money + number (person)"),
        ("as_of - registered_on", "cannot compute date - date"),
        ("12 months - as_of", "cannot compute duration - date"),
        ("2 / revenue", "cannot compute number / money"),
        ("employees * employees", "cannot compute number (person) * number (person)"),
    ],
)
def test_arithmetic_type_errors(text, en):
    err = check_error(text, want=None)
    assert err.span == (0, len(text))
    assert err.en == en
    assert err.zh.startswith("不能对")


def test_negating_a_date_is_refused():
    err = check_error("-registered_on", want=None)
    assert err.en == "only numbers and money can be negated"


# -- functions ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, span_of, en",
    [
        ("within(registered_on, 12)", "12", "within expects duration here, got number"),
        ("within(revenue, 12 months)", "revenue", "within expects date here, got money"),
        ("in_year(revenue)", "revenue", "in_year expects date here, got money"),
        ("exists(1)", "1", "exists takes a field name"),
        ("known(revenue >= 1万)", "revenue >= 1万", "known takes a field name"),
    ],
)
def test_function_argument_errors(text, span_of, en):
    err = check_error(text)
    assert err.span == at(text, span_of)
    assert err.en == en


def test_function_arity_error():
    err = check_error("year() >= 2024")
    assert err.en == "year takes 1 argument(s), 0 given"
    assert err.zh == "year 需要 1 个参数，给了 0 个"
    assert err.span == (0, 6)


# -- what the expression must produce -----------------------------------------------------------


@pytest.mark.parametrize(
    "text, hint",
    [("50", "50元 / 50万"), ("employees * 2", "50万"), ("1 + 1", "50万")],
)
def test_an_amount_must_be_money(text, hint):
    err = check_error(text, want="money")
    assert err.en.startswith("an amount must be money, this is ")
    assert err.zh.startswith("金额表达式应得出金额")
    assert hint in err.hint_en and hint in err.hint_zh


def test_amount_accepts_money_and_none():
    assert check("50万", want="money") == (x.Literal(Decimal(500_000), "money"), MONEY)
    assert check("none", want="money")[1].kind == "null"


def test_if_branches_must_agree():
    err = check_error("if is_industrial then 30万 else 20", want="money")
    assert err.en == "the branches of if differ: money vs number"


def test_a_bare_list_is_not_a_value():
    err = check_error("[1, 2] == [1, 2]")
    assert err.en == "a list may appear only after in or as a function argument"
    assert err.span == (0, 6)
