"""Invalid rule files: every one fails at load with file, line, column, the offending source line,
a bilingual message and (where there is one) a did-you-mean suggestion. The fixtures in
``tests/io/invalid/`` each hold exactly one problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from eligibility import load_rules
from eligibility.errors import RuleDefinitionError, RuleSetError

INVALID = Path(__file__).parent / "invalid"


def case(fixture, line, col, en, zh, suggestion=None, rule_id=None, marks=()):
    return pytest.param(fixture, line, col, en, zh, suggestion, rule_id, id=fixture.removesuffix(".yaml"), marks=marks)


# fixture → expected line, col (None: not asserted), fragment of en, fragment of zh, suggestion, rule id
CASES = [
    case("misspelt_field.yaml", 20, 9, "unknown field 'revenu'", "未知字段 'revenu'", "revenue",
         "test.invalid.misspelt-field"),
    case("misspelt_key.yaml", 21, 5, "unknown key 'benfit'", "未知的键 'benfit'", "benefit",
         "test.invalid.misspelt-key"),
    case("missing_quote.yaml", 13, 7, "missing required key 'quote'", "缺少必填项 'quote'", None,
         "test.invalid.missing-quote"),
    case("bad_kind.yaml", 15, 11, "invalid value at kind", "kind 应为以下之一：grant、tax", None, "test.invalid.bad-kind"),
    case("duplicate_key.yaml", 18, 5, "duplicate key 'mode' (first at line 16)", "重复的键 'mode'（第一次出现在第 16 行）"),
    case("yaml_syntax.yaml", 14, 19, "YAML syntax error: mapping values are not allowed here", "YAML 语法错误"),
    case("money_vs_headcount.yaml", 20, 9, "unit or type mismatch: number (person) vs money",
         "单位或类型不一致：人数 与 金额", None, "test.invalid.money-vs-headcount"),
    case("duplicate_rule_id.yaml", 25, None, "duplicate rule id 'test.invalid.duplicate-id'",
         "规则 id 'test.invalid.duplicate-id' 重复", None, "test.invalid.duplicate-id"),
    case("bad_jurisdiction.yaml", 6, None, "jurisdiction code '5308A0' must be 2, 4 or 6 digits or 'national'",
         "管辖地代码 '5308A0' 应为2、4、6位数字或 national"),
    case("bad_jurisdiction_province.yaml", 6, None, "region code '990000' is not under a known province",
         "行政区划代码 '990000' 不在已知省份之下"),
    case("unknown_enum_value.yaml", 18, 27, "value 'small_scal' is not one of 'general', 'small_scale'",
         "取值 'small_scal' 不在允许范围内", "small_scale", "test.invalid.unknown-enum"),
    case("instalment_without_schedule.yaml", 22, 7, "kind instalment needs a schedule",
         "instalment 时须给出 schedule", None, "test.invalid.instalment"),
    case("param_clashes_with_field.yaml", 19, 7, "parameter name 'revenue' clashes with a profile field",
         "参数名 'revenue' 与画像字段重名", None, "test.invalid.param-clash"),
    case("bad_rule_id.yaml", 10, 9, "invalid value at id: String should match pattern", "id 的格式不对", None,
         "Example-Grant"),
    case("block_scalar_expression.yaml", 20, 22, "money compared with the plain number 2000",
         "金额不能与不带单位的数字 2000 比较", None, "test.invalid.block-scalar"),
]


def load_error(path: Path) -> RuleSetError:
    with pytest.raises(RuleSetError) as info:
        load_rules(path)
    return info.value


def test_every_fixture_is_in_the_table():
    names = {p.values[0] for p in CASES}
    assert names == {p.name for p in INVALID.glob("*.yaml")}
    assert len(names) >= 12


@pytest.mark.parametrize("fixture, line, col, en, zh, suggestion, rule_id", CASES)
def test_invalid_rule_file(fixture, line, col, en, zh, suggestion, rule_id):
    path = INVALID / fixture
    exc = load_error(path)
    assert len(exc.errors) == 1, [e.en for e in exc.errors]  # one problem per fixture
    err = exc.errors[0]
    assert isinstance(err, RuleDefinitionError)
    assert err.file.endswith(fixture)
    assert err.line == line
    if col is not None:
        assert err.col == col
    assert en in err.en
    assert zh in err.zh
    if suggestion is not None:
        assert f"did you mean '{suggestion}'?" in err.en
        assert f"是否想写 '{suggestion}'？" in err.zh
    assert err.rule_id == rule_id
    lines = path.read_text(encoding="utf-8").splitlines()
    if err.source_line is not None:
        assert err.source_line == lines[line - 1]
    # the one-line rendering names the place and the problem in both languages
    assert f"{fixture}:{line}" in err.message("en") and f"{fixture}:{line}" in err.message("zh")
    assert en in str(exc) and zh in str(exc)


def test_misspelt_field_suggestion_and_source_line():
    path = INVALID / "misspelt_field.yaml"
    err = load_error(path).errors[0]
    assert err.suggestion == "revenue"
    assert err.name == "revenu"
    assert err.source_line == "      - revenu >= 2000万"
    assert err.source_line == path.read_text(encoding="utf-8").splitlines()[err.line - 1]
    assert err.expression == "revenu >= 2000万"
    assert err.hint_en and err.hint_zh
    # the rendered message puts a caret under the misspelt name
    rendered = err.message("en").splitlines()
    assert rendered[1] == "    " + err.source_line
    assert rendered[2] == "    " + " " * (err.col - 1) + "^"


def test_error_in_a_block_scalar_points_into_the_file():
    err = load_error(INVALID / "block_scalar_expression.yaml").errors[0]
    assert err.source_line == "      and revenue >= 2000"
    assert err.source_line[err.col - 1:].startswith("2000")
    assert "2000元" in err.hint_zh and "2000万" in err.hint_en


def test_duplicate_rule_id_names_the_first_occurrence():
    err = load_error(INVALID / "duplicate_rule_id.yaml").errors[0]
    assert err.en.endswith("duplicate_rule_id.yaml:10)")


def test_yaml_syntax_error_hints_at_quoting():
    err = load_error(INVALID / "yaml_syntax.yaml").errors[0]
    assert "quote" in err.hint_en and "引号" in err.hint_zh
    assert err.source_line[err.col - 1] == ":"


def test_bad_kind_lists_the_allowed_values():
    err = load_error(INVALID / "bad_kind.yaml").errors[0]
    for kind in ("grant", "tax", "price", "fee", "loan", "access", "service"):
        assert f"'{kind}'" in err.en


def test_misspelt_key_lists_the_allowed_keys():
    err = load_error(INVALID / "misspelt_key.yaml").errors[0]
    assert "benefit" in err.hint_en.split(": ", 1)[1].split(", ")
    assert "benefit" in err.hint_zh


def _block_scalar_rule(when: str) -> str:
    return (
        "document:\n"
        "  title: 测试文件\n"
        "  issuer: 测试机关\n"
        '  jurisdiction: {code: "530800", name: 普洱市}\n'
        "rules:\n"
        "  - id: test.block\n"
        "    title: {zh: 示例补助, en: Example grant}\n"
        "    source: {clause: 一, quote: 原文}\n"
        "    kind: grant\n"
        "    mode: auto\n"
        "    basis: threshold\n"
        f"{when}\n"
    )


@pytest.mark.parametrize(
    ("when", "line"),
    [
        # continuation indented deeper than the first line (the indent must not be counted twice)
        ("    when: |\n      is_industrial\n        and revenue >= 2000", 14),
        # folded block scalar: the newline is folded away in the value, not in the file
        ("    when: >\n      is_industrial\n      and revenue >= 2000", 14),
        # plain multi-line scalar: the value starts on the `when:` line (12), the error is on 13
        ("    when: is_industrial\n      and revenue >= 2000", 13),
    ],
    ids=["literal-indented", "folded", "plain-multiline"],
)
def test_error_on_the_second_line_of_other_multiline_scalars(tmp_path, when, line):
    path = tmp_path / "multiline.yaml"
    path.write_text(_block_scalar_rule(when), encoding="utf-8")
    err = load_error(path).errors[0]
    assert err.line == line
    assert err.source_line.endswith("and revenue >= 2000")
    assert err.source_line[err.col - 1:] == "2000"


THREE_ERRORS = """\
document:
  title: 测试文件
  issuer: 测试机关
  jurisdiction: {code: "530800", name: 普洱市}

rules:
  - id: test.three.first
    title: {zh: 第一项, en: First}
    source: {clause: 一, quote: 原文一}
    kind: grant
    mode: auto
    basis: threshold
    when: revenu >= 2000万
    benefit: {amount: 10万}

  - id: test.three.second
    title: {zh: 第二项, en: Second}
    source: {clause: 二, quote: 原文二}
    kind: grant
    mode: auto
    basis: threshold
    when:
      - is_industrial
      - vat_taxpayer == "small_scal"
    benefit: {amount: 10万}

  - id: test.three.valid
    title: {zh: 正确的一项, en: A valid one}
    source: {clause: 三, quote: 原文三}
    kind: grant
    mode: auto
    basis: threshold
    when: employees >= 50
    benefit: {amount: 10万}

  - id: test.three.third
    title: {zh: 第三项, en: Third}
    source: {clause: 四, quote: 原文四}
    kind: grant
    mode: auto
    basis: threshold
    when: employees >= 50万
    benefit: {amount: 10万}
"""


def test_three_independent_errors_are_reported_at_once(tmp_path):
    path = tmp_path / "three.yaml"
    path.write_text(THREE_ERRORS, encoding="utf-8")
    exc = load_error(path)
    got = [(e.rule_id, e.line, e.col) for e in exc.errors]
    assert got == [
        ("test.three.first", 13, 11),
        ("test.three.second", 24, 25),  # at the "small_scal" literal
        ("test.three.third", 42, 11),
    ]
    assert "unknown field 'revenu'" in exc.errors[0].en
    assert "value 'small_scal' is not one of" in exc.errors[1].en
    assert "unit or type mismatch" in exc.errors[2].en
    assert all(e.file == str(path) for e in exc.errors)
    assert exc.zh.startswith("3 处规则定义错误") and exc.en.startswith("3 rule definition error(s)")


def test_errors_of_several_files_are_reported_together():
    exc = load_error_many(INVALID / "misspelt_field.yaml", INVALID / "bad_kind.yaml", INVALID / "yaml_syntax.yaml")
    assert sorted(Path(e.file).name for e in exc.errors) == ["bad_kind.yaml", "misspelt_field.yaml", "yaml_syntax.yaml"]


def test_loading_the_whole_invalid_folder_reports_every_file():
    exc = load_error(INVALID)
    files = {Path(e.file).name for e in exc.errors}
    assert files == {p.name for p in INVALID.glob("*.yaml")}


def load_error_many(*paths: Path) -> RuleSetError:
    with pytest.raises(RuleSetError) as info:
        load_rules(*paths)
    return info.value
