"""The generated trace builders make the explaining interpreter's traces: equal, node by node (value,
missing and presumed facts, note, clause), to the reference closures on random expressions and
profiles and on every condition and amount of the bundled packs; each rule generated whole gives the
reference result; generated once per node, also when threads ask at once."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import eligibility as el
from eligibility.backends.interpreter import builders
from eligibility.backends.interpreter.builders import builder
from eligibility.backends.interpreter.evaluator import prepare, run_rule
from eligibility.backends.interpreter.trace import Env, compile_node
from eligibility.errors import EligibilityError
from eligibility.facts.flatten import UNKNOWN
from eligibility.lang.check import check_expression
from eligibility.lang.parser import parse_expression
from eligibility.lower import lower
from eligibility.model import expr as x
from eligibility.outcome import OutOfScope, Trace
from eligibility.testing import profiles as shipped_profiles

BUNDLED = el.load_rules()
DATES = [date(2020, 6, 30), date(2022, 3, 1), date(2024, 6, 30), date(2025, 12, 31)]
MISSING = [0.0, 0.1, 0.5, 0.9]  # the share of fields left out of a profile
SLOTS = ("node", "value", "missing", "presumed", "note", "clause")


def profiles_at(as_of: date) -> st.SearchStrategy[dict[str, Any]]:
    """Shipped profiles with a share of their fields left out drawn from :data:`MISSING`."""
    return st.sampled_from(MISSING).flatmap(lambda m: shipped_profiles(missing=m, as_of=as_of))


def same_trace(mine: Trace, reference: Trace, where: str = "root") -> None:
    """The two traces are equal slot by slot, their children in order, all the way down."""
    assert type(mine) is type(reference), where
    for slot in SLOTS:
        a, b = getattr(mine, slot), getattr(reference, slot)
        if slot in ("node", "clause"):
            assert a is b, f"{where}.{slot}"
        else:
            assert a == b and type(a) is type(b), f"{where}.{slot}: {a!r} != {b!r}"
    assert len(mine.children) == len(reference.children), f"{where}.children"
    for i, (a, b) in enumerate(zip(mine.children, reference.children)):
        same_trace(a, b, f"{where}.{i}")


def agree(node: x.Node, facts: Any, as_of: date, params: dict[str, Any] | None = None) -> None:
    env = Env(facts, as_of, params or {})
    same_trace(builder(node)(env), compile_node(node)(Env(facts, as_of, params or {})))


ATOMS = ["revenue", "employees", "total_assets", "taxable_income", "registered_on", "industry_code", "region_code",
         "vat_taxpayer", "is_industrial", "is_small_low_profit", "restricted_industry", "50万", "300", "25%",
         "2024-01-01", '"C"', "none", "12 months", "as_of", "registers.above_scale_industrial.entered_on",
         "taxes_due.stamp", "development_zone", "true", "false"]
WRAPS = ["{}", "not {}", "known({})", "exists({})", "within({}, 12 months)", "in_year({})", "year({})",
         "min({}, 1元)", "max({}, 100)", "round_fen({})", "-{}", "[{}]", "({})", "{} in [\"C\", \"F\"]",
         "{} under \"C\"", "{} under \"5308\"", "if {} then 1元 else 2元", "if known({0}) then {0} else none"]
LISTS = ['any(certifications, kind == "high_tech" and within(certified_on, 12 months))',
         'all(certifications, level == "national")', 'count(certifications, kind == "little_giant")',
         "sum(benefits_received, amount)", 'sum(benefits_received, amount where year == 2024)',
         'tiered(taxable_income, [100万, 5%], [300万, 10%])', "lookup(employees, [1, 30万], [2, 50万])",
         "0 < employees <= 300"]
OPS = ["and", "or", ">=", "<", "==", "!=", "+", "-", "*", "/"]


@st.composite
def expressions(draw: st.DrawFn, depth: int = 3) -> str:
    if depth == 0 or draw(st.booleans()):
        atom = draw(st.sampled_from(ATOMS + LISTS))
        return draw(st.sampled_from(WRAPS)).format(atom)
    return f"{draw(expressions(depth - 1))} {draw(st.sampled_from(OPS))} {draw(expressions(depth - 1))}"


@settings(max_examples=300)
@given(expressions(), st.data(), st.sampled_from(DATES))
def test_a_builder_makes_the_reference_trace_of_any_expression(text: str, data: st.DataObject, as_of: date) -> None:
    try:
        node, _ = check_expression(parse_expression(text), {})
    except EligibilityError:
        return  # refused at load: nothing to build
    facts = el.Profile.from_data(data.draw(profiles_at(as_of))).facts()
    agree(node, facts, as_of)


def _roots() -> list[tuple[Any, x.Node]]:
    out = []
    for rule in BUNDLED.rules:
        low, f = lower(rule), lower(rule).finish
        for node in (rule.when, low.region, low.zone, *low.scenarios, f.amount, f.cap, f.index, f.start):
            if node is not None:
                out.append((rule, node))
    return out


ROOTS = _roots()


@settings(max_examples=60)
@given(st.data(), st.sampled_from(DATES))
def test_the_builders_of_the_bundled_packs_make_the_reference_traces(data: st.DataObject, as_of: date) -> None:
    from eligibility.lower import param_values

    facts = el.Profile.from_data(data.draw(profiles_at(as_of))).facts()
    for rule, node in ROOTS:
        agree(node, facts, as_of, param_values(rule, as_of) or {})


def test_a_generated_trace_sets_every_slot_a_trace_has() -> None:
    text = "revenue >= 100万 and not (employees < 10 or taxes_due.stamp > 0)"
    node, _ = check_expression(parse_expression(text), {})
    facts = el.Profile.from_data({"revenue": "200万"}).facts()
    trace = builder(node)(Env(facts, date(2024, 6, 30), {}))
    stack = [trace]
    while stack:
        t = stack.pop()
        for slot in Trace.__slots__:
            getattr(t, slot)  # an unset slot raises AttributeError
        stack.extend(t.children)
    assert trace.value is UNKNOWN and trace.missing == ("employees", "taxes_due")


def test_a_builder_is_generated_once_when_eight_threads_ask_at_once(monkeypatch: Any) -> None:
    node, _ = check_expression(parse_expression("revenue >= 100万 or employees > 300"), {})
    made = []
    generate = builders.BuilderGen.function

    def counted(self: builders.BuilderGen, n: x.Node) -> Any:
        made.append(n)
        return generate(self, n)

    monkeypatch.setattr(builders.BuilderGen, "function", counted)
    start = threading.Barrier(8)
    got: list[Any] = []

    def ask() -> None:
        start.wait()
        got.append(builder(node))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 8 and all(g is got[0] for g in got)
    assert made == [node]


RESULT_SLOTS = ("status", "amount", "amount_kind", "instalment", "superseded_by", "missing", "received_year",
                "received_amount", "reason", "presumed", "as_of", "outranks", "related")


def same_result(mine: Any, reference: Any) -> None:
    """Two rule results (or two out-of-scope notes) are equal, traces compared node by node."""
    assert type(mine) is type(reference)
    if isinstance(reference, OutOfScope):
        assert mine == reference
        return
    assert mine.rule is reference.rule
    for slot in RESULT_SLOTS:
        assert getattr(mine, slot) == getattr(reference, slot), (reference.rule_id, slot)
    same_trace(mine.trace, reference.trace, f"{reference.rule_id}.trace")
    assert (mine.amount_trace is None) == (reference.amount_trace is None)
    if reference.amount_trace is not None:
        same_trace(mine.amount_trace, reference.amount_trace, f"{reference.rule_id}.amount")
    assert len(mine.scope_traces) == len(reference.scope_traces)
    for a, b in zip(mine.scope_traces, reference.scope_traces):
        same_trace(a, b, f"{reference.rule_id}.scope")


@settings(max_examples=80)
@given(st.data(), st.sampled_from(DATES))
def test_each_rule_generated_whole_gives_the_reference_result(data: st.DataObject, as_of: date) -> None:
    facts = el.Profile.from_data(data.draw(profiles_at(as_of))).facts()
    prepared = prepare(BUNDLED.rules, as_of)
    seen_mine: dict[int, Trace] = {}
    seen_reference: dict[int, Trace] = {}
    for low, params, run in prepared.active:
        same_result(run(Env(facts, as_of, params), seen_mine), run_rule(low, Env(facts, as_of, params), seen_reference))
    assert seen_mine.keys() == seen_reference.keys()  # the same scope tests made, once each


def test_eight_threads_evaluating_at_once_share_each_rule_generated_once() -> None:
    rules = el.load_rules()  # rule objects of their own: nothing generated for them yet
    profile = {"region_code": "530802", "industry_code": "F5211", "employees": 40, "revenue": "900万"}
    expected = el.Engine(el.load_rules()).evaluate(profile, "2024-06-30").to_dict("en")
    engines = [el.Engine(rules) for _ in range(8)]
    start = threading.Barrier(8)
    got: list[Any] = [None] * 8
    runs: list[Any] = [None] * 8

    def ask(i: int) -> None:
        start.wait()
        got[i] = engines[i].evaluate(profile, "2024-06-30").to_dict("en")
        runs[i] = [run for _, _, run in prepare(rules.rules, date(2024, 6, 30)).active]

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(g == expected for g in got)
    assert all(all(a is b for a, b in zip(r, runs[0])) for r in runs) and len(runs[0]) > 20
