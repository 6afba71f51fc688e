"""The rule-file format as pydantic models: structural validation and the exported JSON Schema.

Expressions stay strings here; :mod:`eligibility.io.rules` parses and type-checks them.
"""

from __future__ import annotations

from datetime import date as Date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from ..model.rule import AMOUNT_KINDS, BASES, KINDS, MODES

RULE_ID_PATTERN = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*(?:\.[a-z0-9]+(?:[-_][a-z0-9]+)*)+$"
Expr = Annotated[
    str | bool | int | float,
    WithJsonSchema({"type": ["string", "number"], "description": "an expression, e.g. revenue >= 2000万"}),
]

_COND_SCHEMA: dict[str, Any] = {
    "description": "a condition: an expression string, a list (all of), or {all: [...]}, {any: [...]}, {not: ...}, "
    "{expr: ..., label: {zh, en}}",
    "anyOf": [
        {"type": "string"},
        {"type": "array", "items": {"$ref": "#/$defs/Condition"}},
        {"type": "object", "properties": {"all": {"type": "array", "items": {"$ref": "#/$defs/Condition"}}},
         "required": ["all"], "additionalProperties": False},
        {"type": "object", "properties": {"any": {"type": "array", "items": {"$ref": "#/$defs/Condition"}}},
         "required": ["any"], "additionalProperties": False},
        {"type": "object", "properties": {"not": {"$ref": "#/$defs/Condition"}}, "required": ["not"],
         "additionalProperties": False},
        {"type": "object", "properties": {"expr": {"type": "string"}, "label": {"$ref": "#/$defs/TextModel"}},
         "required": ["expr"], "additionalProperties": False},
    ],
}
Condition = Annotated[Any, WithJsonSchema({"title": "Condition"})]  # replaced by a $ref after generation


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class TextModel(_Strict):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class PeriodModel(_Strict):
    start: Date | None = Field(default=None, alias="from", description="first day in force (inclusive)")
    end: Date | None = Field(default=None, alias="to", description="last day in force (inclusive); empty = open")


class JurisdictionModel(_Strict):
    code: str = Field(description="GB/T 2260 region code (2, 4 or 6 digits) or 'national'")
    name: str
    development_zone: str | None = Field(default=None, description="a development zone the firm must be in")
    by: str | None = Field(
        default=None, description="a scenario whose region_code decides (e.g. procurement: where it is held)"
    )


class DocumentModel(_Strict):
    title: str
    issuer: str
    number: str | None = None
    date: Date | None = None
    jurisdiction: JurisdictionModel
    effective: PeriodModel = Field(default_factory=PeriodModel)
    source: str | None = Field(default=None, description="path of the document's text, relative to this file")
    notes: str | None = None


class PeriodCitationModel(_Strict):
    start: Date = Field(alias="from", description="first day this citation is in force (to the next one's start)")
    document: str = Field(min_length=1, description="the document number in force for the period, e.g. 财税〔2019〕13号")
    clause: str = Field(min_length=1, description="its article, e.g. 第二条")
    quote: str | None = Field(default=None, description="the period's sentence, verbatim: only where source ships the text")
    source: str | None = Field(default=None, description="path of that document's text, relative to this file")


class RestatementModel(_Strict):
    document: str = Field(min_length=1, description="the local document restating the measure")
    clause: str = Field(min_length=1)
    quote: str | None = Field(default=None, description="the restating sentence, verbatim (checked when source is given)")
    source: str | None = Field(default=None, description="path of the local document's text, relative to this file")
    jurisdiction: JurisdictionModel = Field(description="where the restatement applies (shown only to firms there)")
    effective: PeriodModel = Field(description="when the restatement applies")


class SourceModel(_Strict):
    clause: str
    quote: str | None = Field(default=None, description="the sentence copied verbatim from the document "
                              "(required unless the rule cites by period)")
    document: str | None = Field(default=None, description="title of another document cited (baseline packs)")
    periods: list[PeriodCitationModel] | None = Field(
        default=None, description="a citation per period, for a rule that changes with the law (sorted by from)")
    restatements: list[RestatementModel] | None = Field(
        default=None, description="local restatements, cited beside the period's document where and when they apply")


class ParamValueModel(_Strict):
    start: Date = Field(alias="from")
    value: Expr
    basis: str | None = Field(default=None, description="the document number that set this value")


class ParamModel(_Strict):
    values: list[ParamValueModel] = Field(min_length=1)
    end: Date | None = Field(default=None, alias="to", description="no value after this date")


class ScheduleModel(_Strict):
    instalments: int = Field(ge=1, le=50)
    start: str = Field(description="date expression of the triggering event; its year is instalment 1")
    each_year: bool = Field(default=False, description="the amount is paid in full each year, in at most "
                            "`instalments` years (连续N年每年), instead of being divided among them")


class BenefitModel(_Strict):
    amount: Expr | None = None
    kind: Literal[AMOUNT_KINDS] = "exact"  # type: ignore[valid-type]
    cap: Expr | None = None
    once: bool = Field(default=False, description="one-off: not granted again once received")
    schedule: ScheduleModel | None = None
    description: TextModel | None = None


class ExpectModel(_Strict):
    status: Literal["eligible", "ineligible", "undetermined", "superseded", "out_of_scope"]
    amount: Expr | None = Field(default=None, description="expected amount; write none for no amount")
    missing: list[str] | None = None
    explanation: list[str] | None = Field(default=None, description="fragments the explanation must contain")
    superseded_by: str | None = None


class TestModel(_Strict):
    name: str
    as_of: Date
    profile: dict[str, Any]
    expect: ExpectModel


class RuleModel(_Strict):
    id: str = Field(pattern=RULE_ID_PATTERN, description="dotted, stable id, e.g. puer.new-industrial-above-scale")
    title: TextModel
    source: SourceModel
    kind: Literal[KINDS]  # type: ignore[valid-type]
    mode: Literal[MODES]  # type: ignore[valid-type]
    basis: Literal[BASES]  # type: ignore[valid-type]
    effective: PeriodModel | None = None
    jurisdiction: JurisdictionModel | None = None
    params: dict[str, ParamModel] | None = None
    when: Condition
    benefit: BenefitModel | None = None
    group: str | None = None
    priority: int = 0
    notes: str | None = None
    tests: list[TestModel] | None = None


class RuleFileModel(_Strict):
    document: DocumentModel
    rules: list[RuleModel]


class TestFileModel(_Strict):
    """A sibling ``<name>.tests.yaml``: tests by rule id, and the rules they need loaded beside them."""

    requires: list[str] = Field(default_factory=list, description=(
        "bundled packs or rule paths (relative to this file) the tests need loaded too, e.g. [tengger] when an"
        " exclusive group spans packs; their own tests are not run"))
    tests: dict[str, list[TestModel]]


def rule_file_json_schema() -> dict[str, Any]:
    """JSON Schema of rule files, for editors (validation and completion)."""
    schema = RuleFileModel.model_json_schema(by_alias=True)
    schema.setdefault("$defs", {})["Condition"] = _COND_SCHEMA
    schema["$defs"]["RuleModel"]["properties"]["when"] = {"$ref": "#/$defs/Condition"}
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "eligibility rule file"
    return schema
