"""Plain texts read without the profile schema: amounts written as bare digits (``1866400``,
``1234.5``) and ISO dates (``2013-09-26``), the spellings of nearly every cell of a text register.

The ingest validates each distinct text of a text column through the profile schema (pydantic);
for these spellings the schema's answer is known in advance, so they are read here directly and
only the other texts (units, separators, signs, spaces, other date spellings, wrong values) go
through the schema. A field takes this path only when its declared type is exactly one whose
answer on these spellings is that value (money, non-negative money, a plain date) with no validator
of its own, so a text is accepted, converted or refused exactly as through the schema.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date
from functools import cache
from typing import Any

from pydantic import BaseModel

from ...facts.profile import Money, NonNegativeMoney, Profile
from .columns import EPOCH_ORDINAL

__all__ = ["plain_dates", "plain_fen"]

# ASCII digits only ([0-9], not \d: a full-width digit goes through the schema); at most 15 whole
# digits, so every such amount is below the schema's limit of 10^15 yuan
_AMOUNT = re.compile(r"([0-9]{1,15})(?:\.([0-9]{1,2}))?")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")

Reader = Callable[[list[Any], Iterable[int]], dict[int, Any]]


def plain_fen(path: str) -> Reader | None:
    """For a money field: a reader of bare-digit amounts (distinct values → int fen); None when the
    field's type is not plain money."""
    return _read_fen if _declared(path) in ((Money | None), (NonNegativeMoney | None)) else None


def plain_dates(path: str) -> Reader | None:
    """For a date field: a reader of ISO dates (distinct values → days since 1970-01-01); None when
    the field's type is not a plain date."""
    return _read_days if _declared(path) == (date | None) else None


def _read_fen(uniques: list[Any], used: Iterable[int]) -> dict[int, Any]:
    out: dict[int, Any] = {}
    match = _AMOUNT.fullmatch
    for u in used:
        text = uniques[u]
        if type(text) is str and (m := match(text)):
            whole, frac = m.groups()
            out[u] = int(whole) * 100 + (0 if frac is None else int(frac) * (10 if len(frac) == 1 else 1))
    return out


def _read_days(uniques: list[Any], used: Iterable[int]) -> dict[int, Any]:
    out: dict[int, Any] = {}
    match = _ISO_DATE.fullmatch
    for u in used:
        text = uniques[u]
        if type(text) is str and (m := match(text)):
            try:
                day = date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:  # 2024-02-30, year 0000: the schema words the refusal
                continue
            out[u] = day.toordinal() - EPOCH_ORDINAL
    return out


@cache
def _declared(path: str) -> Any:
    """The declared type of field ``path`` (list items too), or None when the field or its model has
    a validator beyond the models' NaN-is-unknown one (its answer is then the schema's alone)."""
    model: Any = Profile
    parts = path.replace("[]", "").split(".")
    for part in parts[:-1]:
        model = _model_in(model.model_fields[part].annotation)
        if model is None:
            return None
    name = parts[-1]
    info = model.model_fields.get(name)
    decorators = model.__pydantic_decorators__
    if info is None or info.metadata or any(name in d.info.fields for d in decorators.field_validators.values()):
        return None
    if set(decorators.model_validators) - {"_nan_is_unknown"}:
        return None
    return info.annotation


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model inside an annotation (``X | None``, ``tuple[X, ...] | None``)."""
    from typing import get_args

    for arg in (get_args(annotation) or (annotation,)):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
        inner = _model_in(arg) if get_args(arg) else None
        if inner is not None:
            return inner
    return None
