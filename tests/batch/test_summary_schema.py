"""The one summary schema: counts per status (error included), exact and up-to amounts apart, firms
with an unknown amount, a lower-bound flag, and the reconciliation of rows."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd

import eligibility as el
from eligibility.batch import merge_summaries, write_summary
from eligibility.engine import SUMMARY_COLUMNS


def _long(rows: list[tuple]) -> pd.DataFrame:
    cols = ["row", "entity_id", "rule_id", "status", "amount", "amount_kind", "superseded_by", "missing", "failed",
            "reason"]
    frame = pd.DataFrame([(r[0], "X", r[1], r[2], r[3], r[4], None, [], None, None) for r in rows], columns=cols)
    frame.attrs["rows_read"] = 5
    return frame


def test_exact_and_up_to_apart_unknown_amounts_and_lower_bound(engine: el.Engine) -> None:
    scored = _long([
        (1, "examples.puer.new-industrial", "eligible", Decimal("500000"), "up_to"),
        (2, "examples.puer.new-industrial", "eligible", None, "up_to"),          # amount not known
        (1, "examples.puer.little-giant-national", "eligible", Decimal("1000000"), "exact"),
        (2, "examples.puer.little-giant-national", "error", None, None),       # a field error: row 2 is scored
        (3, "examples.kailu.bid-bond-waiver", "eligible", None, None),         # grants no amount: not "unknown"
        (4, None, "error", None, None),                                         # a row-level failure
    ])
    s = engine.summarize(scored).set_index("rule_id")
    assert list(engine.summarize(scored).columns) == SUMMARY_COLUMNS
    ni = s.loc["examples.puer.new-industrial"]
    assert (ni.eligible, ni.amount_exact, ni.amount_up_to, ni.amount_unknown, ni.lower_bound) == \
        (2, Decimal(0), Decimal(500000), 1, True)
    lg = s.loc["examples.puer.little-giant-national"]
    assert (lg.eligible, lg.error, lg.amount_exact, lg.amount_unknown, lg.lower_bound) == \
        (1, 1, Decimal(1000000), 0, False)
    bb = s.loc["examples.kailu.bid-bond-waiver"]
    assert (bb.amount_unknown, bb.lower_bound) == (0, False)
    a = engine.summarize(scored).attrs
    assert (a["rows_read"], a["rows_scored"], a["rows_error"], a["rows_no_rule"]) == (5, 3, 1, 1)


def test_chunks_merge_exactly_and_the_file_carries_the_reconciliation(engine: el.Engine, tmp_path: Path) -> None:
    one = _long([(1, "examples.puer.new-industrial", "eligible", None, "up_to")])
    two = _long([(6, "examples.puer.new-industrial", "eligible", Decimal("0.10"), "up_to"),
                 (7, "examples.puer.new-industrial", "error", None, None)])
    s1, s2 = engine.summarize(one), engine.summarize(two)
    s1.attrs["field_errors"], s2.attrs["field_errors"] = {"revenue": 2}, {"revenue": 1, "employees": 4}
    merged = merge_summaries([s1, s2])
    rec = merged.set_index("rule_id").loc["examples.puer.new-industrial"]
    assert (rec.eligible, rec.error, rec.amount_up_to, rec.amount_unknown, rec.lower_bound) == \
        (2, 1, Decimal("0.10"), 1, True)
    assert merged.attrs["rows_read"] == 10 and merged.attrs["field_errors"] == {"revenue": 3, "employees": 4}
    write_summary(merged, tmp_path / "s.csv")
    text = (tmp_path / "s.csv").read_text(encoding="utf-8").splitlines()
    assert text[0].split(",")[:len(SUMMARY_COLUMNS)] == SUMMARY_COLUMNS and "rows_read" in text[0]
    assert ",0.10," in text[1] and text[1].endswith(",".join(str(merged.attrs[k]) for k in
                                                            ("rows_read", "rows_error", "rows_scored", "rows_no_rule")))


def test_a_categorical_and_arrow_long_table_sums_as_the_object_one(engine: el.Engine) -> None:
    """The engine's own long table (categorical ids and kinds, decimal128 amounts) is summed in one
    Arrow grouping; it gives what the object form of the same rows gives."""
    import pyarrow as pa

    rows = [(i, rid, st, amt, kind) for i, (rid, st, amt, kind) in enumerate([
        ("examples.puer.new-industrial", "eligible", Decimal("500000"), "up_to"),
        ("examples.puer.new-industrial", "eligible", Decimal("0.10"), "exact"),
        ("examples.puer.new-industrial", "eligible", None, "up_to"),
        ("examples.puer.little-giant-national", "eligible", Decimal("1000000"), "exact"),
        ("examples.puer.little-giant-national", "eligible", Decimal("2.05"), "exact"),
        ("examples.puer.little-giant-national", "ineligible", Decimal("7"), "exact"),
        ("examples.kailu.bid-bond-waiver", "eligible", None, None),
        (None, "error", None, None),
    ], start=1)]
    plain = _long(rows)
    typed = plain.copy()
    for c in ("rule_id", "status", "amount_kind"):
        typed[c] = typed[c].astype("category")
    typed["amount"] = pd.Series(pd.arrays.ArrowExtensionArray(pa.array(list(plain["amount"]), pa.decimal128(18, 2))))
    typed.attrs = dict(plain.attrs)
    want, got = engine.summarize(plain), engine.summarize(typed)
    pd.testing.assert_frame_equal(got, want)
    lg = got.set_index("rule_id").loc["examples.puer.little-giant-national"]
    ni = got.set_index("rule_id").loc["examples.puer.new-industrial"]
    assert (lg.amount_exact, ni.amount_exact, ni.amount_up_to) == (Decimal("1000002.05"), Decimal("0.10"), Decimal(500000))
