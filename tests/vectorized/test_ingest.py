"""Column-wise ingest refuses and accepts exactly what the profile schema does."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eligibility.backends.vectorized import table_from_frame
from eligibility.errors import ProfileError
from eligibility.facts.codes.uscc import check_character
from eligibility.facts.profile import Profile

BASE = "9153080200MA6K8XY"
VALID = BASE + check_character(BASE)
WRONG = BASE + ("0" if VALID[-1] != "0" else "1")
USCCS = [VALID, WRONG, VALID + "1", VALID[:-1], VALID.lower(), f"  {VALID} ", VALID[:-1] + "中", "", None,
         "92" + VALID[2:17] + check_character("92" + VALID[2:17])]


def schema_accepts(value: Any) -> bool:
    if value is None or (isinstance(value, str) and not value.strip()):
        return True  # absent: unknown, not an error
    try:
        Profile.from_data({"uscc": value})
    except ProfileError:
        return False
    return True


@pytest.mark.parametrize("arrow", [False, True], ids=["object", "arrow"])
def test_uscc_checks_agree_with_the_schema(arrow: bool) -> None:
    column = pd.Series(USCCS, dtype=pd.ArrowDtype(pa.string()) if arrow else object)
    table = table_from_frame(pd.DataFrame({"uscc": column}))
    got = [e is None for e in table.error]
    assert got == [schema_accepts(v) for v in USCCS]
    uscc = table.col("uscc")
    for i, v in enumerate(USCCS):
        if got[i] and schema_accepts(v) and v and v.strip():
            assert uscc.val[i] == Profile.from_data({"uscc": v}).uscc  # normalised like the schema


def test_a_value_under_a_record_flagged_absent_is_unknown() -> None:
    frame = pd.DataFrame({
        "registers.above_scale_industrial": [False, True, None],
        "registers.above_scale_industrial.entered_on": ["2024-01-01", "2024-01-01", "2024-01-01"],
    })
    col = table_from_frame(frame).col("registers.above_scale_industrial.entered_on")
    known, null = np.broadcast_to(col.known, (3,)), np.broadcast_to(col.null, (3,))
    # row 1: the register is flagged absent, so its date is known-empty; rows 2–3: the date counts
    assert list(known & ~null) == [False, True, True]
    assert col.val[0] == 0


# -- coded text columns: categories seeded from the first rows, the rest by the whole-column path --
TRICKY_CODES = ["C3011", "C", "c3011", " C30 ", "3011", "C01", "Z", "C99999", "", "  ", None, "Ｃ３０", "C3011\u3000",
                "F5211", "I65", "K701", "x", "C 30", "0", "C30\n"]
TRICKY_KINDS = ["high_tech", "tech_sme", "HIGH_TECH", " high_tech", "high_tech ", "", "  ", None, "little giant",
                "single_champion", "specialised_sme", "高新", "high_tech\u3000"]
TRICKY_TAXPAYERS = ["general", "small_scale", "General", "", None, " general", "small-scale", "小规模"]


def _verdict(path: str, value: Any) -> tuple[bool, Any]:
    """(accepted, normalised value) by the profile schema; blank or None is absent (accepted, None),
    except for a certification's kind, which is required."""
    if value is None or not value.strip():
        return path != "certifications[].kind", None
    try:
        if path == "certifications[].kind":
            return True, Profile.from_data({"certifications": [{"kind": value}]}).certifications[0].kind  # type: ignore[index]
        return True, getattr(Profile.from_data({path: value}), path)
    except ProfileError:
        return False, None


def _coded_frame(path: str, values: list[Any]) -> pd.DataFrame:
    text = pa.array(values, pa.string())
    if path == "certifications[].kind":
        offsets = pa.array(np.arange(len(values) + 1, dtype=np.int32))
        items = pa.StructArray.from_arrays([text], names=["kind"])
        return pd.DataFrame({"certifications": pd.arrays.ArrowExtensionArray(pa.ListArray.from_arrays(offsets, items))})
    return pd.DataFrame({path: pd.arrays.ArrowExtensionArray(text)})


def _coded_result(path: str, values: list[Any]) -> tuple[list[Any], list[bool], list[Any]]:
    """(error per row, known per row, value per row where known) of ingest."""
    table = table_from_frame(_coded_frame(path, values))
    if path == "certifications[].kind":
        col = table.lists["certifications"].items["kind"]
        known = np.broadcast_to(col.known, (len(values),))
    else:
        col = table.col(path)
        known = np.broadcast_to(col.known & ~np.asarray(col.null), (len(values),))
    vals = [v if k else None for v, k in zip(np.broadcast_to(col.val, (len(values),)).tolist(), known.tolist())]
    return _errors(table), known.tolist(), vals


def _errors(table: Any) -> list[Any]:
    """Per row: its error, row-level (no USCC) or of a field (the field is then unknown on that row)."""
    out = list(table.error)
    for rows, texts in table.field_errors.values():
        for i, text in zip(rows.tolist(), texts.tolist()):
            out[i] = text if out[i] is None else f"{out[i]}; {text}"
    return out


def _whole_column(monkeypatch: pytest.MonkeyPatch) -> None:
    from eligibility.backends.vectorized import ingest

    monkeypatch.setattr(ingest, "_SEED_MAX", -1)  # no seed is small enough: every column dictionary-encoded


@pytest.mark.parametrize(("path", "pool"), [("industry_code", TRICKY_CODES), ("certifications[].kind", TRICKY_KINDS),
                                            ("vat_taxpayer", TRICKY_TAXPAYERS)])
@pytest.mark.parametrize("head", ["valid", "tricky"])
def test_seeded_coded_columns_accept_and_refuse_like_the_schema(path: str, pool: list[Any], head: str,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    valid = [v for v in pool if v and v.strip() and _verdict(path, v) == (True, v)]
    # a head of canonical values only (the tricky ones all take the rest path), or the pool itself
    values = (valid * 3 if head == "valid" else pool) + pool + pool[::-1]
    errors, known, vals = _coded_result(path, values)
    for v, err, k, got in zip(values, errors, known, vals):
        accepted, normalised = _verdict(path, v)
        assert (err is None) == accepted, (v, err)
        assert k == (normalised is not None), v
        assert got == normalised, v
    _whole_column(monkeypatch)
    assert _coded_result(path, values) == (errors, known, vals)  # the same words as the whole-column path


@given(rest=st.lists(st.one_of(st.sampled_from(TRICKY_CODES), st.text(max_size=6)), max_size=40),
       head=st.lists(st.sampled_from(TRICKY_CODES), max_size=10), seed_rows=st.integers(1, 12))
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_seeded_and_whole_column_paths_agree(rest: list[Any], head: list[Any], seed_rows: int,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from eligibility.backends.vectorized import ingest

    values = head + rest
    with monkeypatch.context() as m:
        m.setattr(ingest, "_SEED_ROWS", seed_rows)  # values after the seed rows take the rest path
        seeded = _coded_result("industry_code", values)
    with monkeypatch.context() as m:
        m.setattr(ingest, "_SEED_MAX", -1)
        assert _coded_result("industry_code", values) == seeded


@pytest.mark.parametrize("typ", [pa.decimal128(18, 2), pa.decimal128(38, 4), pa.decimal128(12, 0)],
                         ids=["18-2", "38-4", "12-0"])
def test_decimal_money_is_exact_and_refuses_what_the_schema_refuses(typ: pa.DataType) -> None:
    from decimal import Decimal

    raw = ["19999999.99", "20000000", "-0.01", None, "0", "12.5", "0.001", "123456789012.34", "99999999999999999999.5"]
    values = []
    for v in raw:
        d = None if v is None else Decimal(v)
        fits = d is not None and d == d.quantize(Decimal(1).scaleb(-typ.scale)) and len(d.as_tuple().digits) \
            - max(0, -d.as_tuple().exponent) + typ.scale <= typ.precision
        values.append(d if fits else None)
    arr = pa.array(values, typ)
    if arr.null_count:  # garbage under the nulls must not leak into any value or check
        words = np.frombuffer(arr.buffers()[1], np.int64).copy()
        nulls = np.flatnonzero(~arr.is_valid().to_numpy(zero_copy_only=False))
        words[2 * nulls] = 2**62 + 7
        arr = pa.Array.from_buffers(typ, len(arr), [arr.buffers()[0], pa.py_buffer(words)], null_count=arr.null_count)
    table = table_from_frame(pd.DataFrame({"revenue": pd.arrays.ArrowExtensionArray(arr)}))
    col = table.col("revenue")
    errors = _errors(table)
    for i, d in enumerate(values):
        if d is None:
            assert not np.broadcast_to(col.known, (len(values),))[i] and errors[i] is None
            continue
        try:
            expected = Profile.from_data({"revenue": d}).revenue
        except ProfileError:
            assert errors[i] is not None
            continue
        assert errors[i] is None
        got = col.val[i] if col.kind == "dec" else Decimal(int(col.val[i])).scaleb(-col.scale)
        assert got == expected  # exact (int64 fen, or Decimal beyond it)


def test_arrow_validity_is_read_from_the_bitmap_of_sliced_and_null_typed_columns() -> None:
    employees = pa.array([1, None, 3, None, 5], pa.int64()).slice(1)  # offset 1: the bitmap is read from bit 1
    frame = pd.DataFrame({
        "employees": pd.arrays.ArrowExtensionArray(employees),
        "revenue": pd.arrays.ArrowExtensionArray(pa.nulls(4)),  # null type: no bitmap, nothing given
    })
    table = table_from_frame(frame)
    assert list(np.broadcast_to(table.col("employees").known, (4,))) == [False, True, False, True]
    assert list(table.col("employees").val) == [0, 3, 0, 5]
    assert not np.broadcast_to(table.col("revenue").known, (4,)).any()
    assert _errors(table) == [None] * 4


def test_free_text_is_built_only_when_read_and_reads_as_given() -> None:
    frame = pd.DataFrame({"name": pd.arrays.ArrowExtensionArray(pa.array(["甲公司", None, " 乙 "], pa.string())),
                          "development_zone": pd.arrays.ArrowExtensionArray(pa.array([None, "腾格里经济技术开发区", ""]))})
    table = table_from_frame(frame)
    name = table.col("name")
    assert not name.is_const and name._val is not None and type(name._val).__name__ == "Deferred"
    assert list(name.val) == ["甲公司", "", " 乙 "] and list(name.known) == [True, False, True]
    assert type(name._val).__name__ == "ndarray"  # built once, then kept
    zone = table.col("development_zone")
    assert list(zone.val)[1] == "腾格里经济技术开发区" and not np.broadcast_to(zone.known, (3,))[0]


def test_frames_ingested_on_two_threads_at_once_match_one_at_a_time() -> None:
    """The stream validates the next chunk on its reading thread while this one is decided: ingest
    keeps its per-call memory per thread, so two ingests at once give what each gives alone."""
    import threading
    from pathlib import Path

    register = Path(__file__).resolve().parents[2] / "examples" / "register.csv"
    whole = pd.read_csv(register, dtype=str, keep_default_na=False).replace("", None)
    frames = [whole.iloc[:60].reset_index(drop=True), whole.iloc[60:].reset_index(drop=True)]

    def fingerprint(frame: pd.DataFrame, start: int) -> list[Any]:
        table = table_from_frame(frame, start)
        cols = [(p, c.known.tolist() if np.ndim(c.known) else bool(c.known),
                 np.asarray(c.val).astype(str).tolist() if np.ndim(c.val) else str(c.val))
                for p, c in sorted(table.cols.items())]
        return [_errors(table), table.row.tolist(), cols]

    alone = [fingerprint(frames[0], 1), fingerprint(frames[1], 61)]
    results: dict[int, list[list[Any]]] = {0: [], 1: []}

    def work(k: int) -> None:
        for _ in range(15):
            results[k].append(fingerprint(frames[k], 1 + 60 * k))

    threads = [threading.Thread(target=work, args=(k,)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == alone[0] for r in results[0]) and all(r == alone[1] for r in results[1])
    assert len(results[0]) == len(results[1]) == 15


def test_entity_ids_stay_in_arrow_until_read_as_objects() -> None:
    ids = pa.array(["91350100M000100Y43", " 91110000600037341L ", None, "  "])
    frame = pd.DataFrame({"uscc": pd.Series(ids, dtype=pd.ArrowDtype(pa.string()))})
    table = table_from_frame(frame)
    assert table.entity_values is None  # no Python string per row yet
    assert table.entity_ids().to_pylist() == ["91350100M000100Y43", "91110000600037341L", None, None]
    assert table.entity.tolist() == ["91350100M000100Y43", "91110000600037341L", None, None]
    assert table.entity.dtype == object and table.entity_values is table.entity  # built once


@pytest.mark.parametrize("given", [["3", None, "0.5"], [3, None, 2], [3.0, float("nan"), 0.5]])
def test_a_presumed_number_keeps_the_scale_of_the_values_given_beside_it(given: list[Any]) -> None:
    """A guarantee term presumed one year on one row must not rescale the terms given on the others
    (3 years read as 0.03 when the presumption's money scale replaced the column's)."""
    import eligibility as el

    engine = el.Engine(el.load_rules("ordos"))
    df = pd.DataFrame({"region_code": ["150602"] * 3, "scenario.guarantee.amount": ["300万"] * 3,
                       "scenario.guarantee.term_years": given})
    scored = engine.score(df, "2023-06-30")
    got = scored[scored.rule_id == "ordos.guarantee-fee-cap"].amount.tolist()
    expected = [engine.evaluate({"region_code": "150602", "scenario": {"guarantee": {
        "amount": "300万", **({} if v is None or v != v else {"term_years": v})}}}, "2023-06-30")
        ["ordos.guarantee-fee-cap"].amount for v in given]
    assert got == expected
    assert expected[0] == 3 * expected[1]


# -- JSON list texts: the distinct lists typed in Arrow, or gathered as Python objects: one table --
LIST_TEXTS = [
    '[]', '[{"kind": "high_tech", "certified_on": "2024-01-01"}]', '[{"kind": "high_tech"}]',
    '[{"kind": "no_such_kind", "certified_on": "2024-01-01"}]', '[{"kind": "high_tech", "certified_on": "2024-02-30"}]',
    '[{"kind": "specialised_sme", "level": "municipal", "certified_on": "2024/1/10"}]', '[{', '{}', '"x"', '',
    '[{"kind": "high_tech", "certified_on": "2024-01-01"}, {"kind": "little_giant", "level": "national"}]', None,
]
BENEFIT_TEXTS = ['[{"rule_id": "a", "year": 2024, "amount": "1.5万"}]', '[{"rule_id": "a", "year": "2024"}]',
                 '[{"rule_id": "a", "year": 2024.5}]', '[{"rule_id": "a", "year": 2024, "amount": 0.001}]',
                 '[{"year": 2024}]', '[{"rule_id": "b", "year": 2023, "amount": 99999999999999999.99}]', '[]', None]


def _list_view(frame: pd.DataFrame) -> tuple[Any, ...]:
    table = table_from_frame(frame)
    out = []
    for path, lst in table.lists.items():
        items = {name: (col.kind, np.asarray(col.val).tolist(), np.broadcast_to(col.known, (len(lst.parent),)).tolist())
                 for name, col in lst.items.items()}
        out.append((path, lst.offsets.tolist(), np.broadcast_to(lst.known, (table.n,)).tolist(), items))
    return tuple(out), list(table.error), {p: (r.tolist(), t.tolist()) for p, (r, t) in table.field_errors.items()}


@pytest.mark.parametrize("arrow", [False, True], ids=["object", "arrow"])
@given(certs=st.lists(st.sampled_from(LIST_TEXTS), min_size=1, max_size=10),
       benefits=st.lists(st.sampled_from(BENEFIT_TEXTS), min_size=1, max_size=10))
def test_list_texts_read_the_same_typed_or_as_objects(arrow: bool, certs: list[Any], benefits: list[Any]) -> None:
    from eligibility.backends.vectorized import ingest

    n = min(len(certs), len(benefits))
    dtype = pd.ArrowDtype(pa.string()) if arrow else object
    frame = pd.DataFrame({"certifications": pd.Series(certs[:n], dtype=dtype),
                          "benefits_received": pd.Series(benefits[:n], dtype=dtype)})
    typed = _list_view(frame)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ingest, "_typed_lists", lambda *a: None)
        objects = _list_view(frame)
    assert typed == objects


def _messy_frame(arrow: bool) -> pd.DataFrame:
    dtype = pd.ArrowDtype(pa.string()) if arrow else object
    n = len(USCCS)
    cells = {
        "uscc": USCCS,
        "revenue": ["5", "-1", "abc", "1,234.5", "99999999999999999", None, "", "3千万", "0", "7"],
        "registered_on": ["2024-01-02", "2024-13-01", "yesterday", None, "2024/1/2", "", "2020-02-30", "1999-12-31",
                          "x", "2024-06-30"],
        "employees": ["-5", "2.5", "十", "3", None, "", "1e30", "0", "12", "x"],
        "certifications": (LIST_TEXTS * 2)[:n],
        "benefits_received": (BENEFIT_TEXTS * 2)[:n],
        "no_such_field": ["x"] * n,
    }
    return pd.DataFrame({k: pd.Series(v, dtype=dtype) for k, v in cells.items()})


@pytest.mark.parametrize("arrow", [False, True], ids=["object", "arrow"])
def test_frame_errors_are_the_tables_errors_without_the_table(arrow: bool) -> None:
    from eligibility.backends.vectorized.ingest import frame_errors

    frame = _messy_frame(arrow)
    table = table_from_frame(frame)
    failed, texts, field_errors = frame_errors(frame)
    want = np.flatnonzero(~table.valid())
    assert len(want) and failed.tolist() == want.tolist()
    assert texts.tolist() == table.error[want].tolist()
    assert set(field_errors) == set(table.field_errors) and len(field_errors) >= 5
    for path, (rows, refused) in table.field_errors.items():
        assert field_errors[path][0].tolist() == rows.tolist()
        assert field_errors[path][1].tolist() == refused.tolist()


def test_list_texts_remembered_across_frames_read_the_same() -> None:
    from eligibility.backends.vectorized import ingest

    frame = _messy_frame(True)
    ingest._MEMO.lists.clear()
    first = _list_view(frame)
    assert ingest._MEMO.lists  # the distinct texts were remembered
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ingest, "_list_items", lambda *a: pytest.fail("a remembered text was read again"))
        again = _list_view(frame)
    assert again == first


def test_the_list_memo_is_bounded() -> None:
    from eligibility.backends.vectorized import ingest

    ingest._MEMO.lists.clear()
    texts = [f'[{{"rule_id": "r{i}", "year": 2024}}]' for i in range(ingest._LIST_MEMO_TEXTS + 10)]
    table_from_frame(pd.DataFrame({"benefits_received": pd.Series(texts, dtype=pd.ArrowDtype(pa.string()))}))
    assert 0 < len(ingest._MEMO.lists) <= ingest._LIST_MEMO_TEXTS


def test_an_encoding_handed_on_is_taken_only_for_the_same_arrow_data() -> None:
    """``share_encoding`` is keyed by the Arrow data itself: an equal copy of the column is encoded
    anew (and the copy's entry left to be forgotten), the column itself takes it once."""
    import pyarrow.compute as pc

    from eligibility.backends.vectorized import ingest

    arr = pa.array(["100", "200", None, "100", " "] * 20, pa.string())
    frame = pd.DataFrame({"uscc": pd.Series([VALID] * 100, dtype=pd.ArrowDtype(pa.string())),
                          "revenue": pd.Series(pd.arrays.ArrowExtensionArray(arr))})
    want = table_from_frame(frame)
    ingest.forget_encodings()
    copy = pa.array(arr.to_pylist(), pa.string())
    ingest.share_encoding(copy, pc.dictionary_encode(copy))
    table_from_frame(frame)
    assert len(ingest._MEMO.encodings) == 1  # the copy's: not the data ingested
    ingest.share_encoding(arr, pc.dictionary_encode(arr))
    got = table_from_frame(frame)
    assert len(ingest._MEMO.encodings) == 1  # the column's was taken
    assert got.col("revenue").val.tolist() == want.col("revenue").val.tolist()
    assert got.col("revenue").known.tolist() == want.col("revenue").known.tolist()
    ingest.forget_encodings()
    assert not ingest._MEMO.encodings and ingest._MEMO.encoded_bytes == 0


@pytest.mark.parametrize("path", ["industry_code", "certifications[].kind"])
def test_accepted_texts_are_remembered_across_frames_and_refused_ones_read_again(path: str) -> None:
    from eligibility.backends.vectorized import ingest

    pool = TRICKY_CODES if path == "industry_code" else TRICKY_KINDS
    ingest._MEMO.accepted.clear()
    ingest._MEMO.seeds.clear()  # seeds remembered would skip the schema: the memo under test stays empty
    first = _coded_result(path, pool)
    remembered = {value for (p, value) in ingest._MEMO.accepted if p == path}
    assert remembered == {v for v in pool if v and v.strip() and _verdict(path, v)[0]}
    refused = {v for v in pool if v and v.strip() and not _verdict(path, v)[0]}
    assert refused  # the pool holds values the schema refuses: they must be read again
    validate = ingest.validate_value
    asked: list[Any] = []

    def counting(p: str, value: Any) -> tuple[Any, str | None]:
        asked.append(value)
        return validate(p, value)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ingest, "validate_value", counting)
        again = _coded_result(path, pool)
    assert again == first
    assert set(asked) == refused


def test_the_accepted_text_memo_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from eligibility.backends.vectorized import ingest

    monkeypatch.setattr(ingest, "_ACCEPTED_TEXTS", 3)
    ingest._MEMO.accepted.clear()
    ingest._MEMO.seeds.clear()  # seeds remembered would skip the schema: the memo under test stays empty
    valid = [v for v in TRICKY_CODES if v and v.strip() and _verdict("industry_code", v)[0]]
    assert len(valid) > 3
    _coded_result("industry_code", valid)
    assert 0 < len(ingest._MEMO.accepted) <= 3
