"""Plain amounts and ISO dates read without the schema give exactly what the schema gives: the
same value for every text the fast readers take, and the same table (values and errors) for a
whole column of messy texts as the per-value path alone."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from eligibility.backends.vectorized import ingest, plain
from eligibility.backends.vectorized.columns import EPOCH_ORDINAL
from eligibility.backends.vectorized.ingest import table_from_frame, validate_value
from eligibility.facts.profile import registry

MONEY = [p for p, s in registry().items() if s.type.kind == "money"]
DATES = [p for p, s in registry().items() if s.type.kind == "date" and plain.plain_dates(p) is not None]

# texts near the plain shapes (digits, a point, a sign, spaces, full-width digits, separators,
# units) and anything at all
PLAIN = st.from_regex(r"\A[0-9]{1,16}(\.[0-9]{1,2})?\Z")
NEAR = PLAIN | st.from_regex(r"\A[ +\-]?[0-9０-９]{0,17}([.,][0-9]{0,3})?(万|元|亿元)? ?\Z")
DAYS = st.from_regex(r"\A[0-9]{4}-[0-9]{1,2}-[0-9]{1,3}\Z") | st.dates().map(str)
ANY = st.text(max_size=25)


def _schema_fen(path: str, text: str) -> Any:
    value, reason = validate_value(path, text)
    return None if reason is not None or value is None else int(value.scaleb(2))


def _schema_days(path: str, text: str) -> Any:
    value, reason = validate_value(path, text)
    return None if reason is not None or value is None else value.toordinal() - EPOCH_ORDINAL


def test_every_plain_money_and_date_field_is_found() -> None:
    assert all(plain.plain_fen(p) is not None for p in MONEY)
    assert "registered_on" in DATES and "certifications[].certified_on" in DATES
    assert plain.plain_fen("registered_on") is None and plain.plain_dates("revenue") is None


@given(st.sampled_from(MONEY), NEAR | ANY)
def test_a_plain_amount_is_what_the_schema_reads(path: str, text: str) -> None:
    read = plain.plain_fen(path)([text], [0])  # type: ignore[misc]
    if read:  # taken: the schema accepts it, with the same amount
        assert read[0] == _schema_fen(path, text), text


@given(st.sampled_from(DATES), DAYS | ANY)
def test_a_plain_date_is_what_the_schema_reads(path: str, text: str) -> None:
    read = plain.plain_dates(path)([text], [0])  # type: ignore[misc]
    if read:
        assert read[0] == _schema_days(path, text), text


def test_the_readers_take_the_plain_spellings_and_leave_the_rest() -> None:
    texts = ["1866400", "0", "1234.5", "1234.56", "007", "1,234", "1234.567", "-5", " 5", "５", "123.4万", "1.",
             "9" * 15, "9" * 16]
    assert plain.plain_fen("revenue")(texts, range(len(texts))) == {  # type: ignore[misc]
        0: 186640000, 1: 0, 2: 123450, 3: 123456, 4: 700, 12: int("9" * 15) * 100}
    days = ["2013-09-26", "2024-02-30", "0000-01-01", "2024/03/01", "2024-3-1", " 2024-03-01"]
    assert plain.plain_dates("registered_on")(days, range(len(days))) == {  # type: ignore[misc]
        0: 15974}


def _without_plain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest, "plain_fen", lambda path: None)
    monkeypatch.setattr(ingest, "plain_dates", lambda path: None)


def _view(frame: pd.DataFrame) -> tuple[dict[str, Any], dict[str, Any]]:
    table = table_from_frame(frame)
    cols = {}
    for name in frame.columns:
        col = table.col(name)
        known = np.broadcast_to(col.known, (table.n,))
        cols[name] = [v if k else None for v, k in zip(np.asarray(col.val).tolist(), known.tolist())]
    errors = {p: (rows.tolist(), texts.tolist()) for p, (rows, texts) in table.field_errors.items()}
    return cols, errors


@pytest.mark.parametrize("arrow", [False, True], ids=["object", "arrow"])
@given(amounts=st.lists(NEAR | ANY, min_size=1, max_size=12), days=st.lists(DAYS | ANY, min_size=1, max_size=12))
def test_a_column_reads_the_same_with_and_without_the_fast_readers(arrow: bool, amounts: list[str],
                                                                     days: list[str]) -> None:
    n = min(len(amounts), len(days))
    dtype = pd.ArrowDtype(pa.string()) if arrow else object
    frame = pd.DataFrame({"revenue": pd.Series(amounts[:n], dtype=dtype),
                          "total_assets": pd.Series(amounts[:n], dtype=dtype),
                          "registered_on": pd.Series(days[:n], dtype=dtype)})
    fast = _view(frame)
    with pytest.MonkeyPatch.context() as mp:
        _without_plain(mp)
        slow = _view(frame)
    assert fast == slow
