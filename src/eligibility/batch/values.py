"""Cell values as the batch tables hold them: what counts as missing, plain Python values for a
spreadsheet cell, and a column's values as Python objects."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa


def is_missing(value: Any) -> bool:
    """None, NA or NaN (not an empty string)."""
    return value is None or value is pd.NA or value is pd.NaT or (
        isinstance(value, (float, np.floating, Decimal)) and math.isnan(value))


def plain_value(value: Any) -> Any:
    """A value as a spreadsheet cell takes it: None, int, str, float, Decimal or date (else its text)."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (str, int, float, Decimal, date)):
        return value
    return str(value)


def object_values(series: pd.Series) -> np.ndarray:
    """Values as Python objects with None for missing (Arrow, categorical or object columns)."""
    if series.dtype != object:
        arr = pa.array(series, from_pandas=True)
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        out = np.empty(len(arr), dtype=object)
        out[:] = arr.to_pylist()
        return out
    values = series.to_numpy(dtype=object, copy=True)
    for i, v in enumerate(values):
        if is_missing(v):
            values[i] = None
    return values
