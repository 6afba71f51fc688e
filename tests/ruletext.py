"""Rule text for tests: a document header and one rule with its boilerplate filled in.

A plain module beside the top conftest (not in it), so tests in any folder import it by name
whatever other conftest files the run collects.
"""

from __future__ import annotations

import textwrap

DOCUMENT = """\
document:
  title: 测试文件
  issuer: 测试
  jurisdiction: {jurisdiction}
  effective: {{from: 2019-01-01}}
rules:
"""


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
