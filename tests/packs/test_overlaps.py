"""The overlaps CATALOG.md names, across packs (the packs' own YAML tests cover each rule)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

import eligibility as el

ENGINE = el.Engine(el.load_rules())
ZONE = {"region_code": "152921", "development_zone": "腾格里经济技术开发区"}


def test_vat_2021_national_threshold_decides() -> None:
    ev = ENGINE.evaluate({**ZONE, "vat_taxpayer": "small_scale", "vat_filing_period": "month",
                          "monthly_sales": 120_000}, date(2021, 6, 30))
    assert ev["cn.small-scale-vat-exemption"].status == "eligible"
    assert ev["tengger.small-scale-vat-exemption"].status == "ineligible"
    assert "超出 2万元" in ev["tengger.small-scale-vat-exemption"].explain()


def test_specialised_tiers_do_not_stack() -> None:
    ev = ENGINE.evaluate({"region_code": "530802", "certifications": [
        {"kind": "little_giant", "level": "national", "certified_on": "2024-01-15"},
        {"kind": "specialised_sme", "level": "municipal", "certified_on": "2024-02-01"}]}, date(2024, 6, 30))
    assert (ev["puer.little-giant-national"].status, ev["puer.little-giant-national"].amount) == ("eligible", 300_000)
    assert ev["puer.specialised-municipal"].superseded_by == "puer.little-giant-national"
    assert ev.total() == 300_000


TAXES = {"resource": 2000, "urban_maintenance": 1400, "property": 6000, "urban_land_use": 3000, "stamp": 500,
         "education_surcharge": 600, "local_education_surcharge": 400}
TWO = Decimal(TAXES["property"] + TAXES["urban_land_use"])
OTHERS_HALVED = Decimal(sum(TAXES.values())) / 2 - TWO / 2
HALVING = ("cn.six-taxes-halved", "tengger.small-scale-six-taxes-halved")


@pytest.mark.parametrize("day", [date(2020, 6, 30), date(2021, 6, 30)])
def test_property_and_land_tax_relief_is_exactly_full_never_more(day: date) -> None:
    """The zone's exemption relieves property and land-use tax in full, and both 六税两费 halving rules
    (whichever wins their group) leave those two taxes out of their own amount: 100%, never 150%."""
    ev = ENGINE.evaluate({**ZONE, "vat_taxpayer": "small_scale", "vat_filing_period": "month", "monthly_sales": 25_000,
                          "taxes_due": TAXES}, day)
    exemption = ev["tengger.property-land-tax-exemption"]
    assert (exemption.status, exemption.amount) == ("eligible", TWO)
    for rule_id in HALVING:
        assert ev[rule_id].amount == OTHERS_HALVED, rule_id
    assert ev["tengger.small-scale-six-taxes-halved"].superseded_by == "cn.six-taxes-halved"
    relief_on_two = exemption.amount + sum(ev[r].amount for r in HALVING if ev[r].status == "eligible") - OTHERS_HALVED
    assert relief_on_two == TWO
    text = exemption.explain()
    assert "全额免征" in text and "9,000元" in text and "4,500元" not in text


def test_property_and_land_tax_halved_once_the_zone_exemption_has_ended() -> None:
    """2022: the zone's clause (九) has ended; the national halving relieves half of the two taxes."""
    ev = ENGINE.evaluate({**ZONE, "vat_taxpayer": "small_scale", "vat_filing_period": "month", "monthly_sales": 25_000,
                          "taxes_due": TAXES}, date(2022, 6, 30))
    assert "tengger.property-land-tax-exemption" not in [r.rule_id for r in ev.results]
    assert ev["cn.six-taxes-halved"].amount == OTHERS_HALVED + TWO / 2


def test_a_firm_without_the_exemption_has_the_two_taxes_halved_by_either_rule() -> None:
    ev = ENGINE.evaluate({**ZONE, "vat_taxpayer": "small_scale", "vat_filing_period": "month", "monthly_sales": 50_000,
                          "taxes_due": TAXES}, date(2021, 6, 30))
    assert ev["tengger.property-land-tax-exemption"].status == "ineligible"
    for rule_id in HALVING:
        assert ev[rule_id].amount == OTHERS_HALVED + TWO / 2, rule_id
