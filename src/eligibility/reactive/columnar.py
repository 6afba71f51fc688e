"""Columnar update batches: a frame of profiles decided at once and held as arrays.

``Watcher.upsert_many(frame)`` validates a frame of flat profiles column-wise and decides every row
with the vectorized backend (:mod:`eligibility.backends.vectorized`). The frame's rows and their
decisions stay as they are — a :class:`Rows` chunk: the frame, and per (row, rule) a status code, an
amount in fen and the winner of its group — and each firm refers to its row (:class:`Ref`), so a
batch adds no Python object per decision. New decisions are diffed against the previous ones as
whole arrays (:func:`transitions`, the table of :mod:`.events`), and only the cells that make an
event become :class:`~eligibility.results.Decision` objects.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from json import dumps, loads
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..backends.vectorized import VectorizedRules, table_from_frame
from ..errors import ProfileError
from ..facts.codes.uscc import normalise_uscc
from ..facts.frame import row_to_profile
from ..facts.profile import Profile
from ..results import Decision, Status
from ..store.base import PROFILE, ROW, RULE_IDS
from .events import EventKind

if TYPE_CHECKING:
    from ..model.rule import RuleSet

ABSENT = -1
"""Status code of a rule not in the firm's results (the vectorized backend's OUT)."""
STATUSES = (Status.INELIGIBLE, Status.ELIGIBLE, Status.UNDETERMINED, Status.SUPERSEDED)
"""Status by code (the vectorized backend's codes 0–3)."""
_CODE = {s: i for i, s in enumerate(STATUSES)}
KINDS = (EventKind.NEWLY_ELIGIBLE, EventKind.NO_LONGER_ELIGIBLE, EventKind.AMOUNT_CHANGED,
         EventKind.BECAME_UNDETERMINED)
"""Event kind by the code :func:`transitions` gives (-1: no event)."""
_ELIGIBLE, _UNDETERMINED = 1, 2
_RECEIVED_TRUE = np.iinfo(np.int64).min  # received, amount unknown (Decision.received is True)
_NO_RECEIPT = np.iinfo(np.int64).min + 1


def _narrow(fen: np.ndarray) -> np.ndarray:
    """Amounts in fen as int32 when they all fit (half the bytes a store segment writes; read back as int64)."""
    if fen.size and np.iinfo(np.int32).min <= fen.min() and fen.max() <= np.iinfo(np.int32).max:
        return fen.astype(np.int32)
    return fen


def _winner_type(width: int) -> type:
    """The smallest integer type holding a rule position (and -1) for ``width`` rules."""
    return np.int8 if width < 128 else np.int16


def money_of(fen: int) -> Decimal:
    """An amount in fen as exact yuan (two decimals)."""
    return Decimal(fen).scaleb(-2)


class Rows:
    """One frame's rows as the watch holds them: the facts (the frame) and, per row and rule (the
    rule set's order), ``status`` (int8, -1 absent), ``amount`` (int64 fen, where ``has_amount``),
    ``superseded`` (int8, or int16 past 127 rules: the winning rule's position, -1 none) and
    ``received`` (per rule position that has any, an int64 column: fen of a receipt this year that
    still ranks in its group; :data:`_RECEIVED_TRUE` when its amount is unknown, :data:`_NO_RECEIPT`
    none) — only the rules with receipts take room."""

    __slots__ = ("frame", "ids", "status", "amount", "has_amount", "superseded", "received", "rule_ids", "live",
                 "_arrow")

    def __init__(self, frame: pd.DataFrame, ids: list[str], status: np.ndarray, amount: np.ndarray,
                 has_amount: np.ndarray, superseded: np.ndarray, received: dict[int, np.ndarray],
                 rule_ids: list[str], arrow: pa.Table | None = None) -> None:
        self.frame, self.ids, self.rule_ids = frame, ids, rule_ids
        self.status, self.amount, self.has_amount = status, amount, has_amount
        self.superseded, self.received = superseded, received
        self.live = 0  # firms whose current state is a row of this chunk
        self._arrow: pa.Table | bool | None = arrow  # the facts as Arrow columns (False: they cannot be)

    def arrow(self) -> pa.Table | None:
        """The facts as an Arrow table (made once; None when a column holds what Arrow cannot type)."""
        if self._arrow is None:
            frame = self.frame
            try:
                self._arrow = (pa.table({str(name): col.array for name, col in frame.items()})  # their own columns
                               if all(isinstance(t, pd.ArrowDtype) for t in frame.dtypes) and frame.columns.is_unique
                               else pa.Table.from_pandas(frame, preserve_index=False))
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError):
                self._arrow = False
        return self._arrow or None

    def segment(self, idx: list[int], ids: list[str]) -> pa.Table:
        """The rows at ``idx`` (their firms ``ids``) as a store segment: ``uscc``, ``kind``, the facts
        (columns ``f.NAME``) and the decisions as arrays of the rule set's width (its rule ids in the
        schema's metadata). Facts that Arrow cannot type are written as each row's JSON instead."""
        at = np.asarray(idx, np.int64)
        every = len(at) == len(self.ids) and bool((at == np.arange(len(at))).all())  # the whole chunk, in order
        facts = self.arrow()
        if facts is None:
            return pa.table({"uscc": pa.array(ids, pa.string()), "kind": pa.array([PROFILE] * len(ids), pa.int8()),
                             "profile": pa.array(self.data(idx), pa.string()),
                             "decisions": pa.array([dumps(self.decisions_data(i), ensure_ascii=False) for i in idx],
                                                   pa.string())})
        width = self.status.shape[1]

        def cells(a: np.ndarray, taken: bool = False) -> pa.Array:
            return pa.FixedSizeListArray.from_arrays(
                pa.array(np.ascontiguousarray(a if taken or every else a[at]).ravel()), width)

        columns: dict[str, Any] = {"uscc": pa.array(ids, pa.string()), "kind": pa.array(np.full(len(at), ROW, np.int8)),
                                   "status": cells(self.status), "amount": cells(_narrow(self.amount if every else
                                                                                         self.amount[at]), taken=True),
                                   "has_amount": cells(self.has_amount), "superseded": cells(self.superseded)}
        if self.received:
            columns["received"] = cells(self.received_cells(at), taken=True)
        taken = facts if every else facts.take(pa.array(at))
        for name, col in zip(taken.column_names, taken.columns):
            columns[f"f.{name}"] = col
        return pa.table(columns).replace_schema_metadata({RULE_IDS: dumps(self.rule_ids)})

    @classmethod
    def of_segment(cls, seg: pa.Table, idx: list[int], ids: list[str], rule_ids: list[str]) -> Rows:
        """The rows at ``idx`` of a store segment (:meth:`segment`) as a chunk over ``rule_ids`` (the
        current rule set: a rule the segment does not know is absent, one it knows no longer is dropped)."""
        part = seg.take(pa.array(np.asarray(idx, np.int64)))
        names = [c for c in part.column_names if c.startswith("f.")]
        facts = part.select(names).rename_columns([c[2:] for c in names])
        stored = loads(seg.schema.metadata[RULE_IDS])
        width, n = len(rule_ids), part.num_rows
        here = {r: j for j, r in enumerate(rule_ids)}
        src = np.array([j for j, r in enumerate(stored) if r in here], np.int64)
        dst = np.array([here[r] for r in stored if r in here], np.int64)

        def cells(name: str, fill: Any, dtype: Any) -> np.ndarray:
            out = np.full((n, width), fill, dtype)
            flat = part.column(name).combine_chunks().flatten().to_numpy(zero_copy_only=False)
            out[:, dst] = flat.reshape(n, len(stored))[:, src]
            return out

        received: dict[int, np.ndarray] = {}
        if "received" in part.column_names:
            full = cells("received", _NO_RECEIPT, np.int64)
            received = {j: full[:, j].copy() for j in np.flatnonzero((full != _NO_RECEIPT).any(axis=0)).tolist()}
        frame = facts.to_pandas(types_mapper=pd.ArrowDtype)
        return cls(frame, ids, cells("status", ABSENT, np.int8), cells("amount", 0, np.int64),
                   cells("has_amount", False, bool), cells("superseded", -1, _winner_type(width)), received, rule_ids,
                   facts)

    def received_cells(self, idx: np.ndarray) -> np.ndarray:
        """The receipts of the rows at ``idx`` over every rule position (:data:`_NO_RECEIPT` where none)."""
        full = np.full((len(idx), self.status.shape[1]), _NO_RECEIPT, np.int64)
        for j, col in self.received.items():
            full[:, j] = col[idx]
        return full

    def take(self, idx: np.ndarray, ids: list[str]) -> Rows:
        """A chunk of the rows at ``idx`` only (their firms' USCCs ``ids``)."""
        facts = self._arrow.take(pa.array(idx)) if isinstance(self._arrow, pa.Table) else None
        return Rows(self.frame.iloc[idx].reset_index(drop=True), ids, self.status[idx], self.amount[idx],
                    self.has_amount[idx], self.superseded[idx], {j: col[idx] for j, col in self.received.items()},
                    self.rule_ids, facts)

    def decision(self, i: int, j: int) -> Decision:
        """Row ``i``'s decision on rule ``j`` (in scope)."""
        sb = int(self.superseded[i, j])
        received: Decimal | bool | None = None
        col = self.received.get(j)
        if col is not None:
            r = int(col[i])
            received = None if r == _NO_RECEIPT else True if r == _RECEIVED_TRUE else money_of(r)
        return Decision(self.rule_ids[j], STATUSES[self.status[i, j]],
                        money_of(int(self.amount[i, j])) if self.has_amount[i, j] else None,
                        self.rule_ids[sb] if sb >= 0 else None, received)

    def decisions(self, i: int) -> list[Decision]:
        """Row ``i``'s decisions, as ``Engine.decide`` lists them (rules in scope, in order)."""
        return [self.decision(i, int(j)) for j in np.flatnonzero(self.status[i] >= 0)]

    def flat(self, idx: list[int]) -> list[dict[str, Any]]:
        """The rows at ``idx`` as flat dicts of the cells holding a value (dotted keys), gathered
        column by column: only those cells become Python objects."""
        flat: list[dict[str, Any]] = [{} for _ in idx]
        at = np.asarray(idx, np.int64)
        for name in self.frame.columns:
            series = self.frame[name]
            if isinstance(series.dtype, pd.ArrowDtype):
                arr = pa.array(series.array).take(pa.array(at))  # type: ignore[call-overload]
                have = np.flatnonzero(arr.is_valid().to_numpy(zero_copy_only=False))
                values = arr.take(pa.array(have)).to_pylist() if len(have) else []
            else:
                col = series.to_numpy(dtype=object)[at]
                have = np.flatnonzero(~pd.isna(col)) if col.dtype == object else np.arange(len(at))
                values = col[have].tolist()
            for k, value in zip(have.tolist(), values):
                flat[k][name] = value
        return flat

    def profile(self, i: int) -> Profile:
        """Row ``i``'s validated profile (built when asked: an explanation, ``Watcher.profile``)."""
        return Profile.from_data(row_to_profile(self.flat([i])[0]))

    def data(self, idx: list[int]) -> list[str]:
        """The rows' facts as the store keeps a row (JSON text of :data:`ROW_KEY` → the flat row;
        money as exact text, dates in ISO form): no nesting or validation on the way in."""
        return [dumps({ROW_KEY: row}, ensure_ascii=False, separators=(",", ":"), default=_json_value)
                for row in self.flat(idx)]

    def decisions_data(self, i: int) -> list[list[Any]]:
        """Row ``i``'s decisions as the store keeps them (as ``Watcher`` writes a decision list)."""
        out = []
        status, amount, has, superseded = self.status[i], self.amount[i], self.has_amount[i], self.superseded[i]
        for j in np.flatnonzero(status >= 0).tolist():
            sb = int(superseded[j])
            received: Any = None
            col = self.received.get(j)
            if col is not None:
                r = int(col[i])
                received = None if r == _NO_RECEIPT else True if r == _RECEIVED_TRUE else str(money_of(r))
            out.append([self.rule_ids[j], STATUSES[status[j]].value, str(money_of(int(amount[j]))) if has[j] else None,
                        self.rule_ids[sb] if sb >= 0 else None, received, None])
        return out


ROW_KEY = "$row"
"""The store's profile data of a firm held as a row: ``{"$row": {flat row}}`` (no profile field is
called so); read back with :func:`stored_profile`."""


def stored_profile(data: dict[str, Any]) -> Profile:
    """A firm's profile from the store's data: a nested profile, or a row a columnar batch wrote."""
    row = data.get(ROW_KEY)
    return Profile.from_data(data if row is None else row_to_profile(row))


def _json_value(value: Any) -> Any:
    """What ``json`` cannot write itself: money as exact text, dates in ISO form, numpy values."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, np.generic | np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON data: {type(value).__name__}")


class Ref:
    """A firm's current state: row ``i`` of a :class:`Rows` chunk."""

    __slots__ = ("rows", "i")

    def __init__(self, rows: Rows, i: int) -> None:
        self.rows, self.i = rows, i

    def decisions(self) -> list[Decision]:
        return self.rows.decisions(self.i)

    def profile(self) -> Profile:
        return self.rows.profile(self.i)


def decide_frame(vectorized: VectorizedRules, rules: RuleSet, frame: pd.DataFrame, as_of: date,
                 ids: list[str] | None = None) -> Rows:
    """Validate and decide every row of ``frame`` at ``as_of``; a row that cannot be read (no valid
    USCC, a value that is not its field's) is refused with its row number (1 = the first row) and
    nothing of the frame is applied. ``ids``: the rows' USCCs when already known."""
    table = table_from_frame(frame, 1)
    if not table.has_entity:
        raise ProfileError("变更表没有统一社会信用代码（uscc）列：监测按它识别企业",
                           "the frame has no uscc column: the watch keys firms by it", field="uscc")
    bad = np.flatnonzero(~table.valid())
    if len(bad):
        row = int(bad[0])
        raise ProfileError(f"第 {row + 1} 行无法读取：{table.error[row]}", f"row {row + 1} cannot be read: {table.error[row]}",
                           field="uscc", row=row + 1)
    for path, (at, reasons) in table.field_errors.items():
        row = int(at[0])
        raise ProfileError(f"第 {row + 1} 行的 {path} 无法读取：{reasons[0]}",
                           f"row {row + 1}: {path} cannot be read: {reasons[0]}", field=path, row=row + 1)
    if ids is None:
        codes = table.entity_ids()
        if codes.null_count:
            row = int(np.flatnonzero(codes.is_null().to_numpy(zero_copy_only=False))[0])
            raise ProfileError(f"第 {row + 1} 行缺少统一社会信用代码（uscc）：监测按它识别企业",
                               f"row {row + 1} has no unified social credit code (uscc): the watch keys firms by it",
                               field="uscc", row=row + 1)
        if pc.all(pc.string_is_ascii(codes)).as_py() is not False:  # NFKC leaves ASCII as it is
            ids = pc.utf8_upper(pc.utf8_trim_whitespace(codes)).to_pylist()
        else:
            ids = [normalise_uscc(code) for code in codes.to_pylist()]
    decided = vectorized.decide(table, as_of, explain=False)
    order = {r.id: j for j, r in enumerate(rules.rules)}
    n, width = table.n, len(rules.rules)
    status = np.full((n, width), ABSENT, np.int8)
    amount = np.zeros((n, width), np.int64)
    has_amount = np.zeros((n, width), bool)
    superseded = np.full((n, width), -1, _winner_type(width))
    received: dict[int, np.ndarray] = {}
    for o in decided.outcomes:
        j = order[o.rule.id]
        status[:, j] = o.status
        amount[:, j] = o.amount
        has_amount[:, j] = o.has_amount & (o.status >= 0)
        if o.superseded_by is not None:
            winners = np.array([order[r.id] for r in decided.rules], superseded.dtype)
            superseded[:, j] = np.where(o.superseded_by >= 0, winners[o.superseded_by], -1)
        if o.received is not None and o.received.any():
            got = np.where(o.received_has_amount, o.received_amount, _RECEIVED_TRUE)  # type: ignore[call-overload]
            received[j] = np.where(o.received & (o.status >= 0), got, _NO_RECEIPT).astype(np.int64, copy=False)
    kept = frame[[c for c in frame.columns if c not in set(table.ignored)]] if table.ignored else frame
    return Rows(kept, ids, status, amount, has_amount, superseded, received, [r.id for r in rules.rules])


def as_arrays(decisions: list[Decision], order: dict[str, int], width: int
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One firm's decision list as a status row, an amount row (fen) and a has-amount row."""
    status = np.full(width, ABSENT, np.int8)
    amount = np.zeros(width, np.int64)
    has = np.zeros(width, bool)
    for d in decisions:
        j = order[d.rule_id]
        status[j] = _CODE[d.status]
        if d.amount is not None:
            amount[j] = int(d.amount.scaleb(2))
            has[j] = True
    return status, amount, has


def transitions(old_status: np.ndarray, old_amount: np.ndarray, old_has: np.ndarray,
                new_status: np.ndarray, new_amount: np.ndarray, new_has: np.ndarray) -> np.ndarray:
    """The event of every cell as a code into :data:`KINDS` (-1: none): the table of :mod:`.events`
    on whole arrays (status -1: absent; an amount compared only where both are eligible)."""
    was_eligible = old_status == _ELIGIBLE
    now_eligible = new_status == _ELIGIBLE
    amount_moved = (old_has != new_has) | (old_has & (old_amount != new_amount))
    out = np.full(new_status.shape, -1, np.int8)
    out[was_eligible & ~now_eligible] = 1
    out[(new_status == _UNDETERMINED) & (old_status != _UNDETERMINED)] = 3
    out[now_eligible & ~was_eligible] = 0
    out[now_eligible & was_eligible & amount_moved] = 2
    return out


def arrivals(new_status: np.ndarray) -> np.ndarray:
    """:func:`transitions` from nothing (firms new to the watch): newly_eligible where eligible,
    became_undetermined where undetermined."""
    out = np.full(new_status.shape, -1, np.int8)
    out[new_status == _ELIGIBLE] = 0
    out[new_status == _UNDETERMINED] = 3
    return out


def same_rows(a: Rows, ai: np.ndarray, b: Rows, bi: np.ndarray) -> np.ndarray:
    """Rows whose decisions are the same in ``a`` at ``ai`` and ``b`` at ``bi`` (every field kept)."""
    same = ((a.status[ai] == b.status[bi]).all(axis=1) & (a.has_amount[ai] == b.has_amount[bi]).all(axis=1)
            & (a.amount[ai] == b.amount[bi]).all(axis=1) & (a.superseded[ai] == b.superseded[bi]).all(axis=1))
    for j in a.received.keys() | b.received.keys():
        ra, rb = a.received.get(j), b.received.get(j)
        same &= (ra[ai] if ra is not None else _NO_RECEIPT) == (rb[bi] if rb is not None else _NO_RECEIPT)
    return same
