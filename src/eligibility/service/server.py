"""Running the service: uvicorn with JSON logs, one process or several workers (started by uvicorn's
supervisor, which answers SIGHUP by replacing the workers one at a time: each new worker loads the
rule files afresh, and an old one finishes its requests before it stops)."""

from __future__ import annotations

import os
from typing import Any

import uvicorn

from .app import create_app
from .settings import SETTINGS_ENV, ServiceSettings


def log_config() -> dict[str, Any]:
    """uvicorn's own messages and the service's, all as JSON lines on stderr (uvicorn's access log is off:
    the service writes its own, without query strings)."""
    json_handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"json": {"()": "eligibility.service.middleware.JsonFormatter"}},
        "handlers": {"json": json_handler},
        "loggers": {name: {"handlers": ["json"], "level": "INFO", "propagate": False}
                    for name in ("uvicorn", "uvicorn.error", "eligibility")},
    }


def uvicorn_options(settings: ServiceSettings) -> dict[str, Any]:
    """uvicorn's options for one process or several. An idle connection is kept ``keep_alive`` seconds:
    longer than a client pool's or proxy's own idle timeout (httpx: 5 s, uvicorn's default too), so the
    client closes it first; were the server to close it as the client sends its next request on it, that
    request would fail without ever reaching the service."""
    return {"host": settings.host, "port": settings.port, "access_log": False, "log_config": log_config(),
            "timeout_graceful_shutdown": settings.graceful_timeout, "timeout_keep_alive": settings.keep_alive,
            "server_header": False}


def run(settings: ServiceSettings) -> None:
    """Serve until SIGINT or SIGTERM, then finish the requests in flight (up to ``graceful_timeout``)."""
    os.environ[SETTINGS_ENV] = settings.to_env()  # worker processes read their settings from here
    app = create_app(settings)  # loads and archives the rules: a bad rule file stops start-up here
    common = uvicorn_options(settings)
    if settings.workers == 1:
        uvicorn.run(app, **common)
    else:
        uvicorn.run("eligibility.service.app:app_from_env", factory=True, workers=settings.workers,
                    timeout_worker_healthcheck=settings.worker_start_timeout, **common)
