"""What was decided, as data: statuses, traces, per-rule decisions and results, the whole evaluation.

The core types every backend produces and no backend owns. The explanations (:mod:`eligibility.explain`)
read them and :mod:`eligibility.results` adds their rendering methods, both importing them from below.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar

from .errors import UnknownRuleError, suggest

if TYPE_CHECKING:
    from .model.expr import Clause, Node
    from .model.rule import Rule


PAYOUT_KINDS = frozenset({"grant", "tax", "loan"})
"""Rule kinds whose amount is money paid to the firm or tax it does not pay."""


class Status(StrEnum):
    """A rule's outcome for one firm (a str, so ``r.status == "eligible"`` works)."""

    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    UNDETERMINED = "undetermined"
    SUPERSEDED = "superseded"
    ERROR = "error"

    def label(self, lang: str = "zh") -> str:
        zh = {"eligible": "符合", "ineligible": "不符合", "undetermined": "待定：缺少数据",
              "superseded": "符合，但被同组更优政策取代", "error": "出错"}
        en = {"eligible": "eligible", "ineligible": "not eligible", "undetermined": "undetermined: data missing",
              "superseded": "eligible, but superseded by a better measure of its group", "error": "error"}
        return (en if lang == "en" else zh)[self.value]


_EMPTY: tuple[str, ...] = ()


class Trace:
    """A node's evaluation: value, sub-traces, missing facts, presumptions used, optional note."""

    __slots__ = ("node", "value", "children", "missing", "presumed", "note", "clause")

    def __init__(self, node: Node, value: Any, children: tuple[Trace, ...] = (), missing: tuple[str, ...] = _EMPTY,
                 presumed: tuple[str, ...] = _EMPTY, note: Any = None) -> None:
        self.node = node
        self.value = value
        self.children = children
        self.missing = missing
        self.presumed = presumed
        self.note = note  # a derived fact's value, whose .zh / .en explain it (read only when rendering)
        self.clause: Clause | None = None  # set when this trace is a condition as the policy writer wrote it

    def __repr__(self) -> str:
        return f"Trace({type(self.node).__name__}, {self.value!r})"


class Decision(NamedTuple):
    """A rule's decision without explanation: what the fast paths return.

    ``received`` is set (to the amount, or True when unknown) for a rule already received in
    as_of's year (in any year, in a group of one-off grants): it is ineligible itself but still
    outranks lower members of its group. ``topped_up`` is what its group of one-off grants had
    already paid, when ``amount`` is the difference left to pay (就高: the firm ends with the highest
    member's amount).
    """

    rule_id: str
    status: Status
    amount: Decimal | None
    superseded_by: str | None = None
    received: Decimal | bool | None = None
    topped_up: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Instalment:
    """Which part of a schedule is due in as_of's year: ``index`` of ``count``, ``total`` in all."""

    index: int
    count: int
    total: Decimal
    start_year: int


class RuleRecord:
    """One rule's decision for one firm, with everything needed to explain and audit it (rendered by
    :class:`eligibility.results.RuleResult`, the class the backends make).

    Attributes not set for a result keep their class defaults (a plain class rather than a
    dataclass: results are made by the million in batch runs).
    """

    amount: Decimal | None = None
    amount_kind: str | None = None
    instalment: Instalment | None = None
    superseded_by: str | None = None
    missing: tuple[str, ...] = ()
    amount_trace: Trace | None = None
    scope_traces: tuple[Trace, ...] = ()
    received_year: int | None = None
    received_amount: Decimal | None = None
    reason: tuple[str, str] | None = None  # (zh, en): why not eligible beyond the conditions
    presumed: tuple[str, ...] = ()
    outranks: tuple[str, ...] = ()
    related: tuple[Rule, ...] = ()  # the rules named by superseded_by and outranks, for their titles
    as_of: date | None = None
    place: tuple[str | None, str | None] | None = None  # the firm's region code and development zone

    def __init__(self, rule: Rule, status: Status, trace: Trace | None = None) -> None:
        self.rule = rule
        self.status = status
        self.trace = trace

    def __repr__(self) -> str:
        extra = f", amount={self.amount}" if self.amount is not None else ""
        extra += f", superseded_by={self.superseded_by!r}" if self.superseded_by else ""
        extra += f", missing={list(self.missing)}" if self.missing else ""
        return f"RuleResult({self.rule.id!r}, {self.status.value}{extra})"

    @property
    def rule_id(self) -> str:
        return self.rule.id


@dataclass(frozen=True, slots=True)
class OutOfScope:
    """A rule left out of the results (not in force, another jurisdiction, no such matter), and why."""

    rule: Rule
    zh: str
    en: str

    @property
    def rule_id(self) -> str:
        return self.rule.id


R = TypeVar("R", bound=RuleRecord)


@dataclass(slots=True)
class EvaluationRecord(Generic[R]):
    """All in-scope rule results for one firm at one date, with provenance (rendered by
    :class:`eligibility.results.Evaluation`)."""

    results: list[R]
    as_of: date
    entity_id: str | None
    name: str | None
    provenance: dict[str, str]
    out_of_scope: list[OutOfScope] = field(default_factory=list)
    #: fields whose values could not be read (path → reason zh, en): left unknown, the rules reading them in error
    field_errors: dict[str, tuple[str, str]] = field(default_factory=dict)

    def __getitem__(self, rule_id: str) -> R:
        for r in self.results:
            if r.rule_id == rule_id:
                return r
        raise UnknownRuleError(rule_id, suggest(rule_id, [r.rule_id for r in self.results]))

    def by_status(self, status: str) -> list[R]:
        return [r for r in self.results if r.status == status]

    @property
    def eligible(self) -> list[R]:
        return self.by_status("eligible")

    def total(self) -> Decimal:
        """Money the firm receives or saves from eligible rules — grants, tax relief and loan support
        (caps counted at their cap). Price deductions and fee caps are amounts of another kind (a bid
        evaluated lower, the most a fee may be) and are not added in."""
        return sum((r.amount for r in self.eligible if r.amount is not None and r.rule.kind in PAYOUT_KINDS),
                   Decimal(0))

    def totals(self) -> tuple[Decimal, Decimal]:
        """:meth:`total` split in two: (exact amounts, caps of "up to" amounts), kept apart in any sum a
        person reads, since a cap is the most the firm can receive, not what it receives."""
        up_to = sum((r.amount for r in self.eligible if r.amount is not None and r.rule.kind in PAYOUT_KINDS
                     and r.amount_kind == "up_to"), Decimal(0))
        return self.total() - up_to, up_to
