"""Request and response bodies of the HTTP API (pydantic models: they validate requests and make the
OpenAPI document)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidatorFunctionWrapHandler, WrapValidator

from ..facts.profile import Profile

HASH_PATTERN = r"^[0-9a-f]{64}$"


def _arithmetic_as_invalid(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """A number no exact arithmetic can hold (1e308 yuan) is a bad value of the request, not a server
    error: the decimal error it raises becomes a validation error naming the profile."""
    try:
        return handler(value)
    except ArithmeticError:
        raise ValueError("画像中有数值超出可精确计算的范围 / a number in the profile is out of the exactly computable"
                         " range") from None


RequestProfile = Annotated[Profile, WrapValidator(_arithmetic_as_invalid)]


class DecisionRequest(BaseModel):
    """One profile or several, the date to evaluate at, the language and (optionally) an archived rule
    set to answer with."""

    model_config = ConfigDict(extra="forbid")

    profile: RequestProfile | None = Field(None, description="one enterprise profile (schema v1)")
    profiles: list[RequestProfile] | None = Field(None, description="several enterprise profiles")
    as_of: date | None = Field(None, description="evaluation date, YYYY-MM-DD (default: today)")
    lang: Literal["zh", "en"] = "zh"
    explain: bool = Field(True, description="include each rule's conditions and rendered explanation (/v1/match)")
    rule_set: str | None = Field(None, pattern=HASH_PATTERN,
                                 description="answer with this archived rule set (its hash) instead of the current one")


class Provenance(BaseModel):
    """What reproduces a decision: library version, rule-set hash, as_of, and the determination id (a hash
    of the canonical profile, the rule-set hash and as_of)."""

    version: str
    ruleset_hash: str
    as_of: str
    determination_id: str


class Citation(BaseModel):
    document: str
    number: str | None
    issuer: str
    clause: str | None
    quote: str


class Instalment(BaseModel):
    index: int
    count: int
    total: str
    start_year: int


class RuleResultOut(BaseModel):
    """One rule's result, as ``eligibility match --format json`` gives it (``conditions`` and
    ``explanation`` only when ``explain`` is true)."""

    rule_id: str
    title: str
    status: Literal["eligible", "ineligible", "undetermined", "superseded", "error"]
    amount: str | None
    amount_kind: str | None
    benefit: str | None
    instalment: Instalment | None
    superseded_by: str | None
    missing: list[str]
    reason: str | None
    kind: str
    mode: str
    basis: str
    group: str | None
    citation: Citation
    conditions: list[dict[str, Any]] | None = None
    explanation: str | None = None


class OutOfScope(BaseModel):
    rule_id: str
    reason: str


class EvaluationOut(BaseModel):
    """One firm's evaluation: the content of ``eligibility match --format json`` plus the determination id."""

    entity_id: str | None
    name: str | None
    as_of: str
    provenance: Provenance
    total: str
    results: list[RuleResultOut]
    out_of_scope: list[OutOfScope]


class MatchResponse(BaseModel):
    results: list[EvaluationOut]


class DecisionOut(BaseModel):
    rule_id: str
    status: Literal["eligible", "ineligible", "undetermined", "superseded", "error"]
    amount: str | None
    superseded_by: str | None


class FirmDecisions(BaseModel):
    """One firm's decisions (statuses and amounts, no explanation), with provenance."""

    index: int
    entity_id: str | None
    provenance: Provenance
    decisions: list[DecisionOut]


class DecideResponse(BaseModel):
    results: list[FirmDecisions]


class RuleSummary(BaseModel):
    id: str
    title: str
    kind: str
    mode: str
    basis: str
    group: str | None
    effective: str
    jurisdiction: str


class RulesResponse(BaseModel):
    ruleset_hash: str
    rules: list[RuleSummary]


class RuleDetail(RuleSummary):
    """One rule with its citation (document, clause, quoted sentence), notes and text."""

    citation: Citation
    notes: str
    text: str


class FactOut(BaseModel):
    name: str
    label: str
    type: str
    reads: list[str]


class FactsResponse(BaseModel):
    facts: list[FactOut]


class Health(BaseModel):
    status: Literal["ok"]


class Ready(BaseModel):
    status: Literal["ready"]
    version: str
    ruleset_hash: str
    rules: int


class ReloadResponse(BaseModel):
    status: Literal["reloaded", "requested"]
    previous_hash: str | None
    ruleset_hash: str | None


class ErrorDetail(BaseModel):
    code: str = Field(description="one of the documented codes (docs/service.md)")
    message_zh: str
    message_en: str
    location: str | None


class ErrorBody(BaseModel):
    error: ErrorDetail


class JobOut(BaseModel):
    """A scoring job: its state, progress and, when done, the row reconciliation."""

    id: str
    status: Literal["queued", "running", "done", "failed"]
    filename: str
    as_of: str
    created: str
    rows_done: int
    reconciliation: dict[str, int] | None
    provenance: dict[str, str] | None
    error: ErrorDetail | None
