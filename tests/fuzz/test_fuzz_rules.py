"""Fuzzing rule files: random YAML documents and random expressions either load or give located
RuleDefinitionErrors; an expression that loads decides the same on the interpreter, the compiled
path and the batch."""

from __future__ import annotations

import tempfile
import textwrap
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from hypothesis import given
from hypothesis import strategies as st

import eligibility as el
from eligibility.errors import RuleSetError
from fuzzing import bounded, fuzz, located
from ruletext import DOCUMENT, rule_yaml

AS_OF = date(2024, 6, 30)
HEADER = DOCUMENT.format(jurisdiction="{code: national, name: 全国}")

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20),
                    st.sampled_from(["revenue > 0", "employees <= 300", "50万", "2024-01-01", "yes", "~", "=1+1",
                                     "*a", "&a x", "!!python/object:os.system", "\x00", "<<"]))
documents = st.recursive(scalars, lambda kids: st.one_of(st.lists(kids, max_size=4),
                                                         st.dictionaries(st.text(max_size=8) | st.sampled_from(
                                                             ["document", "rules", "id", "when", "benefit", "title",
                                                              "source", "all", "any", "not", "expr"]), kids,
                                                             max_size=4)),
                         max_leaves=25)


def load(text: str) -> el.RuleSet | None:
    """Load ``text`` as a rule file: a RuleSet, or None after checking the error is located."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "r.yaml"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))  # a lone surrogate: bytes that are not UTF-8
        try:
            with bounded():
                return el.load_rules(path)
        except RuleSetError as exc:
            assert located(exc), exc
            return None


@fuzz(40)
@given(documents)
def test_random_yaml_documents_load_or_give_located_errors(doc: Any) -> None:
    load(yaml.safe_dump(doc, allow_unicode=True))


@fuzz(40)
@given(st.text(max_size=300), st.integers(0, 400))
def test_random_text_inside_a_rule_file_loads_or_gives_located_errors(text: str, at: int) -> None:
    base = HEADER + textwrap.indent(rule_yaml("t.fuzz", "'revenue > 0'", "10万"), "  ")
    at = min(at, len(base))
    load(base[:at] + text + base[at:])


FIELDS = ["revenue", "employees", "total_assets", "taxable_income", "registered_on", "dishonest_record",
          "vat_taxpayer", "industry_code", "as_of"]
atoms = st.one_of(st.sampled_from(FIELDS), st.sampled_from(["0", "1", "300", "50万", "2000万元", "20%", "12 months",
                                                            "3 years", "2024-01-01", '"C"', '"general"', "true",
                                                            "none", "10人"]))


def _combine(kids: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(kids, st.sampled_from([" + ", " - ", " * ", " / ", " > ", " <= ", " == ", " != ", " and ",
                                         " or ", " under ", " in "]), kids).map("".join),
        kids.map(lambda k: f"({k})"), kids.map(lambda k: f"not {k}"), kids.map(lambda k: f"[{k}]"),
        st.tuples(kids, kids).map(lambda t: f"min({t[0]}, {t[1]})"),
        kids.map(lambda k: f"within({k}, 12 months)"),
        st.tuples(kids, kids, kids).map(lambda t: f"if {t[0]} then {t[1]} else {t[2]}"),
    )


expressions = st.recursive(atoms, _combine, max_leaves=12)
profiles = st.fixed_dictionaries({}, optional={
    "revenue": st.sampled_from([0, 1, 5_000_000, 20_000_000, "2000万"]),
    "employees": st.integers(0, 1000),
    "total_assets": st.integers(0, 10**9),
    "taxable_income": st.integers(-10**6, 10**7),
    "registered_on": st.dates(date(1990, 1, 1), date(2024, 6, 30)),
    "dishonest_record": st.booleans(),
    "vat_taxpayer": st.sampled_from(["general", "small_scale"]),
    "industry_code": st.sampled_from(["C3011", "F52", "I65"]),
})


@fuzz(40)
@given(expressions, st.lists(profiles, min_size=1, max_size=4))
def test_random_expressions_load_and_decide_the_same_on_every_path(expression: str, firms: list[dict[str, Any]]) -> None:
    quoted = "'" + expression.replace("'", "''") + "'"
    rules = load(HEADER + textwrap.indent(rule_yaml("t.fuzz", quoted), "  "))
    if rules is None:
        return
    engine = el.Engine(rules)
    with bounded():
        interpreted = [[r.status.value for r in engine.evaluate(f, as_of=AS_OF).results] for f in firms]
        decided = [[d.status.value for d in engine.decide(f, as_of=AS_OF)] for f in firms]
        scored = engine.score(pd.DataFrame(firms).astype(object), AS_OF)
    batch: list[list[str]] = [[] for _ in firms]
    for rec in scored.itertuples(index=False):
        if isinstance(rec.rule_id, str):
            batch[int(rec.row) - 1].append(rec.status)
    assert interpreted == decided == batch, expression
