"""A columnar batch's events kept as arrays (:class:`BatchEvents`): counted without being made, the
same events once read, logged from the arrays exactly as they read; a store segment's amounts in fen
narrowed where they fit and read back whole either way; its amounts and receipts written only where
a cell has one, read back as they were (and the earlier layout, every cell written, read too)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

import eligibility as el
from eligibility.reactive import Watcher
from eligibility.reactive.batch_events import BatchEvents, money_text
from eligibility.reactive.columnar import _NO_RECEIPT, _RECEIVED_TRUE, KINDS, STATUSES, Rows, arrivals, transitions
from eligibility.reactive.events import transition
from eligibility.results import Status
from eligibility.testing.workload import make_workload


@pytest.fixture(scope="module")
def wl() -> Any:
    return make_workload(150, 60)


@given(st.lists(st.tuples(st.integers(-2**63, 2**63 - 1), st.booleans()), max_size=40))
def test_money_text_writes_fen_as_decimal_does(cells: list[tuple[int, bool]]) -> None:
    fen = np.array([c[0] for c in cells], np.int64)
    has = np.array([c[1] for c in cells], bool)
    assert money_text(fen, has).to_pylist() == [str(Decimal(v).scaleb(-2)) if h else None for v, h in cells]


def test_events_are_counted_then_made_the_same_as_one_by_one(engine: el.Engine, wl: Any) -> None:
    events = Watcher(engine, as_of=wl.as_of).upsert_many(el.to_frame(wl.firms))
    assert isinstance(events, BatchEvents)
    count = len(events)  # from the arrays: nothing made yet
    assert events._events is None
    ref = Watcher(engine, as_of=wl.as_of)
    expected = [ev for firm in wl.firms for ev in ref.upsert(firm)]
    assert count == len(expected) > 0
    assert [ev.key() for ev in events] == [ev.key() for ev in expected]
    assert events == expected and events[0] == expected[0] and events[-2:] == expected[-2:]
    assert [*[], *events] == expected and [] + events == expected and events + [] == expected
    assert [ev.superseded_by for ev in events] == [ev.superseded_by for ev in expected]


def test_the_log_is_written_from_the_arrays_as_the_events_read(engine: el.Engine, wl: Any, tmp_path: Path) -> None:
    with Watcher(engine, as_of=wl.as_of, store=tmp_path / "w.sqlite") as w:
        first = w.upsert_many(el.to_frame(wl.firms[:100]))
        changed = [{**f, "employees": f.get("employees", 0) + 7, "revenue": Decimal("123456789.05")}
                   for f in wl.firms[50:120]]
        second = w.upsert_many(el.to_frame(changed))
        logged = w.log()
        events = [*first, *second]
        assert len(logged) == len(events) > len(first) > 0
        assert [(e.seq, e.entity_id, e.rule_id, e.kind, e.old_status, e.new_status, e.old_amount, e.new_amount)
                for e in logged] == [
            (ev.seq, ev.entity_id, ev.rule_id, ev.kind.value, ev.status_before and ev.status_before.value,
             ev.status_after and ev.status_after.value, ev.amount_before, ev.amount_after) for ev in events]
        assert [e.seq for e in logged] == list(range(1, len(logged) + 1))


def _rows(amount: np.ndarray) -> Rows:
    n, width = amount.shape
    frame = pd.DataFrame({"uscc": [f"firm{i}" for i in range(n)]})
    return Rows(frame, list(frame["uscc"]), np.ones((n, width), np.int8), amount, np.ones((n, width), bool),
                np.full((n, width), -1, np.int8), {}, [f"r{j}" for j in range(width)])


@pytest.mark.parametrize("top", [2**31 - 1, 2**31, -2**31, -2**31 - 1, 10**15])
def test_segment_amounts_come_back_whole(top: int) -> None:
    amount = np.array([[0, 5, top], [-7, 120_000, 1]], np.int64)
    rows = _rows(amount)
    for idx in ([0, 1], [1]):
        ids = [rows.ids[i] for i in idx]
        seg = rows.segment(idx, ids)
        narrow = int(np.iinfo(np.int32).min) <= amount[idx].min() and amount[idx].max() <= int(np.iinfo(np.int32).max)
        assert seg.column("amount").type.value_type.bit_width == (32 if narrow else 64)
        back = Rows.of_segment(seg, list(range(len(idx))), ids, rows.rule_ids)
        assert back.amount.dtype == np.int64
        assert back.amount.tolist() == amount[idx].tolist()


def _decided(seed: int, n: int = 30, width: int = 6) -> Rows:
    """Rows with amounts where some cells have one (0 elsewhere, as decided) and receipts on two rules."""
    rng = np.random.default_rng(seed)
    has = rng.random((n, width)) < 0.3
    amount = np.where(has, rng.integers(-10**12, 10**12, (n, width)), 0)
    status = rng.integers(-1, 4, (n, width)).astype(np.int8)
    received = {1: np.where(rng.random(n) < 0.4, rng.integers(0, 10**9, n), _NO_RECEIPT),
                4: np.where(rng.random(n) < 0.2, _RECEIVED_TRUE, _NO_RECEIPT)}
    frame = pd.DataFrame({"uscc": [f"firm{i}" for i in range(n)]})
    return Rows(frame, list(frame["uscc"]), status, amount, has, rng.integers(-1, width, (n, width)).astype(np.int8),
                received, [f"r{j}" for j in range(width)])


def _same(a: Rows, b: Rows) -> None:
    assert a.status.tolist() == b.status.tolist() and a.superseded.tolist() == b.superseded.tolist()
    assert a.has_amount.tolist() == b.has_amount.tolist() and a.amount.tolist() == b.amount.tolist()
    every = np.arange(len(a.ids))
    assert a.received_cells(every).tolist() == b.received_cells(every).tolist()


@pytest.mark.parametrize("seed", range(4))
def test_a_segment_keeps_only_the_cells_with_an_amount_or_receipt(seed: int) -> None:
    rows = _decided(seed)
    idx = [3, 0, 7, 7, 12, 29]
    ids = [rows.ids[i] for i in idx]
    seg = rows.segment(idx, ids)
    assert len(seg.column("amount").combine_chunks().flatten()) == int(rows.has_amount[idx].sum())
    got = sum((rows.received[j][idx] != _NO_RECEIPT).sum() for j in rows.received)
    assert len(seg.column("received").combine_chunks().flatten()) == got
    back = Rows.of_segment(seg, list(range(len(idx))), ids, rows.rule_ids)
    _same(back, rows.take(np.array(idx), ids))
    # a rule set with a rule added in front and r4 gone: the stored cells follow their rules
    later = ["new", *[r for r in rows.rule_ids if r != "r4"]]
    moved = Rows.of_segment(seg, [1, 4], [ids[1], ids[4]], later)
    assert moved.status[:, 0].tolist() == [-1, -1]
    assert moved.amount[:, 1:].tolist() == np.delete(rows.amount[[0, 12]], 4, axis=1).tolist()
    receipts = moved.received_cells(np.arange(2))
    assert receipts[:, 2].tolist() == rows.received[1][[0, 12]].tolist()
    assert (np.delete(receipts, 2, axis=1) == _NO_RECEIPT).all()


def test_a_segment_of_the_earlier_layout_reads_the_same() -> None:
    """Format 3 files written before: every cell of ``amount`` and ``received`` (amounts not zeroed where none)."""
    rows = _decided(9)
    n, width = rows.status.shape
    idx = list(range(n))
    seg = rows.segment(idx, rows.ids)
    junk = np.where(rows.has_amount, rows.amount, 777)

    def cells(a: np.ndarray) -> pa.Array:
        return pa.FixedSizeListArray.from_arrays(pa.array(np.ascontiguousarray(a).ravel()), width)

    earlier = (seg.drop_columns(["amount", "received", "received_at"])
               .append_column("amount", cells(junk)).append_column("received", cells(rows.received_cells(np.arange(n))))
               .replace_schema_metadata(seg.schema.metadata))
    _same(Rows.of_segment(earlier, idx, rows.ids, rows.rule_ids), rows)


def test_a_segment_writes_decimal_facts_narrower_and_reads_them_back_as_they_were() -> None:
    """Amounts of up to 9 and 18 digits are written in 4 and 8 bytes; larger ones, and other types, as
    they are; read back, every column has its type and values again (nulls kept, a chunk's offset too)."""
    small = [Decimal("1.25"), None, Decimal("-3.00"), Decimal("9999999.99")]
    large = [Decimal("123456789012.34"), Decimal("-1.00"), None, Decimal("0.01")]
    huge = [Decimal("12345678901234567890.12"), None, Decimal("1.00"), Decimal("2.00")]
    rate = [Decimal("0.0345"), None, None, Decimal("0.0001")]
    table = pa.table({"uscc": pa.array([f"firm{i}" for i in range(4)]),
                      "revenue": pa.array(small, pa.decimal128(20, 2)),
                      "total_assets": pa.array(large, pa.decimal128(20, 2)),
                      "taxable_income": pa.array(huge, pa.decimal128(22, 2)),
                      "lpr": pa.array(rate, pa.decimal128(4, 4))})
    frame = table.to_pandas(types_mapper=pd.ArrowDtype)
    n, width = 4, 2
    rows = Rows(frame, list(frame["uscc"]), np.zeros((n, width), np.int8), np.zeros((n, width), np.int64),
                np.zeros((n, width), bool), np.full((n, width), -1, np.int8), {}, ["r0", "r1"])
    for idx, widths in (([0, 1, 2, 3], [32, 64, 128, 32]), ([3, 1], [32, 32, 32, 32])):
        ids = [rows.ids[i] for i in idx]
        seg = rows.segment(idx, ids)
        assert [seg.schema.field(f"f.{c}").type.bit_width
                for c in ("revenue", "total_assets", "taxable_income", "lpr")] == widths
        back = Rows.of_segment(seg, list(range(len(idx))), ids, rows.rule_ids)
        assert back.arrow().schema == table.schema
        assert back.arrow().equals(table.take(pa.array(idx)))
        assert back.frame.dtypes.tolist() == frame.dtypes.tolist()


def test_a_segment_compacted_with_one_without_receipts_reads_none_there() -> None:
    """Compaction unifies segments by column: rows of a segment that had no receipts come back with
    none (their receipt lists are null), the others with theirs."""
    with_receipts = _decided(3)
    n = len(with_receipts.ids)
    without = Rows(with_receipts.frame, with_receipts.ids, with_receipts.status, with_receipts.amount,
                   with_receipts.has_amount, with_receipts.superseded, {}, with_receipts.rule_ids)
    idx = list(range(n))
    whole = pa.concat_tables([without.segment(idx, without.ids), with_receipts.segment(idx, with_receipts.ids)],
                             promote_options="permissive")
    back = Rows.of_segment(whole, list(range(2 * n)), without.ids + with_receipts.ids, with_receipts.rule_ids)
    every = np.arange(n)
    assert (back.received_cells(every) == _NO_RECEIPT).all()
    assert back.received_cells(every + n).tolist() == with_receipts.received_cells(every).tolist()


_STATUS = st.integers(-1, 3)
_CELL = st.tuples(_STATUS, st.integers(-3, 3), st.booleans(), _STATUS, st.integers(-3, 3), st.booleans())


@given(st.integers(1, 4), st.lists(_CELL, min_size=1, max_size=48))
def test_transitions_on_arrays_are_the_event_table_cell_by_cell(width: int, cells: list[tuple[Any, ...]]) -> None:
    """Every cell's event from the arrays (row-major positions and codes) is :func:`transition` on its
    old and new status and amount (status -1: absent; an amount only where it has one)."""
    cells = cells[:len(cells) // width * width] or cells[:1] * width
    old_s, old_a, old_h, new_s, new_a, new_h = (np.array(col).reshape(-1, width) for col in zip(*cells))
    at, code = transitions(old_s.astype(np.int8), old_a.astype(np.int64), old_h, new_s.astype(np.int8),
                           new_a.astype(np.int64), new_h)
    got = dict(zip(at.tolist(), [KINDS[c] for c in code.tolist()]))
    assert at.tolist() == sorted(got)

    def status(code: int) -> Status | None:
        return None if code < 0 else STATUSES[code]

    want = {k: kind for k, (s0, a0, h0, s1, a1, h1) in enumerate(cells)
            if (kind := transition(status(s0), Decimal(a0) if h0 else None, status(s1), Decimal(a1) if h1 else None))}
    assert got == want
    arrived, codes = arrivals(new_s.astype(np.int8))
    assert dict(zip(arrived.tolist(), [KINDS[c] for c in codes.tolist()])) == {
        k: kind for k, (_, _, _, s1, a1, h1) in enumerate(cells)
        if (kind := transition(None, None, status(s1), Decimal(a1) if h1 else None))}
