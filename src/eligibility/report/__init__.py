"""Reports people read: the per-firm policy check-up, and the shared HTML page shell and building blocks.

    from eligibility.report import render_checkup
    html = render_checkup(engine.evaluate(profile, as_of="2024-06-30"), fmt="html", lang="zh")

    from eligibility.report import page, section, table, bar_chart, Bar
    html = page("标题", section("概况", table(["政策", "金额"], [["A", "50万元"]], numeric=[1])), lang="zh")
"""

from .checkup import FORMATS, Checkup, checkup, checkup_dict, format_from_suffix, render_checkup
from .html import TONES, Bar, Html, badge, bar_chart, definition_list, escape, join, page, section, stat, table, tag

__all__ = [
    "FORMATS",
    "TONES",
    "Bar",
    "Checkup",
    "Html",
    "badge",
    "bar_chart",
    "checkup",
    "checkup_dict",
    "definition_list",
    "escape",
    "format_from_suffix",
    "join",
    "page",
    "render_checkup",
    "section",
    "stat",
    "table",
    "tag",
]
