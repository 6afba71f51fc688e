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
