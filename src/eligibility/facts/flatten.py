"""A profile as flat facts: dotted path → value, the form every backend reads.

Three states are kept apart: a path that is absent is **unknown**; a path whose value is ``None``
is **known to be empty** (a register the firm is not in, a ``left_on`` of a firm still in the
register); any other value is known. A record given in the profile has the value ``True`` at its
own path. Lists are tuples of plain dicts. Presumed values are recorded apart so explanations can
say "assumed".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from .fields import FieldSpec, Presumption, registry
from .profile import Profile


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


@dataclass(slots=True)
class Facts:
    """Flat facts of one profile. ``values``: path → value; ``presumed``: path → presumption used."""

    values: dict[str, Any]
    presumed: dict[str, Presumption] = field(default_factory=dict)
    derived_cache: dict[tuple[str, Any], Any] = field(default_factory=dict)

    def get(self, path: str) -> Any:
        return self.values.get(path, UNKNOWN)


@cache
def _children(path: str) -> tuple[FieldSpec, ...]:
    prefix = f"{path}." if path else ""
    depth = prefix.count(".")
    return tuple(
        s for p, s in registry().items() if p.startswith(prefix) and p.count(".") == depth and "[]" not in p[len(prefix):]
    )


@cache
def _descendants(path: str) -> tuple[str, ...]:
    prefix = path + "."
    return tuple(p for p in registry() if p.startswith(prefix) and "[]" not in p)


def _set_none(path: str, values: dict[str, Any]) -> None:
    """A record known to be absent: it and everything below it are known-empty."""
    values[path] = None
    for p in _descendants(path):
        values[p] = None


def _fill(path: str, given: dict[str, Any], values: dict[str, Any], presumed: dict[str, Presumption]) -> None:
    for spec in _children(path):
        key = spec.path.rsplit(".", 1)[-1]
        present = key in given
        value = given.get(key)
        if spec.type.kind == "record":
            if isinstance(value, dict):
                values[spec.path] = True
                _fill(spec.path, value, values, presumed)
            elif spec.absent_is_none and path:
                _set_none(spec.path, values)
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


def flatten(profile: Profile) -> Facts:
    """The flat facts of a validated profile (see module docstring for the three states)."""
    values: dict[str, Any] = {}
    presumed: dict[str, Presumption] = {}
    _fill("", profile.model_dump(exclude_unset=True), values, presumed)
    return Facts(values, presumed)
