"""就高不重复 across evaluation dates in groups of one-off grants, through every path: the explained
interpreter, the compiled decide/decider, the vectorized batch and the reactive backends (a date
advanced and a profile updated in place), and the periodic tax groups left resolved per period."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

import eligibility as el
from eligibility.backends.interpreter.evaluator import above, candidate_dates, one_off
from eligibility.facts.frame import to_frame
from eligibility.facts.profile import Profile
from eligibility.reactive import Watcher

ENGINE = el.Engine(el.load_rules())
USCC = "91530802MA6K4L2X1W"
NATIONAL, MUNICIPAL = "puer.little-giant-national", "puer.specialised-municipal"
NATIONAL_2023 = {"kind": "little_giant", "level": "national", "certified_on": "2023-07-01"}
MUNICIPAL_2023 = {"kind": "specialised_sme", "level": "municipal", "certified_on": "2023-09-10"}
BOTH = {"uscc": USCC, "region_code": "530802", "certifications": [NATIONAL_2023, MUNICIPAL_2023]}
RECEIVED_NATIONAL = {**BOTH, "benefits_received": [{"rule_id": NATIONAL, "year": 2024, "amount": 300000}]}
TOP_UP = {"uscc": USCC, "region_code": "530802",
          "certifications": [{"kind": "specialised_sme", "level": "municipal", "certified_on": "2023-03-01"},
                             {"kind": "little_giant", "level": "national", "certified_on": "2024-05-10"}],
          "benefits_received": [{"rule_id": MUNICIPAL, "year": 2023, "amount": 100000}]}
APART = {"uscc": USCC, "region_code": "530802",
         "certifications": [{"kind": "little_giant", "level": "national", "certified_on": "2022-01-01"},
                            {"kind": "specialised_sme", "level": "municipal", "certified_on": "2023-03-01"}]}

Row = tuple[str, Decimal | None, str | None]


def _paths(profile: dict[str, Any], day: date) -> list[dict[str, Row]]:
    """The specialised group's outcome (status, amount, superseded_by) by every path."""
    group = {r.id for r in ENGINE.rules.rules if r.group == "puer.specialised"}
    explained = {r.rule_id: (r.status.value, r.amount, r.superseded_by)
                 for r in ENGINE.evaluate(profile, day).results if r.rule_id in group}
    decided = {d.rule_id: (d.status.value, d.amount, d.superseded_by) for d in ENGINE.decide(profile, day)
               if d.rule_id in group}
    decider = {d.rule_id: (d.status.value, d.amount, d.superseded_by)
               for d in ENGINE.decider(day)(Profile.from_data(profile)) if d.rule_id in group}
    scored = ENGINE.score(to_frame([profile]), day)
    batch = {rec.rule_id: (rec.status, None if rec.amount is pd.NA else Decimal(rec.amount),
                           rec.superseded_by if isinstance(rec.superseded_by, str) else None)
             for rec in scored.itertuples() if rec.rule_id in group}
    out = [explained, decided, decider, batch]
    for backend in ("python", "durable"):
        with Watcher(ENGINE, as_of=day, backend=backend) as w:
            w.upsert(profile)
            out.append({d.rule_id: (d.status.value, d.amount, d.superseded_by) for d in w.decisions(USCC)
                        if d.rule_id in group})
    return out


def _agree(profile: dict[str, Any], day: date) -> dict[str, Row]:
    found = _paths(profile, day)
    for other in found[1:]:
        assert other == found[0]
    return found[0]


def test_two_dates_in_sequence_pay_the_national_grant_only() -> None:
    first = _agree(BOTH, date(2024, 6, 30))
    assert first[NATIONAL] == ("eligible", Decimal(300000), None)
    assert first[MUNICIPAL] == ("superseded", Decimal(100000), NATIONAL)
    second = _agree(BOTH, date(2024, 7, 1))
    assert second[NATIONAL][0] == "ineligible"
    assert second[MUNICIPAL] == ("superseded", Decimal(100000), NATIONAL)
    why = ENGINE.evaluate(BOTH, date(2024, 7, 1))[MUNICIPAL].explain()
    assert "2023-09-10" in why and "已同时符合同组" in why


def test_the_received_national_grant_bars_the_municipal_one() -> None:
    got = _agree(RECEIVED_NATIONAL, date(2024, 7, 1))
    assert got[MUNICIPAL] == ("superseded", Decimal(100000), NATIONAL)


def test_a_higher_tier_after_a_lower_one_received_pays_the_difference() -> None:
    got = _agree(TOP_UP, date(2024, 6, 30))
    assert got[NATIONAL] == ("eligible", Decimal(200000), None)
    result = ENGINE.evaluate(TOP_UP, date(2024, 6, 30))[NATIONAL]
    assert result.amount_kind == "exact"
    assert "补差 20万元" in result.explain() and "pays the difference" in result.explain("en")
    topped = {d.rule_id: d.topped_up for d in ENGINE.decide(TOP_UP, date(2024, 6, 30))}
    assert topped[NATIONAL] == Decimal(100000)


def test_windows_that_never_overlapped_pay_both() -> None:
    assert _agree(APART, date(2022, 6, 30))[NATIONAL] == ("eligible", Decimal(300000), None)
    assert _agree(APART, date(2023, 6, 30))[MUNICIPAL] == ("eligible", Decimal(100000), None)


@pytest.mark.parametrize("backend", ["python", "durable"])
def test_a_watcher_advancing_a_day_does_not_pay_the_municipal_grant(backend: str) -> None:
    with Watcher(ENGINE, as_of="2024-06-30", backend=backend) as w:
        w.upsert(BOTH)
        events = w.advance_to("2024-07-01")
        assert not [e for e in events if e.rule_id == MUNICIPAL and e.kind.value == "newly_eligible"]
        got = {d.rule_id: (d.status.value, d.superseded_by) for d in w.decisions(USCC)}
        assert got[MUNICIPAL] == ("superseded", NATIONAL)


def test_a_watcher_update_of_an_earlier_recognition_regroups() -> None:
    """Adding the national recognition of 2023 changes no decision of the national rule on
    2024-07-01 (out of its window), yet bars the municipal grant."""
    alone = {**BOTH, "certifications": [MUNICIPAL_2023]}
    with Watcher(ENGINE, as_of="2024-07-01") as w:
        w.upsert(alone)
        assert {d.rule_id: d.status.value for d in w.decisions(USCC)}[MUNICIPAL] == "eligible"
        w.upsert(BOTH)
        got = {d.rule_id: (d.status.value, d.superseded_by) for d in w.decisions(USCC)}
        assert got[MUNICIPAL] == ("superseded", NATIONAL)
        assert w.decisions(USCC) == ENGINE.decide(BOTH, "2024-07-01")


def test_candidate_dates_are_the_dates_read_and_the_starts_in_force() -> None:
    members = [r for r in ENGINE.rules.rules if r.group == "puer.specialised"]
    facts = Profile.from_data(BOTH).facts()
    assert candidate_dates(members, facts, date(2024, 7, 1)) == [date(2022, 1, 1), date(2023, 7, 1), date(2023, 9, 10)]
    assert candidate_dates(members, facts, date(2023, 9, 10)) == [date(2022, 1, 1), date(2023, 7, 1)]


@pytest.mark.parametrize("group", ["income-tax.small-low-profit", "vat.small-scale-exemption", "tax.six-taxes"])
def test_periodic_tax_groups_stay_resolved_per_period(group: str) -> None:
    members = [r for r in ENGINE.rules.rules if r.group == group]
    assert len(members) >= 2 and not one_off(members)
    assert one_off([r for r in ENGINE.rules.rules if r.group == "puer.specialised"])


def test_a_tax_group_member_paid_earlier_in_the_year_does_not_bar_a_later_period() -> None:
    """The national small-scale VAT exemption recorded as received does not supersede this period's."""
    profile = {"region_code": "152921", "development_zone": "腾格里经济技术开发区", "vat_taxpayer": "small_scale",
               "vat_filing_period": "month", "monthly_sales": 120_000,
               "benefits_received": [{"rule_id": "cn.small-scale-vat-exemption", "year": 2020, "amount": 3600}]}
    ev = ENGINE.evaluate(profile, date(2021, 6, 30))
    assert ev["cn.small-scale-vat-exemption"].status == "eligible"
    assert ev["cn.small-scale-vat-exemption"].amount == ENGINE.evaluate(
        {k: v for k, v in profile.items() if k != "benefits_received"}, date(2021, 6, 30))["cn.small-scale-vat-exemption"].amount


def test_a_batch_settles_only_the_rows_that_need_it_and_agrees_with_the_interpreter_on_each() -> None:
    """One frame of firms: those settled across dates and those the array ranking decides alone."""
    plain = {"uscc": USCC, "region_code": "530802", "certifications": [MUNICIPAL_2023]}
    other_receipt = {**plain, "benefits_received": [{"rule_id": "puer.single-champion", "year": 2023, "amount": 1000000}]}
    firms = [BOTH, plain, RECEIVED_NATIONAL, TOP_UP, APART, other_receipt, BOTH]
    for day in (date(2024, 6, 30), date(2024, 7, 1)):
        scored = ENGINE.score(to_frame(firms), day)
        for row, firm in enumerate(firms, start=1):
            want = {r.rule_id: (r.status.value, r.amount, r.superseded_by, f"{r.reason[1]} | {r.reason[0]}" if r.reason else None)
                    for r in ENGINE.evaluate(firm, day).results if r.rule.group == "puer.specialised"}
            got = {rec.rule_id: (rec.status, None if rec.amount is pd.NA else Decimal(rec.amount),
                                 rec.superseded_by if isinstance(rec.superseded_by, str) else None,
                                 rec.reason if isinstance(rec.reason, str) else None)
                   for rec in scored[scored["row"] == row].itertuples() if rec.rule_id in want}
            assert got == want, (row, day)


def test_fixed_amounts_rank_members_alike_on_every_date() -> None:
    """30万 national over 20万 provincial over the two 10万 grants (tie: the provincial level first)."""
    specialised = [r.id for r in ENGINE.rules.rules if r.group == "puer.specialised"]
    assert specialised == [NATIONAL, "puer.little-giant-provincial", "puer.specialised-growth", MUNICIPAL]
    assert above([ENGINE.rules[i] for i in specialised]) == ((), (0,), (0, 1), (0, 1, 2))
    assert above([r for r in ENGINE.rules.rules if r.group == "income-tax.small-low-profit"]) is None  # computed


def test_a_batch_settles_a_row_only_where_a_member_above_its_winner_could_have_held(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The national grant eligible now (the top member): no earlier date can bar it, the row is not
    settled; the municipal grant eligible a day later, under a national one that was: settled."""
    from eligibility.backends.vectorized import compiler

    settled: list[date] = []
    real = compiler.settle

    def spy(*args: Any) -> Any:
        settled.append(args[-1])
        return real(*args)

    monkeypatch.setattr(compiler, "settle", spy)
    for day in (date(2024, 6, 30), date(2024, 7, 1)):
        ENGINE.score(to_frame([BOTH]), day)
    assert settled == [date(2024, 7, 1)]


def test_an_undated_condition_is_false_only_where_no_date_makes_it_true() -> None:
    from eligibility.backends.interpreter.evaluator import undated
    from eligibility.backends.interpreter.trace import Env, evaluate

    national = next(r for r in ENGINE.rules.rules if r.id == NATIONAL)
    relaxed = undated(national.when)
    without = Profile.from_data({"region_code": "530802", "certifications": [MUNICIPAL_2023]}).facts()
    with_old = Profile.from_data({"region_code": "530802", "certifications": [NATIONAL_2023]}).facts()
    assert evaluate(relaxed, Env(without, date(2030, 1, 1), {})).value is False
    assert evaluate(relaxed, Env(with_old, date(2030, 1, 1), {})).value is not False
    assert evaluate(national.when, Env(with_old, date(2030, 1, 1), {})).value is False
