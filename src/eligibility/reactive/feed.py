"""The daily feed: department change files applied to a watch kept in a store (``eligibility watch``).

A change row **merges** into the firm's stored facts by USCC: only the columns the file has change,
a blank or placeholder cell changes nothing, and the marker ``[清空]`` (or ``[clear]``) clears a
field. A removals file lists firms (by USCC) that leave the watch. Each file is one batch of the
store, named by the file's content hash: re-applying the same file changes nothing and logs nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..backends.vectorized import table_from_frame
from ..batch.bundle import content_digest
from ..batch.sources import read_register
from ..errors import EligibilityError
from ..facts.codes.uscc import parse_uscc
from ..facts.frame import _leaf_array, _list_array, _truth, is_missing, row_to_profile
from ..facts.profile import Profile, registry
from .columnar import Ref, Rows
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

    events: Sequence[Event] = field(default_factory=list)
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


def _rows(path: Path, mapping: Any) -> Any:
    for _, chunk in read_register(path, mapping=mapping):
        for row_no, record in zip(chunk.index, chunk.to_dict("records")):
            yield int(row_no), record


def _change_cells(record: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A change row's cells that change something (dotted keys), and the fields it clears: blank
    cells change nothing, and a record column saying "no" leaves the stored record as it is."""
    spec = registry()
    cells: dict[str, Any] = {}
    cleared: list[str] = []
    for key, value in record.items():
        if isinstance(value, str) and value.strip() in CLEAR_MARKERS:
            cleared.append(key)
        elif not is_missing(value):
            s = spec.get(key)
            if s is not None and s.type.kind == "record" and _truth(value) is False:
                continue
            cells[key] = value
    return cells, cleared


def _held_rows(watcher: Watcher, usccs: list[str]) -> dict[str, dict[str, Any]]:
    """The flat facts (dotted keys) the watch holds for these firms: rows of columnar batches
    gathered chunk by chunk, firms held as profiles flattened."""
    out: dict[str, dict[str, Any]] = {}
    chunks: dict[int, tuple[Rows, list[str], list[int]]] = {}
    for uscc in usccs:
        entry = watcher._held(uscc)
        if type(entry) is Ref:
            _, keys, idx = chunks.setdefault(id(entry.rows), (entry.rows, [], []))
            keys.append(uscc)
            idx.append(entry.i)
        elif entry is not None:
            out[uscc] = _flat(entry[0].model_dump(exclude_unset=True))  # type: ignore[index]
    for rows, keys, idx in chunks.values():
        out.update(zip(keys, rows.flat(idx)))
    return out


def _flat(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A profile's given fields as a flat row (dotted keys; a record present as ``True``)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out[prefix + key] = True
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = value
    return out


def _merged(base: dict[str, Any], cells: dict[str, Any], cleared: list[str]) -> dict[str, Any]:
    """``base`` with a change row's cells laid over it and its cleared fields (and what is under
    them) removed."""
    out = {**base, **cells}
    for key in cleared:
        prefix = key + "."
        for k in [k for k in out if k == key or k.startswith(prefix)]:
            del out[k]
    return out


def _refused(frame: pd.DataFrame) -> dict[int, tuple[str, str]]:
    """Rows of a frame of flat profiles that cannot be read (position → why, in Chinese and English:
    the profile's own validation words it, as for one profile)."""
    table = table_from_frame(frame, 1)
    found = {int(row): str(table.error[row]) for row in np.flatnonzero(~table.valid())}
    for path, (at, why) in table.field_errors.items():
        for row, reason in zip(np.asarray(at).tolist(), why):
            found.setdefault(int(row), f"{path}: {reason}")
    out: dict[int, tuple[str, str]] = {}
    for row, reason in found.items():
        try:
            Profile.from_data(row_to_profile({k: v for k, v in frame.iloc[row].items() if not is_missing(v)}))
            out[row] = (reason, reason)
        except EligibilityError as exc:
            out[row] = (exc.zh, exc.en)
    return out


def _typed(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Merged flat rows as a frame whose columns are Arrow-typed from the schema where their values
    allow (as ``el.to_frame`` types them), so that they are read without a Python call per cell."""
    spec = registry()
    columns: dict[str, Any] = {}
    for name in dict.fromkeys(k for row in rows for k in row):
        values = [row.get(name) for row in rows]
        s = spec.get(name)
        typed = None if s is None else (_list_array(name, values) if s.type.kind == "list"
                                        else _leaf_array(s.type.kind, values))
        columns[name] = pd.Series(values, dtype=object) if typed is None else pd.Series(typed)
    return pd.DataFrame(columns)


def apply_changes(watcher: Watcher, path: str | Path, mapping: Any = None) -> FeedResult:
    """Merge each row of a change file into its firm's stored facts, as one batch of the watch.

    The rows are merged as flat facts (one dotted key per field), validated together and applied as
    one columnar batch (``Watcher.upsert_many(frame)``): the firms are held as rows of it. A firm in
    several rows takes them in turn; a row that cannot be read is refused and the others applied."""
    path = Path(path)
    result = FeedResult()
    changes: list[tuple[int, str, dict[str, Any], list[str]]] = []
    for row_no, record in _rows(path, mapping):
        try:
            uscc = parse_uscc(str(record.get("uscc", ""))).code
        except EligibilityError as exc:
            result.problems.append(RowProblem(path.name, row_no, f"统一社会信用代码无效：{exc.zh}",
                                              f"invalid unified social credit code: {exc.en}"))
            continue
        cells, cleared = _change_cells(record)
        changes.append((row_no, uscc, cells, cleared))
    held = _held_rows(watcher, list(dict.fromkeys(c[1] for c in changes)))
    refused: set[int] = set()
    reasons: dict[int, tuple[str, str]] = {}
    while True:  # a refused row leaves its firm as it was: the firm's later rows merge over that again
        state: dict[str, dict[str, Any]] = {}
        merged: list[dict[str, Any]] = []
        for k, (_, uscc, cells, cleared) in enumerate(changes):
            data = _merged(state.get(uscc, held.get(uscc, {})), cells, cleared)
            data["uscc"] = uscc
            merged.append(data)
            if k not in refused:
                state[uscc] = data
        bad = {k: why for k, why in _refused(_typed(merged)).items() if k not in refused} \
            if merged else {}
        if not bad:
            break
        reasons.update(bad)
        refused.update(bad)
    for k in sorted(refused):
        result.problems.append(RowProblem(path.name, changes[k][0], *reasons[k]))
    result.problems.sort(key=lambda p: p.row)
    last: dict[str, int] = {}
    for k, (_, uscc, _, _) in enumerate(changes):
        if k not in refused:
            last[uscc] = k  # the firm keeps the place of its first row
    result.applied = len(changes) - len(refused)
    frame = _typed([merged[k] for k in last.values()]) if last else []
    result.events = watcher.upsert_many(frame, checkpoint=checkpoint_of(path))
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
