"""The conformance suite every backend runs (DESIGN.md): each case gives a profile, a date and the
expected status (and amount, superseded_by) per rule; every backend must agree exactly. A case's
``rules`` names bundled packs or folders beside this file (``rules``: the suite's own test rules).

A backend is a function (engine, profile dict, as_of) → {rule_id: (status, amount, superseded_by)}
for the rules in scope. A backend that cannot run a case names the case and the reason in
``EXPECTED_GAPS`` — none so far.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import eligibility as el
from eligibility.facts.frame import to_frame
from eligibility.io.rules import parse_amount_text
from eligibility.reactive import Watcher

try:
    import dask
    from dask import dataframe as dd
except ImportError:  # the dask extra is not installed: its backend's cases are skipped, saying so
    dd = None

HERE = Path(__file__).parent
Outcome = dict[str, tuple[str, Decimal | None, str | None]]


def _interpreter(engine: el.Engine, profile: dict[str, Any], as_of: date) -> Outcome:
    return {r.rule_id: (r.status.value, r.amount, r.superseded_by) for r in engine.evaluate(profile, as_of).results}


def _compiled(engine: el.Engine, profile: dict[str, Any], as_of: date) -> Outcome:
    return {d.rule_id: (d.status.value, d.amount, d.superseded_by) for d in engine.decide(profile, as_of)}


def _vectorized(engine: el.Engine, profile: dict[str, Any], as_of: date) -> Outcome:
    return _long_table_outcome(engine.score(to_frame([profile]), as_of))


def _dask(engine: el.Engine, profile: dict[str, Any], as_of: date) -> Outcome:
    """Dask as a backend: the one-row frame as a Dask DataFrame, scored through ``Engine.score``."""
    with dask.config.set({"dataframe.convert-string": False}):  # list columns stay lists, as in pandas
        frame = dd.from_pandas(to_frame([profile]), npartitions=1)
        return _long_table_outcome(engine.score(frame, as_of).compute(scheduler="sync"))


def _long_table_outcome(scored: pd.DataFrame) -> Outcome:
    assert not (scored["status"] == "error").any(), scored["reason"].tolist()
    return {rec.rule_id: (rec.status, None if rec.amount is pd.NA else rec.amount,
                          rec.superseded_by if isinstance(rec.superseded_by, str) else None)
            for rec in scored.itertuples()}


def _reactive(backend: str) -> Callable[[el.Engine, dict[str, Any], date], Outcome]:
    """A fresh Watcher per case: upsert the profile, read the firm's decisions. The Watcher keys firms
    by USCC, so a case without one gets an ordinary enterprise's (91…), which no expected outcome depends on."""

    def run(engine: el.Engine, profile: dict[str, Any], as_of: date) -> Outcome:
        profile = {"uscc": "91330106MA2H4K7P16", **profile}
        with Watcher(engine, as_of=as_of, backend=backend) as watcher:
            watcher.upsert(profile)
            return {d.rule_id: (d.status.value, d.amount, d.superseded_by) for d in watcher.decisions(profile["uscc"])}

    return run


BACKENDS: dict[str, Callable[[el.Engine, dict[str, Any], date], Outcome]] = {
    "interpreter": _interpreter,
    "compiled": _compiled,
    "vectorized": _vectorized,
    "reactive-python": _reactive("python"),
    "reactive-durable": _reactive("durable"),
    "dask": _dask,
}
EXPECTED_GAPS: dict[tuple[str, str], str] = {}  # (backend, case name) → why it cannot run


def _cases() -> list[Any]:
    out = []
    for path in sorted(HERE.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]:
            for backend in BACKENDS:
                marks = []
                if backend == "dask" and dd is None and os.environ.get("CI") != "true":  # CI installs it: there it fails
                    marks.append(pytest.mark.skip(reason="dask is not installed (the dask extra)"))
                if (backend, case["name"]) in EXPECTED_GAPS:
                    marks.append(pytest.mark.xfail(reason=EXPECTED_GAPS[(backend, case["name"])], strict=True))
                out.append(pytest.param(backend, case, id=f"{path.stem}:{case['name']}:{backend}", marks=marks))
    return out


_ENGINES: dict[tuple[str, ...], el.Engine] = {}


def _engine(packs: list[str] | None) -> el.Engine:
    key = tuple(packs or ())
    if key not in _ENGINES:
        _ENGINES[key] = el.Engine(el.load_rules(*(HERE / p if (HERE / p).exists() else p for p in key)))
    return _ENGINES[key]


@pytest.mark.parametrize(("backend", "case"), _cases())
def test_conformance(backend: str, case: dict[str, Any]) -> None:
    engine = _engine(case.get("rules"))
    got = BACKENDS[backend](engine, case["profile"], case["as_of"])
    for rule_id, want in case["expect"].items():
        if want == "out_of_scope":
            assert rule_id not in got, f"{rule_id} should be out of scope, got {got.get(rule_id)}"
            continue
        assert rule_id in got, f"{rule_id} is out of scope, expected {want['status']}"
        status, amount, superseded_by = got[rule_id]
        assert status == want["status"], f"{rule_id}: status {status}, expected {want['status']}"
        if "amount" in want:
            expected = None if want["amount"] is None else parse_amount_text(str(want["amount"]))
            assert amount == expected, f"{rule_id}: amount {amount}, expected {expected}"
        if "superseded_by" in want:
            assert superseded_by == want["superseded_by"]


def test_every_case_names_rules_that_exist() -> None:
    for path in sorted(HERE.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]:
            rules = _engine(case.get("rules")).rules
            for rule_id in case["expect"]:
                assert rule_id in rules, f"{path.name}: {case['name']}: no rule {rule_id}"
