"""Writers fix the output columns whatever the representation (Parquet, CSV, Excel), keep row and
amount statistics, refuse to overflow a sheet; the wide table has one row per input row."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from eligibility.batch import LONG_COLUMNS, LONG_SCHEMA, OutputTooLargeError, open_writer, to_wide, writers


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


def test_categorical_columns_write_the_values_of_their_object_form(tmp_path: Path) -> None:
    """Coded columns given as categoricals (the engine's own long table: codes, categories, an empty
    category set, an ordered one) are written with the same values as the same columns as objects."""
    plain = long_frame(False)
    coded = plain.copy()
    for c in ("rule_id", "status", "amount_kind", "superseded_by", "failed"):
        coded[c] = coded[c].astype("category")
    coded["status"] = coded["status"].cat.as_ordered()
    for name, frame in (("plain", plain), ("coded", coded)):
        with open_writer(tmp_path / f"{name}.parquet") as w:
            w.write(frame)
    want, got = pq.read_table(tmp_path / "plain.parquet"), pq.read_table(tmp_path / "coded.parquet")
    assert got.schema == want.schema
    for c in ("rule_id", "status", "amount_kind", "superseded_by", "failed"):
        assert got.column(c).to_pylist() == want.column(c).to_pylist(), c
    assert got.column("status").to_pylist() == ["eligible", "undetermined", "error"]


def test_excel_output_refuses_to_overflow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writers, "XLSX_MAX_ROWS", 6)  # a header and 5 data rows
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
