"""Register-scoring jobs. Each job is a folder in the job directory (shared by every worker process):
the upload, ``job.json`` (state, progress, reconciliation) and the result. A job is scored in a child
process of its own — the serving process keeps its time for requests — on the archived rule set it
was accepted with; finished jobs are deleted after the retention time, and on request."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ..error_body import error_body
from ..errors import EligibilityError
from ..io.archive import load_archived
from .scoring import score_register

_STATE = "job.json"
_ID_CHARS = frozenset("0123456789abcdef")


def _write_state(folder: Path, state: dict[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".job-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(state, f, ensure_ascii=False)
    os.replace(tmp, folder / _STATE)


def read_state(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / _STATE).read_text(encoding="utf-8"))  # type: ignore[no-any-return]
    except (OSError, ValueError):
        return None


def run_job(folder: str, archive: str, ruleset_hash: str, as_of: str, chunk_size: int) -> None:
    """The child process: score the upload on the archived rule set, recording progress and outcome."""
    path = Path(folder)
    state = read_state(path) or {}
    state["status"] = "running"
    _write_state(path, state)

    def progress(rows: int) -> None:
        state["rows_done"] = rows
        _write_state(path, state)

    try:
        from ..engine import Engine

        engine = Engine(load_archived(ruleset_hash, archive))
        outcome = score_register(engine, path / state["input"], path / state["output"], date.fromisoformat(as_of),
                                 chunk_size, progress)
        state.update(outcome, status="done", rows_done=outcome["reconciliation"]["rows_read"])
    except EligibilityError as exc:
        state.update(status="failed", error=error_body(exc, location=state["filename"])["error"])
    except Exception:  # noqa: BLE001 - any failure is the job's outcome, reported in the one error shape
        state.update(status="failed", error=error_body(code="internal")["error"])
    state["finished"] = time.time()
    _write_state(path, state)


class Jobs:
    """The job directory: create, read, delete and expire jobs; at most ``max_jobs`` at once."""

    def __init__(self, root: Path, archive: Path, max_jobs: int, retention: float, chunk_size: int) -> None:
        self.root = root
        self.archive = archive
        self.max_jobs = max_jobs
        self.retention = retention
        self.chunk_size = chunk_size
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._children: dict[str, multiprocessing.process.BaseProcess] = {}

    def folder(self, job_id: str) -> Path | None:
        """The job's folder, or None when no such job (an id is 32 hex digits, never a path)."""
        if len(job_id) != 32 or not set(job_id) <= _ID_CHARS:
            return None
        folder = self.root / job_id
        return folder if (folder / _STATE).is_file() else None

    def count(self) -> int:
        return sum(1 for p in self.root.iterdir() if (p / _STATE).is_file())

    def create(self, upload: Path, filename: str, suffix: str, ruleset_hash: str, as_of: date,
               output: str) -> dict[str, Any] | None:
        """Take over ``upload`` as a new job and start scoring it; None when the job limit is reached."""
        with self._lock:
            self.expire()
            if self.count() >= self.max_jobs:
                return None
            job_id = uuid.uuid4().hex
            folder = self.root / job_id
            folder.mkdir()
        shutil.move(upload, folder / f"input{suffix}")
        state = {"id": job_id, "status": "queued", "filename": filename, "as_of": as_of.isoformat(),
                 "created": datetime.now(UTC).isoformat(timespec="seconds"), "rows_done": 0,
                 "reconciliation": None, "provenance": None, "error": None, "input": f"input{suffix}",
                 "output": f"result.{output}", "ruleset_hash": ruleset_hash, "finished": None}
        _write_state(folder, state)
        child = multiprocessing.get_context("spawn").Process(
            target=run_job, args=(str(folder), str(self.archive), ruleset_hash, as_of.isoformat(), self.chunk_size),
            daemon=True)
        child.start()
        self._children[job_id] = child
        threading.Thread(target=self._watch, args=(job_id, folder, child), daemon=True).start()
        return state

    def _watch(self, job_id: str, folder: Path, child: multiprocessing.process.BaseProcess) -> None:
        """Wait for a job's process; a process that died without an outcome fails its job."""
        child.join()
        self._children.pop(job_id, None)
        state = read_state(folder)
        if state is not None and state["status"] in ("queued", "running"):
            state.update(status="failed", error=error_body(code="internal")["error"], finished=time.time())
            _write_state(folder, state)

    def delete(self, job_id: str) -> bool:
        """Stop the job if it runs here and remove its files; False when there is no such job."""
        folder = self.folder(job_id)
        if folder is None:
            return False
        child = self._children.pop(job_id, None)
        if child is not None and child.is_alive():
            child.terminate()
            child.join(5)
        shutil.rmtree(folder, ignore_errors=True)
        return True

    def expire(self) -> int:
        """Delete finished jobs older than the retention time (and stray folders); how many."""
        now = time.time()
        removed = 0
        for folder in self.root.iterdir():
            state = read_state(folder) if folder.is_dir() else None
            stale_stray = state is None and now - folder.stat().st_mtime > self.retention
            if stale_stray or (state is not None and state.get("finished") and now - state["finished"] > self.retention):
                if folder.is_dir():
                    shutil.rmtree(folder, ignore_errors=True)
                else:
                    folder.unlink(missing_ok=True)
                removed += 1
        return removed

    def stop_all(self) -> None:
        """Shutdown: stop this process's running jobs (their state says failed; files expire as usual)."""
        for job_id, child in list(self._children.items()):
            if child.is_alive():
                child.terminate()
                child.join(5)
            self._children.pop(job_id, None)


def public(state: dict[str, Any]) -> dict[str, Any]:
    """A job's state as the API shows it (no file names inside the job folder)."""
    keys = ("id", "status", "filename", "as_of", "created", "rows_done", "reconciliation", "provenance", "error")
    return {k: state.get(k) for k in keys}
