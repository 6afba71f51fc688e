"""The durable watch: state and log survive a restart, a batch is all or nothing, consumers resume
from their acknowledged offset, firms can be forgotten, and a foreign file is never overwritten."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import eligibility as el
from eligibility.reactive import Watcher
from eligibility.store import SQLiteStore, StoreError
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
    """The database refuses the batch's third event, after its firms were written: all is rolled back."""
    path = tmp_path / "watch.sqlite"
    with Watcher(engine, as_of=AS_OF, store=path) as w:
        w.upsert_many(firms[:10], checkpoint="a")
        logged = len(w.log())
    con = sqlite3.connect(path)
    con.execute(f"CREATE TRIGGER refuse BEFORE INSERT ON events WHEN (SELECT count(*) FROM events) >= {logged + 2}"
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


def test_a_format_1_store_is_read_and_marked_2_and_a_later_format_refused(tmp_path: Path, engine: el.Engine,
                                                                         firms: list[dict[str, Any]]) -> None:
    """Format 2 adds firms held as rows of a columnar batch; a format-1 file (nested profiles only) is
    read as it is and marked 2, so a version knowing only format 1 refuses it rather than misread it."""
    path = tmp_path / "watch.sqlite"
    with Watcher(engine, as_of=AS_OF, store=path) as w:
        w.upsert_many(firms[:20])                          # nested profiles: what format 1 held
    con = sqlite3.connect(path)
    con.execute("PRAGMA user_version=1")
    con.commit()
    con.close()
    with Watcher(engine, store=path) as w:
        assert len(w) == 20 and w.log(after=20 * 100) == []
        w.upsert_many(el.to_frame(firms[20:30]))           # rows of a frame: format 2 data
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == 2
    assert con.execute("SELECT count(*) FROM firms WHERE profile LIKE '{\"$row\":%'").fetchone()[0] == 10
    con.execute("PRAGMA user_version=3")
    con.commit()
    con.close()
    before = path.read_bytes()
    with pytest.raises(StoreError) as exc:
        Watcher(engine, store=path)
    assert "format 3 is newer than this version supports (2)" in exc.value.en and "格式版本 3" in exc.value.zh
    assert path.read_bytes() == before
