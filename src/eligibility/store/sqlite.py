"""The default store: one SQLite file (standard library), WAL mode, one transaction per batch.

A file that is not a store of this library — another SQLite database, a damaged file, any other
file — is refused with :class:`StoreError` before anything is written to it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from .base import Commit, LoggedEvent, Store, StoredState, StoreError

APPLICATION_ID = 0x454C4947
"""``PRAGMA application_id`` of our files ("ELIG"): how a store is told from any other database."""
FORMAT = 2
"""``PRAGMA user_version``: the layout below; a file of a later layout is refused, not rewritten.
1: a firm's profile is its nested JSON data. 2: it may also be a row of a columnar batch
(``{"$row": {...}}``, flat). A format-1 file is marked 2 when opened (its data are valid format 2),
so that a version reading only format 1 refuses it instead of misreading it."""

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE firms (uscc TEXT PRIMARY KEY, profile TEXT NOT NULL, decisions TEXT NOT NULL);
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    entity_id TEXT NOT NULL, rule_id TEXT NOT NULL, kind TEXT NOT NULL,
    old_status TEXT, new_status TEXT, old_amount TEXT, new_amount TEXT,
    as_of TEXT NOT NULL, recorded_at TEXT NOT NULL, rule_set TEXT NOT NULL
);
CREATE INDEX events_entity ON events (entity_id);
CREATE TABLE consumers (name TEXT PRIMARY KEY, seq INTEGER NOT NULL);
"""


def _refuse(path: Path, zh: str, en: str) -> StoreError:
    return StoreError(f"{path} 不能用作监测状态库：{zh}；未改动该文件",
                      f"{path} cannot be used as a watch store: {en}; the file was not changed", path=str(path))


def _check_existing(path: Path) -> None:
    """Refuse a file that is not one of our stores, reading it only."""
    if path.is_dir():
        raise _refuse(path, "这是一个目录", "it is a directory")
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            app_id = con.execute("PRAGMA application_id").fetchone()[0]
            version = con.execute("PRAGMA user_version").fetchone()[0]
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise _refuse(path, f"不是 SQLite 数据库或已损坏（{exc}）", f"not an SQLite database, or damaged ({exc})") from None
    if app_id != APPLICATION_ID:
        raise _refuse(path, "这是别的 SQLite 数据库，不是本库的状态库", "it is another SQLite database, not a store of this library")
    if version > FORMAT:
        raise _refuse(path, f"格式版本 {version} 比本版本支持的 {FORMAT} 新，请升级 eligibility",
                      f"its format {version} is newer than this version supports ({FORMAT}); upgrade eligibility")


class SQLiteStore:
    """A watch's durable state in one SQLite file (created when absent)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        fresh = not self.path.exists() or self.path.stat().st_size == 0
        if not fresh:
            _check_existing(self.path)
        try:
            self._con = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._con.execute("PRAGMA journal_mode=WAL")
            # FULL: a committed batch survives a power cut too, not only a killed process
            self._con.execute("PRAGMA synchronous=FULL")
            if fresh:
                with self._transaction() as con:
                    for statement in filter(str.strip, _SCHEMA.split(";")):
                        con.execute(statement)
                    con.execute(f"PRAGMA application_id={APPLICATION_ID}")
                    con.execute(f"PRAGMA user_version={FORMAT}")
            elif self._con.execute("PRAGMA user_version").fetchone()[0] < FORMAT:
                with self._transaction() as con:  # an earlier format's data are valid in this one
                    con.execute(f"PRAGMA user_version={FORMAT}")
        except sqlite3.DatabaseError as exc:
            raise _refuse(self.path, f"无法打开（{exc}）", f"it cannot be opened ({exc})") from None

    def _transaction(self) -> _Transaction:
        return _Transaction(self._con)

    # -- reading -------------------------------------------------------------------------------
    def load(self) -> StoredState:
        meta = dict(self._con.execute("SELECT key, value FROM meta").fetchall())
        firms = {uscc: (json.loads(p), json.loads(d))
                 for uscc, p, d in self._con.execute("SELECT uscc, profile, decisions FROM firms ORDER BY rowid")}
        as_of = meta.get("as_of")
        return StoredState(date.fromisoformat(as_of) if as_of else None, meta.get("rule_set"),
                           meta.get("checkpoint"), firms)

    def log(self, after: int = 0, limit: int | None = None) -> list[LoggedEvent]:
        sql = "SELECT * FROM events WHERE seq > ? ORDER BY seq" + (" LIMIT ?" if limit is not None else "")
        args: tuple[int, ...] = (after, limit) if limit is not None else (after,)
        return [LoggedEvent(entity, rule, kind, old_s, new_s,
                            None if old_a is None else Decimal(old_a), None if new_a is None else Decimal(new_a),
                            seq=seq, as_of=date.fromisoformat(as_of), recorded_at=datetime.fromisoformat(at),
                            rule_set=rule_set)
                for seq, entity, rule, kind, old_s, new_s, old_a, new_a, as_of, at, rule_set
                in self._con.execute(sql, args)]

    def acked(self, consumer: str) -> int:
        row = self._con.execute("SELECT seq FROM consumers WHERE name = ?", (consumer,)).fetchone()
        return 0 if row is None else int(row[0])

    # -- writing -------------------------------------------------------------------------------
    def commit(self, change: Commit) -> list[int]:
        try:
            return self._commit(change)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path} 写入失败，本批未写入任何内容（{exc}）；请重新打开监测后重试",
                             f"writing to {self.path} failed and nothing of the batch was written ({exc});"
                             " reopen the watch from its store and retry", path=str(self.path)) from exc

    def _commit(self, change: Commit) -> list[int]:
        now = datetime.now(UTC).isoformat()
        seqs: list[int] = []
        with self._transaction() as con:
            if change.firms:
                # an upsert, not INSERT OR REPLACE: a firm keeps its row (its rowid, hence its place in
                # load()'s order), as it keeps its place in the watch's own dict; a restored watch then
                # walks its firms, and emits a date move's events, in the uninterrupted run's order
                con.executemany("INSERT INTO firms (uscc, profile, decisions) VALUES (?, ?, ?)"
                                " ON CONFLICT(uscc) DO UPDATE SET profile = excluded.profile,"
                                " decisions = excluded.decisions",
                                [(u, p if type(p) is str else json.dumps(p, ensure_ascii=False, separators=(",", ":")),
                                  d if type(d) is str else json.dumps(d, ensure_ascii=False, separators=(",", ":")))
                                 for u, (p, d) in change.firms.items()])
            if change.removed:
                con.executemany("DELETE FROM firms WHERE uscc = ?", [(u,) for u in change.removed])
            if change.events:
                # AUTOINCREMENT numbers rows one above the largest ever given (kept in sqlite_sequence), and
                # this transaction is the only writer: the batch's events take the next numbers in order
                last = con.execute("SELECT seq FROM sqlite_sequence WHERE name = 'events'").fetchone()
                first = (int(last[0]) if last else 0) + 1
                day, rule_set = change.as_of.isoformat(), change.rule_set
                con.executemany(
                    "INSERT INTO events (entity_id, rule_id, kind, old_status, new_status, old_amount, new_amount,"
                    " as_of, recorded_at, rule_set) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(e.entity_id, e.rule_id, e.kind, e.old_status, e.new_status,
                      None if e.old_amount is None else str(e.old_amount),
                      None if e.new_amount is None else str(e.new_amount), day, now, rule_set)
                     for e in change.events])
                seqs = list(range(first, first + len(change.events)))
                end = con.execute("SELECT seq FROM sqlite_sequence WHERE name = 'events'").fetchone()
                if int(end[0]) != seqs[-1]:
                    raise sqlite3.DatabaseError(f"event numbers {first}..{seqs[-1]} expected, the log ends at {end[0]}")
            meta = {"as_of": change.as_of.isoformat(), "rule_set": change.rule_set}
            if change.checkpoint is not None:
                meta["checkpoint"] = change.checkpoint
            con.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", list(meta.items()))
        return seqs

    def ack(self, consumer: str, seq: int) -> None:
        with self._transaction() as con:
            con.execute("INSERT INTO consumers (name, seq) VALUES (?, ?)"
                        " ON CONFLICT(name) DO UPDATE SET seq = max(seq, excluded.seq)", (consumer, seq))

    def forget(self, entity_ids: Sequence[str]) -> int:
        with self._transaction() as con:
            held = sum(con.execute("DELETE FROM firms WHERE uscc = ?", (u,)).rowcount for u in entity_ids)
            con.executemany("DELETE FROM events WHERE entity_id = ?", [(u,) for u in entity_ids])
        return held

    def prune(self, before: datetime) -> int:
        with self._transaction() as con:
            return int(con.execute("DELETE FROM events WHERE recorded_at < ?", (before.isoformat(),)).rowcount)

    def close(self) -> None:
        self._con.close()


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on an exception): one batch, all or nothing."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con

    def __enter__(self) -> sqlite3.Connection:
        self.con.execute("BEGIN IMMEDIATE")
        return self.con

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.con.execute("COMMIT" if exc_type is None else "ROLLBACK")


def open_store(store: str | Path | Store) -> Store:
    """A store from a path (an SQLite file, created when absent), or a store already open."""
    return SQLiteStore(store) if isinstance(store, str | Path) else store
