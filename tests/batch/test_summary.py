"""Per-chunk summaries merged exactly into the one-shot summary."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

import eligibility as el
from eligibility.batch import SummaryAccumulator, merge_summaries, read_register, score_chunk

from registerfile import AS_OF, REGISTER


def test_summary_merged_over_chunks_equals_the_one_shot_summary(engine: el.Engine) -> None:
    whole = pd.read_csv(REGISTER, dtype=str, keep_default_na=False)
    scored = engine.score(whole, AS_OF)
    scored.attrs["rows_read"] = len(whole)
    one_shot = engine.summarize(scored)
    acc = SummaryAccumulator([r.id for r in engine.rules.rules])
    for _, chunk in read_register(REGISTER, chunk_size=333):
        acc.add(engine.summarize(score_chunk(engine, chunk, AS_OF)))
    merged = acc.result()
    assert merged["rule_id"].tolist() == [r.id for r in engine.rules.rules if r.id in set(merged["rule_id"])]
    merged = merged.astype({"rule_id": str}).sort_values("rule_id").reset_index(drop=True)
    one_shot = one_shot.astype({"rule_id": str}).sort_values("rule_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(merged, one_shot, check_dtype=False)
    assert [Decimal(str(x)) for x in merged["amount_total"]] == [Decimal(str(x)) for x in one_shot["amount_total"]]
    for key in ("rows_read", "rows_error", "rows_scored", "rows_no_rule"):
        assert merged.attrs[key] == one_shot.attrs[key], key
    assert merged.attrs["rows_read"] == 2400
    assert merged["eligible"].sum() > 0


def test_summary_accumulator_adds_amounts_exactly() -> None:
    def part(amount: str, eligible: int, rows: int) -> pd.DataFrame:
        s = pd.DataFrame([{"rule_id": "r", "title": "t", "eligible": eligible, "undetermined": 0, "superseded": 0,
                           "ineligible": 0, "amount_total": Decimal(amount)}])
        s.attrs.update(rows_read=rows, rows_error=0, rows_scored=rows, rows_no_rule=0, as_of="2024-06-30")
        return s

    merged = merge_summaries([part("0.10", 1, 1), part("0.20", 1, 2), part("19999999.70", 3, 3)])
    assert merged.loc[0, "amount_total"] == Decimal("20000000.00") and merged.loc[0, "eligible"] == 5
    assert merged.attrs["rows_read"] == 6 and merged.attrs["as_of"] == "2024-06-30"
