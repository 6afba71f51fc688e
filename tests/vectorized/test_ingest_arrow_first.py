"""The Arrow-first ingest reads an Arrow column exactly as the pandas Series path does, and its
conversion plans, kept per frame shape, serve frames of several shapes on many threads."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eligibility.backends.vectorized import ingest, table_from_frame
from eligibility.backends.vectorized.columns import Deferred
from eligibility.facts.codes.uscc import check_character

USCC = "91110105MA0000000" + check_character("91110105MA0000000")

# (field, Arrow type, values the column may hold): every kind the Arrow-first path reads, with
# values it must leave to the schema (negative or huge amounts and numbers, codes not in the list)
CASES: list[tuple[str, pa.DataType, st.SearchStrategy[Any]]] = [
    ("dishonest_record", pa.bool_(), st.booleans()),
    ("revenue", pa.decimal128(20, 2),
     st.decimals(min_value=-10**6, max_value=10**15, places=2, allow_nan=False, allow_infinity=False)),
    ("total_assets", pa.decimal128(20, 2),
     st.decimals(min_value=-10**6, max_value=10**6, places=2, allow_nan=False, allow_infinity=False)),
    ("total_assets", pa.decimal128(22, 4),
     st.decimals(min_value=-10**6, max_value=10**6, places=4, allow_nan=False, allow_infinity=False)),
    ("total_assets", pa.decimal128(38, 0), st.integers(min_value=-(10**20), max_value=10**20).map(Decimal)),
    ("registered_on", pa.date32(), st.dates(min_value=date(1950, 1, 1), max_value=date(2030, 12, 31))),
    ("employees", pa.int64(), st.integers(min_value=-5, max_value=2**63 - 1)),
    ("benefits_received[].year", pa.int64(), st.integers(min_value=-3, max_value=3000)),
    ("tech_transfer.evaluation_tier", pa.int64(), st.integers(min_value=0, max_value=4)),
    ("tech_transfer.evaluation_tier", pa.int64(), st.integers(min_value=-(2**63), max_value=2**63 - 1)),
    ("power.transformer_kva", pa.int64(), st.integers(min_value=-3, max_value=5000)),
    ("power.transformer_kva", pa.int64(), st.sampled_from([0, 315, 630, 1000, 2**62, 2**63 - 1, -(2**63)])),
    ("hires.min_contract_years", pa.int64(), st.integers(min_value=-2, max_value=40)),
    ("hires.min_contract_years", pa.decimal128(2, 0), st.integers(min_value=-2, max_value=40).map(Decimal)),
    ("power.transformer_kva", pa.decimal128(18, 0),
     st.integers(min_value=-(10**17), max_value=10**17).map(Decimal) | st.integers(-3, 3000).map(Decimal)),
    ("employees", pa.decimal128(6, 0), st.integers(min_value=-5, max_value=5000).map(Decimal)),
    ("tech_transfer.evaluation_tier", pa.decimal128(1, 0), st.integers(min_value=0, max_value=4).map(Decimal)),
    ("hires.min_contract_years", pa.decimal128(4, 1),
     st.decimals(min_value=-2, max_value=50, places=1, allow_nan=False, allow_infinity=False)),
    ("scenario.loan.lpr", pa.decimal128(4, 4),
     st.decimals(min_value=Decimal("-0.9999"), max_value=Decimal("0.9999"), places=4, allow_nan=False, allow_infinity=False)),
    ("scenario.loan.lpr", pa.decimal128(4, 4), st.integers(min_value=-2, max_value=420).map(lambda i: Decimal(i).scaleb(-4))),
    ("scenario.loan.lpr", pa.decimal128(18, 9),
     st.sampled_from([Decimal("0.0345"), Decimal("0.000000001"), Decimal(0), Decimal("-0.5"), Decimal("12.25")])
     | st.decimals(min_value=-10**6, max_value=10**6, places=9, allow_nan=False, allow_infinity=False)),
    ("scenario.loan.lpr", pa.decimal128(6, 0), st.integers(min_value=-3, max_value=3000).map(Decimal)),
    ("ownership", pa.string(), st.sampled_from(["private", "state", "foreign", "wrong", " ", "", "STATE"])),
    ("region_code", pa.string(), st.sampled_from(["110105", "310115", "440300", "12", "abcdef", " 110105 ", ""])),
    ("name", pa.string(), st.text(max_size=6)),
]


# a value left in the data buffer under a null (Arrow does not say what is there)
UNDER_NULL = {pa.bool_(): True, pa.int64(): 7, pa.date32(): date(2000, 1, 1)}


def _column(typ: pa.DataType, values: list[Any], chunks: int, offset: int) -> pa.Array | pa.ChunkedArray:
    """``values`` as an Arrow column: sliced (its buffers start before it), in ``chunks`` chunks, with
    a value under its nulls where the type has fixed-width data."""
    arr = pa.array([None] * offset + values, typ)
    under = UNDER_NULL.get(typ, Decimal(3).scaleb(-typ.scale) if pa.types.is_decimal(typ) else None)
    if under is not None and arr.null_count:
        data = pc.fill_null(arr, pa.scalar(under, typ)).buffers()[1]
        arr = pa.Array.from_buffers(typ, len(arr), [arr.buffers()[0], data])
    arr = arr.slice(offset)
    if chunks == 1 or len(values) < chunks:
        return arr
    cut = np.linspace(0, len(values), chunks + 1).astype(int)
    return pa.chunked_array([arr.slice(a, b - a) for a, b in zip(cut[:-1], cut[1:])], typ)


def _same(a: Any, b: Any) -> bool:
    if type(a) is Deferred or type(b) is Deferred:
        a = a.build() if type(a) is Deferred else a
        b = b.build() if type(b) is Deferred else b
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.dtype == b.dtype and a.shape == b.shape and a.tolist() == b.tolist()
    return bool(a == b) if a is not None and b is not None else a is b


def _leaf_fields(leaf: Any) -> list[Any]:
    cats = leaf.cats if leaf.cats is None else list(leaf.cats)
    return [leaf.kind, leaf.val, leaf.present, leaf.scale, cats, leaf.absent]


def _assert_same_leaf(fast: Any, series: Any) -> None:
    got, want = _leaf_fields(fast), _leaf_fields(series)
    assert got[0] == want[0] and got[3] == want[3]
    assert _same(got[1], want[1]) and _same(got[2], want[2]) and _same(got[5], want[5])
    assert (got[4] is None) == (want[4] is None)
    if got[4] is not None:
        assert _same(got[4][0], want[4][0]) and _same(got[4][1], want[4][1])


@pytest.mark.parametrize("case", range(len(CASES)), ids=[f"{p}-{t}" for p, t, _ in CASES])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), chunks=st.sampled_from([1, 3]), offset=st.sampled_from([0, 5]),
       all_null=st.sampled_from([False, False, False, True]))
def test_the_arrow_first_path_reads_a_column_as_the_series_path(data: st.DataObject, case: int, chunks: int,
                                                                 offset: int, all_null: bool) -> None:
    path, typ, values = CASES[case]
    cells = [None] * data.draw(st.integers(0, 12)) if all_null else \
        data.draw(st.lists(st.one_of(st.none(), values), max_size=40))
    if typ == pa.int64():
        cells = [v if v is None or -(2**63) <= v < 2**63 else None for v in cells]
    column = _column(typ, cells, chunks, offset)
    series = pd.Series(pd.array(column, dtype=pd.ArrowDtype(typ)))
    errors, expected_errors = ingest._Errors(len(cells)), ingest._Errors(len(cells))
    got = ingest.convert_leaf(path, series, errors)
    want = ingest._series_leaf(path, series, expected_errors)
    _assert_same_leaf(got, want)
    assert errors.rows == expected_errors.rows


@settings(max_examples=30, deadline=None)
@given(cells=st.lists(st.one_of(st.none(), st.booleans()), max_size=30), offset=st.sampled_from([0, 3]))
def test_an_arrow_record_column_gives_the_flags_of_the_series_path(cells: list[Any], offset: int) -> None:
    column = _column(pa.bool_(), cells, 1, offset)
    flags = ingest._fast_flags(column)
    errors = ingest._Errors(len(cells))
    want = ingest._record_flags("registers", pd.Series(pd.array(column, dtype=pd.ArrowDtype(pa.bool_()))), errors)
    assert flags.dtype == want.dtype and flags.tolist() == want.tolist() and not errors.rows


def _frame_a(n: int) -> pd.DataFrame:
    """An Arrow-typed frame (as a register reader gives it)."""
    return pd.DataFrame({
        "uscc": pd.array([USCC] * n, dtype=pd.ArrowDtype(pa.string())),
        "employees": pd.array([i % 7 - 1 for i in range(n)], dtype=pd.ArrowDtype(pa.int64())),
        "revenue": pd.array([Decimal(i) / 4 for i in range(n)], dtype=pd.ArrowDtype(pa.decimal128(20, 2))),
        "ownership": pd.array(["private", "wrong", None][: n] * (n // 3) + ["state"] * (n % 3),
                              dtype=pd.ArrowDtype(pa.string())),
        "dishonest_record": pd.array([i % 2 == 0 for i in range(n)], dtype=pd.ArrowDtype(pa.bool_())),
    })


def _frame_b(n: int) -> pd.DataFrame:
    """The same column names with other types (plain pandas), and one more column."""
    return pd.DataFrame({
        "uscc": [USCC] * n,
        "employees": [str(i % 5) for i in range(n)],
        "revenue": [f"{i}.5" for i in range(n)],
        "ownership": ["state", "bad", ""][: n] * (n // 3) + ["state"] * (n % 3),
        "dishonest_record": ["是", "否", "maybe"][: n] * (n // 3) + ["是"] * (n % 3),
        "registered_on": ["2020-01-02"] * n,
    }, dtype=object)


def _fingerprint(table: Any) -> list[Any]:
    cols = []
    for path, col in sorted(table.cols.items()):
        val = col.val
        cols.append((path, col.kind, np.asarray(col.known).tolist(), np.asarray(col.null).tolist(),
                     np.asarray(val).astype(str).tolist()))
    errors = {p: (rows.tolist(), texts.tolist()) for p, (rows, texts) in table.field_errors.items()}
    return [list(table.error), errors, cols, table.ignored]


def _series_only(frame: pd.DataFrame, start: int, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The table as the pandas Series path alone reads the frame (no Arrow-first converter)."""
    with monkeypatch.context() as m:
        m.setattr(ingest, "_fast_for", lambda path, typ: None)
        m.setattr(ingest, "_fast_flags", lambda arr: ingest._record_flags(
            "registers", pd.Series(pd.array(arr, dtype=pd.ArrowDtype(arr.type))), ingest._Errors(len(arr))))
        m.setattr(ingest, "_PLANS", {})
        return _fingerprint(table_from_frame(frame, start))


def test_a_frame_of_another_shape_gets_its_own_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    """Frames with the same column names but other types (and another column) after one another:
    each is read by the plan of its own shape, as the Series path reads it."""
    monkeypatch.setattr(ingest, "_PLANS", {})
    a, b = _frame_a(9), _frame_b(9)
    want_a, want_b = _series_only(a, 1, monkeypatch), _series_only(b, 1, monkeypatch)
    got = [_fingerprint(table_from_frame(f, 1)) for f in (a, b, a, b)]
    assert got == [want_a, want_b, want_a, want_b]
    assert len(ingest._PLANS) == 2
    assert "employees: " in str(want_a[1]) and "ownership: " in str(want_b[1])  # the refusals are there


def test_the_plans_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest, "_PLANS", {})
    monkeypatch.setattr(ingest, "_PLANS_MAX", 2)
    frames = [_frame_a(3), _frame_b(3), _frame_a(3).drop(columns="revenue")]
    first = [_fingerprint(table_from_frame(f, 1)) for f in frames]
    assert len(ingest._PLANS) == 1  # full at the third shape: forgotten, then the third kept
    assert [_fingerprint(table_from_frame(f, 1)) for f in frames] == first


def test_frames_of_two_shapes_on_eight_threads_read_as_one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plans are made and shared under a lock: eight threads ingesting frames of two shapes at once
    (their plans made while the others read them) give what each frame gives alone."""
    frames = [_frame_a(30), _frame_b(30), _frame_a(7), _frame_b(12)]
    alone = [_fingerprint(table_from_frame(f, 1)) for f in frames]
    monkeypatch.setattr(ingest, "_PLANS", {})
    monkeypatch.setattr(ingest, "_PLANS_MAX", 3)  # forgotten often while the others read
    results: dict[int, list[bool]] = {k: [] for k in range(8)}
    barrier = threading.Barrier(8)

    def work(k: int) -> None:
        barrier.wait()
        for j in range(12):
            i = (k + j) % len(frames)
            results[k].append(_fingerprint(table_from_frame(frames[i], 1)) == alone[i])

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(len(r) == 12 and all(r) for r in results.values())


def test_accepted_numbers_are_remembered_by_their_exact_spelling() -> None:
    """An accepted int or Decimal is remembered like an accepted text, keyed by its exact spelling:
    Decimal("2.50") and Decimal("2.5"), or 1 and True, never answer for each other."""
    ingest._MEMO.accepted.clear()
    path = "hires.min_contract_years"
    for value in (Decimal("2.50"), Decimal("2.5"), 3, Decimal("3")):
        assert ingest._validated(path, value) == ingest.validate_value(path, value)
    assert str(ingest._validated(path, Decimal("2.50"))[0]) == str(ingest.validate_value(path, Decimal("2.50"))[0])
    assert str(ingest._validated(path, Decimal("2.5"))[0]) == str(ingest.validate_value(path, Decimal("2.5"))[0])
    assert len([k for k in ingest._MEMO.accepted if k[0] == path]) == 4
    assert ingest._memo_key(path, True) is None and ingest._memo_key(path, 10**40) is None
    refused = ingest._validated("employees", -1)
    assert refused[1] is not None and ("employees", ("int", "-1")) not in ingest._MEMO.accepted


def test_a_seed_is_remembered_per_field_and_type_and_the_memo_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """A coded column's seed answers again only for the same field, Arrow type and texts."""
    monkeypatch.setattr(ingest, "_SEEDS_KEPT", 2)
    ingest._MEMO.seeds.clear()
    texts = ["private", "wrong", None, "state", "private"]

    def read(path: str, typ: pa.DataType) -> Any:
        errors = ingest._Errors(len(texts))
        leaf = ingest._seeded_text(path, pa.array(texts, typ), errors)
        return leaf if leaf is None else (leaf.cats[0].tolist(), leaf.cats[1].tolist(), leaf.present.tolist(),
                                          errors.rows)

    first = read("ownership", pa.string())
    assert first is not None and first[1] == ["private", "state", None] and list(first[3]) == [1]  # None: refused
    assert read("ownership", pa.large_string()) == first  # its own entry: the lookup set has its type
    assert read("region_code", pa.string()) is None  # none of these texts is a region code
    assert len(ingest._MEMO.seeds) <= 2
    assert read("ownership", pa.string()) == first


def test_a_frame_without_the_block_manager_read_reads_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """The columns are taken from pandas' block manager (its public routes cost a table per frame);
    with that accessor gone (another pandas), the frame is read through its Series, to the same table."""
    frames = [_frame_a(11), _frame_b(11)]
    want = [_fingerprint(table_from_frame(f, 1)) for f in frames]
    manager = type(frames[0]._mgr)
    assert hasattr(manager, "iget_values")  # else this pandas already takes the fallback everywhere
    monkeypatch.delattr(manager, "iget_values")
    monkeypatch.setattr(ingest, "_PLANS", {})
    assert [_fingerprint(table_from_frame(f, 1)) for f in frames] == want
