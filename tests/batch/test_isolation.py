"""Per-field isolation: an unreadable value makes only the rules reading its field ``error`` (or
``undetermined`` under a presumption), with their rule id and the reason; the same in the
vectorized batch and row by row through the interpreter."""

from __future__ import annotations

import pandas as pd
import pytest

import eligibility as el
from eligibility.batch import read_register
from eligibility.reads import readers

from registerfile import REGISTER as EXAMPLE_REGISTER

AS_OF = "2024-06-30"


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    ((_, chunk),) = list(read_register(EXAMPLE_REGISTER, 10_000))
    df = chunk.reset_index(drop=True).head(300).astype(object)
    df.attrs = {}
    return df


def _bad(frame: pd.DataFrame) -> pd.DataFrame:
    df = frame.copy()
    df.loc[[3, 40, 41], "revenue"] = "12x3"
    df.loc[[5, 41], "employees"] = "很多"
    df.loc[[7], "registered_on"] = "2019-02-30"
    df.loc[[9], "restricted_industry"] = "也许"   # a field with a presumption
    df.loc[[11], "certifications"] = "[{not json"
    df.loc[[13], "uscc"] = "91530802MA6K00001X"  # a failing check character: no readable USCC
    return df


def _norm(out: pd.DataFrame) -> pd.DataFrame:
    cols = ["row", "rule_id", "status", "amount", "missing", "reason"]
    t = pd.DataFrame({c: pd.Series(out[c].astype(object).tolist(), dtype=object) for c in cols})
    for c in ("rule_id", "status", "reason"):
        t[c] = pd.Series([None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v)
                          for v in t[c]], dtype=object)
    t["missing"] = [list(m) if isinstance(m, (list, tuple)) or hasattr(m, "tolist") else [] for m in t["missing"]]
    t["missing"] = [list(m.tolist()) if hasattr(m, "tolist") else m for m in t["missing"]]
    t["amount"] = pd.Series([None if a is None or a is pd.NA or (isinstance(a, float) and a != a) else f"{a:.2f}"
                             for a in t["amount"]], dtype=object)
    return t.sort_values(["row", "rule_id"], key=lambda s: s.astype(str)).reset_index(drop=True)


def test_only_rules_reading_the_bad_field_are_in_error(engine: el.Engine, frame: pd.DataFrame) -> None:
    clean = _norm(engine.score(frame, AS_OF))
    out = _norm(engine.score(_bad(frame), AS_OF))
    rules = engine.rules.rules
    for row, path in ((4, "revenue"), (6, "employees"), (8, "registered_on"), (12, "certifications")):
        mine, before = out[out.row == row], clean[clean.row == row]
        assert list(mine.rule_id) == list(before.rule_id)  # the same rules in scope, none dropped
        who = readers(rules, path)
        for a, b in zip(mine.itertuples(), before.itertuples(), strict=True):
            if a.rule_id in who:
                assert a.status == "error" and a.amount is None and a.missing == []
                assert f"field {path}, row {row}:" in a.reason and f"字段 {path}，第 {row} 行" in a.reason
            else:
                assert (a.status, a.amount, a.missing) == (b.status, b.amount, b.missing)
    assert (out.rule_id.isna() & (out.status == "error")).sum() == 1  # the USCC row, and only it
    row14 = out[out.row == 14]
    assert list(row14.status) == ["error"] and row14.rule_id.iloc[0] is None


def test_each_bad_field_of_a_row_is_named(engine: el.Engine, frame: pd.DataFrame) -> None:
    both = readers(engine.rules.rules, "revenue") & readers(engine.rules.rules, "industry_code")
    clean = _norm(engine.score(frame, AS_OF))
    at = int(clean[clean.rule_id.isin(both)].row.iloc[0])
    df = frame.copy()
    df.loc[at - 1, ["revenue", "industry_code"]] = ["12x3", "制造业"]
    out = _norm(engine.score(df, AS_OF))
    row = out[(out.row == at) & out.rule_id.isin(both)]
    assert len(row) and all("field revenue" in r and "field industry_code" in r for r in row.reason)
    assert _norm(engine.score_rows(df, AS_OF)).equals(out)


def test_a_field_with_a_presumption_gives_undetermined(engine: el.Engine, frame: pd.DataFrame) -> None:
    who = readers(engine.rules.rules, "restricted_industry")
    day = "2021-06-30"  # the rule reading it is in force then
    clean = _norm(engine.score(frame, day))
    at = int(clean[clean.rule_id.isin(who)].row.iloc[0])
    df = frame.copy()
    df.loc[at - 1, "restricted_industry"] = "也许"
    out = _norm(engine.score(df, day))
    row = out[(out.row == at) & out.rule_id.isin(who)]
    assert len(row) and set(row.status) == {"undetermined"}
    assert all(m == ["restricted_industry"] for m in row.missing)
    assert all("field restricted_industry" in r for r in row.reason)
    assert _norm(engine.score_rows(df, day)).equals(out)


def test_vectorized_and_row_by_row_agree(engine: el.Engine, frame: pd.DataFrame) -> None:
    df = _bad(frame)
    assert _norm(engine.score(df, AS_OF)).equals(_norm(engine.score_rows(df, AS_OF)))


def test_field_error_counts_and_wide_table(engine: el.Engine, frame: pd.DataFrame) -> None:
    df = _bad(frame)
    long = engine.score(df, AS_OF)
    assert long.attrs["field_errors"] == {"revenue": 3, "employees": 2, "registered_on": 1,
                                          "restricted_industry": 1, "certifications": 1}
    wide = engine.score(df, AS_OF, wide=True)
    per_rule = _norm(long)
    for rid in readers(engine.rules.rules, "revenue"):
        col = f"{rid}.status"
        if col in wide.columns:
            want = per_rule[(per_rule.row == 4) & (per_rule.rule_id == rid)].status.tolist()
            assert [wide.loc[3, col]] == (want or [None]) or (not want and pd.isna(wide.loc[3, col]))
