"""The money limit: an amount the schema accepts is one the batch holds in int64 fen."""

from decimal import Decimal

import pandas as pd
import pytest

import eligibility as el
from eligibility.limits import MAX_MONEY

AS_OF = "2026-06-01"
RULE = "ordos.small-micro-vat-credit-refund"  # amount: vat_credit.stock + vat_credit.increment
LARGEST = "999999999999999.99"  # the largest amount with two decimals below the limit


@pytest.fixture(scope="module")
def engine() -> el.Engine:
    return el.Engine()


def scalar(engine: el.Engine, stock: str, increment: str) -> el.RuleResult:
    results = engine.evaluate({"vat_credit": {"stock": stock, "increment": increment}}, AS_OF).results
    return next(r for r in results if r.rule_id == RULE)


def test_the_largest_amounts_sum_to_the_same_benefit_in_the_batch(engine: el.Engine) -> None:
    """Before: two amounts just below the old limit (10^18) overflowed int64 fen in the batch."""
    assert Decimal(LARGEST) < MAX_MONEY <= Decimal(LARGEST) + Decimal("0.01")
    one = scalar(engine, LARGEST, LARGEST)
    scored = engine.score(pd.DataFrame({"vat_credit.stock": [LARGEST], "vat_credit.increment": [LARGEST]}), AS_OF)
    row = scored[scored.rule_id == RULE].iloc[0]
    assert one.amount == row.amount == Decimal("1999999999999999.98")
    assert one.status.value == row.status == "undetermined"


@pytest.mark.parametrize("text", ["1000000000000000", "99999999999999999", "-1000000000000000.5"])
def test_an_amount_at_or_beyond_the_limit_is_that_firms_field_error(engine: el.Engine, text: str) -> None:
    """Before: 99999999999999999 was accepted and the batch raised OverflowError."""
    assert scalar(engine, text, "0").status.value == "error"
    frame = pd.DataFrame({"vat_credit.stock": ["5", text], "vat_credit.increment": ["0", "0"]})
    scored = engine.score(frame, AS_OF)
    rows = scored[scored.rule_id == RULE].set_index("row")
    assert rows.loc[1, "amount"] == Decimal(5)
    assert rows.loc[2, "status"] == "error"
    reason = rows.loc[2, "reason"]
    assert "vat_credit.stock" in reason and f"'{text}'" in reason and "10^15" in reason
