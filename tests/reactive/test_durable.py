"""The durable_rules backend: decisions equal ``Engine.decide`` (differentially, on every bundled pack),
and each durable_rules limit the wrapper handles, each shown on durable_rules itself and then handled."""

from __future__ import annotations

import json
import sys
import threading
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import eligibility as el
from ruletext import rule_yaml
from eligibility.facts.profile import Profile
from eligibility.model import expr as x
from eligibility.model.rule import RuleSet
from eligibility.reactive import Watcher
from eligibility.reactive import durable as rd
from eligibility.reactive.durable import DurableBackend, fnv1a32
from eligibility.testing.strategies import profiles
from eligibility.testing.workload import colliding_usccs

KNOWN = ("91150602RLG8477809", "91150602CMPFQYT30W")
AS_OF = date(2024, 6, 30)


@pytest.fixture(scope="module")
def engines() -> dict[str, el.Engine]:
    return {"bundled": el.Engine(el.load_rules()), "examples": el.Engine(el.load_rules("examples"))}


def _host() -> Any:
    """A bare durable_rules host of the kind the backend uses (to show durable_rules' own behaviour)."""
    return rd._durable()[2]()


def _firm(uscc: str, **fields: Any) -> Profile:
    data = {"uscc": uscc, "region_code": "150602", "industry_code": "C3011", "employees": 80,
            "revenue": "2500万", "total_assets": "3000万"}
    data.update(fields)
    return Profile.from_data(data)


def _equal(backend: DurableBackend, engine: el.Engine, profile: Profile, entity_id: str | None = None) -> None:
    got = backend.put(entity_id or profile.uscc or "anonymous", profile)
    assert got == engine.decide(profile, backend.as_of)


# -- decisions: exactly Engine.decide -------------------------------------------------------------
@pytest.mark.parametrize("pack", ["bundled", "examples"])
@pytest.mark.parametrize("as_of", [date(2021, 6, 30), AS_OF, date(2025, 9, 1)])
def test_put_returns_what_engine_decide_returns(engines: dict[str, el.Engine], pack: str, as_of: date) -> None:
    engine = engines[pack]
    backend = DurableBackend(engine, as_of)

    @settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(profiles(as_of=as_of, missing=0.15), st.integers(0, 40))
    def check(data: dict[str, Any], slot: int) -> None:
        _equal(backend, engine, Profile.from_data(data), f"firm-{slot}")  # slots are reused: updates too

    check()
    backend.close()


def test_three_valued_logic_compiles_to_known_true_and_known_false(make_rules: Any) -> None:
    rules = make_rules(
        rule_yaml("t.all", '["revenue > 100万", "employees < 300"]', "1万")
        + rule_yaml("t.any", '"revenue > 100万 or employees < 300"', "1万")
        + rule_yaml("t.not", '"not (revenue > 100万)"', "1万"))
    engine = el.Engine(rules)
    backend = DurableBackend(engine, AS_OF)
    cases = {  # (revenue, employees) → (all, any, not); None is unknown
        ("200万", None): ("undetermined", "eligible", "ineligible"),
        ("50万", None): ("ineligible", "undetermined", "eligible"),
        (None, 10): ("undetermined", "eligible", "undetermined"),
        (None, None): ("undetermined", "undetermined", "undetermined"),
        ("200万", 10): ("eligible", "eligible", "ineligible"),
    }
    for (revenue, employees), want in cases.items():
        data = {k: v for k, v in (("revenue", revenue), ("employees", employees)) if v is not None}
        got = backend.put("firm", Profile.from_data(data))
        assert tuple(d.status.value for d in got) == want, (revenue, employees)
        assert got == engine.decide(Profile.from_data(data), AS_OF)


def test_known_empty_values_decide_as_in_the_compiled_path(make_rules: Any) -> None:
    """A register the firm is not in makes its fields known-empty (None): comparisons are false
    (``!=`` true), and a bare flag counts as true inside ``all``, false inside ``any`` and ``not``."""
    flag = "registers.above_scale_industrial.first_entry"
    rules = make_rules(
        rule_yaml("t.date", '"registers.above_scale_industrial.entered_on >= 2020-01-01"', "1万")
        + rule_yaml("t.basis", '"registers.above_quota_trade.basis != \'month\'"', "1万")
        + rule_yaml("t.in", '"registers.above_quota_trade.basis in [\'month\', \'year\']"', "1万")
        + rule_yaml("t.all", f'"{flag} and revenue > 1万"', "1万")
        + rule_yaml("t.any", f'"{flag} or revenue > 1亿"', "1万")
        + rule_yaml("t.not", f'"not {flag}"', "1万"))
    engine = el.Engine(rules)
    backend = DurableBackend(engine, AS_OF)
    for registers in ({}, {"above_scale_industrial": {"entered_on": "2021-01-01", "first_entry": False},
                           "above_quota_trade": {"entered_on": "2021-01-01", "basis": "month"}}, None):
        data = {"revenue": "100万"} | ({"registers": registers} if registers is not None else {})
        got = backend.put("firm", Profile.from_data(data))
        assert got == engine.decide(Profile.from_data(data), AS_OF), registers
    statuses = {d.rule_id: d.status.value for d in backend.put("firm", Profile.from_data({"revenue": "100万",
                                                                                         "registers": {}}))}
    assert statuses == {"t.date": "ineligible", "t.basis": "eligible", "t.in": "ineligible", "t.all": "eligible",
                        "t.any": "ineligible", "t.not": "eligible"}


def test_an_unsupported_condition_node_fails_loudly(engines: dict[str, el.Engine]) -> None:
    import dataclasses

    rule = dataclasses.replace(engines["bundled"].rules.rules[0], when=x.Name("revenue"))
    with pytest.raises(el.EligibilityError) as err:
        DurableBackend(el.Engine(RuleSet([rule], [], "h")), AS_OF)
    assert "Name" in str(err.value) and rule.id in str(err.value)


def test_the_host_is_private_and_synchronous(engines: dict[str, el.Engine]) -> None:
    import durable.lang

    before = threading.active_count()
    backend = DurableBackend(engines["bundled"], AS_OF)
    assert threading.active_count() == before  # no dispatch timers: actions drained by the caller
    assert durable.lang._main_host is None  # durable_rules' global host is never created nor touched
    assert backend.put(KNOWN[0], _firm(KNOWN[0])) == engines["bundled"].decide(_firm(KNOWN[0]), AS_OF)


# -- fact ids: 32-bit FNV-1a, no string compare --------------------------------------------------
def test_durable_rules_confuses_colliding_ids() -> None:
    engine_mod = rd._durable()[0]
    assert fnv1a32(KNOWN[0]) == fnv1a32(KNOWN[1])
    host = _host()
    host.register_rulesets({"ids": {"any": {"all": [{"m": {"$ex": {"x": 1}}}], "run": lambda c: None}}})
    host.assert_fact("ids", {"sid": "0", "id": KNOWN[0], "x": 1})
    with pytest.raises(engine_mod.MessageObservedException):  # refused as a duplicate
        host.assert_fact("ids", {"sid": "0", "id": KNOWN[1], "x": 1})
    host.retract_fact("ids", {"sid": "0", "id": KNOWN[1]})
    assert host.get_facts("ids", "0") == []  # retracting the second deleted the first


@pytest.mark.parametrize("sids", [1 + 1, 512])
def test_colliding_firms_are_kept_apart(engines: dict[str, el.Engine], sids: int) -> None:
    engine = engines["bundled"]
    pairs = colliding_usccs(3, candidates=200_000)
    assert len(pairs) == 3 and KNOWN in pairs
    backend = DurableBackend(engine, AS_OF, sids=sids)
    for first, second in pairs:
        assert fnv1a32(first) == fnv1a32(second)
        a, b = _firm(first), _firm(second, revenue="300万", employees=12)
        _equal(backend, engine, a)
        _equal(backend, engine, b)
        assert backend.sid_of(first) != backend.sid_of(second)
        backend.remove(second)
        _equal(backend, engine, a)  # the first firm survives its twin's removal, and can be updated
        _equal(backend, engine, b)  # the twin comes back
    handle = backend._version.names[0]
    for first, second in pairs:
        for code in (first, second):
            stored = [f["id"] for f in backend._host.get_facts(handle, backend.sid_of(code))]
            assert stored.count(code) == 1


def test_a_collision_with_no_free_sid_is_refused(engines: dict[str, el.Engine]) -> None:
    backend = DurableBackend(engines["bundled"], AS_OF, sids=1)
    backend.put(KNOWN[0], _firm(KNOWN[0]))
    with pytest.raises(el.EligibilityError) as err:
        backend.put(KNOWN[1], _firm(KNOWN[1]))
    assert KNOWN[1] in err.value.en and "every sid" in err.value.en


# -- bounded sids, simultaneously true conditions, properties per fact ---------------------------
def test_firms_are_spread_over_a_bounded_set_of_sids(engines: dict[str, el.Engine]) -> None:
    backend = DurableBackend(engines["bundled"], AS_OF, sids=8)
    codes = [f"firm-{i}" for i in range(300)]
    for code in codes:
        backend.put(code, Profile.from_data({"revenue": "100万"}))
    assert {backend.sid_of(c) for c in codes} == {str(i) for i in range(8)}
    for bad in (0, rd.MAX_SIDS + 1):
        with pytest.raises(el.EligibilityError):
            DurableBackend(engines["bundled"], AS_OF, sids=bad)


def test_durable_rules_refuses_a_65th_true_condition() -> None:
    host = _host()
    host.register_rulesets({"many": {f"r{i}": {"all": [{"m": {"$gt": {"x": i}}}], "run": lambda c: None}
                                     for i in range(rd.MAX_TRUE + 1)}})
    with pytest.raises(Exception, match="303"):
        host.assert_fact("many", {"sid": "0", "id": "f", "x": 1000})


def test_rules_are_sharded_so_no_fact_makes_more_than_64_conditions_true(make_rules: Any) -> None:
    count = 2 * rd.MAX_TRUE + 5
    rules = make_rules("".join(rule_yaml(f"t.r{i}", f'"revenue > {i}万"', "1万") for i in range(count)))
    engine = el.Engine(rules)
    backend = DurableBackend(engine, AS_OF)
    assert backend.shards == 3
    rich = Profile.from_data({"revenue": "1亿"})  # every condition true at once
    got = backend.put("firm", rich)
    assert [d.status.value for d in got] == ["eligible"] * count
    assert got == engine.decide(rich, AS_OF)


def test_a_rule_beyond_the_limits_is_one_python_atom(make_rules: Any) -> None:
    # 65 conditions that can all hold at once are beyond durable_rules; the rule's whole condition is
    # then computed in Python and sent as one property, so the rule still runs, within the limits
    when = " or ".join(f"revenue > {i}万" for i in range(rd.MAX_TRUE + 1))
    engine = el.Engine(make_rules(rule_yaml("t.wide", f'"{when}"', "1万")))
    backend = DurableBackend(engine, AS_OF)
    assert len(backend._program.atoms(lambda path, default: default, None, AS_OF)) >= 1
    assert all(shard.load <= rd.MAX_TRUE for shard in backend._program.shards)
    for i, revenue in enumerate(["1亿", "0.5万", None]):
        profile = Profile.from_data({"revenue": revenue} if revenue else {})
        assert backend.put(f"firm{i}", profile) == engine.decide(profile, AS_OF)


def test_shards_keep_within_the_properties_per_fact(engines: dict[str, el.Engine],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    engine = engines["bundled"]
    limit = 16
    monkeypatch.setattr(rd, "MAX_PROPERTIES", limit)
    backend = DurableBackend(engine, AS_OF)
    program = backend._program
    assert backend.shards > 2
    assert all(len(props) <= limit - 2 for props in program.shard_props)
    assert all(shard.load <= rd.MAX_TRUE for shard in program.shards)

    @settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(profiles(as_of=AS_OF))
    def check(data: dict[str, Any]) -> None:
        _equal(backend, engine, Profile.from_data(data), "firm")

    check()


# -- operators, modify, retraction, unmatched facts ------------------------------------------------
def test_lists_compile_without_an_in_operator(engines: dict[str, el.Engine]) -> None:
    engine = engines["examples"]
    backend = DurableBackend(engine, date(2025, 6, 30))
    text = str([s.definition for s in backend._program.shards])
    assert "$in" not in text and "'$or'" in text
    for kind, want in (("goods", "eligible"), ("services", "eligible"), ("works", "ineligible")):
        p = Profile.from_data({"region_code": "150523", "industry_code": "I6510", "employees": 30, "revenue": "800万",
                               "scenario": {"procurement": {"kind": kind, "reserved_for_sme": False,
                                                            "bid_price": "100万", "region_code": "150523"}}})
        got = {d.rule_id: d.status.value for d in backend.put("firm", p)}
        assert got["examples.kailu.price-deduction"] == want
        assert backend.put("firm", p) == engine.decide(p, date(2025, 6, 30))


def test_an_update_is_retract_then_assert_and_loss_is_reported(make_rules: Any) -> None:
    engine = el.Engine(make_rules(rule_yaml("t.big", '"revenue > 100万"', "1万")
                                  + rule_yaml("t.small", '"employees < 50"', "1万")))
    backend = DurableBackend(engine, AS_OF)
    rich, poor = _firm(KNOWN[0], revenue="200万", employees=10), _firm(KNOWN[0], revenue="50万", employees=10)
    assert [d.status.value for d in backend.put(KNOWN[0], rich)] == ["eligible", "eligible"]
    # nothing fires on retraction: the fresh decisions after retract + assert show the loss
    assert [d.status.value for d in backend.put(KNOWN[0], poor)] == ["ineligible", "eligible"]
    stored = backend._host.get_facts(backend._version.names[0], backend.sid_of(KNOWN[0]))
    assert [f["id"] for f in stored] == [KNOWN[0]]  # one stored fact per firm, the new one
    assert stored[0]["p0"] == 50_000_000  # 50万 in fen
    with Watcher(engine, as_of=AS_OF, backend="durable") as watcher:
        watcher.upsert(rich)
        assert [(e.kind.value, e.rule_id) for e in watcher.upsert(poor)] == [("no_longer_eligible", "t.big")]
        assert [(e.kind.value, e.rule_id) for e in watcher.remove(KNOWN[0])] == [("no_longer_eligible", "t.small")]


def test_unmatched_facts_are_refused_and_abort_a_batch() -> None:
    engine_mod = rd._durable()[0]
    host = _host()
    host.register_rulesets({"some": {"big": {"all": [{"m": {"$gt": {"x": 10}}}], "run": lambda c: None}}})
    with pytest.raises(engine_mod.MessageNotHandledException):
        host.assert_fact("some", {"sid": "0", "id": "small", "x": 1})
    ran: list[str] = []
    host = _host()
    host.register_rulesets({"batch": {"big": {"all": [{"m": {"$gt": {"x": 10}}}], "run": lambda c: ran.append(c.m.id)}}})
    with pytest.raises(engine_mod.MessageNotHandledException):
        host.assert_facts("batch", [{"sid": "0", "id": "a", "x": 1}, {"sid": "0", "id": "b", "x": 20}])
    assert ran == []  # the batch was aborted: the matching fact's action never ran …
    assert [f["id"] for f in host.get_facts("batch", "0")] == ["b"]  # … though the fact was stored

def test_a_fact_matching_nothing_is_undetermined_and_not_stored(make_rules: Any) -> None:
    engine = el.Engine(make_rules(rule_yaml("t.big", '"revenue > 100万"', "1万")))
    backend = DurableBackend(engine, AS_OF)
    unknown, known = Profile.from_data({"employees": 3}), Profile.from_data({"revenue": "200万"})
    assert [d.status.value for d in backend.put("firm", unknown)] == ["undetermined"]
    assert backend._firms["firm"].stored == [False]  # refused by durable_rules: nothing to retract later
    assert backend.put("firm", known) == engine.decide(known, AS_OF)
    assert backend._firms["firm"].stored == [True]
    sid = backend.sid_of("firm")
    assert [f["id"] for f in backend._host.get_facts(backend._version.names[0], sid)] == ["firm"]
    assert backend.put("firm", unknown) == engine.decide(unknown, AS_OF)
    assert backend._host.get_facts(backend._version.names[0], sid) == []


def test_numbers_go_as_integers(make_rules: Any) -> None:
    host = _host()
    host.register_rulesets({"nums": {"big": {"all": [{"m": {"$gt": {"x": 9}}}], "run": lambda c: None}}})
    engine_mod = rd._durable()[0]
    with pytest.raises(engine_mod.MessageNotHandledException):  # "10" > 9 is false: text, not a number
        host.assert_fact("nums", {"sid": "0", "id": "s", "x": "10"})
    with pytest.raises(Exception, match="error code"):  # 1e+20 is refused
        host.assert_fact("nums", {"sid": "0", "id": "e", "x": 1e20})
    engine = el.Engine(make_rules(rule_yaml("t.threshold", '"revenue >= 2000万 and hires.min_contract_years >= 1.5"',
                                            "1万")))
    backend = DurableBackend(engine, AS_OF)
    for revenue, years in (("19999999.99", "1.5"), ("20000000", "1.49"), ("20000000.00", "1.5"),
                           ("200000000000", "2"), ("20000000.01", "1.499999")):
        p = Profile.from_data({"revenue": revenue, "hires": {"min_contract_years": years}})
        _equal(backend, engine, p, "firm")
        fact = json.loads(backend._firms["firm"].asserted[0])
        assert all(type(v) is int for k, v in fact.items() if k not in ("sid", "id"))
    assert json.loads(backend._firms["firm"].asserted[0])["p0"] == 2000000001  # money in fen


# -- rule changes: new ruleset versions ---------------------------------------------------------------
def test_a_rule_change_is_a_new_ruleset_version(make_rules: Any) -> None:
    rules = make_rules(rule_yaml("t.dated", '"revenue > threshold"', "1万", extra="""\
        params:
          threshold:
            values:
              - {from: 2019-01-01, value: 100万}
              - {from: 2023-01-01, value: 200万}
        """) + rule_yaml("t.recent", '"within(registered_on, 12 months)"', "1万"))
    engine = el.Engine(rules)
    backend = DurableBackend(engine, date(2022, 6, 30))
    firms = {f"f{i}": Profile.from_data({"revenue": f"{50 * i}万", "registered_on": f"202{i % 4}-05-01"})
             for i in range(6)}
    for code, p in firms.items():
        _equal(backend, engine, p, code)
    for day, versions in ((date(2022, 12, 31), 1), (date(2024, 6, 30), 2), (date(2022, 6, 30), 2),
                          (date(2024, 1, 1), 2)):
        moved = dict(backend.advance_to(day))  # date logic changes facts, params change the ruleset
        assert backend.versions == versions
        assert moved == {code: engine.decide(p, day) for code, p in firms.items()}


def test_close_retracts_every_fact(engines: dict[str, el.Engine]) -> None:
    backend = DurableBackend(engines["bundled"], AS_OF)
    backend.put(KNOWN[0], _firm(KNOWN[0]))
    names, sid = backend._version.names, backend.sid_of(KNOWN[0])
    backend.close()
    assert all(backend._host.get_facts(n, sid) == [] for n in names)
    with pytest.raises(el.EligibilityError):
        backend.put(KNOWN[0], _firm(KNOWN[0]))


# -- where durable-rules cannot be imported --------------------------------------------------------------
def test_without_durable_rules_the_error_names_the_cause(engines: dict[str, el.Engine],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("durable", "durable.engine", "durable_rules_engine"):
        monkeypatch.setitem(sys.modules, name, None)  # import now raises ImportError
    rd._durable.cache_clear()
    try:
        for make in (lambda: DurableBackend(engines["bundled"], AS_OF),
                     lambda: Watcher(engines["bundled"], as_of=AS_OF, backend="durable")):
            with pytest.raises(el.EligibilityError) as err:
                make()
            assert "durable-rules" in err.value.zh and "3.13" in err.value.zh
            assert "durable-rules" in err.value.en and "Python >= 3.13" in err.value.en
            assert "import" in err.value.en
    finally:
        rd._durable.cache_clear()
