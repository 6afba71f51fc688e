"""What ``score`` and ``rules list/facts`` print fits an 80-column terminal: titles (not ids), figures
whole, text broken between words only (Chinese-aware), nothing cut; the totals keep exact, up-to and
unknown amounts apart."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console
from typer.testing import CliRunner

import eligibility as el
from eligibility._wrap import longest_unit, wrap
from eligibility.cli import _print_summary, app

ROOT = Path(__file__).resolve().parents[1]
REGISTER = ROOT / "examples" / "register.csv"
WORD = re.compile(r"[0-9A-Za-z][0-9A-Za-z.,%/+\-_:'’&]*")
runner = CliRunner()


@given(st.text(st.sampled_from(list("政策企业小型微利（）《》，。、") + list("abcXYZ0123 .-%") + ["万", "元"]),
               max_size=80), st.integers(1, 40))
def test_wrap_breaks_only_between_words(text: str, extra: int) -> None:
    width = longest_unit(text) + extra
    lines = wrap(text, width)
    assert all(cell_len(line) <= width for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")  # nothing lost, only spaces at breaks
    for word in WORD.findall(text):
        assert any(word in line for line in lines), (word, lines)  # a Latin word or number never split


def test_wrap_keeps_numbers_with_units_and_punctuation_with_its_word() -> None:
    assert wrap("月销售额10万元以下，满12个月", 8) == ["月销售额", "10万元以", "下，满", "12个月"]
    assert wrap("认定（2023年）起", 12) == ["认定", "（2023年）起"]
    assert wrap("One-off grant for firms", 10) == ["One-off", "grant for", "firms"]
    assert all(not line.startswith(("，", "）")) for line in wrap("小型微利企业（按期），增值税（小规模）", 6))


@pytest.fixture(scope="module")
def summary() -> tuple[pd.DataFrame, el.Engine]:
    engine = el.Engine(el.load_rules(tests=False))
    register = pd.read_csv(REGISTER, dtype=str, keep_default_na=False).head(400)
    result = engine.summarize(engine.score(register, date(2024, 6, 30)))
    return result, engine


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_summary_fits_80_columns_with_titles_not_ids(summary, lang: str) -> None:  # type: ignore[no-untyped-def]
    table, engine = summary
    buffer = io.StringIO()
    console = Console(width=80, file=buffer, color_system=None)
    titles = {r.id: r.title.get(lang) for r in engine.rules.rules}
    _print_summary(table, lang, engine.provenance(date(2024, 6, 30)), console, titles)
    text = buffer.getvalue()
    lines = text.splitlines()
    assert lines and max(cell_len(line) for line in lines) <= 80
    for rule_id in table["rule_id"]:
        assert rule_id not in text
    for title in (titles[r] for r in table["rule_id"]):
        for word in WORD.findall(str(title)):
            assert any(word in line for line in lines), (title, word)  # no title split inside a word
        assert title.replace(" ", "")[:2] in text
    exact = sum((Decimal(str(v)) for v in table["amount_exact"]), Decimal(0))
    up_to = sum((Decimal(str(v)) for v in table["amount_up_to"]), Decimal(0))
    flat = text.replace("\n", "")
    assert f"{exact:,.2f}" in flat and f"{up_to:,.2f}" in flat
    if table["lower_bound"].any():
        assert ("lower bound" if lang == "en" else "下限") in flat


def test_summary_titles_are_whole_at_80_columns_in_english(summary) -> None:  # type: ignore[no-untyped-def]
    table, engine = summary
    buffer = io.StringIO()
    titles = {r.id: r.title.get("en") for r in engine.rules.rules}
    _print_summary(table, "en", engine.provenance(date(2024, 6, 30)), Console(width=80, file=buffer, color_system=None),
                   titles)
    first_column = " ".join(line.split("  ")[0].strip() for line in buffer.getvalue().splitlines())
    for rule in engine.rules.rules:
        title = rule.title.get("en")
        if rule.id in set(table["rule_id"]):
            assert title in " ".join(first_column.split()), title  # the lines of a title read back as the title


def test_score_command_at_80_columns(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "80"}
    result = subprocess.run([sys.executable, "-m", "eligibility", "score", str(REGISTER), "-o", str(tmp_path / "o.csv"),
                             "--as-of", "2024-06-30", "--lang", "en", "--chunk-size", "1000"],
                            capture_output=True, text=True, env=env, timeout=600, check=False)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(cell_len(line) for line in lines) <= 80
    assert "cn.small-low-profit-income-tax" not in result.stdout
    assert "Income-tax relief for small" in result.stdout and "total: exact" in result.stdout


@pytest.mark.parametrize(("command", "names"), [
    (["rules", "list"], lambda rules: [(r.id, r.title.get("zh")) for r in rules.rules]),
    (["rules", "facts"], lambda rules: [(name, fact.label("zh")) for name, fact in __import__(
        "eligibility.facts.derived", fromlist=["DERIVED"]).DERIVED.items()]),
])
def test_listings_at_80_columns_show_full_names(command: list[str], names) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(app, command, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(cell_len(line) for line in lines) <= 80
    assert "…" not in result.output
    stripped = {line.strip() for line in lines}
    for name, label in names(el.load_rules(tests=False)):
        assert name in stripped, name  # the id or fact name whole, on its own line
        assert label.replace(" ", "") in result.output.replace("\n  ", "").replace(" ", ""), label
    assert command[1] != "facts" or "is_individual_business" in stripped  # cut as is_individual_bu… before
