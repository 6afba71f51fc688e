"""The shipped examples: profiles evaluate to what their index says, cover every jurisdiction, and
the example register is the one its generator makes."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

import eligibility as el
from eligibility.facts.codes import region_under

ROOT = Path(__file__).resolve().parents[1]
PROFILES = ROOT / "examples" / "profiles"
EXPECTED = yaml.safe_load((PROFILES / "expected.yaml").read_text(encoding="utf-8"))
ENGINE = el.Engine(el.load_rules())


def test_every_profile_is_indexed_and_there_are_at_least_twelve() -> None:
    files = {p.stem for p in PROFILES.glob("*.yaml")} - {"expected"}
    assert files == set(EXPECTED) and len(files) >= 12


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_profile_gets_what_its_index_says(name: str) -> None:
    text = (PROFILES / f"{name}.yaml").read_text(encoding="utf-8")
    assert text.startswith("# "), "each example starts with a comment saying who the firm is"
    want = EXPECTED[name]
    ev = ENGINE.evaluate(yaml.safe_load(text), want["as_of"])
    assert sorted(r.rule_id for r in ev.eligible) == sorted(want["eligible"])
    assert sorted(r.rule_id for r in ev.by_status("superseded")) == sorted(want["superseded"])
    assert ev.total() == Decimal(str(want["total"]))


def test_examples_cover_every_jurisdiction_and_a_firm_with_no_grant() -> None:
    regions = [yaml.safe_load((PROFILES / f"{n}.yaml").read_text(encoding="utf-8")).get("region_code", "") for n in EXPECTED]
    for prefix in ("150523", "152921", "5308", "610431", "1506"):
        assert any(region_under(r, prefix) for r in regions), prefix
    assert any(not any(rid.startswith("puer.") for rid in v["eligible"]) for k, v in EXPECTED.items() if k.startswith("puer"))


def test_register_is_reproducible_from_its_generator(tmp_path: Path) -> None:
    out = tmp_path / "register.csv"
    subprocess.run([sys.executable, str(ROOT / "examples" / "make_register.py"), "-o", str(out)], check=True,
                   capture_output=True)
    shipped = (ROOT / "examples" / "register.csv").read_bytes()
    assert hashlib.sha256(out.read_bytes()).hexdigest() == hashlib.sha256(shipped).hexdigest()
    assert shipped.count(b"\n") - 1 >= 2000
