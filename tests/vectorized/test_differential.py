"""The vectorized backend against the explaining interpreter: the whole long-table row (status,
amount, superseded_by, missing facts, first failed condition, reason) must agree exactly.

Random registers come from the shipped ``profiles()`` strategy (missing values included); the
boundary cases of every bundled rule put values exactly at, one step below and one step above
each threshold and date boundary.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import eligibility as el
from eligibility.facts.frame import to_frame
from eligibility.facts.profile import Profile
from eligibility.testing import boundary_cases, profiles

DATES = [date(2019, 6, 30), date(2021, 3, 1), date(2022, 12, 31), date(2023, 1, 1), date(2024, 6, 30),
         date(2025, 12, 31)]
Row = tuple[str, Decimal | None, str | None, tuple[str, ...], str | None, str | None]


@cache
def engine() -> el.Engine:
    return el.Engine(el.load_rules())


def expected(e: el.Engine, profile: Profile, day: date) -> dict[str, Row]:
    out = {}
    for r in e.evaluate(profile, day).results:
        failed = r.failed()
        out[r.rule_id] = (r.status.value, r.amount, r.superseded_by, tuple(sorted(r.missing)),
                          failed[0].clause.text if failed else None,  # type: ignore[union-attr]
                          f"{r.reason[1]} | {r.reason[0]}" if r.reason else None)
    return out


def _text(v: Any) -> str | None:
    return v if isinstance(v, str) else None


def got_rows(scored: pd.DataFrame, row: int) -> dict[str, Row]:
    out = {}
    for rec in scored[scored["row"] == row].itertuples():
        amount = None if rec.amount is pd.NA else rec.amount
        missing = tuple(sorted(rec.missing)) if isinstance(rec.missing, (list, np.ndarray)) else ()
        out[rec.rule_id] = (rec.status, amount, _text(rec.superseded_by), missing, _text(rec.failed),
                            _text(rec.reason))
    return out


def wide_rows(wide: pd.DataFrame, i: int) -> dict[str, tuple[str, Decimal | None]]:
    """(status, amount) per rule in scope on row ``i`` of a wide table (out of scope: no status)."""
    out = {}
    for col in wide.columns:
        if col.endswith(".status") and isinstance(wide[col].iloc[i], str):
            rule_id = col.removesuffix(".status")
            amount = wide[f"{rule_id}.amount"].iloc[i]
            out[rule_id] = (wide[col].iloc[i], None if amount is pd.NA else amount)
    return out


def arrow_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as a Parquet reader gives it: Arrow-backed columns (decimal128, date32, list<struct>)."""
    return pa.Table.from_pandas(frame, preserve_index=False).to_pandas(types_mapper=pd.ArrowDtype)


def check_agree(e: el.Engine, ps: list[Profile], day: date) -> None:
    frame = to_frame(ps)
    scored = e.score(frame, day)
    # the Arrow paths (codes seeded from the head, USCCs and free text kept in Arrow, money from the
    # buffers) decide exactly as the object columns do
    pd.testing.assert_frame_equal(e.score(arrow_frame(frame), day), scored)
    wide = e.score(frame, day, wide=True)  # decided without explanations: same statuses and amounts
    assert not (scored["status"] == "error").any(), scored.loc[scored["status"] == "error", "reason"].tolist()
    assert sorted(set(scored["row"])) == [i + 1 for i in range(len(ps)) if expected(e, ps[i], day)]
    for i, p in enumerate(ps):
        want, got = expected(e, p, day), got_rows(scored, i + 1)
        assert got == want, {k: (got.get(k), want.get(k)) for k in set(got) | set(want) if got.get(k) != want.get(k)}
        assert wide_rows(wide, i) == {k: v[:2] for k, v in want.items()}


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(profiles(), min_size=1, max_size=8), st.sampled_from(DATES))
def test_random_registers_agree_with_the_interpreter(ps: list[dict[str, Any]], day: date) -> None:
    check_agree(engine(), [Profile.from_data(p) for p in ps], day)


def _boundary_params() -> list[Any]:
    out = []
    for rule in engine().rules.rules:
        cases = boundary_cases(rule)
        if cases:
            out.append(pytest.param(rule.id, id=rule.id))
    return out


@pytest.mark.parametrize("rule_id", _boundary_params())
def test_every_threshold_of_the_bundled_packs(rule_id: str) -> None:
    """All boundary cases of a rule in one frame (at, below, above each threshold), grouped by date."""
    cases = boundary_cases(engine().rules.get(rule_id))  # type: ignore[arg-type]
    by_day: dict[date, list[Profile]] = {}
    for c in cases:
        by_day.setdefault(c.as_of, []).append(Profile.from_data(c.profile))
    for day, ps in by_day.items():
        check_agree(engine(), ps, day)


def test_missing_values_everywhere_agree() -> None:
    """The same firm with each top-level field removed in turn (unknown facts, not empty ones)."""
    base = Profile.from_data({
        "uscc": "9153080200MA6K8XYK", "region_code": "530802", "industry_code": "C3011",
        "employees": 120, "revenue": "25000000", "total_assets": "30000000", "taxable_income": "1000000",
        "registers": {"above_scale_industrial": {"entered_on": "2024-03-01", "first_entry": True, "new_build": True}},
        "certifications": [{"kind": "high_tech", "level": "national", "certified_on": "2023-05-01"}],
    }).model_dump(exclude_unset=True, mode="json")
    variants = [Profile.from_data(base)]
    for key in list(base):
        if key != "uscc":
            variants.append(Profile.from_data({k: v for k, v in base.items() if k != key}))
    for day in DATES:
        check_agree(engine(), variants, day)


def test_summary_of_the_vectorized_table_equals_the_row_by_row_one() -> None:
    """engine.summarize on the vectorized long table (Arrow decimals, NA amounts) and on the
    interpreter's row-by-row table: same counts and exact totals."""
    frame = pd.read_csv("examples/register.csv", dtype=str, keep_default_na=False).head(400)
    e = engine()
    fast, slow = e.summarize(e.score(frame, "2024-06-30")), e.summarize(e.score_rows(frame, "2024-06-30"))
    pd.testing.assert_frame_equal(fast.reset_index(drop=True), slow.reset_index(drop=True))
    assert fast.attrs == slow.attrs
    assert fast["amount_total"].sum() > 0


def _normalised(scored: pd.DataFrame) -> list[tuple[Any, ...]]:
    """Long-table rows as comparable tuples (NA → None, missing facts sorted)."""
    out = []
    for rec in scored.itertuples():
        amount = None if rec.amount is pd.NA or rec.amount is None else Decimal(str(rec.amount))
        missing = tuple(sorted(rec.missing)) if isinstance(rec.missing, (list, np.ndarray)) else ()
        out.append((int(rec.row), rec.rule_id if isinstance(rec.rule_id, str) else None, str(rec.status), amount,
                    _text(rec.superseded_by), missing, _text(rec.failed), _text(rec.reason)))
    return sorted(out, key=lambda t: (t[0], t[1] or ""))


@pytest.mark.parametrize("as_of", ["2022-06-30", "2025-06-30"])
def test_the_example_register_agrees_row_by_row(as_of: str) -> None:
    """The README's main job: the whole example register (no scenario columns, so procurement rules
    meet only absent facts) scored column-wise equals the interpreter row by row, at a date when the
    开鲁 (2025) measures are in force and one when they are not."""
    frame = pd.read_csv("examples/register.csv", dtype=str, keep_default_na=False)
    e = engine()
    fast, slow = _normalised(e.score(frame, as_of)), _normalised(e.score_rows(frame, as_of))
    assert len(fast) == len(slow) > len(frame)
    assert fast == slow
