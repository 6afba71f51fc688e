"""Safe YAML loading: rule files are data. No tag may construct Python objects, duplicate keys are
errors naming both lines, and every key, value and item keeps its position in the file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from eligibility import load_rules
from eligibility.errors import RuleDefinitionError, RuleSetError
from eligibility.io.yamlload import Located, LocatedList, LineLoader, Mark, load_yaml, load_yaml_file


def yaml_error(text: str, filename: str = "rules.yaml") -> RuleDefinitionError:
    with pytest.raises(RuleDefinitionError) as info:
        load_yaml(text, filename)
    return info.value


# -- no code can run ----------------------------------------------------------------------------

# each payload would create the directory {target} if its tag were honoured by an unsafe loader
PYTHON_TAGS = [
    '!!python/object/apply:os.mkdir ["{target}"]',
    '!!python/object/apply:os.makedirs {{args: ["{target}"]}}',
    '!<tag:yaml.org,2002:python/object/apply:os.mkdir> ["{target}"]',
    '!!python/object/new:pathlib.Path ["{target}"]',
    '!!python/object:pathlib.Path {{}}',
    "!!python/name:os.system",
    "!!python/module:os",
    "!!python/tuple [1, 2]",
    "!include other.yaml",
]


@pytest.mark.parametrize("payload", PYTHON_TAGS)
def test_python_tags_are_refused_and_never_run(tmp_path, payload):
    target = tmp_path / "pwned"
    text = "title: 测试\nvalue: " + payload.format(target=target) + "\n"
    err = yaml_error(text)
    assert not target.exists()
    assert err.file == "rules.yaml"
    assert err.line == 2
    assert err.col == len("value: ") + 1
    assert err.source_line == text.splitlines()[1]
    assert "is not allowed: rule files are data and never run code" in err.en
    assert "不允许使用 YAML 标签" in err.zh


def test_python_tag_in_a_rule_file_fails_the_load_without_running(tmp_path):
    target = tmp_path / "pwned"
    path = tmp_path / "evil.yaml"
    path.write_text(
        "document:\n"
        "  title: 测试文件\n"
        "  issuer: 测试机关\n"
        '  jurisdiction: {code: "530800", name: 普洱市}\n'
        "rules:\n"
        "  - id: test.evil\n"
        "    title: {zh: 示例, en: Example}\n"
        f'    source: {{clause: 一, quote: !!python/object/apply:os.mkdir ["{target}"]}}\n'
        "    kind: grant\n"
        "    mode: auto\n"
        "    basis: threshold\n"
        "    when: is_industrial\n",
        encoding="utf-8",
    )
    with pytest.raises(RuleSetError) as info:
        load_rules(path)
    assert not target.exists()
    (err,) = info.value.errors
    assert err.file == str(path)
    assert err.line == 8
    assert "python/object/apply:os.mkdir" in err.en


def test_the_loader_is_a_safe_loader_and_leaves_pyyaml_alone():
    assert issubclass(LineLoader, yaml.SafeLoader)
    assert not issubclass(LineLoader, (yaml.FullLoader, yaml.UnsafeLoader))
    # registering positions on LineLoader must not patch the global SafeLoader
    mapping_tag = yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG
    assert yaml.SafeLoader.yaml_constructors[mapping_tag] is yaml.constructor.SafeConstructor.construct_yaml_map
    load_yaml("a: 1\n")
    assert type(yaml.safe_load("a: 1\n")) is dict


# -- duplicate keys -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, key, first, line, col",
    [
        ("a: 1\nb: 2\na: 3\n", "a", 1, 3, 1),
        ("rules:\n  - id: x\n    kind: grant\n    mode: auto\n    kind: tax\n", "kind", 3, 5, 5),
        ("x: {a: 1, b: 2, a: 3}\n", "a", 1, 1, 17),
        ('a: 1\n"a": 2\n', "a", 1, 2, 1),  # the same key, quoted
        ('1: x\n"1": y\n', "1", 1, 2, 1),  # a number key and its text are the same key
        ("outer:\n  inner:\n    k: 1\n\n    k: 2\n", "k", 3, 5, 5),
    ],
)
def test_duplicate_keys_are_refused_with_both_lines(text, key, first, line, col):
    err = yaml_error(text)
    assert err.line == line
    assert err.col == col
    assert err.file == "rules.yaml"
    assert err.en == f"duplicate key '{key}' (first at line {first})"
    assert err.zh == f"重复的键 '{key}'（第一次出现在第 {first} 行）"


def test_same_key_in_different_mappings_is_fine():
    data = load_yaml("- {id: a, kind: grant}\n- {id: b, kind: grant}\n")
    assert data == [{"id": "a", "kind": "grant"}, {"id": "b", "kind": "grant"}]


def test_complex_keys_are_refused():
    err = yaml_error("? [a, b]\n: 1\n")
    assert err.en == "a mapping key must be a plain value"
    assert err.line == 1


# -- syntax errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, line, col, problem",
    [
        ("a: 1\nb: x: y\n", 2, 5, "mapping values are not allowed here"),
        ("a: [1, 2\nb: 3\n", 2, 2, "expected ',' or ']'"),
        ("a: 1\n---\nb: 2\n", 2, 1, "but found another document"),
        ("a:\n\t- 1\n", 2, 1, "found character '\\t' that cannot start any token"),
    ],
)
def test_syntax_errors_are_located(text, line, col, problem):
    err = yaml_error(text)
    assert (err.line, err.col) == (line, col)
    assert err.source_line == text.splitlines()[line - 1]
    assert err.en == f"YAML syntax error: {problem}" or problem in err.en
    assert err.zh.startswith("YAML 语法错误")
    assert "quote" in err.hint_en and "引号" in err.hint_zh


def test_empty_document_is_none():
    assert load_yaml("") is None
    assert load_yaml("# only a comment\n") is None


# -- positions ----------------------------------------------------------------------------------

SAMPLE = """\
# a comment
document:
  title: 测试文件
  code: "530800"
  date: 2024-01-01
rules:
  - id: first
    when: |
      is_industrial
      and revenue >= 2000万
  - {id: second, when: 'employees >= 50'}
  - note: >
      folded
      text
  - plain
"""


def test_mappings_and_lists_record_their_positions():
    data = load_yaml(SAMPLE)
    assert isinstance(data, Located)
    assert data.mark == Mark(2, 1)
    assert data.key_marks == {"document": Mark(2, 1), "rules": Mark(6, 1)}
    assert data.value_marks["document"] == Mark(3, 3)
    assert data.value_marks["rules"] == Mark(7, 3)

    document = data["document"]
    assert isinstance(document, Located)
    assert document.key_marks["title"] == Mark(3, 3)
    assert document.value_marks["title"] == Mark(3, 10)
    assert document.value_marks["code"] == Mark(4, 9, '"')
    assert document.value_marks["date"] == Mark(5, 9)

    rules = data["rules"]
    assert isinstance(rules, LocatedList)
    assert rules.mark == Mark(7, 3)
    assert rules.item_marks == [Mark(7, 5), Mark(11, 5), Mark(12, 5), Mark(15, 5)]
    assert rules[0].value_marks["when"] == Mark(8, 11, "|")
    assert rules[1].mark == Mark(11, 5)
    assert rules[1].key_marks["when"] == Mark(11, 18)
    assert rules[1].value_marks["when"] == Mark(11, 24, "'")
    assert rules[2].value_marks["note"] == Mark(12, 11, ">")


def test_values_keep_their_yaml_types():
    data = load_yaml(SAMPLE)
    assert data["document"]["code"] == "530800"  # quoted: text, not a number
    assert data["document"]["date"] == date(2024, 1, 1)
    assert data["rules"][0]["when"] == "is_industrial\nand revenue >= 2000万\n"
    assert data["rules"][2]["note"] == "folded text\n"
    assert data["rules"][3] == "plain"
    assert data == {
        "document": {"title": "测试文件", "code": "530800", "date": date(2024, 1, 1)},
        "rules": [
            {"id": "first", "when": "is_industrial\nand revenue >= 2000万\n"},
            {"id": "second", "when": "employees >= 50"},
            {"note": "folded text\n"},
            "plain",
        ],
    }


def test_positions_count_characters_not_bytes():
    data = load_yaml("标题: 普洱市\n名称: {代码: x}\n")
    assert data.value_marks["标题"] == Mark(1, 5)
    assert data["名称"].value_marks["代码"] == Mark(2, 10)


def test_load_yaml_file_reads_utf8_and_names_the_file(tmp_path):
    path = tmp_path / "规则.yaml"
    path.write_text("title: 普洱市促进民营经济发展\nx: 1\nx: 2\n", encoding="utf-8")
    with pytest.raises(RuleDefinitionError) as info:
        load_yaml_file(path)
    assert info.value.file == str(path)
    assert info.value.line == 3
    ok = tmp_path / "ok.yaml"
    ok.write_text("title: 普洱市\n", encoding="utf-8")
    assert load_yaml_file(Path(ok)) == {"title": "普洱市"}


def test_sibling_tests_file_is_loaded():
    from eligibility import load_rules

    rules = load_rules("examples")
    award = rules["examples.tengger.tech-transfer-award"]
    assert award.tests and all(t.file.endswith("tengger-demo.tests.yaml") for t in award.tests)
    assert award.tests[0].line == 47  # the line of the test in the sibling file


def test_rules_for_deciding_only_leave_the_sibling_tests_unread(tmp_path):
    """load_rules(tests=False), as the score command loads: the same rules and hash, without the
    tests beside them; a broken tests file then stops nothing (eligibility test still reports it)."""
    from eligibility import load_rules

    full, bare = load_rules("examples"), load_rules("examples", tests=False)
    assert list(full) == list(bare) and full.hash == bare.hash
    assert full["examples.tengger.tech-transfer-award"].tests and not bare["examples.tengger.tech-transfer-award"].tests
    (tmp_path / "r.yaml").write_text(
        "document:\n  title: 测试\n  issuer: 测试\n  jurisdiction: {code: national, name: 全国}\nrules:\n"
        "  - id: s.one\n    title: {zh: 测试, en: test}\n    source: {clause: 一, quote: 测试}\n"
        "    kind: grant\n    mode: auto\n    basis: threshold\n    when: employees > 0\n", encoding="utf-8")
    (tmp_path / "r.tests.yaml").write_text("tests: [unclosed\n", encoding="utf-8")
    with pytest.raises(RuleSetError):
        load_rules(tmp_path / "r.yaml")
    assert list(load_rules(tmp_path / "r.yaml", tests=False)) == ["s.one"]


def test_error_in_sibling_tests_file_is_located_there(tmp_path):
    from eligibility import load_rules

    (tmp_path / "r.yaml").write_text(
        "document:\n  title: 测试\n  issuer: 测试\n  jurisdiction: {code: national, name: 全国}\nrules:\n"
        "  - id: s.one\n    title: {zh: 测试, en: test}\n    source: {clause: 一, quote: 测试}\n"
        "    kind: grant\n    mode: auto\n    basis: threshold\n    when: employees > 0\n", encoding="utf-8")
    (tmp_path / "r.tests.yaml").write_text(
        "tests:\n  s.one:\n    - name: bad amount\n      as_of: 2024-01-01\n      profile: {employees: 1}\n"
        "      expect: {status: eligible, amount: 5万人}\n", encoding="utf-8")
    with pytest.raises(RuleSetError) as info:
        load_rules(tmp_path / "r.yaml")
    (err,) = info.value.errors
    assert err.file.endswith("r.tests.yaml") and err.line == 6
    assert err.source_line.strip().startswith("expect:")
