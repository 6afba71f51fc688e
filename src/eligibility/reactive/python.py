"""The pure-Python reactive backend: firms indexed by the facts their rules read.

Each rule in force is compiled to its own function (the compiled decision path's statements, see
:func:`~eligibility.backends.interpreter.compiled.rule_deciders`). A firm meets only the rules
whose jurisdiction can cover its region and zone; an update re-decides only the rules that read
a fact whose value changed (a derived fact counts as the raw fields it reads), then re-resolves
the exclusive groups of the rules whose decision changed. The state kept per firm is one small
record: its profile (with its flat facts) and its decisions.

Moving as_of re-decides, for every firm, the rules whose decision can depend on the date: rules
entering or leaving force, rules whose dated parameters differ, and rules that read as_of
(``within``, ``in_year``, instalments, already-received benefits, derived facts).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..backends.interpreter.compiled import in_force, resolve, rule_deciders
from ..backends.interpreter.evaluator import one_off
from ..results import Decision
from ..engine import Engine
from ..facts.derived import CACHE_READS, evaluate_derived
from ..facts.flatten import UNKNOWN, Facts
from ..facts.profile import Profile
from ..lower import lower, param_values
from ..model.rule import Rule
from ..reads import with_records as _with_records
from ..results import Status

U = UNKNOWN
_ABSENT = object()
ELIGIBLE, SUPERSEDED = Status.ELIGIBLE, Status.SUPERSEDED
RuleFn = Callable[..., Decision | None]


def rule_reads(rule: Rule) -> frozenset[str]:
    """Every flat-fact path whose value can change the rule's decision (what its lowered form reads:
    conditions, scope, receipts, amount, cap, instalments), with the records above them. A record's
    own path is included, since a record given or taken away changes what lies below it."""
    return _with_records(lower(rule).reads())


def _cache_readers() -> dict[str, frozenset[str]]:
    """Flat-fact path → the derived-fact cache entries computed from it (or from a record above it)."""
    readers: dict[str, set[str]] = {}
    for name, reads in CACHE_READS.items():
        for path in _with_records(reads):
            readers.setdefault(path, set()).add(name)
    return {path: frozenset(names) for path, names in readers.items()}


def reads_as_of(rule: Rule) -> bool:
    """Can the rule's decision change with as_of alone (its facts and parameters unchanged)?"""
    return lower(rule).reads_as_of()


def _raw(dec: Decision | None) -> Decision | None:
    """A decision as it was before groups were applied (superseded members were eligible, a
    top-up paid its whole amount)."""
    if dec is not None and dec.topped_up is not None:
        dec = dec._replace(amount=dec.amount + dec.topped_up, topped_up=None)  # type: ignore[operator]
    if dec is not None and dec.status is SUPERSEDED:
        return dec._replace(status=ELIGIBLE, superseded_by=None)
    return dec


@dataclass(frozen=True, slots=True)
class _Scope:
    """The rules a firm in one (region, zone) can meet, and where each one's decision is kept."""

    key: tuple[Any, Any]
    rules: tuple[int, ...]
    fns: tuple[RuleFn, ...]
    pos: dict[int, int]
    groups: dict[str, tuple[int, ...]]  # group → slot positions of its members


class _Program:
    """The rules in force on one date, one function each, with the indexes an update needs."""

    def __init__(self, engine: Engine, as_of: date) -> None:
        self.as_of = as_of
        self.rules = [r for r in engine.rules.rules if in_force(r, as_of) is None]
        self.fns = rule_deciders(self.rules, as_of)
        self.by_id = {r.id: r for r in self.rules}
        self.index = {r.id: i for i, r in enumerate(self.rules)}
        self.grouped = any(r.group for r in self.rules)
        members: dict[str, list[Rule]] = {}
        for r in self.rules:
            if r.group:
                members.setdefault(r.group, []).append(r)
        self.one_off = frozenset(g for g, m in members.items() if one_off(m))  # settled across dates
        readers: dict[str, list[int]] = {}
        for i, rule in enumerate(self.rules):
            for path in rule_reads(rule):
                readers.setdefault(path, []).append(i)
        self.cache_readers = _cache_readers()
        # path → (the rules reading it, the derived-fact cache entries computed from it)
        self.readers = {path: (tuple(readers.get(path, ())), self.cache_readers.get(path, frozenset()))
                        for path in readers.keys() | self.cache_readers.keys()}
        self.params = [param_values(r, as_of) for r in self.rules]
        self.dated = frozenset(i for i, r in enumerate(self.rules) if reads_as_of(r))
        self._scopes: dict[tuple[Any, Any], _Scope] = {}

    def scope(self, region: Any, zone: Any) -> _Scope:
        """The scope of firms with this region code and development zone (each may be UNKNOWN)."""
        key = (region, zone)
        found = self._scopes.get(key)
        if found is None:
            ids = tuple(i for i, r in enumerate(self.rules) if lower(r).may_apply(region, zone))
            pos = {i: p for p, i in enumerate(ids)}
            groups: dict[str, list[int]] = {}
            for i in ids:
                if self.rules[i].group:
                    groups.setdefault(self.rules[i].group, []).append(pos[i])  # type: ignore[arg-type]
            found = self._scopes[key] = _Scope(key, ids, tuple(self.fns[i] for i in ids), pos,
                                               {g: tuple(m) for g, m in groups.items()})
        return found


class _Firm:
    """What is kept per firm: its profile, its scope, and its decisions (with and without the
    rules out of scope: ``slots`` is aligned with the scope's rules)."""

    __slots__ = ("profile", "scope", "slots", "decisions")

    def __init__(self, profile: Profile, scope: _Scope, slots: list[Decision | None], decisions: list[Decision]) -> None:
        self.profile, self.scope, self.slots, self.decisions = profile, scope, slots, decisions


class PythonBackend:
    """Firms' decisions kept up to date incrementally, in this process (the default backend)."""

    def __init__(self, engine: Engine, as_of: date) -> None:
        self.engine = engine
        self._program = _Program(engine, as_of)
        self._firms: dict[str, _Firm] = {}

    @property
    def as_of(self) -> date:
        return self._program.as_of

    def __len__(self) -> int:
        return len(self._firms)

    def put(self, entity_id: str, profile: Profile) -> list[Decision]:
        """Store or replace the firm; its decisions now (what ``Engine.decide`` returns)."""
        facts = profile.facts()
        values = facts.values
        prog = self._program
        region, zone = values.get("region_code", U), values.get("development_zone", U)
        firm = self._firms.get(entity_id)
        if firm is None or firm.scope.key != (region, zone):
            firm = self._firms[entity_id] = self._decide_all(profile, facts, prog.scope(region, zone))
            return firm.decisions
        old_facts = firm.profile.facts()
        old = old_facts.values
        firm.profile = profile
        if old == values:
            return firm.decisions
        was, readers = old.get, prog.readers
        changed = [path for path, value in values.items() if was(path, _ABSENT) != value]
        if len(old) != len(values) - sum(1 for path in changed if path not in old):
            changed += old.keys() - values.keys()  # paths taken away
        touched: set[int] = set()
        stale: set[str] = set()
        for path in changed:
            found = readers.get(path)
            if found is not None:
                touched.update(found[0])
                stale.update(found[1])
        if not touched:
            return firm.decisions
        a = prog.as_of
        if old_facts.derived_cache:
            _carry_derived(old_facts, facts, stale, prog.cache_readers, a)
        scope, slots = firm.scope, None
        fns, rules, dirty = prog.fns, prog.rules, set()
        derived = _derived(facts, a)
        get = values.get
        for i in touched:
            p = scope.pos.get(i)
            if p is None:
                continue
            new = fns[i](get, derived, a)
            before = firm.slots[p]
            raw = _raw(before)
            if new == before or new == raw:
                continue
            if slots is None:
                slots = firm.slots.copy()
            slots[p] = new
            if rules[i].group and (rules[i].group in prog.one_off or _may_regroup(raw, new)):
                dirty.add(rules[i].group)
        dirty.update(rules[i].group for i in touched if i in scope.pos and rules[i].group in prog.one_off)
        if slots is None and not dirty:
            return firm.decisions
        if slots is None:
            slots = firm.slots.copy()
        for group in dirty:
            self._resolve_group(slots, scope.groups[group], facts)
        firm.slots = slots
        firm.decisions = [d for d in slots if d is not None]
        return firm.decisions

    def _decide_all(self, profile: Profile, facts: Facts, scope: _Scope) -> _Firm:
        a = self._program.as_of
        get, derived = facts.values.get, _derived(facts, a)
        slots = [fn(get, derived, a) for fn in scope.fns]
        return self._finish(profile, scope, slots)

    def _finish(self, profile: Profile, scope: _Scope, raw: list[Decision | None]) -> _Firm:
        """The firm's record from its raw decisions, with every group of its scope resolved."""
        present = [d for d in raw if d is not None]
        resolved = resolve(present, self._program.by_id, self._program.grouped, profile.facts(), self._program.as_of)
        if resolved is not present:
            it = iter(resolved)
            raw = [None if d is None else next(it) for d in raw]
        return _Firm(profile, scope, raw, resolved)

    def _resolve_group(self, slots: list[Decision | None], members: tuple[int, ...], facts: Facts) -> None:
        """Apply 就高不重复 again to one group's members, in place (a group of one-off grants is
        settled across dates, reading the firm's facts)."""
        at = [p for p in members if slots[p] is not None]
        raw = [_raw(slots[p]) for p in at]
        prog = self._program
        if (sum(d.status is ELIGIBLE for d in raw) <= 1 and all(d.received is None for d in raw)  # type: ignore[union-attr]
                and not (raw and prog.by_id[raw[0].rule_id].group in prog.one_off)):  # type: ignore[union-attr]
            for p, dec in zip(at, raw):  # no rival: nothing is superseded
                slots[p] = dec
            return
        for p, dec in zip(at, resolve(raw, prog.by_id, True, facts, prog.as_of)):  # type: ignore[arg-type]
            slots[p] = dec

    def remove(self, entity_id: str) -> None:
        """Forget the firm (nothing happens when it is not stored)."""
        self._firms.pop(entity_id, None)

    def advance_to(self, day: date) -> Iterator[tuple[str, list[Decision]]]:
        """Move as_of to ``day``; yield the firms whose decisions changed, with their decisions."""
        old = self._program
        if day == old.as_of:
            return
        new = _Program(self.engine, day)
        redo = {r.id for i, r in enumerate(new.rules)
                if i in new.dated or r.id not in old.index or old.params[old.index[r.id]] != new.params[i]}
        self._program = new
        plans: dict[int, list[tuple[int, RuleFn | None, int]]] = {}
        for entity_id, firm in self._firms.items():
            facts = firm.profile.facts()
            facts.derived_cache.clear()  # kept per date: the old date's values are stale now
            scope = new.scope(*firm.scope.key)
            plan = plans.get(id(firm.scope))
            if plan is None:
                plan = plans[id(firm.scope)] = _carry_plan(old, firm.scope, new, scope, redo)
            get, derived = facts.values.get, _derived(facts, day)
            raw: list[Decision | None] = [
                fn(get, derived, day) if fn is not None else (None if p < 0 else _raw(firm.slots[p]))
                for _, fn, p in plan]
            before = firm.decisions
            firm = self._firms[entity_id] = self._finish(firm.profile, scope, raw)
            if firm.decisions != before:
                yield entity_id, firm.decisions

    def close(self) -> None:
        """Forget every firm."""
        self._firms.clear()


def _carry_plan(old: _Program, old_scope: _Scope, new: _Program, scope: _Scope,
                redo: set[str]) -> list[tuple[int, RuleFn | None, int]]:
    """For each rule of the new scope: decide it again (its function) or carry its old slot (a position, -1: none)."""
    plan = []
    for i in scope.rules:
        rule_id = new.rules[i].id
        if rule_id in redo:
            plan.append((i, new.fns[i], -1))
        else:
            plan.append((i, None, old_scope.pos.get(old.index[rule_id], -1)))
    return plan


def _may_regroup(before: Decision | None, after: Decision | None) -> bool:
    """Can a member's change (``before`` as it was before groups) alter its group's outcome? Only
    eligible members and what members already received take part in 就高不重复."""
    return ((before is not None and before.status is ELIGIBLE) or (after is not None and after.status is ELIGIBLE)
            or (before.received if before is not None else None) != (after.received if after is not None else None))


def _carry_derived(old: Facts, new: Facts, stale: set[str], readers: dict[str, frozenset[str]], as_of: date) -> None:
    """Give ``new`` the derived values cached on ``old`` (same firm, same date) except the ``stale``
    ones (computed from a changed path), so an update recomputes only the derived facts it touches."""
    if old.presumed != new.presumed:  # an explanation says "assumed": same value, other text
        was, now = old.presumed.get, new.presumed.get
        for path, names in readers.items():
            if was(path) != now(path):
                stale.update(names)
    cache = new.derived_cache
    for key, value in old.derived_cache.items():
        name, day = key
        if day == as_of and name not in stale and name in CACHE_READS and key not in cache:
            cache[key] = value


def _derived(facts: Facts, as_of: date) -> Callable[[str], Any]:
    """The derived-fact reader the generated functions call (values cached on the facts)."""
    return lambda name: evaluate_derived(name, facts, as_of).value
