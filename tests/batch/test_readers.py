"""Reading registers in chunks: CSV (every column as text, encodings, blank and malformed records
keeping their numbers), Parquet (Arrow types kept) and Excel; bad files fail at open."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from eligibility.batch import RegisterError, RegisterWarning, count_rows, read_register

from registerfile import REGISTER, write_csv


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


def test_a_csv_header_longer_than_the_first_probe_block_is_read_whole(tmp_path: Path) -> None:
    long = "备注" + "x" * 70_000  # the header and first record do not fit in the header probe's small block
    path = tmp_path / "r.csv"
    path.write_text(f"uscc,{long},employees\nX,a,3\n", encoding="utf-8")
    with pytest.warns(RegisterWarning):
        (_, chunk), = list(read_register(path))
    assert list(chunk.columns) == ["uscc", "employees"] and chunk.loc[1, "employees"] == "3"


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
    assert pd.isna(frame.loc[4, "revenue"])
