"""The stream end to end: worker processes, chunks ingested ahead on the reading thread, chunk
sizes, and no partial file after a failed run."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import eligibility as el
from eligibility.batch import OutputTooLargeError, pipeline, score_file, writers
from eligibility.engine import IngestedFrame

from registerfile import AS_OF, REGISTER, register_rows, write_csv


def test_worker_processes_give_the_same_output_and_summary(engine: el.Engine, tmp_path: Path) -> None:
    """Chunks scored by two processes: the same file, in input order, and the same summary."""
    header, rows = register_rows()
    rows = [list(r) for r in rows[:300]]
    u = header.index("uscc")
    rows[250][u] = rows[10][u]  # a duplicate across chunks, seen by different workers
    rows[40][header.index("revenue")] = "12x3"
    path = write_csv(tmp_path / "r.csv", header, rows)
    one, two = tmp_path / "one.parquet", tmp_path / "two.parquet"
    s1 = score_file(engine, path, one, AS_OF, chunk_size=50)
    s2 = score_file(engine, path, two, AS_OF, chunk_size=50, workers=2)
    pd.testing.assert_frame_equal(pq.read_table(one).to_pandas(), pq.read_table(two).to_pandas())
    pd.testing.assert_frame_equal(s1, s2)
    # the unreadable revenue is a field error of a scored row (only the rules reading revenue are in error)
    assert s2.attrs["rows_read"] == 300 and s2.attrs["rows_error"] == 0 and s2.attrs["rows_duplicate"] == 1
    assert s2.attrs["field_errors"] == {"revenue": 1}


def test_ingesting_ahead_gives_the_stream_scored_in_place(engine: el.Engine, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The next chunk is validated on the reading thread while this one is decided: the same file and
    summary as scoring each chunk where it stands, with bad values, malformed lines (rows renumbered
    after them), blank lines and a duplicate across chunks."""
    header, rows = register_rows()
    rows = [list(r) for r in rows[:120]]
    u = header.index("uscc")
    rows[90][u] = rows[5][u]
    rows[30][header.index("revenue")] = "12x3"
    rows[61] = rows[61][:3]  # too few fields: an error line, and the rows after it are not contiguous
    path = write_csv(tmp_path / "r.csv", header, rows)
    with path.open("a", encoding="utf-8") as f:
        f.write("\n")
    threads: list[str] = []
    original = el.Engine.ingest

    def spy(self: el.Engine, df: pd.DataFrame, start_row: int = 1) -> IngestedFrame:
        threads.append(threading.current_thread().name)
        return original(self, df, start_row)

    def in_place(engine: el.Engine, reader: Iterable[tuple[int, pd.DataFrame]]
                 ) -> Iterator[tuple[int, pd.DataFrame, None]]:
        return ((start, chunk, None) for start, chunk in reader)  # each chunk ingested where it is scored

    monkeypatch.setattr(el.Engine, "ingest", spy)
    for wide in (False, True):
        ahead, here = tmp_path / f"ahead{wide}.parquet", tmp_path / f"here{wide}.parquet"
        threads.clear()
        s1 = score_file(engine, path, ahead, AS_OF, chunk_size=25, wide=wide)
        assert len(threads) == 5 and all(t.startswith("eligibility-reader") for t in threads)
        with monkeypatch.context() as m:
            m.setattr(pipeline, "_ingest_ahead", in_place)
            threads.clear()
            s2 = score_file(engine, path, here, AS_OF, chunk_size=25, wide=wide)
            assert threads == [threading.main_thread().name] * 5
        pd.testing.assert_frame_equal(pq.read_table(ahead).to_pandas(), pq.read_table(here).to_pandas())
        pd.testing.assert_frame_equal(s1, s2)
        # the malformed line is a row-level failure; the unreadable revenue a field error of a scored row
        assert s1.attrs["rows_read"] == 120 and s1.attrs["rows_error"] == 1 and s1.attrs["rows_duplicate"] == 1
        assert s1.attrs["field_errors"] == {"revenue": 1}


def test_observer_sees_each_chunk_as_the_engine_scored_it(engine: el.Engine, tmp_path: Path) -> None:
    """``on_scored`` gets every chunk's ingested frame and the engine's own long table for it (rows
    numbered as ingested, before malformed records are added), in input order; not with workers."""
    header, rows = register_rows()
    rows = [list(r) for r in rows[:60]]
    rows[33] = rows[33][:3]  # a malformed record: an error row the engine never sees
    path = write_csv(tmp_path / "r.csv", header, rows)
    seen: list[tuple[list[int], pd.DataFrame]] = []

    def observe(ingested: IngestedFrame, scored: pd.DataFrame) -> None:
        assert ingested.table.row.tolist() == list(range(ingested.start_row, ingested.start_row + len(ingested.frame)))
        seen.append((ingested.table.row.tolist(), scored.copy()))

    summary = score_file(engine, path, tmp_path / "o.parquet", AS_OF, chunk_size=20, on_scored=observe)
    # the second chunk (rows 21-41 but 34) is not contiguous: numbered from 1 as ingested, renumbered after
    assert [numbers[0] for numbers, _ in seen] == [1, 1, 42] and sum(len(n) for n, _ in seen) == 59
    for numbers, scored in seen:
        assert set(scored["row"]) <= set(numbers) and (scored["status"] != "error").all()
    assert summary.attrs["rows_read"] == 60 and summary.attrs["rows_error"] == 1
    with pytest.raises(ValueError, match="workers"):
        score_file(engine, path, tmp_path / "w.parquet", AS_OF, chunk_size=20, on_scored=observe, workers=2)


def test_chunk_size_does_not_change_the_output(engine: el.Engine, tmp_path: Path) -> None:
    header, rows = register_rows()
    path = write_csv(tmp_path / "r.csv", header, rows[:160])
    small, large = tmp_path / "small.parquet", tmp_path / "large.parquet"
    s1 = score_file(engine, path, small, AS_OF, chunk_size=7)
    s2 = score_file(engine, path, large, AS_OF, chunk_size=10_000)
    a, b = pq.read_table(small), pq.read_table(large)
    assert a.num_rows == b.num_rows > 0
    assert a.to_pylist() == b.to_pylist()
    pd.testing.assert_frame_equal(s1, s2)
    assert s1.attrs["rows_read"] == 160 and s1["eligible"].sum() > 0
    rows_out = a.column("row").to_numpy()
    assert (np.diff(rows_out) >= 0).all() and rows_out.max() <= 160


def test_failed_run_leaves_no_partial_file(engine: el.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writers, "XLSX_MAX_ROWS", 50)
    target = tmp_path / "o.xlsx"
    target.write_bytes(b"previous run")
    with pytest.raises(OutputTooLargeError):
        score_file(engine, REGISTER, target, AS_OF, chunk_size=100)
    assert target.read_bytes() == b"previous run"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.xlsx"]


def test_the_readers_encodings_are_taken_by_the_ingest_and_score_the_same(engine: el.Engine, tmp_path: Path) -> None:
    """A CSV chunk's text columns are dictionary-encoded by the reader; the ingest of the same chunk
    takes those encodings (each once) instead of encoding again, and scores exactly as without them."""
    from eligibility.backends.vectorized import ingest

    header, rows = register_rows()
    rows = [list(r) for r in rows[:400]]
    rows[7][header.index("revenue")] = "12x3"
    rows[9][header.index("registered_on")] = "2019年5月20日"
    (_, chunk), = list(pipeline.read_register(write_csv(tmp_path / "r.csv", header, rows)))
    frame = pipeline._plain_frame(chunk)
    held = len(ingest._MEMO.encodings)
    assert held >= 10  # money, date and number columns read as text
    shared = engine.score(frame, AS_OF)
    assert not ingest._MEMO.encodings  # each taken once
    ingest.forget_encodings()
    alone = engine.score(frame, AS_OF)
    pd.testing.assert_frame_equal(shared, alone)
