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


def test_leaf_columns_are_arrow_typed_from_the_schema() -> None:
    frame = el.to_frame(PROFILES + [{"uscc": "91530802MA6K000014", "revenue": "2500万", "employees": 12,
                                     "registered_on": "2019-05-20", "registers": {},
                                     "power": {"transformer_kva": "315.5"}}])
    types = {c: str(frame[c].dtype.pyarrow_dtype) for c in frame.columns if isinstance(frame[c].dtype, pd.ArrowDtype)}
    assert types["revenue"] == "decimal128(20, 2)" and types["registered_on"] == "date32[day]"
    assert types["employees"] == "int64" and types["registers"] == "bool" and types["uscc"] == "string"
    assert frame["revenue"].iloc[-1] == 25_000_000 and pd.isna(frame["revenue"].iloc[0])
    # a number that is not whole stays a Python object: Arrow would cut 315.5 to 315
    assert frame["power.transformer_kva"].dtype == object and str(frame["power.transformer_kva"].iloc[-1]) == "315.5"


def test_a_typed_frame_scores_as_its_python_objects_do(engine: el.Engine) -> None:
    profiles = [*PROFILES, {"uscc": "91530802MA6K000014", "region_code": "530802", "revenue": "1.5亿",
                            "employees": 30, "registered_on": "2019-05-20", "vat_taxpayer": "small_scale",
                            "registers": {"above_scale_industrial": {"entered_on": "2023-01-01"}}}]
    frame = el.to_frame(profiles * 5)
    objects = frame.astype({c: object for c in frame.columns if not pa.types.is_list(
        getattr(frame[c].dtype, "pyarrow_dtype", pa.null()))})
    assert (objects.dtypes == object).sum() > 60
    pd.testing.assert_frame_equal(engine.score(frame, AS_OF), engine.score(objects, AS_OF))
