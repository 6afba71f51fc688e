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
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .base import (EVENT_COLUMNS, PROFILE, REMOVED, RULE_IDS, Commit, LoggedEvent, Store, StoredRow, StoredState,
                   StoreError, sparse_cells)

APPLICATION_ID = 0x454C4947
"""``PRAGMA application_id`` of our files ("ELIG"): how a store is told from any other database."""
FORMAT = 4
"""``PRAGMA user_version``: the layout below. 1 and 2 kept one SQLite row per firm and per event; 3
keeps each batch's firms as one segment and its events as one blob (Arrow IPC), so a batch of ten
thousand firms is a few writes; 4 writes a segment's amounts and receipts only where a cell has one
and its decimal facts narrower where they fit (a third of the bytes). A file of format 3 is read and
marked 4 when opened (its segments are read as they are, new ones are written as 4's: a version
that knows only 3 then refuses it rather than misread it); a file of another format is refused, not
rewritten."""
READS = (3, 4)
"""The formats a store is opened from."""
PAGE_SIZE = 16_384
"""Page size of a new store file. A segment is megabytes written as a chain of overflow pages: at
SQLite's default of 4 KiB a commit writes four times as many pages (and log frames), and takes about
twice as long; files made with another page size open as they are."""
COMPACT_AT = 100_000
"""Segments are compacted (see :data:`COMPACT_TO`) when they
hold more than this many entries and more than twice the firms watched."""
COMPACT_TO = 1.5
"""A compaction rewrites newest segments that leave at most this many entries per firm watched (all of
them when none do): a segment still mostly current is kept as it is."""

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE segments (id INTEGER PRIMARY KEY AUTOINCREMENT, entries INTEGER NOT NULL, data BLOB NOT NULL);
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL,
    n INTEGER NOT NULL, as_of TEXT NOT NULL, recorded_at TEXT NOT NULL, rule_set TEXT NOT NULL, data BLOB NOT NULL
);
CREATE INDEX events_last ON events (last_seq);
CREATE TABLE consumers (name TEXT PRIMARY KEY, seq INTEGER NOT NULL);
"""


def _blob(table: pa.Table) -> pa.Buffer:
    """A table as Arrow IPC stream bytes (uncompressed: a forgotten firm's bytes are plainly gone), in
    Arrow's buffer: SQLite takes it as it is, without a copy of megabytes into a ``bytes``."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def _table(data: bytes) -> pa.Table:
    return pa.ipc.open_stream(data).read_all()


def _removals(usccs: pa.Array) -> pa.Table:
    """A segment of removals: these firms are no longer watched."""
    return pa.table({"uscc": usccs, "kind": pa.array(np.full(len(usccs), REMOVED, np.int8))})


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
    if version < READS[0]:
        raise _refuse(path, f"格式版本 {version} 是旧格式（本版本读取格式 {READS[0]}–{FORMAT}）：请新建状态库并重新载入企业",
                      f"its format {version} is an earlier one (this version reads formats {READS[0]}–{FORMAT}):"
                      " create a new store and load the firms into it again")


class SQLiteStore:
    """A watch's durable state in one SQLite file (created when absent).

    Firms live in segments: each batch writes one Arrow table per part of what it changed (its
    rows, its profiles, its removals), and the watch's state is those segments replayed in order —
    a firm's last entry wins, and it keeps the place of its first (a removal ends it). Events are
    logged one blob per batch, each event with its sequence number. ``compact_at``: see
    :data:`COMPACT_AT`.
    """

    def __init__(self, path: str | Path, compact_at: int = COMPACT_AT) -> None:
        self.path = Path(path)
        self.compact_at = compact_at
        fresh = not self.path.exists() or self.path.stat().st_size == 0
        if not fresh:
            _check_existing(self.path)
        try:
            self._con = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            if fresh:  # before anything is written: a page size is a file's for good
                self._con.execute(f"PRAGMA page_size={PAGE_SIZE}")
            self._con.execute("PRAGMA journal_mode=WAL")
            # FULL: a committed batch survives a power cut too, not only a killed process
            self._con.execute("PRAGMA synchronous=FULL")
            self._con.execute("PRAGMA secure_delete=ON")  # freed pages are zeroed: forgotten data are gone
            if not fresh and self._con.execute("PRAGMA user_version").fetchone()[0] < FORMAT:
                self._con.execute(f"PRAGMA user_version={FORMAT}")  # see FORMAT: read as it is, written as 4
            if fresh:
                with self._transaction() as con:
                    for statement in filter(str.strip, _SCHEMA.split(";")):
                        con.execute(statement)
                    con.execute(f"PRAGMA application_id={APPLICATION_ID}")
                    con.execute(f"PRAGMA user_version={FORMAT}")
        except sqlite3.DatabaseError as exc:
            raise _refuse(self.path, f"无法打开（{exc}）", f"it cannot be opened ({exc})") from None

    def _transaction(self) -> _Transaction:
        return _Transaction(self._con)

    # -- reading -------------------------------------------------------------------------------
    def _meta(self) -> dict[str, str]:
        return dict(self._con.execute("SELECT key, value FROM meta").fetchall())

    def _segments(self) -> tuple[list[int], list[pa.Table]]:
        """Every segment's id and table, in order."""
        rows = self._con.execute("SELECT id, data FROM segments ORDER BY id").fetchall()
        return [rowid for rowid, _ in rows], [_table(data) for _, data in rows]

    def _replay(self) -> tuple[list[str], np.ndarray, np.ndarray, list[pa.Table]]:
        """Every segment in order, and the watched firms in the watch's order with the segment and row
        of each one's last entry (see :class:`_Entries`)."""
        segments = self._segments()[1]
        entries = _Entries(segments)
        live = entries.live()
        at = entries.last[live]
        return entries.dictionary.take(pa.array(live)).to_pylist(), entries.segment[at], entries.row[at], segments

    def load(self) -> StoredState:
        meta = self._meta()
        ids, at, rows, segments = self._replay()
        firms: dict[str, tuple[Any, Any] | StoredRow] = {}
        texts: dict[int, tuple[list[Any], list[Any]]] = {}
        held: set[int] = set()
        kinds = [seg.column("kind").to_numpy() for seg in segments]
        for uscc, k, i in zip(ids, at.tolist(), rows.tolist()):
            if kinds[k][i] == PROFILE:
                cols = texts.get(k)
                if cols is None:
                    seg = segments[k]
                    cols = texts[k] = (seg.column("profile").to_pylist(), seg.column("decisions").to_pylist())
                firms[uscc] = (json.loads(cols[0][i]), json.loads(cols[1][i]))
            else:
                firms[uscc] = StoredRow(k, i)
                held.add(k)
        as_of = meta.get("as_of")
        return StoredState(date.fromisoformat(as_of) if as_of else None, meta.get("rule_set"),
                           meta.get("checkpoint"), firms,
                           [seg if k in held else seg.slice(0, 0) for k, seg in enumerate(segments)])

    def log(self, after: int = 0, limit: int | None = None) -> list[LoggedEvent]:
        out: list[LoggedEvent] = []
        rows = self._con.execute("SELECT as_of, recorded_at, rule_set, data FROM events WHERE last_seq > ? ORDER BY id",
                                 (after,))
        for as_of, at, rule_set, data in rows:
            table = _table(data)
            day, recorded = date.fromisoformat(as_of), datetime.fromisoformat(at)
            for seq, entity, rule, kind, old_s, new_s, old_a, new_a in zip(
                    table.column("seq").to_pylist(), *(table.column(c).to_pylist() for c in EVENT_COLUMNS)):
                if seq <= after:
                    continue
                out.append(LoggedEvent(entity, rule, kind, old_s, new_s,
                                       None if old_a is None else Decimal(old_a), None if new_a is None else Decimal(new_a),
                                       seq=seq, as_of=day, recorded_at=recorded, rule_set=rule_set))
                if limit is not None and len(out) >= limit:
                    return out
        return out

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
        parts = [t for t in change.firms if t.num_rows]
        if change.removed:
            parts.append(_removals(pa.array(change.removed, pa.string())))
        segments = [(t.num_rows, _blob(t)) for t in parts]  # before the write lock: work of this process only
        with self._transaction() as con:
            meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
            con.executemany("INSERT INTO segments (entries, data) VALUES (?, ?)", segments)
            entries = int(meta.get("entries", 0)) + sum(n for n, _ in segments)
            events = change.events
            last = int(meta.get("seq", 0))
            if events is not None and events.num_rows:
                seqs = list(range(last + 1, last + 1 + events.num_rows))
                table = events.select(list(EVENT_COLUMNS)).add_column(0, "seq", pa.array(seqs, pa.int64()))
                con.execute("INSERT INTO events (first_seq, last_seq, n, as_of, recorded_at, rule_set, data)"
                            " VALUES (?, ?, ?, ?, ?, ?, ?)",
                            (seqs[0], seqs[-1], len(seqs), change.as_of.isoformat(), now, change.rule_set,
                             _blob(table)))
                last = seqs[-1]
            if entries > self.compact_at and entries > 2 * change.live:
                entries = self._compact(con, change.live)
            new = {"as_of": change.as_of.isoformat(), "rule_set": change.rule_set, "seq": str(last),
                   "entries": str(entries)}
            if change.checkpoint is not None:
                new["checkpoint"] = change.checkpoint
            con.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", list(new.items()))
        return seqs

    def _compact(self, con: sqlite3.Connection, live: int) -> int:
        """Rewrite the newest segments, from the last one worth keeping on, as one (inside the batch's
        transaction); the entries kept. See :data:`COMPACT_TO` and :meth:`_Entries.tail_sizes`.
        Segments whose columns cannot be unified are left as they are."""
        ids, segments = self._segments()
        entries = _Entries(segments)
        total = len(entries.codes)
        if not total:
            return 0
        # of the newest segments that, rewritten, leave few enough entries, those that drop the most
        # entries for the work (entries read and written, and the replay of every firm): a firm updated
        # batch after batch is rewritten without the segment of the firms that did not change
        left = entries.tail_sizes()
        fits = np.flatnonzero(left <= COMPACT_TO * max(live, 1))
        work = total - entries.starts[fits] + (left[fits] - entries.starts[fits]) + live
        first = int(fits[np.argmax((total - left[fits]) / work)]) if len(fits) else 0
        tail = segments[first:]
        metas = {seg.schema.metadata and seg.schema.metadata.get(RULE_IDS) for seg in tail if seg.num_rows}
        metas.discard(None)
        if len(metas) > 1:  # decisions over different rule sets: not one table
            return total
        start = int(entries.starts[first])
        alive = entries.live()
        at = entries.last[alive]
        at = at[at >= start]  # in the watch's order
        parts, order = [], []
        for k in np.unique(entries.segment[at]).tolist():
            mine = np.flatnonzero(entries.segment[at] == k)
            parts.append(sparse_cells(segments[k].take(pa.array(entries.row[at[mine]]))))  # a format-3 one as 4's
            order.append(mine)
        if first:  # a removal in the tail ends a firm held by the older segments: it is kept, first
            ended = np.flatnonzero(entries.removed >= start)
            if len(ended):
                parts.insert(0, _removals(entries.dictionary.take(pa.array(ended))))
                order.insert(0, np.arange(-len(ended), 0))
        if not parts:
            con.execute("DELETE FROM segments")
            return 0
        try:
            whole = pa.concat_tables(parts, promote_options="permissive")
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            return total
        whole = whole.take(pa.array(np.argsort(np.concatenate(order), kind="stable")))
        if metas:
            whole = whole.replace_schema_metadata({RULE_IDS: metas.pop()})
        con.execute("DELETE FROM segments WHERE id >= ?", (ids[first],))
        con.execute("INSERT INTO segments (entries, data) VALUES (?, ?)", (whole.num_rows, _blob(whole)))
        return start + whole.num_rows

    def ack(self, consumer: str, seq: int) -> None:
        with self._transaction() as con:
            con.execute("INSERT INTO consumers (name, seq) VALUES (?, ?)"
                        " ON CONFLICT(name) DO UPDATE SET seq = max(seq, excluded.seq)", (consumer, seq))

    def forget(self, entity_ids: Sequence[str]) -> int:
        """Delete the firms' entries from every segment and their events from every logged batch, then
        checkpoint the journal: with freed pages zeroed, their bytes are gone from the files."""
        gone = pa.array(list(entity_ids), pa.string())
        held: set[str] = set()
        with self._transaction() as con:
            for table, key, column in (("segments", "id", "uscc"), ("events", "id", "entity_id")):
                for rowid, data in con.execute(f"SELECT {key}, data FROM {table}").fetchall():
                    part = _table(data)
                    hit = pc.is_in(part.column(column), value_set=gone)
                    if not pc.any(hit).as_py():
                        continue
                    if table == "segments":
                        held.update(pc.filter(part.column(column), hit).to_pylist())
                    kept = part.filter(pc.invert(hit))
                    if not kept.num_rows:
                        con.execute(f"DELETE FROM {table} WHERE id = ?", (rowid,))
                    elif table == "segments":
                        con.execute("UPDATE segments SET entries = ?, data = ? WHERE id = ?",
                                    (kept.num_rows, _blob(kept), rowid))
                    else:
                        seqs = kept.column("seq")
                        con.execute("UPDATE events SET first_seq = ?, last_seq = ?, n = ?, data = ? WHERE id = ?",
                                    (pc.min(seqs).as_py(), pc.max(seqs).as_py(), kept.num_rows, _blob(kept), rowid))
        self._con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return len(held)

    def prune(self, before: datetime) -> int:
        with self._transaction() as con:
            n = con.execute("SELECT coalesce(sum(n), 0) FROM events WHERE recorded_at < ?",
                            (before.isoformat(),)).fetchone()[0]
            con.execute("DELETE FROM events WHERE recorded_at < ?", (before.isoformat(),))
        return int(n)

    def close(self) -> None:
        self._con.close()


class _Entries:
    """The entries of segments in order, replayed as a dict would be — a firm's last entry wins, in the
    place of its first since its last removal (a removal ends a firm) — over whole arrays: the entries
    of every segment at once, not a Python step each."""

    def __init__(self, segments: list[pa.Table]) -> None:
        sizes = np.array([seg.num_rows for seg in segments], np.int64)
        self.starts = np.cumsum(sizes) - sizes
        """Position of each segment's first entry."""
        chunks = [c for seg in segments for c in seg.column("uscc").chunks]
        codes_of = pc.dictionary_encode(pa.chunked_array(chunks, pa.string()).combine_chunks())
        self.dictionary: pa.Array = codes_of.dictionary
        """The firms; an entry's code is its firm's place here."""
        self.codes: np.ndarray = codes_of.indices.to_numpy()
        n = len(self.codes)
        kinds = [seg.column("kind").to_numpy() for seg in segments if seg.num_rows]
        self.kinds = np.concatenate(kinds) if kinds else np.zeros(0, np.int8)
        self.segment = np.repeat(np.arange(len(segments)), sizes)
        self.row = np.arange(n) - np.repeat(self.starts, sizes)
        pos = np.arange(n)
        self.last = self._last_of(pos)
        """Per firm, the position of its last entry."""
        self.removed = self._last_of(np.flatnonzero(self.kinds == REMOVED))
        """Per firm, the position of its last removal (-1: none)."""
        current = pos[pos > self.removed[self.codes]]  # entries since their firm's last removal
        self.place = np.full(len(self.dictionary), n, np.int64)
        code, first = np.unique(self.codes[current], return_index=True)
        self.place[code] = current[first]

    def _last_of(self, at: np.ndarray) -> np.ndarray:
        """Per firm, the position of its last entry in ``at`` (-1: none)."""
        out = np.full(len(self.dictionary), -1, np.int64)
        code, first = np.unique(self.codes[at][::-1], return_index=True)
        out[code] = at[::-1][first]
        return out

    def live(self) -> np.ndarray:
        """The codes of the firms watched, in the watch's order."""
        live = np.flatnonzero(self.kinds[self.last] != REMOVED) if len(self.codes) else np.zeros(0, np.int64)
        return live[np.argsort(self.place[live], kind="stable")]

    def tail_sizes(self) -> np.ndarray:
        """Per segment, the entries left if it and every later one were rewritten as one: the older
        segments' entries, one per firm with an entry from it on, and one more per firm removed there
        and watched again (its removal kept before it)."""
        ends = np.sort(self.last)
        again = np.sort(np.where(self.kinds[self.last] != REMOVED, self.removed, -1))
        m = len(ends)
        kept = m - np.searchsorted(ends, self.starts) + m - np.searchsorted(again, self.starts)
        return self.starts + kept


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
