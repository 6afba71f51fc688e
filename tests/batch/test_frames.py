"""pandas and Dask users: ``el.to_frame`` gives Arrow-backed ``list<struct>`` list columns, so Dask's
default string conversion keeps them lists and the Dask table equals the pandas one."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

import eligibility as el

AS_OF = "2024-06-30"
PROFILES = [
    {"uscc": "91530802MA6K000014", "region_code": "530802", "industry_code": "C3011",
     "certifications": [{"kind": "specialised_sme", "level": "municipal", "certified_on": "2024-01-10"}],
     "benefits_received": [], "vehicles": [{"type": "truck", "annual_tax": "120.50"}]},
    {"uscc": "91530802MA6K000014", "region_code": "530821", "certifications": []},
    {"uscc": "91530802MA6K000014", "region_code": "530802"},
]


def test_list_columns_are_arrow_and_keep_unknown_apart_from_empty() -> None:
    frame = el.to_frame(PROFILES)
    for c in ("certifications", "benefits_received", "vehicles"):
        assert isinstance(frame[c].dtype, pd.ArrowDtype) and pa.types.is_list(frame[c].dtype.pyarrow_dtype)
    certs = frame["certifications"].tolist()
    assert certs[0][0]["kind"] == "specialised_sme" and certs[1] == [] and pd.isna(certs[2])
    assert str(frame["vehicles"].dtype.pyarrow_dtype.value_type.field("annual_tax").type) == "decimal128(18, 2)"


def test_dask_default_string_conversion_keeps_the_lists(engine: el.Engine) -> None:
    dd = pytest.importorskip("dask.dataframe")
    import dask

    frame = el.to_frame(PROFILES * 20)
    with dask.config.set({"dataframe.convert-string": True}):
        ddf = dd.from_pandas(frame, npartitions=3)
        assert isinstance(ddf["certifications"].dtype, pd.ArrowDtype)
        got = engine.score(ddf, AS_OF).compute()
    want = engine.score(frame, AS_OF)
    key = ["row", "rule_id"]
    got = got.sort_values(key).reset_index(drop=True)
    want = want.sort_values(key).reset_index(drop=True)
    assert (got["status"] == "error").sum() == 0
    assert got["status"].astype(str).tolist() == want["status"].astype(str).tolist()
    assert got["rule_id"].astype(str).tolist() == want["rule_id"].astype(str).tolist()
