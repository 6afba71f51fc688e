"""Crash test: a process feeding a watch kept in a store is killed with SIGKILL at random points —
between batches and inside them — and restarted until the feed is done; the event log must equal
that of an uninterrupted run, event for event, with no sequence number skipped or repeated."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from eligibility.store import SQLiteStore

FEEDER = Path(__file__).with_name("feeder.py")
KILLS = int(os.environ.get("ELIGIBILITY_CRASH_KILLS", "6"))


def feed(path: Path, kill_after: float | None) -> float | None:
    """Run the feeder; kill it ``kill_after`` seconds after it is ready to feed (None: let it finish).
    The seconds its feeding took when it finished, None when it was killed."""
    proc = subprocess.Popen([sys.executable, str(FEEDER), str(path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    ready = proc.stdout.readline()
    if kill_after is not None and ready.startswith("ready"):
        time.sleep(kill_after)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
            return None
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    assert ready.startswith("ready") and out.startswith("fed"), (ready, out, err)
    return float(out.split()[-1])


def checkpoint(path: Path) -> str | None:
    if not path.exists() or path.stat().st_size == 0:
        return None
    store = SQLiteStore(path)
    try:
        return store.load().checkpoint
    finally:
        store.close()


def log_of(path: Path) -> list[tuple[object, ...]]:
    store = SQLiteStore(path)
    try:
        return [(e.seq, e.entity_id, e.rule_id, e.kind, e.old_status, e.new_status, e.old_amount, e.new_amount,
                 e.as_of, e.rule_set) for e in store.log()]
    finally:
        store.close()


def test_killed_and_restarted_feed_logs_exactly_the_uninterrupted_events(tmp_path: Path) -> None:
    whole = tmp_path / "whole.sqlite"
    duration = feed(whole, None)
    assert duration is not None
    expected = log_of(whole)
    assert expected and [e[0] for e in expected] == list(range(1, len(expected) + 1))

    crashed = tmp_path / "crashed.sqlite"
    rng = random.Random(20261206)
    kills, mid_feed = 0, 0
    # kill points spread over the feeding (after start-up), until KILLS kills hit a live process
    while kills < KILLS:
        if feed(crashed, rng.uniform(0.0, 0.8) * duration) is not None:
            break
        kills += 1
        mid_feed += checkpoint(crashed) is not None
    else:
        assert feed(crashed, None)
    assert mid_feed > 0, "no kill landed while batches were being written"
    assert log_of(crashed) == expected
