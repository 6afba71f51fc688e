"""A columnar batch's events kept as arrays (:class:`BatchEvents`): counted without being made, the
same events once read, logged from the arrays exactly as they read; a store segment's amounts in fen
narrowed where they fit and read back whole either way."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import eligibility as el
from eligibility.reactive import Watcher
from eligibility.reactive.batch_events import BatchEvents, money_text
from eligibility.reactive.columnar import Rows
from eligibility.testing.workload import make_workload


@pytest.fixture(scope="module")
def engine() -> el.Engine:
    return el.Engine(el.load_rules())


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
