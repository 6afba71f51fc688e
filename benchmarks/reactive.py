"""Reactive mode at register scale (issue 23): update batches, initial load, memory, upsert latency.

Run: python benchmarks/reactive.py [--small] [--repeat 3]

Default: 100,000 firms; a batch of 10,000 updates; an initial load of 1,000,000 firms; 2,000 single
upserts timed one by one. ``--small``: 10,000 firms, batches of 1,000, a load of 100,000, 500
single upserts (a quick run).

The workload is eligibility.testing.workload (the one the equivalence test runs). Its firms are
loaded, then the first ``--batch`` upserts of its update stream are applied, side by side in this
process, four ways, with the store off and on (an SQLite file in a temporary directory):

- ``one by one``: ``watcher.upsert(profile)`` per update (with the store: one transaction each);
- ``list``: ``watcher.upsert_many(profiles)`` (the per-profile path, one transaction);
- ``frame``: ``watcher.upsert_many(frame)`` with the updates as an Arrow-typed DataFrame, as the
  register readers give it (decided together by the vectorized backend, diffed column-wise); its
  events are kept as arrays and counted, their ``Event`` objects made only when read;
- ``frame, read``: the same, then every event read (its ``Event`` object made), as a notifier does;
- ``floor``: keep each firm's flat facts and find which paths an update changed — what any
  per-profile incremental backend must do before deciding anything.

With the store on, one by one commits a transaction per update and is timed over the first
``--singles`` updates of each batch. Profiles are validated and frames built before the timed loops (the input of each way). Each run
applies the batch and then a batch restoring the firms' previous profiles; both are timed, the ways
take turns run after run, and the best of all runs is reported (the machine is shared: best-of-N, and ratios of ways run side by side).
Derived-fact caches are cleared before every run. The initial load is an Arrow-typed frame of
``--load`` firms (the workload's firms repeated under new valid USCCs) given to ``upsert_many`` in
frames of 100,000 (the register readers' chunk); memory per firm is the growth of this process's resident memory over that load, divided
by the firms (the frame itself, which the watch keeps as the firms' facts, reported apart).

Sustained rates with the store on (a store compacts its segments now and then, and pays for it in
those batches): 30 frame batches in a row on a new store holding the firms, total updates / total
time, best and median over ``--repeat`` stores — once with the batch and its restoring batch in turn
(the same firms again: a compaction rewrites only the newer segments), once with a different tenth of
the firms each batch (nothing replaced within the newer segments: every compaction rewrites every firm).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

import eligibility as el
from eligibility.facts.codes.uscc import ALPHABET, WEIGHTS
from eligibility.facts.profile import Profile
from eligibility.reactive import Watcher
from eligibility.testing.workload import make_workload

sys.path.insert(0, str(Path(__file__).parent))
from common import machine  # noqa: E402

WAYS = ("one by one", "list", "frame", "frame, read")


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        out = fn()
        return time.perf_counter() - t0, out
    finally:
        gc.enable()


def _rss() -> int:
    """Resident memory of this process in bytes (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def arrow_frame(profiles: list[Profile]) -> pd.DataFrame:
    """The profiles as a register reader gives them: flat columns with Arrow types."""
    frame = el.to_frame(profiles)
    return pa.Table.from_pandas(frame, preserve_index=False).to_pandas(types_mapper=pd.ArrowDtype)


def valid_usccs(regions: np.ndarray, seed: int) -> np.ndarray:
    """One new valid USCC (enterprise, "91") per row, in the row's region (random bodies, checks computed)."""
    rng = np.random.default_rng(seed)
    n = len(regions)
    alphabet = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)
    body = rng.integers(0, len(ALPHABET), size=(n, 8))
    org_values = np.where(body < 10, body, np.array([int(ch, 36) for ch in ALPHABET])[body])
    remainder = 11 - (org_values * np.array((3, 7, 9, 10, 5, 8, 4, 2))).sum(axis=1) % 11
    org_check = np.where(remainder == 10, ALPHABET.index("X"), np.where(remainder == 11, 0, remainder))
    region_digits = np.frombuffer("".join(regions).encode(), dtype=np.uint8).reshape(n, 6).astype(np.int64) - ord("0")
    values = np.hstack([np.tile(np.array([9, 1]), (n, 1)), region_digits, body, org_check[:, None]])
    check = (31 - (values * np.array(WEIGHTS)).sum(axis=1) % 31) % 31
    codes = alphabet[np.hstack([values, check[:, None]])]
    return codes.view(f"S{codes.shape[1]}").ravel().astype(str)


def big_frame(base: pd.DataFrame, n: int) -> pd.DataFrame:
    """``n`` firms: the rows of ``base`` repeated, each under a new valid USCC of its region (unique)."""
    reps = -(-n // len(base))
    frame = pd.concat([base] * reps, ignore_index=True).iloc[:n].reset_index(drop=True)
    regions = frame["region_code"].astype(str).to_numpy()
    codes = valid_usccs(regions, seed=5)
    while len(set(codes)) < n:  # a repeated random body: draw again (rare)
        codes = valid_usccs(regions, seed=int(len(set(codes))))
    frame["uscc"] = pd.array(codes, dtype=pd.ArrowDtype(pa.string()))
    return frame


def _clear(profiles: list[Profile]) -> None:
    for p in profiles:
        p.facts().derived_cache.clear()


def apply(way: str, watcher: Watcher, batch: tuple[list[Profile], pd.DataFrame], limit: int | None = None) -> int:
    """Apply one batch one way (one by one: its first ``limit`` updates); the number of events."""
    profiles, frame = batch
    if way == "one by one":
        return sum(len(watcher.upsert(p)) for p in profiles[:limit])
    if way == "list":
        return len(watcher.upsert_many(profiles))
    if way == "frame":
        return len(watcher.upsert_many(frame))
    return len(list(watcher.upsert_many(frame)))


def floor(firms: list[Profile], batches: list[tuple[list[Profile], pd.DataFrame]], repeat: int) -> float:
    """Best seconds to keep each firm's flat facts and find which paths an update changed (nothing decided)."""
    absent = object()
    best = float("inf")
    for _ in range(repeat):
        for profiles, _frame in batches:
            store = {p.uscc: p.facts().values for p in firms}

            def go(profiles: list[Profile] = profiles, store: dict[Any, Any] = store) -> int:
                n = 0
                for p in profiles:
                    new = p.facts().values
                    old = store.get(p.uscc)
                    store[p.uscc] = new
                    if old is not None and old != new:
                        was = old.get
                        n += len([path for path, value in new.items() if was(path, absent) != value])
                return n

            best = min(best, _timed(go)[0])
    return best


def latency(watcher: Watcher, profiles: list[Profile]) -> tuple[float, float]:
    """p50 and p99 of ``watcher.upsert(profile)`` in microseconds."""
    times = []
    gc.collect()
    for p in profiles:
        t0 = time.perf_counter_ns()
        watcher.upsert(p)
        times.append((time.perf_counter_ns() - t0) / 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]


def sustained(engine: el.Engine, as_of: Any, firm_frame: pd.DataFrame, frames: list[pd.DataFrame], repeat: int,
              n: int = 30) -> tuple[float, float]:
    """Updates/s of ``n`` consecutive frame batches (``frames`` in turn) on a store holding the firms, the
    store's compactions included: best and median over ``repeat`` new stores."""
    rates = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(repeat):
            w = Watcher(engine, as_of=as_of, store=Path(tmp) / f"sustained-{k}.sqlite")
            w.upsert_many(firm_frame)
            t, _ = _timed(lambda: [w.upsert_many(frames[i % len(frames)]) for i in range(n)])
            w.close()
            rates.append(sum(len(frames[i % len(frames)]) for i in range(n)) / t)
    return max(rates), statistics.median(rates)


LOAD_CHUNK = 100_000
"""Rows per ``upsert_many`` in the initial load: the register readers' chunk."""


def initial_load(engine: el.Engine, as_of: Any, base: pd.DataFrame, n: int
                 ) -> tuple[float, int, float, float, float]:
    """Load ``n`` firms into an empty watch in frames of :data:`LOAD_CHUNK`: firms/s, events, resident
    growth per firm, the frame's own bytes per firm, and the events per second made into ``Event``
    objects when one more frame's events are read (timed apart from the load)."""
    big = big_frame(base, n)
    frame_bytes = int(big.memory_usage(deep=True).sum())
    gc.collect()
    rss0 = _rss()
    w = Watcher(engine, as_of=as_of)
    t, n_events = _timed(lambda: sum(len(w.upsert_many(big.iloc[i:i + LOAD_CHUNK])) for i in range(0, n, LOAD_CHUNK)))
    gc.collect()
    rss1 = _rss()
    w.close()
    w = Watcher(engine, as_of=as_of)
    events = w.upsert_many(big.iloc[:LOAD_CHUNK])
    t_read, made = _timed(lambda: len(list(events)))
    w.close()
    return n / t, n_events, (rss1 - rss0) / n, frame_bytes / n, made / t_read


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="10,000 firms, batches of 1,000, a load of 100,000")
    ap.add_argument("--firms", type=int, default=None)
    ap.add_argument("--batch", type=int, default=None, help="updates per batch")
    ap.add_argument("--load", type=int, default=None, help="firms of the initial-load run")
    ap.add_argument("--singles", type=int, default=None, help="single upserts timed for the latency")
    ap.add_argument("--repeat", type=int, default=3, help="runs per way (each: the batch and its restoring batch)")
    args = ap.parse_args()
    firms_n = args.firms or (10_000 if args.small else 100_000)
    batch_n = args.batch or (1_000 if args.small else 10_000)
    load_n = args.load or (100_000 if args.small else 1_000_000)
    singles_n = args.singles or (500 if args.small else 2_000)

    print(f"reactive benchmark — {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC — {machine()}")
    t0 = time.perf_counter()
    wl = make_workload(firms_n, int(batch_n * 2.6))
    updates = [s.profile for s in wl.steps if s.kind == "upsert"][:batch_n]
    firms = [Profile.from_data(d) for d in wl.firms]
    forward = [Profile.from_data(d) for d in updates]
    by_uscc = {p.uscc: p for p in firms}
    back = [by_uscc.get(p.uscc, p) for p in forward]  # each updated firm's profile before the update
    batches = [(forward, arrow_frame(forward)), (back, arrow_frame(back))]
    firm_frame = arrow_frame(firms)
    everything = firms + forward
    print(f"workload: {firms_n:,} firms, a batch of {len(forward):,} updates ({len({p.uscc for p in forward}):,} "
          f"firms); prepared in {time.perf_counter() - t0:.0f} s")

    engine = el.Engine(el.load_rules())
    rates: dict[tuple[str, bool], float] = {}
    loads: dict[tuple[str, bool], float] = {}
    events: dict[tuple[str, bool], int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for store in (False, True):
            watchers: dict[str, Watcher] = {}
            best: dict[str, float] = {}
            for way in WAYS:
                path = Path(tmp) / f"{way.replace(' ', '-')}.sqlite"
                w = watchers[way] = Watcher(engine, as_of=wl.as_of, store=path if store else None)
                _clear(everything)
                t_load, _ = _timed(lambda: w.upsert_many(firm_frame if way.startswith("frame") else firms))
                loads[way, store] = firms_n / t_load
                best[way] = float("inf")
            # one transaction per update: one by one with the store is timed over its first updates
            limit = {way: singles_n if store and way == "one by one" else None for way in WAYS}
            for _ in range(args.repeat):  # the ways in turn, so that each meets the machine's moods alike
                for way in WAYS:
                    for batch in batches:
                        _clear(everything)
                        t, n = _timed(lambda: apply(way, watchers[way], batch, limit[way]))
                        best[way] = min(best[way], t)
                        events.setdefault((way, store), n)
            for way in WAYS:
                rates[way, store] = len(forward[:limit[way]]) / best[way]
                watchers[way].close()
                print(f"  {'store' if store else 'memory'} / {way}: {rates[way, store]:,.0f} updates/s "
                      f"(load of {firms_n:,}: {loads[way, store]:,.0f} firms/s)", flush=True)
            if store:  # a restart: the watch of frame rows opened again from its store
                t_open, again = _timed(lambda: Watcher(engine, store=Path(tmp) / "frame.sqlite"))
                size = (Path(tmp) / "frame.sqlite").stat().st_size
                print(f"  store / frame: reopened with {len(again):,} firms in {t_open:.2f} s; file {size / 2**20:,.0f} MiB",
                      flush=True)
                again.close()
    _clear(everything)
    t_floor = floor(firms, batches, args.repeat)
    floor_rate = len(forward) / t_floor

    print(f"\nbatch of {len(forward):,} updates on {firms_n:,} firms, best of {args.repeat * 2} runs (updates/s)")
    print(f"{'way':<12} {'store off':>12} {'store on':>12} {'× one by one':>14} {'× floor':>9}   "
          f"{'load firms/s off / on':>24}  events")
    for way in WAYS:
        off, on = rates[way, False], rates[way, True]
        print(f"{way:<12} {off:>12,.0f} {on:>12,.0f} {off / rates['one by one', False]:>6.2f} /{on / rates['one by one', True]:>6.2f}"
              f" {off / floor_rate:>9.2f}   {loads[way, False]:>11,.0f} / {loads[way, True]:>10,.0f}  "
              f"{events[way, False]:,}")
    print(f"{'floor':<12} {floor_rate:>12,.0f}   finding what each update changed, nothing decided")
    print(f"(one by one with the store on: its first {singles_n:,} updates per run, each its own transaction)")
    best_rate, median_rate = sustained(engine, wl.as_of, firm_frame, [frame for _, frame in batches], args.repeat)
    print(f"frame, store on, 30 batches in a row (compactions included): best {best_rate:,.0f}, "
          f"median {median_rate:,.0f} updates/s over {args.repeat} stores")
    # each batch other firms (a tenth of the register in turn): nothing a batch writes is replaced by
    # the next ones, so each compaction rewrites every firm (the costliest case of the store)
    tenths = [firm_frame.iloc[i:i + batch_n] for i in range(0, firms_n, batch_n)]
    best_rate, median_rate = sustained(engine, wl.as_of, firm_frame, tenths, args.repeat)
    print(f"frame, store on, 30 batches of other firms each (every compaction a full one): best {best_rate:,.0f}, "
          f"median {median_rate:,.0f} updates/s over {args.repeat} stores")

    # -- initial load and memory ---------------------------------------------------------------
    rate, n_events, per_firm, frame_per_firm, read_rate = initial_load(engine, wl.as_of, firm_frame, load_n)
    print(f"\ninitial load of {load_n:,} firms (frames of {LOAD_CHUNK:,}, store off): {rate:,.0f} firms/s "
          f"({n_events:,} events, counted; reading them makes {read_rate:,.0f} Event objects/s)")
    print(f"memory per firm: {per_firm:,.0f} B resident growth over the load; the frame the watch keeps as the "
          f"firms' facts: {frame_per_firm:,.0f} B (held before the load)")
    gc.collect()

    # -- single upserts: latency ---------------------------------------------------------------
    singles = (forward * (singles_n // len(forward) + 1))[:singles_n]
    with tempfile.TemporaryDirectory() as tmp:
        for store in (False, True):
            for held in ("profiles", "frame rows"):
                w = Watcher(engine, as_of=wl.as_of, store=Path(tmp) / f"l-{held[0]}.sqlite" if store else None)
                w.upsert_many(firms if held == "profiles" else firm_frame)
                _clear(everything)
                p50, p99 = latency(w, singles)
                w.close()
                print(f"upsert(profile) latency, store {'on ' if store else 'off'}, firms held as {held:<10}: "
                      f"p50 {p50:,.0f} µs, p99 {p99:,.0f} µs ({len(singles):,} upserts)")


if __name__ == "__main__":
    main()
