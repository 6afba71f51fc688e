"""Line breaking for the terminal, by display cells and aware of Chinese text: a line may break
between two Chinese characters or at a space, never inside a Latin word or a number (with the unit
that follows it), never between a number and its unit, never before closing punctuation nor after opening punctuation."""

from __future__ import annotations

import re

from rich.cells import cell_len

#: a space run, a Latin word or number (with the joiners inside it), or any other single character
_TOKEN = re.compile(r"\s+|[0-9A-Za-z][0-9A-Za-z.,%/+\-_:'’&]*|.", re.S)
_CLOSING = set("，。、；：！？）》」』”’〕】,.;:!?)]}%")
_OPENING = set("（《「『“‘〔【([{")
#: characters of a unit that stays with the number before it (10万元, 12个月, 3年)
_UNIT = set("万亿千百元人年月日天个家项倍次户名岁度")


def _units(text: str) -> list[str]:
    """``text`` cut where a line may break: each unit is kept whole on one line."""
    units: list[str] = []
    glue = False  # the next token joins the last unit (after opening punctuation or a number)
    for token in _TOKEN.findall(text):
        if token.isspace():
            units.append(token)
            glue = False
            continue
        if units and not units[-1].isspace() and (glue or token[0] in _CLOSING):
            units[-1] += token
        else:
            units.append(token)
        glue = token[-1] in _OPENING or token[-1].isdigit() or (glue and token in _UNIT)
    return units


def longest_unit(text: str) -> int:
    """Cells of the widest piece of ``text`` that cannot be broken (the narrowest width that keeps it whole)."""
    return max((cell_len(u) for u in _units(text) if not u.isspace()), default=0)


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` cells, broken only where :func:`_units` allows (a piece
    wider than ``width`` alone is cut, as nothing else would fit)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for unit in _units(paragraph):
            if unit.isspace():
                if line and cell_len(line) + 1 <= width:
                    line += " "
                continue
            if cell_len(line) + cell_len(unit) <= width:
                line += unit
                continue
            if line.strip():
                lines.append(line.rstrip())
            line = unit
            while cell_len(line) > width:  # wider than a whole line: cut by cells
                cut = next(i for i in range(len(line), 0, -1) if cell_len(line[:i]) <= width)
                lines.append(line[:max(cut, 1)])
                line = line[max(cut, 1):]
        lines.append(line.rstrip())
    return lines
