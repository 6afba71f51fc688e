"""Repeated USCCs across chunks: the tracker against a plain reference, its run merging, and the
flags in a streamed output."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

import eligibility as el
from eligibility.batch import DuplicateTracker, score_file
from eligibility.batch.duplicates import _merge_runs

from registerfile import AS_OF, register_rows, write_csv


def test_duplicate_tracker_across_chunks_matches_a_plain_reference() -> None:
    rng = random.Random(7)
    pool = [f"9153{n:014d}" for n in range(300)]
    values: list[str | None] = [rng.choice(pool) for _ in range(2000)]
    for i in range(0, 2000, 37):
        values[i] = None if i % 2 else ""
    values[5] = "  " + str(values[4]).lower() + " "  # normalised: the same firm as row 5
    expected, first = [], {}
    for row, v in enumerate(values, start=1):
        key = (v or "").strip().upper()
        if not key:
            expected.append(-1)
            continue
        expected.append(first.get(key, -1) if first.get(key, row) != row else -1)
        first.setdefault(key, row)
    tracker = DuplicateTracker()
    got: list[int] = []
    rows = np.arange(1, 2001)
    for lo in range(0, 2000, 97):
        got.extend(tracker.update(rows[lo:lo + 97], values[lo:lo + 97]).tolist())
    assert got == expected
    assert got[5] == 5
    assert len(tracker) == len(first) and tracker.nbytes == 16 * len(first)


def test_an_arrow_column_sliced_from_a_larger_one_is_read_at_its_own_offset() -> None:
    """The USCCs of a chunk held in Arrow (a slice of the file's column, not starting at its first
    value): which rows hold an empty USCC is read from the slice's own offsets."""
    import pyarrow as pa

    column = pa.array(["91530802MA6K000014", "", "91530802MA6K000022", "", "91530802MA6K000022",
                       "91530802MA6K000014"], pa.string())
    chunk = pd.Series(pd.array(column.slice(1), dtype=pd.ArrowDtype(pa.string())))
    assert DuplicateTracker().update(np.arange(2, 7), chunk).tolist() == [-1, -1, -1, 3, -1]
    empty = pd.Series(pd.array(column.slice(6), dtype=pd.ArrowDtype(pa.string())))
    assert DuplicateTracker().update(np.arange(0), empty).tolist() == []


def test_merging_two_runs_equals_sorting_them_together() -> None:
    rng = np.random.default_rng(7)
    for _ in range(100):
        hashes = rng.choice(2**40, size=int(rng.integers(0, 200)), replace=False).astype(np.uint64)
        k = int(rng.integers(0, len(hashes) + 1))
        h1, h2 = np.sort(hashes[:k]), np.sort(hashes[k:])
        r1, r2 = rng.integers(1, 10**6, len(h1)), rng.integers(1, 10**6, len(h2))
        order = np.argsort(np.concatenate([h1, h2]))
        hh, rr = _merge_runs(h1, r1, h2, r2)
        assert hh.tolist() == np.concatenate([h1, h2])[order].tolist()
        assert rr.tolist() == np.concatenate([r1, r2])[order].tolist()


def test_duplicates_flagged_across_chunk_boundaries(engine: el.Engine, tmp_path: Path) -> None:
    header, rows = register_rows()
    rows = [list(r) for r in rows[:30]]
    u = header.index("uscc")
    rows[20][u] = rows[2][u]            # row 21 repeats row 3 (another chunk)
    rows[4][u] = rows[3][u]             # row 5 repeats row 4 (same chunk)
    path = write_csv(tmp_path / "r.csv", header, rows)
    out = tmp_path / "o.parquet"
    score_file(engine, path, out, AS_OF, chunk_size=7, wide=True)
    wide = pq.read_table(out).to_pandas().set_index("row")
    assert wide.loc[21, "duplicate_of"] == 3 and wide.loc[5, "duplicate_of"] == 4
    assert wide["duplicate_of"].notna().sum() == 2
    long = tmp_path / "o.csv"
    score_file(engine, path, long, AS_OF, chunk_size=7)
    flagged = pd.read_csv(long).dropna(subset=["duplicate_of"])
    assert set(flagged["row"]) <= {5, 21} and set(flagged["duplicate_of"].astype(int)) <= {3, 4}
