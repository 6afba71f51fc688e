"""The Watcher on the python backend: events per change, removal, dates, delivery, explanations, errors."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

import eligibility as el
from eligibility.reactive import Event, EventKind, Watcher

N, G, L, D = EventKind.NEWLY_ELIGIBLE, EventKind.NO_LONGER_ELIGIBLE, EventKind.AMOUNT_CHANGED, EventKind.BECAME_UNDETERMINED
PUER = "91530802MA6K0UPC6M"
HANGZHOU = "91330106MA2H4K7P16"
TENGGER = "91152921MA0N3KXU50"


class CountingEngine(el.Engine):
    """An engine that counts its explaining evaluations."""

    evaluations = 0

    def evaluate(self, profile: Any, as_of: Any = None) -> el.Evaluation:
        self.evaluations += 1
        return super().evaluate(profile, as_of)


@pytest.fixture(scope="module")
def rules() -> el.RuleSet:
    return el.load_rules()


@pytest.fixture
def engine(rules: el.RuleSet) -> CountingEngine:
    return CountingEngine(rules)


def _puer(*certs: tuple[str, str, str], **extra: Any) -> dict[str, Any]:
    return {"uscc": PUER, "region_code": "530802",
            "certifications": [{"kind": k, "level": lv, "certified_on": on} for k, lv, on in certs], **extra}


def _small_profit(taxable_income: str) -> dict[str, Any]:
    return {"uscc": HANGZHOU, "region_code": "330106", "employees": 45, "total_assets": "2000万",
            "taxable_income": taxable_income}


def _by_rule(events: list[Event]) -> dict[str, tuple[EventKind, Any, Any]]:
    return {ev.rule_id: (ev.kind, ev.status_after, ev.amount_after) for ev in events}


def test_groups_decide_who_is_granted(engine: CountingEngine) -> None:
    w = Watcher(engine, as_of="2024-06-30")
    first = _by_rule(w.upsert(_puer(("little_giant", "national", "2024-01-15"))))
    assert first["puer.little-giant-national"] == (N, "eligible", Decimal(300_000))
    # a lower member of the group becomes eligible but superseded: not granted, no event
    both = _puer(("little_giant", "national", "2024-01-15"), ("specialised_sme", "municipal", "2024-02-01"))
    assert w.upsert(both) == []
    assert {d.rule_id: d.status for d in w.decisions(PUER)}["puer.specialised-municipal"] == "superseded"
    # the winner's certification withdrawn: it is lost, and the superseded member is granted
    events = w.upsert(_puer(("specialised_sme", "municipal", "2024-02-01")))
    assert _by_rule(events) == {"puer.little-giant-national": (G, "ineligible", None),
                                "puer.specialised-municipal": (N, "eligible", Decimal(100_000))}
    assert [e.rule_id for e in events] == ["puer.little-giant-national", "puer.specialised-municipal"]  # rule order
    assert events[1].status_before == "superseded"


def test_amount_changed_and_became_undetermined(engine: CountingEngine) -> None:
    w = Watcher(engine, as_of="2024-06-30")
    assert _by_rule(w.upsert(_small_profit("200万")))["cn.small-low-profit-income-tax"] == (N, "eligible", Decimal(400_000))
    [ev] = [e for e in w.upsert(_small_profit("300万")) if e.rule_id == "cn.small-low-profit-income-tax"]
    assert (ev.kind, ev.amount_before, ev.amount_after) == (L, Decimal(400_000), Decimal(600_000))
    unknown = {k: v for k, v in _small_profit("300万").items() if k != "employees"}
    [ev] = [e for e in w.upsert(unknown) if e.rule_id == "cn.small-low-profit-income-tax"]
    assert (ev.kind, ev.status_before, ev.status_after) == (D, "eligible", "undetermined")
    assert w.upsert(unknown) == []  # the same profile again changes nothing


def test_removal_ends_what_the_firm_was_eligible_for(engine: CountingEngine) -> None:
    w = Watcher(engine, as_of="2024-06-30")
    w.upsert(_puer(("little_giant", "national", "2024-01-15")))
    eligible = {d.rule_id for d in w.decisions(PUER) if d.status == "eligible"}
    events = w.remove(PUER.lower())  # the USCC is read as a code: case does not matter
    assert {e.rule_id for e in events} == eligible and {e.kind for e in events} == {G}
    assert all(e.status_after is None for e in events)
    assert "已移出监测" in events[0].explanation and "removed from the watch" in events[0].explain("en")
    assert PUER not in w and len(w) == 0
    assert w.remove(PUER) == []  # a second removal is no error
    with pytest.raises(el.EligibilityError, match="no such firm"):
        w.decisions(PUER)


def test_advance_to_redecides_what_the_date_changes(engine: CountingEngine) -> None:
    w = Watcher(engine, as_of="2021-06-30")
    w.upsert(_small_profit("200万"))
    # a dated rate: 2021's saving 375,000 becomes 2024's 400,000
    [saving] = [e for e in w.advance_to(date(2024, 6, 30)) if e.rule_id == "cn.small-low-profit-income-tax"]
    assert (saving.kind, saving.amount_before, saving.amount_after) == (L, Decimal(375_000), Decimal(400_000))
    assert saving.as_of == date(2024, 6, 30) == w.as_of
    assert w.advance_to(date(2024, 6, 30)) == []  # the same date changes nothing
    # "within 12 months": certified 2023-07-01 is new on 2024-06-30, no longer on 2024-07-01
    assert _by_rule(w.upsert(_puer(("little_giant", "national", "2023-07-01"))))["puer.little-giant-national"][0] is N
    later = {(e.entity_id, e.rule_id): e.kind for e in w.advance_to("2024-07-01")}
    assert later == {(PUER, "puer.little-giant-national"): G}
    back = {(e.entity_id, e.rule_id): e.kind for e in w.advance_to("2021-06-30")}
    assert back[(HANGZHOU, "cn.small-low-profit-income-tax")] is L
    assert (PUER, "puer.little-giant-national") not in back  # 普洱's measures start in 2022: absent, as before


def test_a_measure_going_out_of_force_is_explained(engine: CountingEngine) -> None:
    w = Watcher(engine, as_of="2021-06-30")
    w.upsert({"uscc": TENGGER, "region_code": "152921", "development_zone": "腾格里经济技术开发区",
              "vehicles": [{"type": "truck", "annual_tax": "600"}]})
    [gone] = [e for e in w.advance_to("2022-01-15") if e.rule_id.startswith("tengger.")]
    assert (gone.rule_id, gone.kind, gone.status_after, gone.amount_before) == (
        "tengger.vehicle-tax-halved", G, None, Decimal(300))
    assert "不再适用" in gone.explanation and "施行期" in gone.explanation
    assert "no longer applies" in gone.explain("en") and gone.result is None


def test_explanations_are_computed_only_when_read(engine: CountingEngine) -> None:
    w = Watcher(engine, as_of="2024-06-30")
    events = w.upsert(_puer(("little_giant", "national", "2024-01-15"), ("specialised_sme", "municipal", "2024-02-01")))
    w.upsert_many([_small_profit("200万"), _small_profit("300万")])
    assert engine.evaluations == 0
    text = events[0].explanation
    assert engine.evaluations == 1
    assert events[0].rule.title.zh in text and events[0].kind.label() in text and events[0].rule_id not in text
    _ = [e.explain("en") for e in events]  # the events of one change share one evaluation
    assert engine.evaluations == 1
    assert events[0].result is not None and events[0].result.status == events[0].status_after
    granted = next(e for e in events if e.amount_after is not None)
    assert granted.to_dict()["amount_after"] == str(granted.amount_after) and granted.to_dict()["kind"] == granted.kind
    assert "explanation" in granted.to_dict(explain="en") and "explanation" not in granted.to_dict()


def test_callbacks_and_streams(engine: CountingEngine) -> None:
    w = Watcher(engine, as_of="2024-06-30")
    every: list[Event] = []
    newly: list[Event] = []
    w.on(None, every.append)
    w.on("newly_eligible", newly.append)
    stream = w.events()
    lost = w.events(EventKind.NO_LONGER_ELIGIBLE)
    returned = w.upsert_many([_puer(("little_giant", "national", "2024-01-15")), _small_profit("200万")])
    assert every == returned and newly == [e for e in returned if e.kind is N] and newly
    assert len(stream) == len(returned)
    assert list(stream) == returned and list(stream) == []  # iterating drains
    w.off(every.append)
    removed = w.remove(PUER)
    assert every == returned and list(lost) == removed and removed
    assert list(stream) == removed
    stream.close()
    w.upsert(_puer(("little_giant", "national", "2024-01-15")))
    assert list(stream) == []
    with pytest.raises(el.EligibilityError, match="unknown event kind 'eligible'"):
        w.on("eligible", print)


def test_a_profile_needs_a_uscc(engine: CountingEngine) -> None:
    w = Watcher(engine, as_of="2024-06-30")
    with pytest.raises(el.ProfileError) as info:
        w.upsert({"region_code": "530802"})
    assert info.value.field == "uscc" and "统一社会信用代码" in info.value.zh and "uscc" in info.value.en
    with pytest.raises(el.ProfileError) as bad:
        w.upsert({"uscc": PUER, "revenu": 1})
    assert "revenue" in bad.value.en  # validated by Profile.from_data: did you mean
    assert w.remove("91530802MA6K0UPC6X") == []  # a firm not watched (even a malformed code) is no error


def test_unknown_backend(rules: el.RuleSet) -> None:
    with pytest.raises(el.EligibilityError) as info:
        Watcher(rules, as_of="2024-06-30", backend="rete")
    assert "python, durable" in info.value.en and "未知的响应式后端" in info.value.zh


def test_a_ruleset_or_an_engine(rules: el.RuleSet) -> None:
    with Watcher(rules, as_of="2024-06-30") as w:
        w.upsert(_small_profit("200万"))
        assert w.decisions(HANGZHOU) == w.engine.decide(_small_profit("200万"), "2024-06-30")
        assert w.profile(HANGZHOU).taxable_income == Decimal(2_000_000)


def test_a_full_width_or_lower_case_code_finds_the_same_firm(engine: CountingEngine) -> None:
    """Issue "hardening" row 13: ``uscc.lower() in watcher`` agrees with ``decisions()`` (before, False)."""
    w = Watcher(engine, as_of="2024-06-30")
    code = "91350100M000100Y43"
    w.upsert({"uscc": "９１３５０１００Ｍ０００１００Ｙ４３", "region_code": "530802"})
    for typed in (code, code.lower(), f" {code} ", "９１３５０１００Ｍ０００１００Ｙ４３"):
        assert typed in w
        assert w.decisions(typed) == w.decisions(code)
    assert "nonsense" not in w and 5 not in w
    assert w.remove("nonsense") == [] and w.remove(code.lower()) is not None and code not in w
