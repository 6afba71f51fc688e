"""The transition table (every pair of statuses before and after) and the diff of two decision lists."""

from __future__ import annotations

from decimal import Decimal
from itertools import product

import pytest

from eligibility.results import Decision
from eligibility.reactive import EventKind
from eligibility.reactive.events import changes, transition
from eligibility.results import Status

E, I, U, S = Status.ELIGIBLE, Status.INELIGIBLE, Status.UNDETERMINED, Status.SUPERSEDED
A, B = Decimal(100), Decimal(200)
PAIRS = [pair for pair in product([None, E, I, U, S], repeat=2) if pair != (None, None)]
N, G, L, D = EventKind.NEWLY_ELIGIBLE, EventKind.NO_LONGER_ELIGIBLE, EventKind.AMOUNT_CHANGED, EventKind.BECAME_UNDETERMINED

# before → after → event, the amount unchanged (docs/reactive.md); None: the rule not in the results
TABLE = {
    (None, E): N, (None, U): D, (None, I): None, (None, S): None,
    (E, None): G, (E, E): None, (E, U): D, (E, I): G, (E, S): G,
    (I, None): None, (I, E): N, (I, U): D, (I, I): None, (I, S): None,
    (U, None): None, (U, E): N, (U, U): None, (U, I): None, (U, S): None,
    (S, None): None, (S, E): N, (S, U): D, (S, I): None, (S, S): None,
}


@pytest.mark.parametrize(("before", "after"), PAIRS)
def test_transition_table(before: Status | None, after: Status | None) -> None:
    assert transition(before, A, after, A) is TABLE[(before, after)]


@pytest.mark.parametrize(("before", "after"), PAIRS)
def test_only_an_eligible_rule_changes_amount(before: Status | None, after: Status | None) -> None:
    want = L if (before, after) == (E, E) else TABLE[(before, after)]
    assert transition(before, A, after, B) is want


def test_an_amount_becoming_unknown_is_a_change() -> None:
    assert transition(E, A, E, None) is L
    assert transition(E, None, E, None) is None


def _d(rule_id: str, status: Status, amount: Decimal | None = None) -> Decision:
    return Decision(rule_id, status, amount)


ORDER = {"a": 0, "b": 1, "c": 2}


def test_changes_between_lists_of_the_same_rules() -> None:
    before = [_d("a", E, A), _d("b", I), _d("c", U)]
    after = [_d("a", E, B), _d("b", E, A), _d("c", U)]
    assert changes(before, after, ORDER) == [(L, before[0], after[0]), (N, before[1], after[1])]


def test_changes_when_rules_enter_and_leave_the_results() -> None:
    before = [_d("a", E, A), _d("b", I)]
    after = [_d("b", I), _d("c", E)]
    assert changes(before, after, ORDER) == [(G, before[0], None), (N, None, after[1])]


def test_changes_from_and_to_nothing() -> None:
    decisions = [_d("a", E, A), _d("b", I), _d("c", U)]
    assert changes([], decisions, ORDER) == [(N, None, decisions[0]), (D, None, decisions[2])]
    assert changes(decisions, [], ORDER) == [(G, decisions[0], None)]


def test_event_kinds_are_strings_with_labels() -> None:
    assert N == "newly_eligible" and G.value == "no_longer_eligible"
    assert {k.label("zh") for k in EventKind} == {"新符合", "不再符合", "金额变化", "变为待定：缺少数据"}
    assert L.label("en") == "amount changed"
