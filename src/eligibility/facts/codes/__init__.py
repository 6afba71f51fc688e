"""Official codes a profile carries: USCC (GB 32100), region (GB/T 2260), industry (GB/T 4754)."""

from eligibility.facts.codes.industry import (
    DIVISIONS,
    SECTIONS,
    division_name,
    industry_division,
    industry_section,
    industry_under,
    normalize_industry_code,
    section_name,
)
from eligibility.facts.codes.regions import (
    PROVINCES,
    REGION_NAMES,
    is_valid_region,
    region_by_name,
    region_name,
    region_path,
    region_prefix,
    region_under,
    validate_region,
)
from eligibility.facts.codes.uscc import USCC, check_character, is_valid_uscc, normalise_uscc, parse_uscc

__all__ = [
    "DIVISIONS",
    "PROVINCES",
    "REGION_NAMES",
    "SECTIONS",
    "USCC",
    "check_character",
    "division_name",
    "industry_division",
    "industry_section",
    "industry_under",
    "is_valid_region",
    "is_valid_uscc",
    "normalize_industry_code",
    "normalise_uscc",
    "parse_uscc",
    "region_by_name",
    "region_name",
    "region_path",
    "region_prefix",
    "region_under",
    "section_name",
    "validate_region",
]
