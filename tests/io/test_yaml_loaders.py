"""The libyaml-based loader gives exactly what the pure-Python one gives (data and every position)
on every bundled rule and test file; problems are always reported by the pure-Python loader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from eligibility.io import yamlload
from eligibility.io.yamlload import Located, LocatedList

RULES = Path(yamlload.__file__).parent.parent / "rules"
FILES = sorted(RULES.rglob("*.yaml"))


def positions(value: Any) -> Any:
    """Data with its marks, as plain comparable values."""
    if isinstance(value, Located):
        return ("map", value.mark, {k: (value.key_marks[k], value.value_marks[k], positions(v))
                                    for k, v in value.items()})
    if isinstance(value, LocatedList):
        return ("seq", value.mark, value.item_marks, [positions(v) for v in value])
    return value


@pytest.mark.skipif(yamlload._FastLineLoader is yamlload.LineLoader, reason="PyYAML built without libyaml")
@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(RULES)))
def test_fast_and_pure_loaders_agree(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    fast, pure = yamlload._FastLineLoader(text), yamlload.LineLoader(text)
    try:
        assert positions(fast.get_single_data()) == positions(pure.get_single_data())
    finally:
        fast.dispose()
        pure.dispose()


def test_problems_are_worded_by_the_pure_loader() -> None:
    text = "a: 1\nb: c: d\n"
    with pytest.raises(yaml.YAMLError) as pure:
        yamlload.LineLoader(text).get_single_data()
    with pytest.raises(Exception) as ours:
        yamlload.load_yaml(text, "x.yaml")
    assert str(pure.value.problem) in str(ours.value)
