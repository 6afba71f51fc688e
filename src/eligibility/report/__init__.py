"""Reports people read: the shared HTML page shell and its building blocks (more reports build on them).

    from eligibility.report import page, section, table, bar_chart, Bar
    html = page("标题", section("概况", table(["政策", "金额"], [["A", "50万元"]], numeric=[1])), lang="zh")
"""

from .html import TONES, Bar, Html, badge, bar_chart, definition_list, escape, join, page, section, table, tag

__all__ = [
    "TONES",
    "Bar",
    "Html",
    "badge",
    "bar_chart",
    "definition_list",
    "escape",
    "join",
    "page",
    "section",
    "table",
    "tag",
]
