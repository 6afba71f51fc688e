"""Tools for policy writers: run rule tests, hypothesis strategies, boundaries, coverage, mutation.

    from eligibility.testing import profiles, profiles_for, boundary_cases
"""

from .boundaries import BoundaryCase, BoundaryResult, boundary_cases, boundary_report, format_boundary_report
from .strategies import default_as_of, profiles, profiles_for, seed_profiles

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
