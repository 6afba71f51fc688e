"""The pytest plugin: a project's rule tests as pytest items, only where the project asks for them."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from ruletext import DOCUMENT, rule_yaml

pytest_plugins = ["pytester"]

INVALID = Path(__file__).resolve().parents[1] / "io" / "invalid"
TESTS = """\
tests:
  - {name: 达到门槛, as_of: 2024-06-30, profile: {revenue: 2000万}, expect: {status: eligible, amount: 10万}}
  - {name: 差一分, as_of: 2024-06-30, profile: {revenue: 19999999.99}, expect: {status: ineligible}}
  - {name: 营业收入未知, as_of: 2024-06-30, profile: {}, expect: {status: undetermined, missing: [revenue]}}
"""


def _rule_file(rule_id: str = "p.grant", tests: str = TESTS) -> str:
    body = rule_yaml(rule_id, '"revenue >= 2000万"', amount="10万", extra=tests)
    return DOCUMENT.format(jurisdiction="{code: national, name: 全国}") + textwrap.indent(body, "  ")


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project with a rule pack under rules/, a Python test, and the ini option pointing at rules/."""
    pytester.mkdir("rules")
    (pytester.path / "rules" / "grants.yaml").write_text(_rule_file(), encoding="utf-8")
    pytester.makepyfile(test_plain="def test_plain():\n    assert True\n")
    pytester.makeini("[pytest]\neligibility_rules = rules\n")
    return pytester


def test_a_passing_project_runs_each_rule_test_as_an_item(project: pytest.Pytester) -> None:
    result = project.runpytest("-v")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines([
        "rules/grants.yaml::p.grant::达到门槛 PASSED*",
        "rules/grants.yaml::p.grant::差一分 PASSED*",
        "rules/grants.yaml::p.grant::营业收入未知 PASSED*",
    ])
    one = project.runpytest("rules/grants.yaml::p.grant::差一分")  # selection by node id
    one.assert_outcomes(passed=1)


def test_a_failing_test_shows_the_runner_report_in_the_chosen_language(project: pytest.Pytester) -> None:
    wrong = TESTS.replace("profile: {revenue: 19999999.99}, expect: {status: ineligible}",
                          "profile: {revenue: 19999999.99}, expect: {status: eligible}")
    (project.path / "rules" / "grants.yaml").write_text(_rule_file(tests=wrong), encoding="utf-8")
    result = project.runpytest()
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines([
        "*_ p.grant — 差一分 _*",
        "*grants.yaml:*: p.grant — 差一分 未通过",
        "    状态：期望 eligible，实际 ineligible",
        "    实际解释：",
        "*✗ 营业收入 19,999,999.99元，不低于 2,000万元*",
        "FAILED rules/grants.yaml::p.grant::差一分*",
    ])
    english = project.runpytest("--eligibility-lang", "en")
    english.stdout.fnmatch_lines(["    status: expected eligible, got ineligible", "    explanation:"])
    project.makeini("[pytest]\neligibility_rules = rules\neligibility_lang = en\n")
    project.runpytest().stdout.fnmatch_lines(["    status: expected eligible, got ineligible"])


def test_a_rule_file_that_does_not_load_is_one_failing_item_and_the_rest_still_run(project: pytest.Pytester) -> None:
    shutil.copy(INVALID / "misspelt_field.yaml", project.path / "rules" / "broken.yaml")
    result = project.runpytest()
    result.assert_outcomes(passed=4, failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([
        "*_ broken.yaml — load _*",
        "规则文件 */rules/broken.yaml 未能加载：",
        "*/rules/broken.yaml:20:9: 未知字段 'revenu'，是否想写 'revenue'？ [[]test.invalid.misspelt-field]",
        "*- revenu >= 2000万",
        "*^",
        "FAILED rules/broken.yaml::load*",
    ])


def test_an_error_in_a_sibling_tests_file_fails_its_rule_file(project: pytest.Pytester) -> None:
    (project.path / "rules" / "grants.tests.yaml").write_text(
        "tests:\n  p.grant:\n    - {name: x, as_of: 2024-06-30, profile: {}, expect: {status: eligble}}\n",
        encoding="utf-8")
    result = project.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*/rules/grants.tests.yaml:*", "FAILED rules/grants.yaml::load*"])


def test_nothing_is_collected_without_the_option(pytester: pytest.Pytester) -> None:
    pytester.mkdir("rules")
    (pytester.path / "rules" / "grants.yaml").write_text(_rule_file(), encoding="utf-8")
    shutil.copytree(INVALID, pytester.path / "invalid")  # this repository's own invalid fixtures
    assert pytester.runpytest().ret == pytest.ExitCode.NO_TESTS_COLLECTED
    pytester.makepyfile(test_plain="def test_plain():\n    assert True\n")
    pytester.runpytest().assert_outcomes(passed=1)


def test_the_command_line_option_collects_and_ini_paths_do_not_join_an_explicit_selection(
        project: pytest.Pytester) -> None:
    project.runpytest("test_plain.py").assert_outcomes(passed=1)  # ini paths: only when no test is named
    (project.path / "other.yaml").write_text(_rule_file("p.other"), encoding="utf-8")
    result = project.runpytest("test_plain.py", "--eligibility-rules", "other.yaml")
    result.assert_outcomes(passed=4)  # the command line replaces the ini paths and joins any run
    result.stdout.fnmatch_lines(["other.yaml ...*"])
    bundled = project.runpytest("test_plain.py", "--eligibility-rules", "examples", "-q")
    bundled.stdout.fnmatch_lines(["* passed*"])
    assert bundled.ret == pytest.ExitCode.OK


def test_bad_options_are_usage_errors(project: pytest.Pytester) -> None:
    missing = project.runpytest("--eligibility-rules", "nowhere")
    assert missing.ret == pytest.ExitCode.USAGE_ERROR
    missing.stderr.fnmatch_lines(["*找不到规则文件或目录 'nowhere'*", "*no rule file or folder 'nowhere' under *"])
    close = project.runpytest("--eligibility-rules", "exampels")
    close.stderr.fnmatch_lines(["*did you mean 'examples'?*"])
    project.makeini("[pytest]\neligibility_rules = rules\neligibility_lang = fr\n")
    assert project.runpytest().ret == pytest.ExitCode.USAGE_ERROR


def test_a_pack_with_requires_runs_alone(pytester: pytest.Pytester) -> None:
    """``--eligibility-rules cn``: the cn tests need the tengger pack (shared exclusive groups); its tests
    file says so (``requires: [tengger]``), so tengger is loaded and only the cn tests are collected."""
    result = pytester.runpytest("--eligibility-rules", "cn", "-q")
    import eligibility as el

    cn_tests = sum(len(r.tests) for r in el.load_rules("cn").rules)
    result.assert_outcomes(passed=cn_tests)
