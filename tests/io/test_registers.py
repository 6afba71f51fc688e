"""Registers in, scored tables out, in chunks: readers (CSV, Parquet, Excel), row numbering, column
mappings with exact unit conversion, duplicate USCCs across chunks, writers and summary merging."""

from __future__ import annotations

import csv
import io
import random
import threading
import warnings
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import eligibility as el
from eligibility.errors import RuleSetError, UnknownFieldError
from eligibility.io import registers as reg
from eligibility.io.registers import (
    LONG_COLUMNS,
    LONG_SCHEMA,
    ColumnMapping,
    DuplicateTracker,
    _merge_runs,
    OutputTooLargeError,
    RegisterError,
    RegisterWarning,
    SummaryAccumulator,
    count_rows,
    load_column_mapping,
    open_writer,
    read_register,
    scale_money,
    score_chunk,
    score_file,
    to_wide,
)

ROOT = Path(__file__).resolve().parents[2]
REGISTER = ROOT / "examples" / "register.csv"
AS_OF = date(2024, 6, 30)


@pytest.fixture(scope="module")
def engine() -> el.Engine:
    return el.Engine(el.load_rules("examples"))


def register_rows() -> tuple[list[str], list[list[str]]]:
    with open(REGISTER, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    return path


# -- reading ------------------------------------------------------------------------------------

def test_csv_streams_every_column_as_text_with_continuous_row_numbers() -> None:
    reader = read_register(REGISTER, chunk_size=1000)
    chunks = list(reader)
    assert [start for start, _ in chunks] == [1, 1001, 2001]
    assert [len(c) for _, c in chunks] == [1000, 1000, 400]
    numbers = np.concatenate([c.index.to_numpy() for _, c in chunks])
    assert (numbers == np.arange(1, 2401)).all()
    first = chunks[0][1]
    assert all(isinstance(t, pd.ArrowDtype) and t.pyarrow_dtype == pa.string() for t in first.dtypes)
    assert first.loc[1, "revenue"] == "1866400" and first.loc[1, "employees"] == "9"
    assert pd.isna(first.loc[1, "quarterly_sales"])  # an empty field is missing
    assert reader.rows_read == 2400 and reader.blank_rows == 0 and reader.bytes_read == reader.bytes_total
    assert count_rows(REGISTER) is None


def test_blank_and_malformed_csv_records_keep_their_numbers(tmp_path: Path) -> None:
    text = ("uscc,name,revenue\n"
            "A1,甲,1\n"            # row 1
            "\n"                    # row 2: blank, skipped
            "A3,\"多行\n名称\",3\n"  # row 3: a quoted value spanning two lines
            "A4,乙\n"               # row 4: too few fields
            ",,\n"                  # row 5: every field empty, skipped
            "A6,丙,12x3\n"          # row 6: a bad number is just text here
            "A7,丁,7,extra\n"       # row 7: too many fields
            "A8,戊,8\n")            # row 8
    path = tmp_path / "r.csv"
    path.write_text(text, encoding="utf-8")
    for size in (1, 2, 100):
        chunks = list(read_register(path, chunk_size=size))
        rows = [int(i) for _, c in chunks for i in c.index]
        invalid = [i for _, c in chunks for i in c.attrs["invalid_rows"]]
        assert rows == [1, 3, 6, 8], size
        assert [(i[0], i[3]) for i in invalid] == [(4, "A4"), (7, "A7")]
        assert "2 fields but the header has 3 columns" in invalid[0][2] and "2 个字段" in invalid[0][1]
        frame = pd.concat([c for _, c in chunks])
        assert frame.loc[3, "name"] == "多行\n名称" and frame.loc[6, "revenue"] == "12x3"
        starts = [s for s, _ in chunks]
        assert starts == sorted(starts)
    reader = read_register(path, chunk_size=2)
    list(reader)
    assert reader.blank_rows == 2 and reader.rows_read == 6


def test_csv_in_gb18030_and_with_bom(tmp_path: Path) -> None:
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("uscc,name\n91530821AX6JM23YTT,普洱茶业有限公司\n".encode("gb18030"))
    (_, chunk), = list(read_register(gbk))
    assert chunk.loc[1, "name"] == "普洱茶业有限公司"
    bom = tmp_path / "bom.csv"
    bom.write_bytes("\ufeffuscc,name\nX,企业\n".encode())
    (_, chunk), = list(read_register(bom))
    assert list(chunk.columns) == ["uscc", "name"]


def test_bad_files_fail_at_open(tmp_path: Path) -> None:
    dup = tmp_path / "dup.csv"
    dup.write_text("uscc,name,name\nX,a,b\n", encoding="utf-8")
    with pytest.raises(RegisterError, match="appears twice") as info:
        read_register(dup)
    assert "出现了两次" in info.value.message("zh") and str(dup) in info.value.message("en")
    with pytest.raises(RegisterError, match="unsupported input format '.json'"):
        read_register(tmp_path / "r.json")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(RegisterError, match="cannot read the register"):
        read_register(empty)


def test_unknown_headers_are_dropped_with_one_warning(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", ["uscc", "revenu", "备注"], [["X", "1", "n"], ["Y", "2", "m"]])
    with pytest.warns(RegisterWarning) as caught:
        reader = read_register(path, chunk_size=1)
    chunks = list(reader)
    assert len(caught) == 1
    assert "did you mean 'revenue'" in str(caught[0].message) and "'备注'" in str(caught[0].message)
    assert reader.unknown_columns == ["revenu", "备注"]
    assert all(list(c.columns) == ["uscc"] for _, c in chunks)


def test_parquet_keeps_arrow_types(tmp_path: Path) -> None:
    table = pa.table({
        "uscc": pa.array(["A", "B", "C", "D", "E"]),
        "revenue": pa.array([Decimal("1.50"), None, Decimal(3), Decimal(4), Decimal(5)], pa.decimal128(18, 2)),
        "registered_on": pa.array([date(2020, 1, 1)] * 5, pa.date32()),
        "employees": pa.array([1, 2, None, 4, 5], pa.int64()),
        "certifications": pa.array([[{"kind": "high_tech", "level": "national"}], [], None, [], []]),
    })
    path = tmp_path / "r.parquet"
    pq.write_table(table, path)
    assert count_rows(path) == 5
    reader = read_register(path, chunk_size=2)
    assert reader.rows_total == 5
    chunks = list(reader)
    assert [s for s, _ in chunks] == [1, 3, 5]
    first = chunks[0][1]
    assert first["revenue"].dtype == pd.ArrowDtype(pa.decimal128(18, 2))
    assert first["registered_on"].dtype == pd.ArrowDtype(pa.date32())
    assert pa.types.is_list(first["certifications"].dtype.pyarrow_dtype)
    assert first.loc[1, "revenue"] == Decimal("1.50") and first.loc[1, "registered_on"] == date(2020, 1, 1)


def test_xlsx_first_sheet_headers_dates_and_blank_rows(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["uscc", "region_code", "registered_on", "revenue", None])
    ws.append(["91530821AX6JM23YTT", 530821, datetime(2010, 3, 24), 1866400, None])
    ws.append([None, None, None, None, None])     # row 2: blank
    ws.append(["X2", "530802", "2011-01-01", 12.5, None])
    ws.append(["X3", 530802.0, None, "   ", None])
    other = wb.create_sheet("second")
    other.append(["not", "read"])
    path = tmp_path / "r.xlsx"
    wb.save(path)
    assert count_rows(path) == 4
    reader = read_register(path, chunk_size=2)
    chunks = list(reader)
    frame = pd.concat([c for _, c in chunks])
    assert list(frame.index) == [1, 3, 4] and reader.blank_rows == 1
    assert list(frame.columns) == ["uscc", "region_code", "registered_on", "revenue"]
    assert frame.loc[1, "registered_on"] == date(2010, 3, 24)
    assert frame.loc[1, "region_code"] == "530821" and frame.loc[4, "region_code"] == "530802"  # codes as text
    assert frame.loc[1, "revenue"] == "1866400" and frame.loc[3, "revenue"] == "12.5"  # exact text, no float
    assert frame.loc[4, "revenue"] is None


# -- column mapping -----------------------------------------------------------------------------

MAPPING = """\
columns:
  统一社会信用代码: uscc
  企业名称: name
  营业收入(万元): {field: revenue, unit: 万元}
  资产总额(亿元): {field: total_assets, unit: 亿元}
  从业人数: employees
ignore: [备注]
"""


def test_mapping_renames_and_converts_units_exactly(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(MAPPING, encoding="utf-8")
    mapping = load_column_mapping(tmp_path / "m.yaml")
    assert mapping.columns["营业收入(万元)"] == "revenue" and mapping.ignore == frozenset({"备注"})
    path = write_csv(tmp_path / "r.csv", ["统一社会信用代码", "企业名称", "营业收入(万元)", "资产总额(亿元)", "从业人数", "备注"], [
        ["X1", "甲", "1234.5678", "0.00000001", "9", "n"],
        ["X2", "乙", "12x3", "1.5", "", ""],
        ["X3", "丙", " 1,234.5 ", "", "3", ""],
        ["X4", "丁", "2500万", "0.000000001", "3", ""],
    ])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RegisterWarning)
        (_, chunk), = list(read_register(path, mapping=tmp_path / "m.yaml"))
    assert list(chunk.columns) == ["uscc", "name", "revenue", "total_assets", "employees"]
    # exact yuan as text (the profile schema reads it as Decimal)
    assert chunk.loc[1, "revenue"] == "12345678"
    assert chunk.loc[1, "total_assets"] == "1"
    assert chunk.loc[2, "revenue"] == "12x3"  # unreadable: left for the engine to report
    assert chunk.loc[2, "total_assets"] == "150000000"
    assert chunk.loc[3, "revenue"] == "12345000" and pd.isna(chunk.loc[3, "total_assets"])
    assert chunk.loc[4, "revenue"] == "2500万"  # carries its own unit
    assert chunk.loc[4, "total_assets"] == "0.1"  # finer than a fen: the engine refuses it
    assert chunk.loc[1, "employees"] == "9"


def test_scale_money_is_exact_for_every_representation() -> None:
    wan = Decimal(10_000)
    assert scale_money("1234.5678", wan) == Decimal(12345678)
    assert scale_money(1234.5678, wan) == Decimal(12345678)  # float read by its repr, not binary value
    assert scale_money(np.float64(0.1), wan) == Decimal(1000)
    assert scale_money(np.int64(7), wan) == Decimal(70000) and scale_money(7, wan) == Decimal(70000)
    assert scale_money(Decimal("0.01"), Decimal(10) ** 8) == Decimal(1000000)
    assert scale_money(None, wan) is None and scale_money(float("nan"), wan) is None
    assert scale_money("  ", wan) is None
    assert scale_money(True, wan) is True and scale_money("abc", wan) == "abc"
    assert scale_money("1e3", wan) == Decimal(10000000)


def mapping_error(tmp_path: Path, text: str) -> RuleSetError:
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleSetError) as info:
        load_column_mapping(path)
    return info.value


def test_mapping_errors_name_file_line_and_suggestion(tmp_path: Path) -> None:
    e = mapping_error(tmp_path, "columns:\n  统一社会信用代码: uscc\n  营业收入: revenu\n")
    (first,) = e.errors
    assert isinstance(first, UnknownFieldError) and first.suggestion == "revenue"
    assert (first.line, first.col) == (3, 9)
    assert f"{tmp_path / 'm.yaml'}:3:9: unknown field 'revenu'; did you mean 'revenue'?" in first.message("en")
    assert "未知字段 'revenu'，是否想写 'revenue'？" in first.message("zh")

    e = mapping_error(tmp_path, "columns:\n  营业收入: {field: revenue, unit: 万}\n  人数: {field: employees, unit: 万元}\n"
                                "  收入2: revenue\n  名称: scenario.loan\n  证书: certifications[].kind\n")
    messages = [x.message("en") for x in e.errors]
    assert len(e.errors) == 4, messages
    assert "m.yaml:2:32: unit '万' is not one of 元, 千元, 万元, 亿元; did you mean '万元'?" in messages[0]
    assert "m.yaml:3:32: only money fields take a unit; 'employees' is" in messages[1]
    assert "m.yaml:4:3: two headers map onto field 'revenue': '营业收入' (line 2) and '收入2'" in messages[2]
    assert "unknown field 'certifications[].kind'" in messages[3]
    assert "两个表头映射到同一字段 'revenue'" in e.errors[2].message("zh")

    e = mapping_error(tmp_path, "colums:\n  a: uscc\n")
    assert any("unknown key 'colums'; did you mean 'columns'?" in x.message("en") for x in e.errors)
    e = mapping_error(tmp_path, "columns:\n  a: uscc\nignore: [a]\n")
    assert "m.yaml:3:10: header 'a' is both mapped and ignored" in e.errors[0].message("en")
    e = mapping_error(tmp_path, "columns: [a, b\n")
    assert "YAML syntax error" in e.errors[0].message("en") and e.errors[0].line is not None


def test_mapped_column_clashing_with_a_field_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", ["营业收入", "revenue"], [["1", "2"]])
    mapping = ColumnMapping({"营业收入": "revenue"}, {}, frozenset())
    with pytest.raises(RegisterError, match="two columns give field 'revenue'"):
        read_register(path, mapping=mapping)
    with pytest.warns(RegisterWarning, match="mapped header"):
        read_register(path, mapping=ColumnMapping({"收入": "revenue"}, {}, frozenset({"营业收入"})))


# -- duplicates ---------------------------------------------------------------------------------

def test_duplicate_tracker_across_chunks_matches_a_plain_reference() -> None:
    rng = random.Random(7)
    pool = [f"9153{n:014d}" for n in range(300)]
    values: list[str | None] = [rng.choice(pool) for _ in range(2000)]
    for i in range(0, 2000, 37):
        values[i] = None if i % 2 else ""
    values[5] = "  " + str(values[4]).lower() + " "  # normalised: the same firm as row 5
    expected, first = [], {}
    for row, v in enumerate(values, start=1):
        key = (v or "").strip().upper()
        if not key:
            expected.append(-1)
            continue
        expected.append(first.get(key, -1) if first.get(key, row) != row else -1)
        first.setdefault(key, row)
    tracker = DuplicateTracker()
    got: list[int] = []
    rows = np.arange(1, 2001)
    for lo in range(0, 2000, 97):
        got.extend(tracker.update(rows[lo:lo + 97], values[lo:lo + 97]).tolist())
    assert got == expected
    assert got[5] == 5
    assert len(tracker) == len(first) and tracker.nbytes == 16 * len(first)


def test_merging_two_runs_equals_sorting_them_together() -> None:
    rng = np.random.default_rng(7)
    for _ in range(100):
        hashes = rng.choice(2**40, size=int(rng.integers(0, 200)), replace=False).astype(np.uint64)
        k = int(rng.integers(0, len(hashes) + 1))
        h1, h2 = np.sort(hashes[:k]), np.sort(hashes[k:])
        r1, r2 = rng.integers(1, 10**6, len(h1)), rng.integers(1, 10**6, len(h2))
        order = np.argsort(np.concatenate([h1, h2]))
        hh, rr = _merge_runs(h1, r1, h2, r2)
        assert hh.tolist() == np.concatenate([h1, h2])[order].tolist()
        assert rr.tolist() == np.concatenate([r1, r2])[order].tolist()


def test_duplicates_flagged_across_chunk_boundaries(engine: el.Engine, tmp_path: Path) -> None:
    header, rows = register_rows()
    rows = [list(r) for r in rows[:30]]
    u = header.index("uscc")
    rows[20][u] = rows[2][u]            # row 21 repeats row 3 (another chunk)
    rows[4][u] = rows[3][u]             # row 5 repeats row 4 (same chunk)
    path = write_csv(tmp_path / "r.csv", header, rows)
    out = tmp_path / "o.parquet"
    score_file(engine, path, out, AS_OF, chunk_size=7, wide=True)
    wide = pq.read_table(out).to_pandas().set_index("row")
    assert wide.loc[21, "duplicate_of"] == 3 and wide.loc[5, "duplicate_of"] == 4
    assert wide["duplicate_of"].notna().sum() == 2
    long = tmp_path / "o.csv"
    score_file(engine, path, long, AS_OF, chunk_size=7)
    flagged = pd.read_csv(long).dropna(subset=["duplicate_of"])
    assert set(flagged["row"]) <= {5, 21} and set(flagged["duplicate_of"].astype(int)) <= {3, 4}


def test_worker_processes_give_the_same_output_and_summary(engine: el.Engine, tmp_path: Path) -> None:
    """Chunks scored by two processes: the same file, in input order, and the same summary."""
    header, rows = register_rows()
    rows = [list(r) for r in rows[:300]]
    u = header.index("uscc")
    rows[250][u] = rows[10][u]  # a duplicate across chunks, seen by different workers
    rows[40][header.index("revenue")] = "12x3"
    path = write_csv(tmp_path / "r.csv", header, rows)
    one, two = tmp_path / "one.parquet", tmp_path / "two.parquet"
    s1 = score_file(engine, path, one, AS_OF, chunk_size=50)
    s2 = score_file(engine, path, two, AS_OF, chunk_size=50, workers=2)
    pd.testing.assert_frame_equal(pq.read_table(one).to_pandas(), pq.read_table(two).to_pandas())
    pd.testing.assert_frame_equal(s1, s2)
    # the unreadable revenue is a field error of a scored row (only the rules reading revenue are in error)
    assert s2.attrs["rows_read"] == 300 and s2.attrs["rows_error"] == 0 and s2.attrs["rows_duplicate"] == 1
    assert s2.attrs["field_errors"] == {"revenue": 1}


class _ScoresInPlace:
    """The engine as a stream sees it, without ``_ingest``: every chunk validated when it is scored."""

    def __init__(self, engine: el.Engine) -> None:
        self.rules, self._engine = engine.rules, engine

    def provenance(self, as_of: date) -> dict[str, str]:
        return self._engine.provenance(as_of)

    def summarize(self, scored: pd.DataFrame) -> pd.DataFrame:
        return self._engine.summarize(scored)

    def score(self, df: pd.DataFrame, as_of: date, start_row: int = 1) -> pd.DataFrame:
        return self._engine.score(df, as_of, start_row=start_row)


def test_ingesting_ahead_gives_the_stream_scored_in_place(engine: el.Engine, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The next chunk is validated on the reading thread while this one is decided: the same file and
    summary as scoring each chunk where it stands, with bad values, malformed lines (rows renumbered
    after them), blank lines and a duplicate across chunks."""
    header, rows = register_rows()
    rows = [list(r) for r in rows[:120]]
    u = header.index("uscc")
    rows[90][u] = rows[5][u]
    rows[30][header.index("revenue")] = "12x3"
    rows[61] = rows[61][:3]  # too few fields: an error line, and the rows after it are not contiguous
    path = write_csv(tmp_path / "r.csv", header, rows)
    with path.open("a", encoding="utf-8") as f:
        f.write("\n")
    threads: list[str] = []
    original = el.Engine._ingest

    def spy(self: el.Engine, df: pd.DataFrame, start_row: int = 1) -> object:
        threads.append(threading.current_thread().name)
        return original(self, df, start_row)

    monkeypatch.setattr(el.Engine, "_ingest", spy)
    for wide in (False, True):
        ahead, here = tmp_path / f"ahead{wide}.parquet", tmp_path / f"here{wide}.parquet"
        threads.clear()
        s1 = score_file(engine, path, ahead, AS_OF, chunk_size=25, wide=wide)
        assert len(threads) == 5 and all(t.startswith("eligibility-reader") for t in threads)
        s2 = score_file(_ScoresInPlace(engine), path, here, AS_OF, chunk_size=25, wide=wide)
        pd.testing.assert_frame_equal(pq.read_table(ahead).to_pandas(), pq.read_table(here).to_pandas())
        pd.testing.assert_frame_equal(s1, s2)
        # the malformed line is a row-level failure; the unreadable revenue a field error of a scored row
        assert s1.attrs["rows_read"] == 120 and s1.attrs["rows_error"] == 1 and s1.attrs["rows_duplicate"] == 1
        assert s1.attrs["field_errors"] == {"revenue": 1}


def test_ingested_table_of_another_frame_is_refused(engine: el.Engine) -> None:
    frame = pd.read_csv(REGISTER, dtype=str).head(4)
    table = engine._ingest(frame, start_row=1)
    with pytest.raises(ValueError, match="not this frame"):
        engine.score(frame, AS_OF, start_row=5, _ingested=table)
    with pytest.raises(ValueError, match="not this frame"):
        engine.score(frame.head(3), AS_OF, _ingested=table)
    pd.testing.assert_frame_equal(engine.score(frame, AS_OF, _ingested=table), engine.score(frame, AS_OF))


# -- summaries ----------------------------------------------------------------------------------

def test_summary_merged_over_chunks_equals_the_one_shot_summary(engine: el.Engine) -> None:
    whole = pd.read_csv(REGISTER, dtype=str, keep_default_na=False)
    scored = engine.score(whole, AS_OF)
    scored.attrs["rows_read"] = len(whole)
    one_shot = engine.summarize(scored)
    acc = SummaryAccumulator([r.id for r in engine.rules.rules])
    for _, chunk in read_register(REGISTER, chunk_size=333):
        acc.add(engine.summarize(score_chunk(engine, chunk, AS_OF)))
    merged = acc.result()
    assert merged["rule_id"].tolist() == [r.id for r in engine.rules.rules if r.id in set(merged["rule_id"])]
    merged = merged.astype({"rule_id": str}).sort_values("rule_id").reset_index(drop=True)
    one_shot = one_shot.astype({"rule_id": str}).sort_values("rule_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(merged, one_shot, check_dtype=False)
    assert [Decimal(str(x)) for x in merged["amount_total"]] == [Decimal(str(x)) for x in one_shot["amount_total"]]
    for key in ("rows_read", "rows_error", "rows_scored", "rows_no_rule"):
        assert merged.attrs[key] == one_shot.attrs[key], key
    assert merged.attrs["rows_read"] == 2400
    assert merged["eligible"].sum() > 0


def test_summary_accumulator_adds_amounts_exactly() -> None:
    def part(amount: str, eligible: int, rows: int) -> pd.DataFrame:
        s = pd.DataFrame([{"rule_id": "r", "title": "t", "eligible": eligible, "undetermined": 0, "superseded": 0,
                           "ineligible": 0, "amount_total": Decimal(amount)}])
        s.attrs.update(rows_read=rows, rows_error=0, rows_scored=rows, rows_no_rule=0, as_of="2024-06-30")
        return s

    merged = reg.merge_summaries([part("0.10", 1, 1), part("0.20", 1, 2), part("19999999.70", 3, 3)])
    assert merged.loc[0, "amount_total"] == Decimal("20000000.00") and merged.loc[0, "eligible"] == 5
    assert merged.attrs["rows_read"] == 6 and merged.attrs["as_of"] == "2024-06-30"


# -- writers ------------------------------------------------------------------------------------

def long_frame(arrow: bool) -> pd.DataFrame:
    amounts = [Decimal(500000), None, Decimal("0.1")]
    missing = [[], ["revenue", "employees"], []]
    frame = pd.DataFrame({
        "row": [1, 2, 3], "entity_id": ["A", "B", None], "rule_id": ["r1", "r1", None],
        "status": ["eligible", "undetermined", "error"], "amount": amounts, "amount_kind": ["exact", None, None],
        "superseded_by": [None, None, None], "missing": missing, "failed": [None, None, None],
        "reason": [None, None, "bad, \"quoted\" | 坏"],
    })
    if arrow:
        frame["amount"] = pd.Series(pa.array(amounts, pa.decimal128(18, 2)), dtype=pd.ArrowDtype(pa.decimal128(18, 2)))
        frame["missing"] = pd.Series(pa.array(missing, pa.list_(pa.string())),
                                     dtype=pd.ArrowDtype(pa.list_(pa.string())))
        for c in ("rule_id", "status", "amount_kind"):
            frame[c] = frame[c].astype("category")
        frame["duplicate_of"] = pd.array([None, 1, None], dtype="Int64")
    return frame


def test_parquet_row_groups_carry_row_and_amount_ranges(tmp_path: Path) -> None:
    """A reader can skip row groups by row number or amount; the coded columns (every rule and status
    in every row group) carry none, which would prune nothing."""
    frame = long_frame(True)
    with open_writer(tmp_path / "o.parquet") as w:
        w.write(frame)
        w.write(frame.assign(row=frame["row"] + 10))
    meta = pq.ParquetFile(tmp_path / "o.parquet").metadata
    names = [meta.schema.column(j).name for j in range(meta.num_columns)]
    ranges = []
    for i in range(meta.num_row_groups):
        group = meta.row_group(i)
        stats = {name: group.column(j).statistics for j, name in enumerate(names)}
        assert stats["row"] is not None and stats["row"].has_min_max
        assert stats["amount"] is not None and stats["amount"].has_min_max
        assert stats["rule_id"] is None or not stats["rule_id"].has_min_max
        ranges.append((stats["row"].min, stats["row"].max))
    assert ranges == [(1, 3), (11, 13)]
    assert pq.read_table(tmp_path / "o.parquet", filters=[("row", ">", 10)]).column("row").to_pylist() == [11, 12, 13]


@pytest.mark.parametrize("arrow", [False, True])
def test_writers_fix_the_columns_whatever_the_representation(tmp_path: Path, arrow: bool) -> None:
    frame = long_frame(arrow)
    with open_writer(tmp_path / "o.parquet", metadata={"as_of": "2024-06-30"}) as w:
        w.write(frame)
        w.write(frame.iloc[:0])
        w.write(frame.iloc[1:])
    table = pq.read_table(tmp_path / "o.parquet")
    assert table.schema.remove_metadata() == LONG_SCHEMA and table.num_rows == 5
    assert b"2024-06-30" in table.schema.metadata[b"eligibility"]
    assert table.column("amount").to_pylist()[:3] == [Decimal("500000.00"), None, Decimal("0.10")]
    assert table.column("missing").to_pylist()[1] == ["revenue", "employees"]
    assert table.column("duplicate_of").to_pylist()[:3] == ([None, 1, None] if arrow else [None] * 3)

    with open_writer(tmp_path / "o.csv") as w:
        w.write(frame.iloc[:2])
        w.write(frame.iloc[2:])
    lines = (tmp_path / "o.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join(LONG_COLUMNS)
    back = list(csv.reader(io.StringIO("\n".join(lines))))
    assert [r[4] for r in back[1:]] == ["500000.00", "", "0.10"]
    assert [r[7] for r in back[1:]] == ["", "revenue;employees", ""]
    assert back[3][9] == 'bad, "quoted" | 坏' and len(back) == 4

    with open_writer(tmp_path / "o.xlsx") as w:
        w.write(frame)
    import openpyxl

    ws = openpyxl.load_workbook(tmp_path / "o.xlsx", read_only=True).worksheets[0]
    cells = list(ws.iter_rows(values_only=True))
    assert list(cells[0]) == LONG_COLUMNS and len(cells) == 4
    assert cells[1][4] == 500000 and cells[2][7] == "revenue;employees"


def test_excel_output_refuses_to_overflow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reg, "XLSX_MAX_ROWS", 6)  # a header and 5 data rows
    frame = long_frame(False)
    with pytest.raises(OutputTooLargeError) as info:
        open_writer(tmp_path / "early.xlsx", expected_rows=6)
    assert not (tmp_path / "early.xlsx").exists()
    assert info.value.limit == 5 and "Parquet" in info.value.message("en") and "Parquet" in info.value.message("zh")
    w = open_writer(tmp_path / "o.xlsx")
    w.write(frame)
    with pytest.raises(OutputTooLargeError, match="at most 5 data rows") as info:
        w.write(frame)
    assert info.value.rows == 6
    assert "最多容纳 5 行数据" in info.value.message("zh")
    w.abort()
    open_writer(tmp_path / "ok.xlsx", expected_rows=5).close()


def test_to_wide_has_one_row_per_input_row() -> None:
    frame = long_frame(True)
    frame.loc[2, "row"] = 4
    wide = to_wide(frame, np.array([1, 2, 3, 4]), ["A", "B", "C", "D"], ["r1", "r2"])
    assert list(wide.columns) == ["row", "entity_id", "duplicate_of", "r1.status", "r1.amount", "r2.status",
                                  "r2.amount", "reason"]
    assert wide["row"].tolist() == [1, 2, 3, 4] and wide["entity_id"].tolist() == ["A", "B", "C", "D"]
    assert wide["r1.status"].tolist() == ["eligible", "undetermined", None, None]
    assert wide["r1.amount"].tolist() == [Decimal("500000.00"), None, None, None]
    assert wide["r2.status"].isna().all() and wide["reason"].tolist()[3] == 'bad, "quoted" | 坏'
    assert wide["duplicate_of"].tolist()[1] == 1


# -- the stream end to end ----------------------------------------------------------------------

def test_chunk_size_does_not_change_the_output(engine: el.Engine, tmp_path: Path) -> None:
    header, rows = register_rows()
    path = write_csv(tmp_path / "r.csv", header, rows[:160])
    small, large = tmp_path / "small.parquet", tmp_path / "large.parquet"
    s1 = score_file(engine, path, small, AS_OF, chunk_size=7)
    s2 = score_file(engine, path, large, AS_OF, chunk_size=10_000)
    a, b = pq.read_table(small), pq.read_table(large)
    assert a.num_rows == b.num_rows > 0
    assert a.to_pylist() == b.to_pylist()
    pd.testing.assert_frame_equal(s1, s2)
    assert s1.attrs["rows_read"] == 160 and s1["eligible"].sum() > 0
    rows_out = a.column("row").to_numpy()
    assert (np.diff(rows_out) >= 0).all() and rows_out.max() <= 160


def test_failed_run_leaves_no_partial_file(engine: el.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reg, "XLSX_MAX_ROWS", 50)
    target = tmp_path / "o.xlsx"
    target.write_bytes(b"previous run")
    with pytest.raises(OutputTooLargeError):
        score_file(engine, REGISTER, target, AS_OF, chunk_size=100)
    assert target.read_bytes() == b"previous run"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.xlsx"]
