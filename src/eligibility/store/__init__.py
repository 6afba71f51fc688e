"""Durable reactive state: firms' facts, their last decisions and the event log, kept in an embedded
database so that a watch survives a restart or a crash without repeating or losing an event.

    from eligibility.reactive import Watcher
    w = Watcher(el.load_rules(), as_of="2024-06-30", store="watch.sqlite")
    w.upsert_many(profiles)                       # one transaction: facts, decisions, events
    for ev in w.log(after=w.acked("notifier")):   # the durable log, read from an offset
        send(ev); w.ack("notifier", ev.seq)

SQLite (standard library, WAL mode) is the default store; :class:`Store` is the interface a server
database can implement.
"""

from .base import Commit, LoggedEvent, Store, StoreError, StoredRow, StoredState
from .sqlite import SQLiteStore, open_store

__all__ = ["Commit", "LoggedEvent", "SQLiteStore", "Store", "StoreError", "StoredRow", "StoredState", "open_store"]
