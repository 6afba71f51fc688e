"""The Engine's batch entry points: a frame ingested ahead of scoring, and frame types scored by a
registered scorer (Dask, imported on first use; the engine itself never imports dask)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import eligibility as el
from eligibility import engine as engine_module

ROOT = Path(__file__).resolve().parents[1]
REGISTER = ROOT / "examples" / "register.csv"
AS_OF = date(2024, 6, 30)


@pytest.fixture(scope="module")
def engine() -> el.Engine:
    return el.Engine(el.load_rules("examples"))


def test_a_frame_ingested_ahead_scores_as_the_frame(engine: el.Engine) -> None:
    frame = pd.read_csv(REGISTER, dtype=str).head(4)
    ingested = engine.ingest(frame, start_row=1)
    assert ingested.frame is frame and ingested.start_row == 1 and ingested.table.row.tolist() == [1, 2, 3, 4]
    pd.testing.assert_frame_equal(engine.score(ingested, AS_OF), engine.score(frame, AS_OF))
    pd.testing.assert_frame_equal(engine.score(engine.ingest(frame, 7), AS_OF, start_row=7),
                                  engine.score(frame, AS_OF, start_row=7))
    pd.testing.assert_frame_equal(engine.score(ingested, AS_OF, wide=True), engine.score(frame, AS_OF, wide=True))


def test_an_ingested_frame_keeps_its_row_numbers(engine: el.Engine) -> None:
    frame = pd.read_csv(REGISTER, dtype=str).head(4)
    with pytest.raises(ValueError, match="not this frame"):
        engine.score(engine.ingest(frame, start_row=1), AS_OF, start_row=5)


class _Rows:
    """A frame type of its own: a list of profiles."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows


def test_a_registered_frame_type_is_scored_by_its_scorer(engine: el.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    frame = pd.read_csv(REGISTER, dtype=str).head(3)
    with pytest.raises(TypeError, match="registered scorer") as caught:
        engine.score(_Rows(frame.to_dict("records")), AS_OF)
    assert "无法为" in str(caught.value)
    monkeypatch.setattr(engine_module, "_FRAME_SCORERS", list(engine_module._FRAME_SCORERS))
    calls: list[tuple[date, bool]] = []

    def scorer(e: el.Engine, rows: _Rows, as_of: date, wide: bool) -> pd.DataFrame:
        calls.append((as_of, wide))
        return e.score(pd.DataFrame(rows.rows), as_of, wide=wide)

    el.register_frame_scorer(lambda f: isinstance(f, _Rows), scorer)
    got = engine.score(_Rows(frame.to_dict("records")), "2024-06-30", wide=True)
    assert calls == [(AS_OF, True)]
    pd.testing.assert_frame_equal(got, engine.score(frame, AS_OF, wide=True))


def _python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, cwd=ROOT,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_importing_the_engine_does_not_import_dask() -> None:
    out = _python("""
        import sys
        import eligibility, eligibility.engine, eligibility.batch
        print(sorted(m for m in sys.modules if m == "dask" or m.startswith("dask.") or m == "eligibility.dask"))
    """)
    assert out.strip() == "[]"


def test_a_dask_frame_is_scored_without_importing_eligibility_dask() -> None:
    pytest.importorskip("dask.dataframe")
    out = _python(f"""
        import sys
        import dask
        import dask.dataframe as dd
        import pandas as pd
        import eligibility as el

        dask.config.set(scheduler="synchronous")
        engine = el.Engine(el.load_rules("examples"))
        frame = pd.read_csv({str(REGISTER)!r}, dtype=str).head(50)
        assert "eligibility.dask" not in sys.modules
        lazy = engine.score(dd.from_pandas(frame, npartitions=3), "2024-06-30")
        in_order = lambda f: f.sort_values(["row", "rule_id"], kind="stable").reset_index(drop=True)
        pd.testing.assert_frame_equal(in_order(lazy.compute()), in_order(engine.score(frame, "2024-06-30")))
        print(type(lazy).__module__.split(".")[0], "eligibility.dask" in sys.modules)
    """)
    assert out.split() == ["dask", "True"]


def test_summary_sums_per_rule_are_exact_with_missing_amounts_slices_and_huge_totals() -> None:
    """The per-rule sums of exact and capped amounts (counted in numpy when they fit, else grouped in
    Arrow) equal Decimal sums row by row: missing amounts skipped, a rule with only missing amounts
    at a plain 0, a column that is a slice of a larger one, totals past 2**53 fen."""
    from decimal import Decimal

    import numpy as np
    import pyarrow as pa

    from eligibility.engine import _split_sums

    rng = np.random.default_rng(7)
    for trial in range(60):
        n = int(rng.integers(0, 300))
        rules = [f"r{i}" for i in range(1 + trial % 5)]
        codes = rng.integers(0, len(rules), n + 2)
        scale = 10**9 if trial % 6 == 0 else 1
        fen = [None if rng.random() < 0.3 or trial % 10 == 1 else int(rng.integers(-10**5, 10**7)) * scale
               for _ in range(n + 2)]
        amounts = pa.array([None if f is None else Decimal(f).scaleb(-2) for f in fen], pa.decimal128(18, 2))
        keys = pd.Series(pd.Categorical.from_codes(codes, categories=rules))
        if trial % 2:  # a slice: the column starts inside its buffers
            amounts, keys, codes, fen = amounts[2:], keys.iloc[2:].reset_index(drop=True), codes[2:], fen[2:]
        else:
            amounts, keys, codes, fen = amounts[:n], keys.iloc[:n], codes[:n], fen[:n]
        eligible = rng.random(n) < 0.7
        up_to = eligible & (rng.random(n) < 0.3)
        exact, caps = _split_sums(keys, pd.Series(pd.arrays.ArrowExtensionArray(amounts)), eligible, up_to)
        values: tuple[dict[str, list[Decimal]], dict[str, list[Decimal]]] = ({}, {})
        for i in np.flatnonzero(eligible):
            found = values[1 if up_to[i] else 0].setdefault(rules[codes[i]], [])
            if fen[i] is not None:
                found.append(Decimal(fen[i]).scaleb(-2))
        want = [{rule: sum(v[1:], v[0]) if v else Decimal(0) for rule, v in part.items()} for part in values]
        assert {k: str(v) for k, v in exact.items()} == {k: str(v) for k, v in want[0].items()}, trial
        assert {k: str(v) for k, v in caps.items()} == {k: str(v) for k, v in want[1].items()}, trial
