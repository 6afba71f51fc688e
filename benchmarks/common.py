"""Shared helpers for benchmarks: random profiles (fixed seed), best-of-N timing, machine line."""

from __future__ import annotations

import os
import platform
import random
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

SECTIONS = ["A", "B", "C", "C", "C", "D", "E", "F", "G", "H", "I", "K", "L", "M"]


def random_profiles(n: int, seed: int = 20241122, missing: float = 0.1) -> list[dict[str, Any]]:
    """Plausible flat profiles with some missing values (each field absent with probability ``missing``)."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        section = rng.choice(SECTIONS)
        p: dict[str, Any] = {
            "industry_code": section + (f"{rng.randint(13, 43)}" if section == "C" else ""),
            "employees": int(rng.lognormvariate(3.5, 1.2)),
            "revenue": Decimal(int(rng.lognormvariate(15.5, 1.6))),
            "total_assets": Decimal(int(rng.lognormvariate(16, 1.5))),
            "taxable_income": Decimal(int(rng.lognormvariate(13, 1.5))),
            "certifications": [{"kind": "high_tech", "level": "national", "certified_on": "2023-05-01"}]
            if rng.random() < 0.15 else [],
        }
        for key in list(p):
            if rng.random() < missing:
                del p[key]
        out.append(p)
    return out


def best_of(fn: Callable[[], Any], repeat: int = 5, clock: Callable[[], float] = time.perf_counter) -> float:
    """Best time of ``repeat`` runs (this machine is noisy: report the best): wall time, or with
    ``clock=time.process_time`` this process's CPU time (less moved by the neighbours)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = clock()
        fn()
        best = min(best, clock() - t0)
    return best


def machine() -> str:
    return f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores"
