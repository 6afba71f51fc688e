"""The long table's own pieces: in-chunk duplicate USCCs (hashes prove distinct keys, only the exact
search names repeats) and reasons taken by code."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from eligibility import _hashing
from eligibility.backends.vectorized import output

VALID = ["91350100M000100Y43", "91110000600037341L", "9133010072618620XK"]


def test_duplicates_name_the_first_row_of_each_repeated_uscc() -> None:
    ids = pa.array([VALID[0], VALID[1], " " + VALID[0].lower(), None, VALID[1], None, VALID[2]])
    rows = np.arange(11, 18, dtype=np.int64)
    assert output.duplicates(ids, rows).tolist() == [0, 0, 11, 0, 12, 0, 0]


def test_no_repeats_is_answered_without_the_exact_search(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object) -> None:
        raise AssertionError("dictionary_encode should not run when the hashes are distinct")

    monkeypatch.setattr(output.pc, "dictionary_encode", refuse)
    ids = pa.array([VALID[0], None, VALID[1], VALID[2]])
    assert output.duplicates(ids, np.arange(1, 5, dtype=np.int64)).tolist() == [0, 0, 0, 0]


def test_equal_hashes_alone_never_make_a_duplicate(monkeypatch: pytest.MonkeyPatch) -> None:
    """A hash collision (forced here: every key hashes alike) sends the chunk to the exact search,
    which finds no repeat among different USCCs."""
    monkeypatch.setattr(_hashing, "hash_text_keys", lambda keys: np.zeros(len(keys), np.uint64))
    ids = pa.array(VALID + [VALID[2]])
    assert not _hashing.all_distinct(ids)
    assert output.duplicates(ids, np.arange(1, 5, dtype=np.int64)).tolist() == [0, 0, 0, 3]


def test_hashes_of_uscc_bytes_and_of_other_text_agree_on_equality() -> None:
    same = _hashing.hash_text_keys(pa.array([VALID[0], VALID[0], VALID[1]]))
    assert same[0] == same[1] != same[2]
    other = _hashing.hash_text_keys(pa.array(["short", "short", "a longer key than eighteen"]))
    assert other[0] == other[1] != other[2]
    sliced = pa.array(["x" * 18, VALID[0], VALID[1]]).slice(1)  # an offset into the Arrow buffers
    assert _hashing.hash_text_keys(sliced).tolist() == _hashing.hash_text_keys(pa.array(VALID[:2])).tolist()


def test_coded_reasons_keep_nulls_and_texts() -> None:
    codes = np.array([-1, 1, 0, -1, 1], np.int32)
    got = output._coded_strings(codes, ["坏 | bad", "超出范围 | out of range"])
    assert got.__arrow_array__().to_pylist() == [None, "超出范围 | out of range", "坏 | bad", None,
                                                 "超出范围 | out of range"]
    assert output._coded_strings(np.full(3, -1, np.int32), []).isna().all()
