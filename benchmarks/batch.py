"""Batch scoring benchmark (issue 5): the vectorized engine against hand-written numpy, openfisca-core
and this library's own row-by-row interpreter, side by side in one process; and the CLI on Parquet.

    python benchmarks/batch.py [--rows 1000000] [--repeat 5] [--parquet] [--stream-rows 10000000] [--quick]

Part A (always, unless --no-memory): reference set R3 (benchmarks/r3.yaml) on an in-memory pandas
DataFrame with Arrow-backed dtypes (``--rows`` rows, generated deterministically with numpy and
pyarrow, no Python loop over rows). Contenders, each best-of-N (``--repeat``) wall time:

1. hand-written numpy, three-valued (UNKNOWN propagates exactly as DESIGN.md says), from the
   DataFrame: the conversion to int64 fen + known masks is inside the timing;
2. the same, two-valued (a missing value fails its condition), for reference;
3. openfisca-core (``pip install -e .[bench]``): a minimal TaxBenefitSystem computing the same three
   formulas, end to end (DataFrame → arrays → simulation set-up → calculation); two-valued;
4. ``engine.decide`` / ``engine.decider`` / ``engine.evaluate`` row by row on a 20,000-row sample
   (profiles built before timing), extrapolated to ``--rows``;
5. ``engine.score(df, as_of, wide=True)`` and ``wide=False`` — the vectorized backend. When it is
   not there yet this prints "vectorized backend not available: <reason>" and goes on.

The three-valued numpy statuses are asserted equal to the interpreter's on the sample and, when
the vectorized backend is available, to its statuses over all rows (the same job is compared).

Part B (``--parquet``): all bundled packs, a ``--rows`` register (valid USCCs, known region codes,
money as decimal128(18, 2)) written to a temporary Parquet file by a child process, then
``python -m eligibility.cli score in.parquet -o out.parquet --as-of 2024-06-30`` in a child
process: rows/s and peak RSS. ``--stream-rows N`` does the same with an N-row file written in
chunks. Goals: ≥ 200,000 rows/s, peak RSS < 2 GiB. The library's bytecode is compiled first (as
``pip install`` does; an editable install under ``PYTHONDONTWRITEBYTECODE=1`` would otherwise
recompile its modules in every run). Beside the CLI, the *I/O floor*: the same run without the
scoring (the CLI's imports, its chunked reader and its writer settings on a background thread, writing
the CLI's own output preloaded in memory), so the time left for loading rules and scoring within the
goal is printed beside what the CLI spent.

``--quick``: 100,000 rows, repeat 2 (smoke test).
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import inspect
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
AS_OF = "2024-06-30"
SEED = 20241122

RULE_A, RULE_B, RULE_C = "r3.manufacturing-revenue-grant", "r3.small-low-profit-like", "r3.high-tech-grant"
R3_RULES = (RULE_A, RULE_B, RULE_C)
# thresholds and grants in fen (分): exact integers, never floats
T_REVENUE, T_ASSETS, T_INCOME = 2_000_000_000, 5_000_000_000, 300_000_000
T_EMPLOYEES = 300
GRANT = {RULE_A: 50_000_000, RULE_C: 10_000_000}  # 50万, 10万 yuan; rule (b) has no amount
INELIGIBLE, ELIGIBLE, UNDETERMINED = 0, 1, 2
STATUS_CODE = {"ineligible": INELIGIBLE, "eligible": ELIGIBLE, "undetermined": UNDETERMINED}

MONEY = pa.decimal128(18, 2)
CERT_TYPE = pa.list_(pa.struct([("kind", pa.string()), ("level", pa.string())]))
CERT_KINDS = ["high_tech", "tech_sme", "specialised_sme", "specialised_growth", "little_giant", "single_champion"]
LEVELS = ["national", "provincial", "municipal"]
GOAL_VS_NUMPY, GOAL_VS_INTERPRETER, GOAL_ROWS_PER_S, GOAL_RSS_MIB = 1.5, 100.0, 200_000, 2048

# ---------------------------------------------------------------------------------------------
# timing and report helpers


@dataclass
class Measure:
    name: str
    rows: int
    times: list[float] = field(default_factory=list)
    scale: float = 1.0  # extrapolation factor (rows / sample rows)
    note: str = ""

    @property
    def best(self) -> float:
        return min(self.times) * self.scale

    @property
    def median(self) -> float:
        return statistics.median(self.times) * self.scale

    @property
    def rate(self) -> float:
        return self.rows / self.best


def timed(fn: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    """Wall times of ``repeat`` runs and the last result (the machine is noisy: best and median)."""
    times, result = [], None
    for _ in range(repeat):
        result = None
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return times, result


def say(text: str = "") -> None:
    print(text, flush=True)


def version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def header() -> None:
    try:
        utc = subprocess.run(["date", "-u"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        utc = time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime())
    import eligibility

    say(f"eligibility batch benchmark · {utc}")
    say(f"  machine: {cpu_model()}, {os.cpu_count()} cores, {platform.machine()}; "
        f"{platform.python_implementation()} {platform.python_version()}")
    say(f"  versions: eligibility {eligibility.__version__}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"pyarrow {pa.__version__}, openfisca-core {version('openfisca-core')}")


def fmt_rate(rate: float) -> str:
    return f"{rate:>13,.0f} rows/s"


def print_measures(measures: list[Measure], base: Measure | None) -> None:
    say(f"  {'contender':<60}{'best':>10}{'median':>10}{'throughput':>20}{'vs numpy-3v':>13}")
    for m in measures:
        ratio = f"{m.best / base.best:>12.2f}x" if base is not None else ""
        say(f"  {m.name:<60}{m.best:>9.3f}s{m.median:>9.3f}s{fmt_rate(m.rate):>20}{ratio}")
        if m.note:
            say(f"  {'':<4}{m.note}")


# ---------------------------------------------------------------------------------------------
# Arrow building blocks (vectorized; no Python loop over rows)


def money_array(fen: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """decimal128(18, 2) from int64 fen without going through Python or float: the unscaled value of
    a decimal128 is a 16-byte little-endian two's-complement integer, here (fen, sign word)."""
    fen = np.ascontiguousarray(fen, dtype=np.int64)
    n = len(fen)
    words = np.empty((n, 2), dtype=np.int64)
    words[:, 0] = fen
    words[:, 1] = fen >> 63
    if missing is None or not missing.any():
        return pa.Array.from_buffers(MONEY, n, [None, pa.py_buffer(words)], null_count=0)
    validity = pa.py_buffer(np.packbits(~missing, bitorder="little"))
    return pa.Array.from_buffers(MONEY, n, [validity, pa.py_buffer(words)], null_count=int(missing.sum()))


def with_nulls(arr: pa.Array, missing: np.ndarray | None) -> pa.Array:
    if missing is None or not missing.any():
        return arr
    return pc.if_else(pa.array(~missing), arr, pa.scalar(None, arr.type))


def pick_strings(values: list[str], idx: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    return with_nulls(pa.array(values, pa.string()).take(pa.array(idx)), missing)


def lognormal_fen(rng: np.random.Generator, median_yuan: float, sigma: float, n: int) -> np.ndarray:
    return (rng.lognormal(np.log(median_yuan), sigma, n) * 100).astype(np.int64)


def at_thresholds(rng: np.random.Generator, values: np.ndarray, threshold: int, step: int = 1) -> np.ndarray:
    """Put ~2% of the rows exactly at ``threshold``, ~1% one step below, ~1% one step above."""
    u = rng.random(len(values))
    out = values.copy()
    out[u < 0.02] = threshold
    out[(u >= 0.02) & (u < 0.03)] = threshold - step
    out[(u >= 0.03) & (u < 0.04)] = threshold + step
    return out


def arrow_of(series: pd.Series) -> pa.Array:
    """The pyarrow array behind an Arrow-backed pandas column (one chunk)."""
    arr = series.array
    obj = arr.__arrow_array__() if hasattr(arr, "__arrow_array__") else pa.array(series)
    if isinstance(obj, pa.ChunkedArray):
        obj = obj.chunk(0) if obj.num_chunks == 1 else obj.combine_chunks()
    return obj


def frame_of(columns: dict[str, pa.Array]) -> pd.DataFrame:
    return pd.DataFrame({k: pd.Series(pd.arrays.ArrowExtensionArray(v), copy=False) for k, v in columns.items()})


# ---------------------------------------------------------------------------------------------
# Part A data: R3 inputs


def make_r3_frame(n: int, seed: int = SEED, missing_kind: float = 0.02) -> pd.DataFrame:
    """R3's inputs for ``n`` firms, Arrow-backed. Every outcome of every rule occurs; money sits
    exactly at each threshold and one fen either side; ~3% of each scalar is missing; ~5% of the
    certification lists are missing, most are empty, and ``missing_kind`` of the items lack a kind."""
    rng = np.random.default_rng(seed)

    def missing(p: float) -> np.ndarray:
        return rng.random(n) < p

    codes = ["C3011", "C13", "F5211", "I65", "K701", "C"]
    industry = pick_strings(codes, rng.choice(len(codes), n, p=[0.25, 0.15, 0.2, 0.15, 0.1, 0.15]), missing(0.03))
    revenue = at_thresholds(rng, lognormal_fen(rng, 15_000_000, 1.3, n), T_REVENUE)
    assets = at_thresholds(rng, lognormal_fen(rng, 30_000_000, 1.2, n), T_ASSETS)
    income = lognormal_fen(rng, 1_500_000, 1.4, n)
    income[rng.random(n) < 0.05] = 0
    income = at_thresholds(rng, income, T_INCOME)
    employees = at_thresholds(rng, rng.lognormal(np.log(80), 1.3, n).astype(np.int64), T_EMPLOYEES)

    list_missing = missing(0.05)
    counts = rng.choice(4, n, p=[0.58, 0.28, 0.10, 0.04]).astype(np.int32)
    counts[list_missing] = 0
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    m = int(offsets[-1])
    kinds = pick_strings(CERT_KINDS, rng.choice(len(CERT_KINDS), m, p=[0.35, 0.25, 0.15, 0.1, 0.1, 0.05]),
                         rng.random(m) < missing_kind)
    levels = pick_strings(LEVELS, rng.integers(0, len(LEVELS), m))
    items = pa.StructArray.from_arrays([kinds, levels], fields=list(CERT_TYPE.value_type))
    certs = pa.ListArray.from_arrays(pa.array(offsets), items, type=CERT_TYPE, mask=pa.array(list_missing))

    return frame_of({
        "industry_code": industry,
        "revenue": money_array(revenue, missing(0.03)),
        "total_assets": money_array(assets, missing(0.03)),
        "taxable_income": money_array(income, missing(0.03)),
        "employees": pa.array(employees, pa.int64(), mask=missing(0.03)),
        "certifications": certs,
    })


# ---------------------------------------------------------------------------------------------
# 1-2. hand-written numpy


def fen_of(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """decimal128 → (int64 fen, known). Scale 2 reads the low word of each 16-byte value directly
    (exact: a decimal128(18, 2) is below 10^18 < 2^63); other scales are cast to scale 2 first."""
    if not pa.types.is_decimal128(arr.type) or arr.type.scale != 2 or arr.type.precision > 18:
        arr = pc.cast(arr, pa.decimal128(38, 2))
        hi = np.frombuffer(arr.buffers()[1], dtype=np.int64)[2 * arr.offset + 1:2 * (arr.offset + len(arr)):2]
        fits = (hi == 0) | (hi == -1)
        if not fits.all():
            raise OverflowError("amount beyond int64 fen")
    words = np.frombuffer(arr.buffers()[1], dtype=np.int64)
    fen = words[2 * arr.offset:2 * (arr.offset + len(arr)):2]
    known = np.ones(len(arr), bool) if arr.null_count == 0 else arr.is_valid().to_numpy(zero_copy_only=False)
    return fen, known


def int_of(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    known = np.ones(len(arr), bool) if arr.null_count == 0 else arr.is_valid().to_numpy(zero_copy_only=False)
    return pc.fill_null(arr, 0).to_numpy(zero_copy_only=False), known


def bool_of(arr: pa.Array) -> np.ndarray:
    return pc.fill_null(arr, False).to_numpy(zero_copy_only=False)


def known_of(arr: pa.Array) -> np.ndarray:
    return np.ones(len(arr), bool) if arr.null_count == 0 else arr.is_valid().to_numpy(zero_copy_only=False)


@dataclass
class CertCounts:
    known: np.ndarray  # the list is given (may be empty)
    n_high_tech: np.ndarray  # items with kind == "high_tech"
    n_kind_missing: np.ndarray  # items without a kind


def cert_counts(arr: pa.Array) -> CertCounts:
    """Per row: how many items are high_tech and how many have no kind (offsets + prefix sums)."""
    offsets = arr.offsets.to_numpy()
    items = arr.values
    kind = items.field("kind")
    high = bool_of(pc.equal(kind, "high_tech"))
    no_kind = ~known_of(kind)
    if items.null_count:
        no_kind |= ~known_of(items)
        high &= known_of(items)
    cs_high = np.concatenate(([0], np.cumsum(high, dtype=np.int64)))
    cs_none = np.concatenate(([0], np.cumsum(no_kind, dtype=np.int64)))
    lo, hi = offsets[:-1], offsets[1:]
    return CertCounts(known_of(arr), cs_high[hi] - cs_high[lo], cs_none[hi] - cs_none[lo])


def all3(n: int, *conds: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Kleene ``all`` of (value, known) pairs as status codes: false if any known false, else
    undetermined if any unknown, else eligible."""
    false = np.zeros(n, bool)
    unknown = np.zeros(n, bool)
    for val, known in conds:
        false |= known & ~val
        unknown |= ~known
    status = np.full(n, ELIGIBLE, np.int8)
    status[unknown] = UNDETERMINED
    status[false] = INELIGIBLE
    return status


def with_amount(status: np.ndarray, grant: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(status, amount in fen, has amount): an eligible or undetermined grant carries its amount."""
    if grant is None:
        return status, np.zeros(len(status), np.int64), np.zeros(len(status), bool)
    has = status != INELIGIBLE
    return status, np.where(has, np.int64(grant), np.int64(0)), has


def numpy_3v(df: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """R3 in numpy with three-valued logic, from the DataFrame (conversion included)."""
    n = len(df)
    code = arrow_of(df["industry_code"])
    under_c = (bool_of(pc.starts_with(code, "C")), known_of(code))
    rev, rev_k = fen_of(arrow_of(df["revenue"]))
    emp, emp_k = int_of(arrow_of(df["employees"]))
    assets, assets_k = fen_of(arrow_of(df["total_assets"]))
    income, income_k = fen_of(arrow_of(df["taxable_income"]))
    a = all3(n, under_c, (rev >= T_REVENUE, rev_k))
    b = all3(n, (emp <= T_EMPLOYEES, emp_k), (assets <= T_ASSETS, assets_k), (income <= T_INCOME, income_k))
    cc = cert_counts(arrow_of(df["certifications"]))
    c = np.full(n, INELIGIBLE, np.int8)
    c[cc.n_kind_missing > 0] = UNDETERMINED
    c[cc.n_high_tech > 0] = ELIGIBLE
    c[~cc.known] = UNDETERMINED
    return {RULE_A: with_amount(a, GRANT[RULE_A]), RULE_B: with_amount(b, None), RULE_C: with_amount(c, GRANT[RULE_C])}


def numpy_2v(df: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """R3 in numpy, two-valued: a missing value fails its condition (no undetermined)."""
    code = arrow_of(df["industry_code"])
    rev, rev_k = fen_of(arrow_of(df["revenue"]))
    emp, emp_k = int_of(arrow_of(df["employees"]))
    assets, assets_k = fen_of(arrow_of(df["total_assets"]))
    income, income_k = fen_of(arrow_of(df["taxable_income"]))
    a = bool_of(pc.starts_with(code, "C")) & rev_k & (rev >= T_REVENUE)
    b = emp_k & (emp <= T_EMPLOYEES) & assets_k & (assets <= T_ASSETS) & income_k & (income <= T_INCOME)
    c = cert_counts(arrow_of(df["certifications"])).n_high_tech > 0
    return {RULE_A: with_amount(a.astype(np.int8), GRANT[RULE_A]), RULE_B: with_amount(b.astype(np.int8), None),
            RULE_C: with_amount(c.astype(np.int8), GRANT[RULE_C])}


# ---------------------------------------------------------------------------------------------
# 3. openfisca-core


def fixed_bytes(arr: pa.Array, width: int) -> np.ndarray:
    """A string column as numpy ``S<width>`` (openfisca's str with max_length), null → b"": through
    a dictionary encoding, so only the distinct values go through Python."""
    enc = pc.dictionary_encode(arr)
    uniq = np.array([v.encode() for v in enc.dictionary.to_pylist()] + [b""], dtype=f"S{width}")
    return uniq[pc.fill_null(enc.indices, len(uniq) - 1).to_numpy(zero_copy_only=False)]


class OpenFisca:
    """A minimal openfisca TaxBenefitSystem for R3.

    openfisca has no list-valued variables, so a certification is its person entity and the firm
    a group entity holding its certifications (``firm.any(...)`` over members computes rule (c)).
    openfisca's ``int`` is int32 (fen above 21,474,836.47 yuan overflow) and its ``float`` float32
    (19,999,999.99 rounds to 20,000,000): with ``exact`` the money variables are ``int`` with their
    dtype widened to int64 fen after construction (openfisca does the same for ``str`` max_length);
    without it they are plain ``float`` yuan (float32), openfisca's documented money type.
    It is two-valued: a missing value is given a value that fails its condition (the usual openfisca
    practice: defaults), so it computes the same job as numpy-2v, not numpy-3v.
    """

    def __init__(self, exact: bool = True) -> None:
        from openfisca_core import entities, periods, taxbenefitsystems, variables

        self.exact = exact
        year = periods.DateUnit.YEAR
        cert = entities.build_entity(key="certification", plural="certifications", label="认定 certification",
                                     is_person=True)
        firm = entities.build_entity(key="firm", plural="firms", label="企业 firm",
                                     roles=[{"key": "holder", "plural": "holders", "label": "holder"}])
        self.holder = firm.flattened_roles[0]
        holder = self.holder

        class Widened(variables.Variable):
            def __init__(self, baseline_variable: Any = None) -> None:
                super().__init__(baseline_variable)
                if exact and self.value_type is int:
                    self.dtype = np.int64

        def var(name: str, entity: Any, value_type: type, label: str, formula: Any = None, **extra: Any) -> type:
            # openfisca reads a Variable's attributes from its own class __dict__ only
            attrs = {"value_type": value_type, "entity": entity, "definition_period": year, "label": label, **extra}
            if formula is not None:
                attrs["formula"] = formula
            return type(name, (Widened,), attrs)

        money = int if exact else float
        scale = 100 if exact else 1
        t_rev, t_assets, t_income = T_REVENUE // 100 * scale, T_ASSETS // 100 * scale, T_INCOME // 100 * scale
        grant_a, grant_c = GRANT[RULE_A] // 100 * scale, GRANT[RULE_C] // 100 * scale

        def rule_a(firm_: Any, period: Any) -> Any:
            return np.char.startswith(firm_("industry_code", period), b"C") & (firm_("revenue", period) >= t_rev)

        def rule_b(firm_: Any, period: Any) -> Any:
            return ((firm_("employees", period) <= T_EMPLOYEES) & (firm_("total_assets", period) <= t_assets)
                    & (firm_("taxable_income", period) <= t_income))

        def rule_c(firm_: Any, period: Any) -> Any:
            return firm_.any(firm_.members("kind", period) == b"high_tech", role=holder)

        def amount_a(firm_: Any, period: Any) -> Any:
            return np.where(firm_("manufacturing_revenue_grant", period), grant_a, 0)

        def amount_c(firm_: Any, period: Any) -> Any:
            return np.where(firm_("high_tech_grant", period), grant_c, 0)

        unit = "fen" if exact else "yuan"
        variables_ = [
            var("revenue", firm, money, f"营业收入 revenue ({unit})"),
            var("total_assets", firm, money, f"资产总额 total assets ({unit})"),
            var("taxable_income", firm, money, f"应纳税所得额 taxable income ({unit})"),
            var("employees", firm, int, "从业人员 employees"),
            var("industry_code", firm, str, "行业代码 industry code", max_length=8),
            var("kind", cert, str, "认定类型 certification kind", max_length=20),
            var("manufacturing_revenue_grant", firm, bool, "R3(a) industry under C and revenue >= 2000万", rule_a),
            var("small_low_profit_like", firm, bool, "R3(b) employees <= 300, assets <= 5000万, income <= 300万",
                rule_b),
            var("high_tech_grant", firm, bool, "R3(c) any certification of kind high_tech", rule_c),
            var("manufacturing_revenue_grant_amount", firm, money, f"R3(a) amount ({unit})", amount_a),
            var("high_tech_grant_amount", firm, money, f"R3(c) amount ({unit})", amount_c),
        ]
        self.tbs = taxbenefitsystems.TaxBenefitSystem([cert, firm])
        for v in variables_:
            self.tbs.add_variable(v)

    def inputs(self, df: pd.DataFrame) -> dict[str, Any]:
        """DataFrame → openfisca input arrays (missing → a failing value)."""
        big = np.iinfo(np.int64).max

        def money(col: str, fill: int) -> np.ndarray:
            fen, known = fen_of(arrow_of(df[col]))
            if self.exact:
                return np.where(known, fen, fill)
            return np.where(known, fen / 100, float(fill) if abs(fill) < big else np.inf).astype(np.float32)

        code = arrow_of(df["industry_code"])
        certs = arrow_of(df["certifications"])
        offsets = certs.offsets.to_numpy()
        counts = np.diff(offsets)
        counts[~known_of(certs)] = 0  # items of a missing list (none here) are not the firm's
        keep = np.repeat(known_of(certs), np.diff(offsets))
        kinds = certs.values.field("kind").slice(int(offsets[0]), int(offsets[-1] - offsets[0]))
        emp, emp_k = int_of(arrow_of(df["employees"]))
        return {
            "revenue": money("revenue", -1),
            "total_assets": money("total_assets", big),
            "taxable_income": money("taxable_income", big),
            "employees": np.where(emp_k, emp, np.iinfo(np.int32).max).astype(np.int32),
            "industry_code": fixed_bytes(code, 8),
            "kind": fixed_bytes(kinds, 20)[keep],
            "parent": np.repeat(np.arange(len(df), dtype=np.int64), counts),
        }

    def run(self, df: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        from openfisca_core.simulations import SimulationBuilder

        x = self.inputs(df)
        n, m = len(df), len(x["kind"])
        builder = SimulationBuilder()
        builder.create_entities(self.tbs)
        builder.declare_person_entity("certification", np.arange(m))
        firms = builder.declare_entity("firm", np.arange(n))
        # set directly: join_with_persons renumbers groups by the members present, so a firm with
        # no certification (most of them) would shift its neighbours' certifications
        firms.members_entity_id = x["parent"]
        sim = builder.build(self.tbs)
        period = "2024"
        for name in ("revenue", "total_assets", "taxable_income", "employees", "industry_code", "kind"):
            sim.set_input(name, period, x[name])
        a = sim.calculate("manufacturing_revenue_grant", period)
        b = sim.calculate("small_low_profit_like", period)
        c = sim.calculate("high_tech_grant", period)
        a_amt = sim.calculate("manufacturing_revenue_grant_amount", period)
        c_amt = sim.calculate("high_tech_grant_amount", period)
        f = 1 if self.exact else 100
        return {RULE_A: (a.astype(np.int8), (np.asarray(a_amt) * f).astype(np.int64), a),
                RULE_B: (b.astype(np.int8), np.zeros(n, np.int64), np.zeros(n, bool)),
                RULE_C: (c.astype(np.int8), (np.asarray(c_amt) * f).astype(np.int64), c)}


# ---------------------------------------------------------------------------------------------
# engine output → arrays


def fen_of_amounts(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(series.dtype, pd.ArrowDtype) and pa.types.is_decimal(series.dtype.pyarrow_dtype):
        return fen_of(arrow_of(series))
    values = series.to_numpy(dtype=object)
    has = ~pd.isna(values)
    fen = np.array([int(Decimal(str(v)) * 100) if h else 0 for v, h in zip(values, has, strict=True)],
                   dtype=np.int64)
    return fen, has


def status_codes(series: pd.Series) -> np.ndarray:
    text = series.astype(object).to_numpy()
    codes = np.full(len(text), -1, np.int8)  # -1: anything else (error, superseded, missing)
    for name, code in STATUS_CODE.items():
        codes[text == name] = code
    return codes


def from_wide(out: pd.DataFrame, n: int) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    if len(out) != n:
        raise AssertionError(f"wide table has {len(out):,} rows for {n:,} input rows")
    res = {}
    for rid in R3_RULES:
        fen, has = fen_of_amounts(out[f"{rid}.amount"])
        res[rid] = (status_codes(out[f"{rid}.status"]), fen, has)
    return res


def from_long(out: pd.DataFrame, n: int) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    res = {}
    rows = out["row"].to_numpy(dtype=np.int64) - 1
    rule = out["rule_id"].astype(object).to_numpy()
    status = status_codes(out["status"])
    fen_all, has_all = fen_of_amounts(out["amount"])
    for rid in R3_RULES:
        sel = rule == rid
        codes = np.full(n, -1, np.int8)
        fen, has = np.zeros(n, np.int64), np.zeros(n, bool)
        codes[rows[sel]], fen[rows[sel]], has[rows[sel]] = status[sel], fen_all[sel], has_all[sel]
        res[rid] = (codes, fen, has)
    return res


def compare(label: str, mine: dict[str, Any], theirs: dict[str, Any], rows: np.ndarray | None = None,
            amounts: bool = True) -> None:
    """Assert equal statuses (and amounts) rule by rule; ``rows`` restricts the comparison."""
    for rid in R3_RULES:
        s1, f1, h1 = (a if rows is None else a[rows] for a in mine[rid])
        s2, f2, h2 = (a if rows is None else a[rows] for a in theirs[rid])
        bad = np.flatnonzero(s1 != s2)
        if amounts and not len(bad):
            bad = np.flatnonzero((h1 != h2) | (h1 & (f1 != f2)))
        if len(bad):
            i = int(bad[0])
            raise AssertionError(f"{label}: {rid} differs on {len(bad):,} rows; first at position {i}: "
                                 f"status {s1[i]} vs {s2[i]}, amount {f1[i] if h1[i] else None} vs "
                                 f"{f2[i] if h2[i] else None} (fen)")


# ---------------------------------------------------------------------------------------------
# Part A


def part_a(n: int, repeat: int, seed: int, sample: int, missing_kind: float) -> None:
    import eligibility as el
    from eligibility.facts.frame import row_to_profile

    say()
    say(f"Part A — R3 (3 rules, {HERE.name}/r3.yaml), {n:,} rows in memory, as of {AS_OF}, best/median of {repeat}")
    t0 = time.perf_counter()
    df = make_r3_frame(n, seed, missing_kind)
    say(f"  data: {n:,} rows generated in {time.perf_counter() - t0:.2f} s (numpy default_rng({seed}), pyarrow); "
        f"columns {', '.join(f'{c}: {df[c].dtype}' for c in df.columns)}")
    say("  no uscc column in this frame: entity ids absent (the engine's entity_id is null)")
    engine = el.Engine(el.load_rules(HERE / "r3.yaml"))
    measures: list[Measure] = []

    # 1-2. hand-written numpy
    times, ref = timed(lambda: numpy_3v(df), repeat)
    m3 = Measure("numpy-3v: hand-written, three-valued, conversion incl.", n, times)
    times, ref2 = timed(lambda: numpy_2v(df), repeat)
    m2 = Measure("numpy-2v: hand-written, two-valued (missing fails)", n, times)
    measures += [m3, m2]
    cc = cert_counts(arrow_of(df["certifications"]))
    kind_missing_rows = cc.known & (cc.n_kind_missing > 0)
    for rid in R3_RULES:
        counts = np.bincount(ref[rid][0], minlength=3)
        say(f"  outcomes {rid:<32} eligible {counts[1]:>9,}  ineligible {counts[0]:>9,}  "
            f"undetermined {counts[2]:>9,}")
    say(f"  rows with a certification lacking its kind: {int(kind_missing_rows.sum()):,} (the profile schema "
        "requires certifications[].kind: the interpreter rejects these rows, see below)")

    # 3. openfisca
    of_m: list[Measure] = []
    try:
        for exact in (True, False):
            of = OpenFisca(exact)
            of.run(df.head(1000))  # warm up (imports, formula look-up)
            times, got = timed(lambda of=of: of.run(df), repeat)
            x_times, _ = timed(lambda of=of: of.inputs(df), 1)
            if exact:
                compare("openfisca (int64 fen) vs numpy-2v", ref2, got)
                note = (f"two-valued; exact; of which DataFrame→arrays {x_times[0]:.3f} s; agrees with numpy-2v "
                        "on every row")
                name = "openfisca int64: money as int64 fen (dtype widened)"
            else:
                diff = {rid: int((got[rid][0] != ref2[rid][0]).sum()) for rid in R3_RULES}
                note = ("two-valued; float32 money: rows differing from exact numpy-2v: "
                        + ", ".join(f"{rid.split('.')[1]} {v:,}" for rid, v in diff.items()))
                name = "openfisca float32: money as float yuan (documented type)"
            of_m.append(Measure(name, n, times, note=note))
    except ImportError as exc:
        say(f"  openfisca-core not available: {exc} (pip install -e '.[bench]')")
    except Exception as exc:  # noqa: BLE001 - report, do not fake
        say(f"  openfisca-core failed: {type(exc).__name__}: {exc}")
    measures += of_m

    # 4. interpreter row by row on a sample, extrapolated
    k = min(sample, n)
    columns = {c: arrow_of(df[c]).slice(0, k).to_pylist() for c in df.columns}  # lists of dicts, Decimal, None
    records = [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)]
    profiles, positions, rejected = [], [], 0
    for i, rec in enumerate(records):
        try:
            profiles.append(el.Profile.from_data(row_to_profile(rec)))
            positions.append(i)
        except el.ProfileError:
            rejected += 1
    for p in profiles:
        p.facts()
    positions_a = np.array(positions, dtype=np.int64)
    gc.collect()
    gc.freeze()
    day = date.fromisoformat(AS_OF)
    engine.decide(profiles[0], day)
    decided = [engine.decide(p, day) for p in profiles]
    interp = {rid: (np.full(len(profiles), -1, np.int8), np.zeros(len(profiles), np.int64),
                    np.zeros(len(profiles), bool)) for rid in R3_RULES}
    for j, ds in enumerate(decided):
        for d in ds:
            s, f, h = interp[d.rule_id]
            s[j] = STATUS_CODE.get(d.status.value, -1)
            if d.amount is not None:
                f[j], h[j] = int(d.amount * 100), True
    compare("interpreter (decide) vs numpy-3v", {r: tuple(a[positions_a] for a in v) for r, v in ref.items()}, interp)
    kp = len(profiles)
    scale = n / kp
    times, _ = timed(lambda: [engine.decide(p, day) for p in profiles], repeat)
    m_decide = Measure(f"engine.decide(p), row by row, extrapolated from {kp:,}", n, times, scale)
    decide = engine.decider(day)
    times, _ = timed(lambda: [decide(p) for p in profiles], repeat)
    m_decider = Measure(f"engine.decider(as_of)(p), extrapolated from {kp:,}", n, times, scale)
    times, _ = timed(lambda: [engine.evaluate(p, day) for p in profiles], max(1, min(repeat, 3)))
    m_eval = Measure(f"engine.evaluate(p), explained, extrapolated from {kp:,}", n, times, scale)
    gc.unfreeze()
    measures += [m_decide, m_decider, m_eval]
    say(f"  interpreter sample: first {k:,} rows → {kp:,} profiles ({rejected:,} rejected by profile validation: "
        "a certification without kind); statuses and amounts equal numpy-3v on all of them; "
        "Profile.from_data not timed")

    # 5. the vectorized engine
    vec: list[Measure] = []
    reason = vectorized_unavailable(engine, df)
    if reason:
        say(f"  vectorized backend not available: {reason}")
    else:
        same = "statuses and amounts equal numpy-3v on every row (but rows with a kind missing: see above)"
        try:
            times, out = timed(lambda: engine.score(df, AS_OF, wide=True), repeat)
            check_engine("engine.score(wide=True) vs numpy-3v", from_wide(out, n), ref, kind_missing_rows)
            vec.append(Measure("engine.score(df, as_of, wide=True): vectorized", n, times, note=same))
            del out
            times, out = timed(lambda: engine.score(df, AS_OF, wide=False), repeat)
            check_engine("engine.score(wide=False) vs numpy-3v", from_long(out, n), ref, kind_missing_rows)
            vec.append(Measure("engine.score(df, as_of, wide=False): vectorized, long", n, times,
                               note=f"{len(out):,} output rows; {same}"))
            del out
        except AssertionError:
            raise
        except Exception as exc:  # noqa: BLE001 - the backend is being written: report why
            say(f"  vectorized backend failed at full size: {type(exc).__name__}: {exc}")
    measures += vec

    say()
    print_measures(measures, m3)
    say()
    say("  ratios (best times):")
    say(f"    numpy-3v / numpy-2v (cost of UNKNOWN)            {m3.best / m2.best:8.2f}x")
    for m in of_m:
        say(f"    {m.name.split(':')[0] + ' / numpy-3v':<49}{m.best / m3.best:8.2f}x")
    say(f"    interpreter decide / numpy-3v (extrapolated)     {m_decide.best / m3.best:8.1f}x")
    say(f"    interpreter evaluate / numpy-3v (extrapolated)   {m_eval.best / m3.best:8.1f}x")
    if vec:
        v = vec[0]
        long_ = vec[1] if len(vec) > 1 else None
        ok = "✔" if v.best / m3.best <= GOAL_VS_NUMPY else "✘"
        say(f"    vectorized(wide) / numpy-3v                      {v.best / m3.best:8.2f}x   goal ≤ {GOAL_VS_NUMPY} {ok}")
        for m in of_m:
            ok = "✔" if v.best < m.best else "✘"
            say(f"    {m.name.split(':')[0] + ' / vectorized(wide)':<49}{m.best / v.best:8.2f}x   goal > 1 (faster) {ok}")
        for label, m in (("interpreter evaluate (explaining)", m_eval), ("interpreter decide (compiled)", m_decide)):
            ok = "✔" if m.best / v.best >= GOAL_VS_INTERPRETER else "✘"
            say(f"    {label + ' / vectorized(wide)':<49}{m.best / v.best:8.1f}x   goal ≥ {GOAL_VS_INTERPRETER:.0f} {ok}")
        if long_ is not None:
            say(f"    vectorized long / wide                           {long_.best / v.best:8.2f}x")
    else:
        say(f"    vectorized(wide) / numpy-3v                           n/a   goal ≤ {GOAL_VS_NUMPY}")
        say("    openfisca / vectorized(wide)                          n/a   goal > 1 (faster)")
        say(f"    interpreter decide / vectorized(wide)                 n/a   goal ≥ {GOAL_VS_INTERPRETER:.0f}")


def vectorized_unavailable(engine: Any, df: pd.DataFrame) -> str | None:
    """Why the vectorized backend cannot be measured (None when it can): the final API
    ``score(df, as_of, wide=...)`` must exist, work on a probe, and not run row by row."""
    try:
        params = inspect.signature(engine.score).parameters
    except (TypeError, ValueError):
        params = {}
    if "wide" not in params:
        return "Engine.score() has no 'wide' parameter yet (today's score() runs row by row, long table only)"
    probe = df.head(min(len(df), 5_000))
    try:
        engine.score(probe, AS_OF, wide=True)
        t0 = time.perf_counter()
        engine.score(probe, AS_OF, wide=True)
        rate = len(probe) / (time.perf_counter() - t0)
    except Exception as exc:  # noqa: BLE001 - the backend is being written: report why
        return f"score(wide=True) failed on a {len(probe):,}-row probe: {type(exc).__name__}: {exc}"
    if rate < 50_000:
        return f"score(wide=True) ran at {rate:,.0f} rows/s on a {len(probe):,}-row probe (row by row?)"
    return None


def check_engine(label: str, got: dict[str, Any], ref: dict[str, Any], kind_missing_rows: np.ndarray) -> None:
    """Statuses and amounts must equal numpy-3v on every row. Rows with a certification lacking its
    kind are invalid profiles for the schema: there the engine may answer ``error`` instead."""
    rows = ~kind_missing_rows
    compare(label, ref, got, rows)
    if kind_missing_rows.any():
        sub = np.flatnonzero(kind_missing_rows)
        statuses = got[RULE_C][0][sub]
        same = int((statuses == ref[RULE_C][0][sub]).sum())
        errors = int((statuses == -1).sum())
        if same + errors != len(sub):
            compare(label + " (rows with a kind missing)", ref, got, kind_missing_rows)
        say(f"  {label}: rows with a kind missing: {same:,} as DESIGN's three-valued semantics, "
            f"{errors:,} as error rows")


# ---------------------------------------------------------------------------------------------
# Part B: a register of the bundled packs' facts, Parquet in → CLI → Parquet out


USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
REFERENCE = date(2024, 6, 30)
EPOCH = date(1970, 1, 1)


def _mr() -> Any:
    """Distributions of examples/make_register.py (regions, industries, taxes, trade quotas)."""
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import make_register
    finally:
        sys.path.pop(0)
    return make_register


def uscc_array(rng: np.random.Generator, region_codes: pa.Array, individual: np.ndarray, serial: np.ndarray) -> pa.Array:
    """Valid USCCs (GB 32100), computed vectorized: authority+type, region, a 9-character
    organisation code (5 characters from the serial number, so codes are unique; 4 random), and the
    check character: (31 − Σ value·3^(i−1) mod 31) mod 31."""
    n = len(individual)
    vals = np.empty((n, 17), dtype=np.int64)
    vals[:, 0] = 9
    vals[:, 1] = np.where(individual, 2, 1)
    region = np.frombuffer(region_codes.buffers()[2], dtype=np.uint8)
    offs = np.frombuffer(region_codes.buffers()[1], dtype=np.int32)[region_codes.offset:region_codes.offset + n + 1]
    vals[:, 2:8] = region[offs[:-1, None] + np.arange(6)] - ord("0")
    s = serial.astype(np.int64)
    for j in range(5):
        vals[:, 12 - j] = s % 31
        s //= 31
    vals[:, 13:17] = rng.integers(0, 31, (n, 4))
    check = (31 - (vals @ USCC_WEIGHTS) % 31) % 31
    lut = np.frombuffer(USCC_ALPHABET.encode(), dtype=np.uint8)
    chars = np.empty((n, 18), dtype=np.uint8)
    chars[:, :17] = lut[vals]
    chars[:, 17] = lut[check]
    offsets = np.arange(0, 18 * (n + 1), 18, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(chars.tobytes()))


def day_array(rng: np.random.Generator, n: int, back: int, forward: int = 0, missing: np.ndarray | None = None) -> pa.Array:
    ref = (REFERENCE - EPOCH).days
    days = (ref + rng.integers(-back, forward + 1, n)).astype(np.int32)
    return pa.array(days, pa.int32(), mask=missing).cast(pa.date32())


def bool_array(flag: np.ndarray, given: np.ndarray | None = None) -> pa.Array:
    return pa.array(flag, pa.bool_(), mask=None if given is None else ~given)


def register_chunk(rng: np.random.Generator, start: int, n: int) -> pa.Table:
    """``n`` firms like examples/make_register.py, vectorized (values in Arrow types)."""
    mr = _mr()
    from eligibility.facts.codes import is_valid_region

    regions = [(c, w) for c, w in mr.REGIONS if is_valid_region(c)]
    r_codes, r_w = [c for c, _ in regions], np.array([w for _, w in regions])
    i_codes, i_w = [c for c, _ in mr.INDUSTRIES], np.array([w for _, w in mr.INDUSTRIES])
    r_idx = rng.choice(len(r_codes), n, p=r_w / r_w.sum())
    i_idx = rng.choice(len(i_codes), n, p=i_w / i_w.sum())
    region = pick_strings(r_codes, r_idx)
    industry = pick_strings(i_codes, i_idx)
    section = np.array([c[0] for c in i_codes])[i_idx]
    individual = np.isin(section, list("FHO")) & (rng.random(n) < 0.2)
    serial = np.arange(start, start + n, dtype=np.int64)
    ones = np.ones(n, bool)

    def u(p: float) -> np.ndarray:
        return rng.random(n) < p

    def yuan_fen(x: np.ndarray) -> np.ndarray:
        return (np.maximum(x, 0).astype(np.int64) // 100 * 100) * 100

    employees = np.maximum(1, rng.lognormal(3.0, 1.3, n).astype(np.int64))
    revenue_y = rng.lognormal(15.4, 1.8, n)
    revenue = yuan_fen(revenue_y)
    small = (revenue < 500_000_000) & u(0.85)
    quarterly = small & u(0.3)
    monthly = small & ~quarterly
    ind = np.isin(section, list("BCD"))
    trade = np.isin(section, list("FH"))
    quota_fen = np.select([section == "H", np.char.startswith(np.array(i_codes)[i_idx], "F51")],
                          [200_000_000, 2_000_000_000], 500_000_000)
    names = pc.binary_join_element_wise(
        pick_strings(mr.NAMES, serial % len(mr.NAMES)),
        pick_strings(["有限公司", "经营部"], individual.astype(np.int64)),
        pc.utf8_lpad(pc.cast(pa.array(serial), pa.string()), 7, "0"), "")
    names = pc.binary_join_element_wise(pa.scalar("示例"), names, "")

    registers_known = ~u(0.05)
    asi = ind & (revenue >= 2_000_000_000) & u(0.92)
    aqt = trade & (revenue >= quota_fen) & u(0.85)
    cert_given = ~u(0.05)
    has_cert = cert_given & u(0.14)
    kinds = rng.integers(0, len(CERT_KINDS), n)
    kind_names = np.array(CERT_KINDS)[kinds]
    level = np.where(kind_names == "specialised_growth", "provincial",
                     np.where(np.isin(kind_names, ["specialised_sme"]), np.where(u(0.5), "provincial", "municipal"),
                              np.where(kind_names == "little_giant", np.where(u(0.5), "national", "provincial"),
                                       "national")))
    cert_offsets = np.zeros(n + 1, np.int32)
    np.cumsum(has_cert, out=cert_offsets[1:])
    m = int(has_cert.sum())
    cert_items = pa.StructArray.from_arrays(
        [pa.array(kind_names[has_cert]), pa.array(level[has_cert]), day_array(rng, m, 800)],
        names=["kind", "level", "certified_on"])
    certifications = pa.ListArray.from_arrays(pa.array(cert_offsets), cert_items, mask=pa.array(~cert_given))
    benefits_type = pa.list_(pa.struct([("rule_id", pa.string()), ("year", pa.int64()), ("amount", MONEY)]))
    benefits = pa.ListArray.from_arrays(pa.array(np.zeros(n + 1, np.int32)),
                                        pa.array([], benefits_type.value_type), type=benefits_type,
                                        mask=pa.array(u(0.05)))
    v_count = np.where(u(0.25), rng.integers(1, 5, n), 0).astype(np.int32)
    v_offsets = np.zeros(n + 1, np.int32)
    np.cumsum(v_count, out=v_offsets[1:])
    mv = int(v_offsets[-1])
    vehicles = pa.ListArray.from_arrays(
        pa.array(v_offsets),
        pa.StructArray.from_arrays(
            [pick_strings(["truck", "trailer", "special_work", "wheeled_special_machinery", "other"],
                          rng.integers(0, 5, mv)),
             money_array(yuan_fen(rng.uniform(300, 3000, mv)))], names=["type", "annual_tax"]),
        mask=pa.array(v_count == 0))
    taxes_given = small | u(0.2)
    credit = ~small & u(0.3)
    deferred = u(0.1)
    ops = (employees <= 3) & u(0.3)
    tech = np.isin(section, list("CIM")) & u(0.05)
    hires = u(0.3)

    def money_col(fen: np.ndarray, given: np.ndarray) -> pa.Array:
        return money_array(fen, ~given)

    cols: dict[str, pa.Array] = {
        "uscc": uscc_array(rng, region, individual, serial),
        "name": names,
        "region_code": region,
        "industry_code": industry,
        "registered_on": day_array(rng, n, 7000, 150, u(0.05)),
        "employees": pa.array(employees, pa.int64(), mask=u(0.05)),
        "revenue": money_array(revenue, u(0.05)),
        "total_assets": money_array(yuan_fen(revenue_y * rng.uniform(0.3, 2.5, n)), u(0.05)),
        "taxable_income": money_array(yuan_fen(revenue_y * rng.uniform(-0.03, 0.12, n)), u(0.05)),
        "vat_taxpayer": pick_strings(["general", "small_scale"], small.astype(np.int64)),
        "vat_filing_period": pick_strings(["month", "quarter"], quarterly.astype(np.int64)),
        "monthly_sales": money_col(yuan_fen(revenue_y / 12 * rng.uniform(0.6, 1.4, n)), monthly),
        "quarterly_sales": money_col(yuan_fen(revenue_y / 4 * rng.uniform(0.6, 1.4, n)), quarterly),
        "ownership": pick_strings(["private", "state", "foreign", "collective"],
                                  rng.choice(4, n, p=[0.85, 0.07, 0.05, 0.03])),
        "tax_credit_rating": pick_strings(["A", "B", "M", "C", "D"], rng.choice(5, n, p=[0.3, 0.4, 0.2, 0.07, 0.03]),
                                          u(0.05)),
        "dishonest_record": bool_array(u(0.02)),
        "development_zone": pick_strings(["腾格里经济技术开发区"], np.zeros(n, np.int64),
                                         ~((np.array(r_codes)[r_idx] == "152921") & u(0.7))),
        "restricted_industry": bool_array(ones, u(0.01)),
        "registers": bool_array(ones, registers_known),
        "registers.above_scale_industrial": bool_array(asi, registers_known),
        "registers.above_scale_industrial.entered_on": day_array(rng, n, 1800, 60, ~(asi & registers_known)),
        "registers.above_scale_industrial.left_on": day_array(rng, n, 60, 120, ~(asi & registers_known & u(0.05))),
        "registers.above_scale_industrial.first_entry": bool_array(u(0.7), asi & registers_known),
        "registers.above_scale_industrial.new_build": bool_array(u(0.3), asi & registers_known),
        "registers.above_quota_trade": bool_array(aqt, registers_known),
        "registers.above_quota_trade.entered_on": day_array(rng, n, 900, 30, ~(aqt & registers_known)),
        "registers.above_quota_trade.left_on": day_array(rng, n, 100, 100, ~(aqt & registers_known & u(0.06))),
        "registers.above_quota_trade.basis": pick_strings(["month", "year"], rng.integers(0, 2, n),
                                                          ~(aqt & registers_known)),
        "certifications": certifications,
        "benefits_received": benefits,
        "taxes_due": bool_array(ones, taxes_given),
    }
    for t in mr.TAXES:
        cols[f"taxes_due.{t}"] = money_col(yuan_fen(rng.lognormal(8.5, 1.2, n)), taxes_given & u(0.6))
    cols |= {
        "vehicles": vehicles,
        "vat_credit.stock": money_col(yuan_fen(rng.lognormal(11, 1.2, n)), credit),
        "vat_credit.increment": money_col(yuan_fen(rng.lognormal(10, 1.2, n)), credit),
        "social_insurance.deferred": bool_array(ones, deferred),
        "social_insurance.deferred_amount": money_col(yuan_fen(rng.lognormal(10.5, 1, n)), deferred),
        "operations.never_operated": bool_array(u(0.6), ops),
        "operations.debts_outstanding": bool_array(u(0.3), ops),
        "operations.debts_settled": bool_array(u(0.5), ops),
        "tech_transfer.recognised": bool_array(ones, tech),
        "tech_transfer.evaluation_tier": pa.array(rng.integers(1, 4, n), pa.int64(), mask=~tech),
    }
    for key, p in (("stopped_production", 0.04), ("low_capacity_utilisation", 0.08), ("loss_making", 0.12),
                   ("output_value_down", 0.15)):
        cols[f"difficulty.{key}"] = bool_array(u(p), asi)
    for key, p in (("seasonal_stop", 0.03), ("deregistering", 0.01), ("bankrupt", 0.005), ("planned_exit", 0.01),
                   ("in_litigation", 0.03)):
        cols[f"exclusions.{key}"] = bool_array(u(p), asi)
    cols |= {
        "hires.new_qualifying_hires_this_year": pa.array((employees * rng.uniform(0, 0.4, n)).astype(np.int64),
                                                         pa.int64(), mask=~hires),
        "hires.graduates_hired_this_year": pa.array(rng.integers(0, 4, n), pa.int64(), mask=~hires),
        "hires.min_contract_years": pa.array(rng.integers(1, 4, n), pa.int64(), mask=~hires),
        "hires.pays_social_insurance": bool_array(u(0.9), hires),
        "hires.graduates_employer_contribution_monthly": money_col(yuan_fen(rng.uniform(800, 2500, n)), hires),
        "power.user_type": pick_strings(["general_commercial_industrial", "large_industry"],
                                        (revenue > 5_000_000_000).astype(np.int64), ~ind),
        "power.transformer_kva": pa.array(np.array([80, 160, 250, 315, 400, 630, 1000])[rng.integers(0, 7, n)],
                                          pa.int64(), mask=~ind),
    }
    return pa.table(cols)


def write_register(path: Path, rows: int, seed: int, chunk: int, check: int) -> None:
    """Write the register in chunks (ParquetWriter); validate the first ``check`` USCCs of each
    chunk with eligibility.facts.codes.is_valid_uscc (``check`` < 0: all of them)."""
    from eligibility.facts.codes import is_valid_uscc

    writer = None
    done = 0
    t0 = time.perf_counter()
    while done < rows:
        n = min(chunk, rows - done)
        rng = np.random.default_rng([seed, done])
        table = register_chunk(rng, done, n)
        codes = table.column("uscc").to_pylist() if check < 0 else table.column("uscc").slice(0, check).to_pylist()
        bad = [c for c in codes if not is_valid_uscc(c)]
        if bad:
            raise AssertionError(f"generated invalid USCCs, e.g. {bad[:3]}")
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
        done += n
        del table
    if writer is not None:
        writer.close()
    import resource

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": rows, "seconds": time.perf_counter() - t0, "peak_rss_mib": rss}))


def io_floor(register: Path, scored: Path, target: Path) -> None:
    """The CLI's run without the scoring: the same start-up imports (the CLI module, which loads the
    engine's modules), the same chunked reader (RegisterReader: Parquet → pandas with Arrow dtypes) on a
    read-ahead thread, and the CLI's own output (``scored``, preloaded as Arrow tables of one input
    chunk each; the preload is timed and left out) written by the CLI's writer settings on a
    background thread. Prints JSON timings; what is left of a time budget after this is all the
    scoring itself may take."""
    t0 = time.perf_counter()
    import eligibility.cli  # noqa: F401 - the CLI's start-up imports
    from eligibility.batch import open_writer, read_register
    from eligibility.batch.pipeline import _Background, _read_ahead

    t_import = time.perf_counter() - t0
    t1 = time.perf_counter()
    out = pq.ParquetFile(scored)
    rows = pc.cast(out.read(columns=["row"]).column("row"), pa.int64()).to_numpy()
    with read_register(register, 100_000) as reader:
        bounds = [int(chunk.index[-1]) for _start, chunk in reader]
    whole = out.read()
    cuts = np.searchsorted(rows, bounds, side="right")
    tables = [whole.slice(a, b - a) for a, b in zip([0, *cuts[:-1]], cuts)]
    t_preload = time.perf_counter() - t1
    t2 = time.perf_counter()
    background = _Background()
    with read_register(register, 100_000) as reader, open_writer(target, False) as writer:
        sink = None

        def write(table: pa.Table) -> None:
            nonlocal sink
            if sink is None:
                writer._open(table.schema.remove_metadata())  # the CLI's output columns and writer options
                sink = writer._sink
            sink.write_table(table)

        for (_start, _chunk), table in zip(_read_ahead(reader), tables):
            background.submit(write, table)
        background.close()
    t_io = time.perf_counter() - t2
    print(json.dumps({"import": t_import, "preload": t_preload, "io": t_io,
                      "rows": int(pq.ParquetFile(target).metadata.num_rows)}))


# A fresh, small Python starts each measured child and reads its peak RSS with
# getrusage(RUSAGE_CHILDREN): a child spawned straight from this (large) process would inherit this
# process's RSS high-water mark at exec (Linux keeps it across vfork/fork + exec) and overstate its own.
LAUNCHER = """
import json, os, resource, subprocess, sys, time
args, log, timeout = json.loads(sys.argv[1]), sys.argv[2], float(sys.argv[3])


def tree_rss_kib(pid):
    # resident memory of a process and all its descendants (worker processes included), from /proc
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                total += next((int(line.split()[1]) for line in f if line.startswith("VmRSS:")), 0)
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            pass
    return total


timed_out = False
tree_peak = 0
with open(log, "wb") as out:
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
    while proc.poll() is None:
        tree_peak = max(tree_peak, tree_rss_kib(proc.pid))
        if time.perf_counter() - t0 > timeout:
            timed_out = True
            proc.kill()
            proc.wait()
            break
        time.sleep(0.05)
    wall = time.perf_counter() - t0
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"code": proc.returncode, "wall": wall, "maxrss_kib": max(usage.ru_maxrss, tree_peak),
                  "largest_kib": usage.ru_maxrss, "timed_out": timed_out}))
"""
TIMEOUT = 3600.0  # seconds per child; set by --timeout


def run_child(args: list[str], log: Path) -> tuple[int, float, float]:
    """Run ``python args`` in a child process: (exit code, wall seconds, peak RSS in MiB of the child and
    all its worker processes together, sampled every 50 ms, or the largest single process if higher)."""
    done = subprocess.run([sys.executable, "-c", LAUNCHER, json.dumps([sys.executable, *args]), str(log), str(TIMEOUT)],
                          capture_output=True, text=True, env={**os.environ, "COLUMNS": "120"}, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"launcher failed: {done.stderr[-1000:]}")
    result = json.loads(done.stdout)
    if result["timed_out"]:
        with log.open("a") as f:
            f.write(f"\nstopped: did not finish within --timeout {TIMEOUT:,.0f} s\n")
    return result["code"], result["wall"], result["maxrss_kib"] / 1024


def csv_sample(parquet: Path, target: Path, rows: int) -> int:
    """The first ``rows`` rows as the CSV the row-by-row CLI reads today (lists as JSON text)."""
    import csv

    batch = next(pq.ParquetFile(parquet).iter_batches(batch_size=rows))
    columns = {c: batch.column(c).to_pylist() for c in batch.schema.names}

    def plain(v: Any) -> Any:
        return str(v) if isinstance(v, Decimal | date) else v

    def cell(v: Any) -> Any:
        if v is None:
            return ""
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, list):
            return json.dumps([{k: plain(x) for k, x in d.items()} for d in v], ensure_ascii=False)
        return plain(v)

    with target.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        for values in zip(*columns.values(), strict=True):
            writer.writerow([cell(v) for v in values])
    return batch.num_rows


def profile_check(parquet: Path, rows: int) -> tuple[int, int]:
    """How many of the first ``rows`` register rows are valid profiles for the interpreter."""
    import eligibility as el
    from eligibility.facts.frame import row_to_profile

    batch = next(pq.ParquetFile(parquet).iter_batches(batch_size=rows))
    columns = {c: batch.column(c).to_pylist() for c in batch.schema.names}
    valid = 0
    for values in zip(*columns.values(), strict=True):
        try:
            el.Profile.from_data(row_to_profile(dict(zip(columns, values, strict=True))))
            valid += 1
        except el.ProfileError:
            pass
    return valid, batch.num_rows


def tail_of(log: str) -> str:
    """The last two lines of a child's output that say something (rich's box drawing stripped)."""
    meaningful = [t for t in (line.strip(" \t│╭╮╰╯─") for line in log.splitlines()) if t]
    return " ".join(meaningful[-2:])[:400]


def ensure_bytecode() -> str:
    """Compile the library's modules to bytecode once, as ``pip install`` does for a wheel. An editable
    install under ``PYTHONDONTWRITEBYTECODE=1`` (this workplace sets it) never writes ``.pyc`` files,
    so every CLI run would compile ~0.5 s of source first: start-up a user's installed copy does not pay."""
    import compileall

    import eligibility as el

    package = Path(el.__file__).parent
    ok = compileall.compile_dir(str(package), quiet=1)
    return f"bytecode of {package} {'compiled' if ok else 'NOT fully compiled'} beforehand (as pip install does)"


def io_floor_report(src: Path, dst: Path, tmp: Path, rows: int, cli_wall: float, runs: int) -> None:
    """Run :func:`io_floor` (best of ``runs``) and print it beside the CLI's best wall time."""
    floors = []
    for _ in range(max(1, runs)):
        code, wall, _rss = run_child([__file__, "--_io-floor", str(src), str(dst), str(tmp / "floor.parquet")],
                                     tmp / "floor.log")
        log = (tmp / "floor.log").read_text(errors="replace")
        if code != 0:
            say(f"  I/O floor failed (exit {code}): {tail_of(log)}")
            return
        parts = json.loads(log.strip().splitlines()[-1])
        floors.append((wall - parts["preload"], parts))
    floor, parts = min(floors, key=lambda f: f[0])
    budget = rows / GOAL_ROWS_PER_S
    say(f"  I/O floor, the same run without scoring (start-up imports, chunked reader, writer on its thread; "
        f"best of {len(floors)}): {floor:,.2f} s wall (Python, numpy, pandas and pyarrow start "
        f"{floor - parts['io'] - parts['import']:.2f} + "
        f"the CLI's imports {parts['import']:.2f} + read & write {parts['io']:.2f}) = {floor / budget:.0%} of the goal's "
        f"{budget:,.2f} s budget, leaving {budget - floor:,.2f} s for loading rules and scoring "
        f"(the CLI spent {cli_wall - floor:,.2f} s more than the floor; CLI / floor = {cli_wall / floor:.2f}×)")


def part_b(rows: int, seed: int, label: str, chunk: int, check: int, fallback_rows: int, runs: int = 1) -> None:
    say()
    say(f"Part B — {label}: all bundled packs, {rows:,}-row register, Parquet in → CLI → Parquet out "
        "(child processes)")
    import eligibility as el

    say(f"  {ensure_bytecode()}")

    ruleset = el.load_rules()
    say(f"  rule set: {len(ruleset)} rules (bundled packs), as of {AS_OF}")
    with tempfile.TemporaryDirectory(prefix="eligibility-bench-") as tmp:
        src, dst = Path(tmp) / "register.parquet", Path(tmp) / "scored.parquet"
        code, wall, rss = run_child([__file__, "--_make-register", str(src), str(rows), str(seed), str(chunk),
                                     str(check)], Path(tmp) / "make.log")
        log = (Path(tmp) / "make.log").read_text(errors="replace")
        if code != 0:
            say(f"  register generation failed (exit {code}):\n{log[-3000:]}")
            return
        size = src.stat().st_size / 2**20
        say(f"  register: {rows:,} rows, {len(pq.ParquetFile(src).schema_arrow)} columns, {size:,.1f} MiB "
            f"Parquet, written in {wall:.1f} s by a child in chunks of {chunk:,} (peak RSS {rss:,.0f} MiB "
            f"{'< 2 GiB ✔' if rss < GOAL_RSS_MIB else '≥ 2 GiB ✘'}); USCCs checked with is_valid_uscc: "
            f"{'all' if check < 0 else f'first {check:,} of each chunk'}")
        valid, checked = profile_check(src, 2_000)
        say(f"  register sanity: {valid:,} of the first {checked:,} rows pass Profile validation "
            "(row_to_profile + Profile.from_data)")
        cmd = ["-m", "eligibility.cli", "score", str(src), "-o", str(dst), "--as-of", AS_OF]
        walls, rsss = [], []
        for _ in range(max(1, runs)):  # best of N: the machine is shared and noisy
            code, wall, rss = run_child(cmd, Path(tmp) / "score.log")
            if code != 0:
                break
            walls.append(wall)
            rsss.append(rss)
        log = (Path(tmp) / "score.log").read_text(errors="replace")
        if code == 0 and dst.exists():
            out_rows = pq.ParquetFile(dst).metadata.num_rows
            wall, rss = min(walls), max(rsss)
            rate = rows / wall
            runs_note = (f" (best of {len(walls)}; all: {', '.join(f'{w:.2f}' for w in walls)} s; RSS is the highest)"
                         if len(walls) > 1 else "")
            say(f"  eligibility score in.parquet -o out.parquet{runs_note}: {wall:,.2f} s wall, {fmt_rate(rate).strip()} "
                f"(goal ≥ {GOAL_ROWS_PER_S:,}: {'✔' if rate >= GOAL_ROWS_PER_S else '✘'}), peak RSS {rss:,.0f} MiB "
                f"(goal < {GOAL_RSS_MIB:,}: {'✔' if rss < GOAL_RSS_MIB else '✘'}); {out_rows:,} output rows, "
                f"{dst.stat().st_size / 2**20:,.1f} MiB")
            io_floor_report(src, dst, Path(tmp), rows, wall, len(walls))
            return
        last = tail_of(log)
        say(f"  Parquet path not available: CLI exit {code}: {last[:300]}")
        k = min(rows, fallback_rows)
        if k <= 0:
            return
        csv_in = Path(tmp) / "sample.csv"
        csv_sample(src, csv_in, k)
        cmd = ["-m", "eligibility.cli", "score", str(csv_in), "-o", str(dst), "--as-of", AS_OF]
        code, wall, rss = run_child(cmd, Path(tmp) / "score_csv.log")
        if code != 0:
            log = (Path(tmp) / "score_csv.log").read_text(errors="replace")
            say(f"  fallback CSV path failed too (exit {code}): {tail_of(log)}")
            return
        out_rows = pq.ParquetFile(dst).metadata.num_rows
        log = (Path(tmp) / "score_csv.log").read_text(errors="replace")
        for line in log.splitlines():
            if "读入" in line or "rows read" in line:
                say(f"  fallback CLI summary: {line.strip()}")
        say(f"  fallback, today's CLI: first {k:,} rows as CSV in → Parquet out, row by row: {wall:,.2f} s wall "
            f"(start-up included), {k / wall:,.0f} rows/s, peak RSS {rss:,.0f} MiB, {out_rows:,} output rows "
            f"(not comparable with the goal of {GOAL_ROWS_PER_S:,} rows/s on Parquet)")


# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--_make-register"]:
        path, rows, seed, chunk, check = argv[1:6]
        write_register(Path(path), int(rows), int(seed), int(chunk), int(check))
        return
    if argv[:1] == ["--_io-floor"]:
        io_floor(Path(argv[1]), Path(argv[2]), Path(argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows for Part A and Part B (default 1,000,000)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per contender, best and median reported")
    parser.add_argument("--parquet", action="store_true", help="also run Part B (CLI, Parquet in → Parquet out)")
    parser.add_argument("--stream-rows", type=int, default=0, metavar="N",
                        help="also run Part B on an N-row Parquet file written in chunks (e.g. 10000000)")
    parser.add_argument("--quick", action="store_true", help="smoke test: 100,000 rows, repeat 2")
    parser.add_argument("--no-memory", action="store_true", help="skip Part A")
    parser.add_argument("--sample", type=int, default=20_000, help="rows for the row-by-row interpreter (default 20,000)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--missing-kind", type=float, default=0.02,
                        help="share of certification items without a kind (invalid for the profile schema; default 0.02)")
    parser.add_argument("--chunk", type=int, default=500_000, help="register rows per Parquet write (default 500,000)")
    parser.add_argument("--check-uscc", type=int, default=-1,
                        help="USCCs validated per chunk with is_valid_uscc (default -1: all)")
    parser.add_argument("--timeout", type=float, default=3600.0,
                        help="seconds a child (register writer, CLI) may run before it is stopped (default 3600)")
    parser.add_argument("--fallback-rows", type=int, default=2_000,
                        help="rows scored through today's CSV CLI when Parquet input is not supported (0: skip)")
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.repeat = 100_000, 2
    global TIMEOUT
    TIMEOUT = args.timeout
    header()
    if not args.no_memory:
        part_a(args.rows, args.repeat, args.seed, args.sample, args.missing_kind)
    if args.parquet:
        part_b(args.rows, args.seed, "Parquet", args.chunk, args.check_uscc, args.fallback_rows, min(args.repeat, 3))
    if args.stream_rows:
        part_b(args.stream_rows, args.seed + 1, "streaming", args.chunk, args.check_uscc, args.fallback_rows)


if __name__ == "__main__":
    main()
