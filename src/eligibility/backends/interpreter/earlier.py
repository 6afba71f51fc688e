"""Groups of one-off grants across evaluation dates: was a higher member eligible together with the
winner on an earlier date? Decided here, by the interpreter, for every backend.

A group is *one-off* when one of its members is paid once (``once: true``). Such a rule's
eligibility as a function of the date changes only where a window it reads opens (a
``within(certified_on, 12 months)`` window opens on ``certified_on``, ``in_year(entered_on)`` on
``entered_on``) or where the rule comes into force; so "were H and M both eligible on some date
d ≤ as_of" is decided by evaluating the members on the *candidate dates*: the dates the members
read in this profile, and the starts of their effective periods, before as_of.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from ...facts.flatten import Facts
from ...facts.money import format_money
from ...groups import NO_AMOUNT, winners
from ...lower import lower
from ...model import expr as x
from ...model.rule import Rule
from ...results import Status
from .evaluator import evaluate_rule, received_record
from .trace import Env


def one_off(members: Sequence[Rule]) -> bool:
    """Is the group resolved across dates (one of its members is paid once)?"""
    return any(r.benefit.once for r in members)


def _dates(value: Any, into: set[date]) -> None:
    if isinstance(value, date):
        into.add(value)
    elif isinstance(value, list | tuple):
        for item in value:
            if isinstance(item, dict):
                for v in item.values():
                    if isinstance(v, date):
                        into.add(v)


_READS: dict[tuple[int, ...], tuple[Sequence[Rule], tuple[str, ...], frozenset[date]]] = {}


def _group_reads(members: Sequence[Rule]) -> tuple[tuple[str, ...], frozenset[date]]:
    """The paths the members read and the starts of their effective periods and parameter values
    (worked out once per group; the entry keeps its rules alive, so an id is never reused)."""
    key = tuple(id(r) for r in members)
    hit = _READS.get(key)
    if hit is None or any(a is not b for a, b in zip(hit[0], members)):
        paths = tuple(sorted({p for r in members for p in lower(r).reads()}))
        starts = frozenset(s for r in members for s in (r.effective.start, *(v.start for param in r.params.values()
                                                                            for v in param.values)) if s is not None)
        hit = _READS[key] = (tuple(members), paths, starts)
    return hit[1], hit[2]


def candidate_dates(members: Sequence[Rule], facts: Facts, as_of: date) -> list[date]:
    """The dates before as_of on which a member's eligibility may have begun, in order."""
    paths, found = _group_reads(members)
    found = set(found)
    for path in paths:
        _dates(facts.values.get(path), found)
    return sorted(d for d in found if d < as_of)


UNDATED = x.Field("\u2026undated")  # a path no profile holds: unknown on every backend


def _dated(node: x.Node) -> bool:
    return any(isinstance(n, x.AsOf | x.Param | x.Derived) or (isinstance(n, x.Call) and n.func in ("within", "in_year"))
               for n in x.walk(node))


def undated(node: x.Node) -> x.Node:
    """The condition with every part that can change with the date (as_of, a dated parameter, a
    derived fact, a window) made unknown: where it is false, the rule is false on every date (a
    false and/or/not/any/all in three-valued logic stays false whatever an unknown part is)."""
    if not _dated(node):
        return node
    if isinstance(node, x.And | x.Or):
        return replace(node, items=tuple(undated(i) for i in node.items))
    if isinstance(node, x.Not | x.Clause):
        return replace(node, item=undated(node.item))
    if isinstance(node, x.Quantifier) and node.func in ("any", "all") and node.where is None:
        return replace(node, body=undated(node.body))
    return UNDATED


def earlier_bar(members: Sequence[Rule], winner: Rule, facts: Facts, as_of: date
                ) -> tuple[Rule, date, Decimal | None] | None:
    """The member that outranked ``winner`` on the first candidate date on which both were eligible
    (with that date and its amount then), or None: the winner was never eligible together with a
    higher member."""
    for day in candidate_dates(members, facts, as_of):
        mine = evaluate_rule(winner, facts, day)
        if getattr(mine, "status", None) != Status.ELIGIBLE:
            continue
        at = [evaluate_rule(r, facts, day) if r is not winner else mine for r in members]
        eligible = [getattr(r, "status", None) == Status.ELIGIBLE for r in at]
        amounts = [getattr(r, "amount", None) for r in at]
        w = winners(members, eligible, [NO_AMOUNT if a is None else a for a in amounts])
        if members[w] is not winner:
            return members[w], day, amounts[w]
    return None


@dataclass(frozen=True, slots=True)
class Settled:
    """A one-off group settled for one firm: ``superseded`` maps each eligible member's position to
    the rule that supersedes it; ``paid`` is the position of the member paid (-1 none), ``amount``
    what it is paid when that differs from its own amount (a top-up), ``deducted`` what the group
    had already paid; ``reasons`` the (zh, en) text shown for a position."""

    superseded: dict[int, Rule]
    paid: int = -1
    amount: Decimal | None = None
    deducted: Decimal | None = None
    reasons: dict[int, tuple[str, str]] = field(default_factory=dict)


def receipt(rule: Rule, facts: Facts, as_of: date) -> tuple[bool, Decimal | None]:
    """Was the rule received (its own receipt test: a one-off in any year, an instalment in as_of's
    year), whatever its conditions say now; and what was received (the record's amount, else the
    rule's fixed amount)."""
    found = received_record(lower(rule), Env(facts, as_of, {}))
    return (False, None) if found is None else (True, found[1])


def settle(members: Sequence[Rule], eligible: Sequence[bool], amount: Sequence[Decimal | None],
           facts: Facts, as_of: date) -> Settled:
    """就高不重复 in a one-off group, across dates (the reading stated in the design notes).

    Members received (any year, by their own receipt test) rank with what was received; the winner
    among them and the members eligible now supersedes the others. A winner eligible now is
    superseded by a higher member that was eligible together with it on an earlier date
    (:func:`earlier_bar`); otherwise it is paid its amount less what the group already received
    (superseded by the best received member when nothing is left).
    """
    n = len(members)
    receipts = [receipt(r, facts, as_of) for r in members]
    received = [r[0] for r in receipts]
    received_amount = [r[1] for r in receipts]
    candidate = [eligible[i] or received[i] for i in range(n)]
    ranked = [(amount[i] if eligible[i] else received_amount[i]) for i in range(n)]
    w = winners(members, candidate, [NO_AMOUNT if a is None else a for a in ranked])
    if w < 0:
        return Settled({})
    superseded = {i: members[w] for i in range(n) if eligible[i] and i != w}
    if not eligible[w]:
        then = received_amount[w]
        zh = f"（{format_money(then)}）" if then is not None else ""
        en = f" ({format_money(then, 'en')})" if then is not None else ""
        reason = (f"已享受同组 {members[w].id}{zh}，按就高不重复不再给予",
                  f"already received {members[w].id}{en} of its group: highest applies, not paid again")
        return Settled(superseded, reasons=dict.fromkeys(superseded, reason))
    bar = earlier_bar(members, members[w], facts, as_of)
    if bar is not None:
        rule, day, then = bar
        zh = f"（{format_money(then)}）" if then is not None else ""
        en = f" ({format_money(then, 'en')})" if then is not None else ""
        reason = (f"{day.isoformat()} 已同时符合同组 {rule.id}{zh}，按就高不重复不再给予",
                  f"on {day.isoformat()} already eligible together with {rule.id}{en} of its group: "
                  "highest applies, not paid again")
        return Settled({**superseded, w: rule}, reasons={w: reason})
    got = [i for i in range(n) if received[i]]
    own = amount[w]
    if not got or own is None:
        return Settled(superseded, w)
    deducted = sum((received_amount[i] for i in got if received_amount[i] is not None), Decimal(0))
    listed_zh = "、".join(f"{members[i].id} {format_money(received_amount[i])}" if received_amount[i] is not None
                         else members[i].id for i in got)
    listed_en = ", ".join(f"{members[i].id} {format_money(received_amount[i], 'en')}"
                          if received_amount[i] is not None else members[i].id for i in got)
    pay = own - deducted
    if pay <= 0:
        best = winners([members[i] for i in got], [True] * len(got),
                       [NO_AMOUNT if received_amount[i] is None else received_amount[i] for i in got])
        return Settled({**superseded, w: members[got[best]]},
                       reasons={w: (f"已享受同组 {listed_zh}，不低于本项金额，按就高不重复不再给予",
                                    f"already received in its group: {listed_en}, not less than this amount: "
                                    "highest applies, not paid again")})
    return Settled(superseded, w, pay, deducted,
                   {w: (f"已享受同组 {listed_zh}，补差 {format_money(pay)}",
                        f"already received in its group: {listed_en}; pays the difference, {format_money(pay, 'en')}")})
