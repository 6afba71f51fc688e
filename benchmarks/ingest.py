"""``table_from_frame`` alone, best of N: on a watch batch (10,000 updates of the reactive benchmark's
workload on 100,000 firms, Arrow-typed as a register reader gives them), on its first 10 rows (the cost
paid whatever the batch), and optionally on the first chunk of a Parquet register as the batch CLI
reads it.

    python benchmarks/ingest.py --repeat 40 [--register in.parquet --chunk 100000]
"""

from __future__ import annotations

import argparse
import gc
import time
from typing import Any

from reactive import arrow_frame

from eligibility.backends.vectorized import table_from_frame
from eligibility.facts.profile import Profile
from eligibility.testing.workload import make_workload


def best_ms(frame: Any, start: int, repeat: int) -> tuple[float, float]:
    """(best wall ms, best thread-CPU ms) of ``repeat`` ingests, after two to warm the memos."""
    for _ in range(2):
        table_from_frame(frame, start)
    wall = cpu = float("inf")
    for _ in range(repeat):
        c0, t0 = time.thread_time(), time.perf_counter()
        table_from_frame(frame, start)
        wall, cpu = min(wall, time.perf_counter() - t0), min(cpu, time.thread_time() - c0)
    return wall * 1000, cpu * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--register", help="a Parquet register: its first chunk is ingested too")
    parser.add_argument("--chunk", type=int, default=100_000)
    args = parser.parse_args()
    workload = make_workload(100_000, 26_000)
    updates = [Profile.from_data(s.profile) for s in workload.steps if s.kind == "upsert"][:10_000]
    frame = arrow_frame(updates)
    frames: list[tuple[str, Any, int, int]] = [
        (f"watch batch, {len(frame):,} rows × {frame.shape[1]} columns", frame, 1, args.repeat),
        ("its first 10 rows", frame.iloc[:10].reset_index(drop=True), 1, args.repeat * 2)]
    if args.register:
        from eligibility.batch.sources import read_register

        start, chunk = next(iter(read_register(args.register, args.chunk)))
        frames.append((f"register chunk, {len(chunk):,} rows × {chunk.shape[1]} columns", chunk, start,
                       max(5, args.repeat // 4)))
    gc.collect()
    gc.freeze()
    for name, f, start, repeat in frames:
        wall, cpu = best_ms(f, start, repeat)
        print(f"{name}: best of {repeat} {wall:.2f} ms wall, {cpu:.2f} ms thread CPU")


if __name__ == "__main__":
    main()
