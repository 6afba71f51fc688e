"""The example register as rows of text, and a CSV written from such rows, for the batch tests."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REGISTER = ROOT / "examples" / "register.csv"
AS_OF = date(2024, 6, 30)


def register_rows() -> tuple[list[str], list[list[str]]]:
    """The example register's header and data rows, as text."""
    with open(REGISTER, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    """``rows`` under ``header`` as a UTF-8 CSV at ``path``."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    return path
