"""The vectorized compiler's nodes shared between rules: a node several rules write alike is
evaluated once per decide, a node that reads a parameter never is, and decisions stay the
interpreter's whatever the order of dates and rule sets decided."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

import eligibility as el
from eligibility.backends.vectorized import table_from_frame
from eligibility.backends.vectorized.compiler import STATUS_NAMES, VectorizedRules, _structure, shared_nodes
from eligibility.facts.frame import to_frame
from eligibility.lower import lower
from eligibility.model import expr as x
from ruletext import rule_yaml


def key(node: x.Node) -> Any:
    return _structure(node, {})


def test_constants_keep_their_type_and_exact_text() -> None:
    def at_least(value: Any, span: tuple[int, int] = (0, 0)) -> x.Node:
        return x.Compare((x.Field("revenue", span=span), x.Literal(value)), (">=",))

    assert key(at_least(1)) != key(at_least(True))
    assert key(at_least(Decimal("1.0"))) != key(at_least(Decimal("1.00")))
    assert key(at_least(Decimal("1.0"))) == key(at_least(Decimal("1.0"), span=(3, 9)))
    assert key(at_least(1)) != key(x.Compare((x.Field("revenue"), x.Literal(1)), (">",)))
    assert key(at_least(1)) != key(x.Compare((x.Field("employees"), x.Literal(1)), (">=",)))


def test_a_node_reading_a_parameter_is_never_shared() -> None:
    assert key(x.Param("rate")) is None
    assert key(x.Arith("*", x.Field("revenue"), x.Param("rate"))) is None
    assert key(x.Compare((x.Arith("*", x.Field("revenue"), x.Param("rate")), x.Literal(1)), (">",))) is None
    assert key(x.Arith("*", x.Field("revenue"), x.Literal(Decimal("0.1")))) is not None


def test_clauses_worded_apart_share_their_value() -> None:
    item = x.Compare((x.Field("employees"), x.Literal(10)), ("<",))
    a = x.Clause(item, "employees < 10", "少于10人", "fewer than 10", 3)
    b = x.Clause(item, "employees<10", None, None, 9)
    assert key(a) == key(b) != key(item)


RATE = """\
params:
  rate:
    values:
      - {{from: 2019-01-01, value: {first}, basis: 测试}}
      - {{from: 2024-01-01, value: {second}, basis: 测试}}
"""


@pytest.fixture
def rules(make_rules: Callable[..., el.RuleSet]) -> el.RuleSet:
    """Three rules with the same condition; two pay a parameter read at as_of, with different values."""
    return make_rules(
        rule_yaml("t.a", '["revenue >= 100万", "employees < 300"]', "revenue * rate",
                  RATE.format(first="1%", second="2%"))
        + rule_yaml("t.b", '["revenue >= 100万", "employees < 300"]', "revenue * rate",
                    RATE.format(first="3%", second="5%"))
        + rule_yaml("t.c", '["revenue >= 100万", "registered_on <= as_of - 1 year"]', "1万"))


def test_rules_written_alike_share_their_conditions_not_their_parameters(rules: el.RuleSet) -> None:
    shared = shared_nodes([lower(r) for r in rules.rules])
    a, b, c = (lower(r) for r in rules.rules)
    assert a.when is not b.when and shared[id(a.when)] == shared[id(b.when)]
    first = [n for n in x.walk(a.when) if isinstance(n, x.Compare)][0]
    third = [n for n in x.walk(c.when) if isinstance(n, x.Compare)][0]
    assert shared[id(first)] == shared[id(third)]
    for low in (a, b):
        assert low.finish.amount is not None
        assert all(id(n) not in shared for n in x.walk(low.finish.amount) if isinstance(n, x.Param | x.Arith))


PROFILES: list[dict[str, Any]] = [
    {"revenue": Decimal(2_000_000), "employees": 10, "registered_on": date(2020, 5, 1)},
    {"revenue": Decimal(500_000), "employees": 10, "registered_on": date(2023, 12, 1)},
    {"revenue": Decimal(1_000_000), "employees": 400, "registered_on": date(2023, 7, 1)},
    {"revenue": Decimal(3_000_000)},
    {"employees": 5, "registered_on": date(2024, 2, 1)},
    {},
]


def _decided(engine: el.Engine, as_of: date) -> list[dict[str, tuple[str, Decimal | None]]]:
    scored = engine.score(to_frame(PROFILES), as_of)
    out: list[dict[str, tuple[str, Decimal | None]]] = [{} for _ in PROFILES]
    for rec in scored.itertuples():
        out[rec.row - 1][rec.rule_id] = (rec.status, None if rec.amount is pd.NA else rec.amount)
    return out


def _expected(engine: el.Engine, as_of: date) -> list[dict[str, tuple[str, Decimal | None]]]:
    return [{r.rule_id: (r.status.value, r.amount) for r in engine.evaluate(p, as_of).results} for p in PROFILES]


def test_shared_nodes_decide_as_the_interpreter_across_dates_and_rule_sets(rules: el.RuleSet,
                                                                            make_rules: Callable[..., el.RuleSet]
                                                                            ) -> None:
    other = make_rules(rule_yaml("t.a", '["revenue >= 200万", "employees < 300"]', "revenue * rate",
                                 RATE.format(first="7%", second="9%")))
    engines = [el.Engine(rules), el.Engine(other)]
    for as_of in (date(2024, 6, 30), date(2023, 6, 30), date(2024, 6, 30), date(2020, 1, 1)):
        for engine in engines:
            assert _decided(engine, as_of) == _expected(engine, as_of), (as_of, engine.rules.rules[0].id)


def test_a_decide_of_one_table_after_another_keeps_nothing_of_the_first(rules: el.RuleSet) -> None:
    compiled = VectorizedRules(rules)
    engine = el.Engine(rules)
    small = table_from_frame(to_frame(PROFILES[:2]), 1)
    big = table_from_frame(to_frame(PROFILES), 1)
    for as_of in (date(2024, 6, 30), date(2021, 1, 1)):
        first = compiled.decide(small, as_of, explain=False)
        second = compiled.decide(big, as_of, explain=False)
        assert [len(o.status) for o in first.outcomes] == [2] * 3
        expected = _expected(engine, as_of)
        for outcome in second.outcomes:
            got = [STATUS_NAMES[int(s)] for s in outcome.status]
            assert got == [row[outcome.rule.id][0] for row in expected], (as_of, outcome.rule.id)


def test_plans_are_made_per_date(rules: el.RuleSet) -> None:
    """A rule's plan holds its parameters' values on the date asked, never another date's."""
    compiled = VectorizedRules(rules)
    for as_of, rate in ((date(2023, 6, 30), Decimal("0.01")), (date(2024, 6, 30), Decimal("0.02")),
                        (date(2023, 6, 30), Decimal("0.01"))):
        _, _, plans = compiled._in_force(as_of)
        assert [p.lowered.rule.id for p in plans] == ["t.a", "t.b", "t.c"]
        assert plans[0].params == {"rate": rate}
        assert plans[0].texts == ("revenue >= 100万", "employees < 300")
