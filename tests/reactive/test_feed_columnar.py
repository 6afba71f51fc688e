"""The columnar feed (`eligibility watch`) gives exactly the events and facts of merging each change row
into its firm's profile and upserting the profiles one by one (the feed's earlier path), on a messy
change file: columns merged, a field cleared, a bad value and a bad USCC refused, a firm in three rows,
a new firm, a record column saying "no", and a removal."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
from typer.testing import CliRunner

import eligibility as el
from eligibility.batch.sources import read_register
from eligibility.cli import app
from eligibility.errors import EligibilityError, ProfileError
from eligibility.facts.codes.uscc import parse_uscc
from eligibility.facts.frame import row_to_profile
from eligibility.facts.profile import Profile
from eligibility.reactive import Watcher
from eligibility.reactive.feed import CLEAR_MARKERS, apply_changes

AS_OF = "2025-06-30"
KEY = ["entity_id", "rule_id", "kind", "old_status", "new_status", "old_amount", "new_amount"]


def _merge(base: dict[str, Any], change: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in change.items():
        old = out.get(key)
        out[key] = _merge(old, value) if isinstance(value, Mapping) and isinstance(old, dict) else value
    return out


def _clear(data: dict[str, Any], path: str) -> None:
    head, _, rest = path.partition(".")
    if not rest:
        data.pop(head, None)
    elif isinstance(data.get(head), dict):
        _clear(data[head], rest)


def per_profile(watcher: Watcher, path: Path) -> tuple[list[tuple[Any, ...]], list[int]]:
    """The reference: each row merged into its firm's profile, validated, and the profiles upserted
    (the events as key tuples, and the rows refused)."""
    merged: dict[str, dict[str, Any]] = {}
    refused: list[int] = []
    for _, chunk in read_register(path):
        for row_no, record in zip(chunk.index, chunk.to_dict("records")):
            cleared = [k for k, v in record.items() if isinstance(v, str) and v.strip() in CLEAR_MARKERS]
            change = row_to_profile({k: v for k, v in record.items() if k not in cleared})
            try:
                uscc = parse_uscc(str(change.get("uscc", ""))).code
            except EligibilityError:
                refused.append(int(row_no))
                continue
            base = merged.get(uscc) or (watcher.profile(uscc).model_dump(mode="json", exclude_unset=True)
                                        if uscc in watcher else {})
            data = _merge(base, change)
            data["uscc"] = uscc
            for key in cleared:
                _clear(data, key)
            try:
                Profile.from_data(data)
            except ProfileError:
                refused.append(int(row_no))
                continue
            merged[uscc] = data
    events = watcher.upsert_many(list(merged.values()))
    return [(e.entity_id, e.rule_id, e.kind.value, *_statuses(e)) for e in events], refused


def _statuses(e: Any) -> tuple[Any, ...]:
    d = e.to_dict()
    return d["status_before"], d["status_after"], *(_money(d[k]) for k in ("amount_before", "amount_after"))


def _money(text: Any) -> Decimal | None:
    """An amount as exact yuan (the columnar path writes two decimals, the per-profile one as decided)."""
    return None if text is None or pd.isna(text) else Decimal(text)


def _days(tmp_path: Path, register_head: Callable[[Path, int], list[dict[str, str]]]
          ) -> tuple[Path, Path, Path, list[str], str]:
    """Day 1: forty firms of the example register; day 2: the messy change file; and a removal."""
    day1 = tmp_path / "day1.csv"
    rows = register_head(day1, 40)
    u = [r["uscc"] for r in rows]
    new_firm = "91530802MA6K0UPC6M"
    day2 = tmp_path / "day2.csv"
    day2.write_text(
        "uscc,revenue,employees,tax_credit_rating,registers.above_scale_industrial,region_code\n"
        f"{u[0]},500000000,,A,,\n"                       # merged: revenue and rating change, the rest kept
        f"{u[1]},,[清空],,,\n"                            # employees cleared
        f"{u[2]},,many,,,\n"                              # a bad value: refused, the firm as it was
        f"not-a-uscc,1,1,A,,\n"                           # a bad USCC: refused
        f"{u[3]},100,,D,,\n"                              # a firm in three rows: taken in turn
        f"{u[3]},,lots,,,\n"
        f"{u[3]},,[clear],B,false,\n"
        f"{new_firm},25000000,180,A,,530802\n"            # a firm not watched yet
        f"{u[4]},,,,false,\n", encoding="utf-8")         # a record column saying "no"
    gone = tmp_path / "removals.csv"
    gone.write_text(f"uscc\n{u[5]}\n", encoding="utf-8")
    return day1, day2, gone, u, new_firm


def test_the_columnar_feed_gives_the_per_profile_events(
        tmp_path: Path, register_head: Callable[[Path, int], list[dict[str, str]]]) -> None:
    day1, day2, gone, u, new_firm = _days(tmp_path, register_head)
    ref = Watcher(el.Engine(el.load_rules()), as_of=AS_OF)
    per_profile(ref, day1)
    want, want_refused = per_profile(ref, day2)
    want += [(e.entity_id, e.rule_id, e.kind.value, *_statuses(e)) for e in ref.remove_many([u[5]])]

    store, runner = tmp_path / "watch.sqlite", CliRunner()
    first = runner.invoke(app, ["watch", str(day1), "--state", str(store), "--as-of", AS_OF])
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, ["watch", str(day2), "--state", str(store), "--removals", str(gone),
                                 "-o", str(tmp_path / "e2.csv"), "--lang", "en"])
    assert second.exit_code == 1  # rows were refused (the removal counts as applied)
    assert want_refused == [3, 4, 6]
    assert all(f"row {r} not applied" in second.output for r in want_refused) and "7 rows applied, 3 refused" in \
        second.output
    got = pd.read_csv(tmp_path / "e2.csv", dtype=str)
    assert [(*(None if pd.isna(v) else v for v in row[:5]), _money(row[5]), _money(row[6])) for row in got[KEY].itertuples(index=False)] == want
    assert len(want) > 0 and {k[2] for k in want} >= {"became_undetermined", "no_longer_eligible"}

    assert ref.profile(u[0]).tax_credit_rating == "A" and ref.profile(u[0]).employees is not None
    assert ref.profile(u[1]).employees is None and ref.profile(u[3]).tax_credit_rating == "B"
    with Watcher(el.Engine(el.load_rules()), store=store) as w:
        assert len(w) == len(ref)
        for uscc in [*u, new_firm]:
            assert (uscc in w) == (uscc in ref)
            if uscc in w:
                assert w.profile(uscc) == ref.profile(uscc), uscc


def test_firms_held_as_profiles_merge_as_rows_do(
        tmp_path: Path, register_head: Callable[[Path, int], list[dict[str, str]]]) -> None:
    """A watch whose firms were upserted as profiles (a store written before the feed was columnar)."""
    day1, day2, _, u, new_firm = _days(tmp_path, register_head)
    engine = el.Engine(el.load_rules())
    ref, w = Watcher(engine, as_of=AS_OF), Watcher(engine, as_of=AS_OF)
    per_profile(ref, day1)
    per_profile(w, day1)
    want, _ = per_profile(ref, day2)
    got = apply_changes(w, day2)
    assert [(e.entity_id, e.rule_id, e.kind.value, *_statuses(e)) for e in got.events] == want and want
    assert [p.row for p in got.problems] == [3, 4, 6] and got.applied == 6
    for uscc in [*u, new_firm]:
        assert w.profile(uscc) == ref.profile(uscc), uscc
