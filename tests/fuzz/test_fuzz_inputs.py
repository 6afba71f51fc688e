"""Fuzzing register cells (through the reader and the batch scorer), profile dicts (through the API)
and CLI arguments: a result or a located library error, every row accounted for, and the batch
deciding a cell as the API decides the same value."""

from __future__ import annotations

import contextlib
import json
import math
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

import eligibility as el
from eligibility.cli import app
from eligibility.errors import EligibilityError, ProfileError
from eligibility.batch import read_register, score_chunk
from fuzzing import bounded, fuzz, located

AS_OF = date(2024, 6, 30)
REGISTER_FIELDS = ["uscc", "revenue", "employees", "total_assets", "registered_on", "dishonest_record",
                   "vat_taxpayer", "industry_code", "region_code", "certifications", "hires.min_contract_years"]


@pytest.fixture(scope="module")
def engine() -> el.Engine:
    return el.Engine(el.load_rules("examples"))


numbers = st.one_of(st.integers(), st.floats(), st.decimals(allow_nan=False), st.just(Decimal("NaN")),
                    st.just(Decimal("sNaN")),
                    st.sampled_from([10**27, -1, 0, 2**62, 1e25, math.inf, math.nan]))
texts = st.one_of(st.text(max_size=40), st.sampled_from([
    "=1+1", "=HYPERLINK(\"http://x\",\"y\")", "20,00", "20,000,000", "2500万", "1e30", "nan", "inf", "-5",
    "９１３５０１００Ｍ０００１００Ｙ４３", "91350100M000100Y43", "2024-02-30", "是", "true", "[" * 300 + "]" * 300,
    '[{"kind": "high_tech"}]', "9" * 12_000 + "x", "\x00", "C3011", "530802"]))
cells = st.one_of(st.none(), st.booleans(), numbers, texts)


@fuzz(25)
@given(st.lists(st.dictionaries(st.sampled_from(REGISTER_FIELDS), texts, max_size=5), min_size=1, max_size=6))
def test_register_cells_through_the_reader_and_scorer(engine: el.Engine, tmp_path_factory: pytest.TempPathFactory,
                                                      rows: list[dict[str, str]]) -> None:
    """Every field type as CSV text: each input row gets its rows in the long table, no exception."""
    folder = tmp_path_factory.mktemp("reg")
    frame = pd.DataFrame(rows, columns=REGISTER_FIELDS).astype(object)
    path = folder / "r.csv"
    frame.to_csv(path, index=False)
    with bounded():
        chunks = [score_chunk(engine, chunk, AS_OF) for _, chunk in read_register(path)]
    given = {i + 1 for i, row in enumerate(rows) if any(v.strip() for v in row.values())}
    scored_rows = {int(r) for c in chunks for r in c["row"]}
    assert given <= scored_rows <= set(range(1, len(rows) + 1))


@fuzz(40)
@given(st.sampled_from(["revenue", "employees", "total_assets", "taxable_income"]), st.lists(cells, min_size=1,
                                                                                            max_size=5))
def test_number_cells_decide_as_the_api(engine: el.Engine, field: str, values: list[Any]) -> None:
    """A money or head-count cell of any type: the batch's status per rule equals the API's."""
    frame = pd.DataFrame({field: pd.Series(values, dtype=object)})
    with bounded():
        scored = engine.score(frame, AS_OF)
    for i, value in enumerate(values):
        mine = scored[scored["row"] == i + 1]
        absent = value is None or isinstance(value, float) and math.isnan(value) or isinstance(
            value, Decimal) and value.is_nan() or isinstance(value, str) and not value.strip()
        try:
            expected = {r.rule_id: r.status.value for r in
                        engine.evaluate({} if absent else {field: value}, as_of=AS_OF).results}
        except ProfileError:
            # per-field isolation: the rules that read the field are in error, every other rule is decided
            # as if the field were unknown
            unknown = {r.rule_id: r.status.value for r in engine.evaluate({}, as_of=AS_OF).results}
            got = dict(zip(mine["rule_id"], mine["status"], strict=True))
            assert set(got) == set(unknown), value
            assert all(status in ("error", unknown[rule]) for rule, status in got.items()), (value, got)
            assert all(field in reason for reason in mine.loc[mine["status"] == "error", "reason"]), value
            continue
        assert dict(zip(mine["rule_id"], mine["status"], strict=True)) == expected, value


json_values = st.recursive(st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=10)),
                           lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=6), kids,
                                                                                      max_size=3), max_leaves=15)
profile_dicts = st.dictionaries(st.sampled_from([*REGISTER_FIELDS[:-1], "hires", "registers", "scenario", "taxes_due",
                                                 "benefits_received", "revenu", "name"]) | st.text(max_size=8),
                                json_values | cells, max_size=6)


@fuzz(60)
@given(profile_dicts)
def test_profile_dicts_give_a_result_or_a_profile_error(engine: el.Engine, data: dict[str, Any]) -> None:
    outcomes = []
    for call in (lambda: engine.evaluate(data, as_of=AS_OF).results, lambda: engine.decide(data, as_of=AS_OF)):
        try:
            with bounded():
                got = call()
            outcomes.append([(r.rule_id, r.status.value) for r in got])
        except EligibilityError as exc:
            assert isinstance(exc, ProfileError) and located(exc), exc
            outcomes.append("error")
    assert outcomes[0] == outcomes[1]


words = st.sampled_from(["match", "score", "lint", "test", "rules", "list", "show", "profile", "schema", "whatif",
                         "--as-of", "--format", "-f", "--lang", "-r", "-o", "--set", "--columns", "examples",
                         "2024-06-30", "9999-12-31", "20250630", "json", "text", "zh", "en", "--report", "x.csv",
                         "profile.json", "deep.json", "array.json", "inf.json", "gbk.yaml", "--help"])


@fuzz(40)
@given(st.lists(words | st.text(max_size=12), max_size=7))
def test_cli_arguments_exit_cleanly(tmp_path_factory: pytest.TempPathFactory, args: list[str]) -> None:
    """Any argument list: an exit code (0 ok, 1 findings, 2 usage or input), never a traceback."""
    runner = CliRunner()
    with contextlib.chdir(tmp_path_factory.mktemp("cli")), bounded():
        Path("profile.json").write_text(json.dumps({"revenue": "2500万", "employees": 20}), encoding="utf-8")
        Path("deep.json").write_text("[" * 5000 + "]" * 5000, encoding="utf-8")
        Path("array.json").write_text("[1, 2]", encoding="utf-8")
        Path("inf.json").write_text('{"employees": Infinity}', encoding="utf-8")
        Path("gbk.yaml").write_bytes("营业收入: revenue\n".encode("gbk"))
        result = runner.invoke(app, args, catch_exceptions=True, env={"COLUMNS": "120"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{args!r}: {type(result.exception).__name__}: {result.exception}")
    assert result.exit_code in (0, 1, 2), (args, result.output)


@pytest.mark.parametrize("name", ["deep.json", "array.json", "inf.json"])
def test_cli_match_on_hostile_profile_files(tmp_path: Path, name: str) -> None:
    """Before: RecursionError (deep), AttributeError (array), OverflowError (Infinity)."""
    contents = {"deep.json": "[" * 5000 + "]" * 5000, "array.json": "[1, 2]", "inf.json": '{"employees": Infinity}'}
    path = tmp_path / name
    path.write_text(contents[name], encoding="utf-8")
    result = CliRunner().invoke(app, ["match", str(path), "-r", "examples", "--as-of", "2024-06-30"])
    assert result.exit_code == 2 and (result.exception is None or isinstance(result.exception, SystemExit)), result.output
