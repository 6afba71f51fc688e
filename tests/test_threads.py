"""One Engine shared by eight threads gives the answers of a sequential run: explained evaluations,
deciders over 200 dates (more than the compiled cache keeps, so threads build and evict at once)
and vectorized scores, all interleaved."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import eligibility as el
from eligibility.errors import ProfileError
from eligibility.facts.frame import row_to_profile

ROOT = Path(__file__).resolve().parents[1]
THREADS = 8


class YieldingDate(date):
    """A date whose hash lets another thread run (as a busy machine may at any instruction): threads then
    interleave inside the Engine's cache look-ups and evictions in every run, not once in a hundred."""

    def __hash__(self) -> int:
        time.sleep(0)
        return date.__hash__(self)

    __eq__ = date.__eq__


DATES = [YieldingDate.fromordinal(date(2020, 1, 1).toordinal() + 11 * k) for k in range(200)]


@pytest.fixture(scope="module")
def register() -> pd.DataFrame:
    return pd.read_csv(ROOT / "examples" / "register.csv", dtype=str, nrows=30, keep_default_na=False).replace("", None)


@pytest.fixture(scope="module")
def profiles(register: pd.DataFrame) -> list[el.Profile]:
    out = []
    for record in register.to_dict("records"):
        try:
            out.append(el.Profile.from_data(row_to_profile(record)))
        except ProfileError:
            continue
    assert len(out) >= 12
    return out


def _tasks(profiles: list[el.Profile], register: pd.DataFrame) -> list[tuple[str, Callable[[el.Engine], Any]]]:
    """Every date's decisions for every profile, one evaluation per date and a score every twentieth date."""
    tasks: list[tuple[str, Callable[[el.Engine], Any]]] = []
    for k, day in enumerate(DATES):
        tasks.append((f"decider {day}", lambda e, day=day: [e.decider(day)(p) for p in profiles]))
        p = profiles[k % len(profiles)]
        tasks.append((f"evaluate {day}", lambda e, day=day, p=p: [
            (r.rule_id, r.status, r.amount, r.explain("en")) for r in e.evaluate(p, day).results]))
        if k % 20 == 0:
            tasks.append((f"score {day}", lambda e, day=day: e.score(register, day).to_dict("records")))
    return tasks


def test_threads_sharing_one_engine_give_the_sequential_answers(
        profiles: list[el.Profile], register: pd.DataFrame) -> None:
    rules = el.load_rules()
    tasks = _tasks(profiles, register)
    sequential = el.Engine(rules)
    expected = {name: run(sequential) for name, run in tasks}

    shared = el.Engine(rules)
    got: dict[str, Any] = {}
    errors: list[tuple[str, BaseException]] = []  # a thread's failure, reported by the test
    start = threading.Barrier(THREADS)

    def worker(i: int) -> None:
        start.wait()
        # two threads take each task, from opposite ends: they ask for the same dates and for different ones
        mine = tasks[i % (THREADS // 2)::THREADS // 2]
        for name, run in (mine if i < THREADS // 2 else mine[::-1]):
            try:
                result = run(shared)
            except BaseException as exc:  # noqa: BLE001 - reported below with the task that raised
                errors.append((name, exc))
                return
            if result != expected[name]:
                errors.append((name, AssertionError(f"thread {i} differs from the sequential run")))
            got[name] = result

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    assert got == expected
