"""Wide and deep rules run on every path: 500 conditions in one all/any, a 300-term sum, 200 nested
``not`` and 200 nested ``if`` give the same decisions in the interpreter (with its explanation, the
generated one equal to the reference closures'), the compiled decider, the vectorized scorer and both
reactive backends."""

from __future__ import annotations

import dataclasses
import importlib.util
import textwrap
from collections.abc import Callable
from datetime import date
from typing import Any

import pandas as pd
import pytest

import eligibility as el
from eligibility.model import expr as x
from eligibility.model.rule import RuleSet
from eligibility.reactive import Watcher
from eligibility.results import Decision
from ruletext import DOCUMENT, rule_yaml

WIDE, DEEP, TERMS = 500, 200, 300  # a sum of 300 terms is 300 nested additions
AS_OF = date(2024, 6, 30)
FIRMS = [
    {"uscc": "91150602RLG8477809", "revenue": "2500万", "employees": 500},
    {"uscc": "91150602CMPFQYT30W", "revenue": "0.5万", "employees": 5},
    {"uscc": "91150602MA0N2RGK82", "employees": 40},  # revenue unknown
]
BACKENDS = ["python"] + (["durable"] if importlib.util.find_spec("durable") is not None else [])


def _nested_if(rules: RuleSet, depth: int) -> RuleSet:
    """``if employees > k then (…) else false``, ``depth`` levels round a revenue test (built as nodes:
    the parser's own depth limit is the loader's business)."""
    node = rules.rules[0].when
    for k in range(depth):
        node = x.IfElse(x.Compare((x.Field("employees"), x.Literal(k % 50)), (">",)), node, x.Literal(False))
    return RuleSet([dataclasses.replace(rules.rules[0], when=node)], list(rules.documents), rules.hash)


CASES: dict[str, tuple[str, str]] = {
    "and of 500": ('"' + " and ".join(f"revenue >= {k}万" for k in range(WIDE)) + '"', "1万"),
    "or of 500": ('"' + " or ".join(f"revenue == {k + 1}万" for k in range(WIDE)) + '"', "1万"),
    "sum of 300 terms": ('"' + " + ".join("revenue" for _ in range(TERMS)) + ' >= 2亿"',
                         '"' + " + ".join("revenue * 0.0001" for _ in range(TERMS)) + '"'),
    "200 nested not": ('"' + "not " * DEEP + 'revenue >= 100万"', "1万"),
    "200 nested if": ('"revenue >= 100万"', "1万"),
}


@pytest.fixture(params=list(CASES), scope="module")
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> el.Engine:
    when, amount = CASES[request.param]
    path = tmp_path_factory.mktemp("deep") / "rules.yaml"
    path.write_text(DOCUMENT.format(jurisdiction="{code: national, name: 全国}")
                    + textwrap.indent(rule_yaml("demo.deep", when, amount), "  "), encoding="utf-8")
    rules = el.load_rules(path)
    return el.Engine(_nested_if(rules, DEEP) if request.param == "200 nested if" else rules)


def _expected(engine: el.Engine) -> list[tuple[str, Any]]:
    out = []
    for firm in FIRMS:
        (r,) = engine.evaluate(firm, AS_OF).results
        out.append((r.status.value, r.amount))
    return out


def test_the_interpreter_decides_and_explains(engine: el.Engine) -> None:
    statuses = [s for s, _ in _expected(engine)]
    assert len(set(statuses)) >= 2  # the firms are told apart, so every path below is really compared
    text = engine.evaluate(FIRMS[1], AS_OF).explain("en")
    assert "demo.deep" in text or "test rule" in text


def test_the_generated_explanation_is_the_reference_walks(engine: el.Engine) -> None:
    """The rule's generated function (straight-line trace builders) explains as the closures do."""
    from eligibility.backends.interpreter.evaluator import Env, run_rule
    from eligibility.lower import lower, param_values

    rule = engine.rules.rules[0]
    for firm in FIRMS:
        (mine,) = engine.evaluate(firm, AS_OF).results
        reference = run_rule(lower(rule), Env(el.Profile.from_data(firm).facts(), AS_OF,
                                              param_values(rule, AS_OF) or {}))
        assert isinstance(reference, type(mine))
        reference.place = mine.place
        assert mine.to_dict("en") == reference.to_dict("en")
        assert mine.explain("zh") == reference.explain("zh")


@pytest.mark.parametrize("path", ["decide", "decider"])
def test_the_compiled_path_gives_the_interpreters_decisions(engine: el.Engine, path: str) -> None:
    run: Callable[[dict[str, Any]], list[Decision]] = (
        (lambda f: engine.decide(f, AS_OF)) if path == "decide"
        else (lambda f, d=engine.decider(AS_OF): d(el.Profile.from_data(f))))
    got = [(d.status.value, d.amount) for f in FIRMS for d in run(f)]
    assert got == _expected(engine)


def test_the_vectorized_path_gives_the_interpreters_decisions(engine: el.Engine) -> None:
    long = engine.score(pd.DataFrame(FIRMS), AS_OF)
    got = [(s, None if pd.isna(a) else a) for s, a in zip(long["status"], long["amount"])]
    assert [s for s, _ in got] == [s for s, _ in _expected(engine)]
    assert [a for _, a in got] == [a for _, a in _expected(engine)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_reactive_backends_give_the_interpreters_decisions(engine: el.Engine, backend: str) -> None:
    watcher = Watcher(engine, AS_OF, backend=backend)
    for firm in FIRMS:
        watcher.upsert(firm)
    got = [(d.status.value, d.amount) for f in FIRMS for d in watcher.decisions(f["uscc"])]
    assert got == _expected(engine)
