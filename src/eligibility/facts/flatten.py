"""A profile as flat facts: dotted path → value, the form every backend reads.

Three states are kept apart: a path that is absent is **unknown**; a path whose value is ``None``
is **known to be empty** (a register the firm is not in, a ``left_on`` of a firm still in the
register); any other value is known. A record given in the profile has the value ``True`` at its
own path. Lists are tuples of plain dicts. Presumed values are recorded apart so explanations can
say "assumed".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from .fields import FieldSpec, Presumption


class _Unknown:
    """The single UNKNOWN value of three-valued logic (absent, None-as-unknown or NaN data)."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        raise TypeError("UNKNOWN has no truth value; compare with `is UNKNOWN`")

    def __reduce__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


@dataclass(frozen=True, slots=True)
class Attested:
    """A value a caseworker confirmed (the profile's ``attestations``): who and when, for explanations."""

    by: str | None
    on: Any

    @property
    def zh(self) -> str:
        return "人工核实" + "".join(f"：{p}" if i == 0 else f"，{p}" for i, p in enumerate(self._parts()))

    @property
    def en(self) -> str:
        return "confirmed by caseworker" + "".join(f": {p}" if i == 0 else f", {p}" for i, p in enumerate(self._parts()))

    def _parts(self) -> list[str]:
        return [str(p) for p in (self.by, self.on) if p]


@dataclass(slots=True)
class Facts:
    """Flat facts of one profile. ``values``: path → value; ``presumed``: path → presumption used;
    ``attested``: path → who confirmed its value and when."""

    values: dict[str, Any]
    presumed: dict[str, Presumption] = field(default_factory=dict)
    derived_cache: dict[tuple[str, Any], Any] = field(default_factory=dict)
    attested: dict[str, Attested] = field(default_factory=dict)

    def get(self, path: str) -> Any:
        return self.values.get(path, UNKNOWN)


@dataclass(frozen=True, slots=True)
class Layout:
    """A registry arranged for flattening: each record's direct fields, each record's descendants."""

    children: dict[str, tuple[FieldSpec, ...]]
    descendants: dict[str, tuple[str, ...]]


def layout_of(registry: Mapping[str, FieldSpec]) -> Layout:
    """Arrange a registry for :func:`flatten` (build it once per schema)."""
    flat = [p for p in registry if "[]" not in p]
    records = [""] + [p for p, s in registry.items() if s.type.kind == "record" and "[]" not in p]
    children = {r: tuple(registry[p] for p in flat
                         if p.startswith(f"{r}." if r else "") and p.count(".") == (r.count(".") + 1 if r else 0))
                for r in records}
    descendants = {r: tuple(p for p in flat if p.startswith(r + ".")) for r in records if r}
    return Layout(children, descendants)


def _set_none(path: str, values: dict[str, Any], layout: Layout) -> None:
    """A record known to be absent: it and everything below it are known-empty."""
    values[path] = None
    for p in layout.descendants[path]:
        values[p] = None


def _fill(path: str, given: dict[str, Any], values: dict[str, Any], presumed: dict[str, Presumption],
          layout: Layout) -> None:
    for spec in layout.children[path]:
        key = spec.path.rsplit(".", 1)[-1]
        present = key in given
        value = given.get(key)
        if spec.type.kind == "record":
            if isinstance(value, dict):
                values[spec.path] = True
                _fill(spec.path, value, values, presumed, layout)
            elif spec.absent_is_none and path:
                _set_none(spec.path, values, layout)
        elif spec.type.kind == "list":
            if value is not None:
                values[spec.path] = tuple(value)
        elif value is not None:
            values[spec.path] = value
        elif spec.presume is not None:
            if present and spec.presume.value is None:
                values[spec.path] = None  # given as null where null has a meaning (left_on: not left)
            else:
                values[spec.path] = spec.presume.value
                presumed[spec.path] = spec.presume


def flatten(profile: BaseModel, layout: Layout) -> Facts:
    """The flat facts of a validated profile under the layout of its schema's registry (see the
    module docstring for the three states); ``Profile.facts()`` is the usual way in."""
    values: dict[str, Any] = {}
    presumed: dict[str, Presumption] = {}
    _fill("", profile.model_dump(exclude_unset=True), values, presumed, layout)
    attested = {a["field"]: Attested(a.get("by"), a.get("on")) for a in values.get("attestations") or ()
                if a.get("field") in values}
    return Facts(values, presumed, attested=attested)
