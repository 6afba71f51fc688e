"""The Watcher: profile updates in, eligibility events out (政策找企业), on a chosen backend.

The backend keeps firms' facts and answers their decisions; the Watcher keeps each firm's last
decisions and diffs them into events with one transition table (:mod:`.events`), so every
backend gives the same event stream. One writer at a time: a Watcher is not thread-safe.

With a store (``Watcher(..., store="watch.sqlite")``) every change — an upsert, a batch of them, a
removal, a new date — is one transaction of the store: the firms' facts, their decisions and the
events it causes are written together or not at all, and the events are logged with a sequence
number that consumers read from (:meth:`Watcher.log`) and acknowledge (:meth:`Watcher.ack`).
Listeners and streams hear of a change only after it is committed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from json import dumps
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ..results import Decision
from ..engine import Engine, _as_date
from ..errors import EligibilityError, ProfileError
from ..facts.codes.uscc import normalise_uscc
from ..facts.profile import Profile
from ..model.rule import RuleSet
from ..results import Status
from ..store import Commit, LoggedEvent, Store, open_store
from ..store.base import PROFILE, StoredRow, StoredState
from .base import make_backend
from .batch_events import BatchEvents
from .columnar import Places, Ref, Rows, arrivals, as_arrays, decide_frame, same_rows, stored_profile, transitions
from .events import Change, Event, EventKind, Found, changes

Entry = tuple[Profile, list[Decision]] | Ref
"""A firm's state: its profile and decisions, or its row of a columnar batch."""

Held = tuple[Profile, list[Decision]] | int
"""What the watch keeps per firm: its profile and decisions, or its slot in :class:`Places` (its row
of a columnar batch)."""

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


def _decisions_data(decisions: list[Decision]) -> list[list[Any]]:
    """Decisions as JSON data for the store (amounts as text: exact)."""
    return [[d.rule_id, d.status.value, None if d.amount is None else str(d.amount), d.superseded_by,
             d.received if d.received is None or isinstance(d.received, bool) else str(d.received),
             None if d.topped_up is None else str(d.topped_up)]
            for d in decisions]


def _decisions_of(data: list[list[Any]]) -> list[Decision]:
    return [Decision(rule_id, Status(status), None if amount is None else Decimal(amount), superseded_by,
                     received if received is None or isinstance(received, bool) else Decimal(received),
                     None if topped_up is None else Decimal(topped_up))
            for rule_id, status, amount, superseded_by, received, topped_up in data]


def _decisions_in(entry: Entry) -> list[Decision]:
    return entry.decisions() if type(entry) is Ref else entry[1]  # type: ignore[union-attr,index]


Chunks = dict[int, tuple[Rows, list[Any], list[int]]]


def _gather(chunks: Chunks, entry: Ref, key: Any) -> None:
    """Note ``key`` (a firm, or a row of the batch at hand) under the columnar chunk holding
    ``entry``, beside the entry's row in that chunk: chunks are then decided or read together."""
    at = chunks.get(id(entry.rows))
    if at is None:
        at = chunks[id(entry.rows)] = (entry.rows, [], [])
    at[1].append(key)
    at[2].append(entry.i)


def _json(data: Any) -> str:
    return dumps(data, ensure_ascii=False, separators=(",", ":"))


def _stored(firms: dict[str, Entry]) -> list[pa.Table]:
    """The firms as store segments: those held as profiles in one (their JSON data), those held as
    rows of a columnar batch one per chunk, column-wise (:meth:`Rows.segment`)."""
    usccs, profiles, decisions = [], [], []
    chunks: Chunks = {}
    for uscc, entry in firms.items():
        if type(entry) is Ref:
            _gather(chunks, entry, uscc)
        else:
            profile, held = entry  # type: ignore[misc]
            usccs.append(uscc)
            profiles.append(_json(profile.model_dump(mode="json", exclude_unset=True)))
            decisions.append(_json(_decisions_data(held)))
    out = [rows.segment(idx, keys) for rows, keys, idx in chunks.values()]
    if usccs:
        out.insert(0, pa.table({"uscc": pa.array(usccs, pa.string()), "kind": pa.array([PROFILE] * len(usccs), pa.int8()),
                                "profile": pa.array(profiles, pa.string()), "decisions": pa.array(decisions, pa.string())}))
    return out


def _money_text(values: list[Decimal | None]) -> pa.Array:
    return pa.array([None if v is None else str(v) for v in values], pa.string())


def _events_table(events: list[Event]) -> pa.Table:
    """The events as the store logs them (:data:`~eligibility.store.base.EVENT_COLUMNS`)."""
    return pa.table({
        "entity_id": pa.array([ev.entity_id for ev in events], pa.string()),
        "rule_id": pa.array([ev.rule_id for ev in events], pa.string()),
        "kind": pa.array([ev.kind.value for ev in events], pa.string()),
        "old_status": pa.array([None if ev.status_before is None else ev.status_before.value for ev in events], pa.string()),
        "new_status": pa.array([None if ev.status_after is None else ev.status_after.value for ev in events], pa.string()),
        "old_amount": _money_text([ev.amount_before for ev in events]),
        "new_amount": _money_text([ev.amount_after for ev in events]),
    })


@dataclass(slots=True)
class _Batch:
    """What one change does before it is committed: firms written, removed, and the events found
    (with the firm's profile, or a function giving it)."""

    firms: dict[str, Entry] = field(default_factory=dict)
    rows: list[tuple[Rows, list[int], list[str]]] = field(default_factory=list)  # a frame's rows, as a whole
    removed: list[str] = field(default_factory=list)
    found: list[tuple[str, Any, list[Found] | list[Event]]] = field(default_factory=list)
    events: BatchEvents | None = None  # a columnar batch's events, as arrays (then nothing is in found)


def _found(cells: tuple[np.ndarray, np.ndarray], old: tuple[np.ndarray, np.ndarray, np.ndarray], after: Rows,
           engine: Engine, as_of: date, batch: _Batch) -> None:
    """The events of rows decided again into ``batch``, firm by firm (see :class:`BatchEvents`).
    ``old``: the previous status, amount and has-amount of every cell."""
    found = BatchEvents.find(cells, old, after, engine, as_of)
    batch.found.extend((uscc, None, events) for uscc, events in found.by_firm())


class Watcher:
    """Watches firms and reports what each change makes them newly eligible for, or lose.

    >>> w = Watcher(el.load_rules(), as_of="2024-06-30")                 # doctest: +SKIP
    >>> for ev in w.upsert({"uscc": "91530802MA6K0UPC6Y", ...}):         # doctest: +SKIP
    ...     print(ev.kind, ev.rule_id, ev.explanation)

    ``rules``: a RuleSet or an Engine (None: the bundled packs). ``backend``: "python" (default,
    incremental, in this process) or "durable" (durable_rules). Events come back from each call,
    go to callbacks registered with :meth:`on`, and queue on streams opened with :meth:`events`.

    ``store``: a path (an SQLite file, created when absent) or a :class:`~eligibility.store.Store`
    keeping the watch across restarts. Re-opened, the watch resumes where the store left it: its
    firms, their last decisions and its date (``as_of`` is the date of a new store only; move a
    store's date with :meth:`advance_to`, which logs what that changes once). Decisions that the current
    rules give differently from the stored ones (the rules were corrected) are logged as events
    when the store is opened. ``retention_days``: logged events older than this are deleted when
    the store is opened and on :meth:`prune`.
    """

    def __init__(self, rules: RuleSet | Engine | None = None, as_of: date | str | None = None,
                 backend: str = "python", *, store: str | Path | Store | None = None,
                 retention_days: int | None = None) -> None:
        self.engine = rules if isinstance(rules, Engine) else Engine(rules)
        self._store = None if store is None else open_store(store)
        self._retention = None if retention_days is None else timedelta(days=retention_days)
        stored = self._store.load() if self._store is not None else None
        self._as_of = stored.as_of if stored is not None and stored.as_of is not None else _as_date(as_of)
        self._checkpoint = stored.checkpoint if stored is not None else None
        self.backend = backend
        self._backend = make_backend(backend, self.engine, self._as_of)
        self._order = {r.id: i for i, r in enumerate(self.engine.rules.rules)}
        self._firms: dict[str, Held] = {}
        self._places = Places()  # where the firms held as rows are
        self._vectorized: Any = None  # the vectorized rules, built at the first columnar batch
        self._listeners: list[tuple[EventKind | None, Callback]] = []
        if stored is not None:
            self._resume(stored)
            if self._retention is not None:
                self.prune()

    def _resume(self, stored: StoredState) -> None:
        """Rebuild the watch from the stored firms (rows of columnar batches as chunks again, profiles
        through the backend); log what the current rules decide differently."""
        batch = _Batch()
        rule_ids = [r.id for r in self.engine.rules.rules]
        parts: dict[int, tuple[list[str], list[int]]] = {}
        for uscc, entry in stored.firms.items():
            if type(entry) is StoredRow:
                keys, idx = parts.setdefault(entry.segment, ([], []))
                keys.append(uscc)
                idx.append(entry.row)
        places: dict[str, int] = {}
        for k, (keys, idx) in parts.items():
            rows = Rows.of_segment(stored.segments[k], idx, keys, rule_ids)
            rows.live = len(keys)
            slots = self._places.allocate(len(keys))
            self._places.put(slots, self._places.add(rows))
            places.update(zip(keys, slots.tolist()))
        for uscc, entry in stored.firms.items():
            if type(entry) is StoredRow:
                self._firms[uscc] = places[uscc]
                continue
            data, decisions = entry  # type: ignore[misc]
            profile = stored_profile(data)
            before = _decisions_of(decisions)
            now = self._backend.put(uscc, profile)
            self._firms[uscc] = (profile, before)
            if now != before:
                self._firms[uscc] = batch.firms[uscc] = (profile, now)
                found = changes(before, now, self._order)
                if found:
                    batch.found.append((uscc, profile, found))
        if parts and stored.rule_set != self.engine.rules.hash:  # the rules changed: decide the rows again
            self._redecide_rows(self._as_of, batch)
            place = {uscc: k for k, uscc in enumerate(self._firms)}
            batch.found.sort(key=lambda f: place[f[0]])
        if batch.firms:
            self._finish(batch, None)

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
        return list(_decisions_in(self._firm(uscc)))

    def profile(self, uscc: str) -> Profile:
        """The firm's current profile."""
        entry = self._firm(uscc)
        return entry.profile() if type(entry) is Ref else entry[0]  # type: ignore[union-attr,index]

    def _firm(self, uscc: str) -> Entry:
        found = self._held(self._key(uscc))
        if found is None:
            raise EligibilityError(f"未监测该企业：{uscc}", f"no such firm in the watch: {uscc}", uscc=uscc)
        return found

    def _held(self, key: str) -> Entry | None:
        """The state of the firm watched under ``key`` (None: not watched)."""
        held = self._firms.get(key)
        return self._places.ref(held) if type(held) is int else held  # type: ignore[return-value]

    # -- changes -------------------------------------------------------------------------------
    def upsert(self, profile: Profile | dict[str, Any], *, checkpoint: str | None = None) -> Sequence[Event]:
        """Add or replace a firm (keyed by its USCC); the events the change causes."""
        batch = _Batch()
        self._put(profile, batch)
        return self._finish(batch, checkpoint)

    def upsert_many(self, profiles: Iterable[Profile | dict[str, Any]] | pd.DataFrame, *,
                    checkpoint: str | None = None) -> Sequence[Event]:
        """Upsert each profile in turn, as one change (one transaction of the store); all the events,
        in order. ``checkpoint`` names the batch (e.g. the change file) in the store: see
        :attr:`checkpoint`.

        ``profiles`` may be a DataFrame of flat profiles (one row per firm, as ``el.to_frame`` and
        the register readers give them): its rows are decided together by the vectorized backend
        and diffed column-wise, with the same events in the same order as upserting the rows one by
        one (a firm in two rows: each row in turn, the last one stays). A row that cannot be read is
        refused with its number, and nothing of the frame is applied. A frame's events come back as a
        :class:`BatchEvents` sequence: counted from arrays, their ``Event`` objects made when read."""
        if isinstance(profiles, pd.DataFrame):
            return self._upsert_frame(profiles, checkpoint)
        batch = _Batch()
        for p in profiles:
            self._put(p, batch)
        return self._finish(batch, checkpoint)

    def _vector(self) -> Any:
        if self._vectorized is None:
            from ..backends.vectorized import VectorizedRules

            self._vectorized = VectorizedRules(self.engine.rules)
        return self._vectorized

    def _upsert_frame(self, frame: pd.DataFrame, checkpoint: str | None) -> Sequence[Event]:
        """The columnar batch: decide every row at once, diff against each firm's previous decisions
        (its previous row in the frame, else what the watch holds) as whole arrays."""
        rows = decide_frame(self._vector(), self.engine.rules, frame.reset_index(drop=True), self._as_of)
        n, width = rows.status.shape
        places, ids = self._places, rows.ids
        slot, profiles = self._slots(ids)
        was_chunk, was_row = places.chunk[slot], places.row[slot]  # where each row's firm was (-1: not a row)
        k = places.add(rows)
        seq = np.arange(n, dtype=np.int32)
        places.row[slot] = seq
        again = before = np.zeros(0, np.int64)  # rows of a firm met earlier in the frame, and that earlier row
        lost = np.flatnonzero(places.row[slot] != seq)  # a firm in two rows: one of them kept the place
        if len(lost):
            twice = np.union1d(lost, places.row[slot[lost]])  # every row of a firm met twice, in order
            order = twice[np.argsort(slot[twice], kind="stable")]
            same = np.flatnonzero(slot[order][1:] == slot[order][:-1]) + 1
            again, before = order[same], order[same - 1]
            last = np.setdiff1d(twice, before)  # the row that stays
            places.row[slot[last]] = last
            was_chunk[again] = -1
            for i in again.tolist():
                profiles.pop(i, None)
        places.chunk[slot] = k
        rows.live = n - len(again)
        if not rows.live:  # an empty frame
            del places.chunks[k]
        groups = self._groups(was_chunk, was_row)
        old: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        if len(groups) == 1 and len(groups[0][1]) + len(again) == n:  # every firm was a row of one chunk
            c, here, there = groups[0]
            if len(again):  # a firm's later row reads its earlier one (set below)
                there = np.zeros(n, np.int64)
                there[here] = groups[0][2]
            chunk = places.chunks[c]
            old = (chunk.status[there], chunk.amount[there], chunk.has_amount[there])
        elif len(again) or groups or profiles:
            old = (np.full((n, width), -1, np.int8), np.zeros((n, width), np.int64), np.zeros((n, width), bool))
            for c, here, there in groups:
                chunk = places.chunks[c]
                old[0][here], old[1][here], old[2][here] = (chunk.status[there], chunk.amount[there],
                                                             chunk.has_amount[there])
            for i, decisions in profiles.items():
                old[0][i], old[1][i], old[2][i] = as_arrays(decisions, self._order, width)
        if old is not None and len(again):
            old[0][again], old[1][again], old[2][again] = rows.status[before], rows.amount[before], rows.has_amount[before]
        found = arrivals(rows.status) if old is None else transitions(*old, rows.status, rows.amount, rows.has_amount)
        batch = _Batch()
        batch.events = BatchEvents.find(found, old, rows, self.engine, self._as_of)
        for i in profiles:  # the backend holds the firms it decided; these are the frame's now
            self._backend.remove(ids[i])
        if self._store is not None:
            # the whole frame, as it is (no copy): where a firm has two rows the store's replay keeps
            # the last, in the place of the first, as ``firms`` does
            batch.rows.append((rows, list(range(n)), ids))
        for c, here, _ in groups:  # once the whole batch is placed: a chunk it emptied is only dropped
            places.chunks[c].live -= len(here)
            self._compact(c)
        return self._finish(batch, checkpoint)

    def _slots(self, ids: list[str]) -> tuple[np.ndarray, dict[int, list[Decision]]]:
        """Each row's firm's slot in the places; a firm new to the watch, or held as a profile, is given
        one (new firms join the watch in the order of their first row). Also the decisions held for
        the rows whose firm was held as a profile."""
        firms, places, n = self._firms, self._places, len(ids)
        held = list(map(firms.get, ids))
        if held.count(None) == n and len(dict.fromkeys(ids)) == n:  # every firm new (a first load)
            slot = places.allocate(n)
            firms.update(zip(ids, slot.tolist()))
            return slot, {}
        kinds = list(map(type, held))
        if kinds.count(int) == n:  # every firm held as a row (a usual batch)
            return np.array(held, np.int64), {}
        slot = np.array([e if t is int else -1 for e, t in zip(held, kinds)], np.int64)
        need = np.flatnonzero(slot < 0).tolist()
        profiles = {i: held[i][1] for i in need if kinds[i] is tuple}  # type: ignore[index]
        names = dict.fromkeys([ids[i] for i in need])
        given = dict(zip(names, places.allocate(len(names)).tolist()))
        slot[need] = [given[ids[i]] for i in need]
        firms.update(given)
        return slot, profiles

    @staticmethod
    def _groups(chunk: np.ndarray, row: np.ndarray) -> list[tuple[int, np.ndarray, np.ndarray]]:
        """Positions whose firm is a row of a chunk (``chunk`` ≥ 0), by chunk: its number, the
        positions (in order) and their rows in it."""
        here = np.flatnonzero(chunk >= 0)
        if not len(here):
            return []
        keys = chunk[here]
        if keys.min() == keys.max():  # a batch's firms are often all in one chunk
            return [(int(keys[0]), here, row[here])]
        order = np.argsort(keys, kind="stable")
        here, keys = here[order], keys[order]
        cut = (np.flatnonzero(keys[1:] != keys[:-1]) + 1).tolist()
        return [(int(keys[a]), here[a:b], row[here[a:b]]) for a, b in zip([0, *cut], [*cut, len(here)])]

    def _release(self, slot: int) -> None:
        """A firm left its row of a columnar batch (see :meth:`_compact`)."""
        places = self._places
        k = int(places.chunk[slot])
        places.free(slot)
        places.chunks[k].live -= 1
        self._compact(k)

    def _compact(self, k: int) -> None:
        """Once fewer than a quarter of chunk ``k``'s rows are current, the current ones move to a chunk
        of their own, so replaced rows do not pile up (a chunk with none left is simply dropped)."""
        places = self._places
        chunk = places.chunks[k]
        if chunk.live * 4 >= len(chunk.ids):
            return
        del places.chunks[k]
        if chunk.live == 0:
            return
        slot = np.array([e if type(e) is int else -1 for e in map(self._firms.get, chunk.ids)], np.int64)
        mine = np.flatnonzero(slot >= 0)
        mine = mine[(places.chunk[slot[mine]] == k) & (places.row[slot[mine]] == mine)]
        new = chunk.take(mine, [chunk.ids[i] for i in mine.tolist()])
        new.live = len(mine)
        places.put(slot[mine], places.add(new))

    def _put(self, profile: Profile | dict[str, Any], batch: _Batch) -> None:
        p = profile if type(profile) is Profile else Profile.from_data(profile)
        uscc = p.uscc
        if uscc is None:
            raise ProfileError("企业画像缺少统一社会信用代码（uscc）：监测按它识别企业",
                               "the profile has no unified social credit code (uscc): the watch keys firms by it",
                               field="uscc", fields=["uscc"])
        decisions = self._backend.put(uscc, p)
        prev = self._firms.get(uscc)
        self._firms[uscc] = (p, decisions)
        if self._store is not None:
            batch.firms[uscc] = (p, decisions)
        if prev is None:
            found = changes([], decisions, self._order)
        elif type(prev) is int:
            found = changes(self._places.ref(prev).decisions(), decisions, self._order)
            self._release(prev)
        elif prev[1] is decisions:
            return
        else:
            found = changes(prev[1], decisions, self._order)
        if found:
            batch.found.append((uscc, p, found))

    def remove(self, uscc: str, *, checkpoint: str | None = None) -> Sequence[Event]:
        """Stop watching a firm: each rule it was eligible for ends (no_longer_eligible). A firm not
        watched is no error (removals may arrive twice); it gives no events."""
        return self.remove_many([uscc], checkpoint=checkpoint)

    def remove_many(self, usccs: Iterable[str], *, checkpoint: str | None = None) -> Sequence[Event]:
        """Stop watching these firms, as one change; the events, in order."""
        batch = _Batch()
        for uscc in usccs:
            code = self._key(uscc)
            prev = self._firms.pop(code, None)
            if prev is None:
                continue
            self._backend.remove(code)
            batch.removed.append(code)
            if type(prev) is int:
                found = changes(self._places.ref(prev).decisions(), [], self._order)
                self._release(prev)
            else:
                found = changes(prev[1], [], self._order)  # type: ignore[index]
            if found:
                batch.found.append((code, None, found))
        return self._finish(batch, checkpoint)

    def advance_to(self, day: date | str, *, checkpoint: str | None = None) -> Sequence[Event]:
        """Move as_of (forward or back) and report what the new date changes: measures entering or
        leaving force, dated thresholds, "within 12 months", instalments due by year."""
        day = _as_date(day)
        batch = _Batch()
        self._as_of = day
        for uscc, decisions in self._backend.advance_to(day):
            profile, before = self._firms[uscc]  # type: ignore[misc]
            self._firms[uscc] = (profile, decisions)
            if self._store is not None:
                batch.firms[uscc] = (profile, decisions)
            found = changes(before, decisions, self._order)
            if found:
                batch.found.append((uscc, profile, found))
        self._redecide_rows(day, batch)
        if batch.found:  # in the watch's order of firms, whichever path decided them
            place = {uscc: k for k, uscc in enumerate(self._firms)}
            batch.found.sort(key=lambda f: place[f[0]])
        return self._finish(batch, checkpoint, dated=True)

    def _redecide_rows(self, day: date, batch: _Batch) -> None:
        """The firms held as rows of columnar batches, decided again at ``day`` chunk by chunk (their
        live rows only: the new chunk leaves the replaced rows behind)."""
        places = self._places
        held = [(uscc, entry) for uscc, entry in self._firms.items() if type(entry) is int]
        slot = np.fromiter((entry for _, entry in held), np.int64, len(held))
        for k, at, mine in self._groups(places.chunk[slot], places.row[slot]):
            old = places.chunks.pop(k)
            usccs = [held[i][0] for i in at.tolist()]
            new = decide_frame(self._vector(), self.engine.rules, old.frame.iloc[mine].reset_index(drop=True), day,
                               ids=usccs)
            cells = transitions(old.status[mine], old.amount[mine], old.has_amount[mine], new.status, new.amount,
                                new.has_amount)
            _found(cells, (old.status[mine], old.amount[mine], old.has_amount[mine]), new, self.engine, day, batch)
            places.put(slot[at], places.add(new))
            new.live = len(usccs)
            if self._store is not None:
                changed = np.flatnonzero(~same_rows(old, mine, new, np.arange(len(mine)))).tolist()
                batch.firms.update((usccs[i], Ref(new, i)) for i in changed)

    def forget(self, uscc: str) -> bool:
        """Delete a firm's facts, decisions and logged events (个人信息保护法: 个体工商户 are natural
        persons), without events; whether the firm was watched."""
        code = self._key(uscc)
        prev = self._firms.pop(code, None)
        held = prev is not None
        if type(prev) is int:
            self._release(prev)
        if held:
            self._backend.remove(code)
        if self._store is not None:
            self._store.forget([code])
        return held

    def _finish(self, batch: _Batch, checkpoint: str | None, dated: bool = False) -> Sequence[Event]:
        """Commit the batch to the store (when there is one), then tell the listeners."""
        made: list[Event] = []
        for uscc, profile, found in batch.found:
            if type(found[0]) is Event:  # rows decided again, built from their arrays
                made += found  # type: ignore[arg-type]
            else:
                change = Change(self.engine, uscc, profile, self._as_of)
                made += [Event(kind, before, after, change) for kind, before, after in found]  # type: ignore[misc]
        events: Sequence[Event] = made if batch.events is None else batch.events
        if self._store is not None and (batch.firms or batch.rows or batch.removed or events or checkpoint is not None
                                        or dated):
            parts = _stored(batch.firms) + [rows.segment(idx, ids) for rows, idx, ids in batch.rows]
            logged = (None if not events else events.table() if isinstance(events, BatchEvents)
                      else _events_table(events))
            seqs = self._store.commit(Commit(self._as_of, self.engine.rules.hash, parts, batch.removed, logged,
                                             checkpoint, len(self._firms)))
            if isinstance(events, BatchEvents):
                if seqs:
                    events.number(seqs[0])
            else:
                for ev, seq in zip(events, seqs):
                    ev.seq = seq
            if checkpoint is not None:
                self._checkpoint = checkpoint
        for kind, fn in self._listeners:
            for ev in events:
                if kind is None or ev.kind is kind:
                    fn(ev)
        return events

    # -- the durable log -------------------------------------------------------------------------
    @property
    def checkpoint(self) -> str | None:
        """The name of the last batch committed with one (``upsert_many(..., checkpoint=...)``): where
        a feed resumes after a restart. None without a store or before any."""
        return self._checkpoint

    def _durable(self) -> Store:
        if self._store is None:
            raise EligibilityError("此监测没有状态库：创建时请给出 store=路径",
                                   "this watch has no store: create it with store=PATH")
        return self._store

    def log(self, after: int = 0, limit: int | None = None) -> list[LoggedEvent]:
        """Logged events with a sequence number above ``after``, in order (at most ``limit``) — the
        durable log, unlike :meth:`events` which queues live events of this process only."""
        return self._durable().log(after, limit)

    def ack(self, consumer: str, seq: int) -> None:
        """Record that ``consumer`` has handled every logged event up to ``seq`` (kept in the store:
        after a restart, it resumes with ``log(after=acked(consumer))``, so nothing is handled twice)."""
        self._durable().ack(consumer, seq)

    def acked(self, consumer: str) -> int:
        """The last sequence number ``consumer`` acknowledged (0: none yet)."""
        return self._durable().acked(consumer)

    def prune(self, older_than_days: int | None = None) -> int:
        """Delete logged events older than ``older_than_days`` (default: the watch's retention); how many."""
        keep = timedelta(days=older_than_days) if older_than_days is not None else self._retention
        if keep is None:
            raise EligibilityError("未设定日志保留期：请给出天数", "no log retention set: give a number of days")
        return self._durable().prune(datetime.now(UTC) - keep)

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
        """Release the backend and the store; the watcher cannot be used afterwards."""
        self._backend.close()
        self._firms.clear()
        self._places.clear()
        if self._store is not None:
            self._store.close()

    def __enter__(self) -> Watcher:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
