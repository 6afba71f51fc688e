"""The rule set a service answers with, swapped atomically on reload (a request keeps the engine it
started with, so in-flight requests finish on the old rules), and older rule sets from the archive."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from ..engine import Engine
from ..io.archive import archive_rules, load_archived
from ..io.rules import load_rules

T = TypeVar("T")

ENGINE_LOCK = threading.Lock()
"""Serialises engine calls: the Engine keeps module-global memos that are not yet thread-safe. Every
engine call of the service goes through :func:`engine_call`; once the Engine is thread-safe, this lock
is the one thing to remove."""


def engine_call(fn: Callable[[], T]) -> T:
    """Run one engine call under :data:`ENGINE_LOCK`."""
    with ENGINE_LOCK:
        return fn()


class RuleSets:
    """The current engine, and up to ``keep`` engines of archived rule sets asked for by hash."""

    def __init__(self, paths: list[str], archive: Path, keep: int = 4) -> None:
        self.paths = list(paths)
        self.archive = archive
        self.keep = keep
        self._older: OrderedDict[str, Engine] = OrderedDict()
        self._reloading = threading.Lock()
        self._older_lock = threading.Lock()
        self.current = self._load()

    def _load(self) -> Engine:
        ruleset = load_rules(*self.paths, tests=False)
        archive_rules(self.paths, ruleset, self.archive)
        engine = Engine(ruleset)
        engine_call(lambda: engine.decider(None))  # compile now, not on the first request
        return engine

    def reload(self) -> tuple[str, str]:
        """Load the rule files again and make them current; (old hash, new hash). A failure (a bad
        rule file) raises and leaves the current rule set answering."""
        with self._reloading:
            old = self.current
            new = self._load()
            self.current = new
            if new.rules.hash != old.rules.hash:
                self._remember(old)
            return old.rules.hash, new.rules.hash

    def _remember(self, engine: Engine) -> None:
        with self._older_lock:
            self._older[engine.rules.hash] = engine
            self._older.move_to_end(engine.rules.hash)
            while len(self._older) > self.keep:
                self._older.popitem(last=False)

    def get(self, ruleset_hash: str | None) -> Engine:
        """The engine for a hash (None: the current one); an older rule set is loaded from the archive
        (raising :class:`~eligibility.io.archive.RuleSetNotArchivedError` when it is not there)."""
        current = self.current
        if ruleset_hash is None or ruleset_hash == current.rules.hash:
            return current
        with self._older_lock:
            hit = self._older.get(ruleset_hash)
        if hit is None:
            hit = Engine(load_archived(ruleset_hash, self.archive))
            self._remember(hit)
        return hit
