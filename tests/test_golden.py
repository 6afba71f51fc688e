"""Golden explanations: ``eligibility match`` text for every example profile, in Chinese and English,
compared with the files in tests/golden (the provenance line, which names the library version and the
rule set's hash, left out).

After an intended change of wording, regenerate them with
``python -m pytest tests/test_golden.py --update-golden`` and review the diff before committing it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import eligibility as el

ROOT = Path(__file__).resolve().parents[1]
PROFILES = ROOT / "examples" / "profiles"
GOLDEN = Path(__file__).resolve().parent / "golden"
EXPECTED = yaml.safe_load((PROFILES / "expected.yaml").read_text(encoding="utf-8"))
ENGINE = el.Engine(el.load_rules())


def match_text(name: str, lang: str) -> str:
    """The match text of an example profile at its date, without the provenance line."""
    profile = yaml.safe_load((PROFILES / f"{name}.yaml").read_text(encoding="utf-8"))
    text = ENGINE.evaluate(profile, EXPECTED[name]["as_of"]).explain(lang)
    return "\n".join(line for line in text.splitlines() if not line.startswith("eligibility ")) + "\n"


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_match_text_is_the_golden_one(name: str, lang: str, update_golden: bool) -> None:
    path = GOLDEN / f"{name}.{lang}.txt"
    got = match_text(name, lang)
    if update_golden:
        path.write_text(got, encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}: run with --update-golden and review it"
    assert got == path.read_text(encoding="utf-8"), f"{path.name} differs (--update-golden after review)"


def test_every_golden_file_belongs_to_an_example() -> None:
    names = {f"{n}.{lang}.txt" for n in EXPECTED for lang in ("zh", "en")}
    assert {p.name for p in GOLDEN.glob("*.txt")} == names
