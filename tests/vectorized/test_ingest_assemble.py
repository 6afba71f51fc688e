"""The table's assembly blanks and fills values exactly as ``np.where`` would, with its cheaper
product where the filler is zero."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from eligibility.backends.vectorized import ingest

DTYPES = [np.dtype(np.int64), np.dtype(np.int32), np.dtype(np.int8), np.dtype(np.bool_), np.dtype(object)]
FILLS: list[Any] = [0, 5, -1, False, True, "", np.int64(0)]


@given(st.data(), st.sampled_from(DTYPES), st.sampled_from(FILLS), st.integers(min_value=0, max_value=40),
       st.sampled_from(["array", "scalar true", "scalar false"]))
def test_kept_equals_np_where(data: st.DataObject, dtype: np.dtype, fill: Any, n: int, keep_form: str) -> None:
    if dtype == np.dtype(object):
        val = np.array(data.draw(st.lists(st.text(max_size=3), min_size=n, max_size=n)), dtype=object)
    else:
        val = data.draw(hnp.arrays(dtype, n))
    keep: Any = {"scalar true": np.True_, "scalar false": np.False_}.get(keep_form)
    if keep is None:
        keep = data.draw(hnp.arrays(np.bool_, n))
    got, want = ingest._kept(val, keep, fill), np.where(keep, val, fill)
    assert got.dtype == want.dtype
    assert got.shape == want.shape
    assert np.array_equal(got, want)


def test_kept_keeps_a_scalar_value_to_the_mask_shape() -> None:
    keep = np.array([True, False, True])
    got = ingest._kept(np.int64(4), keep, 0)
    assert got.tolist() == [4, 0, 4]
    assert got.dtype == np.int64
