"""Test configuration: hypothesis profiles (CI: bounded examples, no deadline) and rule fixtures."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings

import eligibility as el

# CI: bounded examples, no deadline, and no shrinking — a failure is reported as found, and can never
# run past the CI time budget while hypothesis minimises it
settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True,
                          phases=[Phase.explicit, Phase.reuse, Phase.generate],
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))

DOCUMENT = """\
document:
  title: 测试文件
  issuer: 测试
  jurisdiction: {jurisdiction}
  effective: {{from: 2019-01-01}}
rules:
"""


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


def rule_yaml(rule_id: str, when: str, amount: str | None = None, extra: str = "") -> str:
    """One rule with the boilerplate filled in; ``when`` is a YAML value (a quoted expression or a list)."""
    benefit = f"\n  benefit: {{amount: {amount}}}" if amount else ""
    return (
        f"- id: {rule_id}\n"
        f"  title: {{zh: 测试规则, en: test rule}}\n"
        f"  source: {{clause: 一, quote: 测试}}\n"
        f"  kind: grant\n  mode: auto\n  basis: threshold\n"
        f"  when: {when}{benefit}\n" + textwrap.indent(textwrap.dedent(extra), "  ")
    )
