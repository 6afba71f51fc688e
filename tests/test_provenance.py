"""Determination ids: one id per (canonical profile, rule set, date), the same for every way of writing
the same profile, another when any of the three changes, and stable across releases (audits keep them)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import yaml

from eligibility.facts.profile import Profile
from eligibility.provenance import canonical_profile, determination_id, with_determination

ROOT = Path(__file__).resolve().parents[1]
HASH = "5eb629e2b3cdb832a62bf799a6d67f2cd122af0fc8c03039ea08f2bf363eacc9"
DAY = date(2024, 6, 30)


def _puer() -> Profile:
    return Profile.from_data(yaml.safe_load((ROOT / "examples/profiles/puer-manufacturer.yaml").read_text(encoding="utf-8")))


def test_the_same_profile_written_differently_has_one_canonical_text() -> None:
    forms = [{"uscc": "91530802MA6K4L2X1W", "revenue": r, "employees": e, "name": None}
             for r, e in (("2800万", 180), (28000000, 180.0), ("28000000.00", 180), (Decimal("2.8E+7"), 180))]
    texts = {canonical_profile(Profile.from_data(f)) for f in forms}
    assert len(texts) == 1 and '"revenue":"28000000"' in texts.pop()


def test_any_change_of_profile_rule_set_or_date_changes_the_id() -> None:
    p = _puer()
    base = determination_id(p, HASH, DAY)
    assert base == determination_id(_puer(), HASH, DAY)
    changed = Profile.from_data({**p.model_dump(exclude_none=True), "employees": 181})
    assert len({base, determination_id(changed, HASH, DAY), determination_id(p, "0" * 64, DAY),
                determination_id(p, HASH, date(2024, 7, 1))}) == 4
    assert with_determination({"version": "x", "ruleset_hash": HASH, "as_of": "2024-06-30"}, p)["determination_id"] == base


def test_the_id_of_an_example_is_stable_across_releases() -> None:
    # an auditor compares ids made years apart: a change here breaks every id already issued
    assert determination_id(_puer(), HASH, DAY) == "2f4bc0c4d9074b31cdbce8d4d7e37284dc25ce0452f2d329e48d653a00ec68da"
