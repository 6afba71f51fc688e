"""Number fields with decimals (rates such as the LPR) are ingested as exact scaled integers, so the
amounts computed from them stay in int64 arithmetic; what cannot be so stays Decimal. Either way the
amounts are the interpreter's."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import eligibility as el
from eligibility.backends.vectorized import VectorizedRules, table_from_frame
from eligibility.facts.codes.uscc import check_character
from eligibility.testing.workload import make_workload

AS_OF = date(2024, 11, 30)


def _uscc(i: int) -> str:
    base = f"91152921MA{i:07d}"
    return base + check_character(base)


@pytest.mark.parametrize(("rates", "kind", "scale"), [
    ([Decimal("0.0345"), Decimal("0.0365"), None, Decimal("0.04")], "int", 4),
    ([Decimal("0.035"), Decimal("0.0345000"), Decimal("1E-12"), None], "int", 12),
    ([Decimal("0.0345"), Decimal("1E-30"), None, None], "dec", 0),  # beyond int64 at its scale: Decimal
])
def test_a_rate_column_is_exact_int64_where_it_fits(rates: list[Decimal | None], kind: str, scale: int) -> None:
    frame = pd.DataFrame({"uscc": [_uscc(i) for i in range(len(rates))],
                          "scenario.loan.lpr": pd.Series(rates, dtype=object)})
    col = table_from_frame(frame).col("scenario.loan.lpr")
    assert col.kind == kind and col.scale == scale
    values = [Decimal(int(v)).scaleb(-scale) if kind == "int" else v for v in col.val.tolist()]
    assert [v if k else None for v, k in zip(values, (col.known & ~col.null).tolist())] == rates


def test_the_loan_subsidy_from_int64_rates_is_the_interpreters() -> None:
    """tengger's start-up loan subsidy, min(loan, 300万) × LPR × 50% × min(term, 2) rounded to the fen, on
    the workload's firms with a loan: the vectorized amounts (int64 rates) are the interpreter's."""
    rules = el.load_rules()
    engine = el.Engine(rules)
    firms = make_workload(1500, 0).firms
    frame = pa.Table.from_pandas(el.to_frame(firms), preserve_index=False).to_pandas(types_mapper=pd.ArrowDtype)
    table = table_from_frame(frame)
    assert table.col("scenario.loan.lpr").kind == "int"
    decided = VectorizedRules(rules).decide(table, AS_OF, explain=False)
    o = next(o for o in decided.outcomes if o.rule.id == "tengger.startup-guarantee-loan")
    paid = 0
    for i in np.flatnonzero(o.has_amount & (o.status >= 0)).tolist():
        expected = next(d for d in engine.decide(firms[i], as_of=AS_OF) if d.rule_id == o.rule.id)
        assert Decimal(int(o.amount[i])).scaleb(-2) == expected.amount
        paid += expected.amount != 0
    assert paid >= 3, "the workload has firms paid the subsidy"
