"""What each rule reads: the flat-fact paths whose values can change its decision.

Static (from the rule's expressions, its scope and benefit, and the raw fields behind the derived
facts it uses), so that the reactive backend knows which rules to re-decide when a fact changes
and a batch knows which rules an unreadable value touches (per-field isolation: those rules get
``error``, every other rule of the firm is decided as usual).
"""

from __future__ import annotations

from collections.abc import Iterable

from .facts.derived import DERIVED
from .model import expr as x
from .model.rule import Rule

__all__ = ["readers", "rule_reads", "with_records"]


def rule_reads(rule: Rule) -> frozenset[str]:
    """Every flat-fact path whose value can change the rule's decision, with the records above them.

    Fields and lists read by its conditions, amount, cap and schedule; the raw fields of its
    derived facts; where it applies (region, zone, its matters); benefits received for one-offs
    and instalments. A record's own path is included, since a record given or taken away changes
    what lies below it.
    """
    paths = {f"scenario.{name}" for name in rule.scenarios}
    j = rule.jurisdiction
    if j.prefix:
        paths.add("region_code")
        if j.by:
            paths.add(f"scenario.{j.by}.region_code")
    if j.development_zone:
        paths.add("development_zone")
    b = rule.benefit
    if b.once or b.schedule:
        paths.add("benefits_received")
    paths |= node_reads([rule.when, b.amount, b.cap, b.schedule.start if b.schedule else None])
    return with_records(paths)


def node_reads(roots: Iterable[x.Node | None]) -> set[str]:
    """The flat-fact paths expressions read: fields, lists, and the raw fields of derived facts."""
    paths: set[str] = set()
    for root in roots:
        if root is None:
            continue
        for node in x.walk(root):
            if isinstance(node, x.Field):
                paths.add(node.path)
            elif isinstance(node, x.Quantifier | x.ItemField):
                paths.add(node.list_path)
            elif isinstance(node, x.Derived):
                paths.update(DERIVED[node.name].reads)
    return paths


def with_records(paths: Iterable[str]) -> frozenset[str]:
    """The paths with every record above them (``a.b.c`` → ``a``, ``a.b``, ``a.b.c``)."""
    out = set()
    for path in paths:
        parts = path.split("[]")[0].split(".")
        out.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return frozenset(out)


def readers(rules: Iterable[Rule], path: str) -> set[str]:
    """Ids of the rules that read ``path`` (a field, a list, or a record: then anything under it)."""
    below = path + "."
    return {r.id for r in rules
            if path in (reads := rule_reads(r)) or any(p.startswith(below) for p in reads)}
