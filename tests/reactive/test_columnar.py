"""Columnar update batches (``Watcher.upsert_many(frame)``): a firm in two rows of one frame, bad
rows, frames mixed with single upserts, removals and date moves, Arrow-typed frames, explanations
and chunks compacted — each against the same changes made one by one."""

from __future__ import annotations

import copy
from collections import Counter
from decimal import Decimal
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

import eligibility as el
from eligibility.errors import ProfileError
from eligibility.reactive import Event, Watcher
from eligibility.reactive.columnar import Ref
from eligibility.testing.workload import make_workload

PUER = "91530802MA6K0UPC6M"


@pytest.fixture(scope="module")
def wl() -> Any:
    return make_workload(240, 120)


def _keys(events: list[Event]) -> list[tuple[Any, ...]]:
    return [ev.key() for ev in events]


def _one_by_one(engine: el.Engine, as_of: Any, batches: list[Any]) -> tuple[list[list[tuple[Any, ...]]], Watcher]:
    """The reference: each batch's rows upserted one by one (a list) / removed / a date moved."""
    w = Watcher(engine, as_of=as_of)
    out = []
    for kind, arg in batches:
        if kind == "rows":
            out.append([k for p in arg for k in _keys(w.upsert(p))])
        elif kind == "remove":
            out.append(_keys(w.remove_many(arg)))
        else:
            out.append(sorted(_keys(w.advance_to(arg)), key=repr))
    return out, w


def _columnar(engine: el.Engine, as_of: Any, batches: list[Any], **kw: Any) -> tuple[list[list[tuple[Any, ...]]], Watcher]:
    w = Watcher(engine, as_of=as_of, **kw)
    out = []
    for kind, arg in batches:
        if kind == "rows":
            out.append(_keys(w.upsert_many(el.to_frame(arg))))
        elif kind == "single":
            out.append(_keys(w.upsert(arg[0])))
        elif kind == "remove":
            out.append(_keys(w.remove_many(arg)))
        else:
            out.append(sorted(_keys(w.advance_to(arg)), key=repr))
    return out, w


def _same_state(a: Watcher, b: Watcher) -> None:
    assert len(a) == len(b)
    for uscc in [p for p in a._firms]:
        assert [d[:4] for d in a.decisions(uscc)] == [d[:4] for d in b.decisions(uscc)], uscc
        # the flat facts: a frame (as el.to_frame writes it) gives a presumed value as a value
        assert a.profile(uscc).facts().values == b.profile(uscc).facts().values, uscc


def test_a_firm_twice_in_one_frame_is_each_row_in_turn(engine: el.Engine) -> None:
    """Rows of one firm apply in order, as one-by-one upserts: each row's events against the row
    before it, and the last row is the firm's state."""
    first = {"uscc": PUER, "region_code": "530802", "industry_code": "C30", "employees": 80,
             "revenue": Decimal("30000000"), "certifications": []}
    certified = {**first, "certifications": [{"kind": "little_giant", "level": "national",
                                              "certified_on": "2024-01-15"}]}
    other = {"uscc": "91330106MA2H4K7P16", "region_code": "330106", "employees": 45, "taxable_income": "200万",
             "total_assets": "2000万"}
    rows = [first, other, certified, first]
    want, ref = _one_by_one(engine, "2024-06-30", [("rows", rows)])
    got, w = _columnar(engine, "2024-06-30", [("rows", rows)])
    assert got == want
    kinds = [(k[0].value, k[2]) for k in got[0] if k[1] == PUER]
    # the certification row grants the award and the last row (without it) takes it back
    assert ("newly_eligible", "puer.little-giant-national") in kinds
    assert ("no_longer_eligible", "puer.little-giant-national") in kinds
    assert w.profile(PUER).certifications == []
    _same_state(w, ref)


@pytest.mark.parametrize("backend", ["python", "durable"])
def test_frames_mixed_with_single_upserts_removals_and_dates(backend: str, engine: el.Engine, wl: Any) -> None:
    firms = wl.firms
    changed = copy.deepcopy(firms[:60])
    for p in changed[::2]:
        p["revenue"] = Decimal(p.get("revenue") or 0) + 1_000_000
    for p in changed[1::3]:
        p["certifications"] = [{"kind": "specialised_sme", "level": "municipal", "certified_on": "2024-10-01"}]
    usccs = [p["uscc"] for p in firms]
    steps = [("rows", firms[:150]), ("single", [changed[3]]), ("rows", changed[:40] + firms[150:]),
             ("remove", usccs[5:25]), ("single", [changed[7]]), ("advance", "2025-04-15"),
             ("rows", changed[20:60] + firms[5:15]), ("advance", "2024-12-31"), ("single", [firms[200]])]
    reference = [("rows", arg) if kind == "single" else (kind, arg) for kind, arg in steps]
    want, ref = _one_by_one(engine, wl.as_of, reference)
    got, w = _columnar(engine, wl.as_of, steps, backend=backend)
    assert got == want
    _same_state(w, ref)
    assert w.forget(usccs[30]) and usccs[30] not in w


def test_arrow_typed_frames_give_the_same_events(engine: el.Engine, wl: Any) -> None:
    """A frame as the register readers give it (Arrow types: decimals, dates, lists of structs)."""
    frame = el.to_frame(wl.firms[:120])
    arrow = pa.Table.from_pandas(frame, preserve_index=False).to_pandas(types_mapper=pd.ArrowDtype)
    a = Watcher(engine, as_of=wl.as_of)
    b = Watcher(engine, as_of=wl.as_of)
    assert _keys(a.upsert_many(arrow)) == _keys(b.upsert_many(frame))
    _same_state(a, b)


def test_a_frame_event_explains_as_a_single_upserts_does(engine: el.Engine) -> None:
    p = {"uscc": PUER, "region_code": "530802", "certifications": [
        {"kind": "little_giant", "level": "national", "certified_on": "2024-01-15"}]}
    [framed] = [ev for ev in Watcher(engine, as_of="2024-06-30").upsert_many(el.to_frame([p]))
                if ev.rule_id == "puer.little-giant-national"]
    [single] = [ev for ev in Watcher(engine, as_of="2024-06-30").upsert(p) if ev.rule_id == "puer.little-giant-national"]
    assert framed.explanation == single.explanation
    assert framed.explain("en") == single.explain("en")
    assert "小巨人" in framed.explanation


def test_a_bad_row_is_refused_by_number_and_nothing_applied(engine: el.Engine, wl: Any) -> None:
    w = Watcher(engine, as_of=wl.as_of)
    w.upsert_many(el.to_frame(wl.firms[:10]))
    before = {u: w.decisions(u) for u in w._firms}
    frame = el.to_frame(wl.firms[10:15]).astype({"employees": object})
    frame.loc[3, "employees"] = "many"
    with pytest.raises(ProfileError) as exc:
        w.upsert_many(frame)
    assert "row 4" in exc.value.en and "employees" in exc.value.en and "第 4 行" in exc.value.zh
    assert len(w) == 10 and {u: w.decisions(u) for u in w._firms} == before
    with pytest.raises(ProfileError, match="uscc"):
        w.upsert_many(el.to_frame(wl.firms[10:15]).drop(columns=["uscc"]))
    blank = el.to_frame(wl.firms[10:15])
    blank.loc[2, "uscc"] = None
    with pytest.raises(ProfileError) as exc:
        w.upsert_many(blank)
    assert "row 3" in exc.value.en
    assert len(w) == 10


def test_replaced_rows_are_compacted_and_state_stays_right(engine: el.Engine, wl: Any) -> None:
    """Most of a chunk's firms move to later frames: the rest move to a chunk of their own, with the
    right decisions and facts."""
    firms = wl.firms[:200]
    w = Watcher(engine, as_of=wl.as_of)
    ref = Watcher(engine, as_of=wl.as_of)
    w.upsert_many(el.to_frame(firms))
    for p in firms:
        ref.upsert(p)
    for start in range(0, 180, 30):
        part = copy.deepcopy(firms[start:start + 30])
        for p in part:
            p["employees"] = int(p.get("employees") or 0) + 7
        assert _keys(w.upsert_many(el.to_frame(part))) == [k for p in part for k in _keys(ref.upsert(p))]
    # six frames of 30; the first frame's 200 rows are compacted once a frame leaves fewer than a
    # quarter of them current (checked after each frame is placed): after the sixth, its 20 current rows
    sizes = {id(e.rows): len(e.rows.ids) for e in map(w._held, w._firms)}
    assert sorted(sizes.values()) == [20] + [30] * 6
    _same_state(w, ref)


def _placed_right(w: Watcher) -> None:
    """Each firm held as a row is placed at a row of its own USCC, each chunk kept counts exactly the
    firms placed in it (a chunk no firm is placed in is not kept), and no slot is lost."""
    placed: Counter[int] = Counter()
    for uscc in w._firms:
        entry = w._held(uscc)
        if isinstance(entry, Ref):
            assert entry.rows.ids[entry.i] == uscc
            placed[id(entry.rows)] += 1
    assert {id(rows): rows.live for rows in w._places.chunks.values()} == dict(placed)
    # a slot is in use exactly while its firm is held as a row (one given back is reused)
    places = w._places
    assert int((places.chunk >= 0).sum()) == sum(placed.values()) == places._high - len(places._free)


def test_firms_move_between_chunks_and_profiles_and_come_back(engine: el.Engine, wl: Any) -> None:
    """Firms held as rows become profiles (single upserts) and rows again, are removed and added back
    (their places reused), and come twice in one frame whether new, held as a row or as a profile:
    the events and the state are those of one-by-one upserts, and every firm is placed right."""
    firms = wl.firms
    changed = copy.deepcopy(firms[:80])
    for p in changed:
        p["employees"] = int(p.get("employees") or 0) + 11
    usccs = [p["uscc"] for p in firms]
    twice = [changed[3], firms[100], changed[50], firms[101], changed[3], firms[100], changed[51]]
    steps = [("rows", firms[:60]), ("single", [changed[2]]), ("single", [changed[3]]), ("remove", usccs[10:20]),
             ("rows", twice + changed[30:40]), ("rows", firms[:25] + firms[110:130]), ("single", [firms[115]]),
             ("remove", usccs[0:5] + usccs[110:112]), ("rows", firms[0:12] + changed[40:60] + firms[110:125])]
    reference = [("rows", arg) if kind == "single" else (kind, arg) for kind, arg in steps]
    want, ref = _one_by_one(engine, wl.as_of, reference)
    w = Watcher(engine, as_of=wl.as_of)
    got = []
    for kind, arg in steps:
        got.append(_keys(w.upsert_many(el.to_frame(arg)) if kind == "rows" else w.upsert(arg[0]) if kind == "single"
                         else w.remove_many(arg)))
        _placed_right(w)
    assert got == want
    assert list(w._firms) == list(ref._firms)
    _same_state(w, ref)
    assert w.forget(usccs[115]) and not w.forget(usccs[115])
    _placed_right(w)


def test_an_empty_frame_changes_nothing(engine: el.Engine, wl: Any) -> None:
    w = Watcher(engine, as_of=wl.as_of)
    w.upsert_many(el.to_frame(wl.firms[:5]))
    assert len(w.upsert_many(el.to_frame(wl.firms[:5]).iloc[:0])) == 0
    assert len(w) == 5
    _placed_right(w)


def test_a_frame_of_one_chunks_firms_with_some_twice(engine: el.Engine, wl: Any) -> None:
    """Every firm of a frame was a row of one earlier frame, and some come twice: each later row is
    diffed against the earlier one, as one by one."""
    changed = copy.deepcopy(wl.firms[:30])
    for p in changed[::2]:
        p["certifications"] = [{"kind": "specialised_sme", "level": "municipal", "certified_on": "2024-10-01"}]
    steps = [("rows", wl.firms[:30]), ("rows", changed[:20] + wl.firms[5:10] + changed[8:12]),
             ("rows", wl.firms[25:30] + changed[25:30])]
    want, ref = _one_by_one(engine, wl.as_of, steps)
    got, w = _columnar(engine, wl.as_of, steps)
    assert got == want and any(got[1])
    _same_state(w, ref)
    _placed_right(w)
