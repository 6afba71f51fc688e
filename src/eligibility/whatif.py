"""What-if: the effect of a rule change on a whole register, before it goes live.

Two rule sets — the base and a changed one (another rule folder, and/or overrides such as
``puer.new-industrial-above-scale.amount=60万`` or ``cn.small-scale-vat-exemption.params.monthly_limit=15万``)
— are decided on the same register, chunk by chunk, with the vectorized backend: each chunk is
ingested once and decided by both. The result gives, per rule, eligible firms and budget before and
after (exact, summed in integer fen), and every (firm, rule) whose status or amount changes.

Overrides build the changed rule set from copies of the immutable model (``dataclasses.replace``),
never by editing rule text: the amount of a rule's benefit, or a dated parameter's value in force
on ``as_of`` (thresholds and rates a rule writes as ``params:``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ._cells import csv_safe_frame
from ._version import __version__
from .backends.vectorized import VectorizedRules, table_from_frame
from .backends.vectorized.compiler import ELIGIBLE, OUT, STATUS_NAMES, Decisions
from .backends.vectorized.output import AMOUNT_TYPE, fen_to_decimal
from .errors import EligibilityError, OverrideError, suggest
from .lang.check import check_expression
from .lang.parser import ExpressionError, parse_expression
from .model import expr as x
from .results import Status
from .model.rule import ParamValue, Rule, RuleSet

OUT_OF_SCOPE = "out_of_scope"
"""The status shown for a rule that does not apply to a row on one side (out of scope or not in force)."""

def status_label(code: str, lang: str = "zh") -> str:
    """A status code of a change (``eligible``…, ``out_of_scope``) in words for a person."""
    if code == OUT_OF_SCOPE:
        return "out of scope" if lang == "en" else "不在适用范围内"
    return Status(code).label(lang)


CHANGE_COLUMNS = ["row", "entity_id", "rule_id", "status_before", "status_after", "amount_before", "amount_after"]


@dataclass(frozen=True, slots=True)
class Override:
    """One parsed override: ``RULE.amount=VALUE`` (``param`` None) or ``RULE.params.NAME=VALUE``."""

    rule_id: str
    param: str | None
    value: x.Node
    text: str
    setting: str


def _settings(rule: Rule) -> list[str]:
    return ["amount", *(f"params.{name}" for name in rule.params)]


def _did_you_mean(word: str, options: Sequence[str]) -> tuple[str, str, str | None]:
    hit = suggest(word, options)
    listed = "、".join(options) or "—"
    if hit:
        return f"，是否想写 '{hit}'？（可选：{listed}）", f"; did you mean '{hit}'? (one of: {', '.join(options)})", hit
    return f"（可选：{listed}）", f" (one of: {', '.join(options) or '—'})", None


def _value(text: str, setting: str, want: str | None, params: dict[str, Any]) -> tuple[x.Node, Any]:
    source = text.strip()
    if want == "money" and source.replace(".", "", 1).isdigit():
        source += "元"  # a bare number where money is expected is yuan, as in rule files
    try:
        return check_expression(parse_expression(source), params, want)
    except ExpressionError as exc:
        raise OverrideError(f"取值 '{text}' 无法读取：{exc.zh}", f"cannot read the value '{text}': {exc.en}",
                            setting=setting) from None


def _param_types(rule: Rule) -> dict[str, Any]:
    """Each parameter's type, as the loader typed it (for checking an amount that reads parameters)."""
    return {name: check_expression(p.values[0].value, {}, None)[1] for name, p in rule.params.items() if p.values}


def parse_override(setting: str, rules: RuleSet) -> Override:
    """Reads ``RULE.amount=VALUE`` or ``RULE.params.NAME=VALUE`` against ``rules`` (type-checked)."""
    key, sep, text = setting.partition("=")
    key = key.strip()
    if not sep or not key or not text.strip():
        raise OverrideError("覆盖设置应写作 规则id.amount=金额 或 规则id.params.参数名=取值（如 puer.x.amount=60万）",
                            "an override is RULE.amount=VALUE or RULE.params.NAME=VALUE (e.g. puer.x.amount=60万)",
                            setting=setting)
    if ".params." in key:
        rule_id, param = key.split(".params.", 1)
    elif key.endswith(".amount"):
        rule_id, param = key[: -len(".amount")], None
    else:
        prefix = max((rid for rid in rules if key.startswith(rid + ".")), key=len, default=None)
        if prefix is None:
            raise OverrideError(f"无法识别 '{key}'：应为 规则id.amount 或 规则id.params.参数名",
                                f"cannot read '{key}': expected RULE.amount or RULE.params.NAME", setting=setting,
                                suggestion=suggest(key, [f"{rid}.amount" for rid in rules]))
        rest = key[len(prefix) + 1:]
        zh, en, hit = _did_you_mean(rest, _settings(rules[prefix]))
        raise OverrideError(f"规则 '{prefix}' 没有可设置的 '{rest}'{zh}", f"rule '{prefix}' has no setting '{rest}'{en}",
                            setting=setting, suggestion=f"{prefix}.{hit}" if hit else None)
    if rule_id not in rules:
        hit = suggest(rule_id, list(rules))
        raise OverrideError(f"没有 id 为 '{rule_id}' 的规则" + (f"，是否想找 '{hit}'？" if hit else ""),
                            f"no rule with id '{rule_id}'" + (f"; did you mean '{hit}'?" if hit else ""),
                            setting=setting, suggestion=hit)
    rule = rules[rule_id]
    if param is None:
        if rule.benefit.amount is None:
            raise OverrideError(f"规则 '{rule_id}' 的待遇没有金额（{rule.kind}），不能设置 amount",
                                f"rule '{rule_id}' has no amount to set (its benefit is {rule.kind})", setting=setting)
        node, _ = _value(text, setting, "money", _param_types(rule))
        return Override(rule_id, None, node, text.strip(), setting)
    if param not in rule.params:
        zh, en, hit = _did_you_mean(param, list(rule.params))
        raise OverrideError(f"规则 '{rule_id}' 没有参数 '{param}'{zh}", f"rule '{rule_id}' has no parameter '{param}'{en}",
                            setting=setting, suggestion=f"{rule_id}.params.{hit}" if hit else None)
    node, new_type = _value(text, setting, None, {})
    old_type = _param_types(rule)[param]
    if not isinstance(node, x.Literal) or new_type != old_type:
        raise OverrideError(f"参数 '{param}' 的取值应为{old_type.describe()}常量，'{text}' 不是",
                            f"parameter '{param}' takes a constant {old_type.describe('en')}; '{text}' is not one",
                            setting=setting)
    return Override(rule_id, param, node, text.strip(), setting)


def apply_overrides(rules: RuleSet, settings: Iterable[str], as_of: date | str) -> RuleSet:
    """A new rule set: ``rules`` with each override applied (a parameter at its value in force on ``as_of``).

    The new set's hash is derived from the base hash and the overrides, so a what-if run is
    reproducible and never mistaken for the base.
    """
    settings = list(settings)
    day = as_of if isinstance(as_of, date) else date.fromisoformat(as_of)
    changed = {r.id: r for r in rules.rules}
    for setting in settings:
        o = parse_override(setting, rules)
        rule = changed[o.rule_id]
        if o.param is None:
            changed[o.rule_id] = replace(rule, benefit=replace(rule.benefit, amount=o.value, amount_text=o.text))
            continue
        parameter = rule.params[o.param]
        current = parameter.at(day)
        if current is None:
            raise OverrideError(f"参数 '{o.param}' 在 {day} 没有施行中的取值", f"parameter '{o.param}' has no value in force"
                                f" on {day}", setting=setting)
        values = tuple(ParamValue(v.start, o.value, f"what-if: {o.text}") if v is current else v
                       for v in parameter.values)
        params = {**rule.params, o.param: replace(parameter, values=values)}
        changed[o.rule_id] = replace(rule, params=params)
    digest = hashlib.sha256((rules.hash + "\0" + "\0".join(settings)).encode()).hexdigest()
    return RuleSet(list(changed.values()), list(rules.documents), digest)


# -- comparing two rule sets on a register -------------------------------------------------------
@dataclass(slots=True)
class RuleImpact:
    """One rule before and after: eligible firms, budget (integer fen) and rows whose outcome changes."""

    rule_id: str
    title_zh: str
    title_en: str
    eligible_before: int = 0
    eligible_after: int = 0
    fen_before: int = 0
    fen_after: int = 0
    changed: int = 0

    @property
    def budget_before(self) -> Decimal:
        return Decimal(self.fen_before).scaleb(-2)

    @property
    def budget_after(self) -> Decimal:
        return Decimal(self.fen_after).scaleb(-2)

    @property
    def budget_delta(self) -> Decimal:
        return Decimal(self.fen_after - self.fen_before).scaleb(-2)

    @property
    def eligible_delta(self) -> int:
        return self.eligible_after - self.eligible_before

    def title(self, lang: str = "zh") -> str:
        return self.title_en if lang == "en" else self.title_zh


@dataclass(frozen=True, slots=True)
class Change:
    """One (firm, rule) whose status or amount differs between the two rule sets."""

    row: int
    entity_id: str | None
    rule_id: str
    status_before: str
    status_after: str
    amount_before: Decimal | None
    amount_after: Decimal | None


@dataclass(slots=True)
class WhatIf:
    """The outcome of :func:`what_if`: per-rule impacts (rule-set order, base then new rules), every
    change as a frame of :data:`CHANGE_COLUMNS`, the settings applied and both rule sets' provenance."""

    as_of: date
    base_hash: str
    changed_hash: str
    settings: list[str]
    impacts: list[RuleImpact]
    changes: pd.DataFrame
    rows_read: int = 0
    rows_error: int = 0
    version: str = __version__
    against: str | None = None

    @property
    def budget_delta(self) -> Decimal:
        return sum((i.budget_delta for i in self.impacts), Decimal(0))

    def changed_impacts(self) -> list[RuleImpact]:
        """The rules whose eligible firms, budget or any firm's outcome changes."""
        return [i for i in self.impacts if i.changed or i.fen_before != i.fen_after or i.eligible_delta]

    def listed(self, limit: int | None = None) -> list[Change]:
        """The first ``limit`` changes (all when None) as plain Python values."""
        frame = self.changes if limit is None else self.changes.head(limit)
        cols = {c: frame[c].astype(object).tolist() for c in CHANGE_COLUMNS}
        out = []
        for i in range(len(frame)):
            def val(c: str) -> Any:
                v = cols[c][i]
                return None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else v
            out.append(Change(int(val("row")), val("entity_id"), str(val("rule_id")), str(val("status_before")),
                              str(val("status_after")), val("amount_before"), val("amount_after")))
        return out

    def provenance(self) -> dict[str, Any]:
        return {"version": self.version, "as_of": self.as_of.isoformat(), "ruleset_hash_before": self.base_hash,
                "ruleset_hash_after": self.changed_hash, "settings": list(self.settings), "rows_read": self.rows_read,
                "rows_error": self.rows_error}


@dataclass(slots=True)
class _Side:
    status: np.ndarray
    fen: np.ndarray
    given: np.ndarray


def _sides(d: Decisions) -> dict[str, _Side]:
    """Each rule's status codes and amounts (fen, 0 where none) over the table."""
    return {r.id: _Side(o.status, np.where(o.has_amount, o.amount, 0), o.has_amount) for r, o in zip(d.rules, d.outcomes)}


@dataclass(slots=True)
class _Accumulator:
    base: RuleSet
    changed: RuleSet
    impacts: dict[str, RuleImpact] = field(default_factory=dict)
    frames: list[pd.DataFrame] = field(default_factory=list)

    def impact(self, rule_id: str) -> RuleImpact:
        hit = self.impacts.get(rule_id)
        if hit is None:
            rule = self.changed.get(rule_id) or self.base.get(rule_id)
            hit = self.impacts[rule_id] = RuleImpact(rule_id, rule.title.zh, rule.title.en)
        return hit

    def add(self, before: Decisions, after: Decisions, rows: np.ndarray, entity: np.ndarray) -> None:
        n = len(rows)
        b, a = _sides(before), _sides(after)
        out = np.full(n, OUT, np.int8)
        zero, no = np.zeros(n, np.int64), np.zeros(n, bool)
        for rule_id in [*b, *(k for k in a if k not in b)]:
            sb = b.get(rule_id) or _Side(out, zero, no)
            sa = a.get(rule_id) or _Side(out, zero, no)
            imp = self.impact(rule_id)
            eb, ea = sb.status == ELIGIBLE, sa.status == ELIGIBLE
            imp.eligible_before += int(eb.sum())
            imp.eligible_after += int(ea.sum())
            imp.fen_before += int(sb.fen[eb & sb.given].sum())
            imp.fen_after += int(sa.fen[ea & sa.given].sum())
            live_b, live_a = sb.status != OUT, sa.status != OUT
            diff = (sb.status != sa.status) | (sb.given != sa.given) | (sb.given & (sb.fen != sa.fen))
            diff &= live_b | live_a
            idx = np.flatnonzero(diff)
            if not len(idx):
                continue
            imp.changed += len(idx)
            names = np.array([OUT_OF_SCOPE, *STATUS_NAMES], dtype=object)
            self.frames.append(pd.DataFrame({
                "row": rows[idx],
                "entity_id": pd.array(entity[idx], dtype=pd.ArrowDtype(pa.string())),
                "rule_id": rule_id,
                "status_before": names[sb.status[idx] + 1],
                "status_after": names[sa.status[idx] + 1],
                "amount_before": pd.array(fen_to_decimal(sb.fen[idx], sb.given[idx] & live_b[idx]),
                                          dtype=pd.ArrowDtype(AMOUNT_TYPE)),
                "amount_after": pd.array(fen_to_decimal(sa.fen[idx], sa.given[idx] & live_a[idx]),
                                         dtype=pd.ArrowDtype(AMOUNT_TYPE)),
            }))


def _chunks(register: str | Path | pd.DataFrame, chunk_size: int, mapping: Any) -> Iterator[tuple[np.ndarray, pd.DataFrame, int]]:
    """(row numbers, frame, malformed records) per chunk of a register file or one frame (rows from 1)."""
    if isinstance(register, pd.DataFrame):
        for start in range(0, max(len(register), 1), chunk_size):
            part = register.iloc[start:start + chunk_size].reset_index(drop=True)
            yield np.arange(start + 1, start + 1 + len(part), dtype=np.int64), part, 0
        return
    from .batch import read_register

    with read_register(register, chunk_size, mapping) as reader:
        for _, chunk in reader:
            frame = chunk.reset_index(drop=True)
            invalid = len(chunk.attrs.get("invalid_rows", ()))
            frame.attrs = {}
            yield chunk.index.to_numpy(dtype=np.int64), frame, invalid


def what_if(register: str | Path | pd.DataFrame, base: RuleSet, changed: RuleSet, as_of: date | str, *,
            chunk_size: int = 100_000, mapping: Any = None, settings: Sequence[str] = (),
            against: str | None = None) -> WhatIf:
    """Decide ``register`` (a file, or a frame of flat profiles) under ``base`` and ``changed`` and
    compare, chunk by chunk; see :class:`WhatIf`. Error rows and malformed records count as read
    and in error on both sides (they never change)."""
    day = as_of if isinstance(as_of, date) else date.fromisoformat(as_of)
    before, after = VectorizedRules(base), VectorizedRules(changed)
    acc = _Accumulator(base, changed)
    read = errors = 0
    for rows, frame, malformed in _chunks(register, chunk_size, mapping):
        table = table_from_frame(frame, 1)
        d_before = before.decide(table, day, explain=False)
        d_after = after.decide(table, day, explain=False)
        acc.add(d_before, d_after, rows, table.entity)
        read += len(frame) + malformed
        errors += int((~table.valid()).sum()) + malformed
    order = [r.id for r in base.rules] + [r.id for r in changed.rules if r.id not in base]
    impacts = [acc.impacts[rid] for rid in order if rid in acc.impacts]
    if acc.frames:  # input order, then rule order: the same whatever the chunks
        changes = pd.concat(acc.frames, ignore_index=True)
        position = {rid: i for i, rid in enumerate(order)}
        rank = changes["rule_id"].map(position).to_numpy()
        changes = changes.iloc[np.lexsort((rank, changes["row"].to_numpy()))].reset_index(drop=True)
    else:
        changes = pd.DataFrame({c: pd.Series([], dtype="int64" if c == "row" else object) for c in CHANGE_COLUMNS})
    return WhatIf(day, base.hash, changed.hash, list(settings), impacts, changes, read, errors, against=against)


def write_changes(result: WhatIf, path: str | Path) -> Path:
    """The changed (firm, rule) pairs as ``.csv`` (amounts as 2-place text) or ``.parquet`` (decimal128)."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix == ".parquet":
        result.changes.to_parquet(target, index=False)
    elif suffix == ".csv":
        frame = result.changes.copy()
        for c in ("amount_before", "amount_after"):
            frame[c] = [None if pd.isna(v) else f"{Decimal(v):.2f}" for v in frame[c].astype(object)]
        csv_safe_frame(frame, skip=("amount_before", "amount_after")).to_csv(target, index=False)
    else:
        raise EligibilityError(f"变化清单应为 .csv 或 .parquet，收到 '{target.name}'",
                               f"the list of changes is .csv or .parquet, got '{target.name}'", path=str(target))
    return target
