"""Scaling out (issue: dask backend): one process against a local dask cluster, side by side in one run.

    python benchmarks/dask.py [--rows 10000000] [--partition-rows 500000] [--workers 2] [--repeat N] [--quick]

1. A register of ``--rows`` firms is generated once, by a child process, with ``batch.register_chunk``
   (valid USCCs, known region codes, money as decimal128(18, 2), 65 columns), into a temporary folder
   as a partitioned Parquet directory (``register/part-00000.parquet`` …, ``--partition-rows`` rows each)
   and, from the same chunks, as one concatenated file (``register.parquet``, one row group per
   partition) for the single-machine CLI, which reads a file, not a directory. The chunks are the same
   as ``batch.write_register`` writes (seeded by ``[seed, first row]``).
2. Memory per partition: a fresh child reads a file of the first ``--memory-rows`` rows (default
   100,000) into an Arrow-backed frame and runs ``Engine.score`` on it twice; it reports the RSS increase while scoring
   (sampled every 5 ms, and the process's high-water mark), the sizes of the input and output frames,
   and the in-memory time (µs per row on one core).
3. Side by side, best of ``--repeat`` (default 1 for 10M rows or more, else 3), each in a child:

   (a) ``eligibility score register.parquet -o out.parquet --as-of 2024-06-30`` — one process
       (the CLI's own chunked streaming, ``--workers 1``); peak RSS of its whole process tree;
   (b) ``eligibility score register/ -o out/ --dask local:N --as-of 2024-06-30`` — a local dask cluster
       of N worker processes started by the CLI; the RSS of every process in the CLI's tree is sampled
       from /proc every 100 ms: the peak of each worker process, of the CLI process (client, scheduler,
       nannies) and of the whole tree at one instant.

   Wall time (start-up included), rows/s, the ratio (a)/(b). (a) and (b) are checked to produce the same
   number of output rows and the same counts per (rule, status).

``--quick``: 1,000,000 rows. When ``eligibility.dask`` or the CLI's ``--dask`` option is not there yet,
(b) prints why and the script exits with status 1 after the rest.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
# this file is called dask.py: keep its folder off sys.path so that "import dask" finds the library
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

_spec = importlib.util.spec_from_file_location("batch", HERE / "batch.py")
batch = importlib.util.module_from_spec(_spec)
sys.modules["batch"] = batch
_spec.loader.exec_module(batch)

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = HERE.parent
AS_OF = batch.AS_OF
SEED = batch.SEED
say = batch.say

# Like batch.LAUNCHER, and it also keeps the peak RSS of every process of the tree (by pid, with its
# command line), sampled every ``interval`` seconds.
LAUNCHER = """
import json, os, resource, subprocess, sys, time
args, log, timeout, interval = json.loads(sys.argv[1]), sys.argv[2], float(sys.argv[3]), float(sys.argv[4])


def tree(pid):
    # (pid, depth, VmRSS KiB) of a process and all its descendants, from /proc
    out, todo = [], [(pid, 0)]
    while todo:
        p, d = todo.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                rss = next((int(line.split()[1]) for line in f if line.startswith("VmRSS:")), 0)
            out.append((p, d, rss))
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [(int(c), d + 1) for c in f.read().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError, StopIteration):
            pass
    return out


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\\0", b" ").decode(errors="replace").strip()[:300]
    except OSError:
        return ""


timed_out = False
tree_peak, procs = 0, {}
with open(log, "wb") as out:
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
    while proc.poll() is None:
        now = tree(proc.pid)
        tree_peak = max(tree_peak, sum(r for _, _, r in now))
        for p, d, r in now:
            if p not in procs:
                procs[p] = {"pid": p, "depth": d, "cmd": cmdline(p), "peak_kib": 0}
            procs[p]["peak_kib"] = max(procs[p]["peak_kib"], r)
        if time.perf_counter() - t0 > timeout:
            timed_out = True
            proc.kill()
            proc.wait()
            break
        time.sleep(interval)
    wall = time.perf_counter() - t0
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"code": proc.returncode, "wall": wall, "tree_peak_kib": tree_peak, "largest_kib": usage.ru_maxrss,
                  "procs": list(procs.values()), "timed_out": timed_out}))
"""
TIMEOUT = 3600.0


def run_child(args: list[str], log: Path, interval: float) -> dict:
    """Run ``python args`` through LAUNCHER (a fresh small Python: see batch.LAUNCHER)."""
    done = subprocess.run([sys.executable, "-c", LAUNCHER, json.dumps([sys.executable, *args]), str(log),
                           str(TIMEOUT), str(interval)],
                          capture_output=True, text=True, env={**os.environ, "COLUMNS": "120"}, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"launcher failed: {done.stderr[-1000:]}")
    result = json.loads(done.stdout)
    if result["timed_out"]:
        with log.open("a") as f:
            f.write(f"\nstopped: did not finish within --timeout {TIMEOUT:,.0f} s\n")
    return result


# ---------------------------------------------------------------------------------------------
# children


def make_register(folder: Path, single: Path, rows: int, seed: int, part: int) -> None:
    """Partitioned directory and one concatenated file, from the same chunks (USCCs spot-checked)."""
    from eligibility.facts.codes import is_valid_uscc

    folder.mkdir(parents=True, exist_ok=True)
    writer = None
    done, t0 = 0, time.perf_counter()
    while done < rows:
        n = min(part, rows - done)
        table = batch.register_chunk(np.random.default_rng([seed, done]), done, n)
        bad = [c for c in table.column("uscc").slice(0, 1000).to_pylist() if not is_valid_uscc(c)]
        if bad:
            raise AssertionError(f"generated invalid USCCs, e.g. {bad[:3]}")
        pq.write_table(table, folder / f"part-{done // part:05d}.parquet")
        if writer is None:
            writer = pq.ParquetWriter(single, table.schema)
        writer.write_table(table, row_group_size=n)
        done += n
        del table
    if writer is not None:
        writer.close()
    print(json.dumps({"rows": rows, "seconds": time.perf_counter() - t0}))


def vm_rss_kib() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def partition_memory(path: Path, rows: int) -> None:
    """RSS taken by Engine.score on one ``rows``-row partition (a fresh process; printed as JSON)."""
    import resource
    import threading

    import pandas as pd

    import eligibility as el

    engine = el.Engine(el.load_rules())
    base0 = vm_rss_kib()
    table = pq.read_table(path)  # a file holding just this partition
    df = table.to_pandas(types_mapper=pd.ArrowDtype)
    del table
    in_bytes = int(df.memory_usage(deep=True).sum())
    runs = []
    for _ in range(2):
        base = vm_rss_kib()
        peak = [base]
        stop = threading.Event()

        def sample(peak: list[int] = peak, stop: threading.Event = stop) -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], vm_rss_kib())
                time.sleep(0.005)

        th = threading.Thread(target=sample, daemon=True)
        th.start()
        hwm_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t0 = time.perf_counter()
        out = engine.score(df, AS_OF)
        wall = time.perf_counter() - t0
        stop.set()
        th.join()
        hwm = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        out_bytes = int(out.memory_usage(deep=True).sum())
        runs.append({"wall": wall, "base_kib": base, "peak_kib": max(peak[0], hwm if hwm > hwm_before else 0),
                     "out_rows": len(out), "out_bytes": out_bytes})
        del out
    print(json.dumps({"rows": len(df), "rss_engine_kib": base0, "in_bytes": in_bytes, "runs": runs}))


# ---------------------------------------------------------------------------------------------
# checks


def parquet_files(path: Path) -> list[Path]:
    return [path] if path.is_file() else sorted(p for p in path.rglob("*.parquet") if p.is_file())


def output_rows(path: Path) -> int:
    return sum(pq.ParquetFile(p).metadata.num_rows for p in parquet_files(path))


def status_counts(path: Path) -> tuple[Counter, int]:
    """Counts per (rule_id, status, duplicate) and the largest row number, streamed batch by batch."""
    counts: Counter = Counter()
    top = 0
    for p in parquet_files(path):
        f = pq.ParquetFile(p)
        names = set(f.schema_arrow.names)
        cols = [c for c in ("row", "rule_id", "status", "duplicate_of") if c in names]
        for b in f.iter_batches(batch_size=1_000_000, columns=cols):
            t = pa.Table.from_batches([b])
            if "duplicate_of" in names:
                t = t.append_column("dup", t.column("duplicate_of").is_valid())
            keys = ["rule_id", "status"] + (["dup"] if "duplicate_of" in names else [])
            g = t.group_by(keys).aggregate([([], "count_all")])
            for row in g.to_pylist():
                counts[tuple(row[k] for k in keys)] += row["count_all"]
            if "row" in names and t.num_rows:
                top = max(top, int(pa.compute.max(t.column("row")).as_py()))
    return counts, top


def dask_unavailable() -> str | None:
    """Why the dask path cannot run (None when it can): the module and the CLI option."""
    probe = subprocess.run([sys.executable, "-c", "import eligibility.dask"], capture_output=True, text=True,
                           cwd=ROOT, check=False)
    if probe.returncode != 0:
        return "import eligibility.dask failed: " + (probe.stderr.strip().splitlines() or ["?"])[-1]
    helptext = subprocess.run([sys.executable, "-m", "eligibility.cli", "score", "--help"], capture_output=True,
                              text=True, cwd=ROOT, check=False, env={**os.environ, "COLUMNS": "200"})
    if "--dask" not in helptext.stdout:
        return "`eligibility score --help` has no --dask option"
    return None


def mib(kib: float) -> float:
    return kib / 1024


# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--_make-register"]:
        folder, single, rows, seed, part = argv[1:6]
        make_register(Path(folder), Path(single), int(rows), int(seed), int(part))
        return 0
    if argv[:1] == ["--_partition-memory"]:
        partition_memory(Path(argv[1]), int(argv[2]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000, help="register rows (default 10,000,000)")
    parser.add_argument("--partition-rows", type=int, default=500_000, help="rows per Parquet file (default 500,000)")
    parser.add_argument("--workers", type=int, default=2, help="dask worker processes: --dask local:N (default 2)")
    parser.add_argument("--repeat", type=int, default=0,
                        help="runs of each contender, best reported (default 1 for ≥ 10M rows, else 3)")
    parser.add_argument("--quick", action="store_true", help="1,000,000 rows")
    parser.add_argument("--memory-rows", type=int, default=100_000,
                        help="rows of the partition whose Engine.score memory is measured (default 100,000)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per child (default 3600)")
    parser.add_argument("--keep", type=Path, default=None, help="generate into this folder and keep it")
    args = parser.parse_args(argv)
    if args.quick:
        args.rows = 1_000_000
    repeat = args.repeat or (1 if args.rows >= 10_000_000 else 3)
    global TIMEOUT
    TIMEOUT = args.timeout

    batch.header()
    say(f"  versions: dask {batch.version('dask')}, distributed {batch.version('distributed')}")
    say(f"  {args.rows:,} rows in partitions of {args.partition_rows:,}; dask workers: {args.workers}; "
        f"best of {repeat}; as of {AS_OF}")
    why_not = dask_unavailable()
    if why_not:
        say(f"  dask backend not available: {why_not} — (b) will be skipped")

    with tempfile.TemporaryDirectory(prefix="eligibility-dask-bench-") as tmp_name:
        tmp = Path(args.keep) if args.keep else Path(tmp_name)
        tmp.mkdir(parents=True, exist_ok=True)
        folder, single = tmp / "register", tmp / "register.parquet"
        if not (single.exists() and output_rows(single) == args.rows):
            t0 = time.perf_counter()
            r = run_child([__file__, "--_make-register", str(folder), str(single), str(args.rows), str(args.seed),
                           str(args.partition_rows)], tmp / "make.log", 0.5)
            if r["code"] != 0:
                say(f"  register generation failed (exit {r['code']}):\n"
                    f"{(tmp / 'make.log').read_text(errors='replace')[-3000:]}")
                return 2
            say(f"  register: generated in {time.perf_counter() - t0:.1f} s")
        files = parquet_files(folder)
        say(f"  register: {len(files)} files, {sum(p.stat().st_size for p in files) / 2**20:,.1f} MiB "
            f"in {folder.name}/; one file {single.stat().st_size / 2**20:,.1f} MiB; "
            f"{len(pq.ParquetFile(single).schema_arrow)} columns")

        # memory and time of one partition in memory
        say()
        one = tmp / f"partition-{args.memory_rows}.parquet"
        pq.write_table(pq.ParquetFile(single).read_row_group(0).slice(0, args.memory_rows), one)
        r = subprocess.run([sys.executable, __file__, "--_partition-memory", str(one), str(args.memory_rows)],
                           capture_output=True, text=True, check=False)
        if r.returncode != 0:
            say(f"  partition memory: failed: {r.stderr[-1500:]}")
        else:
            m = json.loads(r.stdout.strip().splitlines()[-1])
            say(f"Engine.score on one {m['rows']:,}-row partition (fresh process; engine loaded: "
                f"{mib(m['rss_engine_kib']):,.0f} MiB RSS; input frame {m['in_bytes'] / 2**20:,.1f} MiB)")
            for i, run in enumerate(m["runs"], 1):
                say(f"  run {i}: {run['wall']:.3f} s = {run['wall'] / m['rows'] * 1e6:.2f} µs/row on one core; "
                    f"RSS {mib(run['base_kib']):,.0f} → peak {mib(run['peak_kib']):,.0f} MiB "
                    f"(+{mib(run['peak_kib'] - run['base_kib']):,.0f} MiB while scoring); output "
                    f"{run['out_rows']:,} rows, {run['out_bytes'] / 2**20:,.1f} MiB")

        # (a) one process
        say()
        say(f"(a) one process: eligibility score register.parquet -o out.parquet --as-of {AS_OF}")
        out_a = tmp / "out.parquet"
        walls_a, peaks_a, code = [], [], 0
        for _ in range(repeat):
            out_a.unlink(missing_ok=True)
            r = run_child(["-m", "eligibility.cli", "score", str(single), "-o", str(out_a), "--as-of", AS_OF],
                          tmp / "a.log", 0.05)
            code = r["code"]
            if code != 0:
                break
            walls_a.append(r["wall"])
            peaks_a.append(max(r["tree_peak_kib"], r["largest_kib"]))
        if code != 0 or not walls_a:
            say(f"  failed (exit {code}): {batch.tail_of((tmp / 'a.log').read_text(errors='replace'))}")
            return 2
        wall_a = min(walls_a)
        rows_a = output_rows(out_a)
        say(f"  {wall_a:.2f} s wall (all: {', '.join(f'{w:.2f}' for w in walls_a)} s), "
            f"{args.rows / wall_a:,.0f} rows/s, peak RSS of the process tree {mib(max(peaks_a)):,.0f} MiB; "
            f"{rows_a:,} output rows")

        # (b) dask
        say()
        say(f"(b) dask: eligibility score register/ -o out/ --dask local:{args.workers} --as-of {AS_OF}")
        if why_not:
            say(f"  not run: {why_not}")
            return 1
        out_b = tmp / "out"
        walls_b, runs_b = [], []
        for _ in range(repeat):
            if out_b.exists():
                import shutil

                shutil.rmtree(out_b)
            r = run_child(["-m", "eligibility.cli", "score", str(folder), "-o", str(out_b), "--dask",
                           f"local:{args.workers}", "--as-of", AS_OF], tmp / "b.log", 0.1)
            code = r["code"]
            if code != 0:
                break
            walls_b.append(r["wall"])
            runs_b.append(r)
        if code != 0 or not walls_b:
            say(f"  failed (exit {code}): {batch.tail_of((tmp / 'b.log').read_text(errors='replace'))}")
            return 1
        best = min(range(len(walls_b)), key=walls_b.__getitem__)
        wall_b, rb = walls_b[best], runs_b[best]
        rows_b = output_rows(out_b)
        helpers = ("resource_tracker", "forkserver", "semaphore_tracker")
        procs = sorted(rb["procs"], key=lambda p: (p["depth"], p["pid"]))
        workers = [p for p in procs if p["depth"] > 0 and not any(h in p["cmd"] for h in helpers)]
        say(f"  {wall_b:.2f} s wall (all: {', '.join(f'{w:.2f}' for w in walls_b)} s), "
            f"{args.rows / wall_b:,.0f} rows/s; {rows_b:,} output rows in {len(parquet_files(out_b))} files")
        say(f"  peak RSS (run {best + 1}): whole tree at one instant {mib(rb['tree_peak_kib']):,.0f} MiB; "
            f"CLI process (client, scheduler, nannies) {mib(procs[0]['peak_kib']):,.0f} MiB; "
            f"{len(workers)} worker process(es): "
            + ", ".join(f"{mib(p['peak_kib']):,.0f}" for p in workers) + " MiB"
            + (f" (sum of their peaks {mib(sum(p['peak_kib'] for p in workers)):,.0f} MiB)" if workers else ""))
        for p in procs[1:]:
            if p not in workers:
                say(f"  helper process {p['pid']} (peak {mib(p['peak_kib']):,.0f} MiB): {p['cmd'][:90]}")

        # side by side
        say()
        say(f"ratio: dask local:{args.workers} / one process = {wall_a / wall_b:.2f}× the throughput "
            f"({args.rows / wall_b:,.0f} vs {args.rows / wall_a:,.0f} rows/s); memory: "
            f"{mib(rb['tree_peak_kib']):,.0f} vs {mib(max(peaks_a)):,.0f} MiB")
        ok = rows_a == rows_b
        say(f"check: output rows (a) {rows_a:,} {'==' if ok else '!='} (b) {rows_b:,} {'✔' if ok else '✘'}")
        ca, top_a = status_counts(out_a)
        cb, top_b = status_counts(out_b)
        same = ca == cb
        say(f"check: counts per (rule, status{', duplicate' if any(len(k) == 3 for k in ca) else ''}) "
            f"{'equal ✔' if same else 'differ ✘'}; largest row number (a) {top_a:,}, (b) {top_b:,}")
        if not same:
            for k in sorted(set(ca) | set(cb), key=str):
                if ca[k] != cb[k]:
                    say(f"  {k}: (a) {ca[k]:,} (b) {cb[k]:,}")
        return 0 if ok and same else 3


if __name__ == "__main__":
    sys.exit(main())
