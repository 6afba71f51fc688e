"""The engine the batch tests score with (the example rules)."""

from __future__ import annotations

import pytest

import eligibility as el


@pytest.fixture(scope="module")
def engine() -> el.Engine:
    return el.Engine(el.load_rules("examples"))
