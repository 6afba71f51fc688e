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
from typing import Any, NamedTuple

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


class Child(NamedTuple):
    """One direct field of a record, as :func:`flatten` reads it (worked out once per schema)."""

    key: str
    path: str
    kind: str
    absent_is_none: bool
    presume: Presumption | None


@dataclass(frozen=True, slots=True)
class Layout:
    """A registry arranged for flattening: each record's direct fields, each record's descendants."""

    children: dict[str, tuple[Child, ...]]
    descendants: dict[str, tuple[str, ...]]


def layout_of(registry: Mapping[str, FieldSpec]) -> Layout:
    """Arrange a registry for :func:`flatten` (build it once per schema)."""
    flat = [p for p in registry if "[]" not in p]
    records = [""] + [p for p, s in registry.items() if s.type.kind == "record" and "[]" not in p]
    direct = {r: [registry[p] for p in flat
                  if p.startswith(f"{r}." if r else "") and p.count(".") == (r.count(".") + 1 if r else 0)]
              for r in records}
    children = {r: tuple(Child(s.path.rsplit(".", 1)[-1], s.path, s.type.kind, s.absent_is_none, s.presume)
                         for s in specs) for r, specs in direct.items()}
    descendants = {r: tuple(p for p in flat if p.startswith(r + ".")) for r in records if r}
    return Layout(children, descendants)


def _set_none(path: str, values: dict[str, Any], layout: Layout) -> None:
    """A record known to be absent: it and everything below it are known-empty."""
    values[path] = None
    for p in layout.descendants[path]:
        values[p] = None


def _given(record: BaseModel | dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The keys a record was given and its values: a validated record's fields set (its values kept as
    validated, no dump of the whole profile), or a plain record's own keys."""
    if isinstance(record, BaseModel):
        return record.model_fields_set, record.__dict__
    return record, record


def _listed(value: Any) -> tuple[Any, ...]:
    """A list field's items as ``model_dump(exclude_unset=True)`` gives them: records as plain dicts."""
    return tuple(item.model_dump(exclude_unset=True) if isinstance(item, BaseModel) else item for item in value)


def _fill(path: str, record: BaseModel | dict[str, Any], values: dict[str, Any], presumed: dict[str, Presumption],
          layout: Layout) -> None:
    keys, data = _given(record)
    for key, spec_path, kind, absent_is_none, presume in layout.children[path]:
        present = key in keys
        value = data.get(key) if present else None
        if kind == "record":
            if isinstance(value, BaseModel | dict):
                values[spec_path] = True
                _fill(spec_path, value, values, presumed, layout)
            elif absent_is_none and path:
                _set_none(spec_path, values, layout)
        elif kind == "list":
            if value is not None:
                values[spec_path] = _listed(value)
        elif value is not None:
            values[spec_path] = value
        elif presume is not None:
            if present and presume.value is None:
                values[spec_path] = None  # given as null where null has a meaning (left_on: not left)
            else:
                values[spec_path] = presume.value
                presumed[spec_path] = presume


def flatten(profile: BaseModel, layout: Layout) -> Facts:
    """The flat facts of a validated profile under the layout of its schema's registry (see the
    module docstring for the three states); ``Profile.facts()`` is the usual way in. The fields set are
    read off the validated records as they stand (the values ``model_dump(exclude_unset=True)`` gives,
    without building that dump: a fresh profile on the service's path pays for it on every request)."""
    values: dict[str, Any] = {}
    presumed: dict[str, Presumption] = {}
    _fill("", profile, values, presumed, layout)
    attested = {a["field"]: Attested(a.get("by"), a.get("on")) for a in values.get("attestations") or ()
                if a.get("field") in values}
    return Facts(values, presumed, attested=attested)
