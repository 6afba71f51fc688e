"""The stream: read → score → duplicates → write → summarize. :func:`score_chunks` and
:func:`score_file` run a whole register through an engine, chunk by chunk, the next chunk read (and
validated) on one background thread while this one is scored and the last one written on another."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa

from ..engine import Engine, IngestedFrame
from ..model.rule import RuleSet
from .duplicates import DuplicateTracker
from .formats import output_format
from .labels import Labels
from .mapping import ColumnMapping
from .readers import RegisterReader, carried_columns, profile_columns
from .sources import read_register
from .summary import SummaryAccumulator
from .tables import LONG_COLUMNS, to_wide, wide_rule_ids
from .writers import TableWriter, open_writer


class ChunkObserver(Protocol):
    """Sees each chunk as the engine scored it, on the scoring thread and in input order: the chunk's
    ingested frame and the engine's long table for it, before malformed records and ``duplicate_of``
    are added (valid during the call only). Rows are numbered as ingested (``ingested.table.row``):
    the input rows, except in a chunk that a malformed record interrupts, numbered from 1 (the
    output renumbers it afterwards)."""

    def __call__(self, ingested: IngestedFrame, scored: pd.DataFrame) -> None: ...


def _error_rows(invalid: list[tuple[int, str, str, Any]]) -> pd.DataFrame:
    return pd.DataFrame({
        "row": pd.Series([i[0] for i in invalid], dtype="int64"),
        "entity_id": pd.Series([i[3] for i in invalid], dtype=object),
        "rule_id": None, "status": "error", "amount": None, "amount_kind": None, "superseded_by": None,
        "missing": pd.Series([[] for _ in invalid], dtype=object), "failed": None,
        "reason": pd.Series([f"{en} | {zh}" for _, zh, en, _ in invalid], dtype=object),
    })


def score_chunk(engine: Engine, chunk: pd.DataFrame, as_of: date,
                tracker: DuplicateTracker | None = None) -> pd.DataFrame:
    """The long table of one chunk from :func:`read_register`: engine scores at the chunk's row
    numbers, ``error`` rows for malformed records, ``duplicate_of`` filled by ``tracker``;
    ``attrs["rows_read"]`` set for ``engine.summarize``."""
    return _score_chunk_rows(engine, chunk, as_of, tracker)[0]


def _chunk_rows(chunk: pd.DataFrame) -> tuple[np.ndarray, int, bool]:
    """A chunk's input row numbers, the row number its scoring starts at, and whether its rows are
    contiguous (else they are renumbered after scoring)."""
    rows = chunk.index.to_numpy(dtype=np.int64)
    contiguous = not len(rows) or int(rows[-1]) - int(rows[0]) == len(rows) - 1
    return rows, int(rows[0]) if len(rows) and contiguous else 1, contiguous


def _plain_frame(chunk: pd.DataFrame) -> pd.DataFrame:
    """The chunk's rows as the engine takes them: a 0-based index, no attrs, no kept columns."""
    frame = profile_columns(chunk).reset_index(drop=True)
    frame.attrs = {}
    return frame


def _ingest_ahead(engine: Engine, reader: Iterable[tuple[int, pd.DataFrame]]
                  ) -> Iterator[tuple[int, pd.DataFrame, IngestedFrame | None]]:
    """The reader's chunks, each with its frame already validated by :meth:`Engine.ingest`, for
    :func:`_read_ahead` to run on its thread: the next chunk is ingested while this one is decided
    (None for a chunk of malformed records only)."""
    for start, chunk in reader:
        yield start, chunk, engine.ingest(_plain_frame(chunk), _chunk_rows(chunk)[1]) if len(chunk) else None


def _score_chunk_rows(engine: Engine, chunk: pd.DataFrame, as_of: date, tracker: DuplicateTracker | None,
                      ingested: IngestedFrame | None = None, observer: ChunkObserver | None = None
                      ) -> tuple[pd.DataFrame, np.ndarray | None]:
    """:func:`score_chunk`, and the first-occurrence row per input row of the chunk (-1: none).
    ``ingested``: the chunk's frame from :func:`_ingest_ahead` (else it is ingested here);
    ``observer`` sees the engine's long table of the chunk."""
    rows, first, contiguous = _chunk_rows(chunk)
    invalid = list(chunk.attrs.get("invalid_rows", ()))
    if ingested is None and len(chunk):
        ingested = engine.ingest(_plain_frame(chunk), first)
    frame = ingested.frame if ingested is not None else _plain_frame(chunk)
    if ingested is not None:
        scored = engine.score(ingested, as_of)
        if observer is not None:
            observer(ingested, scored)
        if not contiguous:
            scored["row"] = rows[scored["row"].to_numpy(dtype=np.int64) - 1]
    else:
        scored = pd.DataFrame({c: pd.Series([], dtype=object) for c in LONG_COLUMNS[:-1]})
        scored["row"] = scored["row"].astype("int64")
    if invalid:
        extra = _error_rows(invalid)
        scored = pd.concat([scored.astype({c: object for c in scored.columns if c != "row"}), extra],
                           ignore_index=True) if len(scored) else extra
        scored = scored.sort_values("row", kind="stable").reset_index(drop=True)
    dup = None
    if tracker is not None and "uscc" in frame.columns:
        scored, dup = tracker.flag(scored, rows, frame["uscc"])
    elif "duplicate_of" not in scored.columns:
        scored["duplicate_of"] = pd.Series(pd.array([pd.NA] * len(scored), dtype="Int64"), index=scored.index)
    scored.attrs["rows_read"] = len(frame) + len(invalid)
    return scored, dup


_WORKER_ENGINE: Engine | None = None


def _start_worker(rules: RuleSet) -> None:
    """A worker process holds its own Engine (compiled code is not sent between processes)."""
    global _WORKER_ENGINE
    _WORKER_ENGINE = Engine(rules)


def _score_in_worker(chunk: pd.DataFrame, invalid: list[Any], as_of: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    chunk.attrs["invalid_rows"] = invalid
    if _WORKER_ENGINE is None:  # pragma: no cover - the pool's initializer sets it
        raise RuntimeError("a worker process without an engine: start the pool with _start_worker")
    return _score_and_summarize(_WORKER_ENGINE, chunk, as_of)


def _score_and_summarize(engine: Engine, chunk: pd.DataFrame, as_of: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    scored, _ = _score_chunk_rows(engine, chunk, as_of, None)
    summary = engine.summarize(scored)
    summary.attrs["rows_read"] = scored.attrs["rows_read"]
    return scored, summary


def with_carried(table: pd.DataFrame, chunk: pd.DataFrame) -> pd.DataFrame:
    """``table`` (long or wide, rows by input row number) with the chunk's carried input columns
    (:func:`~eligibility.batch.readers.carried_columns`) after ``entity_id``; empty on rows the
    chunk does not hold (malformed records)."""
    carried = carried_columns(chunk)
    if not carried:
        return table
    table = table.copy(deep=False)
    at = _positions(chunk.index, table["row"].to_numpy(dtype=np.int64))
    found = at >= 0
    pos = int(table.columns.get_loc("entity_id")) + 1
    for i, (name, column) in enumerate(carried):
        table.insert(pos + i, name, _carried_values(column, at, found))
    return table


def _positions(index: pd.Index, at: np.ndarray) -> np.ndarray:
    """Where each input row number of ``at`` is in the chunk's ``index`` (-1: not a row of the chunk,
    e.g. a malformed record's); a contiguous index (the usual chunk) is read by subtraction, not hashing."""
    rows = index.to_numpy(dtype=np.int64)
    if len(rows) and bool((np.diff(rows) == 1).all()):
        pos = at - rows[0]
        return np.where((pos >= 0) & (pos < len(rows)), pos, -1)
    return index.get_indexer(at)


def _carried_values(column: pd.Series, at: np.ndarray, found: np.ndarray) -> Any:
    """``column``'s values at positions ``at``, missing where not ``found``: a text column held in
    Arrow is taken in Arrow (no Python string per output row), any other as Python objects."""
    dtype = column.dtype
    if (isinstance(dtype, pd.ArrowDtype) and dtype.pyarrow_dtype in (pa.string(), pa.large_string())
            or isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"):
        taken = pa.array(column.array).take(pa.array(at, mask=None if found.all() else ~found))
        return pd.arrays.ArrowExtensionArray(taken)
    values = np.full(len(at), None, dtype=object)
    values[found] = column.to_numpy(dtype=object, na_value=None)[at[found]]
    return values


class _Background:
    """Runs tasks on one background thread, one at a time and in order, while the next chunk is
    scored: duplicates, summary and writing (Parquet and CSV writing release the GIL). At most one
    task waits; an error surfaces at the next :meth:`submit` or at :meth:`close`."""

    def __init__(self) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.pool = ThreadPoolExecutor(1, thread_name_prefix="eligibility-writer")
        self.pending: Any = None

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        if self.pending is not None:
            self.pending.result()
        self.pending = self.pool.submit(fn, *args)

    def close(self) -> None:
        try:
            if self.pending is not None:
                self.pending.result()
        finally:
            self.pool.shutdown(wait=True)


def _read_ahead(reader: Iterable[Any]) -> Iterator[Any]:
    """The reader's items, the next one made on a background thread while this one is scored."""
    from concurrent.futures import ThreadPoolExecutor

    chunks = iter(reader)
    done = object()
    with ThreadPoolExecutor(1, thread_name_prefix="eligibility-reader") as pool:
        future = pool.submit(next, chunks, done)
        while True:
            item = future.result()
            if item is done:
                return
            future = pool.submit(next, chunks, done)
            yield item  # type: ignore[misc]


def default_workers() -> int:
    """Processes scoring chunks side by side: one per core, at most 4 (1 where there is one core)."""
    return max(1, min(4, os.cpu_count() or 1))


def score_chunks(engine: Engine, reader: Iterable[tuple[int, pd.DataFrame]], writer: TableWriter, as_of: date, *,
                 wide: bool = False, rule_ids: Sequence[str] | None = None,
                 on_chunk: Callable[[int, pd.DataFrame], None] | None = None,
                 on_scored: ChunkObserver | None = None, workers: int = 1) -> pd.DataFrame:
    """Score a stream of chunks into ``writer``; returns the merged per-rule summary (with the
    reconciliation in ``attrs``, and ``rows_duplicate``: rows whose USCC appeared in an earlier
    row). ``on_chunk(rows_done, scored)`` is called after each chunk is written (progress);
    ``on_scored`` (a :class:`ChunkObserver`) sees each chunk as the engine scored it, e.g. to feed a
    report. With ``workers`` > 1, chunks are scored by that many processes side by side (the
    engine's rules are sent to each; not with ``on_scored``, which sees the chunks in this
    process); reading, duplicate tracking and writing stay in this process and keep the input order."""
    if workers > 1 and on_scored is not None:
        raise ValueError("on_scored 在本进程中查看各批，不能与 workers > 1 同用 / on_scored sees the chunks in this "
                         "process: it cannot be used with workers > 1")
    tracker = DuplicateTracker()
    sheet_of_tracker: list[Any] = [None]  # with several sheets: duplicates are tracked within a sheet
    background = _Background()
    acc = SummaryAccumulator([r.id for r in engine.rules.rules])
    ids = list(rule_ids) if rule_ids is not None else wide_rule_ids(engine.rules, as_of)
    done = repeated = 0

    def consume(chunk: pd.DataFrame, scored: pd.DataFrame, summary: pd.DataFrame | None = None) -> None:
        """Duplicates, summary, writing and progress for one scored chunk (on the background thread)."""
        nonlocal done, repeated, tracker
        sheet = chunk.attrs.get("sheet")
        if sheet is not None:
            if sheet != sheet_of_tracker[0]:
                tracker, sheet_of_tracker[0] = DuplicateTracker(), sheet
            scored["sheet"] = sheet
        if summary is None:
            summary = engine.summarize(scored)
            summary.attrs["rows_read"] = scored.attrs["rows_read"]
        rows_read = scored.attrs["rows_read"]
        dup = None
        if "uscc" in chunk.columns:
            scored, dup = tracker.flag(scored, chunk.index.to_numpy(dtype=np.int64), chunk["uscc"])
        repeated += int((dup >= 0).sum()) if dup is not None else 0
        if wide:
            invalid = chunk.attrs.get("invalid_rows", ())
            rows = np.concatenate([chunk.index.to_numpy(dtype=np.int64),
                                   np.array([i[0] for i in invalid], dtype=np.int64)])
            usccs = (chunk["uscc"].astype(object).tolist() if "uscc" in chunk.columns else [None] * len(chunk))
            usccs += [i[3] for i in invalid]
            dups = np.concatenate([dup if dup is not None else np.full(len(chunk), -1, np.int64),
                                   np.full(len(invalid), -1, np.int64)])
            order = np.argsort(rows, kind="stable")
            table = to_wide(scored, rows[order], [usccs[i] for i in order], ids)
            flagged = dups[order]
            table["duplicate_of"] = pd.array(np.where(flagged >= 0, flagged, 0), dtype="Int64")
            table.loc[flagged < 0, "duplicate_of"] = pd.NA
            writer.write(with_carried(table, chunk))
        else:
            writer.write(with_carried(scored, chunk))
        acc.add(summary)
        done += rows_read
        if on_chunk is not None:
            on_chunk(done, scored)

    try:
        if workers > 1:
            import multiprocessing
            from collections import deque
            from concurrent.futures import ProcessPoolExecutor

            context = multiprocessing.get_context("spawn")  # no fork of a process holding Arrow threads
            with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                                     initargs=(engine.rules,)) as pool:
                pending: deque[Any] = deque()
                for _start, chunk in reader:
                    invalid = list(chunk.attrs.get("invalid_rows", ()))
                    pending.append((chunk, pool.submit(_score_in_worker, chunk, invalid, as_of)))
                    if len(pending) > workers:  # bounded: at most workers + 1 chunks in flight
                        first, future = pending.popleft()
                        background.submit(consume, first, *future.result())
                while pending:
                    first, future = pending.popleft()
                    background.submit(consume, first, *future.result())
        else:
            for _start, chunk, ingested in _read_ahead(_ingest_ahead(engine, reader)):
                scored = _score_chunk_rows(engine, chunk, as_of, None, ingested, on_scored)[0]
                background.submit(consume, chunk, scored)
    except BaseException:
        background.pool.shutdown(wait=True)  # no write left running when the run fails
        raise
    background.close()
    if wide and writer.schema is None:  # nothing read: still write the header with every rule
        empty = pd.DataFrame({c: pd.Series([], dtype="int64" if c == "row" else object) for c in LONG_COLUMNS})
        writer.write(to_wide(empty, np.zeros(0, np.int64), [], ids))
    result = acc.result()
    result.attrs["rows_duplicate"] = repeated
    for k, v in engine.provenance(as_of).items():
        result.attrs.setdefault(k, v)
    return result


def partial_path(target: Path) -> Path:
    """Where an output is written before it is complete (renamed onto ``target`` at the end)."""
    return target.with_name(f".{target.stem}.partial{target.suffix}")


def score_file(engine: Engine, source: str | Path | RegisterReader, target: str | Path, as_of: date, *,
               chunk_size: int = 100_000, mapping: ColumnMapping | str | Path | None = None, wide: bool = False,
               on_chunk: Callable[[int, pd.DataFrame], None] | None = None,
               on_scored: ChunkObserver | None = None, workers: int = 1, labels: Labels | None = None,
               bom: bool = False) -> pd.DataFrame:
    """Stream ``source`` (a path, or a reader from :func:`read_register`) through ``engine`` into
    ``target``; returns the merged summary (reconciliation and provenance in ``attrs``, plus
    ``blank_rows``). ``on_chunk``, ``on_scored`` and ``workers``: see :func:`score_chunks`;
    ``labels`` and ``bom``: see :func:`~eligibility.batch.writers.open_writer`. The firm's name (where
    a column gives it) and the reader's ``keep`` columns are carried after ``entity_id``. The
    output is written under a temporary name and renamed when complete, so a failed run leaves no
    partial file (and an existing ``target`` untouched)."""
    target = Path(target)
    output_format(target)
    reader = read_register(source, chunk_size, mapping) if isinstance(source, str | Path) else source
    tmp = partial_path(target)
    provenance = engine.provenance(as_of)
    # only a Parquet input knows its exact row count up front (a sheet's dimension may overstate it)
    known = reader.rows_total if wide and reader.format == "parquet" else None
    try:
        with reader, open_writer(tmp, wide, expected_rows=known, metadata=provenance, labels=labels,
                                 bom=bom) as writer:
            summary = score_chunks(engine, reader, writer, as_of, wide=wide, on_chunk=on_chunk, on_scored=on_scored,
                                   workers=workers)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    summary.attrs["blank_rows"] = reader.blank_rows
    return summary
