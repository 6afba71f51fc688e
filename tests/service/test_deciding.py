"""/v1/decide through the vectorized backend gives the compiled path's decisions, in its order: the
example profiles at several dates, a hypothesis sample, and the endpoint over its threshold."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import eligibility as el
from eligibility.facts.profile import Profile
from eligibility.service import ServiceSettings, create_app
from eligibility.service import deciding
from eligibility.service.deciding import decide_chunks, vectorized_decisions
from eligibility.testing.strategies import profiles

from api_helpers import PROFILES, post_json

ENGINE = el.Engine(el.load_rules())
DAYS = [date(2023, 1, 1), date(2024, 6, 30), date(2025, 6, 30)]


def _examples() -> list[dict[str, Any]]:
    return [json.loads(json.dumps(yaml.safe_load(p.read_text(encoding="utf-8")), default=str))
            for p in sorted(PROFILES.glob("*.yaml")) if p.stem != "expected"]


def _compiled(profile: Profile, day: date) -> list[dict[str, Any]]:
    return [{"rule_id": d.rule_id, "status": d.status.value, "amount": None if d.amount is None else f"{d.amount:.2f}",
             "superseded_by": d.superseded_by} for d in ENGINE.decide(profile, day)]


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_vectorized_decisions_are_the_compiled_ones_for_the_examples(day: date) -> None:
    validated = [Profile.from_data(p) for p in _examples()]
    got = vectorized_decisions(ENGINE, validated, day)
    assert len(got) == len(validated)
    assert any(d["status"] == "eligible" and d["amount"] for firm in got for d in firm)  # amounts are compared too
    for profile, decisions in zip(validated, got, strict=True):
        assert decisions == _compiled(profile, day), profile.name


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(profiles(as_of=date(2024, 6, 30)), min_size=1, max_size=12))
def test_vectorized_decisions_are_the_compiled_ones_on_generated_batches(batch: list[dict[str, Any]]) -> None:
    day = date(2024, 6, 30)
    validated = [Profile.from_data(p) for p in batch]
    assert vectorized_decisions(ENGINE, validated, day) == [_compiled(p, day) for p in validated]


def test_the_threshold_chooses_the_path() -> None:
    engine = el.Engine(el.load_rules())
    validated = [Profile.from_data(p) for p in _examples()]
    far = time.monotonic() + 60
    below = [i for c in decide_chunks(engine, validated, DAYS[1], far, 60, len(validated) + 1) for i in c]
    assert engine not in deciding._vectorized  # the compiled path built nothing vectorized
    above = [i for c in decide_chunks(engine, validated, DAYS[1], far, 60, len(validated)) for i in c]
    assert engine in deciding._vectorized
    assert above == below and [i["index"] for i in above] == list(range(len(validated)))


@pytest.fixture(scope="module")
def vectorized_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A service deciding every /v1/decide request of two profiles or more with the vectorized backend."""
    data_dir: Path = tmp_path_factory.mktemp("service-vectorized")
    with TestClient(create_app(ServiceSettings(data_dir=data_dir, vectorized_min_profiles=2))) as c:
        yield c


def test_decide_over_the_threshold_answers_as_below_it(client: TestClient, vectorized_client: TestClient) -> None:
    body = {"profiles": _examples(), "as_of": "2024-06-30"}
    plain = post_json(client, "/v1/decide", body)
    vectorized = post_json(vectorized_client, "/v1/decide", body)
    assert plain.status_code == vectorized.status_code == 200, vectorized.text
    assert vectorized.json() == plain.json()
    streamed = post_json(vectorized_client, "/v1/decide", body, accept="application/x-ndjson")
    assert [json.loads(line) for line in streamed.text.splitlines()] == plain.json()["results"]
