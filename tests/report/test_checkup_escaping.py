"""Issue "hardening" row 14: the markdown check-up escapes a firm name as the HTML report does.

Before the fix a firm named ``<script>…`` reached the markdown raw (rule titles were already escaped).
"""

from __future__ import annotations

import re

import eligibility as el
from eligibility.report import render_checkup


def test_firm_name_and_code_are_escaped_in_markdown_and_html() -> None:
    engine = el.Engine(el.load_rules("examples"))
    ev = engine.evaluate({"name": "<script>alert(1)</script>*甲*公司", "uscc": "91350100M000100Y43"},
                         as_of="2024-06-30")
    md = render_checkup(ev, "md", "zh")
    assert not re.search(r"(?<!\\)<script", md) and "\\<script>alert(1)\\</script>\\*甲\\*公司" in md
    html = render_checkup(ev, "html", "zh")
    assert "<script" not in html and "&lt;script&gt;" in html
