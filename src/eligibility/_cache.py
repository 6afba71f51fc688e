"""A small bounded cache safe under threads: what an Engine keeps per as_of (compiled code, prepared rules).

A hit is one dictionary read without a lock (the hot path of ``Engine.decide``); a miss builds
under the cache's lock, so one key is built once even when many threads ask for it at once, and
the oldest entry is evicted under the same lock (never while another thread iterates).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """At most ``size`` values by key, built on first use by ``build(key)``; the oldest goes first."""

    __slots__ = ("_build", "_size", "_items", "_lock")

    def __init__(self, build: Callable[[K], V], size: int) -> None:
        self._build = build
        self._size = size
        self._items: dict[K, V] = {}
        self._lock = threading.Lock()

    def __call__(self, key: K) -> V:
        hit = self._items.get(key)
        if hit is not None:
            return hit
        with self._lock:
            hit = self._items.get(key)
            if hit is None:
                hit = self._build(key)
                while len(self._items) >= self._size:
                    del self._items[next(iter(self._items))]
                self._items[key] = hit
            return hit

    def __len__(self) -> int:
        return len(self._items)
