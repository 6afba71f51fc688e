"""Per-field isolation in ``Engine.evaluate`` (and ``Engine.decide``): an unreadable value makes only its field unknown; the
rules reading it are ``error`` naming the field and the value (``undetermined`` under a
presumption), every other rule is decided as usual — as a batch row is."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

import eligibility as el
from eligibility.batch import read_register
from eligibility.facts.frame import row_to_profile
from eligibility.reads import readers

from registerfile import REGISTER as EXAMPLE_REGISTER

AS_OF = "2024-06-30"


@pytest.fixture(scope="module")
def engine() -> el.Engine:
    return el.Engine()


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    ((_, chunk),) = list(read_register(EXAMPLE_REGISTER, 10_000))
    df = chunk.reset_index(drop=True).head(120).astype(object)
    df.attrs = {}
    return df


def _record(frame: pd.DataFrame, i: int, **changes: Any) -> dict[str, Any]:
    record = {k: (None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else v)
              for k, v in frame.iloc[i].to_dict().items()}
    record.update(changes)
    return row_to_profile(record)


def _decided(ev: el.Evaluation) -> dict[str, tuple[str, Any, tuple[str, ...]]]:
    return {r.rule_id: (r.status.value, r.amount, tuple(r.missing)) for r in ev.results}


def _reading(engine: el.Engine, frame: pd.DataFrame, path: str, day: str = AS_OF) -> int:
    """A row of the frame with a rule in scope that reads ``path``."""
    who = readers(engine.rules.rules, path)
    for i in range(len(frame)):
        if who & {r.rule_id for r in engine.evaluate(_record(frame, i), day).results}:
            return i
    raise AssertionError(f"no row with a rule reading {path}")


@pytest.mark.parametrize(("path", "value"), [("revenue", "12x3"), ("employees", "很多"),
                                             ("registered_on", "2019-02-30"), ("industry_code", "制造业")])
def test_only_the_rules_reading_the_bad_field_are_in_error(engine: el.Engine, frame: pd.DataFrame, path: str,
                                                           value: str) -> None:
    i = _reading(engine, frame, path)
    clean = engine.evaluate(_record(frame, i, **{path: None}), AS_OF)  # the field unknown
    data = _record(frame, i, **{path: value})
    ev = engine.evaluate(data, AS_OF)
    assert set(ev.field_errors) == {path}
    assert [(d.rule_id, d.status, d.amount) for d in engine.decide(data, AS_OF)] == [
        (r.rule_id, r.status, r.amount) for r in ev.results]  # the fast path isolates alike
    who = readers(engine.rules.rules, path)
    assert [r.rule_id for r in ev.results] == [r.rule_id for r in clean.results]
    hit = 0
    for got, want in zip(ev.results, clean.results, strict=True):
        if got.rule_id in who:
            hit += 1
            assert got.status is el.Status.ERROR and got.amount is None and got.missing == ()
            assert got.reason is not None and path in got.reason[1] and value in got.reason[1]
            assert f"字段 {path}" in got.reason[0] and value in got.reason[0]
            assert got.reason[1] in got.explain("en") and got.reason[0] in got.explain("zh")
        else:
            assert (got.status, got.amount, got.missing, got.superseded_by) == (
                want.status, want.amount, want.missing, want.superseded_by)
    assert hit


def test_evaluate_decides_as_the_batch_row(engine: el.Engine, frame: pd.DataFrame) -> None:
    """The same statuses and amounts as the batch gives the row with the same bad cells."""
    df = frame.copy()
    rows = [3, 5, 7, 11]
    df.loc[3, "revenue"] = "12x3"
    df.loc[5, "employees"] = "很多"
    df.loc[7, ["registered_on", "revenue"]] = ["2019-02-30", "lots"]
    df.loc[11, "certifications"] = '[{"kind": "bogus", "level": "national"}]'
    scored = engine.score(df, AS_OF)
    for i in rows:
        batch = scored[scored.row == i + 1]
        want = {str(r.rule_id): (str(r.status), None if pd.isna(r.amount) else f"{r.amount:.2f}")
                for r in batch.itertuples()}
        record = {k: (None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else v)
                  for k, v in df.iloc[i].to_dict().items()}
        if isinstance(record.get("certifications"), str):
            import json

            record["certifications"] = json.loads(record["certifications"])
        ev = engine.evaluate(row_to_profile(record), AS_OF)
        got = {r.rule_id: (r.status.value, None if r.amount is None else f"{r.amount:.2f}") for r in ev.results}
        assert got == want
        assert ev.field_errors


def test_a_field_with_a_presumption_gives_undetermined(engine: el.Engine, frame: pd.DataFrame) -> None:
    day = "2021-06-30"  # the rule reading it is in force then
    i = _reading(engine, frame, "restricted_industry", day)
    ev = engine.evaluate(_record(frame, i, restricted_industry="也许"), day)
    who = readers(engine.rules.rules, "restricted_industry")
    mine = [r for r in ev.results if r.rule_id in who]
    assert mine and {r.status for r in mine} == {el.Status.UNDETERMINED}
    assert all(r.missing == ("restricted_industry",) and "也许" in r.reason[1] for r in mine)


def test_a_bad_item_refuses_its_list_and_two_fields_are_both_named(engine: el.Engine, frame: pd.DataFrame) -> None:
    i = _reading(engine, frame, "certifications")
    data = _record(frame, i, revenue="12x3")
    data["certifications"] = [{"kind": "bogus", "level": "national", "certified_on": "2024-01-15"}]
    ev = engine.evaluate(data, AS_OF)
    assert set(ev.field_errors) == {"certifications", "revenue"}
    both = readers(engine.rules.rules, "certifications") & readers(engine.rules.rules, "revenue")
    for r in ev.results:
        if r.rule_id in both:
            assert r.status is el.Status.ERROR and "bogus" in r.reason[1] and "12x3" in r.reason[1]


def test_strict_and_what_is_refused_as_a_whole(engine: el.Engine, frame: pd.DataFrame) -> None:
    data = _record(frame, 0, employees="很多")
    for strict_call in (engine.evaluate, engine.decide):
        with pytest.raises(el.ProfileError) as info:
            strict_call(data, AS_OF, strict=True)
        assert info.value.fields == ["employees"]
    for whole in ({**data, "uscc": "91530802MA6K00001X"}, {**data, "revenu": 1}, ["not", "a", "mapping"]):
        for call in (engine.evaluate, engine.decide):
            with pytest.raises(el.ProfileError):
                call(whole, AS_OF)  # type: ignore[arg-type]
    assert engine.evaluate(_record(frame, 0), AS_OF).field_errors == {}
