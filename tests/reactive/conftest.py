"""Fixtures shared by the reactive tests."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest

import eligibility as el

REGISTER = Path(__file__).resolve().parents[2] / "examples" / "register.csv"


@pytest.fixture()
def register_head() -> Callable[[Path, int], list[dict[str, str]]]:
    """Writes the first ``n`` firms of the example register to ``path`` as CSV; returns their rows."""

    def write(path: Path, n: int) -> list[dict[str, str]]:
        with REGISTER.open(encoding="utf-8") as f:
            rows = list(csv.DictReader(f))[:n]
        with path.open("w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        return rows

    return write


@pytest.fixture(scope="module")
def engine() -> el.Engine:
    """The bundled rules' engine, one per test module."""
    return el.Engine(el.load_rules())
