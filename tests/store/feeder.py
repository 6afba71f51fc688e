"""Feeds a small reactive workload into a watch kept in a store, batch by batch, resuming after the
store's checkpoint: the process the crash test kills and restarts. ``python feeder.py STORE``."""

from __future__ import annotations

import sys
import time
from itertools import groupby

from eligibility.reactive import Watcher
from eligibility.testing.workload import make_workload

FIRMS, UPDATES, BATCH = 240, 160, 20


def batches() -> list[tuple[str, list]]:
    """The workload as named batches: firms loaded, then runs of upserts, removals and date moves."""
    wl = make_workload(FIRMS, UPDATES)
    out: list[tuple[str, list]] = [("upsert", wl.firms[i:i + BATCH]) for i in range(0, len(wl.firms), BATCH)]
    for kind, run in groupby(wl.steps, key=lambda s: s.kind):
        steps = list(run)
        if kind == "advance":
            out += [("advance", [s.day]) for s in steps]
            continue
        for i in range(0, len(steps), BATCH):
            part = steps[i:i + BATCH]
            out.append((kind, [s.profile if kind == "upsert" else s.uscc for s in part]))
    return out


def main(path: str) -> None:
    plan = batches()
    wl = make_workload(FIRMS, UPDATES)
    with Watcher(as_of=wl.as_of, store=path) as w:
        print("ready", flush=True)
        began = time.monotonic()
        start = 0 if w.checkpoint is None else int(w.checkpoint) + 1
        for i in range(start, len(plan)):
            kind, items = plan[i]
            if kind == "upsert":
                w.upsert_many(items, checkpoint=str(i))
            elif kind == "remove":
                w.remove_many(items, checkpoint=str(i))
            else:
                w.advance_to(items[0], checkpoint=str(i))
        print("fed", len(plan) - start, "batches in", time.monotonic() - began, flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
