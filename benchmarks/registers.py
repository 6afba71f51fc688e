"""Registers as departments write them (issue 19): reading speed, side by side in one process.

    python benchmarks/registers.py [--xlsx-rows 100000] [--check-rows 1000000] [--frame-rows 100000] [--repeat 3]

Part X: an .xlsx of ``--xlsx-rows`` firms written the way departments write them (a title row,
Chinese headers with units, dates as Excel dates, codes as numbers, placeholders), read in full by
``read_register`` (python-calamine, header detection, value normalisation: everything ``score``
reads before scoring) beside python-calamine alone producing the same rows (the floor of any
calamine reader) and a bare openpyxl read-only pass over the same cells (the reader used before).
Goal: ≥ 20,000 rows/s.

Part C: ``eligibility check`` (:func:`eligibility.batch.check.check_register`: read, normalise and
validate every value, no rule evaluated) on a CSV of ``--check-rows`` rows made by repeating the
example register, beside ``read_register`` alone over the same file (reading and value
normalisation, no validation). Goal: ≥ 200,000 rows/s.

Part P: ``engine.score`` on ``--frame-rows`` rows held three ways, side by side: read from Parquet
with Arrow dtypes (the reference), read by ``pd.read_csv`` as text, and built by ``el.to_frame``.
Goal: ≥ 150,000 rows/s for the last two.

Best-of-N wall times, the parts of one comparison run alternately in one process; the machine is
shared, so read the ratios printed by one run rather than absolute rates.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SEED = 19


def best_of(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def alternating(fns: dict[str, Callable[[], Any]], repeat: int) -> dict[str, float]:
    """Best-of-``repeat`` wall time of each function, run in turn (a b c a b c …) so that a change in
    the machine's speed reaches all of them alike."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: min(t) for name, t in times.items()}


def write_xlsx(path: Path, n: int) -> None:
    import openpyxl

    rng = np.random.default_rng(SEED)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("名录")
    ws.append(["2024年规模以上工业企业名录"])
    ws.append(["统一社会信用代码", "单位详细名称", "行政区划代码", "行业代码", "成立日期", "从业人员期末人数（人）",
               "营业收入（千元）", "资产总计（千元）", "纳税人资格", "纳税信用级别", "是否失信", "所在开发区"])
    regions = [530802.0, 530821.0, 152921.0, 150602.0]
    industries = [3011, 1311, 5124, 7010]
    day0 = date(2000, 1, 1)
    for i in range(n):
        ws.append([f"91530802MA{i:08d}", f"示例企业{i}", regions[i % 4], industries[i % 4],
                   day0 + timedelta(days=int(rng.integers(0, 8000))), int(rng.integers(1, 900)),
                   round(float(rng.lognormal(9, 1)), 1), "-" if i % 17 == 0 else round(float(rng.lognormal(9, 1)), 1),
                   "一般纳税人" if i % 3 else "小规模纳税人", "A级" if i % 5 else "B", "否", ""])
    ws.append(["合计"])
    wb.save(path)


def part_x(rows: int, repeat: int) -> None:
    from eligibility.batch import read_register

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "register.xlsx"
        write_xlsx(path, rows)

        def calamine() -> None:
            n = sum(len(chunk) for _, chunk in read_register(path))
            assert n == rows, n

        def openpyxl_pass() -> None:
            import openpyxl

            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
            n = sum(1 for _ in wb.worksheets[0].iter_rows(values_only=True))
            wb.close()
            assert n == rows + 3

        def calamine_alone() -> None:
            import python_calamine

            wb = python_calamine.CalamineWorkbook.from_path(str(path))
            n = sum(1 for _ in wb.get_sheet_by_index(0).iter_rows())
            assert n == rows + 3

        t = alternating({"new": calamine, "floor": calamine_alone, "old": openpyxl_pass}, repeat)
        print(f"Part X — .xlsx, {rows:,} rows (best of {repeat}, alternating)")
        print(f"  read_register (calamine + header detection + value normalisation): {t['new']:.2f} s, "
              f"{rows / t['new']:,.0f} rows/s (goal ≥ 20,000)")
        print(f"  python-calamine alone, its rows (the floor):                        {t['floor']:.2f} s, "
              f"{rows / t['floor']:,.0f} rows/s; read_register / floor time = {t['new'] / t['floor']:.2f}")
        print(f"  openpyxl read-only, cells only (the reader before):                 {t['old']:.2f} s, "
              f"{rows / t['old']:,.0f} rows/s; read_register / openpyxl time = {t['new'] / t['old']:.2f}")


def part_c(rows: int, repeat: int) -> None:
    from eligibility.batch import read_register
    from eligibility.batch.check import check_register

    with open(ROOT / "examples" / "register.csv", encoding="utf-8", newline="") as f:
        data = list(csv.reader(f))
    head, body = data[0], data[1:]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "register.csv"
        with open(path, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(head)
            for i in range(rows):
                w.writerow(body[i % len(body)])

        def run() -> None:
            result = check_register(path)
            assert result.rows_read == rows, result.rows_read

        def read_only() -> None:
            n = sum(len(chunk) for _, chunk in read_register(path))
            assert n == rows, n

        t = alternating({"check": run, "read": read_only}, repeat)
        print(f"Part C — eligibility check, {rows:,}-row CSV (best of {repeat}, alternating): {t['check']:.2f} s, "
              f"{rows / t['check']:,.0f} rows/s (goal ≥ 200,000)")
        print(f"  read_register alone (reading + value normalisation, no validation): {t['read']:.2f} s, "
              f"{rows / t['read']:,.0f} rows/s; check / read time = {t['check'] / t['read']:.2f}")


def part_p(rows: int, repeat: int) -> None:
    """engine.score on one register held three ways: Parquet read with Arrow dtypes (the fast path),
    pd.read_csv as text, and el.to_frame of profiles (Arrow-typed columns, list<struct> lists)."""
    import pandas as pd

    import eligibility as el
    from eligibility.facts.frame import row_to_profile

    base = pd.read_csv(ROOT / "examples" / "register.csv", dtype=str, keep_default_na=False)
    text = pd.concat([base] * (rows // len(base) + 1), ignore_index=True).head(rows)
    engine = el.Engine(el.load_rules())
    with tempfile.TemporaryDirectory() as tmp:
        csv_path, pq_path = Path(tmp) / "r.csv", Path(tmp) / "r.parquet"
        text.to_csv(csv_path, index=False)
        sample = [row_to_profile({k: v for k, v in r.items() if v != ""}) for r in base.to_dict("records")]
        profiles = (sample * (rows // len(sample) + 1))[:rows]
        framed = el.to_frame(profiles)
        framed.to_parquet(pq_path)
        from_parquet = pd.read_parquet(pq_path, dtype_backend="pyarrow")
        from_csv = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
        frames = {"Parquet, Arrow dtypes": from_parquet, "pd.read_csv, text": from_csv, "el.to_frame": framed}
        for frame in frames.values():
            engine.score(frame.head(200), "2024-06-30")  # compiled and warmed once
        t = alternating({label: (lambda frame=frame: engine.score(frame, "2024-06-30"))
                         for label, frame in frames.items()}, repeat)
        print(f"Part P — engine.score, {rows:,} rows, all bundled packs (best of {repeat}, alternating)")
        ref = t["Parquet, Arrow dtypes"]
        for label, secs in t.items():
            print(f"  {label:<24} {secs:.2f} s, {rows / secs:,.0f} rows/s (goal ≥ 150,000); time / Parquet's = "
                  f"{secs / ref:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--check-rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--frame-rows", type=int, default=100_000)
    parser.add_argument("--skip", choices=["x", "c", "p"], action="append", default=[])
    args = parser.parse_args()
    if "x" not in args.skip:
        part_x(args.xlsx_rows, args.repeat)
    if "c" not in args.skip:
        part_c(args.check_rows, args.repeat)
    if "p" not in args.skip:
        part_p(args.frame_rows, args.repeat)


if __name__ == "__main__":
    main()
