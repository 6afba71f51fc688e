"""What-if: overrides build a changed rule set by model copies (amounts, dated parameters at as_of) with
bilingual did-you-mean errors; the comparison equals the difference of two independent Engine.score
runs, chunked or not; the CLI prints and writes the changes and the HTML report (tests/report has the page)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import eligibility as el
from eligibility.cli import app
from eligibility.model import expr as x
from eligibility.whatif import OverrideError, WhatIf, apply_overrides, what_if, write_changes

ROOT = Path(__file__).resolve().parents[1]
REGISTER = ROOT / "examples" / "register.csv"
AS_OF = date(2025, 6, 30)
GRANT = "puer.new-industrial-above-scale"
VAT = "cn.small-scale-vat-exemption"
SETTINGS = [f"{GRANT}.amount=60万", f"{VAT}.params.monthly_limit=15万"]
runner = CliRunner()


@pytest.fixture(scope="module")
def base() -> el.RuleSet:
    return el.load_rules()


@pytest.fixture(scope="module")
def changed(base: el.RuleSet) -> el.RuleSet:
    return apply_overrides(base, SETTINGS, AS_OF)


@pytest.fixture(scope="module")
def result(base: el.RuleSet, changed: el.RuleSet) -> WhatIf:
    return what_if(REGISTER, base, changed, AS_OF, settings=SETTINGS)


# -- overrides -----------------------------------------------------------------------------------
def test_overrides_copy_only_what_they_change(base: el.RuleSet, changed: el.RuleSet) -> None:
    grant = changed[GRANT]
    assert grant.benefit.amount == x.Literal(Decimal(600_000), "money") and grant.benefit.amount_text == "60万"
    assert base[GRANT].benefit.amount == x.Literal(Decimal(500_000), "money")  # the base is untouched
    assert replace(grant, benefit=base[GRANT].benefit) == base[GRANT]
    limits = changed[VAT].params["monthly_limit"].values
    assert [(v.start, v.value.value) for v in limits] == [  # type: ignore[attr-defined]
        (date(2019, 1, 1), Decimal(100_000)), (date(2021, 4, 1), Decimal(150_000)), (date(2023, 1, 1), Decimal(150_000))]
    assert limits[-1].basis == "what-if: 15万"
    untouched = [rid for rid in base if rid not in (GRANT, VAT)]
    assert all(changed[rid] is base[rid] for rid in untouched)
    assert changed.hash != base.hash and changed.hash == apply_overrides(base, SETTINGS, AS_OF).hash


def test_a_parameter_override_changes_the_decision_at_as_of(base: el.RuleSet, changed: el.RuleSet) -> None:
    firm = {"region_code": "530802", "vat_taxpayer": "small_scale", "vat_filing_period": "month",
            "monthly_sales": "12万"}
    before = {r.rule_id: r for r in el.Engine(base).evaluate(firm, AS_OF).results}[VAT]
    after = {r.rule_id: r for r in el.Engine(changed).evaluate(firm, AS_OF).results}[VAT]
    assert (before.status, after.status) == (el.INELIGIBLE, el.ELIGIBLE)
    assert after.amount == Decimal("1200.00")  # 12万 × 1% levy


@pytest.mark.parametrize(("setting", "zh", "en", "suggestion"), [
    (f"{GRANT[:-1]}.amount=60万", f"没有 id 为 '{GRANT[:-1]}' 的规则，是否想找 '{GRANT}'？",
     f"no rule with id '{GRANT[:-1]}'; did you mean '{GRANT}'?", GRANT),
    (f"{GRANT}.amout=60万", "没有可设置的 'amout'，是否想写 'amount'？", "has no setting 'amout'; did you mean 'amount'?",
     f"{GRANT}.amount"),
    (f"{VAT}.params.monthly_limt=15万", f"规则 '{VAT}' 没有参数 'monthly_limt'，是否想写 'monthly_limit'？",
     f"rule '{VAT}' has no parameter 'monthly_limt'; did you mean 'monthly_limit'?", f"{VAT}.params.monthly_limit"),
    (f"{VAT}.params.monthly_limit=15%", "参数 'monthly_limit' 的取值应为金额常量", "takes a constant money", None),
    ("kailu.bid-bond-waiver.amount=1万", "的待遇没有金额", "has no amount to set", None),
    (f"{GRANT}.amount", "覆盖设置应写作", "an override is RULE.amount=VALUE", None),
    (f"{GRANT}.amount=60万万", "无法读取", "cannot read the value", None),
])
def test_bad_overrides_say_what_and_where_in_both_languages(base: el.RuleSet, setting: str, zh: str, en: str,
                                                             suggestion: str | None) -> None:
    with pytest.raises(OverrideError) as caught:
        apply_overrides(base, [setting], AS_OF)
    exc = caught.value
    assert zh in exc.message("zh") and en in exc.message("en")
    assert exc.message("en").startswith(f"--set {setting}: ")
    assert exc.suggestion == suggestion


def test_a_parameter_without_a_value_on_as_of_is_refused(base: el.RuleSet) -> None:
    with pytest.raises(OverrideError, match="no value in force on 2018-06-30"):
        apply_overrides(base, [f"{VAT}.params.monthly_limit=15万"], date(2018, 6, 30))


# -- the comparison --------------------------------------------------------------------------------
def _pairs(scored: pd.DataFrame) -> pd.DataFrame:
    lines = scored[scored["rule_id"].notna()]
    return pd.DataFrame({"row": lines["row"].astype("int64"), "rule_id": lines["rule_id"].astype(str),
                         "status": lines["status"].astype(str),
                         "amount": ["" if pd.isna(v) else str(v) for v in lines["amount"].astype(object)]})


def test_impacts_and_changes_equal_two_independent_scoring_runs(result: WhatIf, base: el.RuleSet,
                                                               changed: el.RuleSet, register: pd.DataFrame) -> None:
    eb, ea = el.Engine(base), el.Engine(changed)
    sb, sa = eb.score(register, AS_OF), ea.score(register, AS_OF)
    before = {r["rule_id"]: r for r in eb.summarize(sb).to_dict("records")}
    after = {r["rule_id"]: r for r in ea.summarize(sa).to_dict("records")}
    for imp in result.impacts:
        if imp.rule_id in before:
            assert (imp.eligible_before, imp.budget_before) == (before[imp.rule_id]["eligible"],
                                                                before[imp.rule_id]["amount_total"]), imp.rule_id
            assert (imp.eligible_after, imp.budget_after) == (after[imp.rule_id]["eligible"],
                                                              after[imp.rule_id]["amount_total"]), imp.rule_id
    merged = _pairs(sb).merge(_pairs(sa), on=["row", "rule_id"], how="outer", suffixes=("_b", "_a"))
    differs = (merged["status_b"] != merged["status_a"]) | (merged["amount_b"] != merged["amount_a"])
    expected = sorted(zip(merged["row"][differs], merged["rule_id"][differs]))
    assert sorted(zip(result.changes["row"], result.changes["rule_id"])) == expected
    assert {i.rule_id for i in result.changed_impacts()} == {GRANT, VAT}
    grant = next(i for i in result.impacts if i.rule_id == GRANT)
    assert grant.budget_delta == Decimal(100_000) * grant.eligible_after and grant.eligible_delta == 0
    vat = next(i for i in result.impacts if i.rule_id == VAT)
    assert vat.eligible_delta > 0 and vat.budget_delta > 0
    flips = result.changes[(result.changes["rule_id"] == VAT)]
    assert set(zip(flips["status_before"], flips["status_after"])) == {("ineligible", "eligible")}
    assert result.budget_delta == sum((i.budget_delta for i in result.changed_impacts()), Decimal(0))
    assert result.rows_read == 2400 and result.rows_error == 0


def test_chunks_give_the_same_result(result: WhatIf, base: el.RuleSet, changed: el.RuleSet,
                                     register: pd.DataFrame) -> None:
    chunked = what_if(register, base, changed, AS_OF, chunk_size=700, settings=SETTINGS)
    assert chunked.impacts == result.impacts
    assert chunked.listed() == result.listed()


def test_rules_only_on_one_side_show_as_out_of_scope(register: pd.DataFrame) -> None:
    part = register.iloc[:600]
    puer, both = el.load_rules("puer"), el.load_rules("puer", "wugong")
    res = what_if(part, puer, both, AS_OF, against="puer, wugong")
    assert {i.rule_id for i in res.changed_impacts()} == {r.id for r in both.rules if r.id.startswith("wugong.")}
    assert set(res.changes["status_before"]) == {"out_of_scope"}
    wugong = el.Engine(el.load_rules("wugong")).score(part, AS_OF)
    assert len(res.changes) == int(wugong["rule_id"].notna().sum())


def test_changes_are_written_as_csv_and_parquet(result: WhatIf, tmp_path: Path) -> None:
    back = pd.read_parquet(write_changes(result, tmp_path / "c.parquet"))
    assert back["amount_after"].astype(object).tolist() == result.changes["amount_after"].astype(object).tolist()
    text = pd.read_csv(write_changes(result, tmp_path / "c.csv"), dtype=str)
    first = result.listed(1)[0]
    assert text.iloc[0]["amount_after"] == f"{first.amount_after:.2f}" and len(text) == len(result.changes)


# -- CLI -------------------------------------------------------------------------------------------
def test_cli_prints_and_writes_the_changes_and_the_report(tmp_path: Path) -> None:
    csv, html = tmp_path / "changes.csv", tmp_path / "whatif.html"
    args = ["whatif", str(REGISTER), "--as-of", "2025-06-30", "-o", str(csv), "--report", str(html), "--lang", "en"]
    for s in SETTINGS:
        args += ["--set", s]
    out = runner.invoke(app, args)
    assert out.exit_code == 0, out.output
    assert out.stdout.startswith("what-if: per-rule change") and "26 other rules unchanged" in out.stdout
    assert "budget change in all: +305,926.00 yuan" in out.stdout and "72 more changes (-o writes them all)" in out.stdout
    changes = pd.read_csv(csv, dtype=str)
    assert len(changes) == 92 and set(changes["rule_id"]) == {GRANT, VAT}
    assert "What-if" in html.read_text(encoding="utf-8")


@pytest.mark.parametrize(("args", "message"), [
    ([], "give --against or at least one --set"),
    (["--set", f"{GRANT}.amout=1万"], "did you mean 'amount'?"),
    (["--set", f"{GRANT}.amount=1万", "-o", "x.xlsx"], "expected .csv or .parquet"),
])
def test_cli_refuses_bad_requests(args: list[str], message: str) -> None:
    out = runner.invoke(app, ["whatif", str(REGISTER), "--lang", "en", *args])
    assert out.exit_code == 2 and message in out.stderr
