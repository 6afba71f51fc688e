"""The Engine's bounded cache: one build per key however many threads ask at once, and at most its size."""

from __future__ import annotations

import threading
import time

from eligibility._cache import BoundedCache


def test_a_key_asked_by_many_threads_at_once_is_built_once() -> None:
    builds: list[int] = []

    def build(key: int) -> str:
        builds.append(key)
        time.sleep(0.01)  # long enough for every other thread to ask meanwhile
        return f"v{key}"

    cache: BoundedCache[int, str] = BoundedCache(build, 4)
    got: list[str] = []
    start = threading.Barrier(8)

    def ask() -> None:
        start.wait()
        got.append(cache(7))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == ["v7"] * 8
    assert builds == [7]


def test_the_oldest_entry_goes_when_full() -> None:
    builds: list[int] = []
    cache: BoundedCache[int, int] = BoundedCache(lambda k: builds.append(k) or k * 10, 3)
    assert [cache(k) for k in (1, 2, 3, 1, 4)] == [10, 20, 30, 10, 40]
    assert len(cache) == 3
    assert cache(2) == 20 and cache(1) == 10  # 2 still kept; 1 went when 4 came, so it is built again
    assert builds == [1, 2, 3, 4, 1]
