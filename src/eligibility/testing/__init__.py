"""Tools for policy writers: run rule tests, boundaries, coverage, mutation, hypothesis strategies.

    from eligibility.testing import boundary_cases, seed_profiles
    from eligibility.testing import profiles, profiles_for   # needs eligibility[testing] (hypothesis)

Everything here but the strategies works without hypothesis; ``profiles`` and ``profiles_for`` are
imported on first use, and without hypothesis they raise an ImportError saying what to install.
"""

from typing import Any

from .boundaries import BoundaryCase, BoundaryResult, boundary_cases, boundary_report, format_boundary_report
from .seeds import default_as_of, seed_profiles

_STRATEGIES = ("profiles", "profiles_for")


def __getattr__(name: str) -> Any:
    """The hypothesis strategies, imported only when asked for (hypothesis is the [testing] extra)."""
    if name in _STRATEGIES:
        from . import strategies

        return getattr(strategies, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BoundaryCase",
    "BoundaryResult",
    "boundary_cases",
    "boundary_report",
    "default_as_of",
    "format_boundary_report",
    "profiles",
    "profiles_for",
    "seed_profiles",
]
