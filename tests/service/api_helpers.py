"""Helpers of the service tests: paths, a JSON encoder for profiles holding dates and Decimals, and the
check of the one error body."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
PROFILES = ROOT / "examples" / "profiles"
ERROR_KEYS = {"code", "message_zh", "message_en", "location"}


def dumps(data: Any) -> str:
    """JSON of a request (dates and Decimals as text, as a caller sends them)."""
    return json.dumps(data, ensure_ascii=False, default=str)


def post_json(client: TestClient, url: str, data: Any, **headers: str) -> Any:
    return client.post(url, content=dumps(data), headers={"content-type": "application/json", **headers})


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """The response is the one error body with this status and code; its error detail."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == ERROR_KEYS, body
    assert body["error"]["code"] == code, body
    assert body["error"]["message_zh"] and body["error"]["message_en"]
    return body["error"]  # type: ignore[no-any-return]


def wait_for_job(c: TestClient, job_id: str, seconds: float = 120) -> dict[str, Any]:
    """A score job's state once it is done or failed (polled); fails the test after ``seconds``."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        state = c.get(f"/v1/jobs/{job_id}").json()
        if state["status"] in ("done", "failed"):
            return state  # type: ignore[no-any-return]
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish in {seconds} s")
