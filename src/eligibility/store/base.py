"""The store interface of the reactive mode: what a watch keeps, and the one atomic step that changes it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from ..errors import EligibilityError


class StoreError(EligibilityError):
    """A store that cannot be used: not a store of this library, damaged, or of another format."""


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

    ``firms``: USCC → (profile as JSON data, decisions as JSON data; either may be given as its JSON
    text already, as a columnar batch writes its rows); ``removed``: USCCs no longer
    watched; ``events``: what the batch logged; ``as_of``: the watch's date after the batch;
    ``checkpoint``: a name the caller gives the batch (a change file), kept to resume a feed.
    """

    as_of: date
    rule_set: str
    firms: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)
    events: list[NewEvent] = field(default_factory=list)
    checkpoint: str | None = None


@dataclass(frozen=True, slots=True)
class StoredState:
    """What a store holds when it is opened: the date, the rule set last used, the checkpoint, and
    every firm's profile and last decisions (as JSON data)."""

    as_of: date | None
    rule_set: str | None
    checkpoint: str | None
    firms: dict[str, tuple[Any, Any]]


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
