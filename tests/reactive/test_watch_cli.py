"""`eligibility watch`: two days of change files applied to a store — the first day's events, only
the changed firms' events on the second, nothing when a file is applied again, removals, the event
file's columns, and re-export with --since."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from eligibility.cli import EVENT_COLUMNS, app
from eligibility.store import SQLiteStore
from eligibility.store.base import StoredRow

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture()
def days(tmp_path: Path, register_head: Callable[[Path, int], list[dict[str, str]]]
         ) -> tuple[Path, Path, Path, list[str]]:
    day1 = tmp_path / "day1.csv"
    rows = register_head(day1, 80)
    # day 2: three firms report new revenue and a tax rating; nothing else of theirs is in the file
    changed = [r["uscc"] for r in rows[:3]]
    day2 = tmp_path / "day2.csv"
    day2.write_text("uscc,tax_credit_rating,employees\n" + "".join(f"{u},D,[清空]\n" for u in changed), encoding="utf-8")
    gone = tmp_path / "removals.csv"
    gone.write_text(f"uscc\n{rows[5]['uscc']}\n", encoding="utf-8")
    return day1, day2, gone, changed


def test_two_days_then_a_rerun(tmp_path: Path, days: tuple[Path, Path, Path, list[str]]) -> None:
    day1, day2, gone, changed = days
    store = tmp_path / "watch.sqlite"
    code, text = invoke("watch", str(day1), "--state", str(store), "--as-of", "2025-06-30",
                        "-o", str(tmp_path / "e1.csv"))
    assert code == 0, text
    first = pd.read_csv(tmp_path / "e1.csv", dtype=str)
    assert list(first.columns) == EVENT_COLUMNS and len(first) > 0
    assert set(first["kind"]) <= {"newly_eligible", "became_undetermined"}

    code, text = invoke("watch", str(day1), "--state", str(store), "-o", str(tmp_path / "again.csv"))
    assert code == 0, text
    assert len(pd.read_csv(tmp_path / "again.csv")) == 0          # the same file twice: nothing

    code, text = invoke("watch", str(day2), "--state", str(store), "--removals", str(gone),
                        "-o", str(tmp_path / "e2.parquet"))
    assert code == 0, text
    second = pd.read_parquet(tmp_path / "e2.parquet")
    assert len(second) > 0 and set(second["entity_id"]) <= set(changed) | {pd.read_csv(gone)["uscc"][0]}
    assert (second["seq"].astype(int) > first["seq"].astype(int).max()).all()

    s = SQLiteStore(store)
    try:
        state = s.load()
    finally:
        s.close()
    stored = state.firms
    at = stored[changed[0]]
    assert isinstance(at, StoredRow)                                              # held as a row of the batch
    row = state.segments[at.segment].slice(at.row, 1).to_pylist()[0]
    profile = {k[2:]: v for k, v in row.items() if k.startswith("f.") and v is not None}
    assert profile["tax_credit_rating"] == "D" and "employees" not in profile   # merged, and cleared
    assert profile["revenue"] is not None                                         # the rest kept
    assert pd.read_csv(gone)["uscc"][0] not in stored

    code, text = invoke("watch", "--state", str(store), "--since", "0", "-o", str(tmp_path / "all.xlsx"))
    assert code == 0, text
    assert len(pd.read_excel(tmp_path / "all.xlsx", engine="openpyxl")) == len(first) + len(second)


def test_bad_rows_are_reported_and_the_rest_applied(tmp_path: Path) -> None:
    changes = tmp_path / "bad.csv"
    changes.write_text("uscc,employees\n91152921DGPKY69HN4,12\nnot-a-uscc,3\n91530821AX6JM23YTT,many\n",
                       encoding="utf-8")
    code, text = invoke("watch", str(changes), "--state", str(tmp_path / "w.sqlite"), "--as-of", "2025-06-30",
                        "--lang", "en")
    assert code == 1
    assert "row 2 not applied" in text and "row 3 not applied" in text and "1 rows applied, 2 refused" in text


def test_a_foreign_state_file_is_refused(tmp_path: Path) -> None:
    state = tmp_path / "notes.txt"
    state.write_text("meeting notes", encoding="utf-8")
    code, text = invoke("watch", "--state", str(state), "--since", "0")
    assert code == 2 and "未改动" in text
    assert state.read_text(encoding="utf-8") == "meeting notes"
