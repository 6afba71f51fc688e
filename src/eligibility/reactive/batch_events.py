"""The events of a columnar batch kept as arrays; :class:`~.events.Event` objects made only when read.

A frame of 100,000 firms loaded into an empty watch finds some 270,000 events: building an object
for each (and a :class:`~.events.Change` per firm) cost more than deciding the firms. The batch
keeps, per event, its row, its rule and the old and new cells; the store logs them straight from
the arrays (:meth:`BatchEvents.table`), ``len()`` needs nothing more, and the objects are made the
first time the events are iterated or indexed — the same events, in the same order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import TYPE_CHECKING, overload

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .columnar import KINDS, STATUSES, Ref, Rows, money_of
from .events import Change, Event

if TYPE_CHECKING:
    from ..engine import Engine


def money_text(fen: np.ndarray, has: np.ndarray) -> pa.Array:
    """Amounts in fen as exact yuan text, as ``str(Decimal(fen).scaleb(-2))`` writes them ("-0.05",
    "1200.00"); null where there is none. Arrow writes them: each amount as a decimal of scale 2
    (its two 64-bit words: the fen, sign-extended), cast to text."""
    words = np.empty((len(fen), 2), "<i8")
    words[:, 0] = fen
    words[:, 1] = fen >> 63
    valid = pa.py_buffer(np.packbits(has, bitorder="little"))
    amounts = pa.Array.from_buffers(pa.decimal128(21, 2), len(fen), [valid, pa.py_buffer(words)],
                                    len(fen) - int(np.count_nonzero(has)))
    return pc.cast(amounts, pa.string())


class BatchEvents(Sequence[Event]):
    """The events of a columnar batch: cells (row, rule) of ``after`` with an event code, row by row
    and in the rule set's order within a row — as one-by-one upserts find them. ``old``: the
    previous status code (-1 absent), amount in fen and has-amount of each of those cells."""

    __slots__ = ("after", "engine", "as_of", "row", "rule", "code", "old_status", "old_amount", "old_has",
                 "first_seq", "_events")

    def __init__(self, after: Rows, engine: Engine, as_of: date, row: np.ndarray, rule: np.ndarray,
                 code: np.ndarray, old_status: np.ndarray, old_amount: np.ndarray, old_has: np.ndarray) -> None:
        self.after, self.engine, self.as_of = after, engine, as_of
        self.row, self.rule, self.code = row, rule, code
        self.old_status, self.old_amount, self.old_has = old_status, old_amount, old_has
        self.first_seq: int | None = None  # the first event's number in the store's log (None: no store)
        self._events: list[Event] | None = None

    @classmethod
    def find(cls, found: tuple[np.ndarray, np.ndarray], old: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
             after: Rows, engine: Engine, as_of: date) -> BatchEvents:
        """The events ``found`` (:func:`~.columnar.transitions`: the cells with one, as row-major
        positions in ``after``'s arrays, and their codes); ``old``: the previous status, amount and
        has-amount of every cell (None: every firm is new)."""
        cells, code = found
        row, rule = np.divmod(cells, max(after.status.shape[1], 1))  # by row, then by rule
        if old is None:
            n = len(cells)
            before = (np.full(n, -1, np.int8), np.zeros(n, np.int64), np.zeros(n, bool))
        else:
            before = (old[0].ravel().take(cells), old[1].ravel().take(cells), old[2].ravel().take(cells))
        return cls(after, engine, as_of, row, rule, code, *before)

    def number(self, first_seq: int) -> None:
        """The events were logged from ``first_seq`` on."""
        self.first_seq = first_seq
        for k, ev in enumerate(self._events or ()):
            ev.seq = first_seq + k

    def _made(self) -> list[Event]:
        if self._events is None:
            self._events = self._make()
        return self._events

    def _make(self) -> list[Event]:
        if not len(self.row):
            return []
        after = self.after
        cells = (self.row, self.rule)
        columns = zip(self.row.tolist(), self.rule.tolist(), self.code.tolist(), self.old_status.tolist(),
                      self.old_amount.tolist(), self.old_has.tolist(), after.status[cells].tolist(),
                      after.amount[cells].tolist(), after.has_amount[cells].tolist(),
                      after.superseded[cells].tolist())
        rule_ids, ids, of = after.rule_ids, after.ids, Event.of
        statuses = (*STATUSES, None)  # code -1: absent
        events: list[Event] = []
        row, change = -1, None
        for i, j, code, s0, a0, h0, s1, a1, h1, by in columns:
            if i != row:
                row, change = i, Change(self.engine, ids[i], Ref(after, i).profile, self.as_of)
            events.append(of(KINDS[code], rule_ids[j], statuses[s0], statuses[s1], money_of(a0) if h0 else None,
                             money_of(a1) if h1 else None, rule_ids[by] if by >= 0 else None, change))
        if self.first_seq is not None:
            for k, ev in enumerate(events):
                ev.seq = self.first_seq + k
        return events

    def by_firm(self) -> Iterator[tuple[str, list[Event]]]:
        """The events grouped by firm (each firm's row in turn)."""
        events = self._made()
        if not events:
            return
        bounds = np.flatnonzero(np.diff(self.row)) + 1
        starts = [0, *bounds.tolist()]
        ends = [*bounds.tolist(), len(events)]
        ids = self.after.ids
        for s, e in zip(starts, ends):
            yield ids[int(self.row[s])], events[s:e]

    def table(self) -> pa.Table:
        """The events as the store logs them (:data:`~eligibility.store.base.EVENT_COLUMNS`), from the
        arrays: rule ids, kinds and statuses as dictionaries over their few values (a byte an event
        each instead of their text)."""
        after = self.after
        cells = (self.row, self.rule)
        statuses = pa.array([s.value for s in STATUSES], pa.string())

        def coded(codes: np.ndarray, values: pa.Array) -> pa.DictionaryArray:  # code -1: null (absent)
            return pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0), values)

        return pa.table({
            "entity_id": pa.array(after.ids, pa.string()).take(pa.array(self.row)),
            "rule_id": coded(self.rule.astype(np.int16), pa.array(after.rule_ids, pa.string())),
            "kind": coded(self.code.astype(np.int8), pa.array([k.value for k in KINDS], pa.string())),
            "old_status": coded(self.old_status.astype(np.int8), statuses),
            "new_status": coded(after.status[cells].astype(np.int8), statuses),
            "old_amount": money_text(self.old_amount, self.old_has),
            "new_amount": money_text(after.amount[cells], after.has_amount[cells]),
        })

    def __len__(self) -> int:
        return len(self.row)

    @overload
    def __getitem__(self, i: int) -> Event: ...

    @overload
    def __getitem__(self, i: slice) -> list[Event]: ...

    def __getitem__(self, i: int | slice) -> Event | list[Event]:
        return self._made()[i]

    def __iter__(self) -> Iterator[Event]:
        return iter(self._made())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, BatchEvents | list | tuple):
            return self._made() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __add__(self, other: Sequence[Event]) -> list[Event]:
        return [*self._made(), *other]

    def __radd__(self, other: Sequence[Event]) -> list[Event]:
        return [*other, *self._made()]

    def __repr__(self) -> str:
        return repr(self._made())

