"""Repeated USCCs across a whole streamed register: :class:`DuplicateTracker` flags each row whose
USCC appeared in an earlier row (``duplicate_of``) with about 16 bytes per firm."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._hashing import hash_text_keys
from ..facts.codes.uscc import normalise_uscc
from .spellings import all_plain_usccs
from .values import is_missing


def _merge_runs(h1: np.ndarray, r1: np.ndarray, h2: np.ndarray, r2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two sorted runs of distinct hashes (no hash in both) as one, with their rows: each hash of the
    second run goes where ``searchsorted`` puts it, so the merge allocates only its output (no sort,
    no concatenated copies: the largest merges of a 10⁷-row register stay small in memory)."""
    dest = np.searchsorted(h1, h2)
    dest += np.arange(len(h2), dtype=dest.dtype)
    rest = np.ones(len(h1) + len(h2), dtype=bool)
    rest[dest] = False
    hh = np.empty(len(rest), dtype=h1.dtype)
    rr = np.empty(len(rest), dtype=r1.dtype)
    hh[dest], rr[dest] = h2, r2
    hh[rest], rr[rest] = h1, r1
    return hh, rr


class DuplicateTracker:
    """Which USCCs were seen before, across a whole streamed register, in ~16 bytes per firm.

    Keeps 64-bit hashes of the normalised USCCs (stripped, upper case) with the row of their first
    occurrence in a few sorted numpy runs (merged as they grow, like a log-structured index), never a
    Python set of strings. A 64-bit hash collision between two different USCCs is possible in
    principle (about 3 in a million for 10⁷ firms) and would flag one row wrongly.
    """

    def __init__(self) -> None:
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []

    def __len__(self) -> int:
        return sum(len(h) for h, _ in self._runs)

    @property
    def nbytes(self) -> int:
        return sum(h.nbytes + r.nbytes for h, r in self._runs)

    def update(self, rows: Sequence[int] | np.ndarray, usccs: Iterable[Any]) -> np.ndarray:
        """For each row (ascending row numbers), the row of the first occurrence of its USCC when
        that is an earlier row, else -1. Missing or empty USCCs are never duplicates."""
        rows_arr = np.asarray(rows, dtype=np.int64)
        keys = _norm_usccs(usccs)
        result = np.full(len(rows_arr), -1, dtype=np.int64)
        if not len(keys):
            return result
        present = np.flatnonzero(_lengths(keys) > 0 if not keys.null_count else
                                 pc.not_equal(keys, "").to_numpy(zero_copy_only=False))
        if present.size == 0:
            return result
        h = hash_text_keys(keys.take(pa.array(present)) if len(present) < len(keys) else keys)
        r = rows_arr[present]
        order = np.argsort(h, kind="stable")  # rows ascending: equal hashes stay in row order
        hs, rs = h[order], r[order]
        head = np.empty(len(hs), dtype=bool)
        head[0] = True
        head[1:] = hs[1:] != hs[:-1]
        group = np.cumsum(head) - 1
        uh, ufirst = hs[head], rs[head]
        prev = np.full(len(uh), -1, dtype=np.int64)
        for run_h, run_r in self._runs:
            idx = np.searchsorted(run_h, uh)
            idx_c = np.minimum(idx, len(run_h) - 1)
            hit = (idx < len(run_h)) & (run_h[idx_c] == uh) & (prev < 0)
            prev[hit] = run_r[idx_c[hit]]
        first = np.where(prev >= 0, prev, ufirst)
        per_row = first[group]
        result[present[order]] = np.where(per_row != rs, per_row, -1)
        new = prev < 0
        if new.any():
            self._runs.append((uh[new].copy(), ufirst[new].copy()))
            while len(self._runs) > 1 and len(self._runs[-2][0]) <= 2 * len(self._runs[-1][0]):
                (h2, r2), (h1, r1) = self._runs.pop(), self._runs.pop()
                self._runs.append(_merge_runs(h1, r1, h2, r2))
        return result

    def flag(self, scored: pd.DataFrame, rows: np.ndarray, usccs: Iterable[Any]) -> tuple[pd.DataFrame, np.ndarray]:
        """Fill ``scored["duplicate_of"]`` for the input ``rows`` (sorted) of one chunk; also returns
        :meth:`update`'s answer per input row."""
        dup = self.update(rows, usccs)
        rows = np.asarray(rows, dtype=np.int64)
        values = np.full(len(scored), -1, dtype=np.int64)
        if len(rows) and len(scored):
            at = scored["row"].to_numpy(dtype=np.int64)
            if bool((np.diff(rows) == 1).all()):  # contiguous rows: a row's place is its distance from the first
                pos = at - rows[0]
                inside = (pos >= 0) & (pos < len(rows))  # rows outside the chunk's (malformed lines) find no match
            else:
                pos = np.minimum(np.searchsorted(rows, at), len(rows) - 1)
                inside = rows[pos] == at
            values[inside] = dup[pos[inside]]
        if "duplicate_of" in scored.columns:  # the engine's own flags (within a chunk) where we have none
            theirs = pd.array(scored["duplicate_of"], dtype="Int64").to_numpy(dtype=np.int64, na_value=-1)
            values = np.where(values >= 0, values, theirs)
        missing = values < 0
        ours = pd.arrays.IntegerArray(np.where(missing, 0, values), missing)
        scored["duplicate_of"] = pd.Series(ours, index=scored.index)
        return scored, dup


def _lengths(keys: pa.Array) -> np.ndarray:
    """Each value's length in bytes, read from the Arrow offsets (no string kernel, no mask converted)."""
    offsets = np.frombuffer(keys.buffers()[1], np.int32)[keys.offset:keys.offset + len(keys) + 1]
    return np.diff(offsets)


def _norm_usccs(usccs: Iterable[Any]) -> pa.Array:
    """Stripped, upper-case USCCs ("" where missing) as an Arrow string array."""
    if isinstance(usccs, pd.Series) and isinstance(usccs.dtype, pd.ArrowDtype):
        arr: Any = usccs.array.__arrow_array__()  # type: ignore[attr-defined]
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    else:
        values = usccs.tolist() if isinstance(usccs, pd.Series) else list(usccs)
        try:
            arr = pa.array(values, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            arr = pa.array([norm_uscc(v) for v in values], pa.string())
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type) or pa.types.is_null(arr.type)):
        arr = pa.array([norm_uscc(v) for v in arr.to_pylist()], pa.string())
    arr = arr.cast(pa.string())
    if all_plain_usccs(arr):  # the usual column: already stripped and upper case
        return arr
    if not pc.all(pc.fill_null(pc.string_is_ascii(arr), True)).as_py():  # full-width: as a profile reads it
        return pa.array([norm_uscc(v) for v in arr.to_pylist()], pa.string())
    return pc.fill_null(pc.utf8_upper(pc.utf8_trim_whitespace(arr)), "")


def norm_uscc(value: Any) -> str:
    if is_missing(value):
        return ""
    return normalise_uscc(str(value))
