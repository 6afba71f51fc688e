"""The python backend's index: what each rule reads, which rules an update re-decides, which rules a
firm meets, and decisions equal to ``Engine.decide`` through updates and date moves."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import pytest

import eligibility as el
from eligibility.facts.derived import DERIVED
from eligibility.facts.flatten import UNKNOWN, Facts
from eligibility.facts.profile import Profile
from eligibility.reactive import python as backend
from eligibility.reactive.python import PythonBackend, rule_reads
from eligibility.testing.workload import make_workload

DATES = (date(2021, 6, 30), date(2024, 11, 30), date(2025, 4, 15))


class Recording(dict):  # type: ignore[type-arg]
    """Flat facts that remember every path read."""

    def __init__(self, values: dict[str, Any]) -> None:
        super().__init__(values)
        self.read: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self.read.add(str(key))
        return super().__contains__(key)


def _with_records(paths: frozenset[str] | tuple[str, ...]) -> set[str]:
    return {".".join(p.split(".")[:i]) for p in paths for i in range(1, p.count(".") + 2)}


@pytest.fixture(scope="module")
def small() -> Any:
    wl = make_workload(2_000, 600, seed=5)
    return wl, [Profile.from_data(p) for p in wl.firms]


def test_derived_facts_read_only_what_they_declare(small: Any) -> None:
    """The index counts a derived fact as the raw fields it declares: it must read no other."""
    _, firms = small
    for name, spec in DERIVED.items():
        allowed = _with_records(spec.reads)
        for p in firms[:400]:
            for day in DATES:
                values = Recording(p.facts().values)
                spec.compute(Facts(values, p.facts().presumed), day)
                assert values.read <= allowed, f"{name} reads {values.read - allowed}"


def test_rule_reads_cover_what_each_rule_function_reads(engine: el.Engine, small: Any) -> None:
    _, firms = small
    for day in DATES:
        rules = [r for r in engine.rules.rules if backend.in_force(r, day) is None]
        for rule, fn in zip(rules, backend.rule_deciders(rules, day)):
            allowed = rule_reads(rule)
            for p in firms[:300]:
                read: set[str] = set()

                def get(path: str, default: Any = UNKNOWN, read: set[str] = read, p: Profile = p) -> Any:
                    read.add(path)
                    return p.facts().values.get(path, default)

                def derived(name: str, read: set[str] = read, p: Profile = p, day: date = day) -> Any:
                    read.update(DERIVED[name].reads)
                    return backend.evaluate_derived(name, p.facts(), day).value

                fn(get, derived, day)
                assert read <= allowed, f"{rule.id} reads {read - allowed}"


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Count calls of each rule's function in backends made from now on."""
    calls: Counter[str] = Counter()
    original = backend.rule_deciders

    def deciders(rules: list[el.Rule], as_of: date) -> list[Any]:
        def wrap(rule_id: str, fn: Any) -> Any:
            def call(*args: Any) -> Any:
                calls[rule_id] += 1
                return fn(*args)
            return call
        return [wrap(r.id, fn) for r, fn in zip(rules, original(rules, as_of))]

    monkeypatch.setattr(backend, "rule_deciders", deciders)
    return calls


PUER_FIRM = {"uscc": "91530802MA6K0UPC6M", "region_code": "530802", "industry_code": "C3011", "employees": 80,
             "revenue": "3000万", "total_assets": "2000万", "taxable_income": "200万",
             "registers": {"above_scale_industrial": {"entered_on": "2024-03-01", "first_entry": True, "new_build": False}},
             "certifications": [{"kind": "little_giant", "level": "national", "certified_on": "2024-01-15"}]}


def test_an_update_redecides_only_the_rules_reading_a_changed_fact(engine: el.Engine, counted: Counter[str]) -> None:
    b = PythonBackend(engine, date(2024, 6, 30))
    first = b.put(PUER_FIRM["uscc"], Profile.from_data(PUER_FIRM))
    assert set(counted) == {d.rule_id for d in first} | {r.id for r in engine.rules.rules if r.jurisdiction.by
                                                           and backend.in_force(r, date(2024, 6, 30)) is None}
    counted.clear()
    b.put(PUER_FIRM["uscc"], Profile.from_data(dict(PUER_FIRM, name="普洱某公司")))  # read by no rule
    assert not counted
    b.put(PUER_FIRM["uscc"], Profile.from_data(dict(PUER_FIRM, name="普洱某公司", taxable_income="250万")))
    in_scope = {d.rule_id for d in first}
    assert set(counted) == {r.id for r in engine.rules.rules if "taxable_income" in rule_reads(r)} & in_scope
    counted.clear()
    b.put(PUER_FIRM["uscc"], Profile.from_data(dict(PUER_FIRM, taxable_income="250万", revenue="3100万")))
    assert set(counted) == {r.id for r in engine.rules.rules if {"revenue", "name"} & rule_reads(r)} & in_scope
    assert "puer.small-to-above-scale" in counted  # is_above_scale_industrial reads revenue (shown beside)
    assert b.put(PUER_FIRM["uscc"], Profile.from_data(PUER_FIRM)) == engine.decide(PUER_FIRM, date(2024, 6, 30))


def test_a_firm_meets_only_the_rules_that_can_cover_it(engine: el.Engine, counted: Counter[str]) -> None:
    b = PythonBackend(engine, date(2024, 6, 30))
    b.put(PUER_FIRM["uscc"], Profile.from_data(PUER_FIRM))
    assert counted and all(rule_id.split(".")[0] in ("cn", "puer", "kailu") for rule_id in counted)
    counted.clear()
    b.put("911101050U533P8R8P", Profile.from_data({"uscc": "911101050U533P8R8P"}))  # no region: every rule may apply
    assert set(counted) == {r.id for r in engine.rules.rules if backend.in_force(r, date(2024, 6, 30)) is None}


def test_decisions_follow_updates_and_dates(engine: el.Engine) -> None:
    wl = make_workload(3_000, 1_500, seed=11)
    b = PythonBackend(engine, wl.as_of)
    day = wl.as_of
    stored: dict[str, Profile] = {}
    for data in wl.firms:
        p = Profile.from_data(data)
        stored[p.uscc] = p  # type: ignore[index]
        assert b.put(p.uscc, p) == engine.decide(p, day)  # type: ignore[arg-type]
    changed: dict[str, Any] = {}
    for step in wl.steps:
        if step.kind == "upsert":
            p = Profile.from_data(step.profile)  # type: ignore[arg-type]
            stored[p.uscc] = p  # type: ignore[index]
            assert b.put(p.uscc, p) == engine.decide(p, day), step.why  # type: ignore[arg-type]
        elif step.kind == "remove":
            b.remove(step.uscc)  # type: ignore[arg-type]
            del stored[step.uscc]  # type: ignore[arg-type]
        else:
            before = {code: engine.decide(p, day) for code, p in stored.items()}
            day = step.day  # type: ignore[assignment]
            changed = dict(b.advance_to(day))
            for code, p in stored.items():
                now = engine.decide(p, day)
                assert changed.get(code, before[code]) == now, code
                assert (code in changed) == (now != before[code]), code
    assert changed and len(b) == len(stored)
    assert list(b.advance_to(day)) == []


def test_an_update_carries_over_only_the_derived_values_it_cannot_change(engine: el.Engine) -> None:
    """Derived values cached on the firm's old facts are reused when none of their inputs changed,
    recomputed when one did — and the decisions are the interpreter's either way."""
    day = date(2024, 6, 30)
    b = PythonBackend(engine, day)
    old = Profile.from_data(PUER_FIRM)
    b.put(PUER_FIRM["uscc"], old)
    cached = old.facts().derived_cache
    slp, industrial, above = (("is_small_low_profit", day), ("is_industrial", day), ("is_above_scale_industrial", day))
    assert {slp, industrial, above} <= cached.keys()
    new = Profile.from_data(dict(PUER_FIRM, taxable_income="350万"))  # read by 小型微利 only
    assert b.put(PUER_FIRM["uscc"], new) == engine.decide(new, day)
    carried = new.facts().derived_cache
    assert carried[industrial] is cached[industrial] and carried[above] is cached[above]
    assert carried[slp] is not cached[slp]
    assert (cached[slp].value, carried[slp].value) == (True, False)  # 350万 > 300万 (2023 No.12 limit)
    moved = Profile.from_data(dict(PUER_FIRM, taxable_income="350万", revenue="1500万"))
    assert b.put(PUER_FIRM["uscc"], moved) == engine.decide(moved, day)
    again = moved.facts().derived_cache
    assert again[industrial] is cached[industrial] and again[slp] is carried[slp]
    assert again[above] is not cached[above]


def test_a_value_no_longer_presumed_is_explained_anew(engine: el.Engine) -> None:
    """Same value, but now given rather than presumed: the derived fact reading it is not carried
    over, so its explanation stops saying "assumed" (推定)."""
    day = date(2024, 6, 30)
    b = PythonBackend(engine, day)
    presumed = Profile.from_data(dict(PUER_FIRM, taxes_due={"stamp": "1000"}))
    b.put(PUER_FIRM["uscc"], presumed)
    key = ("is_small_low_profit", day)
    assert "推定" in presumed.facts().derived_cache[key].zh
    # the stamp duty re-decides 六税两费减半, which reads 小型微利 (its inputs are unchanged)
    given = Profile.from_data(dict(PUER_FIRM, taxes_due={"stamp": "2000"}, restricted_industry=False))
    assert given.facts().values["restricted_industry"] == presumed.facts().values["restricted_industry"]
    assert b.put(PUER_FIRM["uscc"], given) == engine.decide(given, day)
    assert key in given.facts().derived_cache
    assert "推定" not in given.facts().derived_cache[key].zh
