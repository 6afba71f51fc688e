"""The durable watch: state and log survive a restart, a batch is all or nothing, consumers resume
from their acknowledged offset, firms can be forgotten, and a foreign file is never overwritten."""

from __future__ import annotations

import sqlite3
from datetime import date
from json import loads
from pathlib import Path
from typing import Any

import numpy as np

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import eligibility as el
from eligibility.reactive import Event, EventKind, Watcher
from eligibility.store import LoggedEvent, SQLiteStore, StoreError
from eligibility.testing.workload import make_workload

AS_OF = date(2024, 11, 30)


@pytest.fixture(scope="module")
def engine() -> el.Engine:
    return el.Engine(el.load_rules())


@pytest.fixture(scope="module")
def firms() -> list[dict[str, Any]]:
    return make_workload(60, 0).firms


def keys(events: list[Any]) -> list[tuple[Any, ...]]:
    return [(e.kind, e.entity_id, e.rule_id) for e in events]


def test_reopened_watch_resumes_without_repeating_events(tmp_path: Path, engine: el.Engine,
                                                         firms: list[dict[str, Any]]) -> None:
    path = tmp_path / "watch.sqlite"
    with Watcher(engine, as_of=AS_OF, store=path) as w:
        first = w.upsert_many(firms)
        decisions = {f["uscc"]: w.decisions(f["uscc"]) for f in firms}
    assert first, "the workload's firms qualify for something"
    assert [e.seq for e in first] == list(range(1, len(first) + 1))
    with Watcher(engine, store=path) as w:
        assert w.as_of == AS_OF and len(w) == len(firms)
        assert {u: w.decisions(u) for u in decisions} == decisions
        assert w.upsert_many(firms) == []            # the same data again: nothing new
        logged = w.log()
    assert [(e.kind, e.entity_id, e.rule_id) for e in logged] == [(e.kind.value, e.entity_id, e.rule_id) for e in first]
    assert [e.seq for e in logged] == [e.seq for e in first]


def test_a_restored_watch_keeps_the_firms_order_of_the_uninterrupted_one(tmp_path: Path, engine: el.Engine,
                                                                          firms: list[dict[str, Any]]) -> None:
    """Firms updated again keep their place: a date move after a restart emits its events in the same
    order as without the restart (the crash test's exact-log promise rests on this)."""
    again = [{**f, "employees": f.get("employees", 0) + 1} for f in reversed(firms)]
    with Watcher(engine, as_of=AS_OF) as w:
        w.upsert_many(firms)
        w.upsert_many(again)
        uninterrupted = keys(w.advance_to("2025-04-15"))
    path = tmp_path / "watch.sqlite"
    with Watcher(engine, as_of=AS_OF, store=path) as w:
        w.upsert_many(firms)
        w.upsert_many(again)
    store = SQLiteStore(path)
    try:
        assert list(store.load().firms) == [f["uscc"] for f in firms]
    finally:
        store.close()
    with Watcher(engine, store=path) as w:
        restored = keys(w.advance_to("2025-04-15"))
    assert len({e[1] for e in uninterrupted}) > 1 and restored == uninterrupted


def test_date_moves_are_persisted_and_logged_once(tmp_path: Path, engine: el.Engine,
                                                  firms: list[dict[str, Any]]) -> None:
    path = tmp_path / "watch.sqlite"
    with Watcher(engine, as_of=AS_OF, store=path) as w:
        w.upsert_many(firms)
        moved = w.advance_to("2025-04-15")
        n = len(w.log())
    assert moved and all(e.seq for e in moved)
    with Watcher(engine, as_of=AS_OF, store=path) as w:   # as_of names the date of a new store only
        assert w.as_of == date(2025, 4, 15)
        assert w.advance_to("2025-04-15") == [] and len(w.log()) == n


def test_consumers_resume_from_their_acknowledged_offset(tmp_path: Path, engine: el.Engine,
                                                         firms: list[dict[str, Any]]) -> None:
    path = tmp_path / "watch.sqlite"
    with Watcher(engine, as_of=AS_OF, store=path) as w:
        w.upsert_many(firms[:30])
        handled = w.log(limit=5)
        w.ack("notifier", handled[-1].seq)
        w.ack("notifier", 1)                           # an older ack never moves the offset back
    with Watcher(engine, store=path) as w:
        assert w.acked("notifier") == handled[-1].seq and w.acked("other") == 0
        w.upsert_many(firms[30:])
        rest = w.log(after=w.acked("notifier"))
        everything = w.log()
    assert [e.seq for e in handled + rest] == [e.seq for e in everything]


def test_a_failed_batch_writes_nothing(tmp_path: Path, engine: el.Engine, firms: list[dict[str, Any]]) -> None:
    """The database refuses the batch's events, after its firms were written: all is rolled back."""
    path = tmp_path / "watch.sqlite"
    with Watcher(engine, as_of=AS_OF, store=path) as w:
        w.upsert_many(firms[:10], checkpoint="a")
        logged = len(w.log())
    con = sqlite3.connect(path)
    assert logged  # a batch's events are one row of the log table: refuse the second batch's
    con.execute("CREATE TRIGGER refuse BEFORE INSERT ON events WHEN (SELECT count(*) FROM events) >= 1"
                " BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    con.commit()
    con.close()
    store = SQLiteStore(path)
    before = (store.load(), store.log())
    with Watcher(engine, store=store) as w, pytest.raises(StoreError, match="disk full"):
        w.upsert_many(firms[10:20], checkpoint="b")
    again = SQLiteStore(path)
    assert (again.load(), again.log()) == before and again.load().checkpoint == "a"
    assert len(again.load().firms) == 10
    again.close()


def test_forget_deletes_the_firm_and_its_logged_events(tmp_path: Path, engine: el.Engine,
                                                       firms: list[dict[str, Any]]) -> None:
    path = tmp_path / "watch.sqlite"
    gone = firms[0]["uscc"]
    with Watcher(engine, as_of=AS_OF, store=path) as w:
        w.upsert_many(firms[:5])
        assert any(e.entity_id == gone for e in w.log())
        assert w.forget(gone.lower()) is True and w.forget(gone) is False
        assert gone not in w
    with Watcher(engine, store=path) as w:
        assert gone not in w and len(w) == 4
        assert all(e.entity_id != gone for e in w.log())


def test_rules_corrected_since_the_store_was_written_are_logged_on_open(tmp_path: Path, engine: el.Engine,
                                                                        firms: list[dict[str, Any]]) -> None:
    path = tmp_path / "watch.sqlite"
    with Watcher(el.Engine(el.load_rules("cn")), as_of=AS_OF, store=path) as w:
        w.upsert_many(firms)
        n = len(w.log())
    with Watcher(engine, store=path) as w:              # every pack now: the local rules are new
        new = w.log(after=n)
        assert new and {e.rule_set for e in new} == {engine.rules.hash}
        assert any(not e.rule_id.startswith("cn.") for e in new)
    with Watcher(engine, store=path) as w:               # and only once
        assert len(w.log()) == n + len(new)


@pytest.mark.parametrize("content", [b"not a database at all" * 50, b"SQLite format 3\x00" + b"\x13" * 400])
def test_a_foreign_or_damaged_file_is_refused_and_left_alone(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(content)
    with pytest.raises(StoreError) as err:
        Watcher(el.Engine(el.load_rules("kailu")), store=path)
    assert str(path) in str(err.value) and "未改动" in err.value.zh and "not changed" in err.value.en
    assert path.read_bytes() == content


def test_another_sqlite_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    content = path.read_bytes()
    with pytest.raises(StoreError, match="another SQLite database"):
        SQLiteStore(path)
    assert path.read_bytes() == content
    with pytest.raises(StoreError, match="directory"):
        SQLiteStore(tmp_path)


def test_retention_prunes_old_events(tmp_path: Path, engine: el.Engine, firms: list[dict[str, Any]]) -> None:
    path = tmp_path / "watch.sqlite"
    with Watcher(engine, as_of=AS_OF, store=path) as w:
        w.upsert_many(firms[:10])
        n = len(w.log())
        assert n > 0 and w.prune(older_than_days=1) == 0
        assert w.prune(older_than_days=-1) == n          # "older than tomorrow": every event
        assert w.log() == []
    with Watcher(engine, as_of=AS_OF) as w, pytest.raises(el.EligibilityError, match="no store"):
        w.log()


def test_an_earlier_or_later_format_is_refused_and_left_alone(tmp_path: Path, engine: el.Engine,
                                                             firms: list[dict[str, Any]]) -> None:
    """Formats 3–4 keep batches as segments; a file of formats 1–2 (a row per firm and per event) or of
    a later format is refused with the reason, and not changed."""
    path = tmp_path / "watch.sqlite"
    with Watcher(engine, as_of=AS_OF, store=path) as w:
        w.upsert_many(firms[:20])
    for version, en, zh in ((2, "format 2 is an earlier one (this version reads formats 3–4)",
                             "格式版本 2 是旧格式"),
                            (5, "format 5 is newer than this version supports (4)", "格式版本 5")):
        con = sqlite3.connect(path)
        con.execute(f"PRAGMA user_version={version}")
        con.commit()
        con.close()
        before = path.read_bytes()
        with pytest.raises(StoreError) as exc:
            Watcher(engine, store=path)
        assert en in exc.value.en and zh in exc.value.zh
        assert path.read_bytes() == before


def test_a_batch_is_one_segment_and_one_log_row(tmp_path: Path, engine: el.Engine,
                                                firms: list[dict[str, Any]]) -> None:
    """A frame of firms is written as one segment (not a row per firm) and its events as one log row."""
    path = tmp_path / "watch.sqlite"
    with Watcher(engine, as_of=AS_OF, store=path) as w:
        first = w.upsert_many(el.to_frame(firms[:40]))
        w.upsert_many(firms[40:50])
    con = sqlite3.connect(path)
    try:
        assert con.execute("SELECT entries FROM segments ORDER BY id").fetchall() == [(40,), (10,)]
        assert con.execute("SELECT first_seq, last_seq FROM events ORDER BY id").fetchone() == (1, len(first))
    finally:
        con.close()


def test_segments_are_compacted_in_the_watch_order(tmp_path: Path, engine: el.Engine,
                                                   firms: list[dict[str, Any]]) -> None:
    """Many small batches over the same firms are compacted into one segment of each firm's current
    entry (the older segments, still current, kept as they are); the firms keep their order and
    decisions, and a reopened watch logs nothing new."""
    path = tmp_path / "watch.sqlite"
    store = SQLiteStore(path, compact_at=50)
    with Watcher(engine, as_of=AS_OF, store=store) as w:
        w.upsert_many(el.to_frame(firms[:30]))
        w.upsert_many(firms[30:40])                      # profiles: a JSON segment
        for k in range(4):
            w.upsert_many(el.to_frame([{**f, "employees": f.get("employees", 0) + k} for f in firms[5:20]]))
        w.remove_many([firms[0]["uscc"]])
        order, held = list(w._firms), {u: w.decisions(u) for u in w._firms}
        n = len(w.log())
    # 30 + 10 + 3 × 15 = 85 entries > 2 × 40 firms: the three frames of the same 15 firms rewritten as
    # one (30 + 10 + 15 ≤ 1.5 × 40); then a frame of 15, a removal
    assert _segments(path) == (5, 71)
    with Watcher(engine, store=path) as w:
        assert list(w._firms) == order and {u: w.decisions(u) for u in w._firms} == held
        assert len(w.log()) == n


def test_forget_removes_the_firms_bytes_from_the_file(tmp_path: Path, engine: el.Engine,
                                                     firms: list[dict[str, Any]]) -> None:
    """个人信息保护: after forget the firm's code appears nowhere in the store's files (its segments and
    log rows rewritten, freed pages zeroed, the journal checkpointed)."""
    path = tmp_path / "watch.sqlite"
    gone = firms[3]["uscc"]
    with Watcher(engine, as_of=AS_OF, store=path) as w:
        w.upsert_many(el.to_frame(firms[:20]))
        w.upsert_many(el.to_frame(firms[:10]))           # a second, older segment holds the firm too
        w.upsert_many(firms[2:5])
        assert any(e.entity_id == gone for e in w.log())

        def on_disk() -> bytes:
            return b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("watch.sqlite"))

        assert gone.encode() in on_disk()
        assert w.forget(gone)
        assert gone.encode() not in on_disk()
        assert firms[4]["uscc"].encode() in on_disk()
    with Watcher(engine, store=path) as w:
        assert gone not in w and len(w) == 19


def test_receipts_of_a_frame_are_stored_and_read_back(tmp_path: Path, engine: el.Engine,
                                                      firms: list[dict[str, Any]]) -> None:
    """A frame whose firms recorded grants received (one firm in two rows): the decisions' receipts
    survive the store, and the reopened watch holds the same decisions as the live one."""
    both = {"uscc": "91530802MA6K4L2X1W", "region_code": "530802", "certifications": [
        {"kind": "little_giant", "level": "national", "certified_on": "2023-07-01"},
        {"kind": "specialised_sme", "level": "municipal", "certified_on": "2023-09-10"}]}
    received = {**both, "benefits_received": [{"rule_id": "puer.little-giant-national", "year": 2024,
                                               "amount": 300000}]}
    path = tmp_path / "watch.sqlite"
    with Watcher(engine, as_of="2024-06-30", store=path) as w:
        w.upsert_many(el.to_frame([both, *firms[:5], received]))
        live = {u: w.decisions(u) for u in w._firms}
    assert any(d.received is not None for d in live[both["uscc"]])
    with Watcher(engine, store=path) as w:
        assert {u: w.decisions(u) for u in w._firms} == live
        assert w.upsert_many(el.to_frame([received])) == []


def _segments(path: Path) -> tuple[int, int]:
    """The store file's segments: how many, and their entries in all."""
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT count(*), sum(entries) FROM segments").fetchone()  # type: ignore[no-any-return]
    finally:
        con.close()


def _as_format_3(path: Path) -> None:
    """Rewrite a store's one segment as format 3 wrote it (every cell of its amounts; the workload's
    first firms have no receipts) and mark the file 3."""
    import pyarrow as pa

    from eligibility.store.sqlite import _blob, _table

    con = sqlite3.connect(path)
    (rowid, data), = con.execute("SELECT id, data FROM segments").fetchall()
    seg = _table(data)
    assert "received" not in seg.column_names
    width = len(loads(seg.schema.metadata[b"rule_ids"]))
    has = seg.column("has_amount").combine_chunks().flatten().to_numpy(zero_copy_only=False).reshape(-1, width)
    full = np.zeros(has.shape, np.int64)
    full[has] = seg.column("amount").combine_chunks().flatten().to_numpy()
    earlier = seg.set_column(seg.schema.get_field_index("amount"), "amount",
                             pa.FixedSizeListArray.from_arrays(pa.array(full.ravel()), width))
    con.execute("UPDATE segments SET data = ? WHERE id = ?", (_blob(earlier), rowid))
    con.execute("PRAGMA user_version=3")
    con.commit()
    con.close()


def test_a_format_3_store_is_read_and_marked_4_when_opened(tmp_path: Path, engine: el.Engine,
                                                          firms: list[dict[str, Any]]) -> None:
    """A file written as format 3 (every cell of a segment's amounts written) opens with its firms and
    decisions, takes new batches, and is marked 4 (a version knowing only 3 refuses it)."""
    path = tmp_path / "watch.sqlite"
    with Watcher(engine, as_of=AS_OF, store=path) as w:
        w.upsert_many(el.to_frame(firms[:40]))
        decisions = {f["uscc"]: w.decisions(f["uscc"]) for f in firms[:40]}
    _as_format_3(path)
    with Watcher(engine, store=path) as w:
        assert {u: w.decisions(u) for u in decisions} == decisions
        w.upsert_many(el.to_frame(firms[30:50]))
        assert len(w) == 50
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA user_version").fetchone()[0] == 4
    finally:
        con.close()


def test_a_format_3_segment_is_compacted_with_format_4_ones(tmp_path: Path, engine: el.Engine,
                                                           firms: list[dict[str, Any]]) -> None:
    """Compaction rewrites a format-3 segment's cells as format 4's, so the two make one segment."""
    path = tmp_path / "watch.sqlite"
    with Watcher(engine, as_of=AS_OF, store=path) as w:
        w.upsert_many(el.to_frame(firms[:30]))
    _as_format_3(path)
    with Watcher(engine, store=SQLiteStore(path, compact_at=50)) as w:
        for k in range(3):
            w.upsert_many(el.to_frame([{**f, "employees": f.get("employees", 0) + k + 1} for f in firms[10:30]]))
        held = {u: w.decisions(u) for u in w._firms}
    # 30 + 20 + 20 = 70 entries > 50 and > 2 × 30 firms: compacted to 30 at the second batch; then 20
    assert _segments(path) == (2, 50)
    with Watcher(engine, store=path) as w:
        assert {u: w.decisions(u) for u in w._firms} == held


def test_a_new_store_has_large_pages_and_a_4_kib_one_still_opens(tmp_path: Path, engine: el.Engine,
                                                                 firms: list[dict[str, Any]]) -> None:
    """New files take PAGE_SIZE pages (a segment is fewer pages to write); a file of SQLite's default
    4 KiB pages, as earlier versions made them, opens with its firms and takes new batches."""
    from eligibility.store.sqlite import PAGE_SIZE

    path = tmp_path / "watch.sqlite"
    with Watcher(engine, as_of=AS_OF, store=path) as w:
        w.upsert_many(el.to_frame(firms[:40]))
        w.upsert_many(firms[40:45])
        decisions = {u: w.decisions(u) for u in w._firms}
        n = len(w.log())
    con = sqlite3.connect(path, isolation_level=None)
    try:
        assert con.execute("PRAGMA page_size").fetchone()[0] == PAGE_SIZE != 4096
        con.execute("PRAGMA journal_mode=DELETE")  # a page size changes only outside WAL, by a VACUUM
        con.execute("PRAGMA page_size=4096")
        con.execute("VACUUM")
        con.execute("PRAGMA journal_mode=WAL")
        assert con.execute("PRAGMA page_size").fetchone()[0] == 4096
    finally:
        con.close()
    with Watcher(engine, store=path) as w:
        assert {u: w.decisions(u) for u in w._firms} == decisions and len(w.log()) == n
        w.upsert_many(el.to_frame(firms[30:50]))
        assert len(w) == 50
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA page_size").fetchone()[0] == 4096
    finally:
        con.close()


def test_logged_events_read_back_as_they_were_found(tmp_path: Path, engine: el.Engine) -> None:
    """Events of a frame (rule ids, kinds and statuses logged as dictionaries) and of single upserts
    (logged as text) read back from the log with every field, amounts exact, in order."""
    import pyarrow as pa

    from eligibility.store.sqlite import _table

    path = tmp_path / "watch.sqlite"
    wl = make_workload(60, 200)
    updates = [s.profile for s in wl.steps if s.kind == "upsert"]
    with Watcher(engine, as_of=wl.as_of, store=path) as w:
        found = [*w.upsert_many(el.to_frame(wl.firms)), *w.upsert_many(el.to_frame(updates[:60])),
                 *w.upsert_many(updates[60:120])]
    assert {e.kind for e in found} == set(EventKind) and any(e.amount_before is not None for e in found)

    def live(e: Event) -> tuple[Any, ...]:
        return (e.entity_id, e.rule_id, e.kind.value, e.status_before and e.status_before.value,
                e.status_after and e.status_after.value, e.amount_before, e.amount_after)

    def stored(e: LoggedEvent) -> tuple[Any, ...]:
        return (e.entity_id, e.rule_id, e.kind, e.old_status, e.new_status, e.old_amount, e.new_amount)

    with Watcher(engine, store=path) as w:
        logged = w.log()
    assert [stored(e) for e in logged] == [live(e) for e in found]
    assert [e.seq for e in logged] == list(range(1, len(found) + 1))
    con = sqlite3.connect(path)
    try:
        blobs = [_table(data) for (data,) in con.execute("SELECT data FROM events ORDER BY id")]
    finally:
        con.close()
    assert len(blobs) == 3
    assert all(pa.types.is_dictionary(blobs[k].schema.field(c).type) for k in (0, 1)
               for c in ("rule_id", "kind", "old_status", "new_status"))
    assert pa.types.is_string(blobs[2].schema.field("rule_id").type)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.lists(st.sampled_from("ABCDEFG"), max_size=6),
                          st.lists(st.sampled_from("ABCDEFG"), max_size=2)), min_size=1, max_size=8),
       st.sampled_from([4, 10**6]))
def test_stored_firms_are_replayed_as_a_dict_would_be(tmp_path_factory: pytest.TempPathFactory,
                                                      batches: list[tuple[list[str], list[str]]],
                                                      compact_at: int) -> None:
    """Batches of entries (a firm may come twice in one) and removals, compacted or not: the firms a
    store opens with, in order, each with its last entry, are those of replaying them into a dict
    (a firm keeps the place of its first entry since its last removal)."""
    import pyarrow as pa

    from eligibility.store.base import ROW, Commit

    path = tmp_path_factory.mktemp("replay") / "watch.sqlite"
    store = SQLiteStore(path, compact_at=compact_at)
    expected: dict[str, int] = {}
    v = 0
    for firms, removed in batches:
        table = pa.table({"uscc": pa.array(firms, pa.string()), "kind": pa.array([ROW] * len(firms), pa.int8()),
                          "v": pa.array(range(v, v + len(firms)), pa.int64())})
        for uscc in firms:
            expected[uscc] = v
            v += 1
        for uscc in removed:
            expected.pop(uscc, None)
        store.commit(Commit(AS_OF, "rules", [table], removed, live=len(expected)))
    state = store.load()
    store.close()
    held = [(uscc, state.segments[at.segment].column("v")[at.row].as_py()) for uscc, at in state.firms.items()]
    assert held == list(expected.items())


def test_a_compaction_rewrites_only_the_newer_segments_and_keeps_the_order(tmp_path: Path) -> None:
    """A few firms of an older segment updated, removed and added again: the compaction rewrites only
    the newer segments (the older one kept byte for byte), and the store opens — before and after
    closing, after a forget, after a compaction of everything — with the firms of replaying every
    batch into a dict, in order, each with its last entry."""
    import pyarrow as pa

    from eligibility.store.base import ROW, Commit

    path = tmp_path / "watch.sqlite"
    store = SQLiteStore(path, compact_at=12)
    expected: dict[str, int] = {}
    v = 0

    def commit(firms: str, removed: str = "") -> None:
        nonlocal v
        table = pa.table({"uscc": pa.array(list(firms), pa.string()),
                          "kind": pa.array([ROW] * len(firms), pa.int8()),
                          "v": pa.array(range(v, v + len(firms)), pa.int64())})
        for uscc in firms:
            expected[uscc] = v
            v += 1
        for uscc in removed:
            expected.pop(uscc, None)
        store.commit(Commit(AS_OF, "rules", [table], list(removed), live=len(expected)))

    def held(s: SQLiteStore) -> list[tuple[str, int]]:
        state = s.load()
        return [(uscc, state.segments[at.segment].column("v")[at.row].as_py()) for uscc, at in state.firms.items()]

    def first_segment() -> tuple[int, bytes]:
        return store._con.execute("SELECT id, data FROM segments ORDER BY id LIMIT 1").fetchone()  # type: ignore[no-any-return]

    commit("ABCDEFGHIJ")
    older = first_segment()
    for firms, removed in (("BC", ""), ("C", "D"), ("K", "C"), ("CB", ""), ("BK", "")):
        commit(firms, removed)
    assert _segments(path) == (8, 20)  # a batch with removals writes them as a segment of their own
    commit("B")  # 21 entries > 2 × 10 firms: the seven newer segments as one (B, C, K, D's removal, C's)
    assert _segments(path) == (2, 15) and first_segment() == older
    assert held(store) == list(expected.items()) and [u for u, _ in held(store)] == list("ABEFGHIJKC")
    store.close()
    store = SQLiteStore(path, compact_at=12)
    assert held(store) == list(expected.items())
    assert store.forget(["B"]) == 1
    del expected["B"]
    assert held(store) == list(expected.items())
    commit("".join(expected))  # every firm again: no newer segments leave few enough, so all are rewritten
    assert _segments(path) == (1, 9)
    assert held(store) == list(expected.items())
    store.close()
    again = SQLiteStore(path)
    assert held(again) == list(expected.items())
    again.close()
