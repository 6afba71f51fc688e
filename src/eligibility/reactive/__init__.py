"""Reactive mode: profile updates in, newly-eligible / no-longer-eligible events out (政策找企业).

    from eligibility.reactive import Watcher
    w = Watcher(el.load_rules(), as_of="2024-06-30")          # backend="python" (default) or "durable"
    for ev in w.upsert(profile):                              # also w.on(kind, fn) and w.events()
        print(ev.kind, ev.rule_id, ev.explanation)
    w.upsert_many(frame)                                      # a DataFrame: decided together, diffed column-wise
"""

from .batch_events import BatchEvents
from .events import Event, EventKind
from .watcher import EventStream, Watcher

__all__ = ["BatchEvents", "Event", "EventKind", "EventStream", "Watcher"]
