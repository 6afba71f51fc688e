"""The layers of the library hold: `lint-imports` (import-linter) passes with the contracts of
pyproject.toml — a layer imports only layers below it, and no package has an import cycle."""

from __future__ import annotations

from pathlib import Path

import pytest
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(ROOT)
    code = lint_imports(no_cache=True, no_logo=True)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "0 broken" in out


def test_contract_names_every_part_of_the_library(monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """The layers contract is exhaustive: a new top-level module must be given its layer."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["type"] == "layers")
    assert layers["exhaustive"] is True
    declared = {part.strip(" ()") for layer in layers["layers"] for part in layer.replace(":", "|").split("|")}
    package = ROOT / "src" / "eligibility"
    present = {p.stem for p in package.glob("*.py") if p.stem != "__init__"} | {
        p.name for p in package.iterdir() if (p / "__init__.py").exists()}
    assert present - declared - set(layers.get("exhaustive_ignores", [])) == set()
