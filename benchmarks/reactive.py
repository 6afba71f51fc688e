"""Reactive mode (issue 7): upserts per second with the event diff, both backends side by side.

Run: python benchmarks/reactive.py [--firms 100000] [--updates 10000] [--repeat 3] [--durable-repeat 1]

The workload is eligibility.testing.workload (the one the equivalence test runs): firms loaded into
an empty Watcher, then updates (one of them a date advance, timed apart). Profiles are validated
and flattened before the timed loops (both reported separately, per profile); derived-fact caches
are cleared before every run, so no run reuses another's work. Best of N runs per phase; the
durable backend is reported beside the python one when it can be made, else the reason is printed.
Memory per firm is measured with tracemalloc on a separate, untimed load.

"floor" is what any incremental backend must do before deciding anything: keep each firm's flat
facts and find which paths an update changed. Its rate bounds what a pure-Python backend can reach
on this workload, and each backend's update time is printed as a multiple of it.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import eligibility as el
from eligibility.facts.profile import Profile
from eligibility.reactive import Watcher
from eligibility.testing.workload import make_workload

sys.path.insert(0, str(Path(__file__).parent))
from common import machine  # noqa: E402

Step = tuple[str, Profile | None, str | None, date | None]


def _clear(profiles: list[Profile]) -> None:
    for p in profiles:
        p.facts().derived_cache.clear()


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        out = fn()
        return time.perf_counter() - t0, out
    finally:
        gc.enable()


def run(engine: el.Engine, backend: str, as_of: date, firms: list[Profile], steps: list[Step]) -> dict[str, Any]:
    """One run: load, updates before and after the advance, the advance; seconds and event counts."""
    watcher = Watcher(engine, as_of=as_of, backend=backend)

    def updates(part: list[Step]) -> Callable[[], int]:
        def go() -> int:
            n = 0
            for kind, p, uscc, _ in part:
                n += len(watcher.upsert(p) if kind == "upsert" else watcher.remove(uscc))  # type: ignore[arg-type]
            return n
        return go

    cut = next(i for i, s in enumerate(steps) if s[0] == "advance")
    out: dict[str, Any] = {}
    out["load"], out["load_events"] = _timed(lambda: len(watcher.upsert_many(firms)))
    first, after = updates(steps[:cut]), updates(steps[cut + 1:])
    t1, n1 = _timed(first)
    out["advance"], out["advance_events"] = _timed(lambda: len(watcher.advance_to(steps[cut][3])))  # type: ignore[arg-type]
    t2, n2 = _timed(after)
    out["updates"], out["update_events"] = t1 + t2, n1 + n2
    watcher.close()
    return out


def find_changes_only(firms: list[Profile], steps: list[Step]) -> float:
    """The floor under any upsert: seconds to keep each firm's flat facts and find which paths an
    update changed (what every incremental backend must do first), deciding no rule, making no event."""
    store = {p.uscc: p.facts().values for p in firms}
    absent = object()

    def go() -> int:
        n = 0
        for kind, p, uscc, _ in steps:
            if kind == "advance":
                continue
            if kind != "upsert":
                store.pop(uscc, None)  # type: ignore[arg-type]
                continue
            new = p.facts().values  # type: ignore[union-attr]
            old = store.get(p.uscc)  # type: ignore[union-attr]
            store[p.uscc] = new  # type: ignore[union-attr,index]
            if old is not None and old != new:
                was = old.get
                n += len([path for path, value in new.items() if was(path, absent) != value])
        return n

    return _timed(go)[0]


def _rss() -> int:
    """Resident memory of this process in bytes (Linux), to see memory held outside Python's allocator."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def memory_per_firm(engine: el.Engine, backend: str, as_of: date, data: list[dict[str, Any]]) -> tuple[float, float, float]:
    """Bytes per firm: its validated, flattened profile; what the watcher adds (decisions, index,
    records) by tracemalloc; and the same by resident memory (durable_rules keeps facts in C)."""
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    profiles = [Profile.from_data(d) for d in data]
    for p in profiles:
        p.facts()
    after_profiles = tracemalloc.get_traced_memory()[0]
    rss = _rss()
    watcher = Watcher(engine, as_of=as_of, backend=backend)
    watcher.upsert_many(profiles)
    gc.collect()
    after_watch, rss_watch = tracemalloc.get_traced_memory()[0], _rss()
    tracemalloc.stop()
    watcher.close()
    n = len(data)
    return (after_profiles - base) / n, (after_watch - after_profiles) / n, (rss_watch - rss) / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--firms", type=int, default=100_000)
    ap.add_argument("--updates", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3, help="runs of the python backend (best of)")
    ap.add_argument("--durable-repeat", type=int, default=1, help="runs of the durable backend (best of)")
    ap.add_argument("--memory-firms", type=int, default=20_000)
    args = ap.parse_args()

    print(f"reactive benchmark — {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC — {machine()}")
    t0 = time.perf_counter()
    wl = make_workload(args.firms, args.updates)
    print(f"workload: {args.firms:,} firms, {len(wl.steps):,} updates (1 date advance {wl.as_of} → "
          f"{next(s.day for s in wl.steps if s.kind == 'advance')}), {len(wl.collisions)} colliding USCC pairs; "
          f"generated in {time.perf_counter() - t0:.1f} s")

    data = wl.firms + [s.profile for s in wl.steps if s.profile is not None]
    t_validate, profiles = _timed(lambda: [Profile.from_data(d) for d in data])
    t_flatten, _ = _timed(lambda: [p.facts() for p in profiles])
    print(f"validation (Profile.from_data): {t_validate / len(data) * 1e6:.1f} µs per profile; "
          f"flattening (profile.facts()): {t_flatten / len(data) * 1e6:.1f} µs per profile "
          f"({len(data):,} profiles, outside the timed loops)")
    firms = profiles[:len(wl.firms)]
    rest = iter(profiles[len(wl.firms):])
    steps: list[Step] = [(s.kind, next(rest) if s.profile is not None else None, s.uscc, s.day) for s in wl.steps]

    engine = el.Engine(el.load_rules())
    backends = {"python": args.repeat, "durable": args.durable_repeat}
    best: dict[str, dict[str, Any]] = {}
    for name, repeat in backends.items():
        try:
            Watcher(engine, as_of=wl.as_of, backend=name).close()
        except el.EligibilityError as exc:
            print(f"{name}: not run — {exc.en}")
            continue
        for _ in range(repeat):
            _clear(profiles)
            got = run(engine, name, wl.as_of, firms, steps)
            mine = best.setdefault(name, got)
            for phase in ("load", "updates", "advance"):
                mine[phase] = min(mine[phase], got[phase])
    _clear(profiles)

    n_updates = sum(1 for s in steps if s[0] != "advance")
    floor = min(find_changes_only(firms, steps) for _ in range(args.repeat))
    print(f"\n{'backend':<9} {'load upserts/s':>15} {'update upserts/s':>17} {'advance s':>10} "
          f"{'events (load / updates / advance)':>36}")
    for name, r in best.items():
        print(f"{name:<9} {args.firms / r['load']:>15,.0f} {n_updates / r['updates']:>17,.0f} {r['advance']:>10.2f} "
              f"{r['load_events']:>14,} / {r['update_events']:>7,} / {r['advance_events']:>7,}")
    if len(best) == 2:
        p, d = best["python"], best["durable"]
        print(f"python / durable: load ×{d['load'] / p['load']:.1f}, updates ×{d['updates'] / p['updates']:.1f}, "
              f"advance ×{d['advance'] / p['advance']:.1f}")
    print(f"{'floor':<9} {'':>15} {n_updates / floor:>17,.0f}   finding what each update changed, nothing decided "
          "(stored flat facts vs the new ones)")
    for name, r in best.items():
        print(f"{name} updates / floor: ×{r['updates'] / floor:.1f}")
    flat = t_flatten / len(data)
    for name, r in best.items():
        per = r["updates"] / n_updates
        print(f"{name}: update upserts/s counting each profile's flattening too: {1 / (per + flat):,.0f}")

    sample = wl.firms[:args.memory_firms]
    for name in best:
        profile_bytes, watch_bytes, rss_bytes = memory_per_firm(engine, name, wl.as_of, sample)
        print(f"{name}: memory per firm ({len(sample):,} firms): profile with its facts {profile_bytes / 1024:.1f} KB; "
              f"watcher and backend state {watch_bytes / 1024:.1f} KB by tracemalloc, {rss_bytes / 1024:.1f} KB "
              "by resident memory")


if __name__ == "__main__":
    main()
