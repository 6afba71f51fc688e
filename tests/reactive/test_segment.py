"""A columnar chunk written as a store segment and read back (:meth:`Rows.segment`, :meth:`Rows.of_segment`)
holds the same facts and decisions: decimals written narrower where they fit, sparse cells, receipts."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from eligibility.reactive.columnar import _NO_RECEIPT, _RECEIVED_TRUE, DECIMAL, Rows
from eligibility.store.sqlite import _blob, _table

D = Decimal
DECIMALS = {  # facts column -> its values and the width it is written at
    "small": (pa.decimal128(20, 2), [D("1.50"), None, D("-3.25"), D("9999999.99"), D("-0.01")], pa.decimal32(9, 2)),
    "wide": (pa.decimal128(20, 2), [D("12345678.90"), None, D("-99999999.99"), D("0"), None], pa.decimal64(18, 2)),
    "huge": (pa.decimal128(38, 2), [D("1.00"), D("-1E+20"), None, D("5"), D("0")], pa.decimal128(38, 2)),
    "top": (pa.decimal128(38, 0), [D(10**18), D(1), None, None, D(-1)], pa.decimal128(38, 0)),
    "past64": (pa.decimal128(38, 0), [D(2**64 + 5), D(1), None, D(-(2**64) - 5), D(0)], pa.decimal128(38, 0)),
    "fine": (pa.decimal128(30, 20), [D("0.5"), None, None, None, None], pa.decimal128(30, 20)),
    "nulls": (pa.decimal128(12, 4), [None] * 5, pa.decimal32(9, 4)),
}


def _rows() -> Rows:
    """Five firms on three rules: every kind of cell (absent, a status, an amount, a winner, a receipt
    with an amount, one without)."""
    facts = pa.table({"uscc": pa.array([f"9153{k:014d}" for k in range(5)], pa.string()),
                      **{name: pa.array(values, typ) for name, (typ, values, _) in DECIMALS.items()},
                      "employees": pa.array([3, None, 250, 0, 7], pa.int64())})
    status = np.array([[1, -1, 0], [1, 3, -1], [-1, -1, -1], [2, 1, 0], [0, 0, 1]], np.int8)
    has = np.array([[True, False, False], [True, False, False], [False] * 3, [False, True, False],
                    [False, False, True]])
    amount = np.where(has, np.array([[150000, 0, 0], [-5, 0, 0], [0] * 3, [0, 2**40, 0], [0, 0, 7]]), 0)
    superseded = np.array([[-1, -1, -1], [-1, 0, -1], [-1] * 3, [-1] * 3, [-1] * 3], np.int8)
    received = {2: np.array([_NO_RECEIPT, _NO_RECEIPT, _NO_RECEIPT, 30000, _RECEIVED_TRUE], np.int64)}
    ids = facts.column("uscc").to_pylist()
    return Rows(facts.to_pandas(types_mapper=pd.ArrowDtype), ids, status, amount.astype(np.int64), has, superseded,
                received, ["r.a", "r.b", "r.c"])


@pytest.mark.parametrize("idx", [[0, 1, 2, 3, 4], [4, 1, 3], [2]])
def test_a_segment_reads_back_as_the_rows_it_was_made_of(idx: list[int]) -> None:
    rows = _rows()
    ids = [rows.ids[i] for i in idx]
    seg = _table(_blob(rows.segment(idx, ids)))  # through the store's bytes
    for name, (typ, _, written) in DECIMALS.items():  # widths as the whole chunk's values need them
        field = seg.schema.field(f"f.{name}")
        assert field.type == written or len(idx) < len(rows.ids)
        assert (field.metadata or {}).get(DECIMAL) == (None if field.type == typ else str(typ.precision).encode())
    back = Rows.of_segment(seg, list(range(len(idx))), ids, rows.rule_ids)
    taken = pa.Table.from_pandas(rows.frame, preserve_index=False).take(pa.array(idx))
    assert pa.Table.from_pandas(back.frame, preserve_index=False).equals(taken)
    for name in ("status", "amount", "has_amount", "superseded"):
        assert getattr(back, name).tolist() == getattr(rows, name)[idx].tolist(), name
    assert back.received_cells(np.arange(len(idx))).tolist() == rows.received_cells(np.array(idx)).tolist()
    assert [back.decisions(k) for k in range(len(idx))] == [rows.decisions(i) for i in idx]
