"""``/v1/decide``: decisions of many validated profiles, chunk by chunk, through the compiled path or —
for a request of at least ``vectorized_min_profiles`` profiles — through the vectorized backend (the
same decisions, made column-wise), as JSON items or NDJSON lines."""

from __future__ import annotations

import json
import threading
import time
import weakref
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from ..backends.vectorized import VectorizedRules
from ..backends.vectorized.compiler import OUT, STATUS_NAMES
from ..backends.vectorized.fromfacts import table_from_facts
from ..engine import Engine
from ..error_body import error_body
from ..errors import EligibilityError
from ..facts.profile import Profile
from ..provenance import with_determination
from .errors import ServiceError

CHUNK = 256
"""Profiles decided per compiled-path step (the time limit is checked between steps)."""
VECTOR_CHUNK = 4096
"""Profiles decided per vectorized step."""

_vectorized: weakref.WeakKeyDictionary[Engine, VectorizedRules] = weakref.WeakKeyDictionary()
_vectorized_lock = threading.Lock()


def timeout_error(seconds: float) -> ServiceError:
    return ServiceError("timeout", f"请求处理超过时限 {seconds:g} 秒", f"the request took longer than {seconds:g} s")


def check_deadline(deadline: float, seconds: float) -> None:
    if time.monotonic() > deadline:
        raise timeout_error(seconds)


def _item(i: int, p: Profile, decisions: list[dict[str, Any]], provenance: dict[str, str]) -> dict[str, Any]:
    return {"index": i, "entity_id": p.uscc, "provenance": with_determination(provenance, p), "decisions": decisions}


def _compiled_chunks(engine: Engine, profiles: list[Profile], day: date, deadline: float,
                     seconds: float) -> Iterator[list[dict[str, Any]]]:
    decide = engine.decider(day)
    provenance = engine.provenance(day)
    for start in range(0, len(profiles), CHUNK):
        check_deadline(deadline, seconds)
        part = profiles[start:start + CHUNK]
        yield [_item(start + j, p, [{"rule_id": d.rule_id, "status": d.status.value,
                                     "amount": None if d.amount is None else f"{d.amount:.2f}",
                                     "superseded_by": d.superseded_by} for d in decide(p)], provenance)
               for j, p in enumerate(part)]


def vectorized_rules(engine: Engine) -> VectorizedRules:
    """The engine's rule set compiled for the vectorized backend (once per engine, kept while it lives)."""
    with _vectorized_lock:
        hit = _vectorized.get(engine)
        if hit is None:
            hit = _vectorized[engine] = VectorizedRules(engine.rules)
        return hit


def _fen_text(fen: int) -> str:
    return f"{Decimal(fen).scaleb(-2):.2f}"


def vectorized_decisions(engine: Engine, profiles: list[Profile], day: date) -> list[list[dict[str, Any]]]:
    """Each profile's decisions (rule id, status, amount as text, superseded by) decided column-wise by
    the vectorized backend: the compiled path's decisions, in its order (the rules in scope, in rule order)."""
    decided = vectorized_rules(engine).decide(table_from_facts([p.facts() for p in profiles]), day, explain=False)
    ids = [r.id for r in decided.rules]
    columns = []
    for rule_id, o in zip(ids, decided.outcomes, strict=True):
        amounts = [_fen_text(int(f)) if has else None for f, has in zip(o.amount.tolist(), o.has_amount.tolist())] \
            if o.has_amount.any() else [None] * len(profiles)
        by = [ids[b] if b >= 0 else None for b in o.superseded_by.tolist()] if o.superseded_by is not None \
            else [None] * len(profiles)
        columns.append((rule_id, o.status.tolist(), amounts, by))
    out: list[list[dict[str, Any]]] = [[] for _ in profiles]
    for rule_id, status, amounts, by in columns:
        for row, code in enumerate(status):
            if code != OUT:
                out[row].append({"rule_id": rule_id, "status": STATUS_NAMES[code], "amount": amounts[row],
                                 "superseded_by": by[row]})
    return out


def _vectorized_chunks(engine: Engine, profiles: list[Profile], day: date, deadline: float,
                       seconds: float) -> Iterator[list[dict[str, Any]]]:
    provenance = engine.provenance(day)
    for start in range(0, len(profiles), VECTOR_CHUNK):
        check_deadline(deadline, seconds)
        part = profiles[start:start + VECTOR_CHUNK]
        yield [_item(start + j, p, d, provenance)
               for j, (p, d) in enumerate(zip(part, vectorized_decisions(engine, part, day), strict=True))]


def decide_chunks(engine: Engine, profiles: list[Profile], day: date, deadline: float, seconds: float,
                  vectorized_min: int = 0) -> Iterator[list[dict[str, Any]]]:
    """The ``/v1/decide`` items in chunks, the time limit checked between chunks: vectorized when the
    request holds at least ``vectorized_min`` profiles (0: never), else through the compiled path."""
    if vectorized_min and len(profiles) >= vectorized_min:
        return _vectorized_chunks(engine, profiles, day, deadline, seconds)
    return _compiled_chunks(engine, profiles, day, deadline, seconds)


def ndjson(chunks: Iterator[list[dict[str, Any]]]) -> Iterator[bytes]:
    """One JSON line per firm; an error mid-stream (the time limit) ends it with one error line."""
    try:
        for chunk in chunks:
            yield b"".join(json.dumps(item, ensure_ascii=False).encode() + b"\n" for item in chunk)
    except ServiceError as exc:
        yield json.dumps(exc.body, ensure_ascii=False).encode() + b"\n"
    except EligibilityError as exc:
        yield json.dumps(error_body(exc), ensure_ascii=False).encode() + b"\n"

