"""The overlaps CATALOG.md names, across packs (the packs' own YAML tests cover each rule)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

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


def test_property_and_land_tax_relief_is_exactly_full_never_more() -> None:
    """六税两费 halving (whichever rule wins its group) + the zone's full exemption = 100% of the two taxes."""
    taxes = {"property": 6000, "urban_land_use": 3000}
    ev = ENGINE.evaluate({**ZONE, "vat_taxpayer": "small_scale", "vat_filing_period": "month", "monthly_sales": 25_000,
                          "taxes_due": taxes}, date(2020, 6, 30))
    halving = next(r for r in ev.results if r.rule.group == "tax.six-taxes" and r.status == "eligible")
    exemption = ev["tengger.property-land-tax-exemption"]
    assert halving.amount + exemption.amount == Decimal(9000)
