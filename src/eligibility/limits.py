"""Every limit the library puts on hostile or broken input, in one place (documented in docs/security.md).

A rule file, a register cell or a profile beyond one of these is refused with a located error
(file:line, row, or field) instead of exhausting memory, time or the interpreter's stack.
"""

from __future__ import annotations

import reprlib
import sys
from decimal import Decimal
from typing import Any

MAX_DEPTH = 200
"""Nesting: YAML collections of a rule file, brackets / ``not`` / ``-`` in one expression, a JSON list
cell or a profile (mappings and lists inside each other)."""

MAX_CHAIN = 300
"""Terms of one chain of operators (``a + b + … ``, ``a * b * …``): flat in the text, so apart from the
nesting depth, but nested to the left in the model — the backends are tested at this length."""
MAX_YAML_DEPTH = MAX_DEPTH + 10
"""Nesting of a YAML document: MAX_DEPTH levels of conditions, plus the levels of the file's own
structure (document, rules, a rule, its when:)."""

MAX_RULE_FILE_BYTES = 4 * 1024 * 1024
"""A rule file (or its ``*.tests.yaml``)."""

MAX_SOURCE_BYTES = 16 * 1024 * 1024
"""A policy source text named by ``document.source``."""

MAX_YAML_NODES = 200_000
"""Nodes of a rule file once every alias is expanded (what the loader builds)."""

MAX_YAML_ALIASES = 1_000
"""Alias uses (``*name``) in one rule file."""

MAX_CELL_CHARS = 10_000
"""Characters of one register cell or one profile value read as a number or an amount."""

MAX_MONEY = Decimal(10) ** 15
"""Amounts are below this in magnitude (10^15 yuan): far above any firm's figure, and low enough
that an amount in fen — and a rule's benefit computed from such amounts (a sum of two, twelve
months of one) — fits the batch's int64 fen (below 9.2 × 10^18) with room to spare."""

MAX_DURATION_YEARS = 200
"""A duration in a rule (``12 months``, ``3 years``, ``90 days``) is at most this long."""

FIRST_YEAR, LAST_YEAR = 1000, 8999
"""A date written in a rule, and an evaluation date, fall in these years: a date ± the longest
duration stays a valid calendar date."""

SHOWN_CHARS = 60
"""How much of a bad value an error message quotes."""

# a parser or walker recursing over MAX_DEPTH levels takes up to ~10 frames a level
_FRAMES_PER_LEVEL = 12

_SHOW = reprlib.Repr()
_SHOW.maxstring = SHOWN_CHARS
_SHOW.maxother = SHOWN_CHARS
_SHOW.maxlevel = 3


def shown(value: Any) -> str:
    """A value as an error message quotes it: text in quotes, a number as written (never
    ``Decimal('…')``), nested or long values cut to a readable length."""
    if isinstance(value, Decimal):
        text = str(value)
        return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 3] + "..."
    if isinstance(value, int) and value.bit_length() > 4 * SHOWN_CHARS:
        return f"<integer of {value.bit_length()} bits>"
    return _SHOW.repr(value)


def ensure_stack() -> None:
    """Make room on the interpreter's stack for MAX_DEPTH levels of a recursive parser or walker
    (only ever raises the recursion limit)."""
    needed = 1_000 + MAX_DEPTH * _FRAMES_PER_LEVEL
    if sys.getrecursionlimit() < needed:
        sys.setrecursionlimit(needed)


def depth(value: Any) -> int:
    """How deeply lists, tuples and mappings nest in ``value`` (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        level += 1
        if level > deepest:
            deepest = level
            if deepest > MAX_DEPTH:
                return deepest
        stack.extend((child, level) for child in children)
    return deepest
