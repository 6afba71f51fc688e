"""Eligibility events: what changed for one firm and one rule, and the table that decides it.

Statuses are compared before and after a change; "absent" means the rule is not in the firm's
results (out of its jurisdiction or matter, not in force on as_of, or the firm not watched).

=================================  =====================================  ======================
before                             after                                  event
=================================  =====================================  ======================
not eligible (any other status)    eligible                               newly_eligible
eligible                           eligible, another amount               amount_changed
eligible                           undetermined                           became_undetermined
eligible                           ineligible, superseded or absent       no_longer_eligible
ineligible, superseded or absent   undetermined                           became_undetermined
anything else                                                             (no event)
=================================  =====================================  ======================

"Eligible" is what the firm is granted: a superseded rule (another member of its group wins) is
not granted, so superseded → eligible is newly_eligible and eligible → superseded is
no_longer_eligible. An undetermined result was never granted, so undetermined → ineligible (or
superseded, or absent) is no event. Removing a watched firm ends each of its eligible rules
(no_longer_eligible, status after absent).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from ..results import Decision
from ..results import Status

if TYPE_CHECKING:
    from ..engine import Engine
    from ..facts.profile import Profile
    from ..results import Evaluation, RuleResult

ELIGIBLE, UNDETERMINED = Status.ELIGIBLE, Status.UNDETERMINED


class EventKind(StrEnum):
    """What happened to one firm's standing on one rule (a str, so ``kind == "newly_eligible"`` works)."""

    NEWLY_ELIGIBLE = "newly_eligible"
    NO_LONGER_ELIGIBLE = "no_longer_eligible"
    AMOUNT_CHANGED = "amount_changed"
    BECAME_UNDETERMINED = "became_undetermined"

    def label(self, lang: str = "zh") -> str:
        zh = {"newly_eligible": "新符合", "no_longer_eligible": "不再符合", "amount_changed": "金额变化",
              "became_undetermined": "变为待定：缺少数据"}
        en = {"newly_eligible": "newly eligible", "no_longer_eligible": "no longer eligible",
              "amount_changed": "amount changed", "became_undetermined": "became undetermined: data missing"}
        return (en if lang == "en" else zh)[self.value]


def transition(before: Status | None, amount_before: Decimal | None,
               after: Status | None, amount_after: Decimal | None) -> EventKind | None:
    """The event for one rule's change of status (None: absent), per the table in this module."""
    if after is ELIGIBLE:
        if before is not ELIGIBLE:
            return EventKind.NEWLY_ELIGIBLE
        return EventKind.AMOUNT_CHANGED if amount_before != amount_after else None
    if after is UNDETERMINED:
        return EventKind.BECAME_UNDETERMINED if before is not UNDETERMINED else None
    return EventKind.NO_LONGER_ELIGIBLE if before is ELIGIBLE else None


class Change:
    """One change of one firm (an upsert, a removal, a date moved): what its events explain from.

    The interpreter's evaluation is run once, the first time one of the change's events is
    explained, and shared by them; a change no one explains costs nothing. ``profile`` may be a
    function giving the profile (a row of a columnar batch is validated only when explained).
    """

    __slots__ = ("engine", "entity_id", "_profile", "as_of", "_evaluation")

    def __init__(self, engine: Engine, entity_id: str, profile: Profile | Callable[[], Profile] | None,
                 as_of: date) -> None:
        self.engine, self.entity_id, self._profile, self.as_of = engine, entity_id, profile, as_of
        self._evaluation: Evaluation | None = None

    @property
    def profile(self) -> Profile | None:
        """The firm's profile after the change (None for a removed firm)."""
        if callable(self._profile):
            self._profile = self._profile()
        return self._profile

    def evaluation(self) -> Evaluation | None:
        """The firm's full evaluation after the change (None for a removed firm)."""
        profile = self.profile
        if self._evaluation is None and profile is not None:
            self._evaluation = self.engine.evaluate(profile, self.as_of)
        return self._evaluation


class Event:
    """A firm's standing on one rule changed. Read ``explanation`` (or ``explain("en")``) for why:
    it is computed only when read, by the interpreter, on the firm's facts after the change."""

    __slots__ = ("kind", "rule_id", "entity_id", "status_before", "status_after", "amount_before", "amount_after",
                 "superseded_by", "as_of", "seq", "_change")

    def __init__(self, kind: EventKind, before: Decision | None, after: Decision | None, change: Change) -> None:
        self.kind = kind
        self.rule_id: str = (after or before).rule_id  # type: ignore[union-attr]
        self.entity_id = change.entity_id
        self.status_before = before.status if before is not None else None
        self.status_after = after.status if after is not None else None
        self.amount_before = before.amount if before is not None else None
        self.amount_after = after.amount if after is not None else None
        self.superseded_by = after.superseded_by if after is not None else None
        self.as_of = change.as_of
        self.seq: int | None = None  # its number in the watch's durable log (None without a store)
        self._change = change

    @classmethod
    def of(cls, kind: EventKind, rule_id: str, status_before: Status | None, status_after: Status | None,
           amount_before: Decimal | None, amount_after: Decimal | None, superseded_by: str | None,
           change: Change) -> Event:
        """An event from its fields (a columnar batch has them in arrays, not in decisions)."""
        ev = cls.__new__(cls)
        ev.kind, ev.rule_id, ev.entity_id = kind, rule_id, change.entity_id
        ev.status_before, ev.status_after = status_before, status_after
        ev.amount_before, ev.amount_after = amount_before, amount_after
        ev.superseded_by, ev.as_of, ev.seq, ev._change = superseded_by, change.as_of, None, change
        return ev

    def key(self) -> tuple[Any, ...]:
        """What identifies the event: kind, firm, rule, statuses, amounts, as_of (for comparisons)."""
        return (self.kind, self.entity_id, self.rule_id, self.status_before, self.status_after,
                self.amount_before, self.amount_after, self.as_of)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Event) and self.key() == other.key()

    def __hash__(self) -> int:
        return hash(self.key())

    def __repr__(self) -> str:
        amounts = f", amount {self.amount_before} → {self.amount_after}" if self.amount_before != self.amount_after else ""
        before = self.status_before.value if self.status_before else "absent"
        after = self.status_after.value if self.status_after else "absent"
        return f"Event({self.kind.value}, {self.entity_id}, {self.rule_id}: {before} → {after}{amounts})"

    @property
    def rule(self) -> Any:
        """The rule the event is about."""
        return self._change.engine.rules[self.rule_id]

    @property
    def result(self) -> RuleResult | None:
        """The interpreter's result for this firm and rule after the change; None when the rule no
        longer applies to the firm or the firm was removed."""
        ev = self._change.evaluation()
        if ev is None:
            return None
        return next((r for r in ev.results if r.rule_id == self.rule_id), None)

    @property
    def explanation(self) -> str:
        """Why, in Chinese (``explain("en")`` for English)."""
        return self.explain("zh")

    def explain(self, lang: str = "zh") -> str:
        """The event and the rule's explanation after the change, in ``lang`` ("zh" or "en")."""
        en = lang == "en"
        title = self.rule.title.get(lang)
        head = (f"[{self.kind.label(lang)}] {self.entity_id}: {title}, as of {self.as_of}" if en
                else f"【{self.kind.label(lang)}】{self.entity_id}：{title}，评估日期 {self.as_of}")
        ev = self._change.evaluation()
        if ev is None:
            return head + ("\n  the firm was removed from the watch: it is no longer followed for any measure" if en
                           else "\n  该企业已移出监测，不再跟踪其任何政策")
        result = self.result
        if result is not None:
            return f"{head}\n{result.explain(lang)}"
        out = next((o for o in ev.out_of_scope if o.rule_id == self.rule_id), None)
        reason = (out.en if en else out.zh) if out is not None else ""
        return head + (f"\n  no longer applies to the firm: {reason}" if en else f"\n  不再适用于该企业：{reason}")

    def to_dict(self, explain: str | None = None) -> dict[str, Any]:
        """Plain data for a message (amounts as strings); ``explain="zh"``/``"en"`` adds the explanation."""
        out: dict[str, Any] = {
            "kind": self.kind.value, "entity_id": self.entity_id, "rule_id": self.rule_id,
            "status_before": self.status_before.value if self.status_before else None,
            "status_after": self.status_after.value if self.status_after else None,
            "amount_before": None if self.amount_before is None else str(self.amount_before),
            "amount_after": None if self.amount_after is None else str(self.amount_after),
            "superseded_by": self.superseded_by, "as_of": self.as_of.isoformat(),
        }
        if explain is not None:
            out["explanation"] = self.explain(explain)
        return out


Found = tuple[EventKind, Decision | None, Decision | None]


def changes(before: list[Decision], after: list[Decision], order: dict[str, int]) -> list[Found]:
    """The events between two decision lists of one firm, as (kind, before, after), in the rule set's
    order (``order``: rule id → position; both lists are in that order, as ``Engine.decide`` gives them)."""
    found: list[Found] = []
    if not before or not after:
        for d in after or before:
            kind = transition(None, None, d.status, d.amount) if after else transition(d.status, d.amount, None, None)
            if kind is not None:
                found.append((kind, None, d) if after else (kind, d, None))
        return found
    if len(before) == len(after):
        for b, a in zip(before, after):
            if b is a:
                continue
            if b.rule_id != a.rule_id:
                break
            kind = transition(b.status, b.amount, a.status, a.amount)
            if kind is not None:
                found.append((kind, b, a))
        else:
            return found
        found.clear()
    old = {d.rule_id: d for d in before}
    new = {d.rule_id: d for d in after}
    for rule_id in sorted(old.keys() | new.keys(), key=order.__getitem__):
        b, a = old.get(rule_id), new.get(rule_id)
        kind = transition(b.status if b else None, b.amount if b else None, a.status if a else None,
                          a.amount if a else None)
        if kind is not None:
            found.append((kind, b, a))
    return found
