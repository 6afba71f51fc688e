"""Scoring on a Dask cluster (eligibility.dask) gives the single-machine tables, row numbers and
duplicates included, and the ``score --dask`` command writes them as partitioned Parquet."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from typer.testing import CliRunner

import eligibility as el

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
eld = pytest.importorskip("eligibility.dask")

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2024-06-30"
PARTITIONS = 5
RECONCILE = ("rows_read", "rows_error", "rows_scored", "rows_no_rule")


@pytest.fixture(scope="module")
def client():  # type: ignore[no-untyped-def]
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0")
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.fixture(scope="module")
def engine() -> el.Engine:
    return el.Engine(el.load_rules())


@pytest.fixture(scope="module")
def register() -> pd.DataFrame:
    df = pd.read_csv(ROOT / "examples" / "register.csv", dtype=str, keep_default_na=False)
    uscc = df.loc[7, "uscc"]
    df.loc[7, "uscc"] = uscc[:-1] + ("X" if uscc[-1] != "X" else "Y")  # bad check character
    df.loc[700, "revenue"] = "12x3"
    df.loc[1300, "region_code"] = "999999"
    df.loc[2300, "uscc"] = " " + df.loc[3, "uscc"].lower() + " "  # repeats row 4 (first partition), late
    return df


@pytest.fixture(scope="module")
def ddf(register: pd.DataFrame):  # type: ignore[no-untyped-def]
    out = dd.from_pandas(register, npartitions=PARTITIONS)
    assert out.npartitions >= 4
    return out


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["row", "rule_id"], kind="stable").reset_index(drop=True)


def _same_long(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    got, expected = _sorted(got), _sorted(expected)
    assert list(got.columns) == list(expected.columns)
    assert got.dtypes.equals(expected.dtypes)
    assert_frame_equal(got, expected)  # every column, missing facts included (listed in name order)


def test_long_table_equals_whole_frame(client, engine, register, ddf) -> None:  # type: ignore[no-untyped-def]
    scored = eld.score(ddf, engine, AS_OF)
    assert isinstance(scored, dd.DataFrame)
    got = scored.compute()
    expected = engine.score(register, AS_OF)
    _same_long(got, expected)

    errors = got[(got["status"] == "error") & got["rule_id"].isna()].set_index("row")["reason"]
    assert sorted(errors.index) == [8]  # global row numbers: the bad USCC is a row-level failure
    fields = got[(got["status"] == "error") & got["rule_id"].notna()]
    assert set(fields["row"]) <= {701, 1301} and 1301 in set(fields["row"])  # field errors: rules reading them
    assert got.loc[got["row"] == 2301, "duplicate_of"].unique().tolist() == [4]  # across partitions
    assert got.loc[got["row"] == 4, "duplicate_of"].isna().all()
    assert got["row"].min() == 1 and got["row"].max() == len(register)


def test_wide_table_equals_whole_frame(client, engine, register, ddf) -> None:  # type: ignore[no-untyped-def]
    got = eld.score(ddf, engine, AS_OF, wide=True).compute().reset_index(drop=True)
    expected = engine.score(register, AS_OF, wide=True)
    assert_frame_equal(got, expected)
    assert got.loc[got["row"] == 2301, "duplicate_of"].tolist() == [4]


def test_summary_equals_whole_frame(client, engine, register, ddf) -> None:  # type: ignore[no-untyped-def]
    got = eld.summarize(eld.score(ddf, engine, AS_OF), engine)
    expected = engine.summarize(engine.score(register, AS_OF))
    assert_frame_equal(got, expected)
    assert {k: got.attrs[k] for k in RECONCILE} == {k: expected.attrs[k] for k in RECONCILE}
    assert got.attrs["rows_read"] == len(register) and got.attrs["rows_error"] == 1
    assert got.attrs["rows_duplicate"] == 1


def test_engine_score_dispatches_dask(client, engine, ddf) -> None:  # type: ignore[no-untyped-def]
    scored = engine.score(ddf, AS_OF)
    assert isinstance(scored, dd.DataFrame)
    assert list(scored.columns) == list(engine.score(ddf.head(0), AS_OF).columns)


def test_rules_alone_and_no_uscc_column(client, engine, register) -> None:  # type: ignore[no-untyped-def]
    small = register.iloc[:300].drop(columns=["uscc"])
    got = eld.score(dd.from_pandas(small, npartitions=3), engine.rules, AS_OF).compute()
    _same_long(got, engine.score(small, AS_OF))


def test_read_register_rejects_non_parquet(tmp_path: Path) -> None:
    with pytest.raises(el.EligibilityError, match="Parquet"):
        eld.read_register(ROOT / "examples" / "register.csv")
    with pytest.raises(el.EligibilityError, match="Parquet"):
        eld.read_register(tmp_path)


def test_cli_score_dask(engine, register, ddf, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from eligibility.cli import app

    source = tmp_path / "register"
    ddf.to_parquet(source, write_index=False)
    assert len(list(source.glob("*.parquet"))) >= 2
    target = tmp_path / "scored"
    runner = CliRunner()
    result = runner.invoke(app, ["score", str(source), "-o", str(target), "--dask", "local:2", "--as-of", AS_OF,
                                 "--lang", "en", "--keep", "industry_code"])
    assert result.exit_code == 0, result.output
    assert "rows read 2400 = scored" in result.output and "errors 1" in result.output  # field errors: scored rows
    assert (target.with_name(target.name + ".summary.csv")).exists()
    # Arrow types on the way back (pandas cannot rebuild list<string> from the pandas metadata)
    back = dd.read_parquet(target, dtype_backend="pyarrow").compute()
    assert list(back.columns[:4]) == ["row", "entity_id", "name", "industry_code"]  # carried after entity_id
    at = back["row"].to_numpy(dtype="int64") - 1
    assert (back["name"].to_numpy() == register["name"].to_numpy()[at]).all()
    assert (back["industry_code"].to_numpy() == register["industry_code"].to_numpy()[at]).all()
    back = back.drop(columns=["name", "industry_code"])
    expected = engine.score(register, AS_OF)
    assert list(back.columns) == list(expected.columns)
    assert str(back["amount"].dtype) == "decimal128(18, 2)[pyarrow]"
    for c in back.columns:  # dictionaries come back as Arrow dictionaries: compare the values
        back[c] = back[c].astype(expected[c].dtype)
    _same_long(back, expected)
    summary = pd.read_csv(target.with_name(target.name + ".summary.csv"), dtype={"amount_total": str})
    exp_summary = engine.summarize(expected)
    assert summary["rule_id"].tolist() == exp_summary["rule_id"].tolist()
    assert summary["eligible"].tolist() == exp_summary["eligible"].tolist()
    assert summary["amount_total"].tolist() == [f"{v:.2f}" for v in exp_summary["amount_total"]]

    bad = runner.invoke(app, ["score", str(source), "-o", str(tmp_path / "x"), "--dask", "cluster"])
    assert bad.exit_code == 2 and "--dask" in bad.output
    unknown = runner.invoke(app, ["score", str(source), "-o", str(tmp_path / "z"), "--dask", "local:1", "--keep", "备注"])
    assert unknown.exit_code == 2 and "备注" in unknown.output and "industry_code" in unknown.output
    csv_input = runner.invoke(app, ["score", str(ROOT / "examples" / "register.csv"), "-o", str(tmp_path / "y"),
                                    "--dask", "local:1"])
    assert csv_input.exit_code == 2 and "Parquet" in csv_input.output
