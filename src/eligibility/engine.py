"""The Engine: one RuleSet, the backends that run it, and the provenance of every decision."""

from __future__ import annotations

import importlib
import math
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ._cache import BoundedCache
from ._version import __version__
from .backends.interpreter.compiled import SOURCE, CompiledRules
from .backends.interpreter.evaluator import Prepared, evaluate_all, prepare
from .backends.interpreter.trace import TRACE
from .errors import EligibilityError, ProfileError
from .facts.frame import is_missing, row_to_profile
from .facts.profile import Profile
from .limits import FIRST_YEAR, LAST_YEAR, ensure_stack
from .model.dispatch import check_rules
from .model.rule import RuleSet
from .results import Decision, Evaluation, RuleResult, Status

if TYPE_CHECKING:
    from .backends.vectorized.columns import Table

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


@dataclass(frozen=True, slots=True)
class IngestedFrame:
    """A frame of flat profiles validated and converted for scoring, no rule read yet: what
    :meth:`Engine.ingest` returns and :meth:`Engine.score` takes in place of the frame.

    ``frame``: the frame as given; ``start_row``: the number of its first row; ``table``: its columns
    as the vectorized backend holds them (``table.row`` are the row numbers, ``table.ignored`` the
    columns that are no profile field)."""

    frame: pd.DataFrame
    start_row: int
    table: Table


FrameScorer = Callable[["Engine", Any, date, bool], Any]
"""``scorer(engine, frame, as_of, wide)``: the long (or wide) table of a frame type the Engine does not
score itself (e.g. a Dask DataFrame: a lazy table)."""

_FRAME_SCORERS: list[tuple[Callable[[Any], bool], FrameScorer]] = []
#: top-level package of a frame type → the module that registers its scorer when imported
_FRAME_MODULES = {"dask": "eligibility.dask", "dask_expr": "eligibility.dask"}  # dask_expr: dask < 2025.1


def register_frame_scorer(accepts: Callable[[Any], bool], scorer: FrameScorer) -> None:
    """Let :meth:`Engine.score` take another frame type: a frame for which ``accepts(frame)`` is true
    is scored by ``scorer(engine, frame, as_of, wide)`` (``eligibility.dask`` registers Dask DataFrames)."""
    _FRAME_SCORERS.append((accepts, scorer))


def _registered_scorer(frame: Any) -> FrameScorer | None:
    return next((scorer for accepts, scorer in _FRAME_SCORERS if accepts(frame)), None)


def _frame_scorer(frame: Any) -> FrameScorer | None:
    """The registered scorer of a frame that is neither a pandas DataFrame nor an IngestedFrame,
    importing the module that registers it when the frame's package is known (so ``engine.score``
    takes a Dask DataFrame without ``import eligibility.dask``); None when there is none."""
    scorer = _registered_scorer(frame)
    module = _FRAME_MODULES.get(type(frame).__module__.partition(".")[0])
    if scorer is None and module is not None:
        importlib.import_module(module)
        scorer = _registered_scorer(frame)
    return scorer


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
        check_rules(rules.rules, TRACE, SOURCE)  # a node a backend cannot translate fails here, not mid-run
        self._compiled = CompiledRules(rules)
        self._prepared: BoundedCache[date, Prepared] = BoundedCache(
            lambda day: prepare(self.rules.rules, day, self.provenance(day)), 33)
        self._vectorized: Any = None
        self._lock = threading.Lock()
        self._field_readers: dict[str, frozenset[str]] = {}  # refused field → ids of the rules reading it

    def _readers_of(self, paths: Mapping[str, Any]) -> dict[str, frozenset[str]]:
        """Per field path, the ids of the rules reading it (remembered per engine)."""
        from .reads import readers

        out = {}
        for path in paths:
            if (got := self._field_readers.get(path)) is None:
                got = self._field_readers[path] = frozenset(readers(self.rules.rules, path))
            out[path] = got
        return out

    def provenance(self, as_of: date) -> dict[str, str]:
        """Library version, rule-set hash and as_of: what reproduces a decision (a fresh dict)."""
        return {"version": __version__, "ruleset_hash": self.rules.hash, "as_of": as_of.isoformat()}

    def evaluate(self, profile: Profile | Mapping[str, Any], as_of: date | str | None = None, *,
                 strict: bool = False) -> Evaluation:
        """Evaluate every rule on one profile with full explanations (as_of defaults to today).

        A value that cannot be read makes only its field unknown (per-field isolation, as in a
        batch): the rules reading it are ``error`` with the field and the value in their reason (or
        ``undetermined`` where the field has a presumption), every other rule is decided as usual;
        the refused fields are in ``Evaluation.field_errors``. A profile that is not a mapping, has
        an unknown field or an unreadable USCC is refused as a whole (:class:`ProfileError`), and so
        is any unreadable value with ``strict=True``."""
        day = _as_date(as_of)
        if type(profile) is Profile:
            p, bad = profile, {}
        elif strict:
            p, bad = Profile.from_data(profile), {}
        else:
            p, bad = _data_isolating(profile)
        prepared = self._prepared(day)
        results, skipped = evaluate_all(prepared, p.facts(), day)
        place = (p.region_code, p.development_zone)  # where a local restatement of a rule is cited
        for r in results:
            r.place = place
        if bad:
            self._isolate(results, bad)
        return Evaluation(results, day, p.uscc, p.name, prepared.provenance, skipped, field_errors=bad)

    def _isolate(self, results: list[RuleResult], bad: dict[str, tuple[str, str]]) -> None:
        """The results of the rules reading a refused field made ``error`` with the field's reason
        (``undetermined``, the fields missing, when each such field has a presumption), as a batch
        row's are (:func:`_isolated_row`)."""
        who = self._readers_of(bad)
        for r in results:
            hit = [path for path in bad if r.rule_id in who[path]]
            if not hit:
                continue
            r.status = _isolated_status(hit)
            r.missing = tuple(hit) if r.status is Status.UNDETERMINED else ()
            r.amount = r.amount_kind = r.superseded_by = r.instalment = None
            r.reason = ("；".join(bad[path][0] for path in hit), "; ".join(bad[path][1] for path in hit))

    def decide(self, profile: Profile | Mapping[str, Any], as_of: date | str | None = None, *,
               strict: bool = False) -> list[Decision]:
        """Statuses and amounts only, through the compiled fast path (no explanations).

        Same decisions as :meth:`evaluate` (a field that cannot be read isolated as it isolates it,
        or the whole profile refused with ``strict=True``); use it when explanations are not needed.
        """
        day = _as_date(as_of)
        if type(profile) is Profile:
            return self._compiled.decide(profile.facts(), day)
        p, bad = (Profile.from_data(profile), {}) if strict else _data_isolating(profile)
        decisions = self._compiled.decide(p.facts(), day)
        if not bad:
            return decisions
        who = self._readers_of(bad)
        return [d if not (hit := [path for path in bad if d.rule_id in who[path]]) else
                Decision(d.rule_id, _isolated_status(hit), None) for d in decisions]

    def decider(self, as_of: date | str | None = None) -> Callable[[Profile], list[Decision]]:
        """A function deciding validated profiles at one date: the fastest way to decide many.

        >>> decide = engine.decider("2024-06-30")          # doctest: +SKIP
        >>> [decide(p) for p in profiles]                   # doctest: +SKIP
        """
        return self._compiled.decider(_as_date(as_of))

    # -- batch (row by row through the interpreter; the vectorized backend replaces it) ---------
    def iter_score(self, df: pd.DataFrame, as_of: date | str | None = None, start_row: int = 1,
                   field_errors: dict[str, int] | None = None) -> Iterator[dict[str, Any]]:
        """Long-table rows for a frame of flat profiles: a row without a readable USCC (or failing as a
        whole) yields one ``error`` row; an unreadable value makes the rules reading its field
        ``error`` (counted per field in ``field_errors`` when given)."""
        day = _as_date(as_of)
        for offset, record in enumerate(df.to_dict("records")):
            row_no = start_row + offset
            raw_id = record.get("uscc")
            entity = None if raw_id is None or (isinstance(raw_id, float) and math.isnan(raw_id)) else str(raw_id)
            try:
                profile, bad = _profile_isolating(record)
            except ProfileError as exc:
                yield {"row": row_no, "entity_id": entity, "rule_id": None, "status": Status.ERROR.value,
                       "amount": None, "amount_kind": None, "superseded_by": None, "missing": [], "failed": None,
                       "reason": exc.en.replace("\n", " ") + " | " + exc.zh.replace("\n", " ")}
                continue
            if field_errors is not None:
                for path in bad:
                    field_errors[path] = field_errors.get(path, 0) + 1
            results, _ = evaluate_all(self._prepared(day), profile.facts(), day)
            for r in results:
                yield _score_row(row_no, entity, r) if not bad else _isolated_row(row_no, entity, r, bad)

    def ingest(self, df: pd.DataFrame, start_row: int = 1) -> IngestedFrame:
        """The first half of :meth:`score`: ``df`` validated and converted column by column, its rows
        numbered from ``start_row`` (no rule read yet). Thread-safe, so a stream can ingest the next
        chunk on another thread while this one is scored: pass the result to :meth:`score`."""
        from .backends.vectorized import table_from_frame

        return IngestedFrame(df, start_row, table_from_frame(df, start_row))

    def score(self, df: pd.DataFrame | IngestedFrame | Any, as_of: date | str | None = None, wide: bool = False,
              start_row: int | None = None) -> pd.DataFrame | Any:
        """Score a frame of flat profiles with the vectorized backend.

        Long table (docs/semantics.md, "Batch output"): one row per (input row, rule in scope) plus one
        ``error`` row per bad input row, with ``duplicate_of`` set on a row whose USCC appeared
        earlier. ``wide=True``: one row per input row, a status and amount column per rule.
        ``start_row`` numbers the first row (for chunks of a larger file; 1 by default). Same
        decisions as :meth:`evaluate`; explain any row with :meth:`explain_row`.

        ``df`` may also be a frame :meth:`ingest` validated ahead (rows numbered as ingested: a
        different ``start_row`` is refused), or a frame type with a registered scorer
        (:func:`register_frame_scorer`): a Dask DataFrame is scored lazily by
        :func:`eligibility.dask.score` (rows numbered from 1 across partitions; ``start_row`` does
        not apply).
        """
        if isinstance(df, IngestedFrame):
            if start_row is not None and start_row != df.start_row:
                raise ValueError(f"已校验的表从第 {df.start_row} 行起，不是第 {start_row} 行 / the ingested table is "
                                 f"not this frame's: it starts at row {df.start_row}, not {start_row}")
            frame, first, table = df.frame, df.start_row, df.table
        elif isinstance(df, pd.DataFrame):
            frame, first, table = df, 1 if start_row is None else start_row, None
        else:
            scorer = _frame_scorer(df)
            if scorer is None:
                kind = f"{type(df).__module__}.{type(df).__name__}"
                raise TypeError(f"无法为 {kind} 打分：应为 pandas DataFrame、IngestedFrame 或已注册打分器的表类型 / "
                                f"cannot score a {kind}: expected a pandas DataFrame, an IngestedFrame or a frame "
                                "type with a registered scorer")
            return scorer(self, df, _as_date(as_of), wide)
        from .backends.vectorized import VectorizedRules, score_frame

        if self._vectorized is None:
            with self._lock:  # built once even when threads score at once
                if self._vectorized is None:
                    self._vectorized = VectorizedRules(self.rules)
        day = _as_date(as_of)
        out = score_frame(self._vectorized, frame, day, wide=wide, start_row=first, table=table)
        out.attrs.update(self.provenance(day))
        return out

    def score_rows(self, df: pd.DataFrame, as_of: date | str | None = None) -> pd.DataFrame:
        """The long table computed row by row through the explaining interpreter (the reference)."""
        field_errors: dict[str, int] = {}
        out = pd.DataFrame(list(self.iter_score(df, as_of, field_errors=field_errors)), columns=SCORE_COLUMNS)
        out.attrs["rows_read"] = len(df)
        out.attrs["field_errors"] = field_errors
        out.attrs.update(self.provenance(_as_date(as_of)))
        return out

    def summarize(self, scored: pd.DataFrame) -> pd.DataFrame:
        """Per rule: eligible / undetermined / superseded / ineligible counts and the eligible total."""
        return summarize(scored, self.rules)

    def explain_row(self, df: pd.DataFrame, i: int, as_of: date | str | None = None) -> Evaluation:
        """Explain row ``i`` (0-based position) of a flat profile frame through the interpreter."""
        return self.evaluate(row_to_profile(df.iloc[i].to_dict()), as_of)


def _data_isolating(data: Mapping[str, Any]) -> tuple[Profile, dict[str, tuple[str, str]]]:
    """A profile's data as a profile, and the fields whose values could not be read (dotted path →
    the reason (zh, en), naming the field and quoting the value): those are left unknown. A value
    inside a list refuses the list. Data that is not a mapping, nests too deep, names an unknown
    field, lacks a required one or has an unreadable USCC raises the whole profile's error."""
    from pydantic import ValidationError

    from .facts.profile import registry

    try:
        return Profile.from_data(data), {}
    except ProfileError as exc:
        error = exc
    if not isinstance(data, Mapping) or "fields" not in error.details:  # not a mapping, nested too deep
        raise error
    try:
        Profile.model_validate(dict(data))
    except ValidationError as exc:
        problems = exc.errors()
    else:  # pragma: no cover - from_data refused what the model accepts: not a field's value
        raise error
    lines = list(zip(error.zh.split("\n  ")[1:], error.en.split("\n  ")[1:], strict=False))
    if len(lines) != len(problems):
        raise error
    spec = registry()
    bad: dict[str, tuple[str, str]] = {}
    for problem, (zh, en) in zip(problems, lines, strict=True):
        loc = problem["loc"]
        lead = list(loc[: next((i for i, part in enumerate(loc) if isinstance(part, int)), len(loc))])
        path = ".".join(map(str, lead))
        structural = problem["type"] == "extra_forbidden" or (problem["type"] == "missing" and len(lead) == len(loc))
        if structural or path not in spec or path == "uscc" or not lead:
            raise error
        if path in bad:
            zh, en = f"{bad[path][0]}；{zh}", f"{bad[path][1]}; {en}"
        bad[path] = (zh, en)
    kept = _without(dict(data), [path.split(".") for path in bad])
    try:
        profile = Profile.from_data(kept)
    except ProfileError:
        raise error from None
    return profile, {path: (f"字段 {path} 的值无法读取，按未知处理：{zh}", f"field {path} could not be read and is "
                            f"taken as unknown: {en}") for path, (zh, en) in bad.items()}


def _isolated_status(hit: list[str]) -> Status:
    """A rule reading refused fields: ``undetermined`` when each has a presumption (a value was given
    but cannot be read, so the presumption does not stand in for it), else ``error``."""
    from .facts.profile import registry

    spec = registry()
    return Status.UNDETERMINED if all(spec[path].presume is not None for path in hit) else Status.ERROR


def _without(data: dict[str, Any], paths: list[list[str]]) -> dict[str, Any]:
    """``data`` with the values at ``paths`` (lists of keys) taken out; records above them copied."""
    for keys in paths:
        node = data
        for key in keys[:-1]:
            child = node.get(key)
            if not isinstance(child, Mapping):
                break
            node[key] = node = dict(child)
        else:
            node.pop(keys[-1], None)
    return data


def _profile_isolating(record: dict[str, Any]) -> tuple[Profile, dict[str, str]]:
    """A flat row as a profile, and the fields whose values could not be read (path → the schema's
    words): those are left unknown (per-field isolation). A row whose USCC cannot be read, or that
    fails as a whole, raises :class:`ProfileError` (a row-level error)."""
    try:
        return Profile.from_data(row_to_profile(record)), {}
    except ProfileError:
        pass
    from .backends.vectorized.ingest import validate_value
    from .facts.profile import registry

    spec = registry()
    bad: dict[str, str] = {}
    for path, value in record.items():
        s = spec.get(path)
        if s is None or "[]" in path or is_missing(value):
            continue
        if s.type.kind in ("list", "record"):
            try:
                Profile.from_data(row_to_profile({path: value}))
            except ProfileError as exc:
                bad[path] = exc.en.replace("\n", " ") + " | " + exc.zh.replace("\n", " ")
            continue
        _, reason = validate_value(path, value)
        if reason is not None:
            bad[path] = reason
    if not bad or "uscc" in bad:
        return Profile.from_data(row_to_profile(record)), {}  # raises: the row as a whole
    return Profile.from_data(row_to_profile({k: v for k, v in record.items() if k not in bad})), bad


def _isolated_row(row_no: int, entity: str | None, r: RuleResult, bad: dict[str, str]) -> dict[str, Any]:
    """A rule's long-table row when some fields of the firm could not be read: ``error`` (or
    ``undetermined`` for a field with a presumption) if the rule reads one of them, else as decided."""
    from .backends.vectorized.isolation import field_error_reason
    from .facts.profile import registry
    from .reads import readers

    row = _score_row(row_no, entity, r)
    hit = [p for p in bad if r.rule_id in readers([r.rule], p)]
    if not hit:
        return row
    spec = registry()
    presumed = [p for p in hit if spec[p].presume is not None]
    status = Status.UNDETERMINED if len(presumed) == len(hit) else Status.ERROR
    row.update(status=status.value, amount=None, amount_kind=None, superseded_by=None, failed=None,
               missing=presumed if status is Status.UNDETERMINED else [],
               reason="; ".join(field_error_reason(p, row_no, bad[p]) for p in hit))
    return row


def _score_row(row_no: int, entity: str | None, r: RuleResult) -> dict[str, Any]:
    failed = r.failed()
    return {
        "row": row_no, "entity_id": entity, "rule_id": r.rule_id, "status": r.status.value,
        "amount": r.amount, "amount_kind": r.amount_kind, "superseded_by": r.superseded_by,
        "missing": list(r.missing), "failed": failed[0].clause.text if failed else None,  # type: ignore[union-attr]
        "reason": f"{r.reason[1]} | {r.reason[0]}" if r.reason else None,  # English | Chinese, as error rows
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


def _per_key(keys: pd.Series, where: np.ndarray) -> dict[str, int]:
    """How many rows ``where`` selects per key (keys present in the rows only), by category codes
    when the keys are categorical."""
    if isinstance(keys.dtype, pd.CategoricalDtype):
        codes = keys.cat.codes.to_numpy()[where]
        table = np.bincount(codes[codes >= 0], minlength=len(keys.cat.categories))
        return {str(k): int(n) for k, n in zip(keys.cat.categories, table.tolist()) if n}
    return keys[where].astype(object).value_counts().to_dict()


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


def _split_sums(keys: pd.Series, amounts: pd.Series, eligible: np.ndarray, up_to: np.ndarray
                ) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """Per key, the exact sums of the eligible amounts that are not caps and of those that are
    (``up_to``): one grouping in Arrow for categorical keys and decimal amounts, else as
    :func:`_exact_sums` twice."""
    if not (isinstance(amounts.dtype, pd.ArrowDtype) and pa.types.is_decimal(amounts.dtype.pyarrow_dtype)
            and isinstance(keys.dtype, pd.CategoricalDtype)):
        return (_exact_sums(keys, amounts, eligible & ~up_to),
                _exact_sums(keys, amounts, up_to) if up_to.any() else {})
    names = list(map(str, keys.cat.categories))
    arrow = amounts.array.__arrow_array__()  # type: ignore[attr-defined]
    counted = _fen_sums(arrow, keys.cat.codes.to_numpy(), up_to, eligible, names)
    if counted is not None:
        return counted
    codes = keys.cat.codes.to_numpy()[eligible].astype(np.int32)
    capped = up_to[eligible]
    table = pa.table({"k": pa.array(codes), "u": pa.array(capped), "a": arrow.filter(pa.array(eligible))})
    grouped = table.group_by(["k", "u"]).aggregate([("a", "sum")]).to_pydict()
    exact: dict[str, Decimal] = {}
    caps: dict[str, Decimal] = {}
    for k, u, v in zip(grouped["k"], grouped["u"], grouped["a_sum"], strict=True):
        (caps if u else exact)[names[k]] = Decimal(v) if v is not None else Decimal(0)
    return exact, caps


def _fen_sums(arrow: pa.ChunkedArray, codes: np.ndarray, up_to: np.ndarray, eligible: np.ndarray,
              names: list[str]) -> tuple[dict[str, Decimal], dict[str, Decimal]] | None:
    """:func:`_split_sums`'s grouping counted in numpy, as exactly: the decimals' unscaled integers (an
    18-digit decimal's fit its low 64 bits) summed per key in float64, which holds every integer below
    2**53, so each sum is exact while the magnitudes together stay below that. None (the Arrow
    grouping, and its import, instead) for wider decimals, several chunks or larger sums."""
    if arrow.type.precision > 18 or arrow.num_chunks != 1 or arrow.chunk(0).buffers()[1] is None:
        return None
    chunk = arrow.chunk(0)
    low = np.frombuffer(chunk.buffers()[1], dtype=np.int64)[2 * chunk.offset: 2 * (chunk.offset + len(chunk)): 2]
    at = np.flatnonzero(eligible)  # positions, not masks: the amounts are a strided view
    units = low[at]
    group = codes[at].astype(np.intp) * 2 + up_to[at]
    valid = chunk.is_valid().to_numpy(zero_copy_only=False)[at] if chunk.null_count else None
    if valid is not None:
        units = np.where(valid, units, 0)
    if float(np.abs(units).sum(dtype=np.float64)) >= 2.0 ** 52:
        return None
    size = 2 * len(names)
    present = np.bincount(group, minlength=size)
    known = np.bincount(group[valid], minlength=size) if valid is not None else present
    sums = np.bincount(group, weights=units.astype(np.float64), minlength=size)
    scale = -arrow.type.scale
    exact: dict[str, Decimal] = {}
    caps: dict[str, Decimal] = {}
    for g in np.flatnonzero(present).tolist():
        # a group whose amounts are all missing sums to a plain 0, as the Arrow grouping's null does
        (caps if g % 2 else exact)[names[g // 2]] = Decimal(int(sums[g])).scaleb(scale) if known[g] else Decimal(0)
    return exact, caps


#: the run summary, one row per rule (terminal, ``engine.summarize``, the summary file and reports):
#: counts per status; known eligible amounts with exact amounts and caps (``up_to``) kept apart;
#: ``amount_total`` their sum; ``amount_unknown`` eligible firms whose amount is not known (for a
#: rule that grants one); ``lower_bound`` true when that is not zero (the totals are then a floor)
SUMMARY_COLUMNS = ["rule_id", "title", "eligible", "superseded", "undetermined", "ineligible", "error",
                   "amount_exact", "amount_up_to", "amount_total", "amount_unknown", "lower_bound"]
SUMMARY_COUNTS = ("eligible", "superseded", "undetermined", "ineligible", "error", "amount_unknown")
SUMMARY_MONEY = ("amount_exact", "amount_up_to", "amount_total")


def summarize(scored: pd.DataFrame, rules: RuleSet) -> pd.DataFrame:
    """Per-rule counts and budget impact (sums of eligible amounts, exact), in :data:`SUMMARY_COLUMNS`,
    with the reconciliation in ``attrs``: rows read = scored (a rule decided or in field error) +
    failed (row-level errors, no rule id) + no rule in scope; ``field_errors`` per column when known."""
    rule_col, status_col = scored["rule_id"], scored["status"]
    counts = _counts(rule_col, status_col)
    eligible = ((status_col == "eligible") & rule_col.notna()).to_numpy(dtype=bool)
    up_to = eligible & (scored["amount_kind"] == "up_to").to_numpy(dtype=bool) if "amount_kind" in scored \
        else np.zeros(len(scored), bool)
    exact_sums, up_to_sums = _split_sums(rule_col, scored["amount"], eligible, up_to)
    unknown_at = eligible & scored["amount"].isna().to_numpy(dtype=bool)
    unknown = _per_key(rule_col, unknown_at) if unknown_at.any() else {}
    rows = []
    for rule_id in sorted(counts):
        rule = rules.get(rule_id)
        row = counts[rule_id]
        grants = rule is not None and rule.benefit.amount is not None
        exact, capped = exact_sums.get(rule_id, Decimal(0)), up_to_sums.get(rule_id, Decimal(0))
        n_unknown = int(unknown.get(rule_id, 0)) if grants else 0
        rows.append({
            "rule_id": rule_id,
            "title": rule.title.zh if rule else "",
            **{name: int(row.get(name, 0)) for name in ("eligible", "superseded", "undetermined", "ineligible",
                                                         "error")},
            "amount_exact": exact, "amount_up_to": capped, "amount_total": exact + capped,
            "amount_unknown": n_unknown, "lower_bound": n_unknown > 0,
        })
    summary = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    rows_read = scored.attrs.get("rows_read")
    row_numbers = scored["row"].to_numpy()
    # a row-level failure has no rule id; an error with a rule id is a field error of a scored row
    in_error = ((status_col == "error") & rule_col.isna()).to_numpy(dtype=bool)
    errors, scored_rows = _distinct(row_numbers[in_error]), _distinct(row_numbers[~in_error])
    summary.attrs.update({"rows_read": rows_read, "rows_error": errors, "rows_scored": scored_rows,
                          "rows_no_rule": (rows_read - errors - scored_rows) if rows_read is not None else None})
    if "field_errors" in scored.attrs:
        summary.attrs["field_errors"] = dict(scored.attrs["field_errors"])
    return summary
