"""Test configuration: hypothesis profiles (CI: bounded examples, no deadline) and rule fixtures."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, settings

import eligibility as el
from ruletext import DOCUMENT

# CI: bounded examples, no deadline, and no shrinking — a failure is reported as found, and can never
# run past the CI time budget while hypothesis minimises it
settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True,
                          phases=[Phase.explicit, Phase.reuse, Phase.generate],
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--fuzz-long", action="store_true",
                     help="run the fuzz tests (tests/fuzz) long, as ELIGIBILITY_FUZZ_LONG=1 does")
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite the golden explanations (tests/golden) from the current output instead of"
                          " comparing; review the diff before committing it")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    """Whether this run rewrites the golden files (``--update-golden``) rather than comparing with them."""
    return bool(request.config.getoption("--update-golden", default=False))


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--fuzz-long", default=False):
        os.environ["ELIGIBILITY_FUZZ_LONG"] = "1"

EXAMPLE_REGISTER = Path(__file__).resolve().parents[1] / "examples" / "register.csv"


@pytest.fixture(scope="module")
def register() -> pd.DataFrame:
    """The example register as the streaming reader gives it (one chunk), rows numbered from 1."""
    from eligibility.batch import read_register

    ((_, chunk),) = list(read_register(EXAMPLE_REGISTER, 10_000))
    frame = chunk.reset_index(drop=True)
    frame.attrs = {}
    return frame



@pytest.fixture
def make_rules(tmp_path: Path) -> Callable[..., el.RuleSet]:
    """Write rules (YAML text of the list items) into a file and load them."""
    counter = iter(range(1000))

    def make(rules_yaml: str, jurisdiction: str = "{code: national, name: 全国}") -> el.RuleSet:
        path = tmp_path / f"rules{next(counter)}.yaml"
        path.write_text(DOCUMENT.format(jurisdiction=jurisdiction) + textwrap.indent(textwrap.dedent(rules_yaml), "  "),
                        encoding="utf-8")
        return el.load_rules(path)

    return make
