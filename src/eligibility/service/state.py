"""What the service's routes and its fast lane share: the settings, the rule sets, the jobs and the
accepted tokens (one :class:`Service` per application)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread

from ..errors import EligibilityError
from .deciding import timeout_error
from .jobs import Jobs
from .rulesets import RuleSets
from .settings import ServiceSettings

T = TypeVar("T")
log = logging.getLogger("eligibility.service")


class Service:
    """What the routes share: settings, rule sets, jobs and the accepted tokens."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.tokens = settings.token_set()
        self.admin_tokens = settings.token_set(admin=True) or self.tokens
        if settings.auth_required and not self.tokens:
            raise EligibilityError(
                f"访问令牌认证已开启（监听 {settings.host}，非本机回环地址），但没有配置令牌："
                "请设置 ELIGIBILITY_TOKENS 或 tokens_file，或明确关闭认证（--no-auth）",
                f"bearer-token auth is on (listening on {settings.host}, not loopback) but no token is configured:"
                " set ELIGIBILITY_TOKENS or tokens_file, or turn auth off explicitly (--no-auth)")
        self.rulesets = RuleSets(settings.rules, settings.rulesets_dir)
        self.jobs = Jobs(settings.jobs_dir, settings.rulesets_dir, settings.max_jobs, settings.job_retention,
                         settings.job_chunk_size)

    def reload(self) -> tuple[str, str]:
        old, new = self.rulesets.reload()
        log.info("rule set reloaded", extra={"previous_hash": old, "ruleset_hash": new})
        return old, new

    async def limited(self, fn: Callable[[], T]) -> T:
        """Run blocking work in a thread within the request time limit (``408 timeout`` past it)."""
        try:
            with anyio.fail_after(self.settings.request_timeout):
                return await anyio.to_thread.run_sync(fn, abandon_on_cancel=True)
        except TimeoutError:
            raise timeout_error(self.settings.request_timeout) from None

    def deadline(self) -> float:
        return time.monotonic() + self.settings.request_timeout
