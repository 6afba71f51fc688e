"""The durable_rules reactive backend: the model compiled to durable_rules JSON rulesets.

Each rule's condition is compiled, node by node, into two durable_rules tests on one fact per
firm: "known true" and "known false" (three-valued logic: neither fires = undetermined). Leaves
that durable_rules cannot decide exactly (date logic, code hierarchies, lists, arithmetic) and
derived facts are computed in Python by the compiled path's expression generator before the fact
is asserted. Scope, already-received, amounts and exclusive groups are finished in Python by the
compiled path's own generated statements, so :meth:`DurableBackend.put` returns exactly what
``Engine.decide`` returns. The engine's limits (docs/reactive-durable.md) are handled here: fact ids
hashed without string compare (colliding ids go to different sids), at most 1024 sids, at most
64 simultaneously true conditions and 255 properties per fact (rulesets are sharded), no ``$in``,
no modify, nothing fired on retraction, unmatched facts refused, numbers as integers, rulesets
never freed (a changed program is a new ruleset version, old versions are kept and reused).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import sys
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from ..backends.interpreter.compiled import SOURCE, SourceGen, in_force, resolve
from ..lower import param_values
from ..results import Decision
from ..engine import Engine
from ..errors import EligibilityError
from ..facts.derived import DERIVED, evaluate_derived
from ..facts.profile import registry
from ..facts.flatten import UNKNOWN
from ..facts.profile import Profile
from ..model.types import Type
from ..model import expr as x
from ..model.dispatch import NodeTable, check_rules
from ..model.rule import Rule

U = UNKNOWN
MAX_SIDS = 1024  # the 1025th sid of a ruleset crashes the process
MAX_TRUE = 64  # simultaneously true conditions per asserted fact and ruleset (error 303 beyond)
MAX_PROPERTIES = 255  # flattened properties per fact, ``id`` and ``sid`` included
DEFAULT_SIDS = 512
_FNV_OFFSET, _FNV_PRIME = 0x811C9DC5, 0x01000193
_COUNTER = itertools.count()  # ruleset names unique in the process
_DUMPS = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # built once, not per fact


def fnv1a32(text: str) -> int:
    """The 32-bit FNV-1a hash durable_rules identifies a fact by (its ``id``; no string compare)."""
    h = _FNV_OFFSET
    for byte in text.encode("utf-8"):
        h = ((h ^ byte) * _FNV_PRIME) & 0xFFFFFFFF
    return h


@cache
def _durable() -> tuple[Any, Any, type]:
    """durable_rules' engine modules and the private Host subclass, imported on first use."""
    try:
        import durable.engine as engine  # type: ignore[import-untyped]
        import durable_rules_engine as core  # type: ignore[import-not-found]
    except ImportError as exc:
        version = ".".join(map(str, sys.version_info[:3]))
        raise EligibilityError(
            f"durable 后端需要 durable-rules 包，但无法导入（{exc}）：请安装 pip install 'eligibility[durable]'"
            f"（durable-rules 2.0.28 无法在 Python ≥ 3.13 上构建，当前为 Python {version}，需 Python 3.11/3.12），"
            f"或改用 backend=\"python\"。",
            f"the durable backend needs the durable-rules package, which cannot be imported ({exc}): "
            f"pip install 'eligibility[durable]' (durable-rules 2.0.28 does not build on Python >= 3.13; this is "
            f"Python {version}, it needs 3.11/3.12), or use backend=\"python\".",
            backend="durable", cause=str(exc),
        ) from exc

    class SyncHost(engine.Host):  # type: ignore[misc,name-defined]
        """A Host of our own: no dispatch timer threads; actions drained synchronously by the caller."""

        def _run(self) -> None:
            """Start nothing: the backend is its single writer and drains actions itself."""

    return engine, core, SyncHost


# -- the intermediate form of a durable_rules test ----------------------------------------------
TRUE: tuple[str] = ("true",)
FALSE: tuple[str] = ("false",)
Test = tuple[Any, ...]  # TRUE | FALSE | ("leaf", json) | ("and", parts) | ("or", parts, exclusive)


def _and(parts: list[Test]) -> Test:
    kept: list[Test] = []
    for p in parts:
        if p is FALSE:
            return FALSE
        if p is not TRUE:
            kept.extend(p[1] if p[0] == "and" else [p])
    return TRUE if not kept else kept[0] if len(kept) == 1 else ("and", kept)


def _or(parts: list[Test], exclusive: bool = False) -> Test:
    kept: list[Test] = []
    for p in parts:
        if p is TRUE:
            return TRUE
        if p is not FALSE:
            kept.append(p)
    return FALSE if not kept else kept[0] if len(kept) == 1 else ("or", kept, exclusive)


def _leaf(op: str, prop: str, value: Any) -> Test:
    return ("leaf", {prop: value} if op == "$eq" else {op: {prop: value}})


def _json(t: Test) -> dict[str, Any]:
    if t is TRUE:
        return {"$ex": {"id": 1}}
    if t[0] == "leaf":
        return t[1]  # type: ignore[no-any-return]
    return {"$and" if t[0] == "and" else "$or": [_json(p) for p in t[1]]}


def _fits(t: Test, f: Test) -> bool:
    """Whether one rule's tests stay within durable_rules' limits for one fact."""
    return (max(_bound(t), _bound(f)) <= MAX_TRUE
            and len(_props(t, set()) | _props(f, set())) <= MAX_PROPERTIES - 2)


def _bound(t: Test) -> int:
    """How many times the test can fire on one fact (durable_rules fires once per matching
    disjunct): the most simultaneously true conditions it adds."""
    if t is FALSE:
        return 0
    if t is TRUE or t[0] == "leaf":
        return 1
    sizes = [_bound(p) for p in t[1]]
    if t[0] == "and":
        out = 1
        for s in sizes:
            out *= s
        return out
    return max(sizes) if t[2] else sum(sizes)


def _props(t: Test, out: set[str]) -> set[str]:
    if t is TRUE or t is FALSE:
        return out
    if t[0] == "leaf":
        body = next(iter(t[1].values()))
        out.update(body if isinstance(body, dict) else t[1])
        return out
    for p in t[1]:
        _props(p, out)
    return out


# -- fact encoding -------------------------------------------------------------------------------
_NEGATE = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_OPS = {"<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte", "==": "$eq", "!=": "$neq"}
_NUMERIC = ("money", "number", "date")
_TEXT = ("str", "enum", "code")


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


@dataclass
class _Prop:
    """A native property: a fact path (or derived fact) sent as durable_rules values.

    Numbers and dates go as integers: money in fen (scale 10^k, k ≥ 2 so any money is whole),
    other numbers as floor and ceiling at the scale of their constants (``lo``/``hi``), dates as
    day ordinals. ``none``: a known-empty value is sent as the flag property ``n``.
    """

    name: str
    path: str
    type: Type
    derived: bool
    none: bool
    scale: int = 0  # decimal places of the constants compared with it

    @property
    def split(self) -> bool:
        return self.type.kind == "number"


def _none_possible(path: str) -> bool:
    """Can the flat value at ``path`` be None (a known absence) rather than UNKNOWN or a value?"""
    reg = registry()
    spec = reg[path]
    if spec.presume is not None and spec.presume.value is None:
        return True
    parts = path.split(".")
    return any(reg[".".join(parts[:i])].absent_is_none for i in range(2, len(parts)))


DURABLE: NodeTable[Callable[..., tuple[Any, Any]]] = NodeTable(
    "durable", unsupported={x.Name}, inside={x.Arith, x.Neg, x.AsOf, x.ItemField, x.ListLit})
"""The durable_rules translation of each condition node class. Values (arithmetic, dates, list items)
are never tested by durable_rules itself: they sit inside atoms, which the compiled generator translates."""


class _Compiler:
    """Compiles the conditions of one program (the rules in force at one as_of) to tests.

    One translation per node class (``DURABLE``). A leaf durable_rules cannot test exactly is a
    Python atom: its value is computed by the compiled path's generator and sent as 1 (true),
    0 (false) or 2 (another known value, e.g. none); unknown is the absence of the property.
    """

    def __init__(self) -> None:
        self.props: dict[tuple[str, bool], _Prop] = {}
        self.atoms: dict[tuple[x.Node, Any], str] = {}  # (leaf node, parameters) → property name
        self.atom_nodes: list[tuple[x.Node, dict[str, Any]]] = []
        self.params: dict[str, Any] = {}

    def rule(self, rule: Rule, params: dict[str, Any]) -> tuple[Test, Test]:
        self.params = params
        return self.cond(rule.when, True)

    def cond(self, node: x.Node, none_true: bool) -> tuple[Test, Test]:
        """(known-true, known-false) tests of a condition. ``none_true``: how a known value that
        is not a boolean counts here — true inside ``all`` and at the top, false inside ``any`` and
        ``not`` (exactly as the compiled path's junctions treat it)."""
        return DURABLE[type(node)](self, node, none_true)  # type: ignore[no-any-return]

    # node translations ------------------------------------------------------------------------
    @DURABLE.on(x.And)
    def _and_node(self, node: x.And, none_true: bool) -> tuple[Test, Test]:
        parts = [self.cond(i, True) for i in node.items]
        return _and([t for t, _ in parts]), _or([f for _, f in parts])

    @DURABLE.on(x.Or)
    def _or_node(self, node: x.Or, none_true: bool) -> tuple[Test, Test]:
        parts = [self.cond(i, False) for i in node.items]
        return _or([t for t, _ in parts]), _and([f for _, f in parts])

    @DURABLE.on(x.Not)
    def _not_node(self, node: x.Not, none_true: bool) -> tuple[Test, Test]:
        t, f = self.cond(node.item, False)
        return f, t

    @DURABLE.on(x.Clause)
    def _clause(self, node: x.Clause, none_true: bool) -> tuple[Test, Test]:
        return self.cond(node.item, none_true)

    @DURABLE.on(x.Literal)
    def _literal(self, node: x.Literal, none_true: bool) -> tuple[Test, Test]:
        if node.value is True or node.value is False:
            return (TRUE, FALSE) if node.value else (FALSE, TRUE)
        return (TRUE, FALSE) if none_true else (FALSE, TRUE)

    @DURABLE.on(x.Field, x.Derived)
    def _bare(self, node: x.Field | x.Derived, none_true: bool) -> tuple[Test, Test]:
        """A boolean fact used as a condition."""
        prop = self._prop(node)
        if prop is None or prop.type.kind != "bool":
            return self._atom(node, none_true)
        t, f = _leaf("$eq", prop.name, True), _leaf("$eq", prop.name, False)
        if prop.none:
            none = _leaf("$ex", "n" + prop.name, 1)
            return (_or([t, none], True), f) if none_true else (t, _or([f, none], True))
        return t, f

    @DURABLE.on(x.Compare)
    def _compare(self, node: x.Compare, none_true: bool) -> tuple[Test, Test]:
        if len(node.ops) == 1:
            left, right = node.operands
            op = node.ops[0]
            if not isinstance(left, (x.Field, x.Derived)):
                left, right, op = right, left, _FLIP[op]
            const = self._const(right)
            prop = self._prop(left) if isinstance(left, (x.Field, x.Derived)) else None
            if prop is not None and const is not None:
                native = self._native(prop, op, const)
                if native is not None:
                    return native
        return self._atom(node, none_true)

    @DURABLE.on(x.InList)
    def _in_list(self, node: x.InList, none_true: bool) -> tuple[Test, Test]:
        prop = self._prop(node.operand) if isinstance(node.operand, (x.Field, x.Derived)) else None
        values = [self._const(i) for i in node.items]
        if (prop is None or prop.type.kind not in _TEXT + ("bool",)
                or not all(isinstance(v, (str, bool)) for v in values)):
            return self._atom(node, none_true)
        inside = _or([_leaf("$eq", prop.name, v) for v in values], True)  # no $in: one equality per item
        outside = _and([_leaf("$neq", prop.name, v) for v in values])
        if prop.none:  # none is in no list
            outside = _or([outside, _leaf("$ex", "n" + prop.name, 1)], True)
        return (outside, inside) if node.negated else (inside, outside)

    def atom(self, node: x.Node) -> tuple[Test, Test]:
        """A whole condition tested in Python (its value computed by the compiled path's generator)."""
        return self._atom(node, True)

    @DURABLE.on(x.Under, x.Call, x.Quantifier, x.IfElse, x.Param)
    def _atom(self, node: x.Node, none_true: bool) -> tuple[Test, Test]:
        """A leaf tested in Python: code hierarchy (a coarse industry code is undetermined), within /
        in_year / known / exists (date logic and presence), lists of records, a boolean parameter."""
        key = (node, tuple(sorted(self.params.items())))  # equal nodes under other parameter values differ
        name = self.atoms.get(key)
        if name is None:
            name = self.atoms[key] = f"a{len(self.atoms)}"
            self.atom_nodes.append((node, self.params))
        if none_true:
            return _leaf("$gte", name, 1), _leaf("$eq", name, 0)
        return _leaf("$eq", name, 1), _leaf("$neq", name, 1)

    # leaves -----------------------------------------------------------------------------------
    def _const(self, node: x.Node) -> Any:
        """A constant operand's value (a literal, or a parameter at as_of), else None."""
        if isinstance(node, x.Literal):
            value = node.value
        elif isinstance(node, x.Param):
            value = self.params.get(node.name)
        else:
            return None
        return None if value is None or isinstance(value, x.Duration) else value

    def _prop(self, node: x.Node) -> _Prop | None:
        if isinstance(node, x.Field):
            spec = registry().get(node.path)
            if spec is None:
                return None
            key, kind, none = (node.path, False), spec.type, _none_possible(node.path)
        elif isinstance(node, x.Derived):
            key, kind, none = (node.name, True), DERIVED[node.name].type, True
        else:
            return None
        if kind.kind not in _NUMERIC + _TEXT + ("bool",):
            return None
        prop = self.props.get(key)
        if prop is None:
            prop = self.props[key] = _Prop(f"p{len(self.props)}", key[0], kind, key[1], none,
                                           2 if kind.kind == "money" else 0)
        return prop

    def _native(self, prop: _Prop, op: str, const: Any) -> tuple[Test, Test] | None:
        """Tests of ``prop op const`` in durable_rules' own comparisons, exactly, or None."""
        kind = prop.type.kind
        if kind in _TEXT + ("bool",):
            if op not in ("==", "!=") or not isinstance(const, (str, bool)):
                return None
            eq, ne = _leaf("$eq", prop.name, const), _leaf("$neq", prop.name, const)
            if prop.none:  # none differs from every value
                ne = _or([ne, _leaf("$ex", "n" + prop.name, 1)], True)
            return (eq, ne) if op == "==" else (ne, eq)
        if kind == "date":
            if not isinstance(const, date):
                return None
            value: Any = const.toordinal()
        else:
            if isinstance(const, bool) or not isinstance(const, (int, Decimal)):
                return None
            prop.scale = max(prop.scale, _decimals(Decimal(const)))
            value = Decimal(const)
        return self._ordered(prop, op, value)

    def _ordered(self, prop: _Prop, op: str, value: Any) -> tuple[Test, Test]:
        """Known-true and known-false of ``prop op value`` on integer-coded numbers.

        The constant is scaled when the program is finished (``_scaled``), so it is kept as a
        marker here; a number's ``lo``/``hi`` (floor, ceiling) make every comparison exact.
        """
        def test(o: str) -> Test:
            c = _Scaled(prop, value)
            if not prop.split:
                return _leaf(_OPS[o], prop.name, c)
            lo, hi = prop.name + "l", prop.name + "h"
            return {
                "<": _leaf("$lt", lo, c), "<=": _leaf("$lte", hi, c), ">": _leaf("$gt", hi, c),
                ">=": _leaf("$gte", lo, c), "==": _and([_leaf("$eq", lo, c), _leaf("$eq", hi, c)]),
                "!=": _or([_leaf("$lt", lo, c), _leaf("$gt", hi, c)], True),
            }[o]

        t, f = test(op), test(_NEGATE[op])
        if prop.none:  # none compares false, and != true
            none = _leaf("$ex", "n" + prop.name, 1)
            if op == "!=":
                t = _or([t, none], True)
            else:
                f = _or([f, none], True)
        return t, f


@dataclass(frozen=True)
class _Scaled:
    """A numeric constant to be written at its property's final scale."""

    prop: _Prop
    value: Any

    def resolve(self) -> int | Decimal:
        if self.prop.type.kind == "date":
            return self.value  # type: ignore[no-any-return]
        scaled = self.value * 10 ** self.prop.scale
        return int(scaled)



def _finish(t: Test) -> Test:
    """The test with its numeric constants written as integers at their property's scale."""
    if t is TRUE or t is FALSE:
        return t
    if t[0] == "leaf":
        (key, body), = t[1].items()
        if isinstance(body, dict):
            (prop, c), = body.items()
            return ("leaf", {key: {prop: c.resolve() if isinstance(c, _Scaled) else c}})
        return ("leaf", {key: body.resolve() if isinstance(body, _Scaled) else body})
    return (t[0], [_finish(p) for p in t[1]], *t[2:])


@dataclass
class _Shard:
    """One durable_rules ruleset: rules whose conditions fit its limits, and the properties they read."""

    definition: dict[str, dict[str, Any]] = field(default_factory=dict)
    props: set[str] = field(default_factory=set)
    load: int = 0


class _Program:
    """What one as_of compiles to: shard definitions (durable_rules JSON) and the Python side."""

    def __init__(self, engine: Engine, as_of: date) -> None:
        rules = engine.rules
        self.as_of = as_of
        self.active = [r for r in rules.rules if in_force(r, as_of) is None]
        self.by_id = dict(rules.items())
        self.grouped = any(r.group for r in rules.rules)
        check_rules(self.active, DURABLE, SOURCE)
        comp = _Compiler()
        tests = []
        for rule in self.active:
            params = param_values(rule, as_of) or {}
            t, f = comp.rule(rule, params)
            if not _fits(t, f):  # too wide for durable_rules (e.g. an all of 500): the condition is one Python atom
                t, f = comp.atom(rule.when)
            tests.append((t, f))
        self.props = list(comp.props.values())
        self.shards = self._shard([( _finish(t), _finish(f)) for t, f in tests])
        self.atoms = self._atom_function(comp.atom_nodes)
        self.decide_raw = self._decide_function()
        used = set().union(*(s.props for s in self.shards))
        self.props = [p for p in self.props if {p.name, p.name + "l", p.name + "h", "n" + p.name} & used]
        self.shard_props = [tuple(sorted(s.props)) for s in self.shards]
        self.digest = hashlib.sha256(json.dumps([s.definition for s in self.shards], sort_keys=True,
                                                default=str).encode()).hexdigest()

    def _shard(self, tests: list[tuple[Test, Test]]) -> list[_Shard]:
        shards = [_Shard()]
        for i, (t, f) in enumerate(tests):
            load = max(_bound(t), _bound(f))
            props = _props(t, set()) | _props(f, set())
            if load > MAX_TRUE or len(props) > MAX_PROPERTIES - 2:
                rule = self.active[i]
                raise EligibilityError(
                    f"规则 {rule.id} 的条件在 durable_rules 中可能同时满足 {load} 个条件、读取 {len(props)} 个属性，"
                    f"超过上限（{MAX_TRUE} 个条件、{MAX_PROPERTIES - 2} 个属性）",
                    f"rule {rule.id} may have {load} simultaneously true conditions and reads {len(props)} "
                    f"properties in durable_rules, beyond its limits ({MAX_TRUE} conditions, "
                    f"{MAX_PROPERTIES - 2} properties)", rule_id=rule.id)
            shard = shards[-1]
            if shard.load + load > MAX_TRUE or len(shard.props | props) > MAX_PROPERTIES - 2:
                shard = _Shard()
                shards.append(shard)
            for suffix, test in (("t", t), ("f", f)):
                if test is not FALSE:
                    shard.definition[f"r{i}{suffix}"] = {"all": [{"m": _json(test)}]}
            shard.load += load
            shard.props |= props
        return [s for s in shards if s.definition]

    def _atom_function(self, nodes: list[tuple[x.Node, dict[str, Any]]]) -> Callable[..., tuple[Any, ...]]:
        """One generated function computing every Python atom (the compiled path's generator)."""
        gen = SourceGen()
        body = ", ".join(gen.expr(node, params) for node, params in nodes)
        source = f"def atoms(g, d, a):\n    return ({body}{',' if nodes else ''})"
        return gen.define(source, f"<durable atoms as of {self.as_of}>")["atoms"]  # type: ignore[no-any-return]

    def _decide_function(self) -> Callable[..., list[Decision]]:
        """The compiled path's decision statements, with each condition read from ``C`` — the
        outcome durable_rules found — instead of being evaluated in Python."""
        gen = SourceGen()
        src = ["def decide(g, d, a, C):", "    out = []"]
        for i, rule in enumerate(self.active):
            lines = gen.rule_statements(i, rule, self.as_of)
            conds = [n for n, ln in enumerate(lines) if ln.lstrip().startswith("c = ")]
            if len(conds) != 1:
                raise EligibilityError(f"规则 {rule.id} 的判定语句无法接入 durable 结果",
                                       f"cannot wire the durable outcome into the statements of rule {rule.id}")
            indent = lines[conds[0]][: len(lines[conds[0]]) - len(lines[conds[0]].lstrip())]
            lines[conds[0]] = f"{indent}c = C[{i}]"
            src += lines
        src.append("    return out")
        return gen.define("\n".join(src), f"<durable decisions as of {self.as_of}>")["decide"]  # type: ignore[no-any-return]


def _encode(prop: _Prop, value: Any, out: dict[str, Any]) -> None:
    """Write ``value`` into the fact as durable_rules values (nothing when unknown)."""
    if value is U:
        return
    if value is None:
        out["n" + prop.name] = 1
        return
    kind = prop.type.kind
    if kind == "date":
        out[prop.name] = value.toordinal()
    elif kind in ("money", "number"):
        scaled = Decimal(value) * 10 ** prop.scale
        lo = int(scaled.to_integral_value(rounding="ROUND_FLOOR"))
        if prop.split:
            out[prop.name + "l"] = lo
            out[prop.name + "h"] = int(scaled.to_integral_value(rounding="ROUND_CEILING"))
        else:
            if lo != scaled:
                raise EligibilityError(f"金额 {value} 超过两位小数", f"money {value} has more than two decimals")
            out[prop.name] = lo
    else:
        out[prop.name] = value


def _atom_code(value: Any) -> int | None:
    return 1 if value is True else 0 if value is False else None if value is U else 2


@dataclass
class _Firm:
    """What the backend keeps per firm: the profile (re-asserted when as_of moves), its sid, the
    facts last asserted per shard, which of them durable_rules stored, and what fired."""

    profile: Profile
    sid: str
    asserted: list[str]  # the JSON messages (kept to see whether a new as_of changes them)
    stored: list[bool]
    fired: frozenset[str]


class _Version:
    """The registered rulesets of one compiled program (kept: durable_rules cannot free them)."""

    def __init__(self, host: Any, program: _Program) -> None:
        n = next(_COUNTER)
        self.names = [f"eligibility{n}s{k}" for k in range(len(program.shards))]
        host.register_rulesets({name: {rid: dict(body, run=_no_action) for rid, body in s.definition.items()}
                                for name, s in zip(self.names, program.shards)})
        self.handles = [host.get_ruleset(name)._handle for name in self.names]


def _no_action(c: Any) -> None:
    """The action durable_rules requires per rule; results are drained by :meth:`DurableBackend._assert`."""


class DurableBackend:
    """Firms' facts in durable_rules; decisions exactly those of ``Engine.decide`` at ``as_of``.

    One writer, synchronous: every call asserts or retracts and drains the fired rules at once.
    ``sids`` bounds the sessions firms are spread over (durable_rules allows 1024 per ruleset).
    """

    def __init__(self, engine: Engine, as_of: date, sids: int = DEFAULT_SIDS) -> None:
        if not 1 <= sids <= MAX_SIDS:
            raise EligibilityError(f"sids 应在 1 与 {MAX_SIDS} 之间，实际为 {sids}",
                                   f"sids must be between 1 and {MAX_SIDS}, got {sids}")
        _, self._core, host_class = _durable()
        self._host = host_class()
        self._engine = engine
        self._sids = sids
        self._slots: list[dict[int, str]] = [{} for _ in range(sids)]  # per sid: id hash → entity
        self._firms: dict[str, _Firm] = {}
        self._versions: dict[str, _Version] = {}
        self._closed = False
        self._program = _Program(engine, as_of)
        self._version = self._register(self._program)

    @property
    def as_of(self) -> date:
        return self._program.as_of

    @property
    def versions(self) -> int:
        """How many ruleset versions were registered (each stays in memory until the process ends)."""
        return len(self._versions)

    @property
    def shards(self) -> int:
        """How many rulesets the current version is sharded into."""
        return len(self._version.handles)

    def sid_of(self, entity_id: str) -> str | None:
        """The durable_rules sid the firm's facts are stored under (None when not stored)."""
        firm = self._firms.get(entity_id)
        return firm.sid if firm else None

    # -- the reactive-backend interface ---------------------------------------------------------
    def put(self, entity_id: str, profile: Profile) -> list[Decision]:
        self._check_open()
        firm = self._firms.get(entity_id)
        sid = firm.sid if firm is not None else self._allocate(entity_id)
        facts = self._facts(entity_id, sid, profile)
        if firm is not None:
            self._retract(entity_id, firm)
        stored, fired = self._store(entity_id, facts)
        self._firms[entity_id] = _Firm(profile, sid, facts, stored, fired)
        return self._decide(profile, fired)

    def remove(self, entity_id: str) -> None:
        self._check_open()
        firm = self._firms.pop(entity_id, None)
        if firm is None:
            return
        self._retract(entity_id, firm)
        self._slots[int(firm.sid)].pop(fnv1a32(entity_id), None)

    def advance_to(self, day: date) -> Iterator[tuple[str, list[Decision]]]:
        """Every firm, decided at ``day``; its fact is asserted again only where it changed (date
        logic), or everywhere when the day compiles to another ruleset version."""
        self._check_open()
        program = _Program(self._engine, day)
        moved = program.digest != self._program.digest
        if moved:
            for entity_id, firm in self._firms.items():
                self._retract(entity_id, firm)
                firm.stored = [False] * len(firm.stored)
            self._version = self._register(program)
        self._program = program
        for entity_id, firm in self._firms.items():
            facts = self._facts(entity_id, firm.sid, firm.profile)
            if moved or facts != firm.asserted:
                self._retract(entity_id, firm)
                firm.stored, firm.fired = self._store(entity_id, facts)
                firm.asserted = facts
            yield entity_id, self._decide(firm.profile, firm.fired)

    def close(self) -> None:
        """Retract every fact (the rulesets themselves cannot be freed by durable_rules)."""
        if self._closed:
            return
        for entity_id, firm in self._firms.items():
            self._retract(entity_id, firm)
        self._firms.clear()
        self._closed = True

    # -- internals ----------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise EligibilityError("durable 后端已关闭", "the durable backend is closed")

    def _register(self, program: _Program) -> _Version:
        """The ruleset version of ``program``: registered once per distinct definition, then reused."""
        version = self._versions.get(program.digest)
        if version is None:
            version = self._versions[program.digest] = _Version(self._host, program)
        return version

    def _allocate(self, entity_id: str) -> str:
        """A sid in which no stored id hashes like this one (durable_rules compares hashes only)."""
        h = fnv1a32(entity_id)
        start = zlib.crc32(entity_id.encode("utf-8")) % self._sids
        for k in range(self._sids):
            sid = (start + k) % self._sids
            holder = self._slots[sid].get(h)
            if holder is None:
                self._slots[sid][h] = entity_id
                return str(sid)
        raise EligibilityError(f"{entity_id} 的事实编号哈希与每个会话中已存的企业冲突",
                               f"the fact id hash of {entity_id} collides with a stored firm in every sid")

    def _facts(self, entity_id: str, sid: str, profile: Profile) -> list[str]:
        """The fact to assert in each shard, as JSON: the properties its rules read, nothing for unknown."""
        program = self._program
        facts = profile.facts()
        get = facts.values.get
        as_of = program.as_of

        def derived(name: str) -> Any:
            return evaluate_derived(name, facts, as_of).value

        values: dict[str, Any] = {}
        for prop in program.props:
            _encode(prop, derived(prop.path) if prop.derived else get(prop.path, U), values)
        for k, v in enumerate(program.atoms(get, derived, as_of)):
            code = _atom_code(v)
            if code is not None:
                values[f"a{k}"] = code
        out = []
        for names in program.shard_props:
            fact: dict[str, Any] = {"sid": sid, "id": entity_id}
            for name in names:
                if name in values:
                    fact[name] = values[name]
            out.append(_DUMPS(fact))
        return out

    def _assert(self, handle: Any, entity_id: str, fact: str) -> list[str] | None:
        """Assert one fact and drain what fired (rule names, one per matching disjunct); None when it
        matched no rule (durable_rules then raises MessageNotHandledException and stores nothing)."""
        core = self._core
        code = core.assert_fact(handle, fact)
        if code[0] == 1:
            return None
        if code[0] == 2:  # cannot happen: sids are chosen so that no two ids in one sid collide
            raise EligibilityError(f"durable_rules 认为 {entity_id} 已存在（事实编号哈希冲突）",
                                   f"durable_rules refused {entity_id} as already stored (fact id hash collision)")
        names = []
        result = core.start_action_for_state(handle, code[1])
        if result:
            msg = result[1]
            while msg:
                names.append(msg[2:msg.index('"', 2)])
                msg = core.complete_and_start_action(handle, code[1])
        return names

    def _store(self, entity_id: str, facts: list[str]) -> tuple[list[bool], frozenset[str]]:
        """Assert the firm's fact in every shard: which were stored, and the rules that fired."""
        stored: list[bool] = []
        fired: set[str] = set()
        for handle, fact in zip(self._version.handles, facts):
            names = self._assert(handle, entity_id, fact)
            stored.append(names is not None)
            fired.update(names or ())
        return stored, frozenset(fired)

    def _retract(self, entity_id: str, firm: _Firm) -> None:
        """Retract the firm's stored facts by id (no modify in durable_rules: retract, then assert)."""
        key = _DUMPS({"sid": firm.sid, "id": entity_id})
        for handle, stored in zip(self._version.handles, firm.stored):
            if stored:
                self._core.retract_fact(handle, key)

    def _decide(self, profile: Profile, fired: frozenset[str]) -> list[Decision]:
        """The compiled path's decisions with each condition as durable_rules found it; nothing fires
        on retraction, so "no longer eligible" is this fresh answer (the Watcher diffs it)."""
        program = self._program
        outcome = [False if f"r{i}f" in fired else True if f"r{i}t" in fired else U
                   for i in range(len(program.active))]
        facts = profile.facts()

        def derived(name: str) -> Any:
            return evaluate_derived(name, facts, program.as_of).value

        raw = program.decide_raw(facts.values.get, derived, program.as_of, outcome)
        return resolve(raw, program.by_id, program.grouped, facts, program.as_of)
