"""The Engine: one RuleSet, the backends that run it, and the provenance of every decision."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ._version import __version__
from .backends.interpreter.compiled import CompiledRules, Decision
from .backends.interpreter.evaluator import Prepared, evaluate_all, prepare
from .errors import EligibilityError, ProfileError
from .facts.frame import row_to_profile
from .facts.profile import Profile
from .limits import FIRST_YEAR, LAST_YEAR, ensure_stack
from .model.rule import RuleSet
from .results import Evaluation, RuleResult, Status

SCORE_COLUMNS = ["row", "entity_id", "rule_id", "status", "amount", "amount_kind", "superseded_by", "missing",
                 "failed", "reason"]


def _as_date(as_of: date | str | None) -> date:
    if as_of is None:
        return date.today()
    if isinstance(as_of, str):
        try:
            as_of = date.fromisoformat(as_of)
        except ValueError:
            raise EligibilityError(f"评估日期应为 YYYY-MM-DD，实际为 {as_of!r}",
                                   f"as_of must be YYYY-MM-DD, got {as_of!r}") from None
    if not isinstance(as_of, date):
        raise EligibilityError(f"评估日期应为日期或 YYYY-MM-DD 文字，实际为 {type(as_of).__name__} {as_of!r}",
                               f"as_of must be a date or YYYY-MM-DD text, got {type(as_of).__name__} {as_of!r}")
    if not FIRST_YEAR <= as_of.year <= LAST_YEAR:
        raise EligibilityError(f"评估日期超出范围：{as_of}（应在 {FIRST_YEAR} 至 {LAST_YEAR} 年之间）",
                               f"as_of out of range: {as_of} (years {FIRST_YEAR} to {LAST_YEAR})")
    return as_of


class Engine:
    """Decides which rules of a RuleSet a firm qualifies for.

    >>> import eligibility as el
    >>> engine = el.Engine(el.load_rules("examples"))
    """

    def __init__(self, rules: RuleSet | None = None) -> None:
        if rules is None:
            from .io.rules import load_rules

            rules = load_rules()
        ensure_stack()  # rules nest up to MAX_DEPTH levels, evaluated by recursive walkers
        self.rules = rules
        self._compiled = CompiledRules(rules)
        self._prepared_cache: dict[date, Prepared] = {}
        self._vectorized: Any = None

    def _prepared(self, day: date) -> Prepared:
        hit = self._prepared_cache.get(day)
        if hit is None:
            if len(self._prepared_cache) > 32:
                self._prepared_cache.clear()
            hit = self._prepared_cache[day] = prepare(self.rules.rules, day, self.provenance(day))
        return hit

    def provenance(self, as_of: date) -> dict[str, str]:
        """Library version, rule-set hash and as_of: what reproduces a decision (a fresh dict)."""
        return {"version": __version__, "ruleset_hash": self.rules.hash, "as_of": as_of.isoformat()}

    def evaluate(self, profile: Profile | Mapping[str, Any], as_of: date | str | None = None) -> Evaluation:
        """Evaluate every rule on one profile with full explanations (as_of defaults to today)."""
        day = _as_date(as_of)
        p = profile if type(profile) is Profile else Profile.from_data(profile)
        prepared = self._prepared(day)
        results, skipped = evaluate_all(prepared, p.facts(), day)
        return Evaluation(results, day, p.uscc, p.name, prepared.provenance, skipped)

    def decide(self, profile: Profile | Mapping[str, Any], as_of: date | str | None = None) -> list[Decision]:
        """Statuses and amounts only, through the compiled fast path (no explanations).

        Same decisions as :meth:`evaluate`; use it when explanations are not needed.
        """
        day = _as_date(as_of)
        p = profile if type(profile) is Profile else Profile.from_data(profile)
        return self._compiled.decide(p.facts(), day)

    def decider(self, as_of: date | str | None = None) -> Callable[[Profile], list[Decision]]:
        """A function deciding validated profiles at one date: the fastest way to decide many.

        >>> decide = engine.decider("2024-06-30")          # doctest: +SKIP
        >>> [decide(p) for p in profiles]                   # doctest: +SKIP
        """
        return self._compiled.decider(_as_date(as_of))

    # -- batch (row by row through the interpreter; the vectorized backend replaces it) ---------
    def iter_score(self, df: pd.DataFrame, as_of: date | str | None = None, start_row: int = 1) -> Iterator[dict[str, Any]]:
        """Long-table rows for a frame of flat profiles; a bad row yields one ``error`` row."""
        day = _as_date(as_of)
        for offset, record in enumerate(df.to_dict("records")):
            row_no = start_row + offset
            raw_id = record.get("uscc")
            entity = None if raw_id is None or (isinstance(raw_id, float) and math.isnan(raw_id)) else str(raw_id)
            try:
                profile = Profile.from_data(row_to_profile(record))
            except ProfileError as exc:
                yield {"row": row_no, "entity_id": entity, "rule_id": None, "status": Status.ERROR.value,
                       "amount": None, "amount_kind": None, "superseded_by": None, "missing": [], "failed": None,
                       "reason": exc.en.replace("\n", " ") + " | " + exc.zh.replace("\n", " ")}
                continue
            results, _ = evaluate_all(self._prepared(day), profile.facts(), day)
            for r in results:
                yield _score_row(row_no, entity, r)

    def score(self, df: pd.DataFrame, as_of: date | str | None = None, wide: bool = False,
              start_row: int = 1, *, _ingested: Any = None) -> pd.DataFrame:
        """Score a frame of flat profiles with the vectorized backend.

        Long table (DESIGN.md "Batch output"): one row per (input row, rule in scope) plus one
        ``error`` row per bad input row, with ``duplicate_of`` set on a row whose USCC appeared
        earlier. ``wide=True``: one row per input row, a status and amount column per rule.
        ``start_row`` numbers the first row (for chunks of a larger file). Same decisions as
        :meth:`evaluate`; explain any row with :meth:`explain_row`. A Dask DataFrame is scored
        lazily by :func:`eligibility.dask.score` (rows numbered from 1 across partitions; ``start_row``
        does not apply).
        """
        if type(df).__module__.startswith("dask"):  # a Dask DataFrame: scored partition by partition
            from . import dask as eld

            return eld.score(df, self, as_of, wide=wide)  # type: ignore[return-value]
        from .backends.vectorized import VectorizedRules, score_frame

        if self._vectorized is None:
            self._vectorized = VectorizedRules(self.rules)
        day = _as_date(as_of)
        out = score_frame(self._vectorized, df, day, wide=wide, start_row=start_row, table=_ingested)
        out.attrs.update(self.provenance(day))
        return out

    def _ingest(self, df: pd.DataFrame, start_row: int = 1) -> Any:
        """The first half of :meth:`score`: ``df`` validated and converted column by column (no rule
        read yet). Thread-safe, so a stream can ingest the next chunk while this one is decided;
        pass the result to :meth:`score` as ``_ingested`` with the same frame and ``start_row``."""
        from .backends.vectorized import table_from_frame

        return table_from_frame(df, start_row)

    def score_rows(self, df: pd.DataFrame, as_of: date | str | None = None) -> pd.DataFrame:
        """The long table computed row by row through the explaining interpreter (the reference)."""
        out = pd.DataFrame(list(self.iter_score(df, as_of)), columns=SCORE_COLUMNS)
        out.attrs["rows_read"] = len(df)
        out.attrs.update(self.provenance(_as_date(as_of)))
        return out

    def summarize(self, scored: pd.DataFrame) -> pd.DataFrame:
        """Per rule: eligible / undetermined / superseded / ineligible counts and the eligible total."""
        return summarize(scored, self.rules)

    def explain_row(self, df: pd.DataFrame, i: int, as_of: date | str | None = None) -> Evaluation:
        """Explain row ``i`` (0-based position) of a flat profile frame through the interpreter."""
        return self.evaluate(row_to_profile(df.iloc[i].to_dict()), as_of)


def _score_row(row_no: int, entity: str | None, r: RuleResult) -> dict[str, Any]:
    failed = r.failed()
    return {
        "row": row_no, "entity_id": entity, "rule_id": r.rule_id, "status": r.status.value,
        "amount": r.amount, "amount_kind": r.amount_kind, "superseded_by": r.superseded_by,
        "missing": list(r.missing), "failed": failed[0].clause.text if failed else None,  # type: ignore[union-attr]
        "reason": r.reason[1] if r.reason else None,
    }


def _counts(rule_ids: pd.Series, status: pd.Series) -> dict[str, dict[str, int]]:
    """rule id → status → rows (rows without a rule id left out), by category codes when both
    columns are categorical."""
    if isinstance(rule_ids.dtype, pd.CategoricalDtype) and isinstance(status.dtype, pd.CategoricalDtype):
        r, s = rule_ids.cat.codes.to_numpy(), status.cat.codes.to_numpy()
        k = len(status.cat.categories)
        key = r.astype(np.int64) * k + s
        if len(key) and (r.min() < 0 or s.min() < 0):
            key = key[(r >= 0) & (s >= 0)]
        table = np.bincount(key, minlength=len(rule_ids.cat.categories) * k).reshape(-1, k)
        return {str(rid): dict(zip(map(str, status.cat.categories), table[i].tolist()))
                for i, rid in enumerate(rule_ids.cat.categories) if table[i].any()}
    out: dict[str, dict[str, int]] = {}
    for rid, st in zip(rule_ids.astype(object).tolist(), status.astype(object).tolist()):
        if isinstance(rid, str):
            per = out.setdefault(rid, {})
            per[st] = per.get(st, 0) + 1
    return out


def _distinct(rows: np.ndarray) -> int:
    """How many distinct row numbers (a mark per number: linear, no sort)."""
    if not len(rows):
        return 0
    low = int(rows.min())
    seen = np.zeros(int(rows.max()) - low + 1, dtype=bool)
    seen[rows - low] = True
    return int(seen.sum())


def _exact_sums(keys: pd.Series, amounts: pd.Series, where: np.ndarray | None = None) -> dict[str, Decimal]:
    """Sum of amounts per key (of the rows ``where`` is true, or all), exactly: in Arrow for decimal
    columns (the rows selected in Arrow and numpy, not through pandas), else Decimal by Decimal."""
    if isinstance(amounts.dtype, pd.ArrowDtype) and pa.types.is_decimal(amounts.dtype.pyarrow_dtype):
        if isinstance(keys.dtype, pd.CategoricalDtype):
            names = list(map(str, keys.cat.categories))
            codes = keys.cat.codes.to_numpy()
            key_array = pa.array((codes[where] if where is not None else codes).astype(np.int32))
        else:
            names = None
            objects = keys.to_numpy(dtype=object)
            key_array = pa.array(objects[where] if where is not None else objects, pa.string())
        arrow = amounts.array.__arrow_array__()  # type: ignore[attr-defined]
        table = pa.table({"k": key_array, "a": arrow.filter(pa.array(where)) if where is not None else arrow})
        grouped = table.group_by("k").aggregate([("a", "sum")]).to_pydict()
        return {(names[k] if names is not None else k): (Decimal(v) if v is not None else Decimal(0))
                for k, v in zip(grouped["k"], grouped["a_sum"])}
    if where is not None:
        keys, amounts = keys[where], amounts[where]
    out: dict[str, Decimal] = {}
    for k, a in zip(keys.astype(object).tolist(), amounts.tolist()):
        if not pd.isna(a):
            out[k] = out.get(k, Decimal(0)) + Decimal(str(a))
    return out


def summarize(scored: pd.DataFrame, rules: RuleSet) -> pd.DataFrame:
    """Per-rule counts and budget impact (sum of eligible amounts, exact)."""
    rule_col, status_col = scored["rule_id"], scored["status"]
    counts = _counts(rule_col, status_col)
    eligible = ((status_col == "eligible") & rule_col.notna()).to_numpy(dtype=bool)
    totals = _exact_sums(rule_col, scored["amount"], eligible)
    rows = []
    for rule_id in sorted(counts):
        rule = rules.get(rule_id)
        row = counts[rule_id]
        rows.append({
            "rule_id": rule_id,
            "title": rule.title.zh if rule else "",
            **{name: int(row.get(name, 0)) for name in ("eligible", "undetermined", "superseded", "ineligible")},
            "amount_total": totals.get(rule_id, Decimal(0)),
        })
    summary = pd.DataFrame(rows, columns=["rule_id", "title", "eligible", "undetermined", "superseded", "ineligible",
                                          "amount_total"])
    rows_read = scored.attrs.get("rows_read")
    row_numbers = scored["row"].to_numpy()
    in_error = (status_col == "error").to_numpy(dtype=bool)
    errors, scored_rows = _distinct(row_numbers[in_error]), _distinct(row_numbers[~in_error])
    summary.attrs.update({"rows_read": rows_read, "rows_error": errors, "rows_scored": scored_rows,
                          "rows_no_rule": (rows_read - errors - scored_rows) if rows_read is not None else None})
    return summary
