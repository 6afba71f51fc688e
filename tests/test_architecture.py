"""The layers of the library hold: `lint-imports` (import-linter) passes with the contracts of
pyproject.toml — a layer imports only layers below it, and no package has an import cycle."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold() -> None:
    # in a child process: import-linter configures logging with disable_existing_loggers, which
    # would silence the library's loggers (the service's access log) for every later test
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True, no_logo=True))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


def test_contract_names_every_part_of_the_library() -> None:
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
