"""The Watcher: profile updates in, eligibility events out (政策找企业), on a chosen backend.

The backend keeps firms' facts and answers their decisions; the Watcher keeps each firm's last
decisions and diffs them into events with one transition table (:mod:`.events`), so every
backend gives the same event stream. One writer at a time: a Watcher is not thread-safe.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from types import TracebackType
from typing import Any

from ..backends.interpreter.compiled import Decision
from ..engine import Engine, _as_date
from ..errors import EligibilityError, ProfileError
from ..facts.codes.uscc import normalise_uscc
from ..facts.profile import Profile
from ..model.rule import RuleSet
from .base import make_backend
from .events import Change, Event, EventKind, changes

Callback = Callable[[Event], Any]


def _kind(kind: EventKind | str | None) -> EventKind | None:
    if kind is None or isinstance(kind, EventKind):
        return kind
    try:
        return EventKind(kind)
    except ValueError:
        names = ", ".join(k.value for k in EventKind)
        raise EligibilityError(f"未知的事件类型 {kind!r}；可选：{names}",
                               f"unknown event kind {kind!r}; choose one of: {names}", kind=kind) from None


class EventStream:
    """Events queued since the stream was opened (``Watcher.events()``); iterating drains them.

    Iteration stops when the queue is empty; iterate again after further changes. ``close()``
    stops the queueing.
    """

    def __init__(self, watcher: Watcher, kind: EventKind | None) -> None:
        self._watcher, self.kind = watcher, kind
        self._queue: deque[Event] = deque()

    def __iter__(self) -> Iterator[Event]:
        queue = self._queue
        while queue:
            yield queue.popleft()

    def __len__(self) -> int:
        return len(self._queue)

    def put(self, event: Event) -> None:
        if self.kind is None or event.kind is self.kind:
            self._queue.append(event)

    def close(self) -> None:
        """Stop queueing events to this stream (those pending can still be read)."""
        self._watcher._unsubscribe(self.put)


class Watcher:
    """Watches firms and reports what each change makes them newly eligible for, or lose.

    >>> w = Watcher(el.load_rules(), as_of="2024-06-30")                 # doctest: +SKIP
    >>> for ev in w.upsert({"uscc": "91530802MA6K0UPC6Y", ...}):         # doctest: +SKIP
    ...     print(ev.kind, ev.rule_id, ev.explanation)

    ``rules``: a RuleSet or an Engine (None: the bundled packs). ``backend``: "python" (default,
    incremental, in this process) or "durable" (durable_rules). Events come back from each call,
    go to callbacks registered with :meth:`on`, and queue on streams opened with :meth:`events`.
    """

    def __init__(self, rules: RuleSet | Engine | None = None, as_of: date | str | None = None,
                 backend: str = "python") -> None:
        self.engine = rules if isinstance(rules, Engine) else Engine(rules)
        self._as_of = _as_date(as_of)
        self.backend = backend
        self._backend = make_backend(backend, self.engine, self._as_of)
        self._order = {r.id: i for i, r in enumerate(self.engine.rules.rules)}
        self._firms: dict[str, tuple[Profile, list[Decision]]] = {}
        self._listeners: list[tuple[EventKind | None, Callback]] = []

    @property
    def as_of(self) -> date:
        """The date the firms are decided at (moved with :meth:`advance_to`)."""
        return self._as_of

    def __len__(self) -> int:
        return len(self._firms)

    def __contains__(self, uscc: object) -> bool:
        return isinstance(uscc, str) and self._key(uscc) in self._firms

    def _key(self, uscc: object) -> str:
        """The watch key of a code as typed: normalised as a profile's USCC is (full-width, case, spaces)."""
        return uscc if isinstance(uscc, str) and uscc in self._firms else normalise_uscc(str(uscc))

    def decisions(self, uscc: str) -> list[Decision]:
        """The firm's current decisions (rules in scope, after groups), as ``Engine.decide`` gives them."""
        return list(self._firm(uscc)[1])

    def profile(self, uscc: str) -> Profile:
        """The firm's current profile."""
        return self._firm(uscc)[0]

    def _firm(self, uscc: str) -> tuple[Profile, list[Decision]]:
        found = self._firms.get(self._key(uscc))
        if found is None:
            raise EligibilityError(f"未监测该企业：{uscc}", f"no such firm in the watch: {uscc}", uscc=uscc)
        return found

    # -- changes -------------------------------------------------------------------------------
    def upsert(self, profile: Profile | dict[str, Any]) -> list[Event]:
        """Add or replace a firm (keyed by its USCC); the events the change causes."""
        p = profile if type(profile) is Profile else Profile.from_data(profile)
        uscc = p.uscc
        if uscc is None:
            raise ProfileError("企业画像缺少统一社会信用代码（uscc）：监测按它识别企业",
                               "the profile has no unified social credit code (uscc): the watch keys firms by it",
                               field="uscc", fields=["uscc"])
        decisions = self._backend.put(uscc, p)
        prev = self._firms.get(uscc)
        self._firms[uscc] = (p, decisions)
        if prev is None:
            found = changes([], decisions, self._order)
        elif prev[1] is decisions:
            return []
        else:
            found = changes(prev[1], decisions, self._order)
        return self._emit(found, uscc, p) if found else []

    def upsert_many(self, profiles: Iterable[Profile | dict[str, Any]]) -> list[Event]:
        """Upsert each profile in turn; all the events, in order."""
        events: list[Event] = []
        for p in profiles:
            found = self.upsert(p)
            if found:
                events += found
        return events

    def remove(self, uscc: str) -> list[Event]:
        """Stop watching a firm: each rule it was eligible for ends (no_longer_eligible). A firm not
        watched is no error (removals may arrive twice); it gives no events."""
        code = self._key(uscc)
        prev = self._firms.pop(code, None)
        if prev is None:
            return []
        self._backend.remove(code)
        found = changes(prev[1], [], self._order)
        return self._emit(found, code, None) if found else []

    def advance_to(self, day: date | str) -> list[Event]:
        """Move as_of (forward or back) and report what the new date changes: measures entering or
        leaving force, dated thresholds, "within 12 months", instalments due by year."""
        day = _as_date(day)
        events: list[Event] = []
        self._as_of = day
        for uscc, decisions in self._backend.advance_to(day):
            profile, before = self._firms[uscc]
            self._firms[uscc] = (profile, decisions)
            found = changes(before, decisions, self._order)
            if found:
                events += self._emit(found, uscc, profile)
        return events

    def _emit(self, found: list[tuple[EventKind, Decision | None, Decision | None]], uscc: str,
              profile: Profile | None) -> list[Event]:
        change = Change(self.engine, uscc, profile, self._as_of)
        events = [Event(kind, before, after, change) for kind, before, after in found]
        for kind, fn in self._listeners:
            for ev in events:
                if kind is None or ev.kind is kind:
                    fn(ev)
        return events

    # -- delivery ------------------------------------------------------------------------------
    def on(self, kind: EventKind | str | None, fn: Callback) -> Callback:
        """Call ``fn(event)`` for each event of ``kind`` (None: every event), right after the change
        that causes it. Returns ``fn``. An exception from ``fn`` propagates to the caller of the
        change; the watcher's state already includes the change."""
        self._listeners.append((_kind(kind), fn))
        return fn

    def off(self, fn: Callback) -> None:
        """Stop calling ``fn``."""
        self._unsubscribe(fn)

    def _unsubscribe(self, fn: Callback) -> None:
        self._listeners = [(k, f) for k, f in self._listeners if f != fn]

    def events(self, kind: EventKind | str | None = None) -> EventStream:
        """A stream queueing every event (of ``kind``) from now on; ``for ev in stream`` drains it."""
        stream = EventStream(self, _kind(kind))
        self._listeners.append((None, stream.put))
        return stream

    def close(self) -> None:
        """Release the backend; the watcher cannot be used afterwards."""
        self._backend.close()
        self._firms.clear()

    def __enter__(self) -> Watcher:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
