"""The store interface of the reactive mode: what a watch keeps, and the one atomic step that changes it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple, Protocol

import numpy as np
import pyarrow as pa

from ..errors import EligibilityError


class StoreError(EligibilityError):
    """A store that cannot be used: not a store of this library, damaged, or of another format."""


EVENT_COLUMNS = ("entity_id", "rule_id", "kind", "old_status", "new_status", "old_amount", "new_amount")
"""The columns of a batch's events as the watch hands them to the store (all text, or dictionaries
of text; amounts exact, in yuan)."""

RULE_IDS = b"rule_ids"
"""Schema metadata of a segment holding decisions as arrays: the rule ids (JSON) their positions stand for."""

NO_RECEIPT = np.iinfo(np.int64).min + 1
"""A segment's receipt cell where the rule was not received (format 3 wrote every cell)."""


def cell_lists(mask: np.ndarray, values: np.ndarray) -> pa.ListArray:
    """``values`` (the cells of ``mask`` in row order) as one list per row of ``mask``."""
    offsets = np.zeros(len(mask) + 1, np.int64)
    np.cumsum(np.count_nonzero(mask, axis=1), out=offsets[1:])
    if offsets[-1] < 2**31:
        return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), pa.array(values))
    return pa.LargeListArray.from_arrays(pa.array(offsets), pa.array(values))


def sparse_cells(seg: pa.Table) -> pa.Table:
    """A segment whose ``amount`` and ``received`` hold every cell (format 3) with them only where a
    cell has one (format 4: ``amount`` a list per row of its ``has_amount`` cells, receipts as
    ``received_at``/``received`` lists); any other segment as it is. Segments of both formats are then
    one table when compacted."""
    if "amount" not in seg.column_names or not pa.types.is_fixed_size_list(seg.schema.field("amount").type):
        return seg
    n, width = seg.num_rows, seg.schema.field("amount").type.list_size

    def cells(name: str) -> np.ndarray:
        flat = seg.column(name).combine_chunks().flatten().to_numpy(zero_copy_only=False)
        return flat.reshape(n, width)

    has = cells("has_amount").astype(bool, copy=False)
    out = seg.set_column(seg.schema.get_field_index("amount"), "amount", cell_lists(has, cells("amount")[has]))
    if "received" in seg.column_names:
        full = cells("received").astype(np.int64, copy=False)
        got = full != NO_RECEIPT
        at = seg.schema.get_field_index("received")
        out = out.set_column(at, "received", cell_lists(got, full[got]))
        out = out.add_column(at, "received_at", cell_lists(got, np.nonzero(got)[1].astype(np.int16)))
    return out


PROFILE, ROW, REMOVED = 0, 1, 2
"""``kind`` of a firm's entry in a segment: a profile (JSON data), a row of a columnar batch (its facts
and decisions as columns), a removal."""


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to log (the store gives it its sequence number and time)."""

    entity_id: str
    rule_id: str
    kind: str
    old_status: str | None
    new_status: str | None
    old_amount: Decimal | None
    new_amount: Decimal | None


@dataclass(frozen=True, slots=True, kw_only=True)
class LoggedEvent(NewEvent):
    """One event of the durable log: ``seq`` orders it (and is what a consumer acknowledges)."""

    seq: int
    as_of: date
    recorded_at: datetime
    rule_set: str

    def to_dict(self) -> dict[str, Any]:
        """Plain data (amounts as strings, dates in ISO form) for a message or a file."""
        return {
            "seq": self.seq, "entity_id": self.entity_id, "rule_id": self.rule_id, "kind": self.kind,
            "old_status": self.old_status, "new_status": self.new_status,
            "old_amount": None if self.old_amount is None else str(self.old_amount),
            "new_amount": None if self.new_amount is None else str(self.new_amount),
            "as_of": self.as_of.isoformat(), "recorded_at": self.recorded_at.isoformat(),
            "rule_set": self.rule_set,
        }


@dataclass(slots=True)
class Commit:
    """Everything one batch changes, written together or not at all.

    ``firms``: segments — Arrow tables of the firms the batch wrote, one row per firm with at least
    ``uscc`` (text) and ``kind`` (int8, :data:`PROFILE` or :data:`ROW`); a :data:`PROFILE` row has its
    profile and decisions as JSON text in ``profile`` and ``decisions``, a :data:`ROW` row whatever
    columns its writer chose (the store keeps a segment as it is given); ``removed``: USCCs no longer
    watched; ``events``: what the batch logged, a table of :data:`EVENT_COLUMNS`; ``as_of``: the
    watch's date after the batch; ``checkpoint``: a name the caller gives the batch (a change file),
    kept to resume a feed; ``live``: how many firms the watch holds after the batch (when the store
    compacts its segments).
    """

    as_of: date
    rule_set: str
    firms: list[pa.Table] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    events: pa.Table | None = None
    checkpoint: str | None = None
    live: int = 0


class StoredRow(NamedTuple):
    """A firm held as a :data:`ROW`: row ``row`` of segment ``segment`` (:attr:`StoredState.segments`)."""

    segment: int
    row: int


@dataclass(frozen=True, slots=True)
class StoredState:
    """What a store holds when it is opened: the date, the rule set last used, the checkpoint, and
    every firm in the watch's order — its profile and last decisions (as JSON data), or where its row
    is in ``segments`` (the segments holding rows, as they were written)."""

    as_of: date | None
    rule_set: str | None
    checkpoint: str | None
    firms: dict[str, tuple[Any, Any] | StoredRow]
    segments: list[pa.Table] = field(default_factory=list)


class Store(Protocol):
    """Durable state of one watch. Every change is one :meth:`commit`: atomic and durable."""

    def load(self) -> StoredState:
        """The state as last committed."""
        ...

    def commit(self, change: Commit) -> list[int]:
        """Write one batch in one transaction; the sequence numbers given to its events, in order."""
        ...

    def log(self, after: int = 0, limit: int | None = None) -> list[LoggedEvent]:
        """Logged events with ``seq > after``, in order (at most ``limit``)."""
        ...

    def ack(self, consumer: str, seq: int) -> None:
        """Record that ``consumer`` has handled every event up to ``seq``."""
        ...

    def acked(self, consumer: str) -> int:
        """The last sequence number ``consumer`` acknowledged (0: none)."""
        ...

    def forget(self, entity_ids: Sequence[str]) -> int:
        """Delete these firms' facts, decisions and logged events (个人信息保护); how many firms were held."""
        ...

    def prune(self, before: datetime) -> int:
        """Delete events recorded before ``before`` (log retention); how many were deleted."""
        ...

    def close(self) -> None:
        """Release the database."""
        ...
