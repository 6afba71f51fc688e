"""Score a register on Spark with the vectorized backend (``mapInPandas``), and check the result.

    pip install pyspark            # not a dependency of this library; needs Java 17+
    python examples/spark_score.py [examples/register.csv] [--as-of 2024-06-30] [--partitions 4]

Every Spark partition is scored by ``Engine.score`` on a pandas frame; the engine is built once per
Python worker process (cached at module level), not once per batch. Two things are global over the
whole register and are done in Spark around the per-partition scoring:

- row numbers: ``zipWithIndex`` numbers the input records 1, 2, … in file order (the ``row`` column
  means the same as in ``eligibility score``), and each partition's output is renumbered with them;
- repeated USCCs: ``duplicate_of`` is recomputed over the whole register (first row of each USCC),
  since a partition only sees its own duplicates.

Amounts come back as ``decimal(18,2)`` (exact; never floats). The script then scores the same
records with ``Engine.score`` in this process and checks that both long tables are equal, row by
row and column by column. The first three records are appended again at the end so that the check
covers duplicates across partitions.
"""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
ROW = "_row"

_ENGINE = None  # one per Python worker process


def engine():
    global _ENGINE
    if _ENGINE is None:
        import eligibility as el

        _ENGINE = el.Engine(el.load_rules())
    return _ENGINE


def output_schema():
    from pyspark.sql import types as T

    s = T.StringType()
    return T.StructType([
        T.StructField("row", T.LongType()), T.StructField("entity_id", s), T.StructField("rule_id", s),
        T.StructField("status", s), T.StructField("amount", T.DecimalType(18, 2)), T.StructField("amount_kind", s),
        T.StructField("superseded_by", s), T.StructField("missing", T.ArrayType(s)), T.StructField("failed", s),
        T.StructField("reason", s), T.StructField("duplicate_of", T.LongType()),
    ])


def plain(out: pd.DataFrame) -> pd.DataFrame:
    """The long table in types Spark's Arrow conversion takes: str / Decimal / list / int64 (nullable)."""
    def text(col: pd.Series) -> pd.Series:
        return pd.Series([None if pd.isna(v) else str(v) for v in col], dtype=object, index=col.index)

    res = pd.DataFrame(index=out.index)
    res["row"] = out["row"].astype("int64")
    for c in ("entity_id", "rule_id", "status"):
        res[c] = text(out[c])
    res["amount"] = pd.Series([None if pd.isna(v) else Decimal(v) for v in out["amount"].astype(object)],
                              dtype=object, index=out.index)
    for c in ("amount_kind", "superseded_by"):
        res[c] = text(out[c])
    res["missing"] = pd.Series([None if v is None or v is pd.NA else list(v) for v in out["missing"].astype(object)],
                               dtype=object, index=out.index)
    for c in ("failed", "reason"):
        res[c] = text(out[c])
    res["duplicate_of"] = out["duplicate_of"].astype("Int64") if "duplicate_of" in out else pd.NA
    return res


def score_batches(batches, as_of: str, names: list[str]):
    """mapInPandas function: score each batch, renumber its rows with the global row numbers.
    ``names``: the register's column names (Spark sees them with "." replaced, see spark_score)."""
    import numpy as np

    eng = engine()
    for pdf in batches:
        if pdf.empty:
            continue
        rows = pdf.pop(ROW).to_numpy(dtype=np.int64)
        pdf.columns = names
        out = eng.score(pdf.reset_index(drop=True), as_of)  # rows numbered 1..len(pdf)
        out["row"] = rows[out["row"].to_numpy(dtype=np.int64) - 1]
        yield plain(out)


def spark_score(spark, path: str, as_of: str, partitions: int):
    from pyspark.sql import Window
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    df = (spark.read.option("header", True).option("escape", '"').option("multiLine", True)
          .option("inferSchema", False).csv(path))  # every column as text, as the CLI reads CSV
    names = df.columns
    df = df.toDF(*(c.replace(".", "__") for c in names))  # nested fields are dotted: not Spark struct paths
    df = df.unionByName(df.limit(3))  # repeat three firms at the end: duplicates across partitions
    schema = T.StructType([*df.schema.fields, T.StructField(ROW, T.LongType())])
    numbered = df.rdd.zipWithIndex().map(lambda t: (*t[0], t[1] + 1)).toDF(schema).repartition(partitions, ROW)
    scored = numbered.mapInPandas(lambda it: score_batches(it, as_of, names), output_schema())
    # repeated USCCs over the whole register: the first row of each USCC
    first = F.min("row").over(Window.partitionBy("entity_id"))
    return scored.withColumn("duplicate_of", F.when(F.col("entity_id").isNotNull() & (first < F.col("row")), first)
                             .otherwise(F.lit(None).cast("long")))


def canonical(df: pd.DataFrame) -> pd.DataFrame:
    """For comparing: plain Python values, rows in (row, rule_id) order."""
    p = df.copy()
    p["missing"] = pd.Series([None if v is None else tuple(v) for v in p["missing"]], dtype=object, index=p.index)
    p["duplicate_of"] = pd.Series([None if pd.isna(v) else int(v) for v in p["duplicate_of"]], dtype=object,
                                  index=p.index)
    p["_rule"] = p["rule_id"].fillna("")
    return p.sort_values(["row", "_rule"], kind="stable").drop(columns="_rule").reset_index(drop=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("register", nargs="?", default=str(HERE / "register.csv"))
    parser.add_argument("--as-of", default="2024-06-30")
    parser.add_argument("--partitions", type=int, default=4)
    args = parser.parse_args()

    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master("local[2]").appName("eligibility-score")
             .config("spark.sql.execution.arrow.pyspark.enabled", "true")
             .config("spark.sql.session.timeZone", "UTC").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    try:
        got = spark_score(spark, args.register, args.as_of, args.partitions).toPandas()
    finally:
        spark.stop()

    # the reference: the same records, Engine.score in this process
    ref_in = pd.read_csv(args.register, dtype=str, keep_default_na=False)
    ref_in = pd.concat([ref_in, ref_in.head(3)], ignore_index=True)
    ref_in = ref_in.astype(object).where(ref_in != "", None)
    ref = engine().score(ref_in, args.as_of)

    a, b = canonical(plain(got)), canonical(plain(ref))
    print(f"Spark: {len(got):,} output rows from {len(ref_in):,} records in {args.partitions} partitions; "
          f"Engine.score: {len(ref):,} output rows")
    print(f"eligible: {int((a['status'] == 'eligible').sum()):,}; duplicates flagged: "
          f"{sum(v is not None for v in a['duplicate_of']):,}; eligible total "
          f"{sum((v for v, s in zip(a['amount'], a['status'], strict=True) if s == 'eligible' and v is not None), Decimal(0)):,} 元")
    if a.shape != b.shape:
        print("DIFFERENT: shapes", a.shape, b.shape)
        return 1
    bad = [c for c in a.columns if not all(x == y or (x is None and y is None) for x, y in zip(a[c], b[c], strict=True))]
    if bad:
        for c in bad:
            diff = [(a["row"][i], a["rule_id"][i], x, y) for i, (x, y) in enumerate(zip(a[c], b[c], strict=True))
                    if x != y][:3]
            print(f"DIFFERENT in {c}: {diff}")
        return 1
    print("equal to Engine.score on the same records: yes (every row, every column)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
