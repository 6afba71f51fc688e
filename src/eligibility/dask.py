"""Scoring a register on a Dask cluster: ``import eligibility.dask as eld``.

Same tables as :meth:`eligibility.Engine.score` (columns, dtypes, decisions), computed partition
by partition with the vectorized backend:

* rows are numbered globally (partition ``k`` starts at 1 + the rows of partitions ``0..k-1``);
* ``duplicate_of`` is the row of the first row with the same USCC in the *whole* frame, as if it
  had been scored at once (a pre-pass collects only the USCCs that occur in more than one
  partition, with their first row; nothing per firm is brought to the client).

The rule set (not the Engine, whose caches hold generated code) travels to the workers once, as a
graph dependency; each worker process builds one Engine per rule-set hash.

Needs the optional extra: ``pip install "eligibility[dask]"``.
"""

from __future__ import annotations

import contextlib
from datetime import date
from pathlib import Path
from typing import Any

try:
    import dask
    import dask.dataframe as dd
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        '分布式打分需要 dask：请运行 pip install "eligibility[dask]" / '
        'eligibility.dask needs dask: pip install "eligibility[dask]"'
    ) from exc

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .batch import RegisterError, merge_summaries
from .engine import SUMMARY_COLUMNS, SUMMARY_COUNTS, Engine, _as_date, register_frame_scorer
from .engine import summarize as _summarize_frame
from .model.rule import RuleSet

__all__ = ["read_register", "score", "summarize"]

_ENGINES: dict[str, Engine] = {}
_PART_BITS = 40  # a key's first occurrence, coded as partition << 40 | position in the partition


def _rules_of(engine_or_rules: Engine | RuleSet) -> RuleSet:
    if isinstance(engine_or_rules, Engine):
        return engine_or_rules.rules
    if isinstance(engine_or_rules, RuleSet):
        return engine_or_rules
    raise TypeError(f"expected an Engine or a RuleSet, got {type(engine_or_rules).__name__}")


def _engine(rules: RuleSet) -> Engine:
    """This process's Engine for ``rules`` (built once per rule-set hash)."""
    engine = _ENGINES.get(rules.hash)
    if engine is None:
        engine = _ENGINES.setdefault(rules.hash, Engine(rules))
    return engine


def _rules_dependency(rules: RuleSet) -> Any:
    """The rule set as one graph key, so it is shipped to each worker once, not inside every task."""
    return dask.delayed(rules, name=f"eligibility-ruleset-{rules.hash}", pure=True)


def _keys(part: pd.DataFrame) -> pa.Array | None:
    """Normalised USCCs (trimmed, upper case; null where absent) of a frame of profiles, exactly as
    the vectorized backend compares them for ``duplicate_of``."""
    if "uscc" not in part.columns:
        return None
    from .backends.vectorized.ingest import _entity

    entity = _entity(part["uscc"].reset_index(drop=True))
    ids = entity if isinstance(entity, pa.Array) else pa.array(entity, pa.string(), from_pandas=True)
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks()
    return pc.utf8_upper(pc.utf8_trim_whitespace(ids))


_KEYS_META = pd.DataFrame({"key": pd.Series([], dtype=pd.ArrowDtype(pa.string())),
                           "first": pd.Series([], dtype="int64")})


def _partition_keys(part: pd.DataFrame, partition_info: dict[str, Any] | None = None) -> pd.DataFrame:
    """One line per distinct USCC of the partition: the key and its first position, coded with
    the partition number (so a min across partitions finds the global first)."""
    keys = _keys(part)
    if keys is None or not len(keys):
        return _KEYS_META.copy()
    number = int(partition_info["number"]) if partition_info else 0
    frame = pd.DataFrame({"key": pd.array(keys, dtype=pd.ArrowDtype(pa.string())),
                          "first": np.arange(len(keys), dtype=np.int64)})
    frame = frame[frame["key"].notna()].drop_duplicates("key", keep="first")
    frame["first"] += np.int64(number) << _PART_BITS
    return frame.reset_index(drop=True)


def _cross_partition_firsts(ddf: dd.DataFrame) -> Any:
    """Lazy frame: the USCCs found in more than one partition, with their first coded position."""
    keys = ddf.map_partitions(_partition_keys, meta=_KEYS_META, enforce_metadata=False)
    grouped = keys.groupby("key").agg({"first": ["min", "count"]}, split_out=max(1, ddf.npartitions // 16))
    grouped.columns = ["first", "partitions"]
    return grouped[grouped["partitions"] > 1]["first"]


def _with_carried(out: pd.DataFrame, part: pd.DataFrame, start: int, carry: tuple[str, ...]) -> pd.DataFrame:
    """``out`` with the input columns ``carry`` as text after ``entity_id``, by each line's row."""
    if not carry:
        return out
    attrs = dict(out.attrs)
    at = out["row"].to_numpy(dtype=np.int64) - start
    pos = int(out.columns.get_loc("entity_id")) + 1
    for i, name in enumerate(carry):
        column = pa.array(part[name].reset_index(drop=True), from_pandas=True)
        text = pc.cast(column, pa.string()) if not pa.types.is_nested(column.type) else \
            pa.array([None if v is None else str(v) for v in column.to_pylist()], pa.string())
        out.insert(pos + i, name, pd.Series(text.take(pa.array(at)), dtype=pd.ArrowDtype(pa.string()),
                                            index=out.index) if len(out) else
                   pd.Series([], dtype=pd.ArrowDtype(pa.string()), index=out.index))
    out.attrs.update(attrs)
    return out


def _score_partition(part: pd.DataFrame, rules: RuleSet, day: date, wide: bool, starts: list[int],
                     firsts: pd.Series | None, carry: tuple[str, ...] = (),
                     partition_info: dict[str, Any] | None = None) -> pd.DataFrame:
    number = int(partition_info["number"]) if partition_info else 0
    start = starts[number]
    engine = _engine(rules)
    out = engine.score(part, day, wide=wide, start_row=start)  # an Engine is safe across a worker's threads
    out = _with_carried(out, part, start, carry)
    if firsts is None or not len(firsts) or not len(out):
        return out
    keys = _keys(part)
    if keys is None:
        return out
    found = pd.Series(pd.array(keys, dtype=pd.ArrowDtype(pa.string()))).map(firsts)
    first_row = found.to_numpy(dtype=np.float64, na_value=np.nan)  # global row of the first occurrence
    rows = start + np.arange(len(part), dtype=np.int64)
    earlier = ~np.isnan(first_row) & (first_row < rows)
    if not earlier.any():
        return out
    dup = np.zeros(len(part), np.int64)
    dup[earlier] = first_row[earlier].astype(np.int64)
    line_dup = dup[out["row"].to_numpy(dtype=np.int64) - start]
    attrs = dict(out.attrs)
    at = line_dup > 0
    column = out["duplicate_of"].to_numpy(dtype=np.int64, na_value=0)
    column[at] = line_dup[at]
    out["duplicate_of"] = pd.array(np.where(column > 0, column, 0), dtype="Int64")
    out.loc[out["duplicate_of"] == 0, "duplicate_of"] = pd.NA
    out.attrs.update(attrs)
    return out


def score(ddf: dd.DataFrame, engine_or_rules: Engine | RuleSet, as_of: date | str | None = None,
          wide: bool = False, carry: tuple[str, ...] | list[str] = ()) -> dd.DataFrame:
    """Score a Dask DataFrame of flat profiles: a lazy long (or, ``wide=True``, wide) table with the
    columns and dtypes of :meth:`Engine.score`, rows numbered from 1 across all partitions and
    ``duplicate_of`` set across partitions.

    Computes (eagerly, on the cluster) one cheap pre-pass over the input: partition lengths and
    the USCCs occurring in more than one partition. Each partition keeps the attribute
    ``rows_read`` (used by :func:`summarize`). ``carry``: input columns (e.g. ``name``) carried as
    text after ``entity_id``; a name not among the columns raises :class:`RegisterError` naming the
    columns present."""
    rules = _rules_of(engine_or_rules)
    day = _as_date(as_of)
    carry = tuple(carry)
    for name in carry:
        if name not in ddf.columns:
            raise RegisterError(f"--keep 的列 '{name}' 不在输入中；输入中的列：{'、'.join(map(str, ddf.columns))}",
                                f"--keep column '{name}' is not in the input; its columns are: "
                                f"{', '.join(map(str, ddf.columns))}", column=name)
    local = engine_or_rules if isinstance(engine_or_rules, Engine) else _engine(rules)
    meta = _with_carried(local.score(ddf._meta.iloc[:0], day, wide=wide), ddf._meta.iloc[:0], 1, carry)
    meta.attrs.clear()
    lengths_expr = ddf.map_partitions(len, meta=pd.Series([], dtype="int64"), enforce_metadata=False)
    if "uscc" in ddf.columns:
        lengths, firsts_coded = dask.compute(lengths_expr, _cross_partition_firsts(ddf))
    else:
        (lengths,), firsts_coded = dask.compute(lengths_expr), None
    counts = [int(n) for n in np.asarray(lengths).ravel()]
    starts = (1 + np.concatenate([[0], np.cumsum(counts)[:-1]])).astype(np.int64).tolist() if counts else []
    firsts: pd.Series | None = None
    if firsts_coded is not None and len(firsts_coded):
        coded = firsts_coded.to_numpy(dtype=np.int64)
        part_no = coded >> _PART_BITS
        position = coded & ((np.int64(1) << _PART_BITS) - 1)
        global_row = np.asarray(starts, dtype=np.int64)[part_no] + position
        firsts = pd.Series(global_row, index=firsts_coded.index.astype(object))
    return ddf.map_partitions(_score_partition, _rules_dependency(rules), day, wide, starts, firsts, carry,
                              meta=meta, align_dataframes=False)


register_frame_scorer(lambda frame: isinstance(frame, dd.DataFrame),
                      lambda engine, frame, as_of, wide: score(frame, engine, as_of, wide=wide))


_RECONCILE = ("rows_read", "rows_error", "rows_scored", "rows_no_rule", "rows_duplicate")
_SUMMARY_META = pd.DataFrame({
    "partition": pd.Series([], dtype="int64"),
    **{c: pd.Series([], dtype="int64" if c in SUMMARY_COUNTS else bool if c == "lower_bound" else object)
       for c in SUMMARY_COLUMNS},
    **{c: pd.Series([], dtype="Int64") for c in _RECONCILE}})


def _summary_frame(scored: pd.DataFrame, rules: RuleSet, partition_info: dict[str, Any] | None = None
                   ) -> pd.DataFrame:
    """A partition's summary as a plain frame (the reconciliation counts as columns, so they survive
    concatenation), with one extra line (no rule id) when it has no rule lines."""
    summary = _summarize_frame(scored, rules)
    dup = scored["row"][scored["duplicate_of"].notna().to_numpy(dtype=bool)]
    attrs = {**summary.attrs, "rows_duplicate": int(dup.nunique())}
    frame = summary if len(summary) else pd.DataFrame([{c: 0 if c in SUMMARY_COUNTS else False if c == "lower_bound"
                                                        else None for c in SUMMARY_COLUMNS}])
    frame = frame.astype({c: "int64" for c in SUMMARY_COUNTS} | {"lower_bound": bool})
    frame.insert(0, "partition", int(partition_info["number"]) if partition_info else 0)
    for k in _RECONCILE:
        frame[k] = pd.array([attrs.get(k)] * len(frame), dtype="Int64")
    return frame[list(_SUMMARY_META.columns)]


def summary_frames(scored_ddf: dd.DataFrame, engine_or_rules: Engine | RuleSet) -> dd.DataFrame:
    """Lazy per-partition summaries (small: a line per rule per partition); :func:`merge_frames`
    turns them into the summary. Computed together with a write of ``scored_ddf`` (one
    ``compute``), each partition is scored once."""
    if "rule_id" not in scored_ddf.columns:
        raise RegisterError("按政策汇总需要长表（不是宽表）",
                            "the per-rule summary needs the long table (not the wide one)")
    return scored_ddf.map_partitions(_summary_frame, _rules_dependency(_rules_of(engine_or_rules)),
                                     meta=_SUMMARY_META, align_dataframes=False)


def merge_frames(frames: pd.DataFrame) -> pd.DataFrame:
    """The exact merge of computed :func:`summary_frames`: counts and Decimal amounts add, and so
    do the reconciliation attributes (``rows_read``, ``rows_error``, ``rows_scored``,
    ``rows_no_rule``, ``rows_duplicate``)."""
    parts = []
    for _, frame in frames.groupby("partition", sort=True):
        summary = frame[frame["rule_id"].notna()].drop(columns=["partition", *_RECONCILE]).reset_index(drop=True)
        summary.attrs = {k: (None if pd.isna(frame[k].iloc[0]) else int(frame[k].iloc[0])) for k in _RECONCILE}
        parts.append(summary)
    merged = merge_summaries(parts)
    merged.attrs["rows_duplicate"] = sum(p.attrs["rows_duplicate"] or 0 for p in parts)
    return merged


def summarize(scored_ddf: dd.DataFrame, engine_or_rules: Engine | RuleSet) -> pd.DataFrame:
    """The per-rule summary of a long table from :func:`score`, as :meth:`Engine.summarize` gives
    it for the whole frame: summarized per partition on the workers, merged exactly on the client
    (only the small summaries travel). ``attrs`` also holds ``rows_duplicate``."""
    (frames,) = dask.compute(summary_frames(scored_ddf, engine_or_rules))
    return merge_frames(frames)


def _parquet_files(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in (".parquet", ".parq", ".pq"))


def read_register(path: str | Path, **kwargs: Any) -> dd.DataFrame:
    """A Parquet register (one file, or a directory of part files, possibly Hive-partitioned) as a
    Dask DataFrame with Arrow dtypes; ``uscc`` and code columns (``*_code``) read as strings, column
    names trimmed. ``kwargs`` go to :func:`dask.dataframe.read_parquet`."""
    if "://" in str(path):  # an object store or remote file system (s3://, gs://, hdfs://…): dask reads it
        kwargs.setdefault("dtype_backend", "pyarrow")
        return _string_codes(dd.read_parquet(str(path), **kwargs))
    p = Path(path)
    if not p.exists():
        raise RegisterError(f"找不到输入：{p}", f"input not found: {p}", file=str(p))
    if p.is_dir():
        if not _parquet_files(p):
            raise RegisterError(f"{p}：目录中没有 Parquet 文件（.parquet）", f"{p}: no Parquet files (.parquet) in the "
                                "directory", file=str(p))
    elif p.suffix.lower() not in (".parquet", ".parq", ".pq"):
        raise RegisterError(f"{p}：用 Dask 读入时只支持 Parquet 文件或目录（{p.suffix or '无后缀'}）",
                            f"{p}: with Dask only a Parquet file or directory can be read (got "
                            f"{p.suffix or 'no suffix'})", file=str(p))
    kwargs.setdefault("dtype_backend", "pyarrow")
    return _string_codes(dd.read_parquet(str(p), **kwargs))


def _string_codes(ddf: dd.DataFrame) -> dd.DataFrame:
    """Column names trimmed; ``uscc`` and code columns as strings."""
    renamed = {c: str(c).strip() for c in ddf.columns if str(c).strip() != c}
    if renamed:
        ddf = ddf.rename(columns=renamed)
    text = pd.ArrowDtype(pa.string())
    casts = {c: text for c, t in ddf.dtypes.items()
             if (c == "uscc" or str(c).endswith("_code")) and t != text}
    if casts:
        ddf = ddf.astype(casts)
    return ddf


# --------------------------------------------------------------------------------------------
# the command line's run: cluster, write, summary
# --------------------------------------------------------------------------------------------

def parse_cluster(spec: str) -> tuple[str, int | None]:
    """``local``, ``local:N`` or ``tcp://HOST:PORT`` → ("local", N or None) or ("tcp", address);
    :class:`RegisterError` (bilingual) for anything else."""
    text = spec.strip()
    bad = RegisterError(f"--dask 应为 local、local:N（N 为工作进程数）或 tcp://主机:端口，实际为 {spec!r}",
                        f"--dask must be local, local:N (N worker processes) or tcp://HOST:PORT, got {spec!r}")
    if text == "local":
        return "local", None
    if text.startswith("local:"):
        n = text.removeprefix("local:")
        if not n.isdigit() or int(n) < 1:
            raise bad
        return "local", int(n)
    if text.startswith("tcp://"):
        host, _, port = text.removeprefix("tcp://").rpartition(":")
        if not host or not port.isdigit():
            raise bad
        return text, None  # type: ignore[return-value]
    raise bad


def open_client(spec: str) -> tuple[Any, Any]:
    """A ``distributed.Client`` (and the LocalCluster it started, or None) for a ``--dask`` value."""
    import os

    from distributed import Client, LocalCluster

    kind, n = parse_cluster(spec)
    if kind == "local":
        cluster = LocalCluster(n_workers=n or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                               dashboard_address=":0")
        return Client(cluster), cluster
    return Client(kind), None


def _watch(futures: list[Any], on_progress: Any) -> None:
    """Call ``on_progress(done, total)`` (tasks) until ``futures`` finish, from the scheduler's
    progress stream; a plain wait when that is not available."""
    from distributed import wait

    if on_progress is None:
        wait(futures)
        return
    # progress is cosmetic: if the progress stream fails, just wait (the results raise real errors)
    with contextlib.suppress(Exception):
        from distributed.diagnostics.progressbar import TextProgressBar

        class _Bar(TextProgressBar):  # type: ignore[misc]
            def _draw_bar(self, remaining: int, all: int, **kwargs: Any) -> None:
                on_progress(all - remaining, all)

            def _draw_stop(self, **kwargs: Any) -> None:
                pass

        _Bar(futures, complete=True, interval="200ms")
    wait(futures)


def score_to_parquet(ddf: dd.DataFrame, engine: Engine, as_of: date | str | None, target: str | Path,
                     client: Any, wide: bool = False, on_progress: Any = None,
                     carry: tuple[str, ...] | list[str] = ()) -> pd.DataFrame:
    """Score ``ddf`` on ``client``'s cluster, write the (long or wide) table as partitioned Parquet
    into the directory ``target`` (provenance in the schema metadata under ``eligibility``) and
    return the merged per-rule summary. Write and summary are one graph, so each partition is
    scored once (twice with ``wide=True``: the summary needs the long table).
    ``on_progress(done, total)`` follows the cluster's tasks; ``carry``: see :func:`score`."""
    import json

    day = _as_date(as_of)
    scored = score(ddf, engine, day, wide=wide, carry=carry)
    long = scored if not wide else score(ddf, engine, day)
    provenance = json.dumps(engine.provenance(day), ensure_ascii=False, default=str).encode()
    write = scored.to_parquet(str(target), write_index=False, compute=False,
                              custom_metadata={b"eligibility": provenance})
    futures = client.compute([write, summary_frames(long, engine)])
    _watch(futures, on_progress)
    _, frames = client.gather(futures)
    summary = merge_frames(frames)
    summary.attrs.update(engine.provenance(day))
    return summary
