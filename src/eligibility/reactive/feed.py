"""The daily feed: department change files applied to a watch kept in a store (``eligibility watch``).

A change row **merges** into the firm's stored facts by USCC: only the columns the file has change,
a blank or placeholder cell changes nothing, and the marker ``[清空]`` (or ``[clear]``) clears a
field. A removals file lists firms (by USCC) that leave the watch. Each file is one batch of the
store, named by the file's content hash: re-applying the same file changes nothing and logs nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..batch.bundle import content_digest
from ..batch.sources import read_register
from ..errors import EligibilityError, ProfileError
from ..facts.codes.uscc import parse_uscc
from ..facts.frame import row_to_profile
from ..facts.profile import Profile
from .events import Event
from .watcher import Watcher

CLEAR_MARKERS = frozenset({"[清空]", "[clear]"})
"""A cell holding one of these clears the field in the firm's stored facts."""


@dataclass(slots=True)
class RowProblem:
    """A change row that was not applied, and why (the rest of the file is applied)."""

    file: str
    row: int
    zh: str
    en: str


@dataclass(slots=True)
class FeedResult:
    """What applying change files did: the events (with their log numbers), rows applied and refused."""

    events: list[Event] = field(default_factory=list)
    applied: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    def counts(self) -> dict[str, Counter[str]]:
        """Per rule id: how many events of each kind."""
        out: dict[str, Counter[str]] = {}
        for ev in self.events:
            out.setdefault(ev.rule_id, Counter())[ev.kind.value] += 1
        return out


def checkpoint_of(path: Path) -> str:
    """The batch name of a change file: its name and the hash of its bytes (a bundle's: of every file)."""
    digest = content_digest(path)[:16]
    return f"{path.name}@{digest}"


def _merge(base: dict[str, Any], change: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``change`` laid over it: nested mappings merge, anything else replaces."""
    out = dict(base)
    for key, value in change.items():
        old = out.get(key)
        out[key] = _merge(old, value) if isinstance(value, Mapping) and isinstance(old, dict) else value
    return out


def _clear(data: dict[str, Any], path: str) -> None:
    head, _, rest = path.partition(".")
    if not rest:
        data.pop(head, None)
    elif isinstance(data.get(head), dict):
        _clear(data[head], rest)


def _rows(path: Path, mapping: Any) -> Any:
    for _, chunk in read_register(path, mapping=mapping):
        for row_no, record in zip(chunk.index, chunk.to_dict("records")):
            yield int(row_no), record


def apply_changes(watcher: Watcher, path: str | Path, mapping: Any = None) -> FeedResult:
    """Merge each row of a change file into its firm's stored facts, as one batch of the watch."""
    path = Path(path)
    result = FeedResult()
    merged: dict[str, dict[str, Any]] = {}
    for row_no, record in _rows(path, mapping):
        cleared = [k for k, v in record.items() if isinstance(v, str) and v.strip() in CLEAR_MARKERS]
        change = row_to_profile({k: v for k, v in record.items() if k not in cleared})
        try:
            uscc = parse_uscc(str(change.get("uscc", ""))).code
        except EligibilityError as exc:
            result.problems.append(RowProblem(path.name, row_no, f"统一社会信用代码无效：{exc.zh}",
                                              f"invalid unified social credit code: {exc.en}"))
            continue
        if uscc in merged:
            base = merged[uscc]
        elif uscc in watcher:
            base = watcher.profile(uscc).model_dump(mode="json", exclude_unset=True)
        else:
            base = {}
        data = _merge(base, change)
        data["uscc"] = uscc
        for key in cleared:
            _clear(data, key)
        try:
            Profile.from_data(data)
        except ProfileError as exc:
            result.problems.append(RowProblem(path.name, row_no, exc.zh, exc.en))
            continue
        merged[uscc] = data
        result.applied += 1
    result.events = watcher.upsert_many(list(merged.values()), checkpoint=checkpoint_of(path))
    return result


def apply_removals(watcher: Watcher, path: str | Path, mapping: Any = None) -> FeedResult:
    """Remove every firm a removals file lists (column ``uscc``), as one batch of the watch."""
    path = Path(path)
    result = FeedResult()
    usccs: list[str] = []
    for row_no, record in _rows(path, mapping):
        try:
            usccs.append(parse_uscc(str(record.get("uscc", ""))).code)
        except EligibilityError as exc:
            result.problems.append(RowProblem(path.name, row_no, f"统一社会信用代码无效：{exc.zh}",
                                              f"invalid unified social credit code: {exc.en}"))
            continue
        result.applied += 1
    result.events = watcher.remove_many(usccs, checkpoint=checkpoint_of(path))
    return result
