"""Command-line conventions: -h, --version, python -m, - for standard input, whole bilingual help,
JSON listings, one header language per --lang, exit codes, shell completion, and how packs resolve."""

from __future__ import annotations

import inspect
import json
import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

import eligibility as el
from eligibility.cli import EXIT_CODES, app
from eligibility.io.rules import bundled_rules_dir

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ROOT / "examples" / "profiles" / "puer-manufacturer.yaml"
runner = CliRunner()


def _commands() -> list[tuple[list[str], object]]:
    """Every command and group of the CLI, with the words that call it."""
    found: list[tuple[list[str], object]] = []

    def walk(cmd: object, words: list[str]) -> None:
        found.append((words, cmd))
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, [*words, name])

    walk(get_command(app), [])
    return found


def test_version_names_library_rules_and_python() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"eligibility {el.__version__}"
    assert lines[1].split()[1] == el.load_rules(tests=False).hash  # the bundled packs' rule-set hash
    assert lines[2] == f"Python {platform.python_version()}"


def test_python_dash_m_runs_the_command() -> None:
    done = subprocess.run([sys.executable, "-m", "eligibility", "-V"], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"eligibility {el.__version__}\n")


@pytest.mark.parametrize("words", [w for w, _ in _commands()], ids=lambda w: " ".join(w) or "eligibility")
def test_help_is_whole_bilingual_and_states_exit_codes(words: list[str]) -> None:
    short, long_ = (runner.invoke(app, [*words, flag]) for flag in ("-h", "--help"))
    assert short.exit_code == long_.exit_code == 0, short.output
    assert short.output == long_.output
    text = short.output
    assert "<bool>" not in text
    assert "显示此帮助并退出。 Show this help and exit." in text
    assert " ".join(EXIT_CODES.split()) in " ".join(text.split())
    cmd = dict((tuple(w), c) for w, c in _commands())[tuple(words)]
    for name, sub in getattr(cmd, "commands", {}).items():  # each listed command's first paragraph, whole
        first = " ".join(inspect.cleandoc(sub.help).split("\n\n")[0].split())
        assert first in " ".join(text.split()), (name, first)
        assert first.split()[-1] + "..." not in text


def test_shell_completion_is_installable() -> None:
    text = runner.invoke(app, ["-h"]).output
    assert "--install-completion" in text and "为当前 shell 安装命令补全" in text
    # in a process of its own: the completion script is read from the command's real name and environment
    shown = subprocess.run([sys.executable, "-m", "eligibility", "--show-completion", "bash"], capture_output=True,
                           text=True, timeout=120, env={**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"})
    assert shown.returncode == 0 and "_ELIGIBILITY_COMPLETE" in shown.stdout, shown.stderr


def test_match_reads_the_profile_from_standard_input() -> None:
    from_file = runner.invoke(app, ["match", str(PROFILE), "-r", "examples", "--as-of", "2024-06-30", "-f", "json"])
    from_stdin = runner.invoke(app, ["match", "-", "-r", "examples", "--as-of", "2024-06-30", "-f", "json"],
                               input=PROFILE.read_text(encoding="utf-8"))
    assert from_stdin.exit_code == 0, from_stdin.output
    assert json.loads(from_stdin.output) == json.loads(from_file.output)
    as_json = runner.invoke(app, ["match", "-", "-r", "examples", "--as-of", "2024-06-30", "-f", "json"],
                            input=json.dumps({"region_code": "530802", "industry_code": "C3011"}))
    assert as_json.exit_code == 0 and json.loads(as_json.output)["results"]


def test_a_missing_profile_is_an_input_error() -> None:
    result = runner.invoke(app, ["match", "no-such-profile.yaml", "-r", "examples"])
    assert result.exit_code == 2 and "no-such-profile.yaml" in result.output


def test_rules_list_as_json_and_in_one_language() -> None:
    listed = runner.invoke(app, ["rules", "list", "-r", "examples", "--format", "json", "--lang", "en"])
    assert listed.exit_code == 0, listed.output
    records = json.loads(listed.output)
    rules = el.load_rules("examples")
    assert [r["id"] for r in records] == [r.id for r in rules.rules]
    first = records[0]
    assert set(first) == {"id", "title", "kind", "mode", "basis", "group", "effective"}
    assert first["title"] == rules.rules[0].title.get("en")
    assert first["effective"]["from"] == rules.rules[0].effective.start.isoformat()
    zh = _header(runner.invoke(app, ["rules", "list", "-r", "examples"], env=WIDE).output)
    en = _header(runner.invoke(app, ["rules", "list", "-r", "examples", "--lang", "en"], env=WIDE).output)
    assert "名" in zh and "施" in zh and not re.search("[a-z]{3}", zh)
    assert "ki" in en and "gro" in en and not re.search("[\u4e00-\u9fff]", en)


WIDE = {"COLUMNS": "400"}  # a terminal wide enough for the listing's table (narrower: one entry per item)


def _header(table: str) -> str:
    """The header rows of a rich table (above its ┡ rule)."""
    lines = table.splitlines()
    return "\n".join(lines[:next(i for i, line in enumerate(lines) if line.startswith("┡"))])


def test_rules_facts_as_json_and_in_one_language() -> None:
    from eligibility.facts.derived import DERIVED

    records = json.loads(runner.invoke(app, ["rules", "facts", "-f", "json"]).output)
    assert [r["name"] for r in records] == list(DERIVED)
    assert all(isinstance(r["reads"], list) for r in records)
    zh = _header(runner.invoke(app, ["rules", "facts"], env=WIDE).output)
    assert "名" in zh and not re.search("[a-z]{3}", zh)
    bad = runner.invoke(app, ["rules", "facts", "-f", "xml"])
    assert bad.exit_code == 2


def test_score_footer_follows_lang(tmp_path: Path) -> None:
    register = tmp_path / "reg.csv"
    register.write_text("uscc,region_code,industry_code\n91130600738737199K,530802,C3011\n", encoding="utf-8")
    zh = runner.invoke(app, ["score", str(register), "-o", str(tmp_path / "zh.csv"), "-r", "examples",
                             "--as-of", "2024-06-30"])
    en = runner.invoke(app, ["score", str(register), "-o", str(tmp_path / "en.csv"), "-r", "examples",
                             "--as-of", "2024-06-30", "--lang", "en"])
    assert zh.exit_code == en.exit_code == 0, zh.output
    assert "规则集" in zh.output and "评估日 2024-06-30" in zh.output and "as of" not in zh.output
    assert "rules " in en.output and "as of 2024-06-30" in en.output and "评估日" not in en.output


# -- packs ------------------------------------------------------------------------------------------

BUNDLED = sorted(p.name for p in bundled_rules_dir().iterdir() if p.is_dir())


@pytest.mark.parametrize("pack", BUNDLED)
def test_every_bundled_pack_passes_its_tests_alone(pack: str) -> None:
    result = runner.invoke(app, ["test", pack])
    assert result.exit_code == 0, result.output[-3000:]
    last = result.output.splitlines()[-1]
    assert last.endswith(" passed, 0 failed") and int(last.split()[0]) > 0


def test_a_pack_runs_only_its_own_tests_with_what_it_requires() -> None:
    alone = runner.invoke(app, ["test", "cn"])
    cn_tests = sum(len(r.tests) for r in el.load_rules("cn").rules)
    assert alone.output.splitlines()[-1] == f"{cn_tests} passed, 0 failed"
    assert "tengger" in alone.output.splitlines()[0]  # the note: loaded too, as the tests require
    covered = runner.invoke(app, ["test", "cn", "--coverage", "--boundaries"])
    assert covered.exit_code == 0 and "cn.small-low-profit-income-tax" in covered.output
    assert "tengger." not in "\n".join(covered.output.splitlines()[1:])  # only cn's rules are reported


def test_a_missing_requirement_is_a_located_error(tmp_path: Path) -> None:
    pack = tmp_path / "mine"
    pack.mkdir()
    shutil.copy(bundled_rules_dir() / "examples" / "puer-demo.yaml", pack / "demo.yaml")
    (pack / "demo.tests.yaml").write_text("requires: [no-such-pack]\ntests: {}\n", encoding="utf-8")
    result = runner.invoke(app, ["test", str(pack)])
    assert result.exit_code == 2 and "no-such-pack" in result.output


def _local_puer(folder: Path) -> None:
    """./puer holding a rule file: the examples' 普洱 demo (ids examples.puer.*)."""
    (folder / "puer").mkdir()
    text = (bundled_rules_dir() / "examples" / "puer-demo.yaml").read_text(encoding="utf-8")
    (folder / "puer" / "puer-demo.yaml").write_text(_without_source_text(text), encoding="utf-8")


def _without_source_text(text: str) -> str:
    """A copied rule file without its document's ``source:`` (the shipped text is not beside the copy)."""
    return "\n".join(line for line in text.splitlines() if not line.startswith("  source: ../"))


def test_a_path_that_exists_wins_over_a_bundled_pack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    bundled = json.loads(runner.invoke(app, ["rules", "list", "-r", "puer", "-f", "json"]).stdout)
    assert all(r["id"].startswith("puer.") for r in bundled)
    _local_puer(tmp_path)
    local = runner.invoke(app, ["rules", "list", "-r", "puer", "-f", "json"])
    assert local.exit_code == 0, local.output
    assert {r["id"] for r in json.loads(local.stdout)} == {r.id for r in el.load_rules("examples").rules
                                                            if r.id.startswith("examples.puer.")}
    assert "note: loaded the path ./puer, not the bundled pack puer" in local.stderr
    linted = runner.invoke(app, ["lint", "puer", "--lang", "en"])
    assert "note: loaded the path ./puer" in linted.stderr and "4 rules;" in linted.stdout  # the 普洱 demo rules


def test_a_folder_without_rule_files_leaves_the_pack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "puer").mkdir()
    (tmp_path / "puer" / "firm.yaml").write_text("region_code: '530802'\n", encoding="utf-8")
    result = runner.invoke(app, ["rules", "list", "-r", "puer", "-f", "json"])
    assert result.exit_code == 0 and all(r["id"].startswith("puer.") for r in json.loads(result.stdout))
    assert "note:" not in result.stderr


def test_mutate_with_no_mutant_says_so_and_fails_under_fail_under(tmp_path: Path) -> None:
    rules = el.load_rules("examples")
    source = bundled_rules_dir() / "examples" / "puer-demo.yaml"
    rule = rules["examples.puer.new-industrial"]  # conditions without a comparison or threshold to change
    one = tmp_path / "one.yaml"
    text = _without_source_text(source.read_text(encoding="utf-8"))
    head, body = text.split("\nrules:\n", 1)
    block = body.split("\n  - id: ")[0]
    one.write_text(head + "\nrules:\n" + block + "\n", encoding="utf-8")
    assert [r.id for r in el.load_rules(one).rules] == [rule.id]
    zh = runner.invoke(app, ["test", str(one), "--mutate"])
    assert zh.exit_code == 0 and "没有可生成的变异" in zh.output
    en = runner.invoke(app, ["test", str(one), "--mutate", "--fail-under", "100", "--lang", "en"])
    assert en.exit_code == 1 and "no mutant" in en.output and "no mutation score" in en.output


def test_score_writes_the_long_table_to_standard_output(tmp_path: Path) -> None:
    import pandas as pd

    register = tmp_path / "reg.csv"
    register.write_text("uscc,region_code,industry_code\n91130600738737199K,530802,C3011\n"
                        "9144030071526726XA,530802,C3011\n", encoding="utf-8")
    args = ["score", str(register), "-r", "examples", "--as-of", "2024-06-30"]
    piped = runner.invoke(app, [*args, "-o", "-"])
    assert piped.exit_code == 0, piped.stderr
    to_file = runner.invoke(app, [*args, "-o", str(tmp_path / "out.csv")])
    assert to_file.exit_code == 0
    streamed = (tmp_path / "streamed.csv")
    streamed.write_text(piped.stdout, encoding="utf-8")
    pd.testing.assert_frame_equal(pd.read_csv(streamed), pd.read_csv(tmp_path / "out.csv"))
    assert "读入 2 行" in piped.stderr and "读入" not in piped.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "out.summary.csv", "reg.csv", "streamed.csv"]
    dask = runner.invoke(app, [*args, "-o", "-", "--dask", "local:1"])
    assert dask.exit_code == 2


def test_whatif_writes_the_changes_to_standard_output(tmp_path: Path) -> None:
    import pandas as pd

    args = ["whatif", str(ROOT / "examples" / "register.csv"), "--as-of", "2025-06-30",
            "--set", "puer.new-industrial-above-scale.amount=60万"]
    piped = runner.invoke(app, [*args, "-o", "-"])
    assert piped.exit_code == 0, piped.stderr
    to_file = runner.invoke(app, [*args, "-o", str(tmp_path / "changes.csv")])
    assert to_file.exit_code == 0
    streamed = tmp_path / "streamed.csv"
    streamed.write_text(piped.stdout, encoding="utf-8")
    expected = pd.read_csv(tmp_path / "changes.csv", dtype=str)
    assert len(expected) > 0
    pd.testing.assert_frame_equal(pd.read_csv(streamed, dtype=str), expected)
    assert "调整影响" in piped.stderr and "调整影响" not in piped.stdout
