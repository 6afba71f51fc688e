"""The ingest paths that read Arrow buffers directly (USCC bytes, bitmaps of slices, blank texts from
offsets, list items as they lie, records assembled with their removals) read a column exactly as the
slower routes do: an object column, Arrow compute, or the profile one row at a time."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eligibility.backends.vectorized import ingest, table_from_frame
from eligibility.backends.vectorized.columns import EPOCH_ORDINAL
from eligibility.facts.codes.uscc import check_character
from eligibility.facts.flatten import UNKNOWN
from eligibility.facts.frame import row_to_profile
from eligibility.facts.profile import Profile

BASES = ["9153080200MA6K8XY", "91110105MA0000000", "92152921MA0000012", "12100000400000624"]
VALID = [b + check_character(b) for b in BASES]
MESSY = [VALID[0][:-1] + ("0" if VALID[0][-1] != "0" else "1"), VALID[1].lower(), f" {VALID[2]}", VALID[3] + " ",
         VALID[0][:-1], VALID[1] + "1", "", "   ", VALID[2][:-1] + "中", "９" + VALID[3][1:], "I" * 18, "O" * 18]

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _chunked(arr: pa.Array, chunks: int) -> pa.ChunkedArray:
    cut = np.linspace(0, len(arr), chunks + 1).astype(int)
    return pa.chunked_array([arr.slice(a, b - a) for a, b in zip(cut[:-1], cut[1:])], arr.type)


def _arrow_column(values: list[Any], typ: pa.DataType, offset: int, chunks: int) -> pd.Series:
    """``values`` as an Arrow column of ``typ``: sliced ``offset`` rows into its buffers, in ``chunks``."""
    arr = pa.array([values[0] if values else None] * offset + values, typ).slice(offset)
    data = _chunked(arr, chunks) if chunks > 1 and len(values) >= chunks else arr
    return pd.Series(pd.arrays.ArrowExtensionArray(data))


def _uscc_view(table: Any) -> list[Any]:
    col = table.col("uscc")
    known = np.broadcast_to(col.known, (table.n,))
    return [list(table.error), [v if k else None for v, k in zip(col.val.tolist(), known.tolist())],
            list(table.entity), {p: (r.tolist(), t.tolist()) for p, (r, t) in table.field_errors.items()}]


@SETTINGS
@given(values=st.lists(st.sampled_from([*VALID, *MESSY, None]), max_size=30), offset=st.sampled_from([0, 3]),
       chunks=st.sampled_from([1, 3]), valid_only=st.booleans())
def test_a_uscc_column_in_arrow_reads_as_the_object_column(values: list[Any], offset: int, chunks: int,
                                                           valid_only: bool) -> None:
    """Valid as written (read from the bytes, kept in Arrow) or not (normalised or refused by the
    schema): errors, values and entity ids as an object column gives them."""
    if valid_only:
        values = [VALID[i % len(VALID)] for i in range(len(values))]
    arrow = table_from_frame(pd.DataFrame({"uscc": _arrow_column(values, pa.string(), offset, chunks)}))
    plain = table_from_frame(pd.DataFrame({"uscc": pd.Series(values, dtype=object)}))
    assert _uscc_view(arrow) == _uscc_view(plain)


def test_uscc_pairs_check_every_character_and_the_check_character() -> None:
    """The two-character tables accept exactly the USCCs whose check character is right."""
    rows = [*VALID, *(v[:i] + c + v[i + 1:] for v in VALID for i in range(18) for c in "0AIOZa ")]
    data = np.frombuffer("".join(r for r in rows if len(r.encode()) == 18).encode(), np.uint8)
    kept = [r for r in rows if len(r.encode()) == 18]
    got = ingest._uscc_checked(data).tolist()
    chars = set("0123456789ABCDEFGHJKLMNPQRTUWXY")
    want = [set(r) <= chars and check_character(r[:17]) == r[17] for r in kept]
    assert got == want and any(want) and not all(want)


TEXTS = st.sampled_from(["", " ", "\t", "\u3000", "\u00a0", "a", " a ", "开发区", "\n \n", "x" * 30, None])


@SETTINGS
@given(values=st.lists(TEXTS, max_size=30), start=st.integers(0, 9), large=st.booleans())
def test_blank_texts_from_the_offsets_are_arrows_blanks(values: list[Any], start: int, large: bool) -> None:
    """Null, empty or only whitespace (Unicode spaces too), for a slice of a column."""
    arr = pa.array(values, pa.large_string() if large else pa.string()).slice(min(start, len(values)))
    want = pc.fill_null(pc.or_(pc.equal(pc.binary_length(arr), 0), pc.utf8_is_space(arr)), True)
    assert ingest._blank(arr).tolist() == want.to_pylist()


@SETTINGS
@given(values=st.lists(st.one_of(st.none(), st.booleans()), max_size=70), start=st.integers(0, 17),
       length=st.integers(0, 70))
def test_bits_of_a_slice_are_its_values_and_validity(values: list[Any], start: int, length: int) -> None:
    arr = pa.array(values, pa.bool_()).slice(min(start, len(values)), length)
    if arr.null_count == len(arr):
        return
    assert ingest._valid_of(arr).tolist() == [v is not None for v in arr.to_pylist()]
    bits = ingest._bits(arr.buffers()[1], arr.offset, len(arr))
    assert [b for b, v in zip(bits.tolist(), arr.to_pylist()) if v is not None] == \
        [v for v in arr.to_pylist() if v is not None]


CERT = pa.struct([("kind", pa.string()), ("certified_on", pa.date32())])


def _list_with_items_under_nulls(rows: list[list[dict[str, Any]] | None], hidden: int) -> pa.ListArray:
    """``rows`` as a list column whose null lists still hold ``hidden`` items each in the buffers (Arrow
    allows it; they are not the firm's)."""
    filler = {"kind": "high_tech", "certified_on": date(2001, 1, 1)}
    items = [item for r in rows for item in (r if r is not None else [filler] * hidden)]
    lengths = [len(r) if r is not None else hidden for r in rows]
    offsets = pa.array(np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32))
    valid = pa.array([r is not None for r in rows])
    return pa.ListArray.from_buffers(pa.list_(CERT), len(rows), [valid.buffers()[1], offsets.buffers()[1]],
                                     children=[pa.array(items, CERT)])


ITEM = st.fixed_dictionaries({"kind": st.sampled_from(["high_tech", "tech_sme", "wrong", None]),
                              "certified_on": st.none() | st.dates(date(2015, 1, 1), date(2025, 1, 1))})


def _lists_view(table: Any) -> list[Any]:
    lst = table.lists["certifications"]
    return [lst.offsets.tolist(), np.broadcast_to(lst.known, (table.n,)).tolist(),
            {k: (np.broadcast_to(c.known, (lst.size,)).tolist(), np.broadcast_to(c.val, (lst.size,)).tolist())
             for k, c in sorted(lst.items.items()) if k in CERT.names},
            _errors(table)]


def _errors(table: Any) -> list[Any]:
    out = list(table.error)
    for rows, texts in table.field_errors.values():
        for i, text in zip(rows.tolist(), texts.tolist()):
            out[i] = text if out[i] is None else f"{out[i]}; {text}"
    return out


@SETTINGS
@given(rows=st.lists(st.none() | st.lists(ITEM, max_size=3), min_size=1, max_size=12), start=st.integers(0, 3),
       chunks=st.sampled_from([1, 2]))
def test_list_items_taken_as_they_lie_read_as_the_flattened_items(rows: list[Any], start: int, chunks: int) -> None:
    """A list column's items are read from its child array where they lie (a slice of it); where a
    null list holds items in the buffers, they are left out (Arrow's flatten): both read the same."""
    start = min(start, len(rows) - 1)
    n = len(rows) - start
    uscc = [VALID[i % len(VALID)] for i in range(n)]

    def table(arr: pa.Array) -> Any:
        data = _chunked(arr, chunks) if chunks > 1 and n >= chunks else arr
        return table_from_frame(pd.DataFrame({"uscc": uscc, "certifications": pd.arrays.ArrowExtensionArray(data)}))

    plain = pa.array(rows, pa.list_(CERT)).slice(start)  # null lists empty: the items as they lie
    hidden = _list_with_items_under_nulls(rows, 2).slice(start)
    assert _lists_view(table(hidden)) == _lists_view(table(plain))
    assert _lists_view(table(plain))[0][-1] == sum(len(r) for r in rows[start:] if r is not None)


# -- records: removals by their flag, values under them, presumptions --------------------------------
AMOUNTS = st.decimals(0, 10**6, places=2, allow_nan=False, allow_infinity=False)
RECORD_COLUMNS: dict[str, tuple[pa.DataType, st.SearchStrategy[Any]]] = {
    "registers": (pa.bool_(), st.booleans()),
    "registers.above_scale_industrial": (pa.bool_(), st.booleans()),
    "registers.above_scale_industrial.entered_on": (pa.date32(), st.dates(date(2018, 1, 1), date(2024, 1, 1))),
    "registers.above_scale_industrial.left_on": (pa.date32(), st.dates(date(2018, 1, 1), date(2024, 1, 1))),
    "registers.above_scale_industrial.first_entry": (pa.bool_(), st.booleans()),
    "registers.above_quota_trade.basis": (pa.string(), st.sampled_from(["month", "year", "wrong", " "])),
    "taxes_due": (pa.bool_(), st.booleans()),
    "taxes_due.stamp": (pa.decimal128(20, 2), AMOUNTS),
    "taxes_due.property": (pa.decimal128(20, 2), AMOUNTS),
    "scenario.guarantee": (pa.bool_(), st.booleans()),
    "scenario.guarantee.term_years": (pa.decimal128(1, 0), st.integers(1, 5).map(Decimal)),
}


def _fact(col: Any, i: int) -> Any:
    """Row ``i`` of a table column as a flat fact: UNKNOWN, None (known empty) or the value."""

    def at(x: Any) -> Any:
        return x if np.ndim(x) == 0 else x[i]

    if not bool(at(col.known)):
        return UNKNOWN
    if bool(at(col.null)):
        return None
    value = at(col.val)
    if col.kind == "date":
        return date.fromordinal(int(value) + EPOCH_ORDINAL)
    if col.kind == "int":
        return Decimal(int(value)).scaleb(-col.scale)
    return value.item() if isinstance(value, np.generic) else value


@SETTINGS
@given(data=st.data(), columns=st.sets(st.sampled_from(sorted(RECORD_COLUMNS)), min_size=1),
       offset=st.sampled_from([0, 2]))
def test_records_and_the_values_under_them_are_the_profiles_facts(data: st.DataObject, columns: set[str],
                                                                   offset: int) -> None:
    """Each row's record flags and the values under them (given, blanked under a record removed by
    its flag, presumed) are the flat facts of that row's profile, one row at a time; where a fact is
    unknown or empty its column holds the filler."""
    n = data.draw(st.integers(1, 12))
    names = sorted(columns)
    cells = {c: data.draw(st.lists(st.none() | RECORD_COLUMNS[c][1], min_size=n, max_size=n)) for c in names}
    uscc = [VALID[i % len(VALID)] for i in range(n)]
    frame = pd.DataFrame({"uscc": uscc, **{c: _arrow_column(cells[c], RECORD_COLUMNS[c][0], offset, 1) for c in names}})
    table = table_from_frame(frame)
    for i in range(n):
        row = {"uscc": uscc[i], **{c: cells[c][i] for c in names}}
        errors = _errors(table)[i]
        try:
            facts = Profile.from_data(row_to_profile(row)).facts().values
        except Exception:  # noqa: BLE001 - a value the schema refuses: that row has its field error
            assert errors is not None
            continue
        for path in ("registers", "registers.above_scale_industrial", *RECORD_COLUMNS):
            if errors is not None and path in errors:
                continue
            col = table.col(path)
            want = facts.get(path, UNKNOWN)
            got = _fact(col, i)
            assert got is want if want is UNKNOWN or want is None else got == want, (path, i, row)
            if got is UNKNOWN or got is None:  # the filler stands there (operations never read a stray value)
                assert (col.val if np.ndim(col.val) == 0 else col.val[i]) == {"str": "", "bool": False}.get(col.kind, 0)
