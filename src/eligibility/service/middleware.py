"""ASGI middleware: a request id on every request and response, one structured JSON access-log line
per request (method, route template, status, sizes, time — never a header value, query, path
parameter or body, so no profile value or uploaded data reaches the log), and request body limits."""

from __future__ import annotations

import itertools
import json
import logging
import os
import re
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any

from .errors import ServiceError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

access_log = logging.getLogger("eligibility.access")


class JsonFormatter(logging.Formatter):
    """One JSON object per log line: time, level, logger, message and the record's ``extra`` fields (the
    encoder made once: a line is written for every request)."""

    _PLAIN = frozenset(vars(logging.makeLogRecord({}))) | {"color_message"}
    _ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage(),
        }
        plain = self._PLAIN
        data.update({k: v for k, v in vars(record).items() if k not in plain and not k.startswith("_")})
        return self._ENCODER.encode(data)


def configure_logging() -> None:
    """Send the service's loggers (``eligibility.*``) to stderr as JSON lines, once."""
    root = logging.getLogger("eligibility")
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        root.propagate = False


def _last_header(scope: Scope, name: bytes) -> bytes | None:
    """The last value of a request header (the one a mapping of them all would hold), without building
    that mapping on every request."""
    found = None
    for key, value in scope.get("headers") or ():
        if key == name:
            found = value
    return found


class RequestLog:
    """Gives each request an id (the caller's ``X-Request-ID`` when well-formed, else a new one), returns
    it in ``X-Request-ID`` and logs one access line when the response is sent. A new id is 32 hex digits:
    this process's random half, drawn once (each worker builds its own), then a count — unique without
    reading the system's random source on every request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._prefix = os.urandom(8).hex()
        self._count = itertools.count()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = (_last_header(scope, b"x-request-id") or b"").decode("latin-1")
        request_id = given if _REQUEST_ID.match(given) else f"{self._prefix}{next(self._count):016x}"
        scope.setdefault("state", {})["request_id"] = request_id
        start = time.perf_counter()
        status = 500
        sizes = {"in": 0, "out": 0}

        async def counting_receive() -> Message:
            message = await receive()
            sizes["in"] += len(message.get("body", b""))
            return message

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            elif message["type"] == "http.response.body":
                sizes["out"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, counting_receive, send_with_id)
        finally:
            route = scope.get("route")
            access_log.info("request", extra={
                "request_id": request_id, "method": scope["method"],
                "route": getattr(route, "path", None), "status": status, "bytes_in": sizes["in"],
                "bytes_out": sizes["out"], "duration_ms": round((time.perf_counter() - start) * 1000, 2),
            })


class BodyLimit:
    """Refuses a request body over its limit with ``413 too_large``: at once when Content-Length says so,
    else as soon as the bytes read pass it (a chunked upload is never read to the end)."""

    def __init__(self, app: ASGIApp, limit: int, upload_limit: int, upload_paths: frozenset[str]) -> None:
        self.app = app
        self.limit = limit
        self.upload_limit = upload_limit
        self.upload_paths = upload_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_limit if scope["path"] in self.upload_paths else self.limit
        declared = _last_header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _send_too_large(send, limit)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise too_large(limit)
            return message

        await self.app(scope, limited, send)


def too_large(limit: int) -> ServiceError:
    return ServiceError("too_large", f"请求体超过上限 {limit:,} 字节", f"the request body exceeds the limit of {limit:,} bytes",
                        location="body")


async def _send_too_large(send: Send, limit: int) -> None:
    body = json.dumps(too_large(limit).body, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
