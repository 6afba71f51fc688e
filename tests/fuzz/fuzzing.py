"""Shared settings and checks of the fuzz tests: a bounded run in CI, a long one with ``--fuzz-long``
(or ELIGIBILITY_FUZZ_LONG=1); the only acceptable outcomes are a result or a located library error."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from hypothesis import HealthCheck, settings

from eligibility.errors import EligibilityError, ProfileError, RuleDefinitionError, RuleSetError

LONG = bool(os.environ.get("ELIGIBILITY_FUZZ_LONG"))
SECONDS_PER_EXAMPLE = 20.0
"""An example taking longer is a hang (the limits keep every input far below this)."""


def fuzz(ci_examples: int) -> Callable[[Any], Any]:
    """Hypothesis settings for one fuzz test: ``ci_examples`` in CI (the suite stays under two
    minutes), 50 times as many when run long."""
    return settings(max_examples=ci_examples * 50 if LONG else ci_examples, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                           HealthCheck.data_too_large])


@contextmanager
def bounded() -> Iterator[None]:
    """Fail an example that runs past SECONDS_PER_EXAMPLE."""
    started = time.perf_counter()
    yield
    assert time.perf_counter() - started < SECONDS_PER_EXAMPLE, "an input took too long"


def located(exc: EligibilityError) -> bool:
    """A library error says where: file for a rule problem, a field (or the whole profile) for a profile."""
    if isinstance(exc, RuleSetError):
        return all(isinstance(e, RuleDefinitionError) and e.file for e in exc.errors)
    if isinstance(exc, RuleDefinitionError):
        return bool(exc.file)
    if isinstance(exc, ProfileError):
        return True  # names its fields in the message (or is about the profile as a whole)
    return bool(exc.en)
