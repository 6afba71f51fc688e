"""A real ``eligibility serve`` process on a free loopback port: it answers /v1/match as the library
does, reloads on SIGHUP (one worker, and every worker of several) and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import httpx
import yaml

import eligibility as el
from api_helpers import PROFILES, dumps
from eligibility.io.rules import bundled_rules_dir
from eligibility.provenance import determination_id


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(tmp_path: Path, *args: str, **env: str) -> Iterator[tuple[httpx.Client, subprocess.Popen[bytes]]]:
    """Start ``eligibility serve`` on 127.0.0.1 and a free port (``env``: extra environment variables);
    stop it (SIGTERM) afterwards."""
    port = _free_port()
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "eligibility.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--data-dir", str(tmp_path / "data"), *args], stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "ELIGIBILITY_GRACEFUL_TIMEOUT": "5", **env})
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text(encoding="utf-8")
            try:
                if client.get("/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not become ready"
            time.sleep(0.3)
        yield client, proc
    finally:
        client.close()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


def _wait_for_hash(client: httpx.Client, old: str, times: int) -> str:
    """Poll /readyz until ``times`` answers in a row give a hash other than ``old``."""
    deadline, seen = time.monotonic() + 90, 0
    while seen < times:
        assert time.monotonic() < deadline, "the reload did not reach the server"
        new = client.get("/readyz").json()["ruleset_hash"]
        seen = seen + 1 if new != old else 0
        time.sleep(0.1)
    return new  # type: ignore[no-any-return]


def test_a_served_match_equals_the_library_and_sighup_reloads(tmp_path: Path) -> None:
    shutil.copytree(bundled_rules_dir(), tmp_path / "rules")
    pack = tmp_path / "rules" / "examples"
    profile = yaml.safe_load((PROFILES / "puer-manufacturer.yaml").read_text(encoding="utf-8"))
    with serving(tmp_path, "--rules", str(pack)) as (client, proc):
        response = client.post("/v1/match", content=dumps({"profile": profile, "as_of": "2024-06-30"}),
                               headers={"content-type": "application/json"})
        assert response.status_code == 200
        engine = el.Engine(el.load_rules(str(pack)))
        want = engine.evaluate(profile, "2024-06-30").to_dict("zh")
        (got,) = response.json()["results"]
        assert [(r["rule_id"], r["status"], r["amount"]) for r in got["results"]] == \
            [(r["rule_id"], r["status"], r["amount"]) for r in want["results"]]
        p = el.Profile.from_data(profile)
        day = date.fromisoformat(want["as_of"])
        assert got["provenance"]["determination_id"] == determination_id(p, engine.rules.hash, day)
        old = got["provenance"]["ruleset_hash"]
        rule_file = pack / "puer-demo.yaml"
        rule_file.write_text(rule_file.read_text(encoding="utf-8").replace("amount: 50万", "amount: 60万", 1),
                             encoding="utf-8")
        proc.send_signal(signal.SIGHUP)
        assert _wait_for_hash(client, old, 1) == el.load_rules(str(pack)).hash
        assert proc.poll() is None
    _stopped_gracefully(proc, tmp_path)


def _stopped_gracefully(proc: subprocess.Popen[bytes], tmp_path: Path) -> None:
    """uvicorn finishes the requests in flight and the lifespan, then re-raises the SIGTERM it caught."""
    assert proc.returncode in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in (tmp_path / "serve.log").read_text(encoding="utf-8")


def test_admin_reload_reaches_every_worker(tmp_path: Path) -> None:
    """With several workers the reload endpoint asks the main process (SIGHUP), which replaces each worker."""
    shutil.copytree(bundled_rules_dir(), tmp_path / "rules")
    pack = tmp_path / "rules" / "examples"
    with serving(tmp_path, "--rules", str(pack), "--workers", "2", ELIGIBILITY_ADMIN_TOKENS="adm1n") as (client, proc):
        old = client.get("/readyz").json()["ruleset_hash"]
        rule_file = pack / "puer-demo.yaml"
        rule_file.write_text(rule_file.read_text(encoding="utf-8").replace("amount: 50万", "amount: 70万", 1),
                             encoding="utf-8")
        answer = client.post("/v1/admin/reload", headers={"authorization": "Bearer adm1n"}).json()
        assert answer == {"status": "requested", "previous_hash": old, "ruleset_hash": None}
        assert _wait_for_hash(client, old, 10) == el.load_rules(str(pack)).hash  # ten answers in a row: all workers
    _stopped_gracefully(proc, tmp_path)
