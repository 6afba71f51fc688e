"""Every translator over expression nodes declares every node class, and a node a backend cannot
translate is an error when the backend is built, naming the rule and the backend."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

import eligibility as el
from eligibility.backends.interpreter.builders import BUILD
from eligibility.backends.interpreter.compiled import SOURCE
from eligibility.backends.interpreter.evaluator import UNDATE
from eligibility.backends.interpreter.trace import TRACE
from eligibility.backends.vectorized.compiler import VECTORIZED, VectorizedRules
from eligibility.explain import KINDS, RENDER, WORDS
from eligibility.lang.check import CHECK
from eligibility.lang.render import UNPARSE
from eligibility.lint import CONSTRAINTS
from eligibility.model import expr as x
from eligibility.model.dispatch import NodeTable, check_rules, node_classes
from eligibility.model.rule import RuleSet
from eligibility.reactive.durable import DURABLE
from eligibility.testing.coverage import UNKNOWABLE
from eligibility.testing.mutation import MUTATIONS
from eligibility.testing.seeds import FOLD
from ruletext import rule_yaml

TABLES = [TRACE, BUILD, SOURCE, VECTORIZED, DURABLE, CHECK, RENDER, WORDS, KINDS, UNPARSE, CONSTRAINTS, UNKNOWABLE, MUTATIONS,
          FOLD, UNDATE]


def test_node_classes_are_the_concrete_nodes_of_the_model() -> None:
    names = {c.__name__ for c in node_classes()}
    assert {"Literal", "Field", "Compare", "And", "Quantifier", "Clause", "Name", "ListLit"} <= names
    assert "Node" not in names and "Duration" not in names
    assert all(getattr(x, c.__name__) is c for c in node_classes())


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.backend)
def test_every_backend_handles_or_declares_every_node_class(table: NodeTable[Any]) -> None:
    undeclared = node_classes() - table.handled - table.unsupported - table.inside
    assert not undeclared, f"{table.backend} neither handles nor declares {sorted(c.__name__ for c in undeclared)}"
    assert not table.handled & (table.unsupported | table.inside), f"{table.backend} declares a class it handles"


def _with_when(rules: RuleSet, when: x.Node) -> RuleSet:
    rule = dataclasses.replace(rules.rules[0], when=when)
    return RuleSet([rule], list(rules.documents), rules.hash)


@pytest.fixture
def rules(make_rules: Any) -> RuleSet:
    return make_rules(rule_yaml("demo.r1", '"revenue >= 100万"', "1万"))


def test_an_unsupported_node_fails_when_the_engine_is_built(rules: RuleSet) -> None:
    with pytest.raises(el.UnsupportedNodeError) as info:
        el.Engine(_with_when(rules, x.Name("revenue")))
    err = info.value
    assert (err.rule_id, err.backend, err.node) == ("demo.r1", "interpreter", "Name")
    assert "demo.r1" in err.en and "interpreter" in err.en and "demo.r1" in err.zh


def test_each_backend_build_checks_its_own_table(rules: RuleSet) -> None:
    broken = _with_when(rules, x.Not(x.Name("revenue")))
    with pytest.raises(el.UnsupportedNodeError, match="vectorized"):
        VectorizedRules(broken)
    for table in (SOURCE, DURABLE):
        with pytest.raises(el.UnsupportedNodeError) as info:
            check_rules(broken.rules, table)
        assert info.value.backend == table.backend and info.value.rule_id == "demo.r1"


@dataclasses.dataclass(frozen=True, slots=True)
class Between(x.Node):
    """A node class no backend knows (as a new one is before its translations are written)."""

    item: x.Node


def test_a_node_class_no_backend_knows_is_a_named_error_not_an_attribute_error(rules: RuleSet) -> None:
    node = Between(x.Field("revenue"))
    assert x.children(node) == (x.Field("revenue"),)  # walks need no listing of the new class
    for table in TABLES:
        with pytest.raises(el.UnsupportedNodeError, match="Between"):
            table(node)
    with pytest.raises(el.UnsupportedNodeError, match="demo.r1"):
        el.Engine(_with_when(rules, x.And((rules.rules[0].when, node))))
