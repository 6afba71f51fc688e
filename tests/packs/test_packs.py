"""The bundled packs as a whole: every catalogue measure present under its id, every quote verbatim
in the shipped source text, every rule with notes and tests, every rule test passing, docs current."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

import eligibility as el
from eligibility.catalogue import render_catalogue, stale_pages
from eligibility.engine import Engine
from eligibility.io.rules import bundled_rules_dir
from eligibility.testing.runner import run_test

ROOT = Path(__file__).resolve().parents[2]

# ../shared/seeds/CATALOG.md: every row, under exactly this id
CATALOG_IDS = {
    # 002 普洱市
    "puer.new-industrial-above-scale", "puer.small-to-above-scale", "puer.single-champion",
    "puer.little-giant-national", "puer.little-giant-provincial", "puer.specialised-growth",
    "puer.specialised-municipal", "puer.trade-monthly-upgrade", "puer.catering-monthly-upgrade",
    "puer.trade-annual-upgrade", "puer.catering-annual-upgrade",
    # 000 开鲁县
    "kailu.sme-reserved-procurement", "kailu.small-micro-price-deduction", "kailu.bid-bond-waiver",
    # 001 腾格里经济技术开发区
    "tengger.small-scale-vat-exemption", "tengger.small-low-profit-income-tax",
    "tengger.income-tax-local-share-exemption", "tengger.small-scale-six-taxes-halved",
    "tengger.property-land-tax-exemption", "tengger.vehicle-tax-halved", "tengger.zero-investment-grid-connection",
    "tengger.large-industry-tariff-option", "tengger.startup-guarantee-loan", "tengger.graduate-social-insurance-subsidy",
    "tengger.free-company-setup", "tengger.tech-transfer-award",
    # 003 武功县
    "wugong.simplified-deregistration", "wugong.credit-light-inspection",
    # 004 鄂尔多斯市
    "ordos.small-micro-vat-credit-refund", "ordos.social-insurance-deferral-catch-up", "ordos.injury-insurance-deferral",
    "ordos.guarantee-fee-cap", "ordos.struggling-industrial-firm",
    # national baseline
    "cn.small-low-profit-income-tax", "cn.small-scale-vat-exemption", "cn.six-taxes-halved",
}
BUNDLED = el.load_rules()
EVERYTHING = el.load_rules(*(p.name for p in sorted(bundled_rules_dir().iterdir()) if p.is_dir()))


def test_every_catalogue_measure_is_encoded_under_its_id() -> None:
    assert set(BUNDLED) == CATALOG_IDS


def test_examples_are_not_loaded_by_default() -> None:
    assert not any(rule_id.startswith("examples.") for rule_id in BUNDLED)


@pytest.mark.parametrize("rule", EVERYTHING.rules, ids=lambda r: r.id)
def test_quote_is_verbatim_in_the_shipped_source(rule: el.Rule) -> None:
    if rule.id.startswith("examples."):
        return  # demo rules quote the seeds too, but do not ship them twice
    if rule.source.periods:  # cited by period: a quote exactly where the period's text is shipped
        for c in rule.source.periods + rule.source.restatements:
            assert (c.quote is not None) == (c.text is not None), f"{rule.id}: {c.document} quote without text or text without quote"
            assert c.quote is None or c.quote in c.text, f"{rule.id}: {c.document} quote not found verbatim"
        return
    source = rule.source.document.source_text
    assert source is not None, f"{rule.id}: its document ships no source text (document.source)"
    assert rule.source.quote in source, f"{rule.id}: quote not found verbatim in {rule.source.document.file}"


@pytest.mark.parametrize("rule", [r for r in EVERYTHING.rules if r.id.startswith("cn.")], ids=lambda r: r.id)
def test_national_rules_cite_each_period_and_the_seed_only_as_a_local_restatement(rule: el.Rule) -> None:
    """Every day a national rule is in force has one period citation (a document number and article);
    the seed's restatement is local: 腾格里 (152921 and the zone), 2019-2021 only."""
    periods = rule.source.periods
    assert periods and periods[0].period.start == rule.effective.start and periods[-1].period.end == rule.effective.end
    for a, b in zip(periods, periods[1:]):
        assert a.period.end is not None and b.period.start is not None
        assert (b.period.start - a.period.end).days == 1
    assert all(c.document and c.clause.startswith("第") and c.where is None for c in periods)
    assert "阿腾党发" not in rule.source.clause and not rule.source.quote
    (local,) = rule.source.restatements
    assert "阿腾党发〔2021〕50号" in local.document and local.quote
    assert local.where is not None and local.where.code == "152921" and local.where.development_zone == "腾格里经济技术开发区"
    assert (local.period.start, local.period.end) == (date(2019, 1, 1), date(2021, 12, 31))


@pytest.mark.parametrize("rule", EVERYTHING.rules, ids=lambda r: r.id)
def test_rule_has_notes_and_tests(rule: el.Rule) -> None:
    assert rule.notes.strip(), f"{rule.id} states no reading in notes"
    assert rule.tests, f"{rule.id} has no tests"
    statuses = {t.expect.status for t in rule.tests}
    assert "eligible" in statuses or "superseded" in statuses, f"{rule.id}: no passing example"
    assert "ineligible" in statuses or "out_of_scope" in statuses, f"{rule.id}: no failing example"


ENGINE = Engine(EVERYTHING)
CASES = [(rule, test) for rule in EVERYTHING.rules for test in rule.tests]


@pytest.mark.parametrize(("rule", "case"), CASES, ids=[f"{r.id}:{t.line}" for r, t in CASES])
def test_rule_test(rule: el.Rule, case) -> None:  # type: ignore[no-untyped-def]
    outcome = run_test(ENGINE, rule, case)
    assert outcome.passed, outcome.report("zh")


def test_catalogue_pages_are_current() -> None:
    pages = render_catalogue(BUNDLED, bundled_rules_dir())
    stale = stale_pages(pages, ROOT / "docs" / "rules")
    assert not stale, f"docs/rules out of date: {stale}; run `eligibility rules docs`"
