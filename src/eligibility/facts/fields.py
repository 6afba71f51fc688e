"""The field registry: every profile field by dotted path, with type, labels, unit and presumption.

Built from the pydantic models of :mod:`eligibility.facts.profile` (``registry()`` there), so the
schema has one source. List items are registered under ``<list>[].<field>`` (``certifications[].kind``).
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel

from ..model.types import BOOL, DATE, MONEY, STR, Type


@dataclass(frozen=True, slots=True)
class Presumption:
    """A value assumed when a field is absent, always shown in explanations as an assumption."""

    value: Any
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class FieldSpec:
    path: str
    type: Type
    label_zh: str
    label_en: str
    presume: Presumption | None = None
    # a record whose absence inside its known parent means "none" (a register not listed)
    absent_is_none: bool = False

    def label(self, lang: str = "zh") -> str:
        return self.label_en if lang == "en" else self.label_zh


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """Strip ``X | None``; return (X, is_list)."""
    args = get_args(annotation)
    if get_origin(annotation) in (typing.Union, types.UnionType):
        non_none = [a for a in args if a is not type(None)]
        annotation = non_none[0]
    if get_origin(annotation) is list:
        return get_args(annotation)[0], True
    return annotation, False


def _leaf_type(annotation: Any, extra: dict[str, Any]) -> Type:
    unit = extra.get("unit")
    if unit == "money":
        return MONEY
    if extra.get("code"):
        return Type("code", code=extra["code"])
    origin = get_origin(annotation)
    if origin is Literal:
        return Type("enum", values=get_args(annotation))
    if origin is typing.Annotated:
        annotation = get_args(annotation)[0]
    if annotation is bool:
        return BOOL
    if annotation is date:
        return DATE
    if annotation in (int, Decimal, float):
        return Type("number", unit=unit)
    return STR


def _walk(model: type[BaseModel], prefix: str, out: dict[str, FieldSpec]) -> None:
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        path = f"{prefix}{name}"
        inner, is_list = _unwrap(info.annotation)
        presume = extra.get("presume")
        spec_presume = Presumption(presume["value"], presume["zh"], presume["en"]) if presume else None
        label_zh, label_en = extra.get("label_zh", name), extra.get("label_en", name)
        record = isinstance(inner, type) and issubclass(inner, BaseModel)
        if is_list:
            out[path] = FieldSpec(path, Type("list", record=f"{path}[]"), label_zh, label_en)
            if record:
                _walk(inner, f"{path}[].", out)
        elif record:
            out[path] = FieldSpec(path, Type("record", record=path), label_zh, label_en,
                                  absent_is_none=getattr(model, "members_optional", False))
            _walk(inner, f"{path}.", out)
        else:
            out[path] = FieldSpec(path, _leaf_type(inner, extra), label_zh, label_en, spec_presume)


def registry_for(model: type[BaseModel]) -> dict[str, FieldSpec]:
    """Every field of a profile model by dotted path. A model whose class sets ``members_optional``
    holds records that are known absent when missing from a given mapping (``absent_is_none``)."""
    out: dict[str, FieldSpec] = {}
    _walk(model, "", out)
    return out
