"""Column-wise ingest refuses and accepts exactly what the profile schema does."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

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
