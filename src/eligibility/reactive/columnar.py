"""Columnar update batches: a frame of profiles decided at once and held as arrays.

``Watcher.upsert_many(frame)`` validates a frame of flat profiles column-wise and decides every row
with the vectorized backend (:mod:`eligibility.backends.vectorized`). The frame's rows and their
decisions stay as they are — a :class:`Rows` chunk: the frame, and per (row, rule) a status code, an
amount in fen and the winner of its group — and each firm's row is found by its slot (:class:`Places`:
a chunk number and a row per slot, as arrays), so a batch adds no Python object per decision, nor per
firm already watched. New decisions are diffed against the previous ones as
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
from ..store.base import NO_RECEIPT, PROFILE, ROW, RULE_IDS, cell_lists
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
"""Event kind by the code :func:`transitions` gives."""
_ELIGIBLE, _UNDETERMINED = 1, 2
_RECEIVED_TRUE = np.iinfo(np.int64).min  # received, amount unknown (Decision.received is True)
_NO_RECEIPT = NO_RECEIPT


def _narrow(fen: np.ndarray) -> np.ndarray:
    """Amounts in fen as int32 when they all fit (half the bytes a store segment writes; read back as int64)."""
    if fen.size and np.iinfo(np.int32).min <= fen.min() and fen.max() <= np.iinfo(np.int32).max:
        return fen.astype(np.int32)
    return fen


DECIMAL = b"decimal128"
"""Field metadata of a segment's facts column written narrower than its decimal128: the precision."""


def _narrow_decimal(name: str, col: pa.ChunkedArray) -> tuple[pa.Field, pa.ChunkedArray | pa.Array]:
    """A decimal128 facts column as decimal32 or decimal64 when every value fits (4 or 8 bytes a value
    instead of 16: amounts are most of a segment's facts), the precision kept in the field's metadata
    (:data:`DECIMAL`); any other column as it is."""
    typ = col.type
    if not pa.types.is_decimal128(typ) or not len(col) or typ.scale > 18:
        return pa.field(name, typ), col
    arr = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    words = np.frombuffer(arr.buffers()[1], "<i8")[2 * arr.offset:2 * (arr.offset + len(arr))]
    low, high = words[0::2], words[1::2]
    # every slot is checked, null ones too (what they hold is never read back): at most stricter, and
    # one pass over the values where none is negative or wider than 64 bits
    least, most = int(low.min()), int(low.max())
    if (least < 0 or high.any()) and not np.array_equal(high, low >> 63):
        return pa.field(name, typ), col
    top = max(-least, most)
    if top >= 10**18:
        return pa.field(name, typ), col
    narrow, data = ((pa.decimal32(9, typ.scale), low.astype("<i4")) if top < 10**9 and typ.scale <= 9
                    else (pa.decimal64(18, typ.scale), np.ascontiguousarray(low, "<i8")))
    bitmap = None if not arr.null_count else arr.buffers()[0] if not arr.offset else arr.is_valid().buffers()[1]
    out = pa.Array.from_buffers(narrow, len(arr), [bitmap, pa.py_buffer(data)], arr.null_count)
    return pa.field(name, narrow, metadata={DECIMAL: str(typ.precision).encode()}), out


def _widen_decimal(col: pa.ChunkedArray, precision: int) -> pa.Array:
    """A column :func:`_narrow_decimal` wrote, as the decimal128 it was (the value's sign extended)."""
    arr = col.combine_chunks()
    width = 4 if pa.types.is_decimal32(arr.type) else 8
    low = np.frombuffer(arr.buffers()[1], f"<i{width}")[arr.offset:arr.offset + len(arr)].astype("<i8")
    words = np.empty((len(arr), 2), "<i8")
    words[:, 0], words[:, 1] = low, low >> 63
    bitmap = arr.is_valid().buffers()[1] if arr.null_count else None
    return pa.Array.from_buffers(pa.decimal128(precision, arr.type.scale), len(arr), [bitmap, pa.py_buffer(words)],
                                 arr.null_count)


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
        (columns ``f.NAME``) and the decisions (its rule ids in the schema's metadata): ``status``,
        ``has_amount`` and ``superseded`` as arrays of the rule set's width, ``amount`` only where a
        row has one (a list per row, in rule order) and the receipts as lists of (``received_at``: rule
        position, ``received``: fen) — most cells hold neither, and bytes written are what a commit
        waits for. Facts that Arrow cannot type are written as each row's JSON instead."""
        at = np.asarray(idx, np.int64)
        every = len(at) == len(self.ids) and bool((at == np.arange(len(at))).all())  # the whole chunk, in order
        facts = self.arrow()
        if facts is None:
            return pa.table({"uscc": pa.array(ids, pa.string()), "kind": pa.array([PROFILE] * len(ids), pa.int8()),
                             "profile": pa.array(self.data(idx), pa.string()),
                             "decisions": pa.array([dumps(self.decisions_data(i), ensure_ascii=False) for i in idx],
                                                   pa.string())})
        width = self.status.shape[1]

        def cells(a: np.ndarray) -> pa.Array:
            flat = np.ascontiguousarray(a if every else a[at]).ravel()
            return pa.FixedSizeListArray.from_arrays(pa.array(flat), width)

        has = self.has_amount if every else self.has_amount[at]
        columns: dict[str, Any] = {"uscc": pa.array(ids, pa.string()), "kind": pa.array(np.full(len(at), ROW, np.int8)),
                                   "status": cells(self.status),
                                   "amount": cell_lists(has, _narrow((self.amount if every else
                                                                      self.amount[at])[has])),
                                   "has_amount": cells(self.has_amount), "superseded": cells(self.superseded)}
        if self.received:  # the few rule positions with receipts, side by side (in rule order)
            held = sorted(self.received)
            full = np.stack([self.received[j] if every else self.received[j][at] for j in held], axis=1)
            got = full != _NO_RECEIPT
            columns["received_at"] = cell_lists(got, np.asarray(held, np.int16)[np.nonzero(got)[1]])
            columns["received"] = cell_lists(got, full[got])
        taken = facts if every else facts.take(pa.array(at))
        fields = [pa.field(name, col.type) for name, col in columns.items()]
        for name, col in zip(taken.column_names, taken.columns):
            field, columns[f"f.{name}"] = _narrow_decimal(f"f.{name}", col)
            fields.append(field)
        return pa.table(columns, schema=pa.schema(fields, metadata={RULE_IDS: dumps(self.rule_ids)}))

    @classmethod
    def of_segment(cls, seg: pa.Table, idx: list[int], ids: list[str], rule_ids: list[str]) -> Rows:
        """The rows at ``idx`` of a store segment (:meth:`segment`, or the earlier layout with every
        cell of ``amount`` and ``received`` written) as a chunk over ``rule_ids`` (the current rule set:
        a rule the segment does not know is absent, one it knows no longer is dropped)."""
        part = seg.take(pa.array(np.asarray(idx, np.int64)))
        names = [c for c in part.column_names if c.startswith("f.")]
        facts = part.select(names).rename_columns([c[2:] for c in names])
        for k, field in enumerate(facts.schema):
            if field.metadata and DECIMAL in field.metadata and pa.types.is_decimal(field.type) \
                    and field.type.bit_width < 128:
                facts = facts.set_column(k, field.name, _widen_decimal(facts.column(k), int(field.metadata[DECIMAL])))
        stored = loads(seg.schema.metadata[RULE_IDS])
        width, n = len(rule_ids), part.num_rows
        here = {r: j for j, r in enumerate(rule_ids)}
        src = np.array([j for j, r in enumerate(stored) if r in here], np.int64)
        dst = np.array([here[r] for r in stored if r in here], np.int64)

        def flat(name: str) -> np.ndarray:
            return part.column(name).combine_chunks().flatten().to_numpy(zero_copy_only=False)

        def placed(full: np.ndarray, fill: Any) -> np.ndarray:  # stored positions -> the current rule set's
            out = np.full((n, width), fill, full.dtype)
            out[:, dst] = full[:, src]
            return out

        def cells(name: str, fill: Any, dtype: Any) -> np.ndarray:
            return placed(flat(name).astype(dtype, copy=False).reshape(n, len(stored)), fill)

        has_stored = flat("has_amount").reshape(n, len(stored))
        if pa.types.is_fixed_size_list(part.schema.field("amount").type):
            amount = np.where(has_stored, flat("amount").astype(np.int64).reshape(n, len(stored)), 0)
        else:
            amount = np.zeros((n, len(stored)), np.int64)
            amount[has_stored] = flat("amount")
        received: dict[int, np.ndarray] = {}
        if "received" in part.column_names:
            if "received_at" in part.column_names:
                got = np.full((n, len(stored)), _NO_RECEIPT, np.int64)
                # a row of a segment compacted with ones without receipts has none (null)
                per_row = pc.fill_null(pc.list_value_length(part.column("received")), 0).to_numpy(zero_copy_only=False)
                got[np.repeat(np.arange(n), per_row), flat("received_at")] = flat("received")
            else:
                got = flat("received").reshape(n, len(stored))
            full = placed(got, _NO_RECEIPT)
            received = {j: full[:, j].copy() for j in np.flatnonzero((full != _NO_RECEIPT).any(axis=0)).tolist()}
        frame = facts.to_pandas(types_mapper=pd.ArrowDtype)
        return cls(frame, ids, cells("status", ABSENT, np.int8), placed(amount, 0),
                   placed(has_stored.astype(bool, copy=False), False), cells("superseded", -1, _winner_type(width)),
                   received, rule_ids, facts)

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


class Places:
    """Where each firm held as a row of a columnar batch is: a slot per firm (the int the watch keeps
    for it) and, per slot, its chunk's number and its row in that chunk, as arrays — so a batch of
    watched firms is placed by array assignment, with no Python object per firm."""

    __slots__ = ("chunk", "row", "chunks", "_next", "_high", "_free")

    def __init__(self) -> None:
        self.chunk = np.full(0, -1, np.int32)  # per slot: its chunk's number (-1: the slot is not in use)
        self.row = np.zeros(0, np.int32)  # per slot: its row in that chunk
        self.chunks: dict[int, Rows] = {}  # the chunks some firm is held in, by number
        self._next = 0  # the next chunk's number
        self._high = 0  # slots ever handed out
        self._free: list[int] = []  # slots given back

    def add(self, rows: Rows) -> int:
        """Keep a chunk; its number."""
        k = self._next
        self.chunks[k] = rows
        self._next += 1
        return k

    def allocate(self, count: int) -> np.ndarray:
        """``count`` slots not in use (given-back ones first), not yet placed."""
        reuse = min(count, len(self._free))
        taken = self._free[len(self._free) - reuse:]
        del self._free[len(self._free) - reuse:]
        start, self._high = self._high, self._high + count - reuse
        if self._high > len(self.chunk):
            size = max(self._high, 2 * len(self.chunk), 1024)
            self.chunk = np.concatenate([self.chunk, np.full(size - len(self.chunk), -1, np.int32)])
            self.row = np.concatenate([self.row, np.zeros(size - len(self.row), np.int32)])
        out = np.concatenate([np.array(taken, np.int64), np.arange(start, self._high, dtype=np.int64)])
        self.chunk[out] = -1
        return out

    def put(self, slots: np.ndarray, k: int) -> None:
        """The firms at ``slots`` are rows 0, 1, … of chunk ``k``."""
        self.chunk[slots] = k
        self.row[slots] = np.arange(len(slots), dtype=np.int32)

    def free(self, slot: int) -> None:
        """Give a slot back (its firm is no longer held as a row)."""
        self.chunk[slot] = -1
        self._free.append(slot)

    def ref(self, slot: int) -> Ref:
        """The row a slot's firm is held in."""
        return Ref(self.chunks[int(self.chunk[slot])], int(self.row[slot]))

    def clear(self) -> None:
        """Hold nothing (every slot given back, every chunk dropped)."""
        self.chunk, self.row = np.full(0, -1, np.int32), np.zeros(0, np.int32)
        self.chunks.clear()
        self._high = 0
        self._free.clear()


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
    # filled rule by rule (each a contiguous line), then laid out row by row once
    status = np.full((width, n), ABSENT, np.int8)
    amount = np.zeros((width, n), np.int64)
    has_amount = np.zeros((width, n), bool)
    superseded = np.full((width, n), -1, _winner_type(width))
    winners: np.ndarray | None = None  # the rule set's position of each rule decided, and -1 (none) last
    received: dict[int, np.ndarray] = {}
    for o in decided.outcomes:
        j = order[o.rule.id]
        status[j] = o.status
        if o.has_amount.any():  # 0 where none: a store keeps only the amounts
            np.greater_equal(o.status, 0, out=has_amount[j])
            has_amount[j] &= o.has_amount
            np.multiply(o.amount, has_amount[j], out=amount[j])
        if o.superseded_by is not None:
            if winners is None:
                winners = np.array([order[r.id] for r in decided.rules] + [-1], superseded.dtype)
            np.take(winners, o.superseded_by, out=superseded[j], mode="wrap")  # -1 takes the last: none
        if o.received is not None and o.received.any():
            got = np.where(o.received_has_amount, o.received_amount, _RECEIVED_TRUE)  # type: ignore[call-overload]
            received[j] = np.where(o.received & (o.status >= 0), got, _NO_RECEIPT).astype(np.int64, copy=False)
    kept = frame[[c for c in frame.columns if c not in set(table.ignored)]] if table.ignored else frame
    return Rows(kept, ids, np.ascontiguousarray(status.T), np.ascontiguousarray(amount.T),
                np.ascontiguousarray(has_amount.T), np.ascontiguousarray(superseded.T), received,
                [r.id for r in rules.rules])


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


def _transition_table() -> np.ndarray:
    """The event code by old and new status code, at ``(old + 1) * 5 + new + 1`` (-1 absent): the
    table of :mod:`.events` on statuses; eligible both times is marked amount_changed, kept only
    where the amount moved."""
    table = np.full((5, 5), -1, np.int8)  # [old + 1, new + 1]
    table[_ELIGIBLE + 1, :] = 1  # was eligible, is not: no_longer_eligible
    table[:, _UNDETERMINED + 1] = 3  # is undetermined, was not: became_undetermined
    table[_UNDETERMINED + 1, _UNDETERMINED + 1] = -1
    table[:, _ELIGIBLE + 1] = 0  # is eligible, was not: newly_eligible
    table[_ELIGIBLE + 1, _ELIGIBLE + 1] = 2
    return table.ravel()


_TRANSITIONS = _transition_table()


def transitions(old_status: np.ndarray, old_amount: np.ndarray, old_has: np.ndarray,
                new_status: np.ndarray, new_amount: np.ndarray, new_has: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The cells (row, rule) with an event, as row-major positions, and each one's code into
    :data:`KINDS`: the table of :mod:`.events` on whole arrays (status -1: absent; an amount
    compared only where both are eligible). Only cells whose status moved or stays eligible are read."""
    old, new = old_status.ravel(), new_status.ravel()
    cells = np.flatnonzero((old != new) | (new == _ELIGIBLE))
    code = _TRANSITIONS[old[cells].astype(np.intp) * 5 + new[cells] + 6]
    both = np.flatnonzero(code == 2)
    at = cells[both]
    had, has = old_has.ravel()[at], new_has.ravel()[at]
    code[both[(had == has) & ~(had & (old_amount.ravel()[at] != new_amount.ravel()[at]))]] = -1
    keep = code >= 0
    return cells[keep], code[keep]


def arrivals(new_status: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`transitions` from nothing (firms new to the watch): newly_eligible where eligible,
    became_undetermined where undetermined."""
    new = new_status.ravel()
    cells = np.flatnonzero((new == _ELIGIBLE) | (new == _UNDETERMINED))
    return cells, np.where(new[cells] == _ELIGIBLE, 0, 3).astype(np.int8)


def same_rows(a: Rows, ai: np.ndarray, b: Rows, bi: np.ndarray) -> np.ndarray:
    """Rows whose decisions are the same in ``a`` at ``ai`` and ``b`` at ``bi`` (every field kept)."""
    same = ((a.status[ai] == b.status[bi]).all(axis=1) & (a.has_amount[ai] == b.has_amount[bi]).all(axis=1)
            & (a.amount[ai] == b.amount[bi]).all(axis=1) & (a.superseded[ai] == b.superseded[bi]).all(axis=1))
    for j in a.received.keys() | b.received.keys():
        ra, rb = a.received.get(j), b.received.get(j)
        same &= (ra[ai] if ra is not None else _NO_RECEIPT) == (rb[bi] if rb is not None else _NO_RECEIPT)
    return same
