"""Hostile register cells through the batch: one bad cell is an ``error`` row for its firm and the
batch goes on, deciding every other row as the API does for the same value.

Findings (issue "hardening"): row 4 (before, a 27-digit cell, 1e25 or inf in a float column aborted
the whole batch with InvalidOperation / OverflowError), row 5 (a 3000-deep JSON list cell raised
RecursionError), row 7 (dates leaving the calendar), row 13 (a full-width USCC after the same USCC
in ASCII was not a duplicate), row 15 (``revenue / employees`` with no employees named nothing in
``missing``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

import eligibility as el
from eligibility.batch import DuplicateTracker, read_register, score_chunk
from eligibility.reads import rule_reads
from ruletext import rule_yaml

AS_OF = date(2024, 6, 30)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> el.Engine:
    from ruletext import DOCUMENT

    path = tmp_path_factory.mktemp("rules") / "r.yaml"
    body = (rule_yaml("t.range", "'revenue >= 0元 and employees >= 0'")
            + rule_yaml("t.ratio", "'revenue / employees > 10元'")
            + rule_yaml("t.date", "'registers.above_scale_industrial.entered_on + 1 day > 2020-01-01'"))
    path.write_text(DOCUMENT.format(jurisdiction="{code: national, name: 全国}")
                    + "".join("  " + line + "\n" for line in body.splitlines()), encoding="utf-8")
    return el.Engine(el.load_rules(path))


def api(engine: el.Engine, data: dict[str, Any]) -> dict[str, tuple[str, tuple[str, ...]]]:
    """rule id → (status, sorted missing) from the explaining interpreter. A value the profile refuses
    is isolated to its field, as the batch does: the rules that read that field are ``error``, every
    other rule is decided with the field unknown."""
    try:
        results = engine.evaluate(data, as_of=AS_OF).results
    except el.ProfileError as exc:
        bad = {f for f in data if f in str(exc.en)}
        assert bad, exc.en
        rest = {k: v for k, v in data.items() if k not in bad}
        results = engine.evaluate(rest, as_of=AS_OF).results
        return {r.rule_id: ("error", ()) if rule_reads(engine.rules[r.rule_id]) & bad
                else (r.status.value, tuple(sorted(r.missing))) for r in results}
    return {r.rule_id: (r.status.value, tuple(sorted(r.missing))) for r in results}


def batch(engine: el.Engine, frame: pd.DataFrame) -> list[dict[str, tuple[str, tuple[str, ...]]]]:
    """Per input row, the same mapping from the batch's long table ("*": a row-level error)."""
    scored = engine.score(frame, AS_OF)
    out: list[dict[str, tuple[str, tuple[str, ...]]]] = [{} for _ in range(len(frame))]
    for rec in scored.itertuples(index=False):
        missing = tuple(sorted(rec.missing)) if isinstance(rec.missing, list) else ()
        key = rec.rule_id if isinstance(rec.rule_id, str) else "*"
        out[int(rec.row) - 1][key] = (rec.status, missing if rec.status != "error" else ())
    return out


COLUMNS: list[tuple[str, list[Any], Any]] = [
    ("revenue", [5, -1, 10**17, 2**62, 10**18 - 1], "int64"),
    ("revenue", [5.0, float("nan"), 1e25, -1.0, float("inf"), 1e17], "float64"),
    ("revenue", ["5", "-1", "1" * 27, "nan", "inf", "20,00", "2,000"], object),
    ("revenue", [Decimal("5"), Decimal("-1"), Decimal("1e30"), None, Decimal("NaN")], object),
    ("employees", [5, -5, 2**62, 0], "int64"),
    ("employees", [5.0, float("nan"), float("inf"), -5.0, 1e25, 2.5], "float64"),
    ("employees", ["5", "-5", "inf", "nan", "1" * 30], object),
]


@pytest.mark.parametrize("column, values, dtype", COLUMNS, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(COLUMNS)])
def test_each_bad_cell_is_its_firms_error_and_the_batch_agrees_with_the_api(
        engine: el.Engine, column: str, values: list[Any], dtype: Any) -> None:
    other = "employees" if column == "revenue" else "revenue"
    frame = pd.DataFrame({column: pd.Series(values, dtype=dtype), other: [1] * len(values)})
    got = batch(engine, frame)
    assert got == [api(engine, {column: v, other: 1}) for v in values]
    errors = [any(status == "error" for status, _ in row.values()) for row in got]
    assert any(errors) and not all(errors)


def test_arrow_columns_from_parquet_agree_with_the_api(engine: el.Engine) -> None:
    """float64 NaN / 1e25 and decimal values beyond the limit, as a Parquet reader gives them."""
    floats = [5.0, float("nan"), 1e25, None, -2.0]
    decimals = [Decimal("5"), Decimal("-1"), Decimal("9" * 30), None, Decimal("19999999.99")]
    frame = pd.DataFrame({"revenue": pd.arrays.ArrowExtensionArray(pa.array(floats)),
                          "total_assets": pd.arrays.ArrowExtensionArray(pa.array(decimals, pa.decimal128(38, 2))),
                          "employees": [1] * 5})
    expected = [api(engine, {"revenue": f, "total_assets": d, "employees": 1}) for f, d in zip(floats, decimals)]
    assert batch(engine, frame) == expected


def test_a_deep_json_list_cell_is_its_rows_error() -> None:
    """Before: RecursionError aborted the batch. Now the too deep cell is a field error of its row: the
    rules that read the certifications are ``error`` naming the limit, the row's other rules are decided."""
    engine = el.Engine(el.load_rules("examples"))
    frame = pd.DataFrame({"certifications": ["[" * 5000 + "]" * 5000, "[" * 300 + "]" * 300, "[]"],
                          "region_code": ["530802"] * 3, "industry_code": ["C3011"] * 3})
    scored = engine.score(frame, AS_OF)
    errors = scored[scored["status"] == "error"]
    assert sorted(set(errors["row"].tolist())) == [1, 2] and errors["rule_id"].notna().all()
    assert all("200" in reason for reason in errors["reason"])
    assert (scored.loc[scored["row"] != 3, "status"] != "error").sum() > 0   # the rest of the row decided
    assert (scored.loc[scored["row"] == 3, "status"] != "error").all()
    assert engine.summarize(scored).attrs["field_errors"] == {"certifications": 2}


def test_division_by_zero_names_the_divisor_in_missing_on_both_paths(engine: el.Engine) -> None:
    """Before: undetermined with an empty ``missing``."""
    profile = {"revenue": 5, "employees": 0}
    assert api(engine, profile)["t.ratio"] == ("undetermined", ("employees",))
    assert batch(engine, pd.DataFrame({"revenue": [5], "employees": [0]}))[0]["t.ratio"] == ("undetermined", ("employees",))


def test_a_date_leaving_the_calendar_is_unknown_on_every_path(engine: el.Engine) -> None:
    """``9999-12-31 + 1 day`` from a register: before, OverflowError in the interpreter and a date past
    year 9999 in the batch."""
    days = ["9999-12-31", "2024-01-01"]
    profiles = [{"registers": {"above_scale_industrial": {"entered_on": d}}} for d in days]
    interpreted = [api(engine, p)["t.date"][0] for p in profiles]
    decided = [next(d.status.value for d in engine.decide(p, as_of=AS_OF) if d.rule_id == "t.date") for p in profiles]
    frame = pd.DataFrame({"registers.above_scale_industrial.entered_on": days})
    batched = [row["t.date"][0] for row in batch(engine, frame)]
    assert interpreted == decided == batched == ["undetermined", "eligible"]


def test_full_width_uscc_is_a_duplicate_of_the_same_code_in_ascii(tmp_path: Path, engine: el.Engine) -> None:
    code = "91350100M000100Y43"
    full = "９１３５０１００Ｍ０００１００Ｙ４３"
    register = tmp_path / "reg.csv"
    register.write_text(f"uscc,revenue,employees\n{code},5,1\n{full},5,1\n {code.lower()} ,5,1\n", encoding="utf-8")
    tracker = DuplicateTracker()
    scored = pd.concat([score_chunk(engine, chunk, AS_OF, tracker) for _, chunk in read_register(register)])
    first = scored.groupby("row")["duplicate_of"].first()
    assert pd.isna(first[1]) and first[2] == 1 and first[3] == 1
    assert set(scored["status"]) != {"error"}


def test_a_signalling_nan_decimal_is_unknown_as_in_the_api(engine: el.Engine) -> None:
    """Before: pandas raised decimal.InvalidOperation testing it for missing, and the batch stopped."""
    values = [Decimal("5"), Decimal("sNaN"), Decimal("7")]
    frame = pd.DataFrame({"revenue": pd.Series(values, dtype=object), "employees": [1, 1, 1]})
    assert batch(engine, frame) == [api(engine, {"revenue": v, "employees": 1}) for v in values]
    assert batch(engine, frame)[1] == api(engine, {"employees": 1})
